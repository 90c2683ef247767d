"""A small HTTPS GET client that sees and bounds every byte: for the MTA-STS policy.

One request, HTTP/1.1 with ``Connection: close``, over a connection made by
:class:`~smtpdoctor.net.transport.Transport` (Happy Eyeballs, ``-4``/``-6``, source address)
with the certificate verified for the host name.  No redirect is followed; the response is
parsed by hand (RFC 9112) with bounded reads: the status line, the header block and the body
each have a size limit, and the whole response must arrive within one step's timeout, so a
server that drips bytes cannot stretch it.  ``urllib`` and ``http.client`` follow redirects
or read without bounds, hence this module.

:func:`fetch` never raises for anything the network or the server does: it returns an
:class:`HTTPSResponse` or an :class:`HTTPSFailure` that says what went wrong, in words.
"""

from __future__ import annotations

import enum
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from smtpdoctor._version import __version__
from smtpdoctor.net.transport import (
    ConnectError,
    ConnectionClosed,
    ResolutionError,
    StepTimeout,
    TLSError,
    Transport,
    TransportError,
    client_context,
)

__all__ = [
    "FailureKind",
    "FetchOptions",
    "HTTPSFailure",
    "HTTPSResponse",
    "fetch",
]

#: The longest status line read (bytes, CRLF included).
MAX_STATUS_LINE = 8 * 1024
#: The most lines in a header (or trailer) block, the empty line that ends it not counted.
MAX_HEADER_LINES = 64
#: The largest header (or trailer) block, in bytes: every line with its line end, and the
#: empty line that ends the block.
MAX_HEADER_BYTES = 32 * 1024
#: The longest chunk-size line of a chunked body (its extensions and line end included).
MAX_CHUNK_LINE = 1024
#: How many interim (1xx) responses are skipped before the final one.
MAX_INTERIM = 4

Resolve = Callable[..., list[tuple[int, tuple[str, int]]]]

_STATUS_LINE = re.compile(rb"HTTP/(1\.[01]) ([0-9]{3})(?: ([^\r\n]*))?\r?\n")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,15})[ \t]*(?:;[^\r\n]*)?\r?\n")


class FailureKind(enum.StrEnum):
    """Why a fetch gave no usable response."""

    DNS = "dns"
    CONNECT = "connect"
    CERTIFICATE = "certificate"
    """The server's certificate was refused (wrong name, untrusted, expired …)."""
    TLS = "tls"
    """The TLS handshake failed for another reason (or our CA file does not load)."""
    TIMEOUT = "timeout"
    CLOSED = "closed"
    """The server closed or reset the connection before the response was complete."""
    PROTOCOL = "protocol"
    """The response is not valid HTTP/1.1."""
    REDIRECT = "redirect"
    STATUS = "status"
    """A final status other than 200 (and not a redirect)."""
    CONTENT_TYPE = "content-type"
    TOO_BIG = "too-big"


@dataclass(frozen=True, slots=True)
class HTTPSFailure:
    """A fetch that gave no usable response: what kind of failure, and what happened in
    words (``explanation``); the status, ``Location`` and ``Content-Type`` when the server
    got that far."""

    kind: FailureKind
    explanation: str
    url: str
    status: int | None = None
    location: str | None = None
    content_type: str | None = None
    peer: str | None = None
    """The address connected to (``127.0.0.1:443``), when a connection was made."""


@dataclass(frozen=True, slots=True)
class HTTPSResponse:
    """A ``200`` response with the expected media type and a body within the limit."""

    url: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    """Every header, names lower-cased, in order."""
    body: bytes
    peer: str
    """The address connected to (``127.0.0.1:443``)."""
    tls_version: str
    chunked: bool = False

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (any case), if any."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How to fetch: the port, the limits in time and size, trust and the path's IP
    options."""

    timeout: float
    """Seconds each step (DNS, connect, TLS handshake, request, whole response) may take."""
    deadline_at: float
    """No step waits past this ``time.monotonic()`` value."""
    port: int = 443
    max_body: int = 64 * 1024
    content_type: str = "text/plain"
    """The media type the response must have (parameters such as ``charset`` allowed)."""
    ca_file: Path | None = None
    """Trust these CAs too (PEM), besides the system's."""
    family: int | None = None
    source_address: str | None = None
    resolve: Resolve | None = field(default=None, compare=False)
    """Turns the host name into addresses like
    :meth:`~smtpdoctor.net.resolver.DNSClient.resolve_for_connect` (the system's resolver
    when ``None``)."""


