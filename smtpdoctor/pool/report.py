"""The typed, frozen result of a pool survey: every member's report and the comparison."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smtpdoctor.model.results import CheckResult, Report, exit_code_for
from smtpdoctor.model.words import ExitCode, TLSMode
from smtpdoctor.pool.facts import MemberFacts, facts_of


@dataclass(frozen=True, slots=True)
class PoolMember:
    """One address of the name, and the full report of the check against it."""

    address: str
    """The IP address connected to (every connection of this member's run went there)."""
    family: int
    """Its IP version: 4 or 6."""
    report: Report

    @property
    def facts(self) -> MemberFacts:
        """What the member showed, as the comparison reads it."""
        return facts_of(self.report)


@dataclass(frozen=True, slots=True)
class NotChecked:
    """An address of the name that was not checked, and why."""

    address: str
    family: int
    reason: str
    """``over the limit of 16 members``, ``the survey's deadline passed``,
    ``interrupted (Ctrl-C)``."""


@dataclass(frozen=True, slots=True)
class PoolReport:
    """Every address of one name checked alike, and how the members compare.

    ``comparison`` is a row per attribute on which the members differ (``pool.*`` findings:
    WARN, or INFO for greeting names), or one PASS row when they agree, or an INFO row when
    there is nothing to compare (one member, none reached) — renderers show it as it is.
    """

    host: str
    port: int
    tls_mode: TLSMode
    """The concrete mode (never ``AUTO``)."""
    members: tuple[PoolMember, ...]
    """The members checked, IPv4 before IPv6, each in address order."""
    not_checked: tuple[NotChecked, ...]
    comparison: tuple[CheckResult, ...]
    started_at: datetime
    duration: float
    """Seconds the whole survey took: looking the name up and every member's run."""
    tool_version: str
    addresses: int
    """How many addresses of the IP versions asked for the name has (checked or not)."""
    interrupted: bool = False
    """Ctrl-C stopped the survey: the member it stopped in is marked interrupted, later ones
    are not checked, and the process exits with 130."""

    @property
    def differences(self) -> tuple[CheckResult, ...]:
        """The rows of :attr:`comparison` that name a finding: what differs (or what kept the
        survey from comparing at all)."""
        return tuple(row for row in self.comparison if row.outcome.finding is not None)

    @property
    def problems(self) -> tuple[CheckResult, ...]:
        """The rows of :attr:`comparison` a person must look at (WARN, FAIL, ERROR)."""
        return tuple(row for row in self.comparison if row.status.is_problem)

    @property
    def exit_code(self) -> ExitCode:
        """The worst of the members' rows and the comparison's, as
        :func:`~smtpdoctor.model.results.exit_code_for` ranks them."""
        rows = [row for member in self.members for row in member.report.results]
        return exit_code_for((*rows, *self.comparison))

    @property
    def exit_status(self) -> int:
        """What the process exits with: :attr:`exit_code`, or 130 when interrupted."""
        return int(ExitCode.INTERRUPTED if self.interrupted else self.exit_code)

    @property
    def verification_disabled(self) -> bool:
        """Whether the members' certificates went unverified (``--insecure``)."""
        return any(member.report.verification_disabled for member in self.members)

    def member(self, address: str) -> PoolMember | None:
        """The member at ``address``, if it was checked."""
        return next((m for m in self.members if m.address == address), None)

    def row(self, finding: str) -> CheckResult | None:
        """The comparison row with ``finding``, if there is one."""
        return next((r for r in self.comparison if r.outcome.finding == finding), None)
