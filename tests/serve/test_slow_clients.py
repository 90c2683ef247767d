"""Slow and idle HTTP clients (a slowloris) do not stop ``/probe`` from answering."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.serve.servekit import LIMIT, RunningServe, series, value, write_config

#: Connections held open at once: idle ones, and ones that stop in the middle of a request.
IDLE = 100
HALF_SENT = 100


@contextlib.contextmanager
def open_connections(port: int, count: int, first_bytes: bytes) -> Iterator[list[socket.socket]]:
    """``count`` connections to ``port`` that send ``first_bytes`` and then nothing more."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=LIMIT)
            if first_bytes:
                sock.sendall(first_bytes)
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def test_probe_answers_while_hundreds_of_connections_hang(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    config = write_config(
        tmp_path,
        """
        [server]
        allowed_targets = ["127.0.0.1"]

        [modules.plain]
        tls = "none"
        """,
    )
    serve = make_serve(config)
    partial = b"GET /probe?target=127.0.0.1:1&module=plain HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "

    with (
        open_connections(serve.port, IDLE, b"") as idle,
        open_connections(serve.port, HALF_SENT, partial) as half_sent,
    ):
        reply = serve.get("/probe?target=127.0.0.1:1&module=plain")
        page = serve.get("/")

        assert len(idle) + len(half_sent) == IDLE + HALF_SENT
    assert reply.status == 200
    assert value(series(reply.text), "probe_success") == 0  # nothing listens on port 1
    assert page.status == 200
