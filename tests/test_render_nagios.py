"""The Nagios/Icinga status line: state, what matters most, perfdata, long output."""

from __future__ import annotations

from datetime import UTC, datetime

from smtpdoctor.model.results import CheckResult, Outcome, Report, Status, Target
from smtpdoctor.model.words import TLSMode
from smtpdoctor.render.nagios import render_nagios


def report(*results: CheckResult) -> Report:
    return Report(
        target=Target("smtp.example.com", 587, TLSMode.STARTTLS),
        results=results,
        started_at=datetime(2026, 11, 30, tzinfo=UTC),
        duration=0.125,
        tool_version="9.9.9",
    )


def result(check_id: str, status: Status, summary: str, duration: float = 0.01) -> CheckResult:
    return CheckResult(check_id, check_id, Outcome(status, summary), duration=duration)


CERTIFICATE = CheckResult(
    "certificate",
    "Certificate",
    Outcome(Status.PASS, "valid", details={"days_left": 64, "warn_days": 14, "crit_days": 3}),
    duration=0.001,
)


def test_all_passing_is_ok_with_a_timing_per_step_and_the_days_left() -> None:
    text = render_nagios(report(result("tcp", Status.PASS, "connected", 0.021), CERTIFICATE))

    assert text == (
        "SMTP OK - smtp.example.com:587: 2 checks passed in 0.125 s | "
        "time=0.125000s;;;0; time_tcp=0.021000s;;;0; time_certificate=0.001000s;;;0; "
        "cert_days_left=64;14:;3:;;"
    )


def test_the_first_failure_speaks_for_the_run_and_problems_follow_as_long_output() -> None:
    text = render_nagios(
        report(
            result("tcp", Status.PASS, "connected"),
            result("tls", Status.WARN, "TLSv1.1 is outdated"),
            result("auth", Status.FAIL, "login refused: 535 5.7.8 Bad | credentials\nnext"),
            result("send", Status.SKIP, "not run: auth failed"),
        )
    )

    first, *long_output = text.splitlines()
    status, perfdata = first.split(" | ")
    assert status == (
        "SMTP CRITICAL - smtp.example.com:587: "
        "auth: login refused: 535 5.7.8 Bad / credentials next"
    )
    assert "time_send" not in perfdata  # skipped steps have no timing
    assert long_output == [
        "WARN tls: TLSv1.1 is outdated",
        "FAIL auth: login refused: 535 5.7.8 Bad / credentials next",
        "SKIP send: not run: auth failed",
    ]


def test_a_warning_run_says_warning_and_counts_the_others() -> None:
    text = render_nagios(
        report(
            result("tls", Status.WARN, "outdated"),
            result("certificate", Status.WARN, "expires in 9 days"),
        )
    )

    assert text.startswith("SMTP WARNING - smtp.example.com:587: tls: outdated (+1 more) | ")


def test_labels_use_underscores() -> None:
    text = render_nagios(report(result("banner-host", Status.PASS, "ok")))

    assert "time_banner_host=0.010000s;;;0;" in text


def test_server_text_cannot_drive_the_terminal_through_the_long_output() -> None:
    text = render_nagios(report(result("certificate", Status.FAIL, "CN=\x1b[2Jmx\u202e | x")))

    assert "\x1b" not in text and "\u202e" not in text
    assert "certificate: CN=\\x1b[2Jmx\\u202e / x" in text


def test_one_passing_check_is_one_check() -> None:
    text = render_nagios(report(result("tcp", Status.PASS, "connected", 0.021)))

    assert text.startswith("SMTP OK - smtp.example.com:587: 1 check passed in ")
