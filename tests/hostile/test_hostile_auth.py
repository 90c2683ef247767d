"""Servers that make logging in go wrong: AUTH offered only in clear, challenges that are not
base64, 535 and 534, endless challenges, a server that echoes the credentials back, and a
crash in the middle of the exchange — with the password nowhere in what the user sees."""

from __future__ import annotations

import base64
import ssl
from typing import Any

import pytest

from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.results import Report, Status
from smtpdoctor.model.words import AuthMechanism, TLSMode
from smtpdoctor.net.transport import Transport

from tests.hostile.hostile_server import (
    EHLO_AUTH,
    EHLO_STARTTLS_AUTH,
    Peer,
    greet,
    hostile,
    tls_context,
)
from tests.hostile.scenario import PASSWORD, USER, check, failure, first_problem, hang_guard, row

pytestmark = hang_guard

READY = b"220 2.0.0 Ready to start TLS\r\n"
PLAIN_BLOB = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
PASSWORD_B64 = base64.b64encode(PASSWORD.encode()).decode()


def secure(peer: Peer, context: ssl.SSLContext, *, ehlo: bytes = EHLO_AUTH) -> None:
    """Greet, STARTTLS, and answer EHLO inside TLS with ``ehlo``."""
    greet(peer, ehlo=EHLO_STARTTLS_AUTH)
    peer.expect("STARTTLS")
    peer.send(READY)
    peer.start_tls(context)
    peer.expect("EHLO")
    peer.send(ehlo)


def everything_shown(report: Report) -> str:
    """Every text of the report a renderer could show."""
    parts: list[str] = [line.text for line in report.transcript]
    for result in report.results:
        outcome = result.outcome
        parts += [result.summary, outcome.reply_text or "", repr(dict(outcome.details))]
        parts += [hint.title + " ".join(hint.steps) for hint in result.hints]
    return "\n".join(parts)


def assert_no_password(report: Report) -> None:
    shown = everything_shown(report)
    for form in (PASSWORD, PLAIN_BLOB, PLAIN_BLOB.rstrip("="), PASSWORD_B64):
        assert form not in shown, f"the password leaked as {form[:6]}…"


# -- where AUTH is offered ---------------------------------------------------------------------


def test_auth_offered_only_before_starttls_fails_auth_and_sends_no_password(
    pki: ThrowawayPKI,
) -> None:
    context = tls_context(pki)

    def auth_only_in_clear(peer: Peer) -> None:
        secure(peer, context, ehlo=b"250-mail.example.test\r\n250 PIPELINING\r\n")
        peer.answer_quit()

    with hostile(auth_only_in_clear) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem)

    auth = row(report, "auth")
    assert auth.status is Status.FAIL
    assert auth.outcome.finding == "auth.not-offered"
    assert auth.summary == (
        "the server offers no AUTH (before STARTTLS: PLAIN LOGIN), so it cannot log you in here"
    )
    assert auth.outcome.details["mechanisms_before_tls"] == ("PLAIN", "LOGIN")
    assert "AUTH" not in server.commands


def test_auth_in_clear_on_a_server_without_starttls_is_never_used() -> None:
    def no_tls_at_all(peer: Peer) -> None:
        greet(peer, ehlo=EHLO_AUTH)
        peer.answer_quit()

    with hostile(no_tls_at_all) as server:
        report = check(server, password=PASSWORD)

    warned = first_problem(report)
    assert warned.check_id == "tls"
    assert warned.status is Status.WARN
    assert warned.outcome.finding == "tls.starttls-not-offered"
    auth = row(report, "auth")
    assert auth.status is Status.SKIP
    assert auth.outcome.finding == "auth.not-attempted"
    assert "AUTH" not in server.commands


def test_auth_in_clear_with_tls_none_is_not_attempted_without_allow_plaintext_auth() -> None:
    def no_tls_at_all(peer: Peer) -> None:
        greet(peer, ehlo=EHLO_AUTH)
        peer.answer_quit()

    with hostile(no_tls_at_all) as server:
        report = check(server, password=PASSWORD, tls=TLSMode.NONE)

    auth = row(report, "auth")
    assert auth.status is Status.SKIP
    assert auth.outcome.finding == "auth.not-attempted"
    assert auth.summary == (
        "not attempted: the connection is not encrypted, so the password would cross the "
        "network in clear (use TLS, or --allow-plaintext-auth on a network you trust)"
    )
    assert server.commands == ["EHLO", "QUIT"]


# -- challenges and refusals -------------------------------------------------------------------


