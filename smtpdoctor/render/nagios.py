"""One status line with performance data, as Nagios, Icinga and their kin expect.

The first line is ``SMTP <STATE> - <what matters most> | <perfdata>``; further lines (the
plugin's "long output") name every check that is not PASS.  Perfdata follows the
monitoring-plugins guidelines: ``'label'=value[UOM];[warn];[crit];[min];[max]``, the
thresholds in their range syntax (``cert_days_left=64;14:;3:;;``: warn below 14 days,
critical below 3).  A run that could not be carried out is one ``SMTP UNKNOWN - <reason>``
line (:func:`render_nagios_failure`).
"""

from __future__ import annotations

from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import CheckResult, Report, Status
from smtpdoctor.model.words import ExitCode
from smtpdoctor.render.table import shown

#: The Nagios state for each exit code (every ``--format nagios`` line).
STATES = {
    ExitCode.OK: "OK",
    ExitCode.WARNING: "WARNING",
    ExitCode.CRITICAL: "CRITICAL",
    ExitCode.UNKNOWN: "UNKNOWN",
}
#: Which result speaks for the whole run on the status line, worst first.
_SEVERITY = (Status.FAIL, Status.ERROR, Status.WARN)


def render_nagios(report: Report) -> str:
    """The report as a monitoring-plugin status line, perfdata and long output."""
    state = "UNKNOWN" if report.interrupted else STATES[report.exit_code]
    target = f"{_one_line(report.target.host)}:{report.target.port}"
    lines = [f"SMTP {state} - {target}: {_headline(report)} | {_perfdata(report)}"]
    lines += [
        f"{result.status.name} {result.check_id}: {_one_line(result.summary)}"
        for result in report.results
        if result.status is not Status.PASS
    ]
    return "\n".join(lines)


def render_nagios_failure(message: str) -> str:
    """The status line of a run that could not be carried out (a usage error, a broken
    plugin, a bug, Ctrl-C before it started): ``SMTP UNKNOWN - <message>``, on one line, with
    no perfdata — there was no run to measure."""
    return f"SMTP UNKNOWN - {_one_line(message)}"


def _headline(report: Report) -> str:
    for status in _SEVERITY:
        worst = [r for r in report.results if r.status is status]
        if worst:
            first = worst[0]
            more = f" (+{len(worst) - 1} more)" if len(worst) > 1 else ""
            return f"{first.check_id}: {_one_line(first.summary)}{more}"
    passed = sum(1 for r in report.results if r.status is Status.PASS)
    return f"{plural(passed, 'check')} passed in {report.duration:.3f} s"


def _perfdata(report: Report) -> str:
    items = [f"time={report.duration:.6f}s;;;0;"]
    items += [_timing(result) for result in report.results if result.status is not Status.SKIP]
    certificate = report.result("certificate")
    if certificate is not None:
        items += _certificate_days(certificate)
    return " ".join(items)


def _timing(result: CheckResult) -> str:
    """``time_ID=Ss;WARN;;0;``: WARN is the check's own ``warn_seconds`` detail, when it has
    one (the greeting's ``--slow-greeting``); a plain number, which the guidelines read as
    "alert above it"."""
    warn = result.outcome.details.get("warn_seconds")
    threshold = f"{warn:g}" if isinstance(warn, int | float) and not isinstance(warn, bool) else ""
    return f"time_{_label(result.check_id)}={result.duration:.6f}s;{threshold};;0;"


def _certificate_days(result: CheckResult) -> list[str]:
    details = result.outcome.details
    days = details.get("days_left")
    if not isinstance(days, int):
        return []
    # alert *below* the thresholds: the guidelines' range "N:" (alert when value < N)
    warn, crit = details.get("warn_days"), details.get("crit_days")
    thresholds = ";".join(f"{t}:" if isinstance(t, int) else "" for t in (warn, crit))
    return [f"cert_days_left={days};{thresholds};;"]


def _label(check_id: str) -> str:
    return check_id.replace("-", "_")


def _one_line(text: str) -> str:
    """Each output line is one line, and a '|' anywhere would start perfdata; no character
    is one a terminal would obey (:func:`~smtpdoctor.render.table.shown`: escaped first, so
    that a no-break space shows as ``\\xa0`` here too, then runs of spaces are one)."""
    return " ".join(shown(text).split()).replace("|", "/")
