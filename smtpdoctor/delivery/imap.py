"""Proven delivery: find the test message in the recipient's mailbox over IMAP.

The standard library's :mod:`imaplib` does the talking — the one place besides
:mod:`smtpdoctor.net.transport` where smtpdoctor opens a socket, and only after the name was
resolved under a deadline by :func:`smtpdoctor.net.transport.resolve`; through a proxy
(``--proxy``) the transport opens the connection and imaplib gets it.  IMAPS on 993 or STARTTLS
on any other port, certificates verified like the SMTP side, then LOGIN (or AUTHENTICATE
PLAIN), then a poll with back-off: each round examines INBOX and the Junk/Spam folders (found
by the ``\\Junk`` attribute of RFC 6154, else by name) and searches for the token in the
Subject, until the message shows up or the wait is over.

Every step is bounded: the connection and each command by the step timeout, the whole wait by
:attr:`IMAPSettings.wait`.  Failures are :class:`DeliveryError` with a ``finding``.
"""

from __future__ import annotations

import contextlib
import errno
import imaplib
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from smtpdoctor.discovery.providers import detect_provider
from smtpdoctor.model.credentials import Credentials
from smtpdoctor.net.transport import (
    ConnectError,
    ResolutionError,
    Resolver,
    Transport,
    client_context,
    resolve,
)
from smtpdoctor.settings.proxy import ProxySpec
from smtpdoctor.settings.sending import IMAPSecurity, IMAPSettings

#: The first pause between two searches, how much it grows each round, and its cap.
FIRST_INTERVAL = 0.5
BACKOFF = 1.6
MAX_INTERVAL = 5.0
#: The most bytes one IMAP literal may have: a few header fields, or the found message.
MAX_LITERAL = 256 * 1024
#: The largest found message kept whole (for its DKIM signatures); the fetch asks for one
#: byte more, so a message that fills it is known to be too large.
MAX_MESSAGE = MAX_LITERAL - 1
JUNK_NAMES = frozenset({"junk", "spam", "junk e-mail", "junk email", "bulk", "bulk mail"})
TOKEN_HEADER = "X-Smtpdoctor-Token"  # noqa: S105 - a header name
_HEADERS_FETCHED = f"({TOKEN_HEADER.upper()} AUTHENTICATION-RESULTS)"
_LIST_LINE = re.compile(
    rb'\((?P<flags>[^)]*)\)\s+(?P<delimiter>"(?:[^"\\]|\\.)*"|NIL)\s+(?P<name>.+)'
)
_RESULT = re.compile(r"\b([a-z][a-z0-9-]*)\s*=\s*([a-z]+)\b", re.I)
_AUTH_METHODS = frozenset({"spf", "dkim", "dmarc", "arc", "iprev", "auth", "bimi", "dkim-atps"})


@dataclass(frozen=True, slots=True)
class TLSOptions:
    """How to verify the IMAP server's certificate: the same choices as for SMTP."""

    ca_file: str | None = None
    ca_data: str | None = None
    insecure: bool = False


@dataclass(frozen=True, slots=True)
class Found:
    """The test message, found."""

    folder: str
    junk: bool
    """It is in a Junk/Spam folder."""
    latency: float
    """Seconds from the server's acceptance to the search that found it (an upper bound: the
    message arrived at most one polling interval earlier)."""
    authentication_results: tuple[str, ...]
    """Every ``Authentication-Results`` header, topmost first, unfolded."""
    searches: int
    """How many polling rounds it took."""
    message: bytes | None = None
    """The whole message as delivered, headers and body, for checking its authentication;
    None when it is larger than :data:`MAX_MESSAGE` or could not be fetched."""
    message_problem: str = ""
    """Why :attr:`message` is None, in words (empty when it is not)."""


#: Told the IMAP server's address and IP version (4 or 6) once connected.
Connected = Callable[[str, int], None]


class DeliveryError(Exception):
    """The mailbox could not be searched; ``finding`` says why (``delivery.imap-…``)."""

    def __init__(self, message: str, *, finding: str) -> None:
        super().__init__(message)
        self.finding = finding


def default_imap_host(smtp_host: str) -> str:
    """The IMAP host that goes with ``smtp_host``: the provider's (smtp.office365.com →
    outlook.office365.com), else ``smtp.`` turned into ``imap.``, else the same host."""
    provider = detect_provider(host=smtp_host)
    if provider is not None and provider.imap_host:
        return provider.imap_host
    if smtp_host.lower().startswith("smtp."):
        return "imap." + smtp_host[5:]
    return smtp_host


