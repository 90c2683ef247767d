"""The matcher of the knowledge base: which :class:`Remedy` applies to a result.

A :class:`Remedy` pairs a :class:`Match` — conditions on the check id, the finding, the reply
code, the enhanced status code, the reply text and the provider — with a
:class:`~smtpdoctor.model.results.Hint`.  Each remedy has a :class:`Tier`.  Of all the
remedies that match a result, only those of the most specific tier are shown: Gmail's hint
for its own reply replaces the generic "wrong password" one, which replaces what RFC 3463
says about ``5.7.8`` in general.  A remedy's :class:`Advice` adds the steps for the server
software the run recognised (:mod:`smtpdoctor.software`), and only for that software.

The entries themselves are data in :mod:`smtpdoctor.remedies.knowledge`, which imports this
module; its public names are re-exported by :mod:`smtpdoctor.remedies`, where plugin authors
find it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace

from smtpdoctor.core.hooks import HintContext
from smtpdoctor.model.results import CheckResult, Hint


class Tier(enum.IntEnum):
    """How specific a remedy is; a lower value is more specific, and only the hints of the
    most specific tier that matches a result are shown."""

    PROVIDER_REPLY = 0
    """One provider's own reply: the provider and the reply both match."""
    REPLY = 1
    """One exact reply (its text or a distinctive code), whoever sends it."""
    PROVIDER = 2
    """One provider, whatever its reply says (e.g. any refused login at Yahoo)."""
    SITUATION = 3
    """What a check found, in a situation the run knows more about (e.g. no AUTH even after
    STARTTLS): it replaces the finding's general hint."""
    FINDING = 4
    """What a check found, whatever the server."""
    STATUS_CODE = 5
    """What one status code means in general: an RFC 3463 enhanced code (``X.7.8``) or a
    reply code with a meaning of its own (``421``)."""
    STATUS_SUBJECT = 6
    """What an RFC 3463 subject (``X.7``: security or policy) means in general."""
    REPLY_CLASS = 7
    """What a reply-code class (``4yz``: transient) means in general."""


@dataclass(frozen=True, slots=True)
class Match:
    """Conditions that must all hold for a remedy to apply; ``None`` means "any".

    ``finding`` matches exactly, or as a prefix when it ends in ``.`` (``"tls."``).
    ``enhanced`` matches component-wise as a prefix: ``"5.7"`` matches ``5.7.8`` and
    ``5.7.139``; ``"5.7.8"`` matches only ``5.7.8`` (not ``5.7.80``); an ``X`` component
    matches any number (``"X.7.8"`` is ``4.7.8`` or ``5.7.8``).  A tuple of codes matches any
    of them — Gmail's help pages print ``5.7.80`` for what its servers send as ``5.7.8``.
    ``text`` is a case-insensitive regular expression searched in the reply text.
    ``provider`` is a provider id (or a tuple of ids) that must be the run's provider.
    ``encrypted`` must be whether the connection was encrypted when the result was made.
    """

    check: str | None = None
    finding: str | None = None
    codes: tuple[int, ...] | None = None
    enhanced: str | tuple[str, ...] | None = None
    text: str | None = None
    provider: str | tuple[str, ...] | None = None
    encrypted: bool | None = None

    def matches(self, result: CheckResult, context: HintContext | None = None) -> bool:
        """Whether every condition holds for ``result`` (in ``context``, for ``provider``)."""
        outcome = result.outcome
        if self.check is not None and result.check_id != self.check:
            return False
        if self.finding is not None and not _finding_matches(self.finding, outcome.finding):
            return False
        if self.codes is not None and outcome.reply_code not in self.codes:
            return False
        if self.enhanced is not None and not _enhanced_matches(
            self.enhanced, outcome.enhanced_code
        ):
            return False
        if self.provider is not None and not _one_of(
            self.provider, context.provider if context else None
        ):
            return False
        if self.encrypted is not None and self.encrypted != (
            context is not None and context.encrypted
        ):
            return False
        return (
            self.text is None
            or re.search(self.text, outcome.reply_text or "", re.IGNORECASE) is not None
        )


@dataclass(frozen=True, slots=True)
class Advice:
    """Steps for the administrator of one kind of server software: its settings, named only
    when the run recognised that software (:mod:`smtpdoctor.software`).

    ``software`` holds the ids the steps apply to (``smtpdoctor.software.names``: ``"exim"``
    applies to Exim and to cPanel's Exim); ``sources`` say where each setting is documented.
    """

    software: tuple[str, ...]
    steps: tuple[str, ...]
    sources: tuple[str, ...]

    def applies(self, context: HintContext | None) -> bool:
        """Whether the run recognised software these steps are written for."""
        software = context.software if context is not None else None
        return software is not None and software.is_one_of(self.software)


@dataclass(frozen=True, slots=True)
class Remedy:
    """One entry of the knowledge base.

    ``example`` is what triggers it, as a real server sends it (a reply) or as a person would
    see it (a symptom); ``docs/hints.md`` shows it next to the hint.  ``advice`` holds the
    steps for each server software the hint's fix depends on: the hint's own steps are the
    same for every server and name no product's settings; the advice for the software the
    run recognised follows them, and with unknown software none does.
    """

    match: Match
    hint: Hint
    tier: Tier = Tier.REPLY
    example: str | None = None
    advice: tuple[Advice, ...] = ()

    def hint_for(self, context: HintContext | None) -> Hint:
        """The hint, with the steps of the advice for the run's software after its own."""
        extra = tuple(
            step for advice in self.advice if advice.applies(context) for step in advice.steps
        )
        return replace(self.hint, steps=self.hint.steps + extra) if extra else self.hint


@dataclass(frozen=True, slots=True)
class Section:
    """A group of remedies about one provider or one topic, as ``docs/hints.md`` shows them.

    ``providers`` are the provider ids the section is about (empty for a generic topic).
    """

    title: str
    providers: tuple[str, ...]
    remedies: tuple[Remedy, ...]


def hints_for(
    result: CheckResult, remedies: tuple[Remedy, ...], context: HintContext | None = None
) -> list[Hint]:
    """The hints of the most specific tier whose remedies match ``result``, in knowledge-base
    order, without repeating a hint the result already carries."""
    matching = [remedy for remedy in remedies if remedy.match.matches(result, context)]
    if not matching:
        return []
    best = min(remedy.tier for remedy in matching)
    found: list[Hint] = []
    for remedy in matching:
        hint = remedy.hint_for(context)
        if remedy.tier == best and hint not in result.hints and hint not in found:
            found.append(hint)
    return found


def _finding_matches(wanted: str, finding: str | None) -> bool:
    if finding is None:
        return False
    return finding.startswith(wanted) if wanted.endswith(".") else finding == wanted


def _enhanced_matches(wanted: str | tuple[str, ...], enhanced: str | None) -> bool:
    if enhanced is None:
        return False
    seen = enhanced.split(".")
    alternatives = (wanted,) if isinstance(wanted, str) else wanted
    return any(_components_match(want.split("."), seen) for want in alternatives)


def _components_match(want: list[str], seen: list[str]) -> bool:
    """Component-wise prefix match; an ``X`` class stands for a failure class (4 or 5),
    never for a success (2.x.x codes describe what went right)."""
    if len(seen) < len(want):
        return False
    if want[0] in ("X", "x") and seen[0] not in ("4", "5"):
        return False
    return all(w in ("X", "x", s) for w, s in zip(want, seen, strict=False))


def _one_of(wanted: str | tuple[str, ...], value: str | None) -> bool:
    if value is None:
        return False
    return value == wanted if isinstance(wanted, str) else value in wanted
