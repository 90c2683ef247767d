"""``posture``: what the server offers before the connection is encrypted, judged against
real servers — aiosmtpd configured well and badly, and scripted ones for what aiosmtpd
cannot do (a masked STARTTLS, a refused EHLO)."""

from __future__ import annotations

import pytest

from smtpdoctor.model.results import Status
from smtpdoctor.model.words import ExitCode, TLSMode
from smtpdoctor.settings import config

from tests.auth.authkit import (
    GREETING,
    QUIT_ANSWERED,
    MakeServer,
    RunCheck,
    StartScripted,
    ehlo_offering,
    row,
)


def declare_submission_port(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """Ports 587/465 cannot be bound in a test: declare the server's random port one."""
    monkeypatch.setattr(config, "SUBMISSION_PORTS", frozenset({port}))


def test_auth_only_after_starttls_passes(make_server: MakeServer, run_check: RunCheck) -> None:
    report = run_check(make_server(), password=None)

    result = row(report, "posture")
    assert result.status is Status.PASS
    assert result.summary == "AUTH is offered only after STARTTLS"
    assert result.outcome.details["auth_in_clear"] == ()
    assert result.outcome.details["starttls_offered"] is True


def test_auth_offered_before_starttls_is_a_warning_even_though_the_login_then_works(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(auth_require_tls=False, require_starttls=False)

    report = run_check(server)

    result = row(report, "posture")
    assert result.status is Status.WARN
    assert result.outcome.finding == "posture.auth-before-starttls"
    assert result.summary == (
        "AUTH (LOGIN PLAIN) is offered before STARTTLS: a client that does not insist on TLS "
        "could send the password in clear"
    )
    assert result.outcome.details["auth_in_clear"] == ("LOGIN", "PLAIN")
    assert row(report, "auth").status is Status.PASS  # we, of course, waited for TLS
    assert report.exit_code is ExitCode.WARNING


def test_auth_before_starttls_is_found_even_when_the_run_does_not_upgrade(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(auth_require_tls=False, require_starttls=False)

    report = run_check(server, password=None, tls=TLSMode.NONE)

    assert row(report, "posture").outcome.finding == "posture.auth-before-starttls"


def test_implicit_tls_says_nothing_in_clear(make_server: MakeServer, run_check: RunCheck) -> None:
    report = run_check(make_server(tls="implicit"), password=None)

    result = row(report, "posture")
    assert result.status is Status.PASS
    assert result.summary == (
        "TLS from the first byte: nothing, not even EHLO, crosses the network in clear"
    )


def test_plain_and_login_without_tls_on_a_submission_port_are_a_warning(
    make_server: MakeServer, run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(tls="none", auth_require_tls=False)
    declare_submission_port(monkeypatch, server.port)

    report = run_check(server, password=None, tls=TLSMode.STARTTLS)

    result = row(report, "posture")
    assert result.status is Status.WARN
    assert result.outcome.finding == "posture.plaintext-auth"
    assert result.summary == (
        f"LOGIN PLAIN offered without TLS on submission port {server.port}: passwords or "
        "tokens would cross the network in clear"
    )
    assert result.outcome.details["starttls_offered"] is False
    assert row(report, "tls").outcome.finding == "tls.starttls-not-offered"  # kept, a FAIL


def test_plain_and_login_without_tls_elsewhere_are_noted_as_information(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(tls="none", auth_require_tls=False)

    report = run_check(server, password=None, tls=TLSMode.NONE)

    result = row(report, "posture")
    assert result.status is Status.INFO
    assert result.outcome.finding == "posture.plaintext-auth"
    assert result.summary == (
        f"LOGIN PLAIN offered without TLS on port {server.port} (not a submission port)"
    )


def test_a_bearer_token_mechanism_in_clear_counts_like_a_password(
    scripted: StartScripted, run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = scripted([GREETING, "recv", ehlo_offering("XOAUTH2", "OAUTHBEARER"), *QUIT_ANSWERED])
    declare_submission_port(monkeypatch, server.address[1])

    report = run_check(server.address, password=None, tls=TLSMode.NONE)

    result = row(report, "posture")
    assert result.status is Status.WARN
    assert result.summary.startswith("XOAUTH2 OAUTHBEARER offered without TLS")


def test_only_challenge_response_mechanisms_in_clear_pass(
    scripted: StartScripted, run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = scripted(
        [GREETING, "recv", ehlo_offering("CRAM-MD5", "SCRAM-SHA-256"), *QUIT_ANSWERED]
    )
    declare_submission_port(monkeypatch, server.address[1])

    report = run_check(server.address, password=None, tls=TLSMode.NONE)

    result = row(report, "posture")
    assert result.status is Status.PASS
    assert result.summary == (
        "only CRAM-MD5 SCRAM-SHA-256 offered in clear, which do not send the password"
    )


def test_a_server_without_auth_offers_nothing_in_clear(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    report = run_check(make_server(users={}), password=None)

    result = row(report, "posture")
    assert result.status is Status.PASS
    assert result.summary == "no AUTH offered in clear"


def test_a_masked_starttls_stays_the_tls_checks_failure_and_the_auth_in_clear_is_judged(
    scripted: StartScripted, run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = scripted(
        [
            GREETING,
            "recv",
            b"250-smtp.example.test\r\n250-XXXXXXXA\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
            *QUIT_ANSWERED,
        ]
    )
    declare_submission_port(monkeypatch, server.address[1])

    report = run_check(server.address, password=None, tls=TLSMode.STARTTLS)

    assert row(report, "tls").outcome.finding == "tls.starttls-masked"
    assert row(report, "tls").status is Status.FAIL
    result = row(report, "posture")
    assert result.outcome.finding == "posture.plaintext-auth"
    assert result.outcome.details["masked"] == ("XXXXXXXA",)


def test_a_refused_ehlo_that_leaves_no_way_to_offer_starttls_fails(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    # Cisco's "SMTP fixup" rewrites the commands it does not know; the server answers the
    # mangled EHLO with 500 and the client falls back to HELO, which knows no STARTTLS.
    server = scripted(
        [
            GREETING,
            "recv",
            b'500 5.5.1 Command unrecognized: "XXXX smtpdoctor.test"\r\n',
            "recv",
            b"250 smtp.example.test\r\n",
            *QUIT_ANSWERED,
        ]
    )

    report = run_check(server.address, password=None, tls=TLSMode.STARTTLS)

    assert row(report, "ehlo").outcome.finding == "ehlo.helo-only"
    result = row(report, "posture")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "posture.ehlo-refused"
    assert result.summary == (
        "EHLO was refused and only HELO works, so the server cannot offer STARTTLS: "
        "nothing can be encrypted"
    )
    assert report.exit_code is ExitCode.CRITICAL


def test_a_refused_ehlo_without_tls_asked_for_is_not_a_posture_failure(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [
            GREETING,
            "recv",
            b"502 5.5.2 Error\r\n",
            "recv",
            b"250 smtp.example.test\r\n",
            *QUIT_ANSWERED,
        ]
    )

    report = run_check(server.address, password=None, tls=TLSMode.NONE)

    assert row(report, "posture").summary == "no AUTH offered in clear"


def test_posture_runs_after_tls_and_auth_and_even_when_tls_failed(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(tls="none", auth_require_tls=False)

    report = run_check(server, password=None, tls=TLSMode.STARTTLS)

    order = [result.check_id for result in report.results]
    assert order.index("posture") > order.index("tls")
    assert order.index("posture") > order.index("auth")
    assert row(report, "tls").status is not Status.PASS
    assert row(report, "posture").status is not Status.SKIP


def test_posture_is_skipped_when_ehlo_failed(scripted: StartScripted, run_check: RunCheck) -> None:
    server = scripted(
        [
            GREETING,
            "recv",
            b"554 5.7.1 Go away\r\n",
            "recv",
            b"554 5.7.1 Go away\r\n",
            *QUIT_ANSWERED,
        ]
    )

    report = run_check(server.address, password=None)

    result = row(report, "posture")
    assert result.status is Status.SKIP
    assert result.summary == "not run: ehlo failed"
