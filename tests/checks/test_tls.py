"""``tls``: STARTTLS or implicit TLS, and every way the upgrade goes wrong."""

from __future__ import annotations

import time

import pytest

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import ExitCode, TLSMode
from smtpdoctor.settings import config
from smtpdoctor.settings.config import RunConfig

from tests.checks.checkkit import (
    EHLO_WITH_STARTTLS,
    GREETING,
    QUIT_ANSWERED,
    MakeServer,
    RunCheck,
    StartScripted,
    hint_titles,
    row,
    transcript_lines,
)

HANG_MARGIN = 3.0


def test_starttls_passes_naming_the_version_and_cipher(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, password=None)

    result = row(report, "tls")
    assert result.status is Status.PASS
    assert result.outcome.finding is None
    details = result.outcome.details
    assert details["mode"] == "starttls"
    assert details["version"] in ("TLSv1.2", "TLSv1.3")
    assert details["verified"] is True
    assert result.summary == (
        f"STARTTLS: {details['version']}, {details['cipher']} ({details['cipher_bits']}-bit)"
    )
    lines = transcript_lines(report)
    starttls_at = lines.index("C STARTTLS")
    assert any(line.startswith("C EHLO") for line in lines[starttls_at:]), "EHLO again in TLS"


def test_implicit_tls_passes_naming_the_version_and_cipher(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(tls="implicit")

    report = run_check(server, password=None)

    result = row(report, "tls")
    assert result.status is Status.PASS
    assert result.summary.startswith("implicit TLS: TLSv1.")
    assert str(result.outcome.details["cipher"]) in result.summary
    assert result.outcome.details["mode"] == "implicit"
    assert "C STARTTLS" not in transcript_lines(report)


def test_a_server_without_starttls_on_a_non_submission_port_is_a_warning(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    # The server's port is random, hence not a submission port: a missing STARTTLS is then
    # a WARN (a port-25 MX may lack it); on a submission port the same thing is a FAIL.
    server = make_server(tls="none")

    report = run_check(server, password=None, tls=TLSMode.STARTTLS)

    result = row(report, "tls")
    assert result.status is Status.WARN
    assert result.outcome.finding == "tls.starttls-not-offered"
    assert result.summary.startswith("the server does not offer STARTTLS")
    assert "in clear" in result.summary
    assert "No encryption offered on this port" in hint_titles(result)


def test_port_587_counts_as_a_submission_port() -> None:
    # The FAIL branch of "STARTTLS not offered" depends only on this property.
    assert RunConfig(host="127.0.0.1", port=587).is_submission_port
    assert not RunConfig(host="127.0.0.1", port=25).is_submission_port


def test_a_server_without_starttls_on_a_submission_port_fails(
    make_server: MakeServer, run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 587 cannot be bound in a test: the server's random port is declared a
    # submission port instead.
    server = make_server(tls="none")
    monkeypatch.setattr(config, "SUBMISSION_PORTS", frozenset({server.port}))

    report = run_check(server, password=None, tls=TLSMode.STARTTLS)

    result = row(report, "tls")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tls.starttls-not-offered"
    assert report.exit_code is ExitCode.CRITICAL


def test_a_454_to_starttls_fails_as_refused_quoting_the_server(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [
            GREETING,
            "recv",
            EHLO_WITH_STARTTLS,
            "recv",
            b"454 4.7.0 TLS not available due to local problem\r\n",
            *QUIT_ANSWERED,
        ]
    )

    report = run_check(server.address, password=None)

    result = row(report, "tls")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tls.starttls-refused"
    assert result.summary == (
        "the server offers STARTTLS but refused it: "
        "454 4.7.0 TLS not available due to local problem"
    )
    assert "The server could not start TLS" in hint_titles(result)
    assert row(report, "certificate").summary == "not run: tls failed"


def test_implicit_tls_against_a_starttls_port_fails_and_skips_the_greeting(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(tls="starttls")

    report = run_check(server, password=None, tls=TLSMode.IMPLICIT)

    result = row(report, "tls")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tls.plaintext-on-implicit-port"
    assert "answered the TLS handshake in plaintext" in result.summary
    assert "This port speaks STARTTLS, not implicit TLS" in hint_titles(result)
    greeting = row(report, "greeting")
    assert greeting.status is Status.SKIP
    assert greeting.summary == "not run: tls failed"


def test_plaintext_sent_together_with_the_220_to_starttls_is_flagged_as_injection(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [
            GREETING,
            "recv",
            EHLO_WITH_STARTTLS,
            "recv",
            b"220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected\r\n",
            "recv",
        ]
    )

    report = run_check(server.address, password=None)

    result = row(report, "tls")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tls.protocol-error"
    assert result.summary.startswith("the server broke the SMTP protocol: ")
    assert "STARTTLS injection" in result.summary


def test_plaintext_after_the_220_to_starttls_fails_the_handshake(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [
            GREETING,
            "recv",
            EHLO_WITH_STARTTLS,
            "recv",
            b"220 2.0.0 Ready to start TLS\r\n",
            ("sleep", 0.2),  # arrives during the handshake, not with the 220
            b"250 2.0.0 still talking plaintext\r\n",
            "recv",
        ]
    )

    report = run_check(server.address, password=None)

    result = row(report, "tls")
    assert result.status is Status.FAIL
    assert result.outcome.finding in ("tls.no-tls-after-starttls", "tls.handshake-failed")
    if result.outcome.finding == "tls.no-tls-after-starttls":
        assert "did not start TLS (it kept talking plaintext)" in result.summary
    else:
        assert result.summary.startswith("TLS handshake failed: ")


def test_a_handshake_that_stalls_times_out_within_the_timeout(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([GREETING, "recv", EHLO_WITH_STARTTLS, "recv", b"220 2.0.0 Go ahead\r\n"])

    started = time.monotonic()
    report = run_check(server.address, password=None, timeout=1.0)
    elapsed = time.monotonic() - started

    result = row(report, "tls")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tls.timeout"
    assert result.summary == "timed out: the TLS handshake did not finish in time"
    assert elapsed < 1.0 + HANG_MARGIN  # hang guard, not a benchmark


def test_tls_none_skips_tls_and_the_certificate(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, password=None, tls=TLSMode.NONE)

    tls = row(report, "tls")
    assert tls.status is Status.SKIP
    assert tls.summary == "not attempted (--tls none): nothing is encrypted"
    certificate = row(report, "certificate")
    assert certificate.status is Status.SKIP
    assert certificate.summary == "not run: tls was skipped"
    assert "C STARTTLS" not in transcript_lines(report)


def test_insecure_says_the_certificate_was_not_verified(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, password=None, insecure=True)

    result = row(report, "tls")
    assert result.status is Status.PASS
    assert result.summary.endswith("; certificate NOT verified (--insecure)")
    assert result.outcome.details["verified"] is False
    assert report.verification_disabled