def summarize_authentication_results(headers: tuple[str, ...]) -> str:
    """``spf=pass dkim=pass dmarc=pass`` from the topmost Authentication-Results header, or
    a sentence saying there was none."""
    if not headers:
        return "no Authentication-Results header (the receiving server added none)"
    results = [
        f"{method.lower()}={result.lower()}"
        for method, result in _RESULT.findall(headers[0])
        if method.lower() in _AUTH_METHODS
    ]
    return " ".join(dict.fromkeys(results)) or headers[0][:120]


def find_message(
    settings: IMAPSettings,
    *,
    token: str,
    accepted_at: float,
    tls: TLSOptions,
    step_timeout: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    resolver: Resolver = resolve,
    source_address: str | None = None,
    proxy: ProxySpec | None = None,
    on_connected: Connected | None = None,
) -> Found | None:
    """Log in to the mailbox and poll until the message carrying ``token`` shows up.

    ``accepted_at`` is the :func:`time.monotonic` moment the SMTP server accepted it; the
    search stops ``settings.wait`` seconds after that.  Returns None when the message did not
    show up in time; raises :class:`DeliveryError` when the mailbox cannot be searched.
    ``resolver`` looks up the IMAP host (the run's ``--dns-server`` when there is one);
    ``source_address`` is the local address to connect from (``--source-address``);
    ``proxy`` the proxy to connect through (``--proxy``), None for a direct connection.
    ``on_connected`` is told the server's address and IP version once a direct connection
    is made (through a proxy only the proxy knows them).
    """
    give_up_at = accepted_at + settings.wait
    route = _Route(resolver, source_address, proxy)
    try:
        with _connection(
            settings, tls, step_timeout, give_up_at, clock, route, on_connected
        ) as mailbox:
            folders = mailbox.folders()
            interval = FIRST_INTERVAL
            searches = 0
            while True:
                searches += 1
                for folder, junk in folders:
                    if mailbox.contains(folder, token):
                        return Found(
                            folder=folder,
                            junk=junk,
                            latency=clock() - accepted_at,
                            authentication_results=mailbox.authentication_results,
                            searches=searches,
                            message=mailbox.message,
                            # the server's words, which may echo the mailbox password
                            message_problem=_redacted(mailbox.message_problem, settings),
                        )
                remaining = give_up_at - clock()
                if remaining <= 0:
                    return None
                sleep(min(interval, remaining))
                interval = min(interval * BACKOFF, MAX_INTERVAL)
    except DeliveryError as exc:
        # the server's words may echo the mailbox password, which is not always the run's
        # (--imap-password-file), so the runner's redactor would not know it
        raise DeliveryError(_redacted(str(exc), settings), finding=exc.finding) from None


def _redacted(text: str, settings: IMAPSettings) -> str:
    """``text`` without the mailbox password: plain, as imaplib quoted it, or in base64."""
    from smtpdoctor.secrets.redaction import Redactor

    assert settings.credentials.password is not None  # IMAPSettings insists on one
    password = settings.credentials.password.reveal()
    return Redactor({password, _quote(password)[1:-1]}).text(text)


