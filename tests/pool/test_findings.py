"""The ``pool.*`` findings are declared once, documented in docs/checks.md, and each that a
person must act on has a hint in the knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.core.hooks import HintContext
from smtpdoctor.model.results import CheckResult, Outcome, Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.pool.compare import FINDINGS, GREETING_DIFFERS, POOL_ROW, POOL_TITLE
from smtpdoctor.remedies import hints_for
from smtpdoctor.remedies.knowledge import KNOWLEDGE_BASE

DOCS = Path(__file__).resolve().parents[2] / "docs"
#: Findings that are facts, not problems: INFO rows get no hints.
FACTS = {GREETING_DIFFERS}


def pool_section() -> str:
    sections = (DOCS / "checks.md").read_text().split("\n## ")
    found = [section for section in sections if section.startswith("`pool`")]
    assert len(found) == 1
    return found[0]


def test_every_finding_is_declared_once_under_the_pool_row() -> None:
    assert len(set(FINDINGS)) == len(FINDINGS)
    assert all(finding.startswith(f"{POOL_ROW}.") for finding in FINDINGS)


@pytest.mark.parametrize("finding", FINDINGS)
def test_every_finding_is_documented_in_the_pool_section(finding: str) -> None:
    assert f"| `{finding}` |" in pool_section()


@pytest.mark.parametrize("finding", sorted(set(FINDINGS) - FACTS))
def test_every_problem_finding_has_a_hint_of_its_own(finding: str) -> None:
    row = CheckResult(POOL_ROW, POOL_TITLE, Outcome(Status.WARN, "…", finding=finding))
    context = HintContext(host="smtp.example.com", port=587, tls_mode=TLSMode.STARTTLS)

    hints = hints_for(row, KNOWLEDGE_BASE, context)

    assert len(hints) == 1
    assert hints[0].title in pool_section()
