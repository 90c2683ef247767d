"""Servers that misbehave before or instead of greeting: silence, a greeting dripped a byte
at a time, 421 and 554, and other protocols or plain garbage on the port."""

from __future__ import annotations

import pytest

from smtpdoctor.model.quantities import plural

from tests.hostile.hostile_server import GREETING, Peer, hostile
from tests.hostile.scenario import TIMEOUT, check, failure, hang_guard, hint_titles, skipped_after

pytestmark = hang_guard

LATER_STAGES = ["ehlo", "tls", "certificate", "auth"]


def silent(peer: Peer) -> None:
    peer.stay_silent()


def test_a_server_that_never_greets_fails_the_greeting_as_silent() -> None:
    with hostile(silent) as server:
        report = check(server)

    failed = failure(report, "greeting.silent")
    assert failed.summary == f"connected, but the server said nothing for {TIMEOUT:g} s"
    assert skipped_after(report, "greeting")[:4] == LATER_STAGES
    assert server.received == b""


def test_a_greeting_dripped_a_byte_per_second_is_bounded_by_the_timeout_for_the_whole_reply() -> (
    None
):
    """--timeout bounds the whole reply, not each byte: a tarpit cannot hold the run."""

    def drips(peer: Peer) -> None:
        peer.drip(GREETING, every=1.0)

    with hostile(drips) as server:
        report = check(server, timeout=2.5)

    failed = failure(report, "greeting.slow")
    received = failed.outcome.details["received_bytes"]
    assert isinstance(received, int)
    assert 1 <= received < len(GREETING)
    assert failed.summary == (
        "the server began its greeting but did not finish it in time: only "
        f"{plural(received, 'byte')} arrived (a tarpit, or a server too busy to talk)"
    )
    assert server.received == b""  # nothing was sent: no EHLO, no QUIT mid-greeting


def test_a_greeting_cut_off_after_one_byte_says_one_byte() -> None:
    def one_byte(peer: Peer) -> None:
        peer.send(GREETING[:1])
        peer.stay_silent()

    with hostile(one_byte) as server:
        report = check(server)

    failed = failure(report, "greeting.slow")
    assert failed.outcome.details["received_bytes"] == 1
    assert "only 1 byte arrived (a tarpit" in failed.summary


def test_a_421_greeting_fails_as_busy_and_nothing_is_sent_after_it() -> None:
    """421 closes the channel (RFC 5321 §3.8): not even QUIT may follow."""

    def busy(peer: Peer) -> None:
        peer.send(b"421 4.3.2 mail.example.test Service not available, try again later\r\n")

    with hostile(busy) as server:
        report = check(server)

    failed = failure(report, "greeting.busy")
    assert failed.summary == (
        "the server is not accepting connections right now: 421 4.3.2 mail.example.test "
        "Service not available, try again later"
    )
    assert "The server is busy or limiting connections" in hint_titles(failed)
    assert server.received == b""


def test_a_554_greeting_fails_as_refused_and_the_client_only_says_quit() -> None:
    def refuses(peer: Peer) -> None:
        peer.send(b"554 5.7.1 Service unavailable; client [127.0.0.1] blocked using zen\r\n")
        peer.answer_quit()

    with hostile(refuses) as server:
        report = check(server)

    failed = failure(report, "greeting.refused")
    assert failed.summary == (
        "the server refuses to talk to this client: 554 5.7.1 Service unavailable; "
        "client [127.0.0.1] blocked using zen"
    )
    assert server.commands == ["QUIT"]


@pytest.mark.parametrize(
    ("banner", "service"),
    [
        pytest.param(
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>",
            "a web server",
            id="http",
        ),
        pytest.param(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n", "an SSH server", id="ssh"),
        pytest.param(b"+OK Dovecot ready.\r\n", "a POP3 server", id="pop3"),
        pytest.param(
            b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", "an IMAP server", id="imap"
        ),
    ],
)
def test_another_service_on_the_port_is_named(banner: bytes, service: str) -> None:
    def other_service(peer: Peer) -> None:
        peer.send(banner)

    with hostile(other_service) as server:
        report = check(server)

    failed = failure(report, "greeting.other-protocol")
    assert failed.summary == f"this port is answered by {service}, not by a mail server"
    assert server.received == b""


def test_binary_garbage_with_line_breaks_fails_as_not_smtp_showing_the_bytes() -> None:
    def garbage(peer: Peer) -> None:
        peer.send(b"\x00\x9f\xff\x13garbage\x1b[31m\r\nmore\r\n")

    with hostile(garbage) as server:
        report = check(server)

    failed = failure(report, "greeting.not-smtp")
    assert failed.summary == (
        "this does not look like an SMTP server: the server sent a line that is not an SMTP "
        "reply: \\x00\\x9f\\xff\\x13garbage\\x1b[31m"
    )
    assert "\x1b" not in failed.summary  # a terminal escape is shown, never obeyed


def test_binary_garbage_without_a_line_ending_is_refused_without_waiting_for_the_timeout() -> None:
    """Garbage that never ends a line is recognised from its first bytes: the diagnosis is
    "not SMTP", not a misleading timeout."""

    def garbage(peer: Peer) -> None:
        peer.send(bytes(range(200, 256)) * 4)

    with hostile(garbage) as server:
        report = check(server, timeout=8.0)

    failed = failure(report, "greeting.not-smtp")
    assert failed.summary.startswith(
        "this does not look like an SMTP server: the server sent something that is not an SMTP "
        "reply: \\xc8\\xc9\\xca"
    )


def test_a_greeting_whose_code_changes_mid_reply_is_not_smtp() -> None:
    def inconsistent(peer: Peer) -> None:
        peer.send(b"220-mail.example.test ESMTP\r\n554 go away\r\n")

    with hostile(inconsistent) as server:
        report = check(server)

    failed = failure(report, "greeting.not-smtp")
    assert failed.summary == (
        "this does not look like an SMTP server: a multi-line reply changed its code from 220 "
        "to 554 mid-reply: 554 go away"
    )


def test_a_greeting_cut_off_mid_reply_by_a_hang_up_fails_as_connection_lost() -> None:
    def cut_off(peer: Peer) -> None:
        peer.send(b"220-mail.example.test ESMTP\r\n220-Welc")
        peer.close()

    with hostile(cut_off) as server:
        report = check(server)

    failed = failure(report, "greeting.connection-lost")
    assert failed.summary == (
        "connection lost: the server closed the connection in the middle of the greeting"
    )
    assert skipped_after(report, "greeting")[:4] == LATER_STAGES
