"""A domain audit (``smtpdoctor domain``) as text: a table per section, JSON, Nagios.

Everything shown derives from the :class:`~smtpdoctor.domain.DomainReport`; the rows are
:class:`~smtpdoctor.model.results.CheckResult` values like those of ``check``, so the row
layout, the hints and the JSON of a row are the same in both reports.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from smtpdoctor.core.hooks import RenderOptions
from smtpdoctor.model.domain import DomainReport, SectionResult
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import ConfigError, FailureKind
from smtpdoctor.protocol.safetext import safe_data
from smtpdoctor.render.json import check_to_dict, render_json_failure
from smtpdoctor.render.nagios import STATES
from smtpdoctor.render.table import VERDICTS, fit_table, shown, status_label, what_to_do, wrapped

__all__ = [
    "DOMAIN_FORMATS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "domain_to_dict",
    "render_domain",
    "render_domain_failure",
    "render_domain_json",
    "render_domain_nagios",
    "render_domain_table",
    "require_domain_format",
]

SCHEMA = "https://smtpdoctor.dev/schema/domain"
SCHEMA_VERSION = 1
#: The formats a domain audit can be shown in.
DOMAIN_FORMATS = ("table", "json", "nagios")
_TALLY_ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.INFO, Status.SKIP)
_SEVERITY = (Status.FAIL, Status.ERROR, Status.WARN)


def require_domain_format(output_format: str) -> None:
    """Raise :class:`ConfigError` unless a domain audit can be shown in ``output_format``;
    a front door calls this before anything is asked."""
    if output_format not in DOMAIN_FORMATS:
        raise ConfigError(
            f"a domain audit is shown as {', '.join(DOMAIN_FORMATS[:-1])} or "
            f"{DOMAIN_FORMATS[-1]}, not {output_format!r}"
        )


def render_domain(report: DomainReport, output_format: str, options: RenderOptions) -> str:
    """``report`` in ``output_format`` (one of :data:`DOMAIN_FORMATS`).

    :raises ConfigError: another format.
    """
    require_domain_format(output_format)
    renderers: dict[str, Callable[[DomainReport, RenderOptions], str]] = {
        "table": lambda r, o: render_domain_table(r, color=o.color, width=o.width),
        "json": lambda r, o: render_domain_json(r),
        "nagios": lambda r, o: render_domain_nagios(r),
    }
    return renderers[output_format](report, options)


# -- table ------------------------------------------------------------------------------------


def render_domain_table(report: DomainReport, *, color: bool = False, width: int = 120) -> str:
    """A heading, then each section's title and verdict over its rows (status, what we saw,
    what to do), then a verdict line; every table fits ``width`` columns."""
    parts = [wrapped(_heading(report), width)]
    for section in report.sections:
        parts += ["", _section_title(section, color), _section_table(section, color, width)]
    parts += ["", wrapped(_verdict(report), width)]
    return "\n".join(parts)


def _heading(report: DomainReport) -> str:
    return (
        f"smtpdoctor {report.tool_version} — mail security of {shown(report.domain)} — "
        f"{report.started_at:%Y-%m-%d %H:%M:%S} UTC\n"
        f"DNS: {shown(report.dns_servers)} ({plural(report.dns_queries, 'question')})"
    )


def _section_title(section: SectionResult, color: bool) -> str:
    return f"{section.title} — {status_label(section.status, color)}"


def _section_table(section: SectionResult, color: bool, width: int) -> str:
    rows = [
        [status_label(row.status, color), shown(row.summary), what_to_do(row)]
        for row in section.rows
    ]
    return fit_table(["Status", "What we saw", "What to do"], rows, width)


def _verdict(report: DomainReport) -> str:
    counts: dict[Status, int] = {}
    for row in report.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    tally = ", ".join(
        f"{counts[status]} {status.value}" for status in _TALLY_ORDER if status in counts
    )
    verdict = (
        "INTERRUPTED (Ctrl-C), partial report" if report.interrupted else VERDICTS[report.exit_code]
    )
    return (
        f"{verdict}: {tally or 'nothing checked'} in {report.duration:.2f} s "
        f"(exit code {report.exit_status})"
    )


# -- JSON -------------------------------------------------------------------------------------


def render_domain_json(report: DomainReport) -> str:
    """The audit as an indented JSON document (schema ``…/schema/domain``)."""
    return json.dumps(domain_to_dict(report), indent=2, ensure_ascii=False)


def domain_to_dict(report: DomainReport) -> dict[str, Any]:
    """The audit as plain JSON-compatible data, every string made safe to show; each row has
    the same shape as a row of ``check``'s JSON."""
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "smtpdoctor", "version": report.tool_version},
        "domain": report.domain,
        "started_at": report.started_at.isoformat(),
        "duration_seconds": round(report.duration, 6),
        "exit_code": report.exit_status,
        "status": "interrupted" if report.interrupted else report.exit_code.name.lower(),
        "interrupted": report.interrupted,
        "dns": {"servers": report.dns_servers, "queries": report.dns_queries},
        "sections": [
            {
                "id": section.check_id,
                "title": section.title,
                "status": section.status.value,
                "duration_seconds": round(section.duration, 6),
                "rows": [check_to_dict(row) for row in section.rows],
            }
            for section in report.sections
        ],
    }
    return safe_data(document)


# -- Nagios -----------------------------------------------------------------------------------


def render_domain_nagios(report: DomainReport) -> str:
    """``DOMAIN <STATE> - example.com: <the worst row> | perfdata``, then one line per row
    that is not PASS.  Perfdata: the time, DNS questions, and the problems found."""
    state = "UNKNOWN" if report.interrupted else STATES[report.exit_code]
    lines = [f"DOMAIN {state} - {_one_line(report.domain)}: {_headline(report)} | {_perf(report)}"]
    lines += [
        f"{row.status.name} {row.outcome.finding or row.check_id}: {_one_line(row.summary)}"
        for row in report.rows
        if row.status not in (Status.PASS, Status.INFO)
    ]
    return "\n".join(lines)


def _headline(report: DomainReport) -> str:
    for status in _SEVERITY:
        worst = [row for row in report.rows if row.status is status]
        if worst:
            first = worst[0]
            more = f" (+{len(worst) - 1} more)" if len(worst) > 1 else ""
            return f"{first.check_id}: {_one_line(first.summary)}{more}"
    return f"{plural(len(report.sections), 'section')} OK in {report.duration:.3f} s"


def _perf(report: DomainReport) -> str:
    warnings = sum(1 for row in report.rows if row.status is Status.WARN)
    failures = sum(1 for row in report.rows if row.status in (Status.FAIL, Status.ERROR))
    return " ".join(
        [
            f"time={report.duration:.6f}s;;;0;",
            f"dns_queries={report.dns_queries};;;0;",
            f"warnings={warnings};0;;0;",
            f"failures={failures};;0;0;",
        ]
    )


def _one_line(text: str) -> str:
    """One line without ``|`` (which would start perfdata), escaped for a terminal."""
    return " ".join(shown(text).split()).replace("|", "/")


def render_domain_failure(
    output_format: str, message: str, kind: FailureKind, exit_code: int
) -> str | None:
    """The document of an audit that could not be carried out (a bad domain, a broken plugin,
    Ctrl-C before it started) in ``output_format``; ``None`` for the table (the message on
    standard error says it all)."""
    if output_format == "json":
        return render_json_failure(message, kind=kind, exit_code=exit_code, schema=SCHEMA)
    if output_format == "nagios":
        return f"DOMAIN UNKNOWN - {_one_line(message)}"
    return None
