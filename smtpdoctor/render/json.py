"""The JSON document for machines.  Its shape is versioned: ``schema_version`` changes
whenever a field is removed or changes meaning; new fields may appear at any time.

Every string in it is made safe as in every other format
(:func:`~smtpdoctor.protocol.safetext.safe_data`): a bidi override or an escape sequence a
server sent is in the value as its escape (``\\u202e``, ``\\x1b``), so an editor or a
log viewer that shows the value shows no spoofed text; line feeds and tabs stay (JSON
writes them as ``\\n`` and ``\\t``).

A run that could not be carried out (exit code 3, or 130 before it started) is an error
document instead (:func:`render_json_failure`): the same ``schema``, ``schema_version``,
``tool``, ``exit_code`` and ``status``, and an ``error`` object instead of the checks.
"""

from __future__ import annotations

import json
from typing import Any

from smtpdoctor._version import __version__
from smtpdoctor.discovery.providers import provider_by_id
from smtpdoctor.model.results import CheckResult, Hint, Report, TranscriptLine
from smtpdoctor.model.words import ExitCode, FailureKind
from smtpdoctor.protocol.safetext import safe_data, safe_text

SCHEMA = "https://smtpdoctor.dev/schema/report"
SCHEMA_VERSION = 1


def render_json(report: Report, *, transcript: bool = False) -> str:
    """The report as an indented JSON document (with the transcript when asked)."""
    return json.dumps(report_to_dict(report, transcript=transcript), indent=2, ensure_ascii=False)


def report_to_dict(report: Report, *, transcript: bool = False) -> dict[str, Any]:
    """The report as plain JSON-compatible data, every string made safe to show."""
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "smtpdoctor", "version": report.tool_version},
        "target": {
            "host": report.target.host,
            "port": report.target.port,
            "tls_mode": report.target.tls_mode,
        },
        "started_at": report.started_at.isoformat(),
        "duration_seconds": round(report.duration, 6),
        "exit_code": report.exit_status,
        "status": "interrupted" if report.interrupted else report.exit_code.name.lower(),
        "interrupted": report.interrupted,
        "certificate_verification": not report.verification_disabled,
        "provider": _provider(report),
        "environment": _environment(report),
        "software": _software(report),
        "checks": [check_to_dict(result) for result in report.results],
    }
    if transcript:
        document["transcript"] = [_line(line) for line in report.transcript]
    return safe_data(document)


def render_json_failure(
    message: str, *, kind: FailureKind, exit_code: int, schema: str = SCHEMA
) -> str:
    """The error document of a run that could not be carried out: why (``message``, on one
    line), what kind of failure it was, and the exit code — in the shape of ``schema``'s
    documents (a report's by default; a domain audit's for ``smtpdoctor domain``)."""
    document = {
        "schema": schema,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "smtpdoctor", "version": __version__},
        "exit_code": exit_code,
        "status": "interrupted" if exit_code == ExitCode.INTERRUPTED else "unknown",
        "interrupted": exit_code == ExitCode.INTERRUPTED,
        "error": {"kind": kind.value, "message": safe_text(" ".join(message.split()))},
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def check_to_dict(result: CheckResult) -> dict[str, Any]:
    """One row as JSON data: id, title, status, summary, finding, reply, details, hints."""
    outcome = result.outcome
    reply = None
    if outcome.reply_code is not None:
        reply = {
            "code": outcome.reply_code,
            "enhanced_code": outcome.enhanced_code,
            "text": outcome.reply_text,
        }
    return {
        "id": result.check_id,
        "title": result.title,
        "status": result.status.value,
        "summary": result.summary,
        "finding": outcome.finding,
        "reply": reply,
        "details": {key: _jsonable(value) for key, value in outcome.details.items()},
        "hints": [_hint(hint) for hint in result.hints],
        "duration_seconds": result.duration,
    }


def _provider(report: Report) -> dict[str, Any] | None:
    """The recognised provider: its id and name, and how it was recognised (``clue``: one
    of ``host-name``, ``mail-domain``, ``mx``, ``certificate``, ``ehlo-domain``,
    ``greeting``, ``login``; ``seen``: what gave it away)."""
    provider = provider_by_id(report.provider) if report.provider else None
    if provider is None:
        return None
    clue = report.provider_clue
    recognised_by = {"clue": clue.clue.value, "seen": clue.seen} if clue is not None else None
    return {"id": provider.id, "name": provider.name, "recognised_by": recognised_by}


def _software(report: Report) -> dict[str, Any] | None:
    """The recognised server software: its id, name and version (``null`` when the server
    did not show it), and what gave it away (``"greeting: ESMTP Exim 4.96"``)."""
    software = report.software
    if software is None:
        return None
    return {
        "id": software.id,
        "name": software.name,
        "version": software.version,
        "recognised_by": software.evidence,
    }


def _environment(report: Report) -> dict[str, Any] | None:
    """The cloud or hosting provider this machine runs on: its id, name and what gave it
    away (``"DMI product_name"``); ``null`` when it was not recognised."""
    environment = report.environment
    if environment is None:
        return None
    return {
        "id": environment.provider_id,
        "name": environment.name,
        "evidence": environment.evidence,
    }


def _hint(hint: Hint) -> dict[str, Any]:
    return {"title": hint.title, "steps": list(hint.steps), "url": hint.url}


def _line(line: TranscriptLine) -> dict[str, Any]:
    return {"at": line.at, "direction": line.direction, "text": line.text}


def _jsonable(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
