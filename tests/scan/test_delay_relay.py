"""The benchmark's delaying relay: it delays, it relays every byte, and it counts turns the way
round trips are compared."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.relay import ConnectionLog, DelayRelay

HANG_GUARD = 10.0


@contextmanager
def line_server() -> Iterator[tuple[str, int]]:
    """Greets, then answers every line with ``250 <line>``; one connection at a time."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(HANG_GUARD)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(HANG_GUARD)
            conn.sendall(b"220 hello\r\n")
            buffer = b""
            while chunk := conn.recv(4096):
                buffer += chunk
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    conn.sendall(b"250 " + line + b"\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        listener.close()
        thread.join(HANG_GUARD)


def read_lines(sock: socket.socket, count: int) -> bytes:
    data = b""
    while data.count(b"\r\n") < count:
        chunk = sock.recv(4096)
        assert chunk, "the relay closed the connection early"
        data += chunk
    return data


def test_a_conversation_is_relayed_byte_for_byte_and_its_turns_counted() -> None:
    with line_server() as upstream, DelayRelay(upstream, rtt=0.0) as relay:
        with socket.create_connection(("127.0.0.1", relay.port), timeout=HANG_GUARD) as client:
            assert read_lines(client, 1) == b"220 hello\r\n"
            client.sendall(b"EHLO a\r\n")
            assert read_lines(client, 1) == b"250 EHLO a\r\n"
            client.sendall(b"QUIT\r\n")
            assert read_lines(client, 1) == b"250 QUIT\r\n"
        tally = relay.tally()

    assert tally.connections == 1
    assert tally.turns == 5  # S C S C S
    assert tally.round_trips == 2
    assert tally.bytes_up == len(b"EHLO a\r\nQUIT\r\n")


def test_commands_sent_without_waiting_are_one_round_trip() -> None:
    with line_server() as upstream, DelayRelay(upstream, rtt=0.0) as relay:
        with socket.create_connection(("127.0.0.1", relay.port), timeout=HANG_GUARD) as client:
            read_lines(client, 1)
            # one write, as a pipelining client sends them (two writes may reach the relay as
            # two turns on a loaded machine)
            client.sendall(b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n")
            assert read_lines(client, 2) == b"250 MAIL FROM:<a@b>\r\n250 RCPT TO:<c@d>\r\n"
        tally = relay.tally()

    assert tally.round_trips == 1


def test_each_direction_is_held_for_half_the_round_trip_time() -> None:
    rtt = 0.2
    with (
        line_server() as upstream,
        DelayRelay(upstream, rtt=rtt) as relay,
        socket.create_connection(("127.0.0.1", relay.port), timeout=HANG_GUARD) as client,
    ):
        read_lines(client, 1)
        started = time.monotonic()
        client.sendall(b"NOOP\r\n")
        read_lines(client, 1)
        waited = time.monotonic() - started

    # A lower bound only: the relay cannot deliver sooner, however slow the machine.
    assert waited >= rtt


def test_reset_forgets_earlier_connections() -> None:
    with line_server() as upstream, DelayRelay(upstream, rtt=0.0) as relay:
        with socket.create_connection(("127.0.0.1", relay.port), timeout=HANG_GUARD) as client:
            read_lines(client, 1)
        relay.reset()

        assert relay.tally().connections == 0


def test_a_turn_is_speaking_after_hearing_the_other_side() -> None:
    log = ConnectionLog(
        events=[
            ("arrived", "S"),  # greeting
            ("delivered", "S"),
            ("arrived", "C"),  # EHLO ...
            ("arrived", "C"),  # ... in two chunks: still one turn
            ("delivered", "C"),
            ("delivered", "C"),
            ("arrived", "S"),  # reply
            ("delivered", "S"),
            ("arrived", "C"),  # TLS Finished
            ("delivered", "C"),
            ("arrived", "S"),  # session ticket, on its way to the client ...
            ("arrived", "C"),  # ... when the client sends EHLO: no new client turn
            ("delivered", "S"),
            ("delivered", "C"),
            ("arrived", "S"),  # the reply to EHLO: a server turn of its own
            ("delivered", "S"),
        ]
    )

    assert log.client_turns == 2  # EHLO; then Finished and EHLO together
    assert log.turns == 6  # and the server's: greeting, reply, ticket, reply