def test_a_cram_md5_challenge_that_is_not_base64_is_cancelled(pki: ThrowawayPKI) -> None:
    context = tls_context(pki)

    def bad_challenge(peer: Peer) -> None:
        secure(peer, context, ehlo=b"250-mail.example.test\r\n250 AUTH CRAM-MD5\r\n")
        peer.expect("AUTH")
        peer.send(b"334 this is *not* base64!\r\n")
        if peer.read_line() == "*":
            peer.send(b"501 5.7.0 Auth aborted\r\n")
        peer.answer_quit()

    with hostile(bad_challenge) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem)

    failed = failure(report, "auth.bad-challenge")
    assert failed.summary == (
        f"login as {USER} with CRAM-MD5 abandoned: the server's CRAM-MD5 challenge is not "
        "valid base64: 'this is *not* base64!'; smtpdoctor cancelled it (the server answered "
        "501 5.7.0 Auth aborted)"
    )
    assert server.lines[-2:] == ["*", "QUIT"]


def test_a_challenge_to_plain_which_expects_none_is_cancelled(pki: ThrowawayPKI) -> None:
    context = tls_context(pki)

    def challenges_plain(peer: Peer) -> None:
        secure(peer, context)
        peer.expect("AUTH")
        peer.send(b"334 !!!\r\n")
        if peer.read_line() == "*":
            peer.send(b"501 5.7.0 Auth aborted\r\n")
        peer.answer_quit()

    with hostile(challenges_plain) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem)

    failure(report, "auth.unexpected-challenge")
    assert server.lines[-2:] == ["*", "QUIT"]  # cancelled, then a polite goodbye
    assert_no_password(report)


def test_endless_challenges_end_the_exchange(pki: ThrowawayPKI) -> None:
    context = tls_context(pki)

    def endless(peer: Peer) -> None:
        secure(peer, context)
        peer.expect("AUTH")
        while True:
            peer.send(b"334 VXNlcm5hbWU6\r\n")
            if peer.read_line() in ("*", "QUIT"):
                peer.send(b"501 5.7.0 Auth aborted\r\n")
                break
        peer.answer_quit()

    with hostile(endless) as server:
        report = check(
            server, password=PASSWORD, ca_data=pki.ca_pem, auth_mechanism=AuthMechanism.LOGIN
        )

    failure(report, "auth.unexpected-challenge")
    assert server.lines[-2:] == ["*", "QUIT"]
    assert_no_password(report)


@pytest.mark.parametrize(
    ("reply", "finding"),
    [
        pytest.param(
            b"535 5.7.8 Username and Password not accepted. BadCredentials",
            "auth.rejected",
            id="535",
        ),
        pytest.param(
            b"534 5.7.9 Application-specific password required.",
            "auth.mechanism-too-weak",
            id="534",
        ),
    ],
)
def test_a_refused_login_fails_auth_quoting_the_server(
    reply: bytes, finding: str, pki: ThrowawayPKI
) -> None:
    context = tls_context(pki)

    def refuses(peer: Peer) -> None:
        secure(peer, context)
        peer.expect("AUTH")
        peer.send(reply + b"\r\n")
        peer.answer_quit()

    with hostile(refuses) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem)

    failed = failure(report, finding)
    assert failed.summary == f"login as {USER} with PLAIN refused: {reply.decode()}"
    assert failed.hints, "a refused login always comes with what to do"
    assert_no_password(report)


# -- secrets under attack ----------------------------------------------------------------------


def test_a_server_that_echoes_the_credentials_back_does_not_make_us_show_them(
    pki: ThrowawayPKI,
) -> None:
    context = tls_context(pki)

    def echoes(peer: Peer) -> None:
        secure(peer, context)
        line = peer.expect("AUTH")
        peer.send(f"500 5.5.1 Unrecognized command '{line}' (password {PASSWORD})\r\n".encode())
        peer.answer_quit()

    with hostile(echoes) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem)

    failed = first_problem(report)
    assert failed.check_id == "auth"
    assert failed.status is Status.FAIL
    assert "[redacted]" in failed.summary
    assert PLAIN_BLOB in server.lines[-2]  # it really was echoed
    assert_no_password(report)


def test_an_exception_in_the_middle_of_auth_does_not_carry_the_password(
    pki: ThrowawayPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash while the secret is in scope — here a transport bug that quotes the bytes it
    could not send — is an ERROR row, and the row does not quote the secret."""
    context = tls_context(pki)
    sendall = Transport.sendall

    def careless_sendall(self: Transport, data: bytes, **kwargs: Any) -> None:
        if data.startswith(b"AUTH"):
            raise RuntimeError(f"cannot send {data!r} (password {PASSWORD!r})")
        sendall(self, data, **kwargs)

    monkeypatch.setattr(Transport, "sendall", careless_sendall)

    def waits(peer: Peer) -> None:
        secure(peer, context)
        peer.answer_quit()

    with hostile(waits) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem)

    failed = first_problem(report)
    assert failed.check_id == "auth"
    assert failed.status is Status.ERROR
    assert failed.outcome.finding == "check.crashed"
    assert failed.summary.startswith("the check crashed (RuntimeError: cannot send b'AUTH PLAIN ")
    assert "[redacted]" in failed.summary
    assert_no_password(report)
