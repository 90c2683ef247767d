"""The lab's full SMTP server: aiosmtpd on 127.0.0.1, inside this process.

:class:`LocalSMTPServer` wraps :mod:`aiosmtpd` (an optional dependency: the ``demo`` and
``test`` extras) and records what clients did to it: how many TCP connections it accepted,
which commands it took, which messages it was given and which AUTH attempts succeeded.  It
speaks STARTTLS, implicit TLS or plain SMTP with a :class:`~smtpdoctor.lab.pki.ThrowawayPKI`
certificate, and leaves no files, threads or open sockets behind once stopped.  Its greeting,
its EHLO keywords and the reply to any command can be chosen, so it is the demo's server and,
configured for tests, :class:`smtpdoctor.testing.SMTPTestServer` too.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import secrets
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any, AnyStr, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import (
    MISSING,
    SMTP,
    AuthResult,
    Envelope,
    LoginPassword,
    Session,
    TLSSetupException,
    syntax,
)

from smtpdoctor.lab.mechanisms import ExtraMechanisms, excluded_mechanisms
from smtpdoctor.lab.pki import ThrowawayPKI, make_pki
from smtpdoctor.model.words import TLSMode

__all__ = ["CapturedMessage", "LocalSMTPServer", "ReceivedMessage"]

_EMPTY: Mapping[str, str] = MappingProxyType({})
_TLS_MODES = (TLSMode.STARTTLS, TLSMode.IMPLICIT, TLSMode.NONE)
#: The reply to the end of DATA unless told otherwise.
_QUEUED = "250 2.0.0 OK: queued as {queue_id}"
#: The order in which an EHLO reply built from ``extensions`` lists the AUTH mechanisms.
_MECHANISM_ORDER = ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2")
_SHUTDOWN_TIMEOUT = 5.0
_log = logging.getLogger(__name__)

_Dispatch = Callable[[str | None], Awaitable[None]]
"""How aiosmtpd runs a command: the coroutine for its verb, given the argument."""


@dataclass(frozen=True, slots=True, eq=False)
class ReceivedMessage:
    """A message as a test expects it: its envelope and its content.

    It equals any :class:`CapturedMessage` with the same envelope and content, wherever that
    came from and whatever queue id it got: ``server.messages == [ReceivedMessage(...)]``.
    """

    mail_from: str
    """The reverse-path of MAIL FROM, without angle brackets."""
    rcpt_tos: tuple[str, ...]
    """The forward-paths of the accepted RCPT TO commands, in order."""
    content: bytes
    """The message exactly as received, dot-unstuffed, with CRLF line endings."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReceivedMessage):
            return NotImplemented
        return _envelope_and_content(self) == _envelope_and_content(other)

    def __hash__(self) -> int:
        return hash(_envelope_and_content(self))


@dataclass(frozen=True, slots=True)
class CapturedMessage(ReceivedMessage):
    """One message the server accepted at the end of DATA, and where it came from.

    Captured messages equal each other only when every field does.
    """

    peer: tuple[str, int]
    """The client's address and port."""
    queue_id: str
    """The id the server announced in its reply to the end of DATA."""

    __hash__ = ReceivedMessage.__hash__


def _envelope_and_content(message: ReceivedMessage) -> tuple[str, tuple[str, ...], bytes]:
    return message.mail_from, message.rcpt_tos, message.content


