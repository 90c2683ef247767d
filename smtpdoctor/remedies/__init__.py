"""The remediation knowledge base: data that maps what a check found to what to do.

A :class:`Remedy` pairs a :class:`Match` — conditions on the check id, the finding, the reply
code, the enhanced status code and the reply text — with a :class:`~smtpdoctor.results.Hint`.
The entries live in :mod:`smtpdoctor.remedies.knowledge` as plain data; this module is the
matcher and the builtin plugin that offers the hints through the ``smtpdoctor_hints`` hook,
the same hook third-party plugins use to add their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smtpdoctor.hookspecs import hookimpl
from smtpdoctor.results import CheckResult, Hint


@dataclass(frozen=True, slots=True)
class Match:
    """Conditions that must all hold for a remedy to apply; ``None`` means "any".

    ``finding`` matches exactly, or as a prefix when it ends in ``.`` (``"tls."``).
    ``enhanced`` matches component-wise as a prefix: ``"5.7"`` matches ``5.7.8`` and
    ``5.7.139``; ``"5.7.8"`` matches only ``5.7.8`` (not ``5.7.80``).
    ``text`` is a case-insensitive regular expression searched in the reply text.
    """

    check: str | None = None
    finding: str | None = None
    codes: tuple[int, ...] | None = None
    enhanced: str | None = None
    text: str | None = None

    def matches(self, result: CheckResult) -> bool:
        """Whether every condition holds for ``result``."""
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
        return (
            self.text is None
            or re.search(self.text, outcome.reply_text or "", re.IGNORECASE) is not None
        )


@dataclass(frozen=True, slots=True)
class Remedy:
    """One entry of the knowledge base."""

    match: Match
    hint: Hint


def hints_for(result: CheckResult, remedies: tuple[Remedy, ...]) -> list[Hint]:
    """Every hint whose match holds for ``result``, in knowledge-base order, without
    repeating a hint the result already carries."""
    found: list[Hint] = []
    for remedy in remedies:
        hint = remedy.hint
        if remedy.match.matches(result) and hint not in result.hints and hint not in found:
            found.append(hint)
    return found


@hookimpl
def smtpdoctor_hints(result: CheckResult) -> list[Hint]:
    """The builtin knowledge base, offered through the public hook."""
    from smtpdoctor.remedies.knowledge import KNOWLEDGE_BASE

    return hints_for(result, KNOWLEDGE_BASE)


def _finding_matches(wanted: str, finding: str | None) -> bool:
    if finding is None:
        return False
    return finding.startswith(wanted) if wanted.endswith(".") else finding == wanted


def _enhanced_matches(wanted: str, enhanced: str | None) -> bool:
    if enhanced is None:
        return False
    want = wanted.split(".")
    return enhanced.split(".")[: len(want)] == want
