"""``smtpdoctor scan --domains``: many domains audited, a few at once, streamed as they finish.

Each domain gets the same audit as ``smtpdoctor domain`` (one :class:`DomainDoctor`, its
plugins loaded once, serves them all); results are handed to the caller on the caller's
thread, in the order the audits finish.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from smtpdoctor.domain import DomainDoctor, DomainReport, DomainRequest, normalise_domain
from smtpdoctor.model.words import ConfigError, ExitCode
from smtpdoctor.protocol.safetext import safe_data
from smtpdoctor.scan.records import ScanTally, completed_targets
from smtpdoctor.scan.targets import BadLine

DOMAIN_RECORD_SCHEMA = "https://smtpdoctor.dev/schema/scan-domain-record"
DOMAIN_RECORD_SCHEMA_VERSION = 1
#: The section that sums up the others (its findings are not counted again in a scan's tally).
SUMMARY_CHECK = "bulk-senders"


@dataclass(frozen=True, slots=True)
class DomainList:
    """The domains of a list, normalised, in order, without repeats; and the refused lines."""

    domains: tuple[str, ...]
    bad_lines: tuple[BadLine, ...]

    def pending(self, recorded: Iterable[str] = ()) -> tuple[str, ...]:
        """The domains not yet in ``recorded``, the JSON Lines of an earlier scan
        (``--resume``): a line cut short does not count, so its domain is audited again."""
        done = completed_targets(recorded, DOMAIN_RECORD_SCHEMA)
        return tuple(domain for domain in self.domains if domain not in done)


def parse_domains(lines: Iterable[str]) -> DomainList:
    """One domain (or address: its domain) per line; blank lines and ``#`` comments ignored,
    repeats kept once, unusable lines listed with the reason, never raised."""
    seen: dict[str, None] = {}
    bad: list[BadLine] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            seen.setdefault(normalise_domain(text))
        except ConfigError as exc:
            bad.append(BadLine(number, text, str(exc)))
    return DomainList(tuple(seen), tuple(bad))


@dataclass(frozen=True, slots=True)
class DomainScanResult:
    """How one domain went: its audit, or why there is none."""

    domain: str
    report: DomainReport | None
    error: str | None = None

    @property
    def exit_code(self) -> ExitCode:
        """The domain's verdict as a monitoring exit code (UNKNOWN without a report)."""
        return self.report.exit_code if self.report is not None else ExitCode.UNKNOWN

    def to_record(self) -> dict[str, Any]:
        """The JSON Lines record: the audit in ``smtpdoctor domain``'s JSON shape under
        ``report``."""
        from smtpdoctor.render.domain import domain_to_dict

        return safe_data(
            {
                "schema": DOMAIN_RECORD_SCHEMA,
                "schema_version": DOMAIN_RECORD_SCHEMA_VERSION,
                "target": self.domain,
                "status": self.exit_code.name.lower(),
                "exit_code": int(self.exit_code),
                "error": self.error,
                "report": domain_to_dict(self.report) if self.report is not None else None,
            }
        )


def count_domain(tally: ScanTally, result: DomainScanResult) -> None:
    """Count one audited domain in a scan's ``tally``: its verdict and its problem rows."""
    if result.report is None:
        tally.count(result.exit_code, None)
        return
    # the Gmail/Yahoo summary restates the other sections' findings: counted once, there
    rows = [row for row in result.report.rows if row.check_id != SUMMARY_CHECK]
    tally.count(result.exit_code, rows)


def scan_domains(
    doctor: DomainDoctor,
    template: DomainRequest,
    domains: Iterable[str],
    on_result: Callable[[DomainScanResult], None],
    *,
    concurrency: int,
) -> None:
    """Audit each of ``domains`` like ``template`` (its options, another domain), at most
    ``concurrency`` at once, calling ``on_result`` on this thread as each finishes.

    An audit that breaks (a bug) is a result with ``error``, never an exception here; Ctrl-C
    stops starting new audits and propagates once those running are abandoned.
    """
    pending = list(domains)
    pending.reverse()
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="smtpdoctor-scan")
    running: dict[Future[DomainReport], str] = {}
    try:
        while pending or running:
            while pending and len(running) < concurrency:
                domain = pending.pop()
                request = dataclasses.replace(template, domain=domain)
                running[pool.submit(doctor.run, request)] = domain
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                domain = running.pop(future)
                try:
                    result = DomainScanResult(domain, future.result())
                except Exception as exc:  # noqa: BLE001 - one audit's bug is its own row
                    error = f"internal error ({type(exc).__name__}: {exc}); please report it"
                    result = DomainScanResult(domain, None, error)
                on_result(result)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
