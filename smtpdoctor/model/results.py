"""Typed, frozen results: what each check found, the whole report, and the exit code.

Everything a renderer shows is derived from these values (as in sslyze), so the table, the
JSON document and any third-party renderer can never disagree.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from smtpdoctor.model.environment import Environment
from smtpdoctor.model.software import Software
from smtpdoctor.model.words import ExitCode, TLSMode

#: A value in ``details``: anything JSON can carry without a custom encoder.
DetailValue = str | int | float | bool | None | tuple[str, ...]


class Status(enum.Enum):
    """The verdict of one check.

    PASS, WARN and FAIL are judgements about the server; INFO is a fact with no judgement;
    SKIP means the check did not run (a dependency failed, or it does not apply); ERROR means
    the check itself broke — a bug in smtpdoctor or in a plugin, never the server's fault.
    """

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    INFO = "info"
    SKIP = "skip"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"

    @property
    def is_problem(self) -> bool:
        """WARN, FAIL and ERROR are what a person must look at."""
        return self in (Status.WARN, Status.FAIL, Status.ERROR)


@dataclass(frozen=True, slots=True)
class Hint:
    """What to do about a finding: a one-line title, concrete steps, and where to read more."""

    title: str
    steps: tuple[str, ...] = ()
    url: str | None = None


class Clue(enum.StrEnum):
    """What gave a provider away (see :class:`ProviderClue`)."""

    HOST_NAME = "host-name"
    MAIL_DOMAIN = "mail-domain"
    MX = "mx"
    CERTIFICATE = "certificate"
    EHLO_DOMAIN = "ehlo-domain"
    GREETING = "greeting"
    LOGIN = "login"

    @property
    def words(self) -> str:
        """The clue as a person reads it: ``MX``, ``host name``."""
        return _CLUE_WORDS[self]


_CLUE_WORDS = {
    Clue.HOST_NAME: "host name",
    Clue.MAIL_DOMAIN: "mail domain",
    Clue.MX: "MX",
    Clue.CERTIFICATE: "certificate name",
    Clue.EHLO_DOMAIN: "EHLO domain",
    Clue.GREETING: "greeting",
    Clue.LOGIN: "login at",
}


@dataclass(frozen=True, slots=True)
class ProviderClue:
    """How the provider of a run was recognised: the kind of clue and what was seen
    (``Clue.MX``, ``"aspmx.l.google.com"``)."""

    clue: Clue
    seen: str

    def describe(self) -> str:
        """``recognised by MX aspmx.l.google.com``."""
        return f"recognised by {self.clue.words} {self.seen}"


def _frozen_details() -> Mapping[str, DetailValue]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check's ``run`` returns: the verdict and the evidence, but no timing or identity.

    ``finding`` is a stable, dotted identifier of *what* was found (``"auth.rejected"``) that the
    knowledge base and plugins match on; ``reply_code``/``enhanced_code``/``reply_text`` carry the
    server reply that decided the verdict, when there was one.
    """

    status: Status
    summary: str
    details: Mapping[str, DetailValue] = field(default_factory=_frozen_details)
    finding: str | None = None
    reply_code: int | None = None
    enhanced_code: str | None = None
    reply_text: str | None = None
    hints: tuple[Hint, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One row of the report: which check, what it found, what to do, and how long it took.

    ``hints`` are all the hints for this result: the check's own, then the knowledge base's,
    then those plugins contributed.
    """

    check_id: str
    title: str
    outcome: Outcome
    hints: tuple[Hint, ...] = ()
    duration: float = 0.0

    @property
    def status(self) -> Status:
        """The verdict (shortcut for ``outcome.status``)."""
        return self.outcome.status

    @property
    def summary(self) -> str:
        """What was seen, in one sentence (shortcut for ``outcome.summary``)."""
        return self.outcome.summary


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One line of the conversation: ``direction`` is ``"C"`` (client), ``"S"`` (server) or
    ``"*"`` (an event such as a TLS handshake); ``at`` is seconds since the run started."""

    at: float
    direction: str
    text: str


@dataclass(frozen=True, slots=True)
class Target:
    """The server a run checked."""

    host: str
    port: int
    tls_mode: TLSMode
    """The concrete mode (never ``AUTO``); a ``str``, so renderers can print it as it is."""


@dataclass(frozen=True, slots=True)
class Report:
    """Everything one run found, in check order."""

    target: Target
    results: tuple[CheckResult, ...]
    started_at: datetime
    """When the connection to the server began (after the ``target`` and ``ports`` rows)."""
    duration: float
    """Seconds the whole run took: the rows found before connecting (finding the server, the
    port matrix) and then the session."""
    tool_version: str
    verification_disabled: bool = False
    transcript: tuple[TranscriptLine, ...] = ()
    provider: str | None = None
    """The id of the provider the server belongs to (``smtpdoctor.discovery.providers``), if
    recognised."""
    provider_clue: ProviderClue | None = None
    """How the provider was recognised (by the typed address's mail domain, its MX, the host
    name, the certificate, what the server says), when it was."""
    software: Software | None = None
    """The server software (Postfix, Exim, Haraka …) and how it was recognised, when what the
    server said gave it away (:mod:`smtpdoctor.software`)."""
    environment: Environment | None = None
    """The cloud or hosting provider this machine runs on and what gave it away, when it
    was recognised (:mod:`smtpdoctor.discovery.environment`)."""
    interrupted: bool = False
    """The user stopped the run (Ctrl-C): the rows after the last finished check are SKIP,
    and the process exits with 130 whatever the rows say."""

    @property
    def exit_code(self) -> ExitCode:
        """The process exit code for this report; see :func:`exit_code_for`."""
        return exit_code_for(self.results)

    @property
    def exit_status(self) -> int:
        """What the process exits with: :attr:`exit_code`, or 130 when interrupted."""
        return int(ExitCode.INTERRUPTED if self.interrupted else self.exit_code)

    def result(self, check_id: str) -> CheckResult | None:
        """The result of ``check_id``, if that check is in the report."""
        return next((r for r in self.results if r.check_id == check_id), None)


def exit_code_for(results: tuple[CheckResult, ...]) -> ExitCode:
    """Monitoring-plugins exit code: any FAIL → 2, any WARN → 1, else 0.

    An ERROR (a broken check) makes the run UNKNOWN (3) unless a real FAIL was already found:
    a failure the server caused is the more useful thing to page someone about.
    """
    statuses = {result.status for result in results}
    if Status.FAIL in statuses:
        return ExitCode.CRITICAL
    if Status.ERROR in statuses:
        return ExitCode.UNKNOWN
    if Status.WARN in statuses:
        return ExitCode.WARNING
    return ExitCode.OK
