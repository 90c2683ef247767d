"""The status page (``GET /``) and one probe's page (``GET /probes/ID``), as HTML.

Everything a server sent — banners, replies, certificate names — and everything a request
carried is untrusted: every piece of text goes through :func:`html.escape`, so a banner
``<script>alert(1)</script>`` shows as text, after
:func:`~smtpdoctor.protocol.safetext.safe_text`, so a bidi override shows as ``\\u202e`` as in
every other format.  The pages load nothing from elsewhere; their
one inline style sheet is allowed by its hash in :data:`CONTENT_SECURITY_POLICY`, which
allows no script at all.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from html import escape

from smtpdoctor.protocol.safetext import safe_text
from smtpdoctor.serve.config import ServeConfig
from smtpdoctor.serve.exposition import probe_debug_text
from smtpdoctor.serve.history import ProbeRecord

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse}th,td{padding:.3em .8em;border-bottom:1px solid #ddd;"
    "text-align:left}pre{background:#f6f6f6;padding:1em;overflow-x:auto}"
    ".success{color:#176f2c}.failure{color:#b00020}.error{background:#fde8e8;padding:.5em 1em}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()

#: No script, no frame, no form, nothing from elsewhere; only the page's own style sheet.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: Headers every page is sent with.
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def status_page(
    records: Iterable[ProbeRecord], config: ServeConfig, reload_error: str | None
) -> str:
    """The recent probes, newest first, each linking to its page; the modules; and the
    last reload's error, if it failed."""
    rows = "".join(_row(record) for record in records)
    if not rows:
        rows = '<tr><td colspan="6">No probe yet: ask /probe?target=HOST&amp;module=NAME</td></tr>'
    error = ""
    if reload_error is not None:
        error = (
            '<p class="error" id="reload-error">The last config reload failed; the previous '
            f"config is still in force: {_text(reload_error)}</p>"
        )
    source = _text(str(config.source)) if config.source else "the command line"
    modules = ", ".join(_text(name) for name in config.modules)
    body = (
        "<h1>smtpdoctor serve</h1>"
        f"{error}<p>Config: {source}. Modules: {modules}. "
        '<a href="/metrics">metrics</a> · <a href="/config">config</a></p>'
        "<h2>Recent probes</h2>"
        '<table id="probes"><thead><tr><th>When (UTC)</th><th>Target</th><th>Module</th>'
        "<th>Result</th><th>Duration</th><th>What was seen</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    return _page("smtpdoctor serve", body)


def probe_page(record: ProbeRecord) -> str:
    """One probe: its report and redacted transcript, as text."""
    title = f"Probe {record.id}: {record.target} ({record.module})"
    body = (
        f'<p><a href="/">← recent probes</a></p><h1>{_text(title)}</h1>'
        f'<p class="{_result_class(record)}">{_text(record.result)}</p>'
        f'<pre id="report">{escape(probe_debug_text(record))}</pre>'
    )
    return _page(title, body)


def _row(record: ProbeRecord) -> str:
    when = record.started.strftime("%Y-%m-%d %H:%M:%S")
    return (
        f'<tr><td>{_text(when)}</td><td><a href="/probes/{record.id}">'
        f"{_text(record.target)}</a></td><td>{_text(record.module)}</td>"
        f'<td class="{_result_class(record)}">{_text(record.result)}</td>'
        f"<td>{record.duration:.3f} s</td><td>{_text(_headline(record))}</td></tr>"
    )


def _headline(record: ProbeRecord) -> str:
    """One line about a probe: its first problem, else what the server greeted with."""
    report = record.report
    if report is None:
        return record.notes[0] if record.notes else ""
    problem = next((r for r in report.results if r.status.is_problem), None)
    if problem is not None:
        return f"{problem.check_id}: {problem.summary}"
    greeting = report.result("greeting")
    return greeting.summary if greeting is not None else ""


def _result_class(record: ProbeRecord) -> str:
    return "success" if record.success else "failure"


def _text(text: str) -> str:
    """``text`` on one line, safe to show (:func:`safe_text`), then HTML-escaped."""
    return escape(safe_text(text))


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_text(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
