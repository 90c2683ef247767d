"""TLS that goes wrong: STARTTLS refused, plaintext after "220 Ready to start TLS", handshakes
that stall or drip, certificates that are self-signed, expired or for another host, a server
stuck on TLS 1.0 — and TLS honesty: what --insecure makes every TLS row say, and that a
password never crosses a connection whose certificate failed verification."""

from __future__ import annotations

import base64
import ssl
import warnings
from datetime import UTC, datetime, timedelta

import pytest

from smtpdoctor.lab.pki import ThrowawayPKI, make_pki
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import TLSMode

from tests.hostile.hostile_server import (
    EHLO_AUTH,
    EHLO_STARTTLS_AUTH,
    Peer,
    PeerGone,
    greet,
    hostile,
    tls_context,
)
from tests.hostile.scenario import (
    PASSWORD,
    USER,
    check,
    failure,
    first_problem,
    hang_guard,
    row,
    skipped_after,
)

pytestmark = hang_guard

READY = b"220 2.0.0 Ready to start TLS\r\n"
#: The password as it crosses the wire: plain, in an AUTH PLAIN blob, as a LOGIN answer.
PASSWORD_FORMS = (
    PASSWORD.encode(),
    base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()),
    base64.b64encode(PASSWORD.encode()),
)


def starttls_then(peer: Peer, context: ssl.SSLContext) -> None:
    """The polite server, every connection: STARTTLS, EHLO inside TLS, AUTH, QUIT."""
    greet(peer, ehlo=EHLO_STARTTLS_AUTH)
    peer.expect("STARTTLS")
    peer.send(READY)
    peer.start_tls(context)
    peer.expect("EHLO")
    peer.send(EHLO_AUTH)
    line = peer.read_line()
    if line.startswith("AUTH"):
        peer.send(b"235 2.7.0 Authentication successful\r\n")
        line = peer.read_line()
    if line == "QUIT":
        peer.send(b"221 2.0.0 Bye\r\n")


def password_was_sent(received: bytes) -> bool:
    return any(form in received for form in PASSWORD_FORMS)


# -- STARTTLS itself ---------------------------------------------------------------------------


def test_starttls_advertised_then_refused_with_454_fails_tls_and_sends_no_password() -> None:
    def refuses(peer: Peer) -> None:
        greet(peer, ehlo=EHLO_STARTTLS_AUTH)
        peer.expect("STARTTLS")
        peer.send(b"454 4.7.0 TLS not available due to local problem\r\n")
        peer.answer_quit()

    with hostile(refuses) as server:
        report = check(server, password=PASSWORD)

    failed = failure(report, "tls.starttls-refused")
    assert failed.summary == (
        "the server offers STARTTLS but refused it: 454 4.7.0 TLS not available due to local "
        "problem"
    )
    assert skipped_after(report, "tls")[:2] == ["certificate", "auth"]
    assert server.commands == ["EHLO", "STARTTLS", "QUIT"]
    assert not password_was_sent(server.received)


def test_plaintext_sent_together_with_the_220_to_starttls_is_refused_as_injection() -> None:
    def injects(peer: Peer) -> None:
        greet(peer)
        peer.expect("STARTTLS")
        peer.send(READY + b"250-mail.example.test\r\n250 AUTH PLAIN\r\n")

    with hostile(injects) as server:
        report = check(server, password=PASSWORD)

    failed = failure(report, "tls.protocol-error")
    assert failed.summary == (
        "the server broke the SMTP protocol: the server sent more data right after agreeing "
        "to STARTTLS; whoever sent it could inject commands into the encrypted session "
        "(STARTTLS injection)"
    )
    assert not password_was_sent(server.received)