class _Watchdog:
    """Shuts the IMAP connection down at a deadline.

    imaplib bounds each read, not a reply: a server that drips a byte every second never trips
    the step timeout, and a line may be a megabyte long.  The run must end all the same, so
    when the deadline passes the connection is shut down (through a duplicate of its socket,
    which stays valid when TLS wraps the original), the blocked read returns, and
    :attr:`fired` says why.
    """

    def __init__(self, deadline_at: float) -> None:
        self._deadline_at = deadline_at
        self._spare: socket.socket | None = None
        self._timer: threading.Timer | None = None
        self.fired = False

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock``'s connection down at the deadline, unless cancelled first."""
        self._spare = sock.dup()
        delay = max(0.0, self._deadline_at - time.monotonic())
        self._timer = threading.Timer(delay, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        """Stop watching and release the duplicate socket."""
        if self._timer is not None:
            self._timer.cancel()
        if self._spare is not None:
            self._spare.close()

    def _fire(self) -> None:
        self.fired = True
        if self._spare is not None:
            with contextlib.suppress(OSError):
                self._spare.shutdown(socket.SHUT_RDWR)


@dataclass(frozen=True, slots=True)
class _Route:
    """How the IMAP connection is made: the run's resolver, source address and proxy."""

    resolver: Resolver
    source_address: str | None
    proxy: ProxySpec | None

    def opener(self, host: str, port: int, step_timeout: float) -> Callable[[float], socket.socket]:
        """What opens the connection to ``host`` port ``port`` within a timeout: resolve here
        (now, within ``step_timeout``) and connect, or let the transport connect through the
        proxy."""
        source = (self.source_address, 0) if self.source_address is not None else None
        if self.proxy is None:
            address = self._address(host, port, step_timeout)
            return lambda timeout: socket.create_connection(address, timeout, source_address=source)
        proxy = self.proxy

        def through(timeout: float) -> socket.socket:
            sock = Transport.connect(
                host,
                port,
                deadline_at=time.monotonic() + timeout,
                resolver=self.resolver,
                source_address=self.source_address,
                proxy=proxy,
            ).detach()
            sock.settimeout(timeout)
            return sock

        return through

    def _address(self, host: str, port: int, step_timeout: float) -> tuple[str, int]:
        """The first address of ``host`` this machine can reach from the source address."""
        lookup_by = time.monotonic() + step_timeout  # resolvers work on the real clock
        addresses = self.resolver(host, port, deadline_at=lookup_by)
        if self.source_address is not None:  # only addresses of its IP version
            wanted = _family_of(self.source_address)
            addresses = [pair for pair in addresses if pair[0] == wanted]
            if not addresses:
                raise ResolutionError(
                    f"it has no address of the IP version of the source address "
                    f"{self.source_address}",
                    kind="no-address-in-family",
                )
        if not addresses:
            raise ResolutionError(f"{host} has no usable address", kind="no-address")
        return addresses[0][1]


class _BoundedIMAP4(imaplib.IMAP4):
    """imaplib's client, connecting by ``opener`` (to an address resolved under a deadline,
    or through a proxy), with TLS from the first byte when asked, refusing literals bigger
    than :data:`MAX_LITERAL`, its connection cut by a :class:`_Watchdog` at the end of the
    wait."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        opener: Callable[[float], socket.socket],
        implicit_tls: ssl.SSLContext | None,
        timeout: float,
        watchdog: _Watchdog,
    ) -> None:
        self._opener = opener
        self._implicit_tls = implicit_tls
        self._watchdog = watchdog
        self._step_timeout = timeout
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = self._opener(self._step_timeout if timeout is None else timeout)
        self._watchdog.watch(sock)
        if self._implicit_tls is None:
            return sock
        try:
            return self._implicit_tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise

    def read(self, size: int) -> bytes:
        if size > MAX_LITERAL:
            raise self.abort(f"the server announced {size} bytes of data; at most {MAX_LITERAL}")
        return super().read(size)


class _Mailbox:
    """One logged-in IMAP session, every command under the step timeout and the wait."""

    def __init__(
        self,
        imap: _BoundedIMAP4,
        step_timeout: float,
        give_up_at: float,
        clock: Callable[[], float],
    ) -> None:
        self._imap = imap
        self._step_timeout = step_timeout
        self._give_up_at = give_up_at
        self._clock = clock
        self.authentication_results: tuple[str, ...] = ()
        self.message: bytes | None = None
        self.message_problem = ""

    def bound(self) -> None:
        """Give the next command the step timeout, cut short by the end of the wait (but at
        least one second, so the last search can still be made)."""
        remaining = max(1.0, self._give_up_at - self._clock())
        self._imap.sock.settimeout(min(self._step_timeout, remaining))

    def folders(self) -> list[tuple[str, bool]]:
        """INBOX first, then every Junk/Spam folder, as ``(name, is_junk)``."""
        self.bound()
        status, lines = self._imap.list()
        found: list[tuple[str, bool]] = [("INBOX", False)]
        if status != "OK":
            return found
        for line in lines:
            name, flags = _parse_list_line(line)
            if name is None or name.upper() == "INBOX":
                continue
            last = name.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
            if "\\junk" in flags or last.lower() in JUNK_NAMES:
                found.append((name, True))
        return found

    def contains(self, folder: str, token: str) -> bool:
        """Whether ``folder`` holds the message with ``token`` (its headers, and the whole
        message when it is small enough, are kept); False for a folder whose name the server
        listed in raw UTF-8."""
        self.bound()
        if not folder.isascii():
            # RFC 3501 names are modified UTF-7, always ASCII; raw UTF-8 needs UTF8=ACCEPT
            # (RFC 6855), which smtpdoctor does not enable: such a folder cannot be named back
            return False
        status, _ = self._imap.select(_quote(folder), readonly=True)
        if status != "OK":
            return False
        self.bound()
        status, data = self._imap.search(None, "SUBJECT", _quote(token))
        if status != "OK" or not data or not data[0]:
            return False
        for number in data[0].split():
            headers = self._headers(number.decode("ascii", "replace"))
            if headers is not None and headers.get(TOKEN_HEADER, "").strip() == token:
                self.authentication_results = tuple(
                    " ".join(str(value).split())
                    for value in headers.get_all("Authentication-Results") or ()
                )
                self._keep_message(number.decode("ascii", "replace"))
                return True
        return False

    def _keep_message(self, number: str) -> None:
        """Fetch message ``number`` whole — at most :data:`MAX_MESSAGE` bytes, without
        marking it seen — into :attr:`message`, or say in :attr:`message_problem` why not."""
        self.bound()
        try:
            status, data = self._imap.fetch(number, f"(BODY.PEEK[]<0.{MAX_MESSAGE + 1}>)")
        except imaplib.IMAP4.abort as exc:
            # the message was found all the same: the connection is lost, the delivery is not
            self.message_problem = f"the IMAP connection broke while sending it: {_text(exc)}"
            return
        except imaplib.IMAP4.error as exc:  # BAD: the search still found the message
            self.message_problem = f"the IMAP server refused to send it: {_text(exc)}"
            return
        except OSError as exc:  # imaplib lets a read's timeout or reset through as it is
            self.message_problem = (
                f"the IMAP connection failed while sending it: {exc.strerror or exc}"
            )
            return
        parts = [bytes(part[1]) for part in data if isinstance(part, tuple)]
        if status != "OK" or not parts:
            self.message_problem = "the IMAP server did not send it"
        elif len(parts[0]) > MAX_MESSAGE:
            self.message_problem = f"it is larger than {MAX_MESSAGE} bytes"
        else:
            self.message = parts[0]

    def _headers(self, number: str) -> Message | None:
        self.bound()
        status, data = self._imap.fetch(number, f"(BODY.PEEK[HEADER.FIELDS {_HEADERS_FETCHED}])")
        if status != "OK":
            return None
        raw = b"".join(part[1] for part in data if isinstance(part, tuple))
        return BytesHeaderParser(policy=default_policy).parsebytes(raw)


@contextmanager
def _connection(
    settings: IMAPSettings,
    tls: TLSOptions,
    step_timeout: float,
    give_up_at: float,
    clock: Callable[[], float],
    route: _Route,
    on_connected: Connected | None = None,
) -> Iterator[_Mailbox]:
    """Connect, secure, log in; yield the mailbox; log out.  Errors become DeliveryError."""
    where = f"{settings.host} port {settings.port}"
    imap: _BoundedIMAP4 | None = None
    # on the real clock (``clock`` may be a test's): the wait left, and one step for the last
    # search
    watchdog = _Watchdog(time.monotonic() + max(0.0, give_up_at - clock()) + step_timeout)
    try:
        try:
            context = client_context(
                verify=not tls.insecure, ca_file=tls.ca_file, ca_data=tls.ca_data
            )
            implicit = settings.security is IMAPSecurity.IMPLICIT
            imap = _BoundedIMAP4(
                settings.host,
                settings.port,
                opener=route.opener(settings.host, settings.port, step_timeout),
                implicit_tls=context if implicit else None,
                timeout=step_timeout,
                watchdog=watchdog,
            )
            if on_connected is not None and route.proxy is None:
                address = imap.sock.getpeername()[0]
                on_connected(str(address), 6 if imap.sock.family == socket.AF_INET6 else 4)
            if not implicit:
                if "STARTTLS" not in imap.capabilities:
                    raise DeliveryError(
                        f"the IMAP server at {where} does not offer STARTTLS, and smtpdoctor does "
                        "not log in without encryption (use port 993 for IMAPS)",
                        finding="delivery.imap-starttls-not-offered",
                    )
                imap.starttls(context)
            mailbox = _Mailbox(imap, step_timeout, give_up_at, clock)
            mailbox.bound()
            _login(imap, settings.credentials, where)
            yield mailbox
        except Exception:
            if watchdog.fired:  # the blocked read ended because the wait was over
                raise TimeoutError from None
            raise
    except DeliveryError:
        raise
    except ResolutionError as exc:
        finding = "delivery.imap-host-unknown" if exc.kind != "timeout" else "delivery.imap-timeout"
        raise DeliveryError(
            f"the IMAP host {settings.host} cannot be found: {exc}", finding=finding
        ) from None
    except TimeoutError:
        raise DeliveryError(
            f"the IMAP server at {where} did not answer in time", finding="delivery.imap-timeout"
        ) from None
    except ConnectError as exc:  # through the proxy, which says why in words
        finding = (
            "delivery.imap-timeout" if exc.kind == "proxy-timeout" else "delivery.imap-unreachable"
        )
        raise DeliveryError(
            f"could not reach the IMAP server at {where}: {exc}", finding=finding
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(
            f"the IMAP server's certificate was refused: {exc.verify_message}",
            finding="delivery.imap-tls-failed",
        ) from None
    except ssl.SSLError as exc:
        raise DeliveryError(
            f"TLS with the IMAP server at {where} failed: {exc.reason or exc}",
            finding="delivery.imap-tls-failed",
        ) from None
    except ConnectionRefusedError:
        raise DeliveryError(
            f"nothing listens for IMAP at {where} (connection refused)",
            finding="delivery.imap-unreachable",
        ) from None
    except imaplib.IMAP4.abort as exc:
        raise DeliveryError(
            f"the IMAP connection to {where} broke: {_text(exc)}", finding="delivery.imap-error"
        ) from None
    except imaplib.IMAP4.error as exc:
        raise DeliveryError(
            f"the IMAP server at {where} refused a command: {_text(exc)}",
            finding="delivery.imap-error",
        ) from None
    except UnicodeDecodeError:  # imaplib decodes CAPABILITY as ASCII, unguarded
        raise DeliveryError(
            f"the IMAP server at {where} sent bytes that are not ASCII where IMAP allows "
            "only ASCII",
            finding="delivery.imap-error",
        ) from None
    except OSError as exc:
        source_address = route.source_address
        if source_address is not None and exc.errno == errno.EADDRNOTAVAIL:
            raise DeliveryError(
                f"could not reach the IMAP server at {where}: {source_address} is not an "
                "address of this machine: see `ip -br addr`",
                finding="delivery.imap-unreachable",
            ) from None
        raise DeliveryError(
            f"could not reach the IMAP server at {where}: {exc.strerror or exc}",
            finding="delivery.imap-unreachable",
        ) from None
    finally:
        if imap is not None:
            _logout(imap)
        watchdog.cancel()


def _family_of(address: str) -> int:
    """The socket address family of the IP address literal ``address``."""
    return socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET


def _login(imap: _BoundedIMAP4, credentials: Credentials, where: str) -> None:
    assert credentials.password is not None  # IMAPSettings insists on one
    user, password = credentials.username, credentials.password.reveal()
    capabilities = imap.capabilities
    try:
        if "LOGINDISABLED" not in capabilities and user.isascii() and password.isascii():
            imap.login(_quote(user), password)  # imaplib quotes the password itself
        elif "AUTH=PLAIN" in capabilities:
            token = f"\0{user}\0{password}".encode()
            imap.authenticate("PLAIN", lambda _challenge: token)
        else:
            raise DeliveryError(
                f"the IMAP server at {where} offers no login smtpdoctor can use for this "
                "user name and password (LOGIN is disabled or they are not ASCII, and there "
                "is no AUTH=PLAIN)",
                finding="delivery.imap-login-refused",
            )
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise DeliveryError(
            f"the IMAP server at {where} refused the login as {user}: {_text(exc)}",
            finding="delivery.imap-login-refused",
        ) from None


def _logout(imap: _BoundedIMAP4) -> None:
    try:
        imap.sock.settimeout(2.0)
        imap.logout()
    except (OSError, imaplib.IMAP4.error, ValueError):
        with contextlib.suppress(OSError, ValueError):
            imap.shutdown()


def _parse_list_line(line: object) -> tuple[str | None, str]:
    """A LIST response line → (mailbox name, its flags lower-cased); a name sent as a
    literal arrives as a tuple from imaplib."""
    if isinstance(line, tuple):
        head, literal = line[0], line[1]
        match = _LIST_LINE.match(bytes(head))
        flags = match["flags"].decode("ascii", "replace").lower() if match else ""
        return bytes(literal).decode("utf-8", "replace"), flags
    if not isinstance(line, bytes):
        return None, ""
    match = _LIST_LINE.match(line)
    if match is None:
        return None, ""
    name = match["name"].strip()
    if name.startswith(b'"') and name.endswith(b'"') and len(name) >= 2:
        name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
    return name.decode("utf-8", "replace"), match["flags"].decode("ascii", "replace").lower()


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(exc: BaseException) -> str:
    """An imaplib error's message: the server's words, decoded, on one line."""
    value = exc.args[0] if exc.args else exc
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())[:300]


__all__ = [
    "DeliveryError",
    "Found",
    "TLSOptions",
    "default_imap_host",
    "find_message",
    "summarize_authentication_results",
]
