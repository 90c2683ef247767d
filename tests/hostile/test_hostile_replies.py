"""Replies that break SMTP's grammar: endless lines, codes that change mid-reply, replies cut
off, replies nobody asked for, EHLO refused — and a bound on the memory they can cost."""

from __future__ import annotations

import tracemalloc

from smtpdoctor.core import runner
from smtpdoctor.core.plugins import make_plugin_manager
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.net.session import Session
from smtpdoctor.net.transport import RECV_CHUNK
from smtpdoctor.protocol.reply import DEFAULT_MAX_LINE_LENGTH, DEFAULT_MAX_REPLY_LINES
from smtpdoctor.settings.config import RunConfig

from tests.hostile.hostile_server import EHLO_STARTTLS, GREETING, Peer, hostile
from tests.hostile.scenario import check, failure, first_problem, hang_guard, row

pytestmark = hang_guard

MIB = 1024 * 1024
#: What a whole run may allocate at its peak against a 1 MiB line: a quarter of the line.
#: (Measured: under 100 KiB.)
MEMORY_BOUND = MIB // 4


def test_a_1_mib_line_without_a_line_ending_is_refused_in_bounded_memory() -> None:
    """The parser refuses the line as soon as it outgrows the cap: smtpdoctor never holds
    more than the cap plus one network read of it, however long the server keeps going."""
    endless = b"220 " + b"x" * MIB  # built before measuring: it is the server's memory

    def endless_line(peer: Peer) -> None:
        peer.send(endless)

    with hostile(endless_line) as server:
        host, port = server.address
        config = RunConfig(host=host, port=port, tls=TLSMode.STARTTLS, timeout=5.0)
        runner.run(config, make_plugin_manager(load_entry_points=False))  # warm-up: imports
        manager = make_plugin_manager(load_entry_points=False)
        session = Session(config)
        tracemalloc.start()
        try:
            report = runner.run(config, manager, session=session)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    failed = failure(report, "greeting.not-smtp")
    assert failed.summary == (
        "this does not look like an SMTP server: the server sent a line longer than "
        f"{DEFAULT_MAX_LINE_LENGTH} bytes without a line ending"
    )
    assert session.peak_buffered_bytes <= DEFAULT_MAX_LINE_LENGTH + RECV_CHUNK
    assert peak < MEMORY_BOUND, f"the run allocated {peak} bytes at its peak"


def test_an_ehlo_reply_whose_code_changes_mid_reply_fails_ehlo_as_a_protocol_error() -> None:
    def inconsistent(peer: Peer) -> None:
        peer.send(GREETING)
        peer.expect("EHLO")
        peer.send(b"250-mail.example.test\r\n250-PIPELINING\r\n251 STARTTLS\r\n")

    with hostile(inconsistent) as server:
        report = check(server)

    failed = failure(report, "ehlo.protocol-error")
    assert failed.summary == (
        "the server broke the SMTP protocol: a multi-line reply changed its code from 250 to "
        "251 mid-reply: 251 STARTTLS"
    )


def test_an_ehlo_reply_cut_off_by_a_hang_up_fails_ehlo_as_connection_lost() -> None:
    def cut_off(peer: Peer) -> None:
        peer.send(GREETING)
        peer.expect("EHLO")
        peer.send(b"250-mail.example.test\r\n250-PIPEL")
        peer.close()

    with hostile(cut_off) as server:
        report = check(server)

    failed = failure(report, "ehlo.connection-lost")
    assert failed.summary == (
        "connection lost: the server closed the connection in the middle of the reply to EHLO"
    )


def test_an_ehlo_reply_that_stops_mid_reply_times_out_saying_how_much_arrived() -> None:
    partial = b"250-mail.example.test\r\n250-PIPEL"

    def stalls(peer: Peer) -> None:
        peer.send(GREETING)
        peer.expect("EHLO")
        peer.send(partial)

    with hostile(stalls) as server:
        report = check(server)

    failed = failure(report, "ehlo.timeout")
    assert failed.summary == (
        "timed out: the reply to EHLO was still incomplete when the time ran out: only "
        f"{len(partial)} bytes of it arrived (the server sends very slowly, or stopped "
        "mid-reply)"
    )


def test_an_ehlo_reply_that_stops_after_one_byte_says_one_byte() -> None:
    def stalls(peer: Peer) -> None:
        peer.send(GREETING)
        peer.expect("EHLO")
        peer.send(b"2")

    with hostile(stalls) as server:
        report = check(server)

    failed = failure(report, "ehlo.timeout")
    assert "only 1 byte of it arrived (the server sends very slowly" in failed.summary


