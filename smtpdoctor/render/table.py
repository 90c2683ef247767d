"""The table for people: one row per check — status, what we saw, what to do."""

from __future__ import annotations

import textwrap

from smtpdoctor.discovery.providers import provider_by_id
from smtpdoctor.model.results import CheckResult, Report, Status
from smtpdoctor.model.words import ExitCode
from smtpdoctor.protocol.reply import TERMINAL_ESCAPES

_COLORS = {
    Status.PASS: "32",
    Status.INFO: "36",
    Status.SKIP: "2",
    Status.WARN: "33",
    Status.FAIL: "31",
    Status.ERROR: "35",
}
_TALLY_ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.INFO, Status.SKIP)
#: What :func:`shown` does: line breaks become spaces (as ``textwrap`` makes them anyway),
#: every other character a terminal would obey is escaped.
_SHOWN = {**TERMINAL_ESCAPES, **dict.fromkeys(map(ord, "\n\r\x0b\x0c"), " ")}
_VERDICTS = {
    ExitCode.OK: "OK",
    ExitCode.WARNING: "WARNING",
    ExitCode.CRITICAL: "FAILED",
    ExitCode.UNKNOWN: "UNKNOWN",
}


def render_table(report: Report, *, color: bool = False, width: int = 120) -> str:
    """The report as a table sized to ``width`` columns, with a heading and a verdict line."""
    from tabulate import tabulate  # costs ~40 ms (it imports importlib.metadata): only here

    seen_width = max(30, (width - 34) * 5 // 9)
    todo_width = max(24, width - 34 - seen_width)
    rows = [
        [
            result.check_id,
            _status(result.status, color),
            _ms(result),
            textwrap.fill(shown(result.summary), seen_width),
            _what_to_do(result, todo_width),
        ]
        for result in report.results
    ]
    table = tabulate(
        rows,
        headers=["Check", "Status", "Time", "What we saw", "What to do"],
        tablefmt="simple",
        disable_numparse=True,
    )
    return "\n".join([_heading(report), "", table, "", _verdict(report)])


def render_transcript(report: Report) -> str:
    """The conversation, one line per event: seconds, direction (C/S/*), text."""
    return "\n".join(
        f"{line.at:8.3f} {line.direction} {shown(line.text)}" for line in report.transcript
    )


def shown(text: str) -> str:
    """``text`` on one line, safe for a terminal: the characters it would obey rather than
    show (escape sequences, bidi overrides) escaped as in SMTP replies.  Results carry text
    from servers that the reply parser never saw (certificate names, IMAP errors and folder
    names)."""
    return text.translate(_SHOWN)


def _heading(report: Report) -> str:
    target = report.target
    heading = (
        f"smtpdoctor {report.tool_version} — {target.host} port {target.port} "
        f"({target.tls_mode}) — {report.started_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    provider = provider_by_id(report.provider) if report.provider else None
    if provider is not None:
        heading += f"\nProvider: {provider.name}"
    if report.verification_disabled:
        heading += "\nWARNING: certificate verification is OFF (--insecure)"
    return heading


def _verdict(report: Report) -> str:
    counts: dict[Status, int] = {}
    for result in report.results:
        counts[result.status] = counts.get(result.status, 0) + 1
    tally = ", ".join(
        f"{counts[status]} {status.value}" for status in _TALLY_ORDER if status in counts
    )
    code = report.exit_code
    verdict = "INTERRUPTED (Ctrl-C), partial report" if report.interrupted else _VERDICTS[code]
    return f"{verdict}: {tally} in {report.duration:.2f} s (exit code {report.exit_status})"


def _status(status: Status, color: bool) -> str:
    label = status.name
    return f"\x1b[{_COLORS[status]}m{label}\x1b[0m" if color else label


def _ms(result: CheckResult) -> str:
    if result.status is Status.SKIP:
        return ""
    return f"{result.duration * 1000:.0f} ms"


def _what_to_do(result: CheckResult, width: int) -> str:
    blocks: list[str] = []
    for hint in result.hints:
        lines = [textwrap.fill(shown(hint.title), width)]
        lines += [
            textwrap.fill(shown(step), width, initial_indent="- ", subsequent_indent="  ")
            for step in hint.steps
        ]
        if hint.url:
            lines.append(shown(hint.url))
        blocks.append("\n".join(lines))
    return "\n".join(blocks)
