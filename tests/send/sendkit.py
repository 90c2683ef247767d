"""Peers for the send and delivery tests: a line-based SMTP server whose answers each test
chooses, and a small IMAP4rev1 server with folders, STARTTLS/IMAPS and late deliveries.

Both listen on 127.0.0.1, serve in a background thread, record what clients did, and stop
cleanly.  The fixtures of ``tests/conftest.py`` (``make_server``, ``run_check``…) are used
alongside them; their types are named here for mypy.
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import Any

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.results import CheckResult, Report

USER = "alice@example.test"
PASSWORD = "correct horse battery staple"

RunCheck = Callable[..., Report]
MakeServer = Callable[..., LocalSMTPServer]

GREETING = b"220 mail.example.test ESMTP ready\r\n"
EHLO_PLAIN = (
    b"250-mail.example.test\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
    b"250 PIPELINING\r\n"
)
QUEUED = b"250 2.0.0 Ok: queued as 4XyZ12AbC\r\n"
_WAIT = 0.1


def row(report: Report, check_id: str) -> CheckResult:
    """The report's row for ``check_id``; fails the test when there is none."""
    result = report.result(check_id)
    assert result is not None, f"the report has no {check_id!r} row"
    return result


def transcript_text(report: Report) -> str:
    """The whole transcript as one string."""
    return "\n".join(f"{line.direction} {line.text}" for line in report.transcript)


class _Server:
    """Accept loop and stop logic shared by both fakes."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_WAIT)
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.connections = 0

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def start(self) -> None:
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            worker = threading.Thread(target=self._guarded, args=(conn,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _guarded(self, conn: socket.socket) -> None:
        conn.settimeout(_WAIT)
        lines = _Lines(conn, self._stop)
        try:
            self.serve(lines)
        except (OSError, _Gone):
            pass
        finally:
            lines.sock.close()  # the TLS socket, when the connection was upgraded
            conn.close()

    def serve(self, lines: _Lines) -> None:
        raise NotImplementedError


class _Gone(Exception):
    """The client left or the server is stopping."""


class _Lines:
    """A connection read line by line, with a timeout loop that notices stop()."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self._stop = stop
        self._buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self) -> bytes:
        return self.until(b"\r\n")

    def until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            if self._stop.is_set():
                raise _Gone
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise _Gone
            self._buffer += chunk
        data, _, self._buffer = self._buffer.partition(marker)
        return data

    def wait_until_stopped(self) -> None:
        while not self._stop.wait(_WAIT):
            pass

    def drip(self, data: bytes, interval: float) -> None:
        """Send ``data`` one byte every ``interval`` seconds, over and over, until stopped."""
        while True:
            for byte in data:
                if self._stop.wait(interval):
                    return
                self.sock.sendall(bytes([byte]))

    def upgrade(self, context: ssl.SSLContext) -> None:
        self.sock.settimeout(5)
        self.sock = context.wrap_socket(self.sock, server_side=True)
        self.sock.settimeout(_WAIT)


class FakeSMTP(_Server):
    """A plain-text SMTP server that answers each verb as the test says.

    ``replies`` maps a verb (``MAIL``, ``RCPT``, ``DATA``) to its reply; by default MAIL and
    RCPT get ``250``, DATA ``354``.  ``end_of_data`` answers the final ``.``: reply bytes,
    ``"close"`` (hang up without a word) or ``"silent"`` (say nothing, keep the connection).
    ``commands`` records every command line; ``messages`` every message body received.
    """

    def __init__(
        self,
        *,
        replies: Mapping[str, bytes] | None = None,
        ehlo: bytes = EHLO_PLAIN,
        end_of_data: bytes | str = QUEUED,
    ) -> None:
        super().__init__()
        self.replies = dict(replies or {})
        self.ehlo = ehlo
        self.end_of_data = end_of_data
        self.commands: list[str] = []
        self.messages: list[bytes] = []
        self.raw_messages: list[bytes] = []

    def verbs(self) -> list[str]:
        return [command.split(" ", 1)[0].split(":", 1)[0].upper() for command in self.commands]

    def serve(self, lines: _Lines) -> None:
        lines.send(GREETING)
        while True:
            command = lines.line().decode("utf-8", "replace")
            self.commands.append(command)
            verb = command.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                lines.send(self.ehlo)
            elif verb == "QUIT":
                lines.send(b"221 2.0.0 Bye\r\n")
                return
            elif verb == "DATA":
                reply = self.replies.get("DATA", b"354 End data with <CR><LF>.<CR><LF>\r\n")
                lines.send(reply)
                if reply.startswith(b"354"):
                    self._take_message(lines)
            else:
                lines.send(self.replies.get(verb, b"250 2.1.0 Ok\r\n"))

    def _take_message(self, lines: _Lines) -> None:
        raw = lines.until(b"\r\n.\r\n") + b"\r\n"
        self.raw_messages.append(raw)
        self.messages.append(re.sub(rb"(?m)^\.", b"", raw))
        if self.end_of_data == "close":
            raise _Gone
        if self.end_of_data == "silent":
            lines.wait_until_stopped()
            raise _Gone
        assert isinstance(self.end_of_data, bytes)
        lines.send(self.end_of_data)


