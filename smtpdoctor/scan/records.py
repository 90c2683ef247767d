"""What a scan produces: one JSON Lines record per target (:class:`ScanResult`), reading
them back for ``--resume``, and the tally behind the summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smtpdoctor.model.results import CheckResult, Report
from smtpdoctor.model.words import ExitCode
from smtpdoctor.protocol.safetext import safe_data
from smtpdoctor.scan.targets import ScanTarget

RECORD_SCHEMA = "https://smtpdoctor.dev/schema/scan-record"
RECORD_SCHEMA_VERSION = 1
#: Reply codes that mean "not now, you are too many / too fast" when they come at the start.
THROTTLE_CHECKS = frozenset({"greeting", "ehlo"})


@dataclass(frozen=True, slots=True)
class ScanResult:
    """How one target went: the report of its last attempt (or why there is none)."""

    target: ScanTarget
    address: str | None
    """The server address the politeness limit counted this target under."""
    attempts: int
    report: Report | None
    error: str | None = None
    """Why the target could not be checked at all (only when ``report`` is None)."""
    throttled: bool = False
    """The server was still refusing us for now when the retries ran out."""

    @property
    def exit_code(self) -> ExitCode:
        """The target's verdict as a monitoring exit code (UNKNOWN without a report)."""
        return self.report.exit_code if self.report is not None else ExitCode.UNKNOWN

    def to_record(self) -> dict[str, Any]:
        """The JSON Lines record for this target (the report in ``smtpdoctor check``'s
        JSON shape under ``report``), every string made safe to show as in the report
        (:func:`~smtpdoctor.protocol.safetext.safe_data`)."""
        from smtpdoctor.render.json import report_to_dict

        return safe_data(
            {
                "schema": RECORD_SCHEMA,
                "schema_version": RECORD_SCHEMA_VERSION,
                "target": self.target.key,
                "address": self.address,
                "attempts": self.attempts,
                "throttled": self.throttled,
                "status": self.exit_code.name.lower(),
                "exit_code": int(self.exit_code),
                "error": self.error,
                "report": report_to_dict(self.report) if self.report is not None else None,
            }
        )


def is_throttled(report: Report) -> bool:
    """Whether the server told us to come back later: ``421`` anywhere, or any ``4xx`` to
    the greeting or EHLO (greylisting, "too many connections from your IP")."""
    for result in report.results:
        code = result.outcome.reply_code
        if code == 421 or (
            code is not None and 400 <= code < 500 and result.check_id in THROTTLE_CHECKS
        ):
            return True
    return False


def completed_targets(records: Iterable[str], schema: str = RECORD_SCHEMA) -> set[str]:
    """The targets already recorded in JSON Lines output (for ``--resume``): records of
    ``schema`` (a server scan's by default; ``scan --domains`` passes its own).  Lines that
    are not complete records — such as the last one of a scan that was killed mid-write — are
    ignored, so their targets are checked again."""
    import json

    done: set[str] = set()
    for line in records:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("schema") == schema:
            target = record.get("target")
            if isinstance(target, str):
                done.add(target)
    return done


@dataclass(slots=True)
class ScanTally:
    """Counts for the summary at the end of a scan: targets per verdict, how many were still
    throttled, and which findings came up most."""

    by_status: dict[ExitCode, int] = field(default_factory=lambda: dict.fromkeys(ExitCode, 0))
    findings: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    retried: int = 0

    @property
    def total(self) -> int:
        """Targets counted so far."""
        return sum(self.by_status.values())

    def add(self, result: ScanResult) -> None:
        """Count one finished target."""
        rows = result.report.results if result.report is not None else None
        self.count(result.exit_code, rows, throttled=result.throttled, retried=result.attempts > 1)

    def count(
        self,
        exit_code: ExitCode,
        rows: Iterable[CheckResult] | None,
        *,
        throttled: bool = False,
        retried: bool = False,
    ) -> None:
        """Count one finished target (a server, or a domain of ``scan --domains``): its
        verdict and the findings of its problem rows; ``rows`` is ``None`` when it could not
        be checked at all."""
        self.by_status[exit_code] += 1
        self.throttled += throttled
        self.retried += retried
        if rows is None:
            self.findings["scan.not-checked"] = self.findings.get("scan.not-checked", 0) + 1
            return
        for check in rows:
            finding = check.outcome.finding
            if finding is not None and check.status.is_problem:
                self.findings[finding] = self.findings.get(finding, 0) + 1

    def top_findings(self, limit: int = 10) -> list[tuple[str, int]]:
        """The most frequent findings, most frequent first (ties by name)."""
        return sorted(self.findings.items(), key=lambda item: (-item[1], item[0]))[:limit]

    @property
    def exit_code(self) -> ExitCode:
        """The scan's exit code: CRITICAL if any target failed, else UNKNOWN if any could not
        be checked, else WARNING if any warned, else OK (as for a single report)."""
        return self.exit_code_with(unreadable_lines=0)

    def exit_code_with(self, *, unreadable_lines: int) -> ExitCode:
        """:attr:`exit_code`, each line of the input that was not a target counted as a
        target that could not be checked: UNKNOWN, unless a target failed."""
        for code in (ExitCode.CRITICAL, ExitCode.UNKNOWN, ExitCode.WARNING):
            if self.by_status[code] or (code is ExitCode.UNKNOWN and unreadable_lines):
                return code
        return ExitCode.OK
