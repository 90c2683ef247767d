"""The verdict of a whole scan, from the verdicts of its targets and its unreadable lines."""

from __future__ import annotations

import pytest

from smtpdoctor.model.words import ExitCode
from smtpdoctor.scan.records import ScanTally


def tally(*codes: ExitCode) -> ScanTally:
    counted = ScanTally()
    for code in codes:
        counted.by_status[code] += 1
    return counted


@pytest.mark.parametrize(
    ("codes", "unreadable", "verdict"),
    [
        ((ExitCode.OK, ExitCode.WARNING), 0, ExitCode.WARNING),
        ((ExitCode.OK, ExitCode.WARNING), 1, ExitCode.UNKNOWN),
        ((ExitCode.OK,), 2, ExitCode.UNKNOWN),
        ((ExitCode.CRITICAL, ExitCode.OK), 1, ExitCode.CRITICAL),
        ((ExitCode.UNKNOWN, ExitCode.CRITICAL), 0, ExitCode.CRITICAL),
        ((), 0, ExitCode.OK),
    ],
    ids=[
        "a warning",
        "a bad line outranks a warning",
        "bad lines alone",
        "a failed target outranks a bad line",
        "failed outranks unknown",
        "nothing",
    ],
)
def test_a_failed_target_wins_then_what_could_not_be_checked_then_warnings(
    codes: tuple[ExitCode, ...], unreadable: int, verdict: ExitCode
) -> None:
    assert tally(*codes).exit_code_with(unreadable_lines=unreadable) is verdict
    if not unreadable:
        assert tally(*codes).exit_code is verdict
