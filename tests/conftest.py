"""Shared fixtures: real servers on loopback and a one-call way to run smtpdoctor on them.

* ``smtp_server`` — an aiosmtpd server (STARTTLS required, AUTH PLAIN/LOGIN for ``USER``).
* ``make_server`` — the same with any options (implicit TLS, no TLS, other certificates…).
* ``scripted`` — a raw TCP server that plays bytes from a script, for servers that are not
  SMTP at all or break it in a precise way.
* ``run_check`` — run the whole pipeline against a server and get the typed report.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from smtpdoctor import runner
from smtpdoctor.config import Credentials, RunConfig, Secret, TLSMode
from smtpdoctor.demo.pki import ThrowawayPKI, make_pki
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.plugins import make_plugin_manager
from smtpdoctor.results import Report

USER = "alice@example.test"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def pki() -> ThrowawayPKI:
    """One throwaway CA and server certificate (127.0.0.1, ::1, localhost) for the session."""
    return make_pki()


@pytest.fixture
def make_server(pki: ThrowawayPKI) -> Iterator[Callable[..., LocalSMTPServer]]:
    """Start LocalSMTPServers with the given options; all are stopped after the test."""
    started: list[LocalSMTPServer] = []

    def start(**options: Any) -> LocalSMTPServer:
        options.setdefault("users", {USER: PASSWORD})
        if options.get("tls", "starttls") != "none":
            options.setdefault("pki", pki)
        server = LocalSMTPServer(**options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(make_server: Callable[..., LocalSMTPServer]) -> LocalSMTPServer:
    """The typical submission server: STARTTLS required, then AUTH PLAIN/LOGIN."""
    return make_server()


RunCheck = Callable[..., Report]


@pytest.fixture
def run_check() -> RunCheck:
    """Run the full pipeline: ``run_check(server, password=..., **RunConfig fields)``.

    ``server`` may be a LocalSMTPServer (its CA is trusted and its TLS mode used) or a
    ``(host, port)`` pair.  Pass ``password=None`` to check without logging in.
    """

    def run(
        server: LocalSMTPServer | tuple[str, int],
        *,
        password: str | None = PASSWORD,
        user: str = USER,
        **fields: Any,
    ) -> Report:
        if isinstance(server, LocalSMTPServer):
            host, port = server.host, server.port
            fields.setdefault("tls", TLSMode(server.tls))
            if server.tls != "none":
                fields.setdefault("ca_data", server.ca_pem)
        else:
            host, port = server
        if password is not None:
            fields.setdefault("credentials", Credentials(user, Secret(password)))
        fields.setdefault("timeout", 3.0)
        fields.setdefault("deadline", 20.0)
        config = RunConfig(host=host, port=port, **fields)
        return runner.run(config, make_plugin_manager(load_entry_points=False))

    return run


@dataclass
class ScriptedServer:
    """A TCP server on 127.0.0.1 that answers each connection with ``script``.

    ``script`` is a list of steps: ``bytes`` are sent, ``"recv"`` waits for one chunk from
    the client, ``"close"`` closes, ``("sleep", seconds)`` pauses.  After the script the
    connection stays open until the client leaves (so the client's timeouts are exercised).
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
        listener = socket.create_server((self.host, 0))
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

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
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        with conn:
            for step in self.script:
                if self._stop.is_set():
                    return
                if isinstance(step, bytes):
                    conn.sendall(step)
                elif step == "recv":
                    if not self._receive(conn):
                        return
                elif step == "close":
                    return
                elif isinstance(step, tuple) and step[0] == "sleep":
                    self._stop.wait(step[1])
            while not self._stop.is_set() and self._receive(conn):
                pass

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


@pytest.fixture
def scripted() -> Iterator[Callable[[list[Any]], ScriptedServer]]:
    """Start ScriptedServers; all are stopped after the test."""
    servers: list[ScriptedServer] = []

    def start(script: list[Any]) -> ScriptedServer:
        server = ScriptedServer(script)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
