"""Typed, frozen results of ``smtpdoctor domain``: findings with their hints, sections, report.

A domain report is a list of sections (MX, each MX on port 25, MTA-STS, DANE, SPF …), one per
domain check; a section is a list of rows, each a
:class:`~smtpdoctor.model.results.CheckResult` like the rows of ``check`` — so the verdicts,
the hints and the exit code mean the same thing in both reports, and renderers derive
everything from these values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from smtpdoctor.model.results import (
    CheckResult,
    DetailValue,
    Hint,
    Outcome,
    Status,
    exit_code_for,
)
from smtpdoctor.model.words import ExitCode


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a domain check can find: a stable dotted id, its verdict and what to do.

    Each domain check lists its findings (:attr:`DomainCheck.findings`), so ``docs/domain.md``
    can show every one with its hint, and a test can prove each is reachable.
    """

    id: str
    """``spf.too-many-lookups``: the check's id, a dot, what was found."""
    status: Status
    title: str
    """What the finding means, in a few words (``SPF needs more than 10 DNS look-ups``)."""
    hint: Hint | None = None
    """What to do about it; ``None`` for a finding that needs nothing done (a PASS, an INFO)."""

    def outcome(self, summary: str, details: Mapping[str, DetailValue] | None = None) -> Outcome:
        """This finding as one row's outcome: its status and hint, the ``summary`` of what
        was seen, and the evidence in ``details``."""
        return Outcome(
            self.status,
            summary,
            details=MappingProxyType(dict(details or {})),
            finding=self.id,
            hints=(self.hint,) if self.hint is not None else (),
        )


@dataclass(frozen=True, slots=True)
class SectionResult:
    """What one domain check found: its rows, in the order it found them."""

    check_id: str
    title: str
    rows: tuple[CheckResult, ...]
    duration: float = 0.0

    @property
    def status(self) -> Status:
        """The worst verdict of the rows (ERROR > FAIL > WARN > PASS > INFO > SKIP)."""
        return worst_status(row.status for row in self.rows)

    @property
    def problems(self) -> tuple[CheckResult, ...]:
        """The rows a person must look at (WARN, FAIL, ERROR)."""
        return tuple(row for row in self.rows if row.status.is_problem)

    def row(self, finding: str) -> CheckResult | None:
        """The first row with ``finding``, if any."""
        return next((r for r in self.rows if r.outcome.finding == finding), None)


_RANK = {
    Status.SKIP: 0,
    Status.INFO: 1,
    Status.PASS: 2,
    Status.WARN: 3,
    Status.FAIL: 4,
    Status.ERROR: 5,
}


def worst_status(statuses: Iterable[Status]) -> Status:
    """The worst of ``statuses``; SKIP when there are none."""
    return max(statuses, key=_RANK.__getitem__, default=Status.SKIP)


@dataclass(frozen=True, slots=True)
class DomainReport:
    """Everything ``smtpdoctor domain`` found about one domain, section by section."""

    domain: str
    sections: tuple[SectionResult, ...]
    started_at: datetime
    duration: float
    tool_version: str
    dns_servers: str
    """Who answered the DNS questions, in words (``127.0.0.1:5353``, ``the system's DNS
    servers``)."""
    dns_queries: int = 0
    """How many DNS questions the run asked."""
    interrupted: bool = False
    """Ctrl-C stopped the audit: the sections finished by then, and exit status 130."""

    @property
    def rows(self) -> tuple[CheckResult, ...]:
        """Every row of every section, in order."""
        return tuple(row for section in self.sections for row in section.rows)

    @property
    def exit_code(self) -> ExitCode:
        """Monitoring-plugins exit code of all rows (see
        :func:`~smtpdoctor.model.results.exit_code_for`)."""
        return exit_code_for(self.rows)

    @property
    def exit_status(self) -> int:
        """What the process exits with: :attr:`exit_code`, or 130 when interrupted."""
        return int(ExitCode.INTERRUPTED if self.interrupted else self.exit_code)

    def section(self, check_id: str) -> SectionResult | None:
        """The section of domain check ``check_id``, if it ran."""
        return next((s for s in self.sections if s.check_id == check_id), None)

    def row(self, finding: str) -> CheckResult | None:
        """The first row anywhere with ``finding``, if any."""
        return next((r for r in self.rows if r.outcome.finding == finding), None)
