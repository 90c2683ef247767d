"""A small fleet of plain-SMTP servers on loopback addresses, for the scan tests.

Each :class:`FleetServer` listens on its own 127.0.0.x address and answers like a minimal
mail server (220, EHLO, QUIT), or refuses the first connections with ``421`` (throttling), or
says nothing at all (a dead server).  A shared :class:`Gauge` records how many connections
were open at once, per address and in total, so tests can see politeness and concurrency.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from smtpdoctor.api import Doctor, Request
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.model.words import TLSMode
from smtpdoctor.scan import (
    Place,
    Scanner,
    ScanOptions,
    ScanResult,
    ScanTarget,
    pipeline_runner,
    place_target,
)

#: How long a server waits for its barrier partners before greeting anyway (a hang guard).
BARRIER_TIMEOUT = 10.0


class Gauge:
    """Open connections now and at most, per server address and over all addresses."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}
        self.peak_by_address: dict[str, int] = {}
        self.peak_total = 0

    def opened(self, address: str) -> None:
        with self._lock:
            self._open[address] = self._open.get(address, 0) + 1
            self.peak_by_address[address] = max(
                self.peak_by_address.get(address, 0), self._open[address]
            )
            self.peak_total = max(self.peak_total, sum(self._open.values()))

    def closed(self, address: str) -> None:
        with self._lock:
            self._open[address] -= 1


@dataclass
class FleetServer:
    """A plain-SMTP server on ``host`` (a 127.0.0.x address) and a free port.

    ``throttle_first`` connections are answered ``421 4.7.0`` and closed; after that the
    server greets, answers EHLO and QUIT.  ``silent`` servers accept and never speak.  With a
    ``barrier`` every connection waits for its partners on other servers before greeting, so
    a test can tell that they were checked at the same time.
    """

    host: str
    gauge: Gauge
    throttle_first: int = 0
    silent: bool = False
    barrier: threading.Barrier | None = None
    port: int = 0
    connections: int = 0
    _listener: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def scan_target(self) -> ScanTarget:
        return ScanTarget(self.host, self.port)

    def start(self) -> None:
        listener = socket.create_server((self.host, 0))
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        self._stop.set()
        if self.barrier is not None:
            self.barrier.abort()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()

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
            self._spawn(self._serve, conn, self.connections)

    def _serve(self, conn: socket.socket, number: int) -> None:
        self.gauge.opened(self.host)
        try:
            with conn:
                conn.settimeout(0.1)
                self._converse(conn, number)
        finally:
            self.gauge.closed(self.host)

    def _converse(self, conn: socket.socket, number: int) -> None:
        if self.silent:
            while self._read_line(conn, bytearray()) is not None:
                pass
            return
        if number <= self.throttle_first:
            conn.sendall(b"421 4.7.0 Too many connections from your address, try later\r\n")
            return
        if self.barrier is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait(BARRIER_TIMEOUT)
        conn.sendall(b"220 fleet.example.test ESMTP\r\n")
        buffer = bytearray()
        while (line := self._read_line(conn, buffer)) is not None:
            verb = line.split(b" ", 1)[0].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250-fleet.example.test\r\n250 8BITMIME\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                conn.sendall(b"502 5.5.2 Not implemented\r\n")

    def _read_line(self, conn: socket.socket, buffer: bytearray) -> bytes | None:
        """The next CRLF-terminated line, or None once the client left or we stop."""
        while b"\r\n" not in buffer:
            if self._stop.is_set():
                return None
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            buffer.extend(chunk)
        line, _, rest = bytes(buffer).partition(b"\r\n")
        buffer[:] = rest
        return line


class Fleet:
    """The servers of one test, sharing one :class:`Gauge`."""

    def __init__(self) -> None:
        self.gauge = Gauge()
        self.servers: list[FleetServer] = []

    def start(
        self,
        host: str,
        *,
        throttle_first: int = 0,
        silent: bool = False,
        barrier: threading.Barrier | None = None,
    ) -> FleetServer:
        """Start a server on ``host`` (a 127.0.0.x address) and a free port."""
        server = FleetServer(
            host, self.gauge, throttle_first=throttle_first, silent=silent, barrier=barrier
        )
        server.start()
        self.servers.append(server)
        return server


@contextlib.contextmanager
def running_fleet() -> Iterator[Fleet]:
    """A :class:`Fleet` whose servers are all stopped afterwards."""
    fleet = Fleet()
    try:
        yield fleet
    finally:
        for server in fleet.servers:
            server.stop()


def plain_template(*, timeout: float = 3.0) -> Request:
    """The request every target of the fleet shares: no TLS, short step timeouts, only the
    builtin checks."""
    return Request(
        "template.invalid",
        port=587,
        tls=TLSMode.NONE,
        timeout=timeout,
        deadline=20.0,
        plugins=PluginSelection(autoload=False),
    )


def scan_all(
    targets: list[ScanTarget],
    *,
    concurrency: int = 10,
    retries: int = 2,
    retry_delay: float = 0.05,
    timeout: float = 3.0,
    place: Place = place_target,
) -> list[ScanResult]:
    """Scan ``targets`` with the real pipeline; the results in the order they finished."""
    options = ScanOptions(
        template=plain_template(timeout=timeout),
        concurrency=concurrency,
        retries=retries,
        retry_delay=retry_delay,
    )
    doctor = Doctor(PluginSelection(autoload=False))
    results: list[ScanResult] = []
    Scanner(options, pipeline_runner(doctor), place=place).run(targets, results.append)
    return results