@dataclass
class Folder:
    """A mailbox of the fake IMAP server: its LIST flags and its messages (header bytes)."""

    flags: str = "\\HasNoChildren"
    messages: list[bytes] = field(default_factory=list)


_ARGUMENT = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


class FakeIMAP(_Server):
    """A small IMAP4rev1 server: CAPABILITY, STARTTLS (or IMAPS), LOGIN, AUTHENTICATE PLAIN,
    LIST, SELECT/EXAMINE, SEARCH SUBJECT, FETCH of header fields or of the whole message
    (``BODY.PEEK[]``, whole or its first bytes), NOOP, LOGOUT.

    ``later`` holds ``(folder, message, selects)``: the message appears in the folder once
    the client has selected ``selects`` mailboxes, which is how "it arrives a little later"
    is played.  ``feed`` returns every message delivered so far (an aiosmtpd server's captured
    messages): new ones are put into ``feed_folder`` at each SELECT.  ``silent=True`` never
    greets; ``drip=True`` greets one byte every 0.1 s, a greeting that never ends.
    ``capability_extra`` is appended to the CAPABILITY line as it is (any bytes).
    ``commands`` records each command (LOGIN and AUTHENTICATE arguments left out).
    """

    def __init__(
        self,
        pki: ThrowawayPKI,
        *,
        implicit_tls: bool,
        users: Mapping[str, str],
        folders: Mapping[str, Folder] | None = None,
        later: list[tuple[str, bytes, int]] | None = None,
        starttls: bool = True,
        silent: bool = False,
        drip: bool = False,
        feed: Callable[[], list[bytes]] | None = None,
        feed_folder: str = "INBOX",
        capability_extra: bytes = b"",
    ) -> None:
        super().__init__()
        self.capability_extra = capability_extra
        self._context = pki.server_context()
        self.implicit_tls = implicit_tls
        self.users = dict(users)
        self.folders: dict[str, Folder] = {"INBOX": Folder(), **dict(folders or {})}
        self.later = list(later or [])
        self.starttls = starttls
        self.silent = silent
        self.drip = drip
        self.commands: list[str] = []
        self.selects = 0
        self._feed = feed
        self._feed_folder = feed_folder
        self._fed = 0
        self._lock = threading.Lock()

    def serve(self, lines: _Lines) -> None:
        if self.implicit_tls:
            lines.upgrade(self._context)
        if self.silent:
            lines.wait_until_stopped()
            return
        if self.drip:
            lines.drip(b"* OK fake IMAP, very slowly ", interval=0.1)
            return
        tls = self.implicit_tls
        lines.send(b"* OK fake IMAP ready\r\n")
        selected: str | None = None
        while True:
            tag, _, rest = lines.line().partition(b" ")
            verb, _, argument_text = rest.partition(b" ")
            name = verb.decode("ascii", "replace").upper()
            arguments = [quoted or atom for quoted, atom in _ARGUMENT.findall(argument_text)]
            self.commands.append(name if name in ("LOGIN", "AUTHENTICATE") else rest.decode())
            reply = self._dispatch(name, arguments, tls=tls, selected=selected, lines=lines)
            if name == "STARTTLS" and self.starttls and not tls:
                lines.send(tag + b" OK Begin TLS negotiation now\r\n")
                lines.upgrade(self._context)
                tls = True
                continue
            if name in ("SELECT", "EXAMINE") and reply[1].startswith(b"OK"):
                selected = arguments[0].decode()
            lines.send(reply[0] + tag + b" " + reply[1] + b"\r\n")
            if name == "LOGOUT":
                return

    def _dispatch(
        self,
        name: str,
        arguments: list[bytes],
        *,
        tls: bool,
        selected: str | None,
        lines: _Lines,
    ) -> tuple[bytes, bytes]:
        if name == "CAPABILITY":
            extra = " STARTTLS" if self.starttls and not tls else ""
            line = f"* CAPABILITY IMAP4rev1 AUTH=PLAIN{extra}".encode() + self.capability_extra
            return line + b"\r\n", b"OK done"
        if name == "LOGIN":
            user, password = (argument.decode() for argument in arguments[:2])
            return b"", self._login(user, password)
        if name == "AUTHENTICATE":
            lines.send(b"+ \r\n")
            decoded = base64.b64decode(lines.line())
            _, user, password = decoded.decode().split("\0")
            return b"", self._login(user, password)
        if name == "LIST":
            listed = b"".join(
                b"* LIST (" + folder.flags.encode() + b') "/" "' + name_.encode() + b'"\r\n'
                for name_, folder in self.folders.items()
            )
            return listed, b"OK LIST done"
        if name in ("SELECT", "EXAMINE"):
            return self._select(arguments[0].decode())
        if name == "SEARCH":
            return self._search(selected, arguments)
        if name == "FETCH" and b"HEADER.FIELDS" not in b" ".join(arguments):
            return self._fetch_whole(selected, int(arguments[0]), b" ".join(arguments[1:]))
        if name == "FETCH":
            return self._fetch(selected, int(arguments[0]))
        if name == "LOGOUT":
            return b"* BYE see you\r\n", b"OK LOGOUT done"
        if name == "STARTTLS":
            return b"", b"BAD STARTTLS not offered"
        return b"", b"OK " + name.encode() + b" done"

    def _login(self, user: str, password: str) -> bytes:
        if self.users.get(user) == password:
            return b"OK Logged in"
        return b"NO [AUTHENTICATIONFAILED] Authentication failed."

    def _select(self, folder: str) -> tuple[bytes, bytes]:
        with self._lock:
            self.selects += 1
            due = [entry for entry in self.later if entry[2] <= self.selects]
            for entry in due:
                self.later.remove(entry)
                self.folders[entry[0]].messages.append(entry[1])
            arrived = self._feed() if self._feed is not None else []
            self.folders[self._feed_folder].messages.extend(arrived[self._fed :])
            self._fed = len(arrived)
        if folder not in self.folders:
            return b"", b"NO Mailbox doesn't exist"
        count = len(self.folders[folder].messages)
        return f"* {count} EXISTS\r\n".encode(), b"OK [READ-ONLY] Examined"

    def _search(self, selected: str | None, arguments: list[bytes]) -> tuple[bytes, bytes]:
        assert selected is not None and arguments[0].upper() == b"SUBJECT"
        wanted = arguments[1].decode()
        hits = [
            str(number)
            for number, message in enumerate(self.folders[selected].messages, start=1)
            if wanted in str(BytesHeaderParser().parsebytes(message).get("Subject", ""))
        ]
        return f"* SEARCH {' '.join(hits)}\r\n".encode(), b"OK SEARCH done"

    def _fetch(self, selected: str | None, number: int) -> tuple[bytes, bytes]:
        assert selected is not None
        message = self.folders[selected].messages[number - 1]
        headers = BytesHeaderParser().parsebytes(message)
        wanted = ("X-Smtpdoctor-Token", "Authentication-Results")
        fields = b"".join(
            f"{key}: {value}\r\n".encode()
            for key, value in headers.items()
            if key.lower() in (w.lower() for w in wanted)
        )
        fields += b"\r\n"
        head = f"* {number} FETCH (BODY[HEADER.FIELDS (X-SMTPDOCTOR-TOKEN AUTHENTICATION-RESULTS)] "
        return head.encode() + b"{" + str(len(fields)).encode() + b"}\r\n" + fields + b")\r\n", (
            b"OK FETCH done"
        )

    def _fetch_whole(self, selected: str | None, number: int, items: bytes) -> tuple[bytes, bytes]:
        """``BODY.PEEK[]`` or ``BODY.PEEK[]<0.N>``: the whole message, or its first N bytes."""
        assert selected is not None
        message = self.folders[selected].messages[number - 1]
        partial = re.search(rb"<0\.(\d+)>", items)
        if partial is not None:
            message = message[: int(partial.group(1))]
        head = f"* {number} FETCH (BODY[]{'<0>' if partial else ''} {{{len(message)}}}\r\n"
        return head.encode() + message + b")\r\n", b"OK FETCH done"


def message_with(token: str, *, authentication_results: str | None = None) -> bytes:
    """The headers of a delivered test message carrying ``token``."""
    lines = [
        b"Return-Path: <alice@example.test>",
        *(
            [b"Authentication-Results: " + authentication_results.encode()]
            if authentication_results
            else []
        ),
        b"Subject: smtpdoctor test message [" + token.encode() + b"]",
        b"X-Smtpdoctor-Token: " + token.encode(),
        b"",
        b"body",
    ]
    return b"\r\n".join(lines) + b"\r\n"


def serving(server: _Server) -> Iterator[Any]:
    """Start ``server``, yield it, stop it (for fixtures)."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
