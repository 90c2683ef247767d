"""``auth`` with PLAIN and LOGIN: which mechanisms the server offers, whether our login
works, and that the password is only ever sent where it is safe and never shown."""

from __future__ import annotations

import pytest

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import AuthMechanism, ExitCode, TLSMode

from tests.auth.authkit import (
    PASSWORD,
    USER,
    MakeServer,
    RunCheck,
    Script,
    StartScripted,
    auth_server,
    b64,
    hint_titles,
    row,
    transcript_lines,
)


def plaintext_auth_server(failure: bytes) -> Script:
    """A server without STARTTLS that offers PLAIN and LOGIN and answers AUTH with
    ``failure``."""
    return auth_server(("PLAIN", "LOGIN"), failure)


def test_a_plain_login_passes(smtp_server: LocalSMTPServer, run_check: RunCheck) -> None:
    report = run_check(smtp_server)

    result = row(report, "auth")
    assert result.status is Status.PASS
    assert result.outcome.finding is None
    assert result.summary == f"logged in as {USER} with PLAIN (AUTH only after STARTTLS)"
    assert result.outcome.details["mechanism"] == "PLAIN"
    assert result.outcome.details["user"] == USER
    assert smtp_server.auth_attempts == [(USER, True)]
    assert "C AUTH PLAIN [redacted]" in transcript_lines(report)


def test_a_login_login_passes_and_redacts_both_answers(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, auth_mechanism=AuthMechanism.LOGIN)

    result = row(report, "auth")
    assert result.status is Status.PASS
    assert result.summary == f"logged in as {USER} with LOGIN (AUTH only after STARTTLS)"
    assert smtp_server.auth_attempts == [(USER, True)]
    lines = transcript_lines(report)
    start = lines.index("C AUTH LOGIN")
    exchange = lines[start : start + 6]
    assert exchange[1].startswith("S 334 ")  # user-name challenge
    assert exchange[2] == "C [redacted]"  # the user name is part of the credentials
    assert exchange[3].startswith("S 334 ")  # password challenge
    assert exchange[4] == "C [redacted]"
    assert exchange[5].startswith("S 235 ")
    everything = "\n".join(lines)
    assert PASSWORD not in everything
    assert b64(PASSWORD) not in everything


def test_a_wrong_password_fails_as_rejected_with_the_wrong_password_hint(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, password="not the password")

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.rejected"
    assert result.summary.startswith(f"login as {USER} with PLAIN refused: 535 ")
    assert result.outcome.reply_code == 535
    assert "The user name or password is wrong" in hint_titles(result)
    assert smtp_server.auth_attempts == [(USER, False)]
    assert "not the password" not in "\n".join(transcript_lines(report))
    assert report.exit_code is ExitCode.CRITICAL


def test_without_credentials_the_mechanisms_are_listed_for_information(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, password=None)

    result = row(report, "auth")
    assert result.status is Status.INFO
    assert result.summary == (
        "offers LOGIN PLAIN (AUTH only after STARTTLS); give --user to test a login"
    )
    assert result.outcome.details["mechanisms"] == ("LOGIN", "PLAIN")
    assert smtp_server.auth_attempts == []


def test_credentials_for_a_server_that_offers_no_auth_fail_as_not_offered(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(users={})

    report = run_check(server)

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.not-offered"
    assert result.summary == "the server offers no AUTH, so it cannot log you in here"
    # smtpdoctor looked after STARTTLS: no sending the user to look there
    assert hint_titles(result) == ["The server offers no login here, not even inside TLS"]


def test_no_auth_and_no_credentials_on_a_non_submission_port_is_just_information(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(users={})

    report = run_check(server, password=None)

    result = row(report, "auth")
    assert result.status is Status.INFO
    assert result.summary == "no AUTH offered (normal for a port-25 MX)"


def test_the_password_is_not_sent_over_a_plaintext_connection(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(tls="none", auth_require_tls=False)

    report = run_check(server)

    result = row(report, "auth")
    assert result.status is Status.SKIP
    assert result.outcome.finding == "auth.not-attempted"
    assert result.summary.startswith("not attempted: the connection is not encrypted")
    assert "--allow-plaintext-auth" in result.summary
    assert server.auth_attempts == []
    assert not any(line.startswith("C AUTH") for line in transcript_lines(report))


def test_allow_plaintext_auth_logs_in_over_a_plaintext_connection(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(tls="none", auth_require_tls=False)

    report = run_check(server, allow_plaintext_auth=True)

    result = row(report, "auth")
    assert result.status is Status.PASS
    assert server.auth_attempts == [(USER, True)]


def test_no_common_mechanism_fails_naming_both_sides(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(auth_server(("GSSAPI", "NTLM")))

    report = run_check(server.address, tls=TLSMode.NONE, allow_plaintext_auth=True)

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.no-common-mechanism"
    assert result.summary == (
        "no common mechanism: the server offers GSSAPI NTLM, smtpdoctor can use "
        "PLAIN LOGIN CRAM-MD5 with the secret given"
    )
    assert "No login method in common" in hint_titles(result)
    assert not any(data.startswith(b"AUTH") for data in server.received)


@pytest.mark.parametrize(
    ("failure", "quoted", "finding", "hint"),
    [
        (
            b"535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
            b"535 5.7.8  https://support.google.com/mail/?p=BadCredentials\r\n",
            "535 5.7.8 Username and Password not accepted. For more information, go to",
            "auth.rejected",
            "Gmail refused the password",
        ),
        (
            b"534-5.7.9 Application-specific password required. Learn more at\r\n"
            b"534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor\r\n",
            "534 5.7.9 Application-specific password required. Learn more at",
            "auth.mechanism-too-weak",
            "Gmail wants an app password",
        ),
        (
            b"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
            b"for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.\r\n",
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
            "for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
            "auth.rejected",
            "Microsoft 365 has SMTP AUTH turned off",
        ),
    ],
    ids=["gmail-bad-credentials", "gmail-app-password", "microsoft-smtp-auth-disabled"],
)
def test_a_providers_refusal_gets_the_providers_hint(
    failure: bytes,
    quoted: str,
    finding: str,
    hint: str,
    scripted: StartScripted,
    run_check: RunCheck,
) -> None:
    server = scripted(plaintext_auth_server(failure))

    report = run_check(server.address, tls=TLSMode.NONE, allow_plaintext_auth=True)

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == finding
    assert result.summary == f"login as {USER} with PLAIN refused: {quoted}"
    assert hint in hint_titles(result)
    assert any(data.startswith(b"AUTH PLAIN ") for data in server.received)
