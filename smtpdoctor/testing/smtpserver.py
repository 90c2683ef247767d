"""A small SMTP server whose banner, extensions and every reply a test chooses."""

from __future__ import annotations

import base64
import binascii
import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Literal, Self

from smtpdoctor.testing._serving import JOIN_TIMEOUT, POLL, Stopped

if TYPE_CHECKING:
    from smtpdoctor.demo.pki import ThrowawayPKI


#: The longest command line the test server accepts (RFC 5321 allows 512 octets).
_MAX_LINE = 4096
#: The largest message the test server keeps.
_MAX_MESSAGE = 10 * 1024 * 1024
#: How long the server side of a TLS handshake waits for the client.
_HANDSHAKE_LIMIT = 10.0

#: The account :class:`SMTPTestServer` has unless told otherwise.
USER = "alice@example.test"
PASSWORD = "correct horse battery staple"  # noqa: S105 - a test account's, by design

ServerTLS = Literal["starttls", "implicit", "none"]
"""How a test server offers TLS: the STARTTLS command, TLS from the first byte, or not at all."""


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """A message the test server accepted at the end of DATA."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    """The message as received, dot-unstuffed, with CRLF line endings."""


class SMTPTestServer:
    """A small SMTP server on 127.0.0.1 whose every answer a test can choose.

    :param greeting: the whole greeting reply, e.g. ``"220 mx.example.test ESMTP"`` or
        ``"554 5.7.1 go away"``; lines are separated by ``\\n``.
    :param hostname: the name the EHLO reply starts with.
    :param extensions: EHLO keywords besides STARTTLS and AUTH, which the server adds itself
        when it offers them.
    :param tls: ``"starttls"`` (offered in EHLO), ``"implicit"`` (TLS from the first byte) or
        ``"none"``.
    :param pki: the certificates to present; one is made (for 127.0.0.1, ::1 and localhost)
        when TLS needs it and none is given.
    :param users: user name → password for AUTH PLAIN and LOGIN; without users no AUTH is
        offered.
    :param auth_requires_tls: offer AUTH only once the connection is encrypted.
    :param replies: command verb (``"MAIL"``, ``"RCPT"``, ``"DATA"``, ``"EHLO"``, ...) → the
        reply to send instead of the normal one; the command then has no other effect.
        Multi-line replies separate their lines with ``\\n``.

    Otherwise it behaves like a permissive mail server: it accepts any sender and any
    recipient (an open relay, unless ``replies`` says otherwise) and any message.  What
    clients did is recorded in :attr:`commands` (AUTH secrets redacted), :attr:`messages`,
    :attr:`auth_attempts` and :attr:`connections`.
    """

    def __init__(
        self,
        *,
        greeting: str = "220 mail.example.test ESMTP ready",
        hostname: str = "mail.example.test",
        extensions: Sequence[str] = ("PIPELINING", "SIZE 10240000", "8BITMIME"),
        tls: ServerTLS = "starttls",
        pki: ThrowawayPKI | None = None,
        users: Mapping[str, str] | None = None,
        auth_requires_tls: bool = True,
        replies: Mapping[str, str] | None = None,
    ) -> None:
        if tls not in ("starttls", "implicit", "none"):
            raise ValueError(f"tls must be 'starttls', 'implicit' or 'none', not {tls!r}")
        if pki is None and tls != "none":
            from smtpdoctor.demo.pki import make_pki

            pki = make_pki()
        self.greeting = greeting
        self.hostname = hostname
        self.extensions = tuple(extensions)
        self.tls: ServerTLS = tls
        self.pki = pki
        self.users: Mapping[str, str] = MappingProxyType(
            dict({USER: PASSWORD} if users is None else users)
        )
        self.auth_requires_tls = auth_requires_tls
        self.replies: Mapping[str, str] = MappingProxyType(
            {verb.upper(): text for verb, text in (replies or {}).items()}
        )
        self._context = pki.server_context() if pki is not None else None
        self._lock = threading.Lock()
        self._commands: list[str] = []
        self._messages: list[ReceivedMessage] = []
        self._auth_attempts: list[tuple[str, bool]] = []
        self._connections = 0
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- where it is, and what it saw ------------------------------------------------------

    host = "127.0.0.1"

    @property
    def port(self) -> int:
        """The port it listens on (once started)."""
        if self._listener is None:
            raise RuntimeError("the server is not running; call start() first")
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``."""
        return self.host, self.port

    @property
    def ca_pem(self) -> str:
        """The PEM certificate a client must trust to verify this server."""
        if self.pki is None:
            raise RuntimeError("this server speaks plain SMTP and has no certificate")
        return self.pki.ca_pem

    @property
    def commands(self) -> list[str]:
        """Every command line received, in order, AUTH secrets replaced by ``[redacted]``."""
        with self._lock:
            return list(self._commands)

    @property
    def verbs(self) -> list[str]:
        """The verbs of :attr:`commands` (``["EHLO", "STARTTLS", "EHLO", "QUIT"]``)."""
        return [command.split(" ", 1)[0].upper() for command in self.commands]

    @property
    def messages(self) -> list[ReceivedMessage]:
        """The messages accepted, oldest first."""
        with self._lock:
            return list(self._messages)

    @property
    def auth_attempts(self) -> list[tuple[str, bool]]:
        """``(user name, succeeded)`` per AUTH exchange; passwords are never kept."""
        with self._lock:
            return list(self._auth_attempts)

    @property
    def connections(self) -> int:
        """TCP connections accepted."""
        with self._lock:
            return self._connections

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Listen on a free port of 127.0.0.1 and serve from background threads."""
        if self._listener is not None:
            raise RuntimeError("the server is already running")
        self._stop.clear()
        listener = socket.create_server((self.host, 0))
        listener.settimeout(POLL)
        self._listener = listener
        self._spawn(self._accept_loop, listener)

    def stop(self) -> None:
        """Stop serving, end every connection and join every thread."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=JOIN_TIMEOUT)
        self._threads.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

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

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}" if self._listener is not None else "stopped"
        return f"<SMTPTestServer tls={self.tls} {where}>"

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections += 1
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(POLL)
        connection = _Connection(self, conn)
        try:
            if self.tls == "implicit":
                connection.start_tls()
            connection.run()
        except (Stopped, OSError, ssl.SSLError, UnicodeError):
            pass  # the client left, TLS failed, or the server is stopping
        finally:
            connection.close()

    def _record(self, command: str) -> None:
        with self._lock:
            self._commands.append(command)

    def _accepted(self, message: ReceivedMessage) -> None:
        with self._lock:
            self._messages.append(message)

    def _authenticated(self, user: str, success: bool) -> None:
        with self._lock:
            self._auth_attempts.append((user, success))


