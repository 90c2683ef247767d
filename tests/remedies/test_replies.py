"""Every reply and finding in the case table gives exactly the hints it should — the most
specific ones only, in knowledge-base order."""

from __future__ import annotations

import pytest

from tests.remedies.hintcases import FINDING_CASES, REPLY_CASES, FindingCase, ReplyCase, hints_of


@pytest.mark.parametrize("case", REPLY_CASES, ids=lambda case: case.name)
def test_a_server_reply_gives_its_hint(case: ReplyCase) -> None:
    assert [hint.title for hint in hints_of(case)] == list(case.expected)


@pytest.mark.parametrize("case", FINDING_CASES, ids=lambda case: f"{case.finding}@{case.host}")
def test_a_finding_gives_its_hint(case: FindingCase) -> None:
    assert [hint.title for hint in hints_of(case)] == list(case.expected)
