"""What ``/probe`` answers: one probe's metrics in the Prometheus text format, or with
``debug=true`` the human report, as blackbox_exporter does."""

from __future__ import annotations

from smtpdoctor.protocol.safetext import safe_text
from smtpdoctor.serve.history import ProbeRecord


def probe_exposition(record: ProbeRecord) -> str:
    """The metrics of ``record``: :func:`~smtpdoctor.render.prometheus.render_prometheus` of
    its report, after its notes as comments (``# test message not sent: ...``); a probe
    that ran no check (no free slot in time, a password file that cannot be read) is
    ``probe_success 0`` with its duration."""
    from smtpdoctor.render.prometheus import render_prometheus, render_prometheus_failure

    comments = "".join(f"# {_one_line(note)}\n" for note in record.notes)
    if record.report is not None:
        return comments + render_prometheus(record.report)
    return comments + render_prometheus_failure(record.duration)


def probe_debug_text(record: ProbeRecord) -> str:
    """``record`` for people: the notes, the table and the (redacted) transcript."""
    from smtpdoctor.render.table import render_table, render_transcript

    lines = [
        f"Probe {record.id} of {safe_text(record.target)} with module {record.module}: "
        f"{record.result} in {record.duration:.3f} s, "
        f"started {record.started.isoformat(timespec='seconds')}"
    ]
    lines += [f"Note: {safe_text(note)}" for note in record.notes]
    if record.report is not None:
        lines += ["", render_table(record.report, color=False, width=120)]
        lines += ["", "Transcript (secrets redacted):", render_transcript(record.report)]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(safe_text(text).split())
