"""The proxy's handshake: ask a SOCKS or HTTP proxy for a tunnel to the server.

:mod:`smtpdoctor.net.transport` opens the TCP connection to the proxy (resolved, bound to
``--source-address``, under the step's deadline); :func:`handshake` then speaks the proxy's
protocol over it with python-socks, a maintained client, rather than a hand-written one —
SOCKS4, SOCKS5 (with a user name and password, RFC 1929) and HTTP ``CONNECT`` (with Basic
authentication).  python-socks opens its own connection unless it is handed one, which its
proxy chaining (``forward``) does: :class:`_Handover` is that hand-over.

Two things python-socks does not do, this module does, on the socket it hands over
(:class:`_HandshakeSocket`): it bounds every read and write by the deadline, so a proxy that
drips its answer cannot stretch the step, and it reads an HTTP proxy's answer exactly to its
blank line, so the server's greeting relayed right behind it is left for the SMTP session.

Failures are :class:`ProxyFailure` with a ``kind`` (``proxy-auth``, ``proxy-refused``,
``proxy-destination-unreachable``, ``proxy-timeout`` or ``proxy-error``) and words that name
the proxy and the destination; the proxy's own words are escaped and stripped of the login.
The transport imports this module (and python-socks) only for a run that uses a proxy.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING, Any, Final

from python_socks import ProxyError, ProxyTimeoutError, ProxyType
from python_socks.sync import Proxy

from smtpdoctor.protocol.safetext import safe_text
from smtpdoctor.secrets.redaction import Redactor
from smtpdoctor.settings.proxy import ProxyScheme, ProxySpec

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

#: The failures that concern one address of the server: the next one may still work.
PER_ADDRESS_KINDS: Final = frozenset({"proxy-refused", "proxy-destination-unreachable"})
#: The most an HTTP proxy's answer to CONNECT may take, status line and headers.
MAX_HTTP_HEAD: Final = 16 * 1024
#: The most of the proxy's own words a message quotes.
MAX_QUOTED: Final = 200

#: The python-socks protocol of each kind of proxy (SOCKS5 resolves remotely with ``rdns``).
_PROXY_TYPES: Final = {
    ProxyScheme.SOCKS4: ProxyType.SOCKS4,
    ProxyScheme.SOCKS5: ProxyType.SOCKS5,
    ProxyScheme.SOCKS5H: ProxyType.SOCKS5,
    ProxyScheme.HTTP: ProxyType.HTTP,
}
#: SOCKS5 reply codes (RFC 1928 §6) → kind and meaning.
_SOCKS5_REPLIES: Final = {
    0x01: ("proxy-error", "a general SOCKS server failure"),
    0x02: ("proxy-refused", "connection not allowed by its rules"),
    0x03: ("proxy-destination-unreachable", "network unreachable"),
    0x04: ("proxy-destination-unreachable", "host unreachable"),
    0x05: ("proxy-refused", "connection refused (by the server, or a firewall behind the proxy)"),
    0x06: ("proxy-destination-unreachable", "TTL expired"),
    0x07: ("proxy-error", "command not supported"),
    0x08: ("proxy-error", "address type not supported"),
}
#: SOCKS4 reply codes → kind and meaning.
_SOCKS4_REPLIES: Final = {
    0x5B: ("proxy-refused", "request rejected or failed (SOCKS4 does not say which)"),
    0x5C: ("proxy-auth", "it could not reach the identd of this machine to check the user id"),
    0x5D: ("proxy-auth", "identd reports another user id than the one sent"),
}
#: HTTP status codes of an answer to CONNECT → kind.
_HTTP_STATUS: Final = {
    403: "proxy-refused",
    405: "proxy-refused",
    407: "proxy-auth",
    502: "proxy-destination-unreachable",
    503: "proxy-destination-unreachable",
    504: "proxy-destination-unreachable",
}


class ProxyFailure(Exception):
    """The proxy did not give the tunnel; ``kind`` says why: it wants a login or refused it
    (``proxy-auth``), it refuses the destination (``proxy-refused``), it cannot reach it
    (``proxy-destination-unreachable``), it did not answer in time (``proxy-timeout``), or
    anything else (``proxy-error``)."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def handshake(
    sock: socket.socket, proxy: ProxySpec, host: str, port: int, *, deadline_at: float
) -> socket.socket:
    """Ask ``proxy``, over ``sock`` (connected to it), for a tunnel to ``host`` port ``port``
    (an address, or for ``socks5h`` a name the proxy resolves), all by ``deadline_at``.

    Returns the socket, now a tunnel to the server (blocking, no timeout set).  ``sock`` is
    consumed: on failure it is closed.

    :raises ProxyFailure: the proxy refused, failed, or did not answer in time.
    """
    started = time.monotonic()
    guarded = _HandshakeSocket(sock, deadline_at=deadline_at, http=proxy.scheme is ProxyScheme.HTTP)
    password = proxy.password.reveal() if proxy.password is not None else None
    client = Proxy(
        _PROXY_TYPES[proxy.scheme],
        proxy.host,
        proxy.port,
        username=proxy.username,
        password=password,
        rdns=proxy.resolves_remotely,
        forward=_Handover(guarded),
    )
    words = _Words(proxy, host, port)
    try:
        client.connect(host, port, timeout=max(0.001, deadline_at - time.monotonic()))
    except ProxyFailure:
        guarded.close()
        raise
    except ProxyTimeoutError:
        guarded.close()
        raise words.timeout(time.monotonic() - started, guarded) from None
    except ProxyError as exc:
        guarded.close()
        raise words.refusal(exc, guarded) from None
    except OSError as exc:  # reset or broken pipe mid-handshake
        guarded.close()
        raise words.closed(guarded, reset=isinstance(exc, ConnectionResetError)) from None
    except Exception as exc:  # noqa: BLE001 - python-socks parsing a hostile proxy's bytes
        guarded.close()
        raise ProxyFailure(
            f"{words.proxy}'s answer could not be understood ({type(exc).__name__})",
            kind="proxy-error",
        ) from None
    tunnel = socket.socket(fileno=guarded.detach())
    tunnel.setblocking(True)  # as a new socket says it is: its descriptor kept the timeout mode
    return tunnel