class LocalSMTPServer:
    """An aiosmtpd server on 127.0.0.1, a free port, and a background thread.

    Use it as a context manager (or call :meth:`start` and :meth:`stop`)::

        with LocalSMTPServer(users={"alice": "s3cret"}) as server:
            check(server.host, server.port, cadata=server.ca_pem)
            assert server.connections == 1

    *tls* is a :class:`~smtpdoctor.model.words.TLSMode` (or its value): STARTTLS (the
    default), implicit TLS, or plain SMTP (``"none"``); a :class:`ThrowawayPKI` is made with
    :func:`make_pki` when TLS needs one and *pki* is not given.  *users* maps user names to
    passwords for AUTH PLAIN and LOGIN (and CRAM-MD5 with *cram_md5*); *oauth_tokens* maps
    user names to the access token XOAUTH2 accepts, refusing others the way Gmail does; with
    neither the server does not offer AUTH at all.  *require_starttls* (STARTTLS mode only)
    answers everything except EHLO, NOOP, STARTTLS and QUIT with ``530`` until TLS is up, as
    RFC 3207 section 4 describes (so HELO is refused too).  *auth_require_tls* offers AUTH
    only over TLS; an implicit-TLS connection always counts as TLS.  *auth_required* refuses
    MAIL (and VRFY, HELP, ...) with ``530 5.7.0`` until the client authenticated.
    *hostname* is the name the server greets with and starts its EHLO reply with; *ident* the
    software string after it in the greeting (aiosmtpd's own by default).

    The rest changes what the server says.  *greeting* is the whole greeting reply instead,
    any code, lines separated by ``\\n`` (``"220-mx.example.test ESMTP\\n220 ready"``).
    *extensions* are the EHLO keywords after STARTTLS and AUTH, which the server adds itself
    when it offers them, instead of aiosmtpd's own (SIZE, 8BITMIME, SMTPUTF8, HELP).
    *replies* maps a command verb (``"MAIL"``, ``"RCPT"``, ``"EHLO"``, any verb) to the reply
    sent instead of the normal one; the command then has no other effect.  *queued_reply* is
    the reply to the end of DATA, ``{queue_id}`` standing for the message's queue id.

    Like Postfix, the server takes ESMTP parameters (``SIZE=``, ``BODY=``) after HELO too.
    Records are reset by every :meth:`start` and stay readable after :meth:`stop`.
    """

    def __init__(
        self,
        *,
        tls: TLSMode | str = TLSMode.STARTTLS,
        pki: ThrowawayPKI | None = None,
        users: Mapping[str, str] = _EMPTY,
        require_starttls: bool = True,
        auth_require_tls: bool = True,
        auth_required: bool = False,
        hostname: str = "localhost",
        ident: str | None = None,
        cram_md5: bool = False,
        oauth_tokens: Mapping[str, str] = _EMPTY,
        greeting: str | None = None,
        extensions: Sequence[str] | None = None,
        replies: Mapping[str, str] = _EMPTY,
        queued_reply: str = _QUEUED,
    ) -> None:
        mode = _server_tls(tls)
        if cram_md5 and not users:
            raise ValueError("cram_md5 needs users whose passwords it can check")
        if pki is None and mode is not TLSMode.NONE:
            pki = make_pki()
        self._tls = mode
        self._pki = pki
        self._users: Mapping[str, str] = MappingProxyType(dict(users))
        self._require_starttls = require_starttls
        self._auth_require_tls = auth_require_tls
        self._auth_required = auth_required
        self._hostname = hostname
        self._ident = ident
        self._cram_md5 = cram_md5
        self._oauth_tokens: Mapping[str, str] = MappingProxyType(dict(oauth_tokens))
        self._greeting = greeting
        self._extensions = None if extensions is None else tuple(extensions)
        self._replies: Mapping[str, str] = MappingProxyType(
            {verb.upper(): text for verb, text in replies.items()}
        )
        self._queued_reply = queued_reply
        self._record = _Record()
        self._controller: _Controller | None = None

    # --- configuration --------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address the server listens on: always ``"127.0.0.1"``."""
        return "127.0.0.1"

    @property
    def port(self) -> int:
        """The TCP port the server listens on; only known once started."""
        if self._controller is None:
            raise RuntimeError("the server is not running; call start() first")
        return self._controller.bound_port

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``; only known once started."""
        return self.host, self.port

    @property
    def tls(self) -> TLSMode:
        """How this server offers TLS."""
        return self._tls

    @property
    def pki(self) -> ThrowawayPKI | None:
        """The certificates the server presents, or ``None`` for a plain-SMTP server."""
        return self._pki

    @property
    def ca_pem(self) -> str:
        """The PEM certificate a client must trust to verify this server.

        Raises :class:`RuntimeError` for a ``tls="none"`` server created without a PKI.
        """
        if self._pki is None:
            raise RuntimeError("this server speaks plain SMTP and has no certificate")
        return self._pki.ca_pem

    # --- records ----------------------------------------------------------------------------

    @property
    def connections(self) -> int:
        """TCP connections accepted since :meth:`start`, including ones whose TLS handshake
        failed, but not the readiness probe aiosmtpd makes while starting."""
        return self._record.connections

    @property
    def commands(self) -> list[str]:
        """The commands the server took since :meth:`start`, in order (a copy):
        ``"MAIL FROM:<a@example.test>"``.  AUTH's initial response and every answer to an AUTH
        challenge are replaced by ``[redacted]``.  Lines refused before they are looked at
        (unknown verbs, commands that must wait for STARTTLS) are not listed."""
        return self._record.commands

    @property
    def verbs(self) -> list[str]:
        """The verbs of :attr:`commands`: ``["EHLO", "STARTTLS", "EHLO", "QUIT"]``."""
        return [command.split(" ", 1)[0] for command in self.commands]

    @property
    def messages(self) -> list[CapturedMessage]:
        """The messages accepted since :meth:`start`, oldest first (a copy)."""
        return self._record.messages

    @property
    def auth_attempts(self) -> list[tuple[str, bool]]:
        """``(user name, succeeded)`` for every AUTH exchange (any mechanism) since
        :meth:`start`, oldest first (a copy).  Passwords are never kept."""
        return self._record.auth_attempts

    # --- life cycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._controller is not None

    def start(self) -> None:
        """Bind a free port on 127.0.0.1 and serve from a background thread.

        Returns once the server answers connections.  Raises :class:`RuntimeError` if it
        is already running.
        """
        if self._controller is not None:
            raise RuntimeError("the server is already running")
        listener = socket.create_server((self.host, 0))
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_ignore_client_disconnects)
        controller = _Controller(
            self._new_sessions(loop),
            listener=listener,
            loop=loop,
            ssl_context=self._tls_context(TLSMode.IMPLICIT),
        )
        try:
            controller.start()
        except BaseException:
            try:
                controller.shut_down()
            finally:
                if not loop.is_closed():
                    loop.close()
                listener.close()
            raise
        self._controller = controller

    def stop(self) -> None:
        """Disconnect every client, stop listening and join the server thread.

        Does nothing if the server is not running.
        """
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.shut_down()

    async def serve(self, listener: socket.socket) -> asyncio.Server:
        """Serve on *listener*, a bound socket, from the running event loop instead of a
        thread of its own: the way to run many servers on one loop, as the benchmark's fleet
        of a thousand loopback addresses does.

        The records start afresh.  Close the returned :class:`asyncio.Server` to stop;
        :attr:`port`, :meth:`stop` and the context manager belong to :meth:`start`.
        """
        if self._controller is not None:
            raise RuntimeError("the server is already running")
        sessions = self._new_sessions(asyncio.get_running_loop())
        return await sessions.loop.create_server(
            sessions.new, sock=listener, ssl=self._tls_context(TLSMode.IMPLICIT)
        )

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
        where = f"{self.host}:{self.port}" if self.running else "stopped"
        return f"<{type(self).__name__} tls={self._tls} {where}>"

    def _new_sessions(self, loop: asyncio.AbstractEventLoop) -> _Sessions:
        """Fresh records, and what makes the SMTP session of each connection."""
        self._record = _Record()
        handler = _Handler(
            self._record,
            self._users,
            self._oauth_tokens,
            extensions=self._extensions,
            queued_reply=self._queued_reply,
        )
        return _Sessions(
            handler, record=self._record, loop=loop, options=self._smtp_options(handler)
        )

    def _tls_context(self, mode: TLSMode) -> ssl.SSLContext | None:
        if self._tls is not mode or self._pki is None:
            return None
        return self._pki.server_context()

    def _smtp_options(self, handler: _Handler) -> dict[str, Any]:
        starttls_context = self._tls_context(TLSMode.STARTTLS)
        return {
            "hostname": self._hostname,
            "ident": self._ident,
            "tls_context": starttls_context,
            "require_starttls": self._require_starttls and starttls_context is not None,
            # aiosmtpd only counts STARTTLS as TLS, so an implicit-TLS connection must not
            # be told "encryption required".
            "auth_require_tls": self._auth_require_tls and self._tls is not TLSMode.IMPLICIT,
            "authenticator": handler.authenticate,
            "auth_exclude_mechanism": excluded_mechanisms(
                self._users, cram_md5=self._cram_md5, oauth_tokens=self._oauth_tokens
            ),
            "auth_required": self._auth_required,
            "enable_SMTPUTF8": True,
            "greeting": None if self._greeting is None else _wire(self._greeting),
            "replies": {verb: _wire(text) for verb, text in self._replies.items()},
        }


def _server_tls(value: TLSMode | str) -> TLSMode:
    """*value* as a server's TLS mode; :class:`ValueError` for ``auto`` or no mode at all."""
    try:
        mode = TLSMode(value)
    except ValueError:
        mode = TLSMode.AUTO
    if mode is TLSMode.AUTO:
        raise ValueError(f"tls must be one of {', '.join(_TLS_MODES)}, not {value!r}")
    return mode


