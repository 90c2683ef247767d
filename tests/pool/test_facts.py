"""How an unreachable member is described in the comparison table, from its ``tcp`` row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smtpdoctor.model.results import CheckResult, Outcome, Report, Status, Target
from smtpdoctor.model.words import TLSMode
from smtpdoctor.pool.facts import facts_of


def member_whose_tcp_row_is(finding: str) -> Report:
    tcp = CheckResult("tcp", "TCP connection", Outcome(Status.FAIL, "…", finding=finding))
    return Report(
        Target("pool.test", 587, TLSMode.STARTTLS), (tcp,), datetime.now(UTC), 0.0, "test"
    )


@pytest.mark.parametrize(
    ("finding", "reach"),
    [
        ("tcp.refused", "refused"),
        ("tcp.timeout", "timed out"),
        ("tcp.dns-timeout", "DNS failed"),
        ("tcp.blocked-by-gce", "timed out (blocked here)"),
        ("tcp.proxy-refused", "proxy: refused"),
        ("tcp.proxy-destination-unreachable", "proxy: destination unreachable"),
        ("tcp.something-new", "failed"),
    ],
)
def test_an_unreachable_member_says_why_in_a_few_words(finding: str, reach: str) -> None:
    facts = facts_of(member_whose_tcp_row_is(finding))

    assert not facts.reachable
    assert facts.reach == reach