class _HandshakeSocket(socket.socket):
    """The connection to the proxy while python-socks talks over it: every read and write
    bounded by the deadline, an HTTP proxy's answer read exactly to its end, and a note of
    how far the handshake got (for the words of a failure)."""

    def __init__(self, sock: socket.socket, *, deadline_at: float, http: bool) -> None:
        super().__init__(sock.family, sock.type, sock.proto, fileno=sock.detach())
        self._deadline_at = deadline_at
        self._http = http
        #: How many messages were sent, and the first byte of the last one.
        self.writes = 0
        self.last_sent = b""

    @property
    def login_sent(self) -> bool:
        """Whether the last message was SOCKS5's user name and password (RFC 1929: it
        starts with version byte 1, every other SOCKS5 message with 5)."""
        return not self._http and self.last_sent == b"\x01"

    def sendall(self, data: ReadableBuffer, flags: int = 0, /) -> None:
        self._bound()
        head = bytes(memoryview(data)[:1])
        self.writes += 1
        self.last_sent = head
        super().sendall(data, flags)

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        self._bound()
        if not self._http:
            return super().recv(bufsize, flags)
        return self._http_head()

    def _http_head(self) -> bytes:
        """The answer's status line and headers, read a byte at a time to the blank line
        (a few dozen bytes; what follows is the server's); an answer that does not begin
        with ``HTTP/`` is a :class:`ProxyFailure` at its fifth byte."""
        head = bytearray()
        while not head.endswith((b"\r\n\r\n", b"\n\n")):  # bare LFs from a sloppy proxy too
            if len(head) >= 5 and not head.startswith(b"HTTP/"):
                # python-socks would take "anything 200" for a tunnel: no HTTP, no tunnel
                first = bytes(head).decode("ascii", "replace")
                raise ProxyFailure(
                    f"the proxy does not answer as an HTTP proxy (its answer begins {first!r})",
                    kind="proxy-error",
                )
            if len(head) >= MAX_HTTP_HEAD:
                raise ProxyFailure(
                    f"the proxy's answer to CONNECT is longer than {MAX_HTTP_HEAD} bytes",
                    kind="proxy-error",
                )
            self._bound()
            byte = super().recv(1)
            if not byte:
                break
            head += byte
        return bytes(head)

    def _bound(self) -> None:
        remaining = self._deadline_at - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the proxy step is out of time")
        self.settimeout(remaining)


