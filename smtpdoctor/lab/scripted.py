"""The lab's raw server: real sockets on 127.0.0.1, bytes scripted per connection.

Each accepted connection of a :class:`ConversationServer` runs a *conversation*: a plain
function that receives a :class:`Peer` and does to the client whatever a test needs — say
nothing, drip a greeting byte by byte, answer EHLO with codes that change mid-reply, start TLS
with a certificate that is expired, hang up in the middle of AUTH::

    def greets_then_hangs_up(peer: Peer) -> None:
        peer.send(b"220 mail.example.test ESMTP\\r\\n")
        peer.expect("EHLO")
        peer.close()

    with ConversationServer(greets_then_hangs_up) as server:
        report = run_pipeline(server.address, tls=TLSMode.STARTTLS)
    assert server.commands == ["EHLO"]

The server records everything the client sent (:attr:`ConversationServer.received`, the
command lines in :attr:`~ConversationServer.lines`), how many connections it accepted, and any
mistake in a conversation, which :meth:`~ConversationServer.stop` raises as a
:class:`ScriptError` — a scenario that did not run as written must not pass.

:class:`ScriptedServer` is the same server playing a list of steps (bytes to send, ``"recv"``,
``("sleep", seconds)``, ``"close"``), for tests that need no more than that.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Final, NoReturn, Self

__all__ = [
    "Conversation",
    "ConversationServer",
    "Peer",
    "PeerGone",
    "ScriptError",
    "ScriptedServer",
]

#: How often blocked socket calls wake up to see whether the server is stopping.
POLL: Final = 0.05
#: The longest a server-side TLS handshake may take before the conversation gives up.
HANDSHAKE_LIMIT: Final = 10.0
#: How long :meth:`ConversationServer.stop` waits for conversations to notice it.
JOIN_LIMIT: Final = 5.0
#: How long :meth:`ConversationServer.stop` lets conversations run on, by default, to see a
#: client's hang-up.
GRACE: Final = 2.0


class PeerGone(Exception):
    """The client closed or reset the connection, or the server is stopping."""


class ScriptError(AssertionError):
    """The client did not do what the conversation expected (the test then fails)."""


Conversation = Callable[["Peer"], None]
"""What a :class:`ConversationServer` does with each connection."""


class Peer:
    """The server's side of one connection, with the moves a hostile server makes."""

    def __init__(self, sock: socket.socket, index: int, server: ConversationServer) -> None:
        self._sock: socket.socket = sock
        self._server = server
        self._pending = bytearray()
        #: 0 for the first connection the server accepted, 1 for the second, …
        self.index = index
        sock.settimeout(POLL)

    # -- sending -----------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Send all of ``data`` (however long it takes the client to read it)."""
        view = memoryview(data)
        while view:
            self._check_stop()
            try:
                sent = self._sock.send(view)
            except (TimeoutError, ssl.SSLWantWriteError):
                continue
            except OSError as exc:
                raise PeerGone(str(exc)) from None
            view = view[sent:]

    def drip(self, data: bytes, *, every: float) -> None:
        """Send ``data`` one byte at a time, ``every`` seconds apart."""
        for index in range(len(data)):
            self.send(data[index : index + 1])
            self.pause(every)

    def pause(self, seconds: float) -> None:
        """Do nothing for ``seconds`` (less if the server stops, which ends the conversation)."""
        if self._server.stopping.wait(seconds):
            raise PeerGone("the server is stopping")

    # -- receiving ---------------------------------------------------------------------------

    def read_line(self) -> str:
        """The next line the client sends, without its line ending."""
        while (end := self._pending.find(b"\n")) == -1:
            self._pending += self._receive()
        raw = bytes(self._pending[:end]).rstrip(b"\r")
        del self._pending[: end + 1]
        line = raw.decode("utf-8", errors="replace")
        self._server.record_line(line)
        return line

    def read_bytes(self) -> bytes:
        """Whatever the client sends next, as raw bytes (a TLS ClientHello, …)."""
        if self._pending:
            data, self._pending = bytes(self._pending), bytearray()
            return data
        return self._receive()

    def expect(self, verb: str) -> str:
        """Read a line and insist that it is the command ``verb`` (``"EHLO"``)."""
        line = self.read_line()
        if line.split(" ", 1)[0].upper() != verb.upper():
            raise ScriptError(f"expected {verb} from the client, got {line!r}")
        return line

    def read_slowly(self, *, chunk: int, every: float) -> NoReturn:
        """Accept data, but only ``chunk`` bytes every ``every`` seconds, until the client
        leaves: a server (or a network) that takes data at a trickle."""
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, chunk)
        while True:
            self._check_stop()
            try:
                data = self._sock.recv(chunk)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except OSError as exc:
                raise PeerGone(str(exc)) from None
            if not data:
                raise PeerGone("the client closed the connection")
            self._server.record_bytes(data)
            self.pause(every)

    def stay_silent(self) -> NoReturn:
        """Say nothing more; read whatever comes until the client leaves."""
        while True:
            self._pending += self._receive()

    def answer_quit(self) -> None:
        """Wait for QUIT, answer it, and close: the end of a polite session."""
        self.expect("QUIT")
        self.send(b"221 2.0.0 Bye\r\n")
        self.close()

    # -- TLS and endings ---------------------------------------------------------------------

    def start_tls(self, context: ssl.SSLContext) -> None:
        """Run the server side of a TLS handshake on this connection."""
        if self._pending:
            raise ScriptError(f"the client sent {bytes(self._pending)!r} before the handshake")
        tls = context.wrap_socket(self._sock, server_side=True, do_handshake_on_connect=False)
        tls.settimeout(POLL)
        self._sock = tls
        for _ in range(int(HANDSHAKE_LIMIT / POLL)):
            self._check_stop()
            try:
                tls.do_handshake()
                return
            except (TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except (ssl.SSLError, OSError) as exc:
                self._server.record_tls_failure(str(exc))
                raise PeerGone(f"the client gave up the TLS handshake: {exc}") from None
        raise PeerGone("the TLS handshake did not finish")

    def close(self) -> NoReturn:
        """Hang up (a normal TCP close)."""
        with contextlib.suppress(OSError):
            self._sock.close()
        raise PeerGone("the server hung up")

    def reset(self) -> NoReturn:
        """Hang up with a TCP reset, as a crashing server or a firewall does."""
        with contextlib.suppress(OSError):
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self._sock.close()
        raise PeerGone("the server reset the connection")

    def _receive(self) -> bytes:
        while True:
            self._check_stop()
            try:
                data = self._sock.recv(65536)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except OSError as exc:
                raise PeerGone(str(exc)) from None
            if not data:
                raise PeerGone("the client closed the connection")
            self._server.record_bytes(data)
            return data

    def _check_stop(self) -> None:
        if self._server.stopping.is_set():
            raise PeerGone("the server is stopping")

    def _shutdown(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


class ConversationServer:
    """A TCP server on 127.0.0.1 that runs ``conversation`` for every connection.

    Use it as a context manager; leaving the block stops the server, joins every thread,
    and raises :class:`ScriptError` if a conversation went wrong.  ``grace`` is how long
    stopping lets conversations run on to see their client hang up.
    """

    def __init__(self, conversation: Conversation, *, grace: float = GRACE) -> None:
        self._conversation = conversation
        self._grace = grace
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._peers: list[Peer] = []
        self._errors: list[BaseException] = []
        self._received = bytearray()
        self._lines: list[str] = []
        self._tls_failures: list[str] = []
        self._connections = 0
        #: Set once :meth:`stop` hangs up on the clients.
        self.stopping = threading.Event()
        #: The port it listens on, once started.
        self.port = 0

    host: Final = "127.0.0.1"

    # -- what the client did -------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        """``("127.0.0.1", port)``."""
        return self.host, self.port

    @property
    def connections(self) -> int:
        """Connections accepted so far."""
        with self._lock:
            return self._connections

    @property
    def received(self) -> bytes:
        """Every byte the client sent, on every connection, decrypted where TLS was used."""
        with self._lock:
            return bytes(self._received)

    @property
    def lines(self) -> list[str]:
        """The lines the conversations read, in order (a copy)."""
        with self._lock:
            return list(self._lines)

    @property
    def commands(self) -> list[str]:
        """The verbs of :attr:`lines`: ``["EHLO", "STARTTLS", …]``."""
        return [line.split(" ", 1)[0].upper() for line in self.lines]

    @property
    def tls_failures(self) -> list[str]:
        """Why server-side handshakes failed (the client refusing our certificate, …)."""
        with self._lock:
            return list(self._tls_failures)

    def record_bytes(self, data: bytes) -> None:
        """Note bytes a client sent (the :class:`Peer` does)."""
        with self._lock:
            self._received += data

    def record_line(self, line: str) -> None:
        """Note a line a conversation read (the :class:`Peer` does)."""
        with self._lock:
            self._lines.append(line)
            self._changed.notify_all()

    def record_tls_failure(self, reason: str) -> None:
        """Note why a server-side handshake failed (the :class:`Peer` does)."""
        with self._lock:
            self._tls_failures.append(reason)

    def wait_for_connection(self) -> None:
        """Block until a client has connected (or fail the test after a while)."""
        self._wait_until(lambda: self._connections > 0, "a connection")

    def wait_for_command(self, verb: str) -> None:
        """Block until the client has sent the command ``verb`` (or fail the test)."""
        verb = verb.upper()
        self._wait_until(
            lambda: any(line.split(" ", 1)[0].upper() == verb for line in self._lines), verb
        )

    def _wait_until(self, condition: Callable[[], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, timeout=JOIN_LIMIT * 2):
                raise ScriptError(f"gave up waiting for {what} from the client")

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen on a free loopback port and accept connections in the background."""
        listener = socket.create_server((self.host, 0))
        listener.settimeout(POLL)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        """Let the conversations see the clients' hang-ups (so that :attr:`received` holds
        everything they sent), then stop accepting, hang up on every client still there, join
        the threads, and report script errors."""
        with self._lock:
            peers, threads = list(self._peers), list(self._threads)
        grace_until = time.monotonic() + self._grace
        for thread in threads[1:]:  # the conversations; the first thread accepts
            thread.join(max(0.0, grace_until - time.monotonic()))
        self.stopping.set()
        if self._listener is not None:
            self._listener.close()
        for peer in peers:
            peer._shutdown()
        for thread in threads:
            thread.join(JOIN_LIMIT)
        stuck = [thread.name for thread in threads if thread.is_alive()]
        if stuck:
            raise ScriptError(f"server threads did not stop: {stuck}")
        if self._errors:
            raise ScriptError(f"a conversation failed: {self._errors[0]!r}") from self._errors[0]

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
        thread = threading.Thread(target=target, args=args, name=f"lab-{self.port}", daemon=True)
        with self._lock:  # started before it is listed: stop() never joins an unstarted one
            thread.start()
            self._threads.append(thread)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                peer = Peer(sock, self._connections, self)
                self._connections += 1
                self._peers.append(peer)
                self._changed.notify_all()
            self._spawn(self._converse, peer)

    def _converse(self, peer: Peer) -> None:
        try:
            self._conversation(peer)
            peer.stay_silent()  # the script ended: keep the line open until the client leaves
        except PeerGone:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by stop(), failing the test
            with self._lock:
                self._errors.append(exc)
        finally:
            peer._shutdown()


class ScriptedServer:
    """A TCP server on 127.0.0.1 that answers each connection with ``script``.

    ``script`` is a list of steps: ``bytes`` are sent, ``"recv"`` waits for one chunk from the
    client, ``"close"`` closes, ``("sleep", seconds)`` pauses.  After the script the connection
    stays open until the client leaves (so the client's timeouts are exercised).  What clients
    sent is in :attr:`received`, one chunk per read.  It is a :class:`ConversationServer`
    playing the script, stopped without a grace period.
    """

    def __init__(self, script: Sequence[Any]) -> None:
        for step in script:
            if not (
                isinstance(step, bytes)
                or step in ("recv", "close")
                or (isinstance(step, tuple) and len(step) == 2 and step[0] == "sleep")
            ):
                raise ValueError(f"not a script step: {step!r}")
        self.script = list(script)
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._server = ConversationServer(self._play, grace=0.0)

    host: Final = "127.0.0.1"

    @property
    def port(self) -> int:
        """The port it listens on (0 until started)."""
        return self._server.port

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``, for :func:`~smtpdoctor.testing.run_pipeline` or a ``RunConfig``."""
        return self.host, self.port

    @property
    def received(self) -> list[bytes]:
        """What clients sent, one chunk per read, in order (a copy)."""
        with self._lock:
            return list(self._chunks)

    @property
    def connections(self) -> int:
        """Connections accepted so far."""
        return self._server.connections

    def start(self) -> None:
        """Listen on a free port and serve from background threads."""
        self._server.start()

    def stop(self) -> None:
        """Stop serving, hang up on every client and join every thread."""
        self._server.stop()

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

    def _play(self, peer: Peer) -> NoReturn:
        for step in self.script:
            if isinstance(step, bytes):
                peer.send(step)
            elif step == "recv":
                self._keep(peer.read_bytes())
            elif step == "close":
                peer.close()
            else:
                peer.pause(step[1])
        while True:
            self._keep(peer.read_bytes())

    def _keep(self, chunk: bytes) -> None:
        with self._lock:
            self._chunks.append(chunk)