def test_plaintext_instead_of_a_handshake_after_the_220_fails_as_no_tls() -> None:
    def keeps_talking_plaintext(peer: Peer) -> None:
        greet(peer)
        peer.expect("STARTTLS")
        peer.send(READY)
        peer.read_bytes()  # the ClientHello: the client did start the handshake
        peer.send(b"250 mail.example.test still plaintext, sorry\r\n")

    with hostile(keeps_talking_plaintext) as server:
        report = check(server, password=PASSWORD)

    failed = failure(report, "tls.no-tls-after-starttls")
    assert failed.summary == (
        "after agreeing to STARTTLS the server did not start TLS (it kept talking plaintext)"
    )
    assert not password_was_sent(server.received)


def test_a_tls_handshake_that_stalls_times_out_within_the_timeout() -> None:
    def stalls(peer: Peer) -> None:
        greet(peer)
        peer.expect("STARTTLS")
        peer.send(READY)
        peer.stay_silent()  # reads the ClientHello, never answers it

    with hostile(stalls) as server:
        report = check(server, password=PASSWORD)

    failed = failure(report, "tls.timeout")
    assert failed.summary == "timed out: the TLS handshake did not finish in time"
    assert skipped_after(report, "tls")[:2] == ["certificate", "auth"]


def test_a_tls_handshake_dripped_a_byte_at_a_time_is_bounded_as_a_whole() -> None:
    """Every byte wakes the handshake up; none of them may restart its clock."""

    def drips(peer: Peer) -> None:
        greet(peer)
        peer.expect("STARTTLS")
        peer.send(READY)
        # a TLS handshake record announcing 16 KiB, delivered four bytes a second
        peer.drip(b"\x16\x03\x03\x40\x00" + b"\x02" * 64, every=0.25)

    with hostile(drips) as server:
        report = check(server, timeout=2.0)

    failed = failure(report, "tls.timeout")
    assert failed.summary == "timed out: the TLS handshake did not finish in time"


def test_an_implicit_tls_port_that_never_answers_the_handshake_times_out_in_tls() -> None:
    def silent(peer: Peer) -> None:
        peer.stay_silent()

    with hostile(silent) as server:
        report = check(server, tls=TLSMode.IMPLICIT)

    failed = failure(report, "tls.timeout")
    assert failed.summary == "timed out: the TLS handshake did not finish in time"
    assert skipped_after(report, "tls")[:3] == ["certificate", "greeting", "ehlo"]


# -- certificates ------------------------------------------------------------------------------

NOW = datetime.now(UTC)


@pytest.mark.parametrize(
    ("pki", "trusted", "finding", "problem"),
    [
        pytest.param(
            make_pki(self_signed=True),
            False,
            "certificate.self-signed",
            "self-signed",
            id="self-signed",
        ),
        pytest.param(
            make_pki(not_after=NOW - timedelta(days=3, hours=1)),
            True,
            "certificate.expired",
            f"expired 3 days ago ({(NOW - timedelta(days=3, hours=1)):%Y-%m-%d})",
            id="expired",
        ),
        pytest.param(
            make_pki(hostnames=("mail.example.test",), ip_addresses=()),
            True,
            "certificate.hostname-mismatch",
            "not valid for 127.0.0.1 (it names: mail.example.test)",
            id="wrong-host",
        ),
    ],
)
def test_a_bad_certificate_fails_the_certificate_and_the_password_is_never_sent(
    pki: ThrowawayPKI, trusted: bool, finding: str, problem: str
) -> None:
    context = tls_context(pki)

    with hostile(lambda peer: starttls_then(peer, context)) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem if trusted else None)

    failed = failure(report, finding)
    assert failed.summary == f"certificate refused: {problem}"
    tls = row(report, "tls")
    assert tls.summary.endswith("; the certificate was refused (see the certificate row)")
    auth = row(report, "auth")
    assert auth.status is Status.SKIP
    assert auth.outcome.finding == "auth.not-attempted"
    assert auth.summary == "not attempted: the server's certificate was not verified"
    # one connection refused the certificate, one more only read it; neither logged in
    assert server.connections == 2
    assert "AUTH" not in server.commands
    assert not password_was_sent(server.received)


