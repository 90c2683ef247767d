"""``auth`` with CRAM-MD5 and XOAUTH2 against a real aiosmtpd server, and how ``auto``
chooses among the mechanisms offered."""

from __future__ import annotations

import pytest

from smtpdoctor.checks.auth import describe_tls_difference
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import AuthMechanism, ExitCode, TLSMode

from tests.auth.authkit import (
    PASSWORD,
    TOKEN,
    USER,
    WRONG_TOKEN,
    MakeServer,
    RunCheck,
    client_lines_after_auth,
    hint_titles,
    row,
    transcript_lines,
)


def token_login(token: str, user: str = USER, password: str | None = None) -> dict[str, object]:
    """``run_check`` fields for a login with an OAuth token (and maybe a password too)."""
    return {
        "password": None,
        "credentials": Credentials(user, Secret(password) if password else None),
        "oauth_token": Secret(token),
    }


# -- CRAM-MD5 -------------------------------------------------------------------------------


def test_cram_md5_logs_in_with_one_redacted_answer(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(cram_md5=True)

    report = run_check(server, auth_mechanism=AuthMechanism.CRAM_MD5)

    result = row(report, "auth")
    assert result.status is Status.PASS
    assert result.summary == f"logged in as {USER} with CRAM-MD5 (AUTH only after STARTTLS)"
    assert result.outcome.details["mechanism"] == "CRAM-MD5"
    assert server.auth_attempts == [(USER, True)]
    assert client_lines_after_auth(report) == ["C AUTH CRAM-MD5", "C [redacted]"]


def test_cram_md5_with_a_wrong_password_is_rejected_with_the_wrong_password_hint(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(cram_md5=True)

    report = run_check(server, password="Tr0ub4dor&3", auth_mechanism=AuthMechanism.CRAM_MD5)

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.rejected"
    assert result.summary == (
        f"login as {USER} with CRAM-MD5 refused: 535 5.7.8 Authentication credentials invalid"
    )
    assert "The user name or password is wrong" in hint_titles(result)
    assert server.auth_attempts == [(USER, False)]


def test_over_an_unencrypted_connection_auto_prefers_cram_md5_to_keep_the_password_home(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(tls="none", auth_require_tls=False, cram_md5=True)

    report = run_check(server, allow_plaintext_auth=True)

    result = row(report, "auth")
    assert result.status is Status.PASS
    assert result.outcome.details["mechanism"] == "CRAM-MD5"
    assert server.auth_attempts == [(USER, True)]


def test_over_tls_auto_prefers_plain_to_cram_md5(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(cram_md5=True)

    report = run_check(server)

    assert row(report, "auth").outcome.details["mechanism"] == "PLAIN"


# -- XOAUTH2 --------------------------------------------------------------------------------


def test_xoauth2_logs_in_with_a_token_and_no_password(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(oauth_tokens={USER: TOKEN})

    report = run_check(server, **token_login(TOKEN))

    result = row(report, "auth")
    assert result.status is Status.PASS
    assert result.summary == f"logged in as {USER} with XOAUTH2 (AUTH only after STARTTLS)"
    assert server.auth_attempts == [(USER, True)]
    assert client_lines_after_auth(report) == ["C AUTH XOAUTH2 [redacted]"]
    assert report.exit_code is ExitCode.OK


def test_a_refused_token_follows_googles_failure_path_and_says_why(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(oauth_tokens={USER: TOKEN})

    report = run_check(server, **token_login(WRONG_TOKEN))

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.token-rejected"
    assert result.summary == (
        f"login as {USER} with XOAUTH2 refused: 535 5.7.8 Username and Password not accepted; "
        "OAuth error: status 401 (the token is expired, revoked, or for another account), "
        "scope https://mail.google.com/"
    )
    assert result.outcome.details["oauth_status"] == "401"
    assert result.outcome.details["oauth_scope"] == "https://mail.google.com/"
    # the JSON challenge was answered with an empty line, then came the 535
    lines = transcript_lines(report)
    start = lines.index("C AUTH XOAUTH2 [redacted]")
    assert lines[start + 1].startswith("S 334 ey")
    assert lines[start + 2 :][:2] == ["C ", "S 535 5.7.8 Username and Password not accepted"]
    assert server.auth_attempts == [(USER, False)]
    hint = next(hint for hint in result.hints if hint.title == "The OAuth token was refused")
    assert "Request the scope https://mail.google.com/ when you obtain the token." in hint.steps


def test_a_token_for_another_account_is_refused(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(oauth_tokens={USER: TOKEN})

    report = run_check(server, **token_login(TOKEN, user="bob@example.test"))

    result = row(report, "auth")
    assert result.outcome.finding == "auth.token-rejected"
    assert server.auth_attempts == [("bob@example.test", False)]


# -- choosing -------------------------------------------------------------------------------


def test_auto_uses_the_token_when_the_server_offers_xoauth2(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(cram_md5=True, oauth_tokens={USER: TOKEN})

    report = run_check(server, **token_login(TOKEN, password=PASSWORD))

    result = row(report, "auth")
    assert result.outcome.details["mechanism"] == "XOAUTH2"
    assert result.outcome.details["mechanisms"] == ("CRAM-MD5", "LOGIN", "PLAIN", "XOAUTH2")
    assert server.auth_attempts == [(USER, True)]


def test_auto_falls_back_to_the_password_when_xoauth2_is_not_offered(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server()

    report = run_check(server, **token_login(TOKEN, password=PASSWORD))

    result = row(report, "auth")
    assert result.status is Status.PASS
    assert result.outcome.details["mechanism"] == "PLAIN"


def test_a_token_alone_is_not_enough_for_a_server_that_wants_a_password(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server()

    report = run_check(server, **token_login(TOKEN))

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.no-common-mechanism"
    assert result.summary == (
        "no common mechanism: the server offers LOGIN PLAIN, smtpdoctor can use XOAUTH2 with "
        "the secret given (AUTH only after STARTTLS)"
    )
    assert "Log in with a password instead" in hint_titles(result)
    assert server.auth_attempts == []


def test_a_password_alone_is_not_enough_for_a_server_that_wants_a_token(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(users={}, oauth_tokens={USER: TOKEN})

    report = run_check(server)

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.no-common-mechanism"
    assert result.outcome.details["mechanisms"] == ("XOAUTH2",)
    assert "Log in with an OAuth token instead" in hint_titles(result)


@pytest.mark.parametrize("mechanism", [AuthMechanism.CRAM_MD5, AuthMechanism.XOAUTH2])
def test_a_mechanism_the_server_does_not_offer_fails_and_names_the_ones_it_does(
    mechanism: AuthMechanism, make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server()

    report = run_check(server, **token_login(TOKEN, password=PASSWORD), auth_mechanism=mechanism)

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.mechanism-not-offered"
    assert result.summary.startswith(
        f"the server does not offer {mechanism.value.upper()}; it offers LOGIN PLAIN"
    )
    hint = next(h for h in result.hints if h.title == "Choose a mechanism the server offers")
    assert hint.steps == ("Use --auth-mechanism auto, or one of: plain, login.",)  # best first


# -- before and after TLS -------------------------------------------------------------------


def test_the_mechanisms_before_and_after_starttls_are_both_in_the_details(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(auth_require_tls=False, require_starttls=False)

    report = run_check(server, password=None)

    result = row(report, "auth")
    assert result.outcome.details["mechanisms_before_tls"] == ("LOGIN", "PLAIN")
    assert result.outcome.details["mechanisms"] == ("LOGIN", "PLAIN")
    assert result.summary == "offers LOGIN PLAIN; give --user to test a login"  # no difference


def test_auth_offered_only_after_starttls_is_said_in_the_summary(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    report = run_check(make_server(), password=None)

    result = row(report, "auth")
    assert result.outcome.details["mechanisms_before_tls"] == ()
    assert "(AUTH only after STARTTLS)" in result.summary


def test_with_implicit_tls_there_is_nothing_before_tls(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    report = run_check(make_server(tls="implicit"), password=None)

    result = row(report, "auth")
    assert result.outcome.details["mechanisms_before_tls"] is None
    assert result.summary == "offers LOGIN PLAIN; give --user to test a login"


@pytest.mark.parametrize(
    ("before", "after", "suffix"),
    [
        (None, ("PLAIN",), ""),
        (("PLAIN", "LOGIN"), ("LOGIN", "PLAIN"), ""),
        ((), ("PLAIN", "LOGIN"), " (AUTH only after STARTTLS)"),
        (("CRAM-MD5",), ("PLAIN", "LOGIN"), " (before STARTTLS: CRAM-MD5)"),
        (("PLAIN", "LOGIN", "XOAUTH2"), ("XOAUTH2",), " (before STARTTLS: PLAIN LOGIN XOAUTH2)"),
    ],
    ids=["no-starttls", "same-set", "only-after", "different", "fewer-after"],
)
def test_the_summary_names_what_starttls_changed(
    before: tuple[str, ...] | None, after: tuple[str, ...], suffix: str
) -> None:
    assert describe_tls_difference(before, after) == suffix


def test_with_tls_none_the_cleartext_mechanisms_are_all_there_is(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(auth_require_tls=False, require_starttls=False)

    report = run_check(server, password=None, tls=TLSMode.NONE)

    result = row(report, "auth")
    assert result.status is Status.INFO
    assert result.outcome.details["mechanisms"] == ("LOGIN", "PLAIN")
    assert result.outcome.details["mechanisms_before_tls"] is None


def test_a_token_is_not_sent_over_a_plaintext_connection_either(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(tls="none", auth_require_tls=False, oauth_tokens={USER: TOKEN})

    report = run_check(server, **token_login(TOKEN))

    result = row(report, "auth")
    assert result.status is Status.SKIP
    assert result.outcome.finding == "auth.not-attempted"
    assert result.summary.startswith(
        "not attempted: the connection is not encrypted, so the token would cross the network"
    )
    assert server.auth_attempts == []