def test_a_reply_line_longer_than_the_cap_fails_as_a_protocol_error() -> None:
    def long_line(peer: Peer) -> None:
        peer.send(GREETING)
        peer.expect("EHLO")
        peer.send(b"250-" + b"x" * (DEFAULT_MAX_LINE_LENGTH + 100) + b"\r\n250 end\r\n")

    with hostile(long_line) as server:
        report = check(server)

    failed = failure(report, "ehlo.protocol-error")
    assert failed.summary.startswith(
        "the server broke the SMTP protocol: the server sent a line longer than "
        f"{DEFAULT_MAX_LINE_LENGTH} bytes"
    )


def test_a_reply_with_more_lines_than_the_cap_fails_as_a_protocol_error() -> None:
    def endless_reply(peer: Peer) -> None:
        peer.send(GREETING)
        peer.expect("EHLO")
        peer.send(b"250-X-FILLER\r\n" * (DEFAULT_MAX_REPLY_LINES * 4))

    with hostile(endless_reply) as server:
        report = check(server)

    failed = failure(report, "ehlo.protocol-error")
    assert failed.summary == (
        "the server broke the SMTP protocol: a multi-line reply ran past "
        f"{DEFAULT_MAX_REPLY_LINES} lines"
    )


def test_ehlo_refused_falls_back_to_helo_and_warns() -> None:
    def helo_only(peer: Peer) -> None:
        peer.send(GREETING)
        peer.expect("EHLO")
        peer.send(b"502 5.5.2 Error: command not recognized\r\n")
        peer.expect("HELO")
        peer.send(b"250 mail.example.test\r\n")
        peer.answer_quit()

    with hostile(helo_only) as server:
        report = check(server)

    ehlo = row(report, "ehlo")
    assert ehlo.status is Status.WARN
    assert ehlo.outcome.finding == "ehlo.helo-only"
    assert ehlo.summary == (
        "EHLO was refused (502 5.5.2 Error: command not recognized) but HELO works: the "
        "server speaks only the 1982 protocol, with no STARTTLS, no AUTH and no size limit "
        "announced"
    )
    assert server.commands[:2] == ["EHLO", "HELO"]
    assert row(report, "tls").outcome.finding == "tls.starttls-not-offered"


def test_ehlo_and_helo_both_refused_fail_ehlo() -> None:
    def refuses_both(peer: Peer) -> None:
        peer.send(GREETING)
        peer.expect("EHLO")
        peer.send(b"550 5.7.1 Go away\r\n")
        peer.expect("HELO")
        peer.send(b"550 5.7.1 Still no\r\n")
        peer.answer_quit()

    with hostile(refuses_both) as server:
        report = check(server)

    failed = failure(report, "ehlo.rejected")
    assert failed.summary == (
        "the server refused EHLO (550 5.7.1 Go away) and HELO (550 5.7.1 Still no)"
    )


def test_a_reply_nobody_asked_for_is_never_taken_as_the_answer_to_the_next_command() -> None:
    """Response injection: an extra "220" sent with the EHLO reply must not pass for the
    answer to STARTTLS, so smtpdoctor does not even send STARTTLS."""

    def injects(peer: Peer) -> None:
        peer.send(GREETING)
        peer.expect("EHLO")
        peer.send(EHLO_STARTTLS + b"220 2.0.0 Ready to start TLS\r\n")

    with hostile(injects) as server:
        report = check(server)

    failed = failure(report, "tls.protocol-error")
    assert failed.summary == (
        "the server broke the SMTP protocol: the server sent data nobody asked for before our "
        "STARTTLS (a server answers each command once, and only when asked)"
    )
    assert server.commands == ["EHLO"]


def test_terminal_control_sequences_in_replies_are_shown_escaped_not_obeyed() -> None:
    def escapes(peer: Peer) -> None:
        peer.send(b"220 mail.example.test \x1b]0;owned\x07\x1b[2J\xe2\x80\xae ESMTP\r\n")
        peer.expect("EHLO")
        peer.send(b"550 5.7.1 \x1b[31mno\x1b[0m\r\n")
        peer.expect("HELO")
        peer.send(b"550 5.7.1 \xc2\x9b2J\r\n")  # U+009B, the one-character CSI
        peer.answer_quit()

    with hostile(escapes) as server:
        report = check(server)

    greeting = row(report, "greeting")
    assert greeting.summary.startswith(
        "220 mail.example.test \\x1b]0;owned\\x07\\x1b[2J\\u202e ESMTP"
    )
    failed = first_problem(report)
    assert failed.summary == (
        "the server refused EHLO (550 5.7.1 \\x1b[31mno\\x1b[0m) and HELO (550 5.7.1 \\x9b2J)"
    )
    shown = [r.summary for r in report.results] + [line.text for line in report.transcript]
    assert not any(char in text for text in shown for char in "\x1b\x07\x9b\u202e")