def fetch(host: str, path: str, options: FetchOptions) -> HTTPSResponse | HTTPSFailure:
    """GET ``https://host[:port]path``, verifying the certificate for ``host``; never
    follows a redirect.  Every failure — DNS, connect, TLS, time-out, malformed HTTP, a
    status other than 200, the wrong media type, a body over the limit — is returned as an
    :class:`HTTPSFailure`."""
    authority = host if options.port == 443 else f"{host}:{options.port}"
    url = f"https://{authority}{path}"
    try:
        return _fetch(host, authority, path, url, options)
    except _Failed as failed:
        return failed.failure


class _Failed(Exception):
    """Carries an :class:`HTTPSFailure` out of the fetch's steps."""

    def __init__(self, failure: HTTPSFailure) -> None:
        super().__init__(failure.explanation)
        self.failure = failure


def _fetch(
    host: str, authority: str, path: str, url: str, options: FetchOptions
) -> HTTPSResponse | HTTPSFailure:
    def fail(kind: FailureKind, explanation: str, peer: str | None = None) -> _Failed:
        return _Failed(HTTPSFailure(kind, explanation, url, peer=peer))

    try:
        context = client_context(
            verify=True, ca_file=str(options.ca_file) if options.ca_file else None, ca_data=None
        )
        addresses = _resolve(host, options)
        transport = Transport.connect(
            host,
            options.port,
            deadline_at=_step(options),
            resolver=lambda *_args, **_kwargs: addresses,
            family=options.family,
            source_address=options.source_address,
        )
    except ResolutionError as exc:
        raise fail(FailureKind.DNS, f"DNS: {exc}") from None
    except ConnectError as exc:
        raise fail(FailureKind.CONNECT, f"cannot connect to {authority}: {exc}") from None
    except TLSError as exc:  # only "config": the CA file does not load
        raise fail(FailureKind.TLS, str(exc)) from None
    except TransportError as exc:
        raise fail(FailureKind.CONNECT, f"cannot connect to {authority}: {exc}") from None
    peer = _show(transport.peer)
    try:
        try:
            tls = transport.start_tls(context, server_hostname=host, deadline_at=_step(options))
        except TLSError as exc:
            kind = FailureKind.CERTIFICATE if exc.kind == "certificate" else FailureKind.TLS
            words = exc.verify_message or str(exc) if exc.kind == "certificate" else str(exc)
            raise fail(kind, f"TLS with {host} failed: {words}", peer) from None
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {authority}\r\n"
            f"User-Agent: smtpdoctor/{__version__}\r\nAccept: {options.content_type}\r\n"
            "Connection: close\r\n\r\n"
        )
        reader = _Reader(transport, _step(options))
        transport.sendall(request.encode("ascii"), deadline_at=reader.deadline_at)
        return _response(reader, url, peer, tls.version, options)
    except StepTimeout as exc:
        raise fail(FailureKind.TIMEOUT, f"{host} was too slow: {exc}", peer) from None
    except ConnectionClosed as exc:
        raise fail(FailureKind.CLOSED, f"{host}: {exc}", peer) from None
    except TransportError as exc:
        raise fail(FailureKind.CLOSED, f"{host}: {exc}", peer) from None
    except _Malformed as exc:
        raise fail(
            FailureKind.PROTOCOL, f"{host} sent a malformed HTTP response: {exc}", peer
        ) from None
    finally:
        transport.close()


def _resolve(host: str, options: FetchOptions) -> list[tuple[int, tuple[str, int]]]:
    if options.resolve is None:
        from smtpdoctor.net.transport import resolve

        return resolve(host, options.port, deadline_at=_step(options))
    return options.resolve(host, options.port, deadline_at=_step(options))


def _step(options: FetchOptions) -> float:
    """The deadline of a step starting now: ``timeout`` from now, never past the run's."""
    return min(options.deadline_at, time.monotonic() + options.timeout)


