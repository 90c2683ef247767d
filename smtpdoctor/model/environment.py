"""Where smtpdoctor runs: this machine's cloud or hosting provider and what it does to
outgoing mail ports.

Pure data, shared by the settings of a run (``RunConfig.environment``), the port matrix, the
``tcp`` check, the knowledge base and the report.  The table of clouds and the reader that
recognises one from local files are in :mod:`smtpdoctor.discovery.environment`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class PortState(enum.StrEnum):
    """What a cloud does to outgoing connections to one port."""

    BLOCKED = "blocked"
    """Always blocked, and the block is not lifted (Google Compute Engine's port 25)."""
    THROTTLED_UNTIL_REQUEST = "throttled-until-request"
    """Throttled until the provider approves a request to lift it (Amazon EC2's port 25)."""
    BLOCKED_UNTIL_REQUEST = "blocked-until-request"
    """Blocked until the provider approves a request to lift it."""
    BLOCKED_FOR_NEW_ACCOUNTS = "blocked-for-new-accounts"
    """Blocked for accounts opened after the policy began (DigitalOcean, Linode)."""
    BLOCKED_FOR_MOST_SUBSCRIPTIONS = "blocked-for-most-subscriptions"
    """Blocked for most subscription types (Microsoft Azure)."""

    @property
    def verb(self) -> str:
        """``blocks`` or ``throttles``."""
        return "throttles" if self is PortState.THROTTLED_UNTIL_REQUEST else "blocks"

    @property
    def condition(self) -> str:
        """What the verb applies to, after the port: ``for new accounts``, or nothing."""
        return _CONDITIONS[self]


_CONDITIONS = {
    PortState.BLOCKED: "",
    PortState.THROTTLED_UNTIL_REQUEST: " until a request to lift it is approved",
    PortState.BLOCKED_UNTIL_REQUEST: " until a request to lift it is approved",
    PortState.BLOCKED_FOR_NEW_ACCOUNTS: " for new accounts",
    PortState.BLOCKED_FOR_MOST_SUBSCRIPTIONS: " for most subscription types",
}


@dataclass(frozen=True, slots=True)
class PortPolicy:
    """What one cloud does to outgoing connections to ``port``, what to do about it, and
    where that was read (``sources``) and when (``checked``).

    ``confirmed`` is false for a policy known only from a secondary source that the sources
    themselves mark as uncertain; it is then worded as reported, not as fact.
    """

    port: int
    state: PortState
    advice: str
    """What to do about it, in words (one or two sentences)."""
    sources: tuple[str, ...]
    checked: date
    confirmed: bool = True
    note: str | None = None
    """Who the policy does not apply to, or other facts worth saying, in words."""


def ports_words(ports: tuple[int, ...] | list[int]) -> str:
    """``port 25``; ``ports 25 and 465``; ``ports 25, 465 and 587``."""
    names = [str(port) for port in ports]
    if len(names) == 1:
        return f"port {names[0]}"
    return f"ports {', '.join(names[:-1])} and {names[-1]}"


def policy_sentence(name: str, policies: tuple[PortPolicy, ...]) -> str:
    """What ``name`` does to the ports of ``policies`` (which share a state and whether they
    are confirmed): ``Google Compute Engine blocks outgoing port 25``; ``Hetzner Cloud is
    reported to block outgoing ports 25 and 465 (unconfirmed)``.

    :raises ValueError: ``policies`` is empty (there is nothing to say)."""
    if not policies:
        raise ValueError(f"no port policy of {name} to put in words")
    first = policies[0]
    ports = ports_words([policy.port for policy in policies])
    if first.confirmed:
        return f"{name} {first.state.verb} outgoing {ports}{first.state.condition}"
    verb = first.state.verb.removesuffix("s")
    return f"{name} is reported to {verb} outgoing {ports}{first.state.condition} (unconfirmed)"


def runs_on_sentence(name: str, policies: tuple[PortPolicy, ...]) -> str:
    """``this machine runs on Google Compute Engine, which blocks outgoing port 25``."""
    sentence = policy_sentence(name, policies)
    return f"this machine runs on {name}, which{sentence.removeprefix(name)}"


@dataclass(frozen=True, slots=True)
class Environment:
    """The cloud or hosting provider this machine runs on, as recognised from local files.

    ``provider_id`` is an id of :data:`smtpdoctor.discovery.environment.CLOUDS` (``"gce"``);
    ``evidence`` says what gave it away (``DMI product_name``); ``outbound_policy`` is what
    the provider is known to do to outgoing mail ports (empty when nothing could be
    sourced); ``sources`` are where the identifying strings were read.
    """

    provider_id: str
    name: str
    evidence: str
    outbound_policy: tuple[PortPolicy, ...] = ()
    sources: tuple[str, ...] = ()

    def describe(self) -> str:
        """``Google Compute Engine (DMI product_name)``."""
        return f"{self.name} ({self.evidence})"

    def policy_for(self, port: int) -> PortPolicy | None:
        """What the provider does to outgoing connections to ``port``, if known."""
        return next((policy for policy in self.outbound_policy if policy.port == port), None)

    def blocking(self, port: int) -> str | None:
        """``this machine runs on Google Compute Engine, which blocks outgoing port 25``, when
        the provider is known to block or throttle ``port``; else ``None``."""
        policy = self.policy_for(port)
        return None if policy is None else runs_on_sentence(self.name, (policy,))