def _wire(text: str) -> str:
    """A reply written as lines separated by ``\\n`` as it goes on the wire: every line
    carries the last line's code, all but the last continued (``250-``), CRLF between them
    (aiosmtpd adds the last one)."""
    lines = text.splitlines() or [text]
    code = lines[-1][:3]
    lines = [
        line if len(line) > 3 and line[:3] == code and line[3] in " -" else f"{code} {line}"
        for line in lines
    ]
    return "\r\n".join([f"{line[:3]}-{line[4:]}" for line in lines[:-1]] + [lines[-1]])


def _loggable(verb: str, argument: str | None) -> str:
    """A command as :attr:`LocalSMTPServer.commands` lists it: AUTH without its secret."""
    if argument is None:
        return verb
    if verb == "AUTH":
        mechanism, _, initial = argument.partition(" ")
        return f"AUTH {mechanism} [redacted]" if initial.strip() else f"AUTH {mechanism}"
    return f"{verb} {argument}"


class _Record:
    """What clients did to the server; written by the server thread, read by anyone."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections = 0
        self._commands: list[str] = []
        self._messages: list[CapturedMessage] = []
        self._auth_attempts: list[tuple[str, bool]] = []
        self._queue_ids: set[str] = set()

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    @property
    def commands(self) -> list[str]:
        with self._lock:
            return list(self._commands)

    @property
    def messages(self) -> list[CapturedMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def auth_attempts(self) -> list[tuple[str, bool]]:
        with self._lock:
            return list(self._auth_attempts)

    def connection_accepted(self) -> None:
        with self._lock:
            self._connections += 1

    def command_received(self, command: str) -> None:
        with self._lock:
            self._commands.append(command)

    def new_queue_id(self) -> str:
        with self._lock:
            while (queue_id := secrets.token_hex(5).upper()) in self._queue_ids:
                pass
            self._queue_ids.add(queue_id)
            return queue_id

    def message_accepted(self, message: CapturedMessage) -> None:
        with self._lock:
            self._messages.append(message)

    def auth_attempted(self, username: str, success: bool) -> None:
        with self._lock:
            self._auth_attempts.append((username, success))


class _Handler(ExtraMechanisms):
    """aiosmtpd handler hooks: capture messages, check passwords, hide AUTH without users,
    build the EHLO reply from chosen extensions."""

    def __init__(
        self,
        record: _Record,
        users: Mapping[str, str],
        oauth_tokens: Mapping[str, str],
        *,
        extensions: tuple[str, ...] | None,
        queued_reply: str,
    ) -> None:
        self._record: _Record = record
        self._users = users
        self._oauth_tokens = oauth_tokens
        self._extensions = extensions
        self._queued_reply = queued_reply

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        # With this hook present aiosmtpd leaves remembering the client's name to us.
        session.host_name = hostname
        if not (self._users or self._oauth_tokens):
            responses = [line for line in responses if not line.startswith("250-AUTH")]
        if self._extensions is None:
            return responses
        keywords = [server.hostname]
        for line in responses:
            if line == "250-STARTTLS":
                keywords.append("STARTTLS")
            elif line.startswith("250-AUTH "):
                mechanisms = line.split()[1:]
                mechanisms.sort(key=_MECHANISM_ORDER.index)
                keywords.append(" ".join(["AUTH", *mechanisms]))
        keywords += self._extensions
        return [f"250-{keyword}" for keyword in keywords[:-1]] + [f"250 {keywords[-1]}"]

    async def handle_AUTH(
        self, server: SMTP, session: Session, envelope: Envelope, args: list[str]
    ) -> object:
        if self._users or self._oauth_tokens:
            return MISSING  # carry on with the auth_* mechanisms (and authenticate())
        return "503 5.5.1 Error: authentication not enabled"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        queue_id = self._record.new_queue_id()
        content = envelope.original_content
        peer = session.peer
        self._record.message_accepted(
            CapturedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                content=bytes(content or b""),
                peer=(str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else ("", 0),
                queue_id=queue_id,
            )
        )
        return self._queued_reply.format(queue_id=queue_id)

    async def handle_exception(self, error: Exception) -> str:
        # Defining this hook keeps aiosmtpd from logging a traceback to stderr when, for
        # instance, a client rejects our certificate in the middle of STARTTLS.
        # Anything else is a bug worth seeing, so it is logged like aiosmtpd would.
        if isinstance(error, TLSSetupException):
            return "454 4.7.0 TLS handshake failed"
        _log.error("SMTP session failed", exc_info=error)
        return f"451 4.3.0 Internal server error ({type(error).__name__})"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        username = data.login.decode("utf-8", errors="backslashreplace")
        expected = self._users.get(username)
        matches = hmac.compare_digest(data.password, (expected or "").encode("utf-8"))
        success = expected is not None and matches
        self._record.auth_attempted(username, success)
        # handled=False makes aiosmtpd answer 535 itself; auth_data is what the session
        # remembers, so it gets the user name, never the LoginPassword with the password.
        return AuthResult(success=success, handled=False, auth_data=username)


class _QuietSession(Session):
    """aiosmtpd's Session without the log warning its own AUTH code triggers.

    aiosmtpd 1.4.6 sets the deprecated ``Session.login_data`` after every successful AUTH,
    and the setter logs "deprecated" at WARNING level, which ends up on stderr.
    """

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class _LabSMTP(SMTP):
    """aiosmtpd's SMTP protocol, plus the chosen greeting and replies, the command log,
    session tracking and our own auth_required check."""

    # Postfix's prompts for AUTH LOGIN; aiosmtpd's own are "User Name\0" and "Password\0".
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    def __init__(
        self,
        handler: _Handler,
        *,
        record: _Record,
        sessions: set[_LabSMTP],
        auth_required: bool,
        greeting: str | None,
        replies: Mapping[str, str],
        **kwargs: Any,
    ) -> None:
        # auth_required is enforced here rather than by aiosmtpd, which warns (UserWarning)
        # when it is combined with auth_require_tls=False; kwargs never carry it.
        super().__init__(handler, auth_required=False, **kwargs)
        self._record = record
        self._sessions = sessions
        self._lab_auth_required = auth_required
        self._greeting = greeting
        self._tracked = False
        # aiosmtpd runs every command it accepts through this table, verb -> coroutine: a
        # chosen reply takes the verb's place, and every command is logged on its way.
        methods: dict[str, _Dispatch] = dict(self._smtp_methods)
        for verb, reply in replies.items():
            methods[verb] = functools.partial(self._reply_instead, verb, reply)
        self._smtp_methods = {verb: self._logged(verb, run) for verb, run in methods.items()}

    def _logged(self, verb: str, run: _Dispatch) -> _Dispatch:
        @functools.wraps(run)  # keeps the syntax that HELP shows
        async def dispatch(argument: str | None) -> None:
            self._record.command_received(_loggable(verb, argument))
            await run(argument)

        return dispatch

    async def _reply_instead(self, verb: str, reply: str, argument: str | None) -> None:
        await self.push(reply)
        if verb == "QUIT":
            assert self.transport is not None
            self.transport.close()

    async def push(self, status: AnyStr) -> None:
        """Send a reply; the first one of a session is the chosen greeting, if any, since
        aiosmtpd has no hook for the greeting."""
        if self._greeting is not None:
            greeting, self._greeting = self._greeting, None
            await super().push(greeting)
        elif status == "220 Ready to start TLS":
            await super().push("220 2.0.0 Ready to start TLS")  # the enhanced code, as Postfix
        else:
            await super().push(status)

    @syntax("HELO hostname")
    async def smtp_HELO(self, hostname: str) -> None:
        """HELO, after which ESMTP parameters are taken too, as Postfix does (aiosmtpd would
        answer them with 501)."""
        await super().smtp_HELO(hostname)
        assert self.session is not None
        self.session.extended_smtp = True

    async def challenge_auth(
        self,
        challenge: str | bytes,
        encode_to_b64: bool = True,
        log_client_response: bool = False,
    ) -> Any:
        """aiosmtpd's AUTH challenge, with the client's answer logged as ``[redacted]``."""
        answer = await super().challenge_auth(challenge, encode_to_b64, log_client_response)
        self._record.command_received("[redacted]")
        return answer

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    async def check_auth_needed(self, caller_method: str) -> bool:
        assert self.session is not None
        if self._lab_auth_required and not self.session.authenticated:
            await self.push("530 5.7.0 Authentication required")
            return True
        return False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Called once per connection, and once more after a successful STARTTLS.
        if not self._tracked:
            self._tracked = True
            self._sessions.add(self)
            # aiosmtpd writes a multi-line reply line by line; without TCP_NODELAY, Nagle's
            # algorithm and the client's delayed ACK add ~40 ms to every EHLO reply.
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._sessions.discard(self)
        super().connection_lost(error)

    def abort(self) -> None:
        """Drop the connection at once, without a TLS close_notify or a goodbye."""
        if isinstance(self.transport, asyncio.Transport):
            self.transport.abort()


class _Sessions:
    """One server's live SMTP sessions, and the factory of a new one per connection."""

    def __init__(
        self,
        handler: _Handler,
        *,
        record: _Record,
        loop: asyncio.AbstractEventLoop,
        options: dict[str, Any],
    ) -> None:
        self.handler = handler
        self.loop = loop
        self.live: set[_LabSMTP] = set()
        self._record = record
        self._options = options

    def new(self, *, counted: bool = True) -> _LabSMTP:
        """The protocol for a new connection; *counted* in :attr:`LocalSMTPServer.connections`
        unless told otherwise."""
        if counted:
            self._record.connection_accepted()
        return _LabSMTP(
            self.handler,
            record=self._record,
            sessions=self.live,
            loop=self.loop,  # else aiosmtpd looks one up, touching the global warning filters
            **self._options,
        )


