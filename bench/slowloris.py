"""Slow HTTP clients held open against an endpoint while the soak runs: a slowloris.

A third of the connections say nothing at all, a third write a request's headers one byte
every :data:`DRIP_EVERY` seconds and never finish them, and a third send a whole request,
read the answer, and then sit idle on the kept-alive connection. When the server closes one
(as a server with header and idle timeouts should), it is counted and opened again on the next
tick, so the endpoint faces the same number of slow clients all the time.

One thread, non-blocking sockets, a tick every second; it stops when told to.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

TICK: Final = 1.0
#: How often a half-written request gets its next byte.
DRIP_EVERY: Final = 10
KINDS: Final = ("idle", "half-written", "kept-alive")


@dataclass(slots=True)
class _Slow:
    kind: str
    sock: socket.socket
    pending: bytes = b""
    ticks: int = 0


@dataclass(slots=True)
class SlowlorisStats:
    """What the slow clients saw."""

    opened: int = 0
    closed_by_server: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    refused: int = 0
    """Connection attempts that failed (the server's backlog full, or no listener)."""
    held_at_end: int = 0


class Slowloris:
    """``count`` slow connections to ``127.0.0.1:port``, kept at that number until
    :meth:`stop`."""

    def __init__(self, port: int, count: int, *, path: str = "/metrics") -> None:
        self._port = port
        self._count = count
        self._path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slowloris", daemon=True)
        self._slow: list[_Slow] = []
        self.stats = SlowlorisStats()

    def start(self) -> None:
        """Open the connections and start ticking."""
        self._thread.start()

    def stop(self) -> SlowlorisStats:
        """Stop ticking, close every connection, and return the statistics."""
        self._stop.set()
        self._thread.join(30)
        return self.stats

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._tick()
                self._stop.wait(TICK)
        finally:
            self.stats.held_at_end = len(self._slow)
            for slow in self._slow:
                with contextlib.suppress(OSError):
                    slow.sock.close()

    def _tick(self) -> None:
        alive = []
        for slow in self._slow:
            if self._step(slow):
                alive.append(slow)
            else:
                self.stats.closed_by_server[slow.kind] += 1
                with contextlib.suppress(OSError):
                    slow.sock.close()
        self._slow = alive
        for index in range(len(self._slow), self._count):
            opened = self._open(KINDS[index % len(KINDS)])
            if opened is not None:
                self._slow.append(opened)

    def _open(self, kind: str) -> _Slow | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self._port), timeout=2.0)
        except OSError:
            self.stats.refused += 1
            return None
        sock.setblocking(False)
        self.stats.opened += 1
        request = f"GET {self._path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
        if kind == "half-written":
            return _Slow(kind, sock, pending=request + b"X-Slow: " + b"s" * 4096)
        if kind == "kept-alive":
            with contextlib.suppress(BlockingIOError):
                sock.send(request + b"Connection: keep-alive\r\n\r\n")
        return _Slow(kind, sock)

    def _step(self, slow: _Slow) -> bool:
        """Read what the server sent (drained, ignored) and drip a byte when due; False when
        the server has closed the connection."""
        try:
            while True:
                data = slow.sock.recv(65536)
                if not data:
                    return False
        except BlockingIOError:
            pass
        except OSError:
            return False
        slow.ticks += 1
        if slow.pending and slow.ticks % DRIP_EVERY == 1:
            try:
                slow.sock.send(slow.pending[:1])
            except BlockingIOError:
                return True
            except OSError:
                return False
            slow.pending = slow.pending[1:]
        return True


@contextlib.contextmanager
def slowloris(port: int, count: int) -> Iterator[Slowloris]:
    """``with slowloris(port, 300) as clients:`` — running for the block, stopped after."""
    clients = Slowloris(port, count)
    clients.start()
    try:
        yield clients
    finally:
        clients.stop()