class _Connection:
    """One client of an :class:`SMTPTestServer`: the SMTP dialogue on one socket."""

    def __init__(self, server: SMTPTestServer, sock: socket.socket) -> None:
        self.server = server
        self.sock: socket.socket = sock
        self.buffer = b""
        self.is_tls = False
        self.greeted = False
        self.mail_from: str | None = None
        self.rcpt_tos: list[str] = []

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    # -- reading and writing -----------------------------------------------------------------

    def read_line(self) -> bytes:
        """The next line without its CRLF; raises :class:`Stopped` when the client left."""
        while b"\n" not in self.buffer:
            if len(self.buffer) > _MAX_LINE:
                self.reply("500 5.5.6 Line too long")
                self.buffer = b""
            self.buffer += self._recv()
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r")

    def _recv(self) -> bytes:
        while not self.server._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise Stopped
            return data
        raise Stopped

    def reply(self, text: str) -> None:
        """Send a reply; ``text`` holds whole lines (code included) separated by ``\\n``."""
        lines = text.splitlines() or [text]
        code = lines[-1][:3]
        wire = [
            line if len(line) > 3 and line[:3] == code and line[3] in " -" else f"{code} {line}"
            for line in lines
        ]
        # every line but the last continues the reply: "250-..." ... "250 ..."
        wire = [line[:3] + "-" + line[4:] for line in wire[:-1]] + [wire[-1]]
        self.sock.sendall("".join(line + "\r\n" for line in wire).encode("utf-8"))

    def start_tls(self) -> None:
        """The server side of the handshake, waiting for the client as long as
        :data:`_HANDSHAKE_LIMIT` (each blocked step only wakes up every :data:`POLL`)."""
        context = self.server._context
        assert context is not None
        self.sock = tls = context.wrap_socket(
            self.sock, server_side=True, do_handshake_on_connect=False
        )
        give_up_at = time.monotonic() + _HANDSHAKE_LIMIT
        while True:
            if self.server._stop.is_set() or time.monotonic() > give_up_at:
                raise Stopped
            try:
                tls.do_handshake()
                break
            except TimeoutError:
                continue
        self.buffer = b""
        self.is_tls = True

    # -- the dialogue ------------------------------------------------------------------------

    def run(self) -> None:
        self.reply(self.server.greeting)
        while True:
            line = self.read_line().decode("utf-8", errors="replace")
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            self.server._record(_for_record(verb, argument, line))
            override = self.server.replies.get(verb)
            if override is not None:
                self.reply(override)
                if verb == "QUIT":
                    return
                continue
            handler = getattr(self, f"do_{verb.lower()}", None) if verb.isalpha() else None
            if handler is None:
                self.reply("500 5.5.2 Error: command not recognized")
                continue
            if handler(argument.strip()) is _CLOSE:
                return

    def offers_starttls(self) -> bool:
        return self.server.tls == "starttls" and not self.is_tls

    def offers_auth(self) -> bool:
        server = self.server
        return bool(server.users) and (self.is_tls or not server.auth_requires_tls)

    def do_ehlo(self, argument: str) -> None:
        lines = [self.server.hostname]
        if self.offers_starttls():
            lines.append("STARTTLS")
        if self.offers_auth():
            lines.append("AUTH PLAIN LOGIN")
        lines += self.server.extensions
        self._reset()
        self.greeted = True
        self.reply("\n".join(f"250 {line}" for line in lines))

    def do_helo(self, argument: str) -> None:
        self._reset()
        self.greeted = True
        self.reply(f"250 {self.server.hostname}")

    def do_starttls(self, argument: str) -> None:
        if not self.offers_starttls():
            self.reply("502 5.5.1 STARTTLS not available")
            return
        self.reply("220 2.0.0 Ready to start TLS")
        self.start_tls()
        self.greeted = False
        self._reset()

    def do_auth(self, argument: str) -> None:
        if not self.offers_auth():
            self.reply("503 5.5.1 AUTH not available")
            return
        mechanism, _, initial = argument.partition(" ")
        mechanism = mechanism.upper()
        if mechanism == "PLAIN":
            token = initial or self._challenge("")
            parts = _b64decode(token).split("\0")
            user, password = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
        elif mechanism == "LOGIN":
            user = _b64decode(initial or self._challenge("VXNlcm5hbWU6"))
            password = _b64decode(self._challenge("UGFzc3dvcmQ6"))
        else:
            self.reply("504 5.5.4 Unrecognized authentication type")
            return
        success = user in self.server.users and self.server.users[user] == password
        self.server._authenticated(user, success)
        if success:
            self.reply("235 2.7.0 Authentication successful")
        else:
            self.reply("535 5.7.8 Authentication credentials invalid")

    def _challenge(self, prompt: str) -> str:
        self.reply(f"334 {prompt}")
        answer = self.read_line().decode("ascii", errors="replace")
        self.server._record("[redacted]")
        return answer

    def do_mail(self, argument: str) -> None:
        if not self.greeted:
            self.reply("503 5.5.1 Error: send HELO/EHLO first")
        elif self.mail_from is not None:
            self.reply("503 5.5.1 Error: nested MAIL command")
        else:
            self.mail_from = _path(argument, "FROM:")
            self.reply("250 2.1.0 Ok")

    def do_rcpt(self, argument: str) -> None:
        if self.mail_from is None:
            self.reply("503 5.5.1 Error: need MAIL command")
            return
        self.rcpt_tos.append(_path(argument, "TO:"))
        self.reply("250 2.1.5 Ok")

    def do_data(self, argument: str) -> None:
        if self.mail_from is None or not self.rcpt_tos:
            self.reply("503 5.5.1 Error: need RCPT command")
            return
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        lines: list[bytes] = []
        size = 0
        while (line := self.read_line()) != b".":
            line = line[1:] if line.startswith(b".") else line
            size += len(line) + 2
            if size <= _MAX_MESSAGE:
                lines.append(line)
        if size > _MAX_MESSAGE:
            self.reply("552 5.3.4 Message too big")
        else:
            content = b"".join(line + b"\r\n" for line in lines)
            self.server._accepted(ReceivedMessage(self.mail_from, tuple(self.rcpt_tos), content))
            self.reply("250 2.0.0 Ok: queued")
        self._reset()

    def do_rset(self, argument: str) -> None:
        self._reset()
        self.reply("250 2.0.0 Ok")

    def do_noop(self, argument: str) -> None:
        self.reply("250 2.0.0 Ok")

    def do_vrfy(self, argument: str) -> None:
        self.reply("252 2.0.0 Cannot VRFY user")

    def do_quit(self, argument: str) -> object:
        self.reply("221 2.0.0 Bye")
        return _CLOSE

    def _reset(self) -> None:
        self.mail_from = None
        self.rcpt_tos = []


_CLOSE = object()


def _for_record(verb: str, argument: str, line: str) -> str:
    if verb == "AUTH":
        mechanism = argument.split(" ", 1)[0]
        return f"AUTH {mechanism} [redacted]" if " " in argument.strip() else f"AUTH {mechanism}"
    return line


def _path(argument: str, prefix: str) -> str:
    """``<a@b>`` from ``FROM:<a@b> SIZE=1``."""
    text = argument[len(prefix) :] if argument.upper().startswith(prefix) else argument
    return text.strip().split(" ", 1)[0].strip("<>")


def _b64decode(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""