class _Malformed(Exception):
    """The response breaks HTTP/1.1; the message says how."""


class _TooBig(Exception):
    """The body is over the limit."""


class _LineTooLong(Exception):
    """No line end within the limit; the caller says which limit, in words."""


class _Reader:
    """Buffered, bounded reads of one response from ``transport``, all before
    ``deadline_at``."""

    def __init__(self, transport: Transport, deadline_at: float) -> None:
        self._transport = transport
        self.deadline_at = deadline_at
        self._buffer = b""
        self._closed = False

    def _fill(self, what: str) -> bool:
        """Read one more piece; ``False`` when the server has closed the connection."""
        if self._closed:
            return False
        data = self._transport.recv(deadline_at=self.deadline_at, what=what)
        if not data:
            self._closed = True
            return False
        self._buffer += data
        return True

    def line(self, limit: int, what: str) -> bytes:
        """One line (ending in LF, which it keeps) of at most ``limit`` bytes;
        :class:`_LineTooLong` when no LF comes within ``limit`` bytes."""
        while True:
            end = self._buffer.find(b"\n", 0, max(limit, 0))
            if end >= 0:
                line, self._buffer = self._buffer[: end + 1], self._buffer[end + 1 :]
                return line
            if len(self._buffer) >= limit:
                raise _LineTooLong
            if not self._fill(what):
                raise ConnectionClosed(f"the server closed the connection in the middle of {what}")

    def exactly(self, count: int, what: str) -> bytes:
        """``count`` bytes."""
        while len(self._buffer) < count:
            if not self._fill(what):
                raise ConnectionClosed(
                    f"the server closed the connection in the middle of {what} "
                    f"({len(self._buffer)} of {count} bytes received)"
                )
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def until_close(self, limit: int, what: str) -> bytes:
        """Everything up to the close of the connection; :class:`_TooBig` past ``limit``."""
        while len(self._buffer) <= limit:
            if not self._fill(what):
                return self._buffer
        raise _TooBig


def _response(
    reader: _Reader, url: str, peer: str, tls_version: str, options: FetchOptions
) -> HTTPSResponse | HTTPSFailure:
    for _ in range(MAX_INTERIM + 1):
        status, reason = _status_line(reader)
        headers = _headers(reader, "header")
        if status >= 200:
            break
    else:
        raise _Malformed(f"more than {MAX_INTERIM} interim (1xx) responses")

    def failed(kind: FailureKind, explanation: str) -> HTTPSFailure:
        return HTTPSFailure(
            kind,
            explanation,
            url,
            status=status,
            location=_header(headers, "location"),
            content_type=_header(headers, "content-type"),
            peer=peer,
        )

    said = f"{status} {reason}".strip()
    if 300 <= status < 400:
        location = _header(headers, "location")
        where = f"to {location}" if location else "without a Location header"
        return failed(FailureKind.REDIRECT, f"{url} answered {said}: a redirect {where}")
    if status != 200:
        return failed(FailureKind.STATUS, f"{url} answered {said}, not 200 OK")
    media = _header(headers, "content-type")
    if media is None:
        return failed(FailureKind.CONTENT_TYPE, f"{url} has no Content-Type header")
    if media.split(";", 1)[0].strip().lower() != options.content_type:
        return failed(
            FailureKind.CONTENT_TYPE,
            f"{url} is served as {media!r}, not {options.content_type}",
        )
    framing = _framing(headers)
    try:
        body = _body(reader, framing, options.max_body)
    except _TooBig:
        return failed(
            FailureKind.TOO_BIG, f"{url} is bigger than the limit of {options.max_body} bytes"
        )
    return HTTPSResponse(
        url, status, reason, headers, body, peer, tls_version, chunked=framing == "chunked"
    )


def _status_line(reader: _Reader) -> tuple[int, str]:
    try:
        line = reader.line(MAX_STATUS_LINE, "the status line")
    except _LineTooLong:
        raise _Malformed(f"the status line is over {MAX_STATUS_LINE} bytes") from None
    found = _STATUS_LINE.fullmatch(line)
    if found is None:
        raise _Malformed(f"the status line is not HTTP/1.x: {_shown(line)}")
    return int(found.group(2)), (found.group(3) or b"").decode("latin-1").strip()