class _Controller(Controller):
    """aiosmtpd's threaded Controller, serving a socket that is already bound.

    Binding port 0 ourselves avoids the race of "find a free port, close it, hope nobody
    takes it before aiosmtpd binds it again".
    """

    def __init__(
        self,
        sessions: _Sessions,
        *,
        listener: socket.socket,
        loop: asyncio.AbstractEventLoop,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        host, port = listener.getsockname()[:2]
        super().__init__(
            sessions.handler, hostname=host, port=port, loop=loop, ssl_context=ssl_context
        )
        self._listener = listener
        self._sessions = sessions
        self._probe_seen = False

    @property
    def bound_port(self) -> int:
        return int(self.port)

    def _create_server(self) -> Any:
        return self.loop.create_server(
            self._factory_invoker, sock=self._listener, ssl=self.ssl_context
        )

    def factory(self) -> _LabSMTP:
        # The first connection is always the probe Controller.start() makes to see that the
        # server is up: nobody else knows the port before start() returns.
        counted, self._probe_seen = self._probe_seen, True
        return self._sessions.new(counted=counted)

    def shut_down(self) -> None:
        """Abort every connection, let their tasks finish, then stop the thread."""
        try:
            if self.loop.is_running():
                future = asyncio.run_coroutine_threadsafe(self._disconnect_everyone(), self.loop)
                future.result(timeout=_SHUTDOWN_TIMEOUT)
        finally:
            self.stop(no_assert=True)

    async def _disconnect_everyone(self) -> None:
        for session in list(self._sessions.live):
            session.abort()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Transports report connection_lost() one loop iteration after abort().
        for _ in range(3):
            await asyncio.sleep(0)


def _ignore_client_disconnects(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Loop exception handler: a client hanging up or failing TLS is not a server error, nor
    is a half-open connection cancelled by :meth:`LocalSMTPServer.stop`."""
    if isinstance(
        context.get("exception"), ConnectionError | ssl.SSLError | asyncio.CancelledError
    ):
        return
    loop.default_exception_handler(context)