def test_allow_plaintext_auth_does_not_unlock_a_refused_certificate() -> None:
    pki = make_pki(self_signed=True)
    context = tls_context(pki)

    with hostile(lambda peer: starttls_then(peer, context)) as server:
        report = check(server, password=PASSWORD, allow_plaintext_auth=True)

    assert row(report, "auth").outcome.finding == "auth.not-attempted"
    assert not password_was_sent(server.received)


def test_a_refused_certificate_on_an_implicit_tls_port_never_gets_the_password() -> None:
    pki = make_pki(self_signed=True)
    context = tls_context(pki)

    def implicit(peer: Peer) -> None:
        peer.start_tls(context)
        peer.send(b"220 mail.example.test ESMTP\r\n")
        peer.expect("EHLO")
        peer.send(EHLO_AUTH)
        peer.answer_quit()

    with hostile(implicit) as server:
        report = check(server, password=PASSWORD, tls=TLSMode.IMPLICIT)

    assert first_problem(report).outcome.finding == "certificate.self-signed"
    assert row(report, "auth").outcome.finding == "auth.not-attempted"
    assert not password_was_sent(server.received)


def _negotiates_tls_1_0(server_context: ssl.SSLContext) -> bool:
    """Whether this OpenSSL can still do a TLS 1.0 handshake at all (in memory)."""
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():  # deprecated, which is the point of the scenario
        warnings.simplefilter("ignore", DeprecationWarning)
        client.minimum_version = client.maximum_version = ssl.TLSVersion.TLSv1
    pipes = [(ssl.MemoryBIO(), ssl.MemoryBIO()) for _ in range(2)]
    ends = [
        client.wrap_bio(pipes[0][0], pipes[0][1]),
        server_context.wrap_bio(pipes[1][0], pipes[1][1], server_side=True),
    ]
    for _ in range(10):
        done = 0
        for end in ends:
            try:
                end.do_handshake()
                done += 1
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                return False
        pipes[1][0].write(pipes[0][1].read())
        pipes[0][0].write(pipes[1][1].read())
        if done == 2:
            return ends[0].version() == "TLSv1"
    return False


def test_a_server_that_only_speaks_tls_1_0_fails_as_outdated(pki: ThrowawayPKI) -> None:
    context = tls_context(pki, only=ssl.TLSVersion.TLSv1)
    if not _negotiates_tls_1_0(context):
        pytest.skip("this OpenSSL cannot negotiate TLS 1.0, even at security level 0")

    def old_tls(peer: Peer) -> None:
        greet(peer)
        peer.expect("STARTTLS")
        peer.send(READY)
        try:
            peer.start_tls(context)
        except PeerGone:
            return  # the client refused TLS 1.0, as it should

    with hostile(old_tls) as server:
        report = check(server, password=PASSWORD, ca_data=pki.ca_pem)

    failed = failure(report, "tls.outdated-version")
    assert failed.summary == (
        "the server refused the handshake: no TLS version in common; this client offered "
        "TLS 1.2 to 1.3, so the server offers only older versions (TLS alert protocol_version)"
    )
    assert not password_was_sent(server.received)


# -- --insecure --------------------------------------------------------------------------------


def test_with_insecure_every_tls_row_says_verification_was_off() -> None:
    pki = make_pki(not_after=NOW - timedelta(days=2, hours=1))
    context = tls_context(pki)

    with hostile(lambda peer: starttls_then(peer, context)) as server:
        report = check(server, password=PASSWORD, insecure=True)

    assert report.verification_disabled
    tls = row(report, "tls")
    assert tls.status is Status.PASS
    assert tls.summary.endswith("; certificate NOT verified (--insecure)")
    certificate = row(report, "certificate")
    assert certificate.status is Status.WARN
    assert certificate.outcome.finding == "certificate.unverified"
    assert certificate.summary.startswith("NOT verified (--insecure): expired 2 days ago")
    auth = row(report, "auth")
    assert auth.status is Status.PASS
    assert "NOT verified (--insecure)" in auth.summary
    # --insecure is the user's explicit consent: this time the password was sent
    assert password_was_sent(server.received)
    assert server.connections == 1
