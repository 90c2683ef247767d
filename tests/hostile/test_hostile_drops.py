"""A server that hangs up — closes, or resets — at every stage of the conversation: the
stage that was running fails as "connection lost", every later stage is SKIP, and nothing
hangs."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import AuthMechanism, ExitCode

from tests.hostile.hostile_server import (
    EHLO_AUTH,
    EHLO_STARTTLS,
    GREETING,
    Peer,
    greet,
    hostile,
    tls_context,
)
from tests.hostile.scenario import PASSWORD, check, failure, hang_guard, skipped_after

pytestmark = hang_guard

#: What a stage does before the hang-up, given the server's TLS context.
Prelude = Callable[[Peer, ssl.SSLContext], None]


def nothing(peer: Peer, context: ssl.SSLContext) -> None:
    """Hang up before the greeting."""


def greeting_sent(peer: Peer, context: ssl.SSLContext) -> None:
    peer.send(GREETING)
    peer.expect("EHLO")


def ehlo_answered(peer: Peer, context: ssl.SSLContext) -> None:
    greet(peer, ehlo=EHLO_STARTTLS)
    peer.expect("STARTTLS")


def starttls_accepted(peer: Peer, context: ssl.SSLContext) -> None:
    ehlo_answered(peer, context)
    peer.send(b"220 2.0.0 Ready to start TLS\r\n")


def tls_established(peer: Peer, context: ssl.SSLContext) -> None:
    starttls_accepted(peer, context)
    peer.start_tls(context)
    peer.expect("EHLO")


def auth_sent(peer: Peer, context: ssl.SSLContext) -> None:
    tls_established(peer, context)
    peer.send(EHLO_AUTH)
    peer.expect("AUTH")


def login_user_name_sent(peer: Peer, context: ssl.SSLContext) -> None:
    auth_sent(peer, context)
    peer.send(b"334 VXNlcm5hbWU6\r\n")
    peer.read_line()  # the user name


@dataclass(frozen=True)
class Stage:
    """Where the server hangs up, and what the user must be told."""

    prelude: Prelude
    check_id: str
    waited_for: str


#: The stages of the conversation, in order: after a hang-up, every later one is SKIP.
PIPELINE = ["greeting", "ehlo", "tls", "certificate", "auth"]

STAGES = {
    "before-the-greeting": Stage(nothing, "greeting", "the greeting"),
    "after-the-greeting": Stage(greeting_sent, "ehlo", "the reply to EHLO"),
    "on-starttls": Stage(ehlo_answered, "tls", "the reply to STARTTLS"),
    "after-tls-on-ehlo": Stage(tls_established, "tls", "the reply to EHLO"),
    "on-auth": Stage(auth_sent, "auth", "the reply to AUTH"),
    "mid-login": Stage(login_user_name_sent, "auth", "the reply to AUTH-RESPONSE"),
}


@pytest.mark.parametrize("name", list(STAGES))
def test_a_server_that_closes_the_connection_fails_the_running_stage_and_skips_the_rest(
    name: str, pki: ThrowawayPKI
) -> None:
    stage = STAGES[name]
    context = tls_context(pki)

    def hangs_up(peer: Peer) -> None:
        stage.prelude(peer, context)
        peer.close()

    with hostile(hangs_up) as server:
        report = check(
            server, password=PASSWORD, ca_data=pki.ca_pem, auth_mechanism=AuthMechanism.LOGIN
        )

    failed = failure(report, f"{stage.check_id}.connection-lost")
    assert failed.summary == (
        f"connection lost: the server closed the connection while we waited for {stage.waited_for}"
    )
    later = PIPELINE[PIPELINE.index(stage.check_id) + 1 :]
    assert skipped_after(report, stage.check_id)[: len(later)] == later
    assert all(
        result.status is not Status.FAIL
        for result in report.results
        if result.check_id != stage.check_id
    )
    assert report.exit_code is ExitCode.CRITICAL


@pytest.mark.parametrize("name", ["before-the-greeting", "after-the-greeting", "on-starttls"])
def test_a_server_that_resets_the_connection_fails_the_running_stage(
    name: str, pki: ThrowawayPKI
) -> None:
    stage = STAGES[name]
    context = tls_context(pki)

    def resets(peer: Peer) -> None:
        stage.prelude(peer, context)
        peer.reset()

    with hostile(resets) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem)

    failed = failure(report, f"{stage.check_id}.connection-lost")
    assert failed.summary == "connection lost: the server reset the connection"


def test_a_server_that_hangs_up_inside_the_tls_handshake_fails_tls(pki: ThrowawayPKI) -> None:
    def hangs_up(peer: Peer) -> None:
        starttls_accepted(peer, tls_context(pki))
        peer.read_bytes()  # the ClientHello: read, so that the close is a FIN, not a reset
        peer.close()

    with hostile(hangs_up) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem)

    failed = failure(report, "tls.reset")
    # The close reaches us as a FIN ("closed") or, when part of the ClientHello was still
    # unread on the server, as a reset: both are the truth.
    assert failed.summary in (
        "the server closed the connection during the TLS handshake, without a TLS alert",
        "the server reset the connection during the TLS handshake, without a TLS alert",
    )
    assert skipped_after(report, "tls")[:2] == ["certificate", "auth"]


def test_a_server_that_hangs_up_instead_of_answering_quit_costs_nothing(
    pki: ThrowawayPKI,
) -> None:
    def rude_at_the_end(peer: Peer) -> None:
        greet(peer, ehlo=EHLO_STARTTLS)
        peer.expect("STARTTLS")
        peer.send(b"220 2.0.0 Ready to start TLS\r\n")
        peer.start_tls(tls_context(pki))
        peer.expect("EHLO")
        peer.send(EHLO_AUTH)
        peer.expect("AUTH")
        peer.send(b"235 2.7.0 Authentication successful\r\n")
        peer.expect("QUIT")
        peer.close()

    with hostile(rude_at_the_end) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem)

    assert {result.status for result in report.results} <= {Status.PASS, Status.INFO}
    assert report.exit_code is ExitCode.OK
    assert server.commands[-1] == "QUIT"