class _Handover(Proxy):
    """python-socks' "proxy before the proxy" (``forward``), which hands over the
    connection :mod:`~smtpdoctor.net.transport` opened instead of opening one."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(ProxyType.SOCKS5, "handover.invalid", 1)  # never connected to
        self._sock = sock

    def connect(
        self, dest_host: str, dest_port: int, timeout: float | None = None, **kwargs: Any
    ) -> socket.socket:
        return self._sock


class _Words:
    """What went wrong, in words that name the proxy and the destination."""

    def __init__(self, proxy: ProxySpec, host: str, port: int) -> None:
        self.proxy = f"the proxy {proxy.display}"
        self._spec = proxy
        shown = f"[{host}]" if ":" in host else host
        self.destination = f"{shown}:{port}"
        secrets = [proxy.password.reveal()] if proxy.password is not None else []
        if proxy.password is not None and proxy.username is not None:
            secrets.append(f"{proxy.username}:{proxy.password.reveal()}")
        self._redactor = Redactor(secrets)

    def timeout(self, seconds: float, sock: _HandshakeSocket) -> ProxyFailure:
        waiting = f"the connection to {self.destination}" if self._asked(sock) else "its handshake"
        return ProxyFailure(
            f"{self.proxy} accepted the connection but did not answer in {seconds:.1f} s "
            f"(waiting for {waiting}): it is overloaded, or its own connection to the server "
            "hangs (a firewall dropping it looks like this)",
            kind="proxy-timeout",
        )

    def refusal(self, exc: ProxyError, sock: _HandshakeSocket) -> ProxyFailure:
        """A python-socks ``ProxyError``: a reply code, a refused login, or bytes it did not
        expect; its words are python-socks' (``No acceptable authentication methods …``)."""
        code, said = exc.error_code, str(exc)
        scheme = self._spec.scheme
        if said.startswith("Connection closed") or (
            scheme is ProxyScheme.HTTP and said == "Invalid proxy response"
        ):
            return self.closed(sock, reset=False)
        if code is not None and scheme is ProxyScheme.HTTP:
            return self._http_status(code, said)
        if code is not None:
            table = _SOCKS4_REPLIES if scheme is ProxyScheme.SOCKS4 else _SOCKS5_REPLIES
            kind, meaning = table.get(code, ("proxy-error", f"reply code {code:#04x}"))
            return ProxyFailure(self._destination_said(kind, meaning, code), kind=kind)
        if said == "No acceptable authentication methods were offered":
            return ProxyFailure(self._no_method(), kind="proxy-auth")
        if said == "Username and password authentication failure":
            return ProxyFailure(
                f"{self.proxy} refused the user name {self._spec.username!r} and its password "
                "(SOCKS5 authentication failed)",
                kind="proxy-auth",
            )
        if "version" in said or "Invalid status" in said:  # SOCKS version byte, HTTP status
            return ProxyFailure(
                f"{self.proxy} does not answer as a {scheme.value} proxy ({self._quote(said)}): "
                "is it another kind of proxy, or no proxy at all on that port?",
                kind="proxy-error",
            )
        return ProxyFailure(f"{self.proxy} failed: {self._quote(said)}", kind="proxy-error")

    def closed(self, sock: _HandshakeSocket, *, reset: bool) -> ProxyFailure:
        """The proxy ended the connection mid-handshake; what that means depends on what was
        sent last (many proxies close instead of answering a login they refuse)."""
        how = "reset" if reset else "closed"
        spec = self._spec
        if sock.login_sent:
            return ProxyFailure(
                f"{self.proxy} {how} the connection when it got the user name "
                f"{spec.username!r} and its password, without an answer: it refused them",
                kind="proxy-auth",
            )
        if spec.scheme is not ProxyScheme.HTTP and sock.writes == 1 and not spec.wants_password:
            return ProxyFailure(
                f"{self.proxy} {how} the connection when offered no authentication: it "
                "requires a login, and none was given (put the user in the URL, "
                "SCHEME://USER@HOST:PORT, and the password in $SMTPDOCTOR_PROXY_PASSWORD or "
                "--proxy-password-file)",
                kind="proxy-auth",
            )
        if self._asked(sock):
            return ProxyFailure(
                f"{self.proxy} {how} the connection when asked for {self.destination}, "
                "without an answer (some proxies do this for a destination they refuse)",
                kind="proxy-error",
            )
        return ProxyFailure(
            f"{self.proxy} {how} the connection during its handshake", kind="proxy-error"
        )

    def _asked(self, sock: _HandshakeSocket) -> bool:
        """Whether the request for the destination had been sent."""
        if self._spec.scheme in (ProxyScheme.HTTP, ProxyScheme.SOCKS4):
            return sock.writes >= 1
        return sock.writes >= 2 and not sock.login_sent

    def _http_status(self, code: int, said: str) -> ProxyFailure:
        status = self._quote(said)
        kind = _HTTP_STATUS.get(code, "proxy-error")
        if kind == "proxy-auth":
            if self._spec.username is None:
                message = (
                    f"{self.proxy} requires a login (HTTP {status}), and none was given: put "
                    "the user in the URL (http://USER@HOST:PORT) and the password in "
                    "$SMTPDOCTOR_PROXY_PASSWORD or --proxy-password-file"
                )
            else:
                message = (
                    f"{self.proxy} refused the user name {self._spec.username!r} and its "
                    f"password (HTTP {status})"
                )
            return ProxyFailure(message, kind=kind)
        if kind == "proxy-refused":
            return ProxyFailure(
                f"{self.proxy} refused to connect to {self.destination} (HTTP {status}): its "
                "rules do not allow that destination or port",
                kind=kind,
            )
        if kind == "proxy-destination-unreachable":
            return ProxyFailure(
                f"{self.proxy} could not reach {self.destination} (HTTP {status})", kind=kind
            )
        return ProxyFailure(
            f"{self.proxy} answered the request for {self.destination} with HTTP {status}",
            kind=kind,
        )

    def _destination_said(self, kind: str, meaning: str, code: int) -> str:
        reply = f"SOCKS reply {code:#04x}: {meaning}"
        if kind == "proxy-refused":
            return f"{self.proxy} refused to connect to {self.destination} ({reply})"
        if kind == "proxy-destination-unreachable":
            return f"{self.proxy} could not reach {self.destination} ({reply})"
        if kind == "proxy-auth":
            return f"{self.proxy} refused the user id {self._spec.username!r} ({reply})"
        return f"{self.proxy} failed to connect to {self.destination} ({reply})"

    def _no_method(self) -> str:
        if self._spec.wants_password:
            return (
                f"{self.proxy} accepts none of the authentication methods offered (none, "
                "user name and password)"
            )
        return (
            f"{self.proxy} requires a login, and none was given: put the user in the URL "
            "(socks5://USER@HOST:PORT) and the password in $SMTPDOCTOR_PROXY_PASSWORD or "
            "--proxy-password-file"
        )

    def _quote(self, text: str) -> str:
        """The proxy's (or python-socks') words: one line, escaped, without the login,
        at most :data:`MAX_QUOTED` characters."""
        cleaned = self._redactor.text(safe_text(text))
        return cleaned if len(cleaned) <= MAX_QUOTED else cleaned[:MAX_QUOTED] + "…"
