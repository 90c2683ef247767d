"""Proxies on loopback for the ``--proxy`` tests.

* :class:`Pproxy` — pproxy, a real proxy, serving SOCKS4, SOCKS5 and HTTP CONNECT on one
  port, with an optional login; the end-to-end runs go through it.
* :class:`RuleSocks5` — the smallest honest SOCKS5 server (RFC 1928, no authentication): it
  answers with the reply codes pproxy never sends — ``0x02`` for a port outside its allowed
  set, ``0x05`` when the destination refuses — and relays when the connection works.
* conversations for :class:`~smtpdoctor.lab.scripted.ConversationServer`: a proxy that says
  exactly one thing (a reply code, an HTTP status, nothing at all).

Everything listens on 127.0.0.x and stops with the test, threads joined, sockets closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading
from collections.abc import Callable
from typing import Any, Final

from smtpdoctor.lab.scripted import Conversation, Peer

#: How long a stopping server waits for its threads.
JOIN_LIMIT: Final = 5.0
#: How often blocked accept and relay calls look whether the server is stopping.
POLL: Final = 0.05


class Pproxy:
    """pproxy on ``host`` (a free port), with its own event loop in a thread.

    ``login`` (user, password) makes it require one, for SOCKS5 and HTTP.
    """

    def __init__(self, *, host: str = "127.0.0.1", login: tuple[str, str] | None = None) -> None:
        self.host = host
        self.port = 0
        self._login = login
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pproxy", daemon=True)
        self._server: Any = None

    def start(self) -> None:
        """Listen, and serve in the background."""
        import pproxy

        auth = f"#{self._login[0]}:{self._login[1]}" if self._login else ""
        proxy = pproxy.Server(f"http+socks4+socks5://{self.host}:0{auth}")
        # authtime 0: pproxy forgets a client's login at once (by default it lets the same
        # address in again without one for 30 days)
        self._server = self._loop.run_until_complete(
            proxy.start_server({"rserver": [], "authtime": 0})
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread.start()

    def url(self, scheme: str, user: str | None = None) -> str:
        """``scheme://[user@]host:port`` for this proxy (``socks5h`` is pproxy's SOCKS5)."""
        return f"{scheme}://{user + '@' if user else ''}{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop listening, end every relay, stop the loop and close it."""

        async def shutdown() -> None:
            self._server.close()
            await self._server.wait_closed()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(JOIN_LIMIT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(JOIN_LIMIT)
        self._loop.close()


class RuleSocks5:
    """A SOCKS5 server without authentication that allows only ``allowed_ports`` (all when
    None): ``0x02`` (not allowed by ruleset) for others, ``0x05`` when the destination
    refuses, ``0x04`` when it cannot be reached otherwise, else ``0x00`` and a relay.

    It listens on ``host`` and connects to the destination from there: on 127.0.0.2 the server
    sees the proxy's address, not the client's.  Only loopback destinations are connected
    to; a name is resolved here (``localhost``).
    """

    def __init__(
        self, *, allowed_ports: frozenset[int] | None = None, host: str = "127.0.0.1"
    ) -> None:
        self._allowed = allowed_ports
        self.host = host
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(POLL)
        self.port: int = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        #: Every destination asked for, as ``host:port``, in order.
        self.requests: list[str] = []

    def url(self, scheme: str = "socks5") -> str:
        """``socks5://host:port`` (or ``socks5h://``)."""
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> None:
        """Accept connections in the background."""
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        """Close every socket and join every thread."""
        self._stopping.set()
        self._listener.close()
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in threads:
            thread.join(JOIN_LIMIT)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name="socks5", daemon=True)
        with self._lock:
            thread.start()
            self._threads.append(thread)

    def _keep(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
        return sock

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, self._keep(client))

    def _serve(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError, ValueError):
            client.settimeout(JOIN_LIMIT)
            _, count = _exactly(client, 2)
            _exactly(client, count)
            client.sendall(b"\x05\x00")  # no authentication
            _, command, _, kind = _exactly(client, 4)
            host = _address(client, kind)
            port = int.from_bytes(_exactly(client, 2), "big")
            with self._lock:
                self.requests.append(f"{host}:{port}")
            if command != 1 or (self._allowed is not None and port not in self._allowed):
                client.sendall(_reply(0x02))
                return
            try:
                upstream = self._keep(
                    socket.create_connection(
                        (host, port), timeout=JOIN_LIMIT, source_address=(self.host, 0)
                    )
                )
            except ConnectionRefusedError:
                client.sendall(_reply(0x05))
                return
            except OSError:
                client.sendall(_reply(0x04))
                return
            client.sendall(_reply(0x00))
            self._spawn(_pump, upstream, client)
            _pump(client, upstream)


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("the client left")
        data += chunk
    return data


def _address(sock: socket.socket, kind: int) -> str:
    if kind == 1:
        return str(ipaddress.IPv4Address(_exactly(sock, 4)))
    if kind == 4:
        return str(ipaddress.IPv6Address(_exactly(sock, 16)))
    (length,) = _exactly(sock, 1)
    name = _exactly(sock, length).decode("ascii")
    if name != "localhost":
        raise ValueError(f"only loopback destinations: {name!r}")
    return "127.0.0.1"


def _reply(code: int) -> bytes:
    return b"\x05" + bytes([code]) + b"\x00\x01" + b"\x00" * 6


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until either side ends, then end both."""
    with contextlib.suppress(OSError):
        source.settimeout(None)
        while data := source.recv(65536):
            sink.sendall(data)
    for sock in (source, sink):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


# -- proxies that say one thing (conversations for ConversationServer) ------------------------


def socks5_answering(*replies: bytes) -> Conversation:
    """A SOCKS5 proxy that reads each client message and answers it with the next of
    ``replies`` (``b"\\x05\\x00"`` to the greeting, a reply to the request, …)."""

    def conversation(peer: Peer) -> None:
        for reply in replies:
            peer.read_bytes()
            peer.send(reply)

    return conversation


def socks5_reply(code: int) -> bytes:
    """A SOCKS5 reply to CONNECT with ``code`` and an IPv4 bound address."""
    return _reply(code)


def http_answering(status: bytes) -> Conversation:
    """An HTTP proxy that answers CONNECT with the status line ``status`` (and no headers)."""

    def conversation(peer: Peer) -> None:
        while peer.read_line():  # the request line and headers, to the blank line
            pass
        peer.send(status + b"\r\n\r\n")

    return conversation


def silent(peer: Peer) -> None:
    """A proxy that accepts the connection and never answers."""
    peer.stay_silent()
