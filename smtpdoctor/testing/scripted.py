"""A TCP server that plays raw bytes: for servers that break SMTP in a precise way."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from smtpdoctor.testing._serving import JOIN_TIMEOUT, POLL


@dataclass
class ScriptedServer:
    """A TCP server on 127.0.0.1 that answers each connection with ``script``.

    ``script`` is a list of steps: ``bytes`` are sent, ``"recv"`` waits for one chunk from the
    client, ``"close"`` closes, ``("sleep", seconds)`` pauses.  After the script the connection
    stays open until the client leaves (so the client's timeouts are exercised).  What clients
    sent is in :attr:`received`, one chunk per ``recv``.
    """

    script: list[Any]
    host: str = "127.0.0.1"
    port: int = 0
    received: list[bytes] = field(default_factory=list)
    connections: int = 0
    _listener: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        """Listen on a free port and serve from background threads."""
        listener = socket.create_server((self.host, 0))
        listener.settimeout(POLL)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        """Stop serving and join every thread."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=JOIN_TIMEOUT)
        if self._listener is not None:
            self._listener.close()

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``, for :func:`run_pipeline` or a :class:`RunConfig`."""
        return self.host, self.port

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(POLL)
        with conn:
            for step in self.script:
                if self._stop.is_set():
                    return
                if isinstance(step, bytes):
                    if not self._send(conn, step):
                        return
                elif step == "recv":
                    if not self._receive(conn):
                        return
                elif step == "close":
                    return
                elif isinstance(step, tuple) and step[0] == "sleep":
                    self._stop.wait(step[1])
            while not self._stop.is_set() and self._receive(conn):
                pass

    def _send(self, conn: socket.socket, data: bytes) -> bool:
        """Send all of ``data``, however slowly the client reads; False when the client left
        or the server is stopping."""
        view = memoryview(data)
        while view:
            if self._stop.is_set():
                return False
            try:
                view = view[conn.send(view) :]
            except TimeoutError:
                continue
            except OSError:
                return False
        return True

    def _receive(self, conn: socket.socket) -> bool:
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return False
            if not data:
                return False
            self.received.append(data)
            return True
        return False
