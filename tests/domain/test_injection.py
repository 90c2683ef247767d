"""The STARTTLS command injection probe (CVE-2011-0411 class): plaintext pipelined with
STARTTLS must not be answered inside TLS — against real servers on loopback."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterator

import pytest

from smtpdoctor.domain.injection import (
    InjectionResult,
    InjectionTarget,
    Verdict,
    probe_starttls_injection,
    starttls_chain,
)
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.lab.scripted import ConversationServer, Peer
from smtpdoctor.testing.smtpserver import SMTPTestServer

EHLO_REPLY = b"250-mx1.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"


def probe(port: int, *, timeout: float = 2.0) -> InjectionResult:
    target = InjectionTarget("mx1.example.test", port, ("127.0.0.1",), helo_name="probe.test")
    return probe_starttls_injection(target, timeout=timeout, deadline_at=time.monotonic() + 20)


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[Peer], None]], ConversationServer]]:
    """Start ConversationServers; all are stopped (and their script errors raised) after."""
    servers: list[ConversationServer] = []

    def start(conversation: Callable[[Peer], None]) -> ConversationServer:
        server = ConversationServer(conversation, grace=0.5)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def greet(peer: Peer) -> None:
    peer.send(b"220 mx1.example.test ESMTP\r\n")
    peer.expect("EHLO")
    peer.send(EHLO_REPLY)


def test_a_server_that_discards_what_came_with_starttls_is_not_vulnerable(
    make_smtp_server: Callable[..., SMTPTestServer],
) -> None:
    server = make_smtp_server(users={})

    result = probe(server.port)

    assert result.verdict is Verdict.NOT_ANSWERED
    assert "discarded the plaintext" in result.explanation
    assert result.address == "127.0.0.1"


def test_a_server_that_answers_the_pipelined_command_inside_tls_is_vulnerable(
    serve: Callable[[Callable[[Peer], None]], ConversationServer], smtpdoctor_pki: ThrowawayPKI
) -> None:
    def vulnerable(peer: Peer) -> None:
        greet(peer)
        peer.expect("STARTTLS")
        peer.expect("NOOP")  # read ahead in clear, kept across the handshake: the flaw
        peer.send(b"220 2.0.0 Ready to start TLS\r\n")
        peer.start_tls(smtpdoctor_pki.server_context())
        peer.send(b"250 2.0.0 Ok\r\n")

    server = serve(vulnerable)

    result = probe(server.port)

    assert result.verdict is Verdict.VULNERABLE
    assert result.reply == "250 2.0.0 Ok"
    assert "inside TLS" in result.explanation


def test_starttls_and_the_injected_noop_go_out_in_one_write(
    serve: Callable[[Callable[[Peer], None]], ConversationServer], smtpdoctor_pki: ThrowawayPKI
) -> None:
    chunks: list[bytes] = []

    def records_the_write(peer: Peer) -> None:
        greet(peer)
        chunks.append(peer.read_bytes())
        peer.send(b"454 4.7.0 TLS not available now\r\n")

    server = serve(records_the_write)

    result = probe(server.port)

    assert chunks == [b"STARTTLS\r\nNOOP\r\n"]
    assert result.verdict is Verdict.REFUSED
    assert "454 4.7.0 TLS not available now" in result.explanation


def test_a_server_that_refuses_pipelined_starttls_with_5xx_refused_the_injection(
    serve: Callable[[Callable[[Peer], None]], ConversationServer],
) -> None:
    def exim_like(peer: Peer) -> None:
        greet(peer)
        peer.expect("STARTTLS")
        peer.expect("NOOP")
        peer.send(b"554 Security failure\r\n")
        peer.close()

    server = serve(exim_like)

    result = probe(server.port)

    assert result.verdict is Verdict.REFUSED
    assert "554 Security failure" in result.explanation
    assert result.peer_chain == ()


def test_a_server_that_answers_the_pipelined_command_in_clear_is_not_vulnerable(
    serve: Callable[[Callable[[Peer], None]], ConversationServer],
) -> None:
    def answers_in_clear(peer: Peer) -> None:
        greet(peer)
        peer.expect("STARTTLS")
        peer.expect("NOOP")
        peer.send(b"220 2.0.0 Ready to start TLS\r\n250 2.0.0 Ok\r\n")
        peer.stay_silent()

    server = serve(answers_in_clear)

    result = probe(server.port)

    assert result.verdict is Verdict.REFUSED
    assert "answered the NOOP in clear" in result.explanation


def test_a_clean_starttls_handshake_fetches_the_chain_without_pipelining(
    serve: Callable[[Callable[[Peer], None]], ConversationServer], smtpdoctor_pki: ThrowawayPKI
) -> None:
    def plain_mx(peer: Peer) -> None:
        greet(peer)
        peer.expect("STARTTLS")
        peer.send(b"220 2.0.0 Ready to start TLS\r\n")
        peer.start_tls(smtpdoctor_pki.server_context())
        peer.answer_quit()

    server = serve(plain_mx)
    target = InjectionTarget(
        "mx1.example.test", server.port, ("127.0.0.1",), helo_name="probe.test"
    )

    chain = starttls_chain(target, timeout=2.0, deadline_at=time.monotonic() + 20)

    assert chain[0] == ssl.PEM_cert_to_DER_cert(smtpdoctor_pki.cert_pem)
    assert server.commands == ["EHLO", "STARTTLS", "QUIT"]


def test_a_clean_handshake_with_a_server_without_starttls_fetches_no_chain(
    make_smtp_server: Callable[..., SMTPTestServer],
) -> None:
    server = make_smtp_server(users={}, tls="none")
    target = InjectionTarget(
        "mx1.example.test", server.port, ("127.0.0.1",), helo_name="probe.test"
    )

    chain = starttls_chain(target, timeout=2.0, deadline_at=time.monotonic() + 20)

    assert chain == ()
    assert server.connections == 1


def test_a_server_that_hangs_up_on_pipelined_starttls_refused_the_injection(
    serve: Callable[[Callable[[Peer], None]], ConversationServer],
) -> None:
    def hangs_up(peer: Peer) -> None:
        greet(peer)
        peer.expect("STARTTLS")
        peer.close()

    server = serve(hangs_up)

    result = probe(server.port)

    assert result.verdict is Verdict.REFUSED
    assert "closed the connection" in result.explanation


def test_the_handshakes_certificate_chain_is_kept_unverified_for_dane(
    make_smtp_server: Callable[..., SMTPTestServer], smtpdoctor_pki: ThrowawayPKI
) -> None:
    server = make_smtp_server(users={})  # a certificate for localhost, not mx1.example.test

    result = probe(server.port)

    assert result.peer_chain[0] == ssl.PEM_cert_to_DER_cert(smtpdoctor_pki.cert_pem)


def test_a_server_without_starttls_cannot_be_tested(
    make_smtp_server: Callable[..., SMTPTestServer],
) -> None:
    server = make_smtp_server(users={}, tls="none")

    result = probe(server.port)

    assert result.verdict is Verdict.UNTESTED
    assert result.explanation == "the server does not offer STARTTLS"
    assert result.peer_chain == ()


def test_a_silent_server_leaves_the_probe_untested_within_its_timeout(
    serve: Callable[[Callable[[Peer], None]], ConversationServer],
) -> None:
    server = serve(lambda peer: peer.stay_silent())

    result = probe(server.port, timeout=0.3)

    assert result.verdict is Verdict.UNTESTED
    assert "did not answer in time" in result.explanation


def test_a_server_that_is_not_smtp_cannot_be_tested(
    serve: Callable[[Callable[[Peer], None]], ConversationServer],
) -> None:
    server = serve(lambda peer: peer.send(b"SSH-2.0-OpenSSH_9.6\r\n"))

    result = probe(server.port)

    assert result.verdict is Verdict.UNTESTED
    assert "not SMTP" in result.explanation


def test_nothing_listening_leaves_the_probe_untested_in_words() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    result = probe(port)

    assert result.verdict is Verdict.UNTESTED
    assert "refused" in result.explanation