def _headers(reader: _Reader, block: str) -> tuple[tuple[str, str], ...]:
    """A ``header`` (or ``trailer``) block up to its empty line, names lower-cased; at most
    :data:`MAX_HEADER_LINES` lines and :data:`MAX_HEADER_BYTES` bytes.  An obsolete line
    folding becomes one space (RFC 9112 §5.2); a folded line with no field before it is
    refused (RFC 9112 §2.2)."""
    headers: list[tuple[str, str]] = []
    total = 0
    for count in range(MAX_HEADER_LINES + 1):
        try:
            line = reader.line(MAX_HEADER_BYTES - total, f"the {block} block")
        except _LineTooLong:
            raise _Malformed(f"the {block} block is over {MAX_HEADER_BYTES // 1024} KiB") from None
        total += len(line)
        text = line.rstrip(b"\r\n")
        if not text:
            return tuple(headers)
        if count == MAX_HEADER_LINES:
            break
        if text[:1] in (b" ", b"\t") and headers:
            folded_name, folded = headers.pop()
            headers.append((folded_name, f"{folded} {_text(text.strip())}".strip()))
            continue
        name, colon, value = text.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise _Malformed(
                f"the {block} block has a line that is not 'Name: value': {_shown(line)}"
            )
        headers.append((name.decode("ascii").lower(), _text(value.strip(b" \t"))))
    raise _Malformed(f"the {block} block has more than {MAX_HEADER_LINES} lines")


def _framing(headers: tuple[tuple[str, str], ...]) -> str | int | None:
    """How the body ends (RFC 9112 §6.3): ``"chunked"``, its length, or ``None`` (at the
    close of the connection)."""
    codings = [
        coding.strip().lower()
        for name, value in headers
        if name == "transfer-encoding"
        for coding in value.split(",")
        if coding.strip()
    ]
    if codings:
        if codings != ["chunked"]:
            raise _Malformed(f"unsupported Transfer-Encoding {', '.join(codings)}")
        return "chunked"
    lengths = {value.strip() for name, value in headers if name == "content-length"}
    if not lengths:
        return None
    if len(lengths) > 1:
        raise _Malformed(f"conflicting Content-Length headers ({', '.join(sorted(lengths))})")
    (length,) = lengths
    if not (length.isascii() and length.isdigit() and len(length) <= 18):
        raise _Malformed(f"Content-Length {length!r} is not a number")
    return int(length)


def _body(reader: _Reader, framing: str | int | None, limit: int) -> bytes:
    if framing is None:
        return reader.until_close(limit, "the body")
    if isinstance(framing, int):
        if framing > limit:
            raise _TooBig
        return reader.exactly(framing, "the body")
    body = b""
    while True:
        try:
            line = reader.line(MAX_CHUNK_LINE, "a chunk size line")
        except _LineTooLong:
            raise _Malformed(f"a chunk size line is over {MAX_CHUNK_LINE} bytes") from None
        found = _CHUNK_SIZE.fullmatch(line)
        if found is None:
            raise _Malformed(f"a chunk size line is not hexadecimal: {_shown(line)}")
        size = int(found.group(1), 16)
        if size == 0:
            _headers(reader, "trailer")
            return body
        if len(body) + size > limit:
            raise _TooBig
        body += reader.exactly(size, "a chunk")
        try:
            end = reader.line(2, "the end of a chunk")
        except _LineTooLong:
            end = b""
        if end not in (b"\r\n", b"\n"):
            raise _Malformed("a chunk is longer than its size says")


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((value for key, value in headers if key == name), None)


def _text(value: bytes) -> str:
    """A header value as text: ISO-8859-1, as HTTP has it (RFC 9110 §5.5)."""
    return value.decode("latin-1")


def _shown(line: bytes, limit: int = 80) -> str:
    """A line from the server, safe to show: escaped, cut at ``limit`` bytes."""
    cut = line[:limit]
    return repr(cut.decode("latin-1")) + ("…" if len(line) > limit else "")


def _show(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
