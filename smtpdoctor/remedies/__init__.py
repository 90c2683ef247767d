"""The remediation knowledge base: data that maps what a check found to what to do.

A :class:`Remedy` pairs a :class:`Match` — conditions on the check id, the finding, the reply
code, the enhanced status code, the reply text and the provider — with a
:class:`~smtpdoctor.model.results.Hint`, at a :class:`Tier` of specificity.  The entries live
in :mod:`smtpdoctor.remedies.knowledge` as plain data and the matcher in
:mod:`smtpdoctor.remedies.matcher`; this module is the builtin plugin that offers the hints
through the ``smtpdoctor_hints`` hook — the same hook third-party plugins use to add their
own — and the place plugin authors import the matcher's names from.
"""

from __future__ import annotations

from smtpdoctor.core.hooks import HintContext, hookimpl
from smtpdoctor.model.results import CheckResult, Hint
from smtpdoctor.remedies.matcher import Advice, Match, Remedy, Section, Tier, hints_for

__all__ = [
    "Advice",
    "HintContext",
    "Match",
    "Remedy",
    "Section",
    "Tier",
    "hints_for",
    "smtpdoctor_hints",
]


@hookimpl
def smtpdoctor_hints(result: CheckResult, context: HintContext) -> list[Hint]:
    """The builtin knowledge base, offered through the public hook; a provider hint whose
    facts were checked long ago says when
    (:func:`~smtpdoctor.remedies.knowledge.providers.aged`)."""
    from datetime import UTC, datetime

    from smtpdoctor.remedies.knowledge import KNOWLEDGE_BASE
    from smtpdoctor.remedies.knowledge.providers import aged

    today = datetime.now(UTC).date()
    return [aged(hint, today) for hint in hints_for(result, KNOWLEDGE_BASE, context)]
