"""Peers for the target and port-matrix tests: loopback ports in every state a mail port can be
in, and SMTP servers that only answer once every probe has arrived.

Used together with ``dnsserver.DNSServer`` (names) and the ``make_server`` fixture of
``tests/conftest.py`` (real aiosmtpd servers).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Self

#: The throwaway account of conftest's ``make_server``.
USER = "alice@example.test"
PASSWORD = "correct horse battery staple"


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel completes the handshake) but
    never says a word: a tarpit, or a server waiting for TLS from the first byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        port: int = listener.getsockname()[1]
        yield port
    finally:
        listener.close()


class GatedSMTP:
    """SMTP servers on ``count`` loopback ports that greet only once a connection has arrived
    on *every* port.

    A client that probes the ports one after the other waits on the first for a greeting that
    never comes; one that probes them all at once gets every greeting.  Each server offers
    STARTTLS in its EHLO reply and records the commands it is sent.
    """

    def __init__(self, count: int, *, wait: float) -> None:
        self._barrier = threading.Barrier(count, timeout=wait)
        self._listeners = [socket.create_server(("127.0.0.1", 0)) for _ in range(count)]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._commands: list[str] = []
        self._threads: list[threading.Thread] = []

    @property
    def ports(self) -> list[int]:
        """The ports, in order."""
        return [int(listener.getsockname()[1]) for listener in self._listeners]

    @property
    def commands(self) -> list[str]:
        """Every command line received, on any port."""
        with self._lock:
            return list(self._commands)

    def __enter__(self) -> Self:
        for listener in self._listeners:
            listener.settimeout(0.05)
            self._spawn(self._accept, listener)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._barrier.abort()
        for thread in self._threads:
            thread.join(timeout=5)
        for listener in self._listeners:
            listener.close()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                self._barrier.wait()
            except threading.BrokenBarrierError:
                return
            conn.settimeout(5)
            conn.sendall(b"220 gated.test ESMTP\r\n")
            for line in _lines(conn):
                with self._lock:
                    self._commands.append(line)
                verb = line.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    conn.sendall(b"250-gated.test\r\n250 STARTTLS\r\n")
                elif verb == "QUIT":
                    conn.sendall(b"221 2.0.0 bye\r\n")
                    return
                else:
                    conn.sendall(b"502 5.5.2 not here\r\n")


def _lines(conn: socket.socket) -> Iterator[str]:
    buffer = b""
    while True:
        try:
            data = conn.recv(4096)
        except OSError:
            return
        if not data:
            return
        buffer += data
        while b"\r\n" in buffer:
            line, buffer = buffer.split(b"\r\n", 1)
            yield line.decode("ascii", "replace")
