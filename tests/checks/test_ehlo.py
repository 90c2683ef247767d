"""``ehlo``: introduce ourselves, learn the extensions, fall back to HELO when we must."""

from __future__ import annotations

import pytest

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import ExitCode, TLSMode

from tests.checks.checkkit import (
    GREETING,
    QUIT_ANSWERED,
    RunCheck,
    StartScripted,
    hint_titles,
    row,
    transcript_lines,
)


def test_ehlo_passes_and_lists_the_extensions_a_person_looks_for(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, password=None)

    result = row(report, "ehlo")
    assert result.status is Status.PASS
    assert result.outcome.finding is None
    assert result.summary.startswith("localhost offers ")
    assert "STARTTLS" in result.summary
    assert "SIZE 34 MB" in result.summary
    details = result.outcome.details
    assert details["domain"] == "localhost"
    extensions = details["extensions"]
    assert isinstance(extensions, tuple)
    assert "STARTTLS" in extensions
    assert "SIZE 33554432" in extensions
    assert details["size_limit"] == 33554432
    assert details["masked"] == ()


@pytest.mark.parametrize(
    ("announced", "shown"),
    [
        (b"SIZE 500", "SIZE 500 B"),
        (b"SIZE 10240", "SIZE 10 KB"),
        (b"SIZE 1500000000", "SIZE 1.5 GB"),
        (b"SIZE 0", "SIZE (no limit announced)"),
        (b"SIZE", "SIZE (no limit announced)"),
    ],
)
def test_a_size_limit_is_shown_in_a_unit_that_never_rounds_it_to_zero(
    scripted: StartScripted, run_check: RunCheck, announced: bytes, shown: str
) -> None:
    ehlo = b"250-mail.example.test\r\n250-" + announced + b"\r\n250 8BITMIME\r\n"
    server = scripted([GREETING, "recv", ehlo, *QUIT_ANSWERED])

    report = run_check(server.address, password=None, tls=TLSMode.NONE)

    result = row(report, "ehlo")
    assert result.summary == f"mail.example.test offers {shown}, 8BITMIME"


def test_ehlo_reports_the_capabilities_seen_before_tls(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    # The demo server offers AUTH only inside TLS: the ehlo row shows the cleartext side.
    report = run_check(smtp_server, password=None)

    result = row(report, "ehlo")
    assert result.outcome.details["auth_mechanisms"] == ()
    assert "AUTH" not in result.summary


def test_a_server_that_refuses_ehlo_but_accepts_helo_is_a_warning(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [
            GREETING,
            "recv",
            b"502 5.5.2 Error: command not recognized\r\n",
            "recv",
            b"250 mail.example.test\r\n",
            *QUIT_ANSWERED,
        ]
    )

    report = run_check(server.address, password=None)

    result = row(report, "ehlo")
    assert result.status is Status.WARN
    assert result.outcome.finding == "ehlo.helo-only"
    assert result.summary.startswith(
        "EHLO was refused (502 5.5.2 Error: command not recognized) but HELO works"
    )
    assert "no STARTTLS, no AUTH" in result.summary
    assert "The server speaks only old SMTP" in hint_titles(result)
    sent = [line for line in transcript_lines(report) if line.startswith("C ")]
    assert [line.split()[1] for line in sent[:2]] == ["EHLO", "HELO"]


def test_a_server_that_refuses_both_ehlo_and_helo_fails(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [
            GREETING,
            "recv",
            b"550 5.7.1 Go away\r\n",
            "recv",
            b"550 5.7.1 Really, go away\r\n",
            *QUIT_ANSWERED,
        ]
    )

    report = run_check(server.address, password=None)

    result = row(report, "ehlo")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "ehlo.rejected"
    assert result.summary == (
        "the server refused EHLO (550 5.7.1 Go away) and HELO (550 5.7.1 Really, go away)"
    )
    assert result.outcome.reply_code == 550
    assert "helo_name" in result.outcome.details
    assert "The server does not accept our introduction" in hint_titles(result)
    assert row(report, "tls").summary == "not run: ehlo failed"
    assert report.exit_code is ExitCode.CRITICAL


def test_a_421_to_ehlo_fails_as_the_session_closed(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([GREETING, "recv", b"421 4.3.2 System shutting down\r\n", "recv"])

    report = run_check(server.address, password=None)

    result = row(report, "ehlo")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "ehlo.closed"
    assert result.summary == "the server closed the session: 421 4.3.2 System shutting down"


def test_a_masked_starttls_line_is_recognised_and_fails_the_tls_check(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [
            GREETING,
            "recv",
            b"250-mail.example.test\r\n250-PIPELINING\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n",
            *QUIT_ANSWERED,
        ]
    )

    report = run_check(server.address, password=None)

    ehlo = row(report, "ehlo")
    assert ehlo.status is Status.PASS
    assert ehlo.outcome.details["masked"] == ("XXXXXXXA",)
    assert "STARTTLS" not in ehlo.summary
    tls = row(report, "tls")
    assert tls.status is Status.FAIL
    assert tls.outcome.finding == "tls.starttls-masked"
    assert "STARTTLS is hidden" in tls.summary
    assert "XXXXXXXA" in tls.summary
    assert "Something between you and the server strips STARTTLS" in hint_titles(tls)
