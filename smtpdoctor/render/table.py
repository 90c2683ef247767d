"""The table for people: one row per check — status, what we saw, what to do."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from smtpdoctor.discovery.providers import provider_by_id
from smtpdoctor.model.results import CheckResult, Report, Status
from smtpdoctor.model.words import ExitCode
from smtpdoctor.protocol.safetext import safe_text

_COLORS = {
    Status.PASS: "32",
    Status.INFO: "36",
    Status.SKIP: "2",
    Status.WARN: "33",
    Status.FAIL: "31",
    Status.ERROR: "35",
}
_TALLY_ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.INFO, Status.SKIP)
#: The narrowest a column may be squeezed to; a table that would need narrower columns is
#: stacked instead (see :func:`fit_table`).
_MIN_COLUMN = 12
#: tabulate's ``simple`` format: two spaces between columns, and a header padded by two.
_GAP = 2
_HEADER_PADDING = 2
#: Colour codes take no room on the screen.
_SGR = re.compile(r"\x1b\[[0-9;]*m")
#: The verdict line's first word for each exit code (table, pool and domain reports).
VERDICTS = {
    ExitCode.OK: "OK",
    ExitCode.WARNING: "WARNING",
    ExitCode.CRITICAL: "FAILED",
    ExitCode.UNKNOWN: "UNKNOWN",
}


def render_table(report: Report, *, color: bool = False, width: int = 120) -> str:
    """The report as a table that fits ``width`` columns (see :func:`fit_table`), with a
    heading and a verdict line."""
    rows = [
        [
            result.check_id,
            status_label(result.status, color),
            _ms(result),
            shown(result.summary),
            what_to_do(result),
        ]
        for result in report.results
    ]
    table = fit_table(["Check", "Status", "Time", "What we saw", "What to do"], rows, width)
    return "\n".join(
        [wrapped(_heading(report), width), "", table, "", wrapped(_verdict(report), width)]
    )


def fit_table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> str:
    """``rows`` as a tabulate ``simple`` table no line of which is wider than ``width``.

    A table that fits is left alone.  Otherwise the widest columns give up room, each
    narrow column keeping its width (``water-filling``), and their cells are wrapped: at
    spaces where possible, a line starting with ``- `` keeps its hanging indent, and a word
    longer than the column (a URL, a path) is broken.  When that would leave a column
    narrower than :data:`_MIN_COLUMN`, each row is stacked instead: the first cell, then one
    ``Header: value`` line per other cell, wrapped to ``width``.
    """
    from tabulate import tabulate  # costs ~40 ms (it imports importlib.metadata): only here

    widths = _column_widths(headers, rows, width)
    if widths is not None:
        wrapped = [
            [_wrap_cell(cell, w) for cell, w in zip(row, widths, strict=True)] for row in rows
        ]
        table = tabulate(wrapped, headers=list(headers), tablefmt="simple", disable_numparse=True)
        if _longest_line(table) <= width:
            return table
    return _stacked(headers, rows, width)


def _column_widths(
    headers: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> list[int] | None:
    """Each column's width so that the table fits ``width``; ``None`` if it cannot."""
    natural = [
        max([len(header) + _HEADER_PADDING] + [_longest_line(row[i]) for row in rows])
        for i, header in enumerate(headers)
    ]
    room = width - _GAP * (len(headers) - 1)
    widths = list(natural)
    left = sorted(range(len(headers)), key=natural.__getitem__)
    while left:
        share = room // len(left)
        column = left[0]
        if natural[column] > share:
            break
        room -= natural[column]
        left.pop(0)
    else:
        return widths
    share, extra = divmod(room, len(left))
    for rank, column in enumerate(left):
        widths[column] = share + (1 if rank < extra else 0)
        if widths[column] < max(_MIN_COLUMN, len(headers[column]) + _HEADER_PADDING):
            return None
    return widths


def _wrap_cell(cell: str, width: int) -> str:
    """``cell`` wrapped to ``width``, line by line; ``- `` items keep a hanging indent."""
    if _longest_line(cell) <= width:
        return cell
    lines: list[str] = []
    for line in cell.splitlines():
        indent = "  " if line.startswith("- ") else ""
        lines += textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False)
    return "\n".join(lines)


def _stacked(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> str:
    """One block per row: its first cell, then ``Header: value`` for the others."""
    blocks = []
    for row in rows:
        lines = [wrapped(row[0], width)]
        for header, cell in zip(headers[1:], row[1:], strict=True):
            if not cell:
                continue
            first, *rest = cell.splitlines()
            lines.append(wrapped(f"  {header}: {first}", width, indent="    "))
            lines += [wrapped(f"    {line}", width, indent="      ") for line in rest]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def wrapped(text: str, width: int, indent: str = "") -> str:
    """Each line of ``text`` wrapped to ``width`` (at spaces; a longer word is broken),
    continuation lines indented by ``indent``."""
    return "\n".join(
        "\n".join(
            textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False) or [""]
        )
        for line in text.splitlines()
    )


def _longest_line(text: str) -> int:
    """The width on screen of ``text``'s longest line (colour codes take none)."""
    return max((len(line) for line in _SGR.sub("", text).splitlines()), default=0)


def render_transcript(report: Report) -> str:
    """The conversation, one line per event: seconds, direction (C/S/*), text."""
    return "\n".join(
        f"{line.at:8.3f} {line.direction} {shown(line.text)}" for line in report.transcript
    )


def shown(text: str) -> str:
    """``text`` on one line, safe for a terminal: line breaks become spaces, and every
    character a terminal would obey rather than show (an escape sequence, a bidi override, a
    zero-width space) is escaped, as :func:`~smtpdoctor.protocol.safetext.safe_text` does for
    every format.  Results carry text from servers that the reply parser never saw
    (certificate names, IMAP folder names and headers)."""
    return safe_text(text)


def _heading(report: Report) -> str:
    target = report.target
    heading = (
        f"smtpdoctor {report.tool_version} — {shown(target.host)} port {target.port} "
        f"({target.tls_mode}) — {report.started_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    provider = provider_by_id(report.provider) if report.provider else None
    if provider is not None:
        clue = report.provider_clue
        heading += f"\nProvider: {provider.name}"
        heading += f" ({shown(clue.describe())})" if clue is not None else ""
    if report.software is not None:
        software = report.software
        heading += f"\nServer software: {shown(software.describe())}"
        heading += f" (recognised by {shown(software.evidence)})"
    if report.environment is not None:
        heading += f"\nRunning on: {shown(report.environment.describe())}"
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
    verdict = "INTERRUPTED (Ctrl-C), partial report" if report.interrupted else VERDICTS[code]
    return f"{verdict}: {tally} in {report.duration:.2f} s (exit code {report.exit_status})"


def status_label(status: Status, color: bool) -> str:
    """``PASS``, ``FAIL`` …, coloured when ``color``."""
    label = status.name
    return f"\x1b[{_COLORS[status]}m{label}\x1b[0m" if color else label


def _ms(result: CheckResult) -> str:
    if result.status is Status.SKIP:
        return ""
    return f"{result.duration * 1000:.0f} ms"


def what_to_do(result: CheckResult) -> str:
    """The result's hints as text: each title, its steps as ``- `` lines, its URL."""
    blocks: list[str] = []
    for hint in result.hints:
        lines = [shown(hint.title)]
        lines += [f"- {shown(step)}" for step in hint.steps]
        if hint.url:
            lines.append(shown(hint.url))
        blocks.append("\n".join(lines))
    return "\n".join(blocks)
