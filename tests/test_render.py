"""Renderers derive everything from the report: the table for people, JSON for machines."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from smtpdoctor.model.results import (
    CheckResult,
    Hint,
    Outcome,
    Report,
    Status,
    Target,
    TranscriptLine,
    exit_code_for,
)
from smtpdoctor.model.words import ExitCode, TLSMode
from smtpdoctor.render import render_json, render_table, render_transcript


def make_report(*results: CheckResult, insecure: bool = False) -> Report:
    return Report(
        target=Target("smtp.example.com", 587, TLSMode.STARTTLS),
        results=results,
        started_at=datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        duration=0.25,
        tool_version="9.9.9",
        verification_disabled=insecure,
        transcript=(
            TranscriptLine(0.0, "*", "connected to 192.0.2.1 port 587"),
            TranscriptLine(0.01, "S", "220 smtp.example.com ESMTP"),
            TranscriptLine(0.02, "C", "AUTH PLAIN [redacted]"),
        ),
    )


PASSED = CheckResult("tcp", "TCP connection", Outcome(Status.PASS, "connected"), duration=0.012)
FAILED = CheckResult(
    "auth",
    "Authentication",
    Outcome(
        Status.FAIL,
        "login refused: 535 5.7.8 Bad credentials",
        finding="auth.rejected",
        reply_code=535,
        enhanced_code="5.7.8",
        reply_text="5.7.8 Bad credentials",
        details={"mechanisms": ("PLAIN", "LOGIN")},
    ),
    hints=(Hint("The password is wrong", ("Use an app password.",), "https://example.test/help"),),
    duration=0.003,
)
SKIPPED = CheckResult("send", "Test send", Outcome(Status.SKIP, "not run: auth failed"))


def test_the_table_has_a_row_per_check_with_what_to_do() -> None:
    table = render_table(make_report(PASSED, FAILED, SKIPPED))

    lines = table.splitlines()
    assert (
        lines[0]
        == "smtpdoctor 9.9.9 — smtp.example.com port 587 (starttls) — 2026-11-30 12:00:00 UTC"
    )
    assert any(line.startswith("tcp") and "PASS" in line and "12 ms" in line for line in lines)
    assert any(line.startswith("auth") and "FAIL" in line for line in lines)
    assert "The password is wrong" in table
    assert "- Use an app password." in table
    assert "https://example.test/help" in table
    assert lines[-1] == "FAILED: 1 fail, 1 pass, 1 skip in 0.25 s (exit code 2)"


def test_the_table_is_plain_text_unless_colour_is_asked_for() -> None:
    report = make_report(PASSED, FAILED)

    assert "\x1b[" not in render_table(report)
    assert "\x1b[31mFAIL\x1b[0m" in render_table(report, color=True)


def test_the_table_warns_loudly_when_verification_was_off() -> None:
    table = render_table(make_report(PASSED, insecure=True))

    assert "WARNING: certificate verification is OFF (--insecure)" in table


def test_json_carries_every_fact_of_the_report() -> None:
    document = json.loads(render_json(make_report(PASSED, FAILED, SKIPPED)))

    assert document["schema_version"] == 1
    assert document["tool"] == {"name": "smtpdoctor", "version": "9.9.9"}
    assert document["status"] == "critical"
    assert document["exit_code"] == 2
    assert document["certificate_verification"] is True
    auth = document["checks"][1]
    assert auth == {
        "id": "auth",
        "title": "Authentication",
        "status": "fail",
        "summary": "login refused: 535 5.7.8 Bad credentials",
        "finding": "auth.rejected",
        "reply": {"code": 535, "enhanced_code": "5.7.8", "text": "5.7.8 Bad credentials"},
        "details": {"mechanisms": ["PLAIN", "LOGIN"]},
        "hints": [
            {
                "title": "The password is wrong",
                "steps": ["Use an app password."],
                "url": "https://example.test/help",
            }
        ],
        "duration_seconds": 0.003,
    }


def test_the_transcript_reads_as_a_conversation() -> None:
    assert render_transcript(make_report(PASSED)).splitlines() == [
        "   0.000 * connected to 192.0.2.1 port 587",
        "   0.010 S 220 smtp.example.com ESMTP",
        "   0.020 C AUTH PLAIN [redacted]",
    ]


def test_exit_codes_follow_the_monitoring_plugins_convention() -> None:
    warn = CheckResult("x", "x", Outcome(Status.WARN, "w"))
    error = CheckResult("y", "y", Outcome(Status.ERROR, "e"))
    info = CheckResult("z", "z", Outcome(Status.INFO, "i"))

    assert exit_code_for((PASSED, info, SKIPPED)) is ExitCode.OK
    assert exit_code_for((PASSED, warn)) is ExitCode.WARNING
    assert exit_code_for((warn, FAILED)) is ExitCode.CRITICAL
    assert exit_code_for((warn, error)) is ExitCode.UNKNOWN
    assert exit_code_for((error, FAILED)) is ExitCode.CRITICAL


def test_server_text_cannot_drive_the_terminal_through_the_table() -> None:
    """Certificate names, IMAP errors and folder names reach results without passing the
    SMTP reply parser, which escapes control characters; the table escapes them too."""
    hostile = CheckResult(
        "delivery",
        "Delivery (IMAP)",
        Outcome(Status.WARN, "delivered to \x1b]0;owned\x07Junk\u202e (Junk/Spam)\r\nok"),
        hints=(Hint("title \x9b2J", ("step \x1b[2J",), "https://x.test/\x1b[8m"),),
    )
    report = replace(
        make_report(hostile),
        transcript=(TranscriptLine(0.0, "*", "IMAP: found in \x1b[31mJunk"),),
    )

    text = render_table(report, width=300) + render_transcript(report)

    assert not any(char in text for char in "\x1b\x07\x9b\u202e\r")
    assert "delivered to \\x1b]0;owned\\x07Junk\\u202e (Junk/Spam)  ok" in text
    assert "- step \\x1b[2J" in text
    assert "found in \\x1b[31mJunk" in text
