"""The whole pipeline against real local servers: one connection, every row, in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.results import Report, Status
from smtpdoctor.model.words import ExitCode, TLSMode

RunCheck = Callable[..., Report]


def statuses(report: Report) -> dict[str, Status]:
    return {result.check_id: result.status for result in report.results}


def test_a_full_check_of_a_starttls_server_passes_every_row(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server)

    assert [r.check_id for r in report.results] == [
        "tcp",
        "greeting",
        "ehlo",
        "tls",
        "certificate",
        "auth",
        "posture",
    ]
    assert set(statuses(report).values()) == {Status.PASS}
    assert report.exit_code is ExitCode.OK


def test_a_full_check_uses_exactly_one_connection(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    run_check(smtp_server)

    assert smtp_server.connections == 1


def test_implicit_tls_handshakes_before_the_greeting(
    make_server: Callable[..., LocalSMTPServer], run_check: RunCheck
) -> None:
    server = make_server(tls="implicit")

    report = run_check(server)

    order = [r.check_id for r in report.results]
    assert order.index("tls") < order.index("greeting")
    assert set(statuses(report).values()) == {Status.PASS}
    tls = report.result("tls")
    assert tls is not None and tls.summary.startswith("implicit TLS: TLSv1.3")
    assert server.connections == 1


def test_a_wrong_password_fails_only_the_auth_row_and_exits_2(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, password="wrong")

    assert statuses(report) == {
        "tcp": Status.PASS,
        "greeting": Status.PASS,
        "ehlo": Status.PASS,
        "tls": Status.PASS,
        "certificate": Status.PASS,
        "auth": Status.FAIL,
        "posture": Status.PASS,
    }
    assert report.exit_code is ExitCode.CRITICAL
    assert smtp_server.connections == 1


def test_the_session_ends_with_quit(smtp_server: LocalSMTPServer, run_check: RunCheck) -> None:
    report = run_check(smtp_server)

    client_lines = [line.text for line in report.transcript if line.direction == "C"]
    assert client_lines[-1] == "QUIT"
    assert report.transcript[-1].text.startswith("221")


def test_the_transcript_shows_both_directions_with_auth_redacted(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server)

    texts = [f"{line.direction} {line.text}" for line in report.transcript]
    assert "C STARTTLS" in texts
    assert any(text.startswith("S 220 ") for text in texts)
    assert "C AUTH PLAIN [redacted]" in texts


def test_a_dependency_failure_skips_what_depends_on_it_with_the_reason(
    run_check: RunCheck, scripted: Callable[[list[Any]], Any]
) -> None:
    server = scripted([b"554 5.7.1 No SMTP service here\r\n", "recv"])

    report = run_check(server.address, tls=TLSMode.STARTTLS)

    greeting = report.result("greeting")
    assert greeting is not None and greeting.status is Status.FAIL
    for check_id in ("ehlo", "tls", "certificate", "auth"):
        result = report.result(check_id)
        assert result is not None
        assert result.status is Status.SKIP
        assert result.summary == "not run: greeting failed"
