"""The only module that touches sockets: resolve, connect, send, receive, upgrade to TLS.

Every blocking operation takes an absolute deadline (a :func:`time.monotonic` value) and never
waits past it.  Failures are raised as :class:`TransportError` subclasses that say, in a
machine-readable ``kind`` and in words, what happened: the checks turn them into diagnoses.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import re
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Protocol

from smtpdoctor.settings.proxy import ProxySpec

#: How long to wait for one address before also trying the next (RFC 8305 suggests 250 ms).
HAPPY_EYEBALLS_DELAY: Final = 0.25
#: Seconds after its start an attempt of the other IP version may still answer once one
#: version connected: enough for a slow path, short of what a dropped one would cost.
OTHER_FAMILY_SETTLE: Final = 1.0
RECV_CHUNK: Final = 4096


class TransportError(Exception):
    """A network-level failure.  ``kind`` is a short stable identifier for matching."""

    kind: str = "error"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class ResolutionError(TransportError):
    """The host name did not resolve: ``nxdomain``, ``no-address``, ``temporary``,
    ``timeout``, ``invalid`` (not a valid name at all) or ``error``; or it has addresses, but
    none of the one family the run was limited to (``no-address-in-family``)."""


@dataclass(frozen=True, slots=True)
class ConnectAttempt:
    """One address tried while connecting, and how it went (``kind`` as in ConnectError)."""

    address: str
    kind: str
    detail: str
    seconds: float = field(default=0.0, compare=False)
    """How long the attempt took before it failed."""

    @property
    def family(self) -> int:
        """The IP version of the address tried: 4 or 6."""
        return 6 if self.address.startswith("[") else 4


class ConnectError(TransportError):
    """No address accepted the connection.  ``kind`` summarises all attempts: ``refused``,
    ``timeout``, ``unreachable`` (a router says no route to the host), ``no-network`` (this
    machine has no route to that network), ``source-address-unavailable`` (the source address
    asked for is not one of this machine's) or ``error``; ``attempts`` has each one.

    Through a proxy: ``proxy-unreachable`` (the proxy itself cannot be reached),
    ``proxy-auth``, ``proxy-refused``, ``proxy-destination-unreachable``, ``proxy-timeout``
    or ``proxy-error`` (:class:`smtpdoctor.net.proxy.ProxyFailure` says what each means)."""

    def __init__(self, message: str, *, kind: str, attempts: tuple[ConnectAttempt, ...]) -> None:
        super().__init__(message, kind=kind)
        self.attempts = attempts


class StepTimeout(TransportError):
    """A step took longer than its timeout (or the run's deadline passed).

    ``received`` counts the bytes of the awaited reply that did arrive in time: 0 for a
    silent server, more for one that drips its reply or stops in the middle of it.
    """

    kind = "timeout"

    def __init__(self, message: str, *, received: int = 0) -> None:
        super().__init__(message)
        self.received = received


class ConnectionClosed(TransportError):
    """The server closed (``closed``) or reset (``reset``) the connection.  ``alert`` is the
    TLS alert that ended an encrypted connection, when one did (``certificate_required``)."""

    kind = "closed"
    alert: str | None = None


class TLSError(TransportError):
    """TLS could not be set up.  ``kind`` is ``certificate`` (verification refused the
    server's certificate), ``config`` (our CA certificates could not be loaded) or
    ``handshake`` (anything else); ``reason`` is OpenSSL's short reason such as
    ``WRONG_VERSION_NUMBER`` when there is one (``EOF`` and ``CONNECTION`` when the server
    closed or reset the connection mid-handshake).

    For a failed handshake: ``alert`` is the TLS alert the server sent, named as in RFC 8446
    (``handshake_failure``); ``after_server_certificate`` says whether the server had sent
    its certificate before it refused; ``offered`` is the range of protocol versions this
    client offered (``("TLSv1.2", "TLSv1.3")``).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        reason: str | None = None,
        verify_code: int | None = None,
        verify_message: str | None = None,
        alert: str | None = None,
        after_server_certificate: bool = False,
        offered: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(message, kind=kind)
        self.reason = reason
        self.verify_code = verify_code
        self.verify_message = verify_message
        self.alert = alert
        self.after_server_certificate = after_server_certificate
        self.offered = offered


#: OpenSSL's reason for a fatal alert received from the peer: ``SSLV3_ALERT_…``,
#: ``TLSV1_ALERT_…``, ``TLSV13_ALERT_…`` followed by the alert's name.
_ALERT_REASON: Final = re.compile(r"(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z0-9_]+)")

#: What a server means by each alert it sends during a handshake, in words.
ALERT_MEANINGS: Final[Mapping[str, str]] = {
    "handshake_failure": "no protocol version or cipher in common",
    "insufficient_security": "it requires stronger ciphers than this client offered",
    "protocol_version": "no TLS version in common",
    "certificate_required": "it requires a client certificate, which smtpdoctor does not present",
    "bad_certificate": "it wants a client certificate it trusts",
    "unknown_ca": "it wants a client certificate from a CA it trusts",
    "internal_error": "its TLS layer failed on its own side, not because of anything this "
    "client sent",
    "access_denied": "access denied to this client",
    "decode_error": "it could not parse this client's handshake",
    "illegal_parameter": "it found a parameter of this client's handshake unacceptable",
    "unrecognized_name": "it has no certificate for the host name this client asked for",
}


def alert_of(reason: str | None) -> str | None:
    """The TLS alert named in OpenSSL's ``reason`` (``"handshake_failure"`` for
    ``SSLV3_ALERT_HANDSHAKE_FAILURE``), or None when it names none."""
    found = _ALERT_REASON.fullmatch(reason or "")
    return found.group(1).lower() if found else None


def describe_alert(alert: str) -> str:
    """``alert`` in words, as the server meant it, with its name: ``no protocol version or
    cipher in common (TLS alert handshake_failure)``."""
    meaning = ALERT_MEANINGS.get(alert, alert.replace("_", " "))
    return f"{meaning} (TLS alert {alert})"


@dataclass(frozen=True, slots=True)
class TLSDetails:
    """What the handshake negotiated and the certificate chain the server sent (DER, leaf
    first)."""

    version: str
    cipher: str
    cipher_bits: int
    peer_chain: tuple[bytes, ...]
    verified: bool


def client_context(*, verify: bool, ca_file: str | None, ca_data: str | None) -> ssl.SSLContext:
    """A client TLS context.

    Verifying: the system trust store plus the CA certificates in ``ca_file`` / ``ca_data``
    (``--ca-file`` adds to the system store, it does not replace it), with hostname checking.
    Not verifying: no trust store is loaded at all (loading the system store is the expensive
    part, ~50 ms of OpenSSL's time), hostname checking and verification off.

    Raises :class:`TLSError` with kind ``config`` when the extra CAs cannot be loaded.
    """
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context()
    if ca_file or ca_data:
        add_cas(context, ca_file=ca_file, ca_data=ca_data)
    return context


def add_cas(context: ssl.SSLContext, *, ca_file: str | None, ca_data: str | None) -> None:
    """Trust the CA certificates in ``ca_file`` and ``ca_data`` too.  Raises
    :class:`TLSError` with kind ``config`` when they cannot be loaded."""
    try:
        context.load_verify_locations(cafile=ca_file, cadata=ca_data)
    except (ssl.SSLError, OSError, ValueError) as exc:
        source = ca_file or "the CA data"
        raise TLSError(f"cannot load CA certificates from {source}: {exc}", kind="config") from None


def check_ca_file(path: str) -> None:
    """Raise :class:`TLSError` (kind ``config``) unless ``path`` holds CA certificates that
    load; cheap: nothing but that file is read."""
    add_cas(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), ca_file=path, ca_data=None)


def local_hostname() -> str:
    """This machine's host name, as the operating system knows it (no DNS lookup)."""
    return socket.gethostname()


class Resolver(Protocol):
    """Something that turns a host name into addresses to connect to, like :func:`resolve`."""

    def __call__(
        self, host: str, port: int, *, deadline_at: float
    ) -> list[tuple[int, tuple[str, int]]]: ...


def resolve(host: str, port: int, *, deadline_at: float) -> list[tuple[int, tuple[str, int]]]:
    """Resolve ``host`` to ``(family, sockaddr)`` pairs, IPv6 and IPv4 interleaved.

    ``getaddrinfo`` cannot be interrupted, so it runs in a daemon thread and we stop waiting
    at the deadline.
    """
    outcome: list[object] = []

    def lookup() -> None:
        try:
            outcome.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:  # UnicodeError: the name fails IDNA encoding
            outcome.append(exc)

    if _is_address_literal(host):  # nothing to look up and nothing to wait for: no thread
        lookup()
    else:
        worker = threading.Thread(target=lookup, name="smtpdoctor-resolve", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline_at - time.monotonic()))
    if not outcome:
        raise ResolutionError(f"looking up {host} did not finish in time", kind="timeout")
    result = outcome[0]
    if isinstance(result, socket.gaierror):
        raise _resolution_error(host, result) from None
    if isinstance(result, UnicodeError):
        raise ResolutionError(
            f"{host!r} is not a valid host name (an empty or over-long label?)", kind="invalid"
        ) from None
    if isinstance(result, OSError):
        raise ResolutionError(f"looking up {host} failed: {result}", kind="error") from None
    assert isinstance(result, list)
    pairs = [(family, (str(addr[0]), int(addr[1]))) for family, _, _, _, addr in result]
    return _interleave(list(dict.fromkeys(pairs)))


def _is_address_literal(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address (``fe80::1%eth0`` too), not a name.

    ``192.0.2.1%x`` is a name to ``getaddrinfo`` (a DNS query), so not a literal here."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolution_error(host: str, exc: socket.gaierror) -> ResolutionError:
    code = exc.args[0] if exc.args else None
    if code == socket.EAI_NONAME:
        return ResolutionError(f"the name {host} does not exist in DNS", kind="nxdomain")
    if code == getattr(socket, "EAI_NODATA", object()) or code == socket.EAI_ADDRFAMILY:
        return ResolutionError(f"{host} exists but has no address records", kind="no-address")
    if code == socket.EAI_AGAIN:
        return ResolutionError(
            f"the DNS lookup of {host} failed temporarily (no answer from the resolver)",
            kind="temporary",
        )
    return ResolutionError(f"looking up {host} failed: {exc.strerror}", kind="error")


def _interleave(pairs: list[tuple[int, tuple[str, int]]]) -> list[tuple[int, tuple[str, int]]]:
    """Alternate address families, starting with the resolver's first choice (RFC 8305)."""
    if not pairs:
        return pairs
    first = [p for p in pairs if p[0] == pairs[0][0]]
    other = [p for p in pairs if p[0] != pairs[0][0]]
    merged: list[tuple[int, tuple[str, int]]] = []
    for index in range(max(len(first), len(other))):
        merged.extend(group[index] for group in (first, other) if index < len(group))
    return merged


#: Connect errors that are this machine's: its kernel knows no route to the network, has no
#: usable source address for it, or does not speak the address family at all.
_NO_NETWORK = frozenset({errno.ENETUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT})
#: When the attempts (one per address) failed differently, the kind that tells most about the
#: server wins: one that answered (refused), then silence, a router's "no route to host", other
#: errors; "no-network" — this machine cannot use that family or network — only when it is the
#: only kind (an IPv6 address on a machine without IPv6 says nothing about the server).  A
#: source address that is not this machine's fails every attempt alike, so it comes first;
#: through a proxy, then the proxy's own failures, then what it said of the server.
_KIND_PRIORITY = (
    "source-address-unavailable",
    "proxy-unreachable",
    "proxy-auth",
    "proxy-refused",
    "proxy-destination-unreachable",
    "proxy-timeout",
    "proxy-error",
    "refused",
    "timeout",
    "unreachable",
    "error",
    "no-network",
)


def _describe_errno(code: int) -> tuple[str, str]:
    if code == errno.ECONNREFUSED:
        return "refused", "connection refused (nothing is listening on that port)"
    if code in _NO_NETWORK:
        return "no-network", f"this machine has no route there ({errno.errorcode.get(code, code)})"
    if code == errno.EHOSTUNREACH:
        return "unreachable", f"no route to the host ({errno.errorcode.get(code, code)})"
    if code == errno.ETIMEDOUT:
        return "timeout", "the connection attempt timed out"
    return "error", f"{errno.errorcode.get(code, str(code))}: {os.strerror(code)}"


class Transport:
    """A connected TCP (and possibly TLS) socket with deadline-bounded operations."""

    def __init__(
        self,
        sock: socket.socket,
        peer: tuple[str, int],
        *,
        reset: bool = False,
        dns_seconds: float = 0.0,
        failed_attempts: tuple[ConnectAttempt, ...] = (),
        proxy: ProxySpec | None = None,
        family: int | None = None,
        settled_seconds: float = 0.0,
    ) -> None:
        """A connected ``sock``; through ``proxy``, ``family`` is the IP version of the
        server's address the proxy was asked for (None when the proxy resolved the name).
        ``settled_seconds``: how long :meth:`connect` waited, once connected, on the other
        IP version's attempts."""
        self._sock: socket.socket = sock
        self._settled_seconds = settled_seconds
        self._peer = peer
        self._dns_seconds = dns_seconds
        self._failed_attempts = failed_attempts
        self._proxy = proxy
        self._family = family
        self._tls = False
        # The server accepted the connection and reset it before we could use it: the next
        # operation reports that, as it would had the reset come a moment later.
        self._reset = reset

    @classmethod
    def connect(
        cls,
        host: str,
        port: int,
        *,
        deadline_at: float,
        resolver: Resolver | None = None,
        family: int | None = None,
        source_address: str | None = None,
        proxy: ProxySpec | None = None,
        settle_other_family: bool = False,
    ) -> Transport:
        """Resolve and connect, trying addresses Happy-Eyeballs style until one answers.

        ``resolver`` replaces the system's (:func:`resolve`), e.g. to ask the DNS server given
        with ``--dns-server``; it must raise :class:`ResolutionError` as :func:`resolve` does.
        ``family`` (4 or 6) tries only the addresses of that IP version; a name without one
        raises :class:`ResolutionError` with kind ``no-address-in-family``.
        ``source_address`` (an IP address literal) is bound to every attempt's socket before
        it connects, and only the addresses of its IP version are tried (kind
        ``no-address-in-family`` again when there are none); when it is not an address of this
        machine, :class:`ConnectError` has kind ``source-address-unavailable``.

        ``proxy``: connect through it instead (:meth:`_through`); ``source_address`` then
        applies to the connection to the proxy, ``family`` to the server's addresses.

        ``settle_other_family``: once connected, give the other IP version's attempts still
        pending up to :data:`OTHER_FAMILY_SETTLE` seconds from their start to answer, and
        report them in :attr:`failed_attempts` when they fail or stay silent — for a
        diagnosis of the path; a probe that only needs a connection leaves it off.
        """
        if proxy is not None:
            return cls._through(
                proxy,
                host,
                port,
                deadline_at=deadline_at,
                resolver=resolver,
                family=family,
                source_address=source_address,
            )
        started = time.monotonic()
        addresses = (resolver or resolve)(host, port, deadline_at=deadline_at)
        # an address literal is not looked up: its (numeric) getaddrinfo is no DNS time
        dns_seconds = 0.0 if _is_address_literal(host) else time.monotonic() - started
        if not addresses:
            raise ResolutionError(f"{host} has no usable address", kind="no-address")
        if source_address is not None:
            version = ipaddress.ip_address(source_address).version
            limit = f"the source address {source_address} is IPv{version}"
            addresses = _of_family(host, addresses, version, limit=limit)
        elif family is not None:
            addresses = _of_family(host, addresses, family)
        race = _connect_first(
            addresses,
            deadline_at=deadline_at,
            source_address=source_address,
            settle=OTHER_FAMILY_SETTLE if settle_other_family else 0.0,
        )
        with contextlib.suppress(OSError):  # a reset socket may refuse options
            race.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(
            race.sock,
            race.peer,
            reset=race.reset,
            dns_seconds=dns_seconds,
            failed_attempts=race.failed,
            settled_seconds=race.settled_seconds,
        )

    @classmethod
    def _through(
        cls,
        proxy: ProxySpec,
        host: str,
        port: int,
        *,
        deadline_at: float,
        resolver: Resolver | None,
        family: int | None,
        source_address: str | None,
    ) -> Transport:
        """Connect to ``host`` through ``proxy``.

        For ``socks5h`` the name goes to the proxy, which resolves it (no look-up here; an
        address literal is sent as the address it is).
        Otherwise the name is resolved here (``resolver``, ``family``; IPv4 only for SOCKS4)
        and the proxy is asked for each address in turn, over a new connection to it each
        time, until one works or a failure says the next would fail too (anything but a
        refusal of that address or the proxy not reaching it).

        :raises ConnectError: the proxy cannot be reached (``proxy-unreachable``,
            ``source-address-unavailable``) or did not give the tunnel (``proxy-…``).
        :raises ResolutionError: the server's name did not resolve here.
        """
        from smtpdoctor.net.proxy import PER_ADDRESS_KINDS, ProxyFailure, handshake

        started = time.monotonic()
        targets: list[tuple[int | None, str]] = [(None, host)]
        dns_seconds = 0.0
        if not proxy.resolves_remotely or _is_address_literal(host):  # a literal: no look-up
            addresses = (resolver or resolve)(host, port, deadline_at=deadline_at)
            dns_seconds = 0.0 if _is_address_literal(host) else time.monotonic() - started
            if not addresses:
                raise ResolutionError(f"{host} has no usable address", kind="no-address")
            if family is not None:
                addresses = _of_family(host, addresses, family)
            if not proxy.carries_ipv6:
                limit = "a SOCKS4 proxy carries IPv4 addresses only (socks5:// carries both)"
                addresses = _of_family(host, addresses, 4, limit=limit)
            targets = [(6 if fam == socket.AF_INET6 else 4, addr) for fam, (addr, _) in addresses]
        proxy_addresses = _proxy_addresses(proxy, deadline_at, resolver, source_address)
        failed: list[ConnectAttempt] = []
        for index, (target_family, target) in enumerate(targets):
            tried = time.monotonic()
            sock = _connect_to_proxy(proxy, proxy_addresses, deadline_at, source_address, failed)
            try:
                tunnel = handshake(sock, proxy, target, port, deadline_at=deadline_at)
            except ProxyFailure as exc:
                failed.append(
                    ConnectAttempt(
                        _show((target, port)), exc.kind, str(exc), time.monotonic() - tried
                    )
                )
                last = index == len(targets) - 1
                if exc.kind not in PER_ADDRESS_KINDS or last or time.monotonic() >= deadline_at:
                    raise _proxy_error(failed) from None
                continue
            with contextlib.suppress(OSError):
                tunnel.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return cls(
                tunnel,
                (target, port),
                dns_seconds=dns_seconds,
                failed_attempts=tuple(failed),
                proxy=proxy,
                family=target_family,
            )
        raise AssertionError("unreachable: the last target returns or raises")

    @property
    def peer(self) -> tuple[str, int]:
        """The address and port actually connected to; through ``socks5h``, the server's
        name (only the proxy knows which address it reached)."""
        return self._peer

    @property
    def family(self) -> int:
        """The IP version of the connection: 4 or 6; through a proxy, that of the server's
        address asked for, and 0 when the proxy resolved the name (``socks5h``)."""
        if self._proxy is not None:
            return self._family or 0
        return 6 if self._sock.family == socket.AF_INET6 else 4

    @property
    def proxy(self) -> str | None:
        """The proxy the connection goes through (its URL without the password), or None
        for a direct connection."""
        return self._proxy.display if self._proxy is not None else None

    @property
    def resolved_by_proxy(self) -> bool:
        """Whether the proxy, not this machine, resolved the server's name (``socks5h``):
        :attr:`peer` is then the name."""
        return self._proxy is not None and self._family is None

    @property
    def dns_seconds(self) -> float:
        """Seconds :meth:`connect` spent resolving the host name (0 for an address literal)."""
        return self._dns_seconds

    @property
    def settled_seconds(self) -> float:
        """Seconds :meth:`connect` waited after the connection was made, to see whether the
        other IP version's attempts would still answer (not part of connecting)."""
        return self._settled_seconds

    @property
    def failed_attempts(self) -> tuple[ConnectAttempt, ...]:
        """The addresses :meth:`connect` tried and that failed before one answered."""
        return self._failed_attempts

    @property
    def local_address(self) -> str:
        """Our own address on this connection."""
        return str(self._sock.getsockname()[0])

    @property
    def is_tls(self) -> bool:
        """Whether the connection is encrypted."""
        return self._tls

    def sendall(self, data: bytes, *, deadline_at: float) -> None:
        """Send all of ``data`` or raise; the deadline bounds the whole send (a socket
        timeout does, since Python 3.5, and OpenSSL writes everything in one call)."""
        self._set_timeout(deadline_at, "sending")
        try:
            if self._reset:
                raise ConnectionResetError
            self._sock.sendall(data)
        except TimeoutError:
            raise StepTimeout("the server stopped accepting data (send timed out)") from None
        except ssl.SSLError as exc:
            alert = self._pending_alert()
            if alert is not None:
                raise _alert_closed(alert) from None
            raise ConnectionClosed(f"TLS error while sending: {exc.reason or exc}") from None
        except OSError as exc:
            raise _closed(exc) from None

    def recv(self, *, deadline_at: float, what: str) -> bytes:
        """Receive up to one chunk; ``b""`` means the server closed the connection.

        ``what`` names the wait for the timeout message (``"the greeting"``).
        """
        self._set_timeout(deadline_at, what)
        try:
            if self._reset:
                raise ConnectionResetError
            data = self._sock.recv(RECV_CHUNK)
        except TimeoutError:
            raise StepTimeout(f"no complete reply while waiting for {what}") from None
        except ssl.SSLError as exc:
            raise _tls_read_error(exc) from None
        except OSError as exc:
            raise _closed(exc) from None
        return data

    def start_tls(
        self, context: ssl.SSLContext, *, server_hostname: str, deadline_at: float
    ) -> TLSDetails:
        """Run the TLS handshake on this connection, bounded by ``deadline_at`` as a whole.

        A server that stalls or drips bytes mid-handshake cannot hold us past the deadline,
        because the handshake runs non-blocking under a selector.
        """
        try:
            tls_sock = context.wrap_socket(
                self._sock, server_hostname=server_hostname, do_handshake_on_connect=False
            )
        except (ssl.SSLError, ValueError) as exc:
            raise TLSError(f"could not start TLS: {exc}", kind="handshake") from None
        self._sock = tls_sock
        tls_sock.setblocking(False)
        try:
            with selectors.DefaultSelector() as selector:
                _handshake(tls_sock, selector, deadline_at)
        finally:
            tls_sock.setblocking(True)
        self._tls = True
        cipher = tls_sock.cipher() or ("unknown", "unknown", 0)
        return TLSDetails(
            version=tls_sock.version() or "unknown",
            cipher=cipher[0],
            cipher_bits=int(cipher[2] or 0),
            peer_chain=_peer_chain(tls_sock),
            verified=context.verify_mode == ssl.CERT_REQUIRED,
        )

    def _pending_alert(self) -> str | None:
        """The TLS alert the server sent before it closed, if one waits unread (read without
        waiting): a TLS 1.3 server that refuses the client's certificate sends it right after
        the handshake, and the client's first write then fails before its first read."""
        try:
            self._sock.setblocking(False)
            self._sock.recv(RECV_CHUNK)
        except ssl.SSLError as exc:
            return alert_of(exc.reason)
        except OSError:
            return None
        return None

    def close(self) -> None:
        """Close the connection; never raises."""
        with contextlib.suppress(OSError):
            self._sock.close()

    def detach(self) -> socket.socket:
        """The connected socket, handed over to a client that speaks its own protocol over it
        (imaplib); this transport must not be used afterwards."""
        return self._sock

    def _set_timeout(self, deadline_at: float, what: str) -> None:
        remaining = deadline_at - time.monotonic()
        if remaining <= 0:
            raise StepTimeout(f"out of time before {what}")
        self._sock.settimeout(remaining)


def _tls_read_error(exc: ssl.SSLError) -> ConnectionClosed:
    """A TLS error while reading; a TLS 1.3 server refuses a client certificate only now, at
    the first read after the client's half of the handshake, so its alert is named too."""
    alert = alert_of(exc.reason)
    if alert is None:
        return ConnectionClosed(f"TLS error while reading: {exc.reason or exc}")
    return _alert_closed(alert)


def _alert_closed(alert: str) -> ConnectionClosed:
    closed = ConnectionClosed(f"the server ended TLS: {describe_alert(alert)}")
    closed.alert = alert
    return closed


def _closed(exc: OSError) -> ConnectionClosed:
    if isinstance(exc, ConnectionResetError):
        return ConnectionClosed("the server reset the connection", kind="reset")
    if isinstance(exc, BrokenPipeError | ConnectionAbortedError):
        return ConnectionClosed("the server closed the connection", kind="closed")
    return ConnectionClosed(f"network error: {exc.strerror or exc}", kind="error")


def _proxy_addresses(
    proxy: ProxySpec, deadline_at: float, resolver: Resolver | None, source_address: str | None
) -> list[tuple[int, tuple[str, int]]]:
    """The proxy's addresses, resolved like the server's name (``resolver``) and, with a
    source address, of its IP version; a name that does not resolve means the proxy cannot
    be reached (:class:`ConnectError`, kind ``proxy-unreachable``)."""
    try:
        addresses = (resolver or resolve)(proxy.host, proxy.port, deadline_at=deadline_at)
        if not addresses:
            raise ResolutionError(f"{proxy.host} has no usable address", kind="no-address")
        if source_address is not None:
            version = ipaddress.ip_address(source_address).version
            limit = f"the source address {source_address} is IPv{version}"
            addresses = _of_family(proxy.host, addresses, version, limit=limit)
    except ResolutionError as exc:
        detail = f"the proxy's name does not resolve: {exc}"
        raise ConnectError(
            f"cannot reach the proxy {proxy.display}: {detail}",
            kind="proxy-unreachable",
            attempts=(
                ConnectAttempt(_show((proxy.host, proxy.port)), "proxy-unreachable", detail),
            ),
        ) from None
    return addresses


def _connect_to_proxy(
    proxy: ProxySpec,
    addresses: list[tuple[int, tuple[str, int]]],
    deadline_at: float,
    source_address: str | None,
    failed: list[ConnectAttempt],
) -> socket.socket:
    """A new TCP connection to the proxy (its addresses raced as for a server); failing,
    a :class:`ConnectError` of kind ``proxy-unreachable`` (``source-address-unavailable``
    when the source address is not this machine's) after the ``failed`` attempts so far."""
    try:
        race = _connect_first(addresses, deadline_at=deadline_at, source_address=source_address)
        sock, reset = race.sock, race.reset
    except ConnectError as exc:
        kind = exc.kind if exc.kind == "source-address-unavailable" else "proxy-unreachable"
        reasons = "; ".join(f"{a.address}: {a.detail}" for a in exc.attempts)
        attempts = (*failed, *(replace(a, kind=kind) for a in exc.attempts))
        raise ConnectError(
            f"cannot reach the proxy {proxy.display} ({reasons})", kind=kind, attempts=attempts
        ) from None
    if reset:
        sock.close()
        detail = "the proxy reset the connection as soon as it was made"
        attempts = (*failed, ConnectAttempt(_show((proxy.host, proxy.port)), "proxy-error", detail))
        raise ConnectError(f"{proxy.display}: {detail}", kind="proxy-error", attempts=attempts)
    return sock


def _proxy_error(failed: list[ConnectAttempt]) -> ConnectError:
    """The failure through the proxy, in the words of the attempt that tells most."""
    kinds = {attempt.kind for attempt in failed}
    kind = next((k for k in _KIND_PRIORITY if k in kinds), "proxy-error")
    telling = next(attempt for attempt in failed if attempt.kind == kind)
    return ConnectError(telling.detail, kind=kind, attempts=tuple(failed))


def _of_family(
    host: str,
    addresses: list[tuple[int, tuple[str, int]]],
    family: int,
    *,
    limit: str | None = None,
) -> list[tuple[int, tuple[str, int]]]:
    """The addresses of IP version ``family`` (4 or 6), or a :class:`ResolutionError` that
    names the addresses the name does have and, in ``limit``, why the run is limited to
    ``family`` (``-4``/``-6`` when not given)."""
    wanted = socket.AF_INET6 if family == 6 else socket.AF_INET
    kept = [pair for pair in addresses if pair[0] == wanted]
    if kept:
        return kept
    others = ", ".join(address for _, (address, _) in addresses)
    other = 4 if family == 6 else 6
    raise ResolutionError(
        f"{host} has no IPv{family} address, only IPv{other} ({others}), and "
        f"{limit or f'the run is limited to IPv{family}'}",
        kind="no-address-in-family",
    )


@dataclass(frozen=True, slots=True)
class _Race:
    """How :func:`_connect_first` ended."""

    sock: socket.socket
    peer: tuple[str, int]
    reset: bool
    """The server reset the connection right after accepting it."""
    failed: tuple[ConnectAttempt, ...]
    """The attempts that failed, or had no answer, before the winner (or while settling)."""
    settled_seconds: float = 0.0
    """Seconds spent after the winner connected, waiting on the other IP version."""


def _connect_first(
    addresses: list[tuple[int, tuple[str, int]]],
    *,
    deadline_at: float,
    source_address: str | None = None,
    settle: float = 0.0,
) -> _Race:
    """Start a connection to each address in turn, 250 ms apart; keep the first that succeeds.
    Each socket is bound to ``source_address`` first, when one is given.

    With ``settle`` (seconds), attempts of the other IP version that are still unanswered
    when the winner connects get until ``settle`` seconds after their own start to answer
    (never past ``deadline_at``): one that fails then is recorded with its reason, one that
    is still silent as kind ``unanswered`` — a path that drops packets, which a client
    without Happy Eyeballs would wait on until its own time-out.  One that connects is
    closed: that version works, only more slowly.
    """
    attempts: list[ConnectAttempt] = []
    pending: dict[socket.socket, tuple[str, int]] = {}
    started: dict[tuple[str, int], float] = {}
    queue = list(addresses)
    next_start = time.monotonic()
    with selectors.DefaultSelector() as selector:
        try:
            while True:
                now = time.monotonic()
                if queue and (now >= next_start or not pending):
                    family, address = queue.pop(0)
                    started[address] = now
                    sock = _start_connect(family, address, attempts, source_address)
                    if sock is not None:
                        pending[sock] = address
                        selector.register(sock, selectors.EVENT_WRITE)
                    next_start = now + HAPPY_EYEBALLS_DELAY
                    continue
                if not pending:
                    raise _connect_error(attempts)
                remaining = deadline_at - now
                if remaining <= 0:
                    attempts.extend(
                        ConnectAttempt(
                            _show(a), "timeout", "no answer before the timeout", now - started[a]
                        )
                        for a in pending.values()
                    )
                    raise _connect_error(attempts)
                wait = min(remaining, max(0.0, next_start - now)) if queue else remaining
                for key, _ in selector.select(wait):
                    ready = key.fileobj
                    assert isinstance(ready, socket.socket)
                    selector.unregister(ready)
                    address = pending.pop(ready)
                    code = ready.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code in (0, errno.ECONNRESET):  # a reset comes after the handshake
                        ready.setblocking(True)
                        others = {s: a for s, a in pending.items() if s.family != ready.family}
                        settled = _settle(others, started, selector, settle, deadline_at)
                        return _Race(
                            ready,
                            address,
                            code == errno.ECONNRESET,
                            (*attempts, *settled[0]),
                            settled[1],
                        )
                    kind, detail = _describe_errno(code)
                    took = time.monotonic() - started[address]
                    attempts.append(ConnectAttempt(_show(address), kind, detail, took))
                    ready.close()
        finally:
            for sock in pending:
                sock.close()


def _settle(
    others: dict[socket.socket, tuple[str, int]],
    started: dict[tuple[str, int], float],
    selector: selectors.BaseSelector,
    settle: float,
    deadline_at: float,
) -> tuple[tuple[ConnectAttempt, ...], float]:
    """Wait on ``others`` (attempts of the IP version that lost, still pending) until
    ``settle`` seconds after their start; the attempts that failed or stayed silent, and the
    seconds spent waiting.  Every other socket is unregistered from ``selector`` first (a
    connected one would wake it at once, for nothing); all stay open: the caller closes them."""
    if not others or settle <= 0:
        return (), 0.0
    for key in list(selector.get_map().values()):  # only the losers' answers wake us
        if key.fileobj not in others:
            selector.unregister(key.fileobj)
    began = time.monotonic()
    until = min(deadline_at, max(started[a] for a in others.values()) + settle)
    outcome: list[ConnectAttempt] = []
    waiting = dict(others)
    while waiting and (left := until - time.monotonic()) > 0:
        for key, _ in selector.select(left):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            address = waiting.pop(sock)
            selector.unregister(sock)
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code not in (0, errno.ECONNRESET):
                kind, detail = _describe_errno(code)
                took = time.monotonic() - started[address]
                outcome.append(ConnectAttempt(_show(address), kind, detail, took))
    now = time.monotonic()
    outcome.extend(
        ConnectAttempt(
            _show(address),
            "unanswered",
            f"no answer in {(now - started[address]) * 1000:.0f} ms (packets dropped?)",
            now - started[address],
        )
        for address in waiting.values()
    )
    return tuple(outcome), now - began


def _start_connect(
    family: int,
    address: tuple[str, int],
    attempts: list[ConnectAttempt],
    source_address: str | None = None,
) -> socket.socket | None:
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        attempts.append(ConnectAttempt(_show(address), "no-network", str(exc.strerror or exc)))
        return None
    if source_address is not None:
        try:
            sock.bind((source_address, 0))
        except OSError as exc:
            attempts.append(ConnectAttempt(_show(address), *_bind_failed(source_address, exc)))
            sock.close()
            return None
    sock.setblocking(False)
    code = sock.connect_ex(address)
    if code in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
        return sock
    kind, detail = _describe_errno(code)
    attempts.append(ConnectAttempt(_show(address), kind, detail))
    sock.close()
    return None


def _bind_failed(source_address: str, exc: OSError) -> tuple[str, str]:
    """The kind and words of a failure to bind a socket to ``source_address``."""
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            "source-address-unavailable",
            f"{source_address} is not an address of this machine: see `ip -br addr`",
        )
    return "error", f"cannot connect from {source_address}: {exc.strerror or exc}"


def _connect_error(attempts: list[ConnectAttempt]) -> ConnectError:
    kinds = {attempt.kind for attempt in attempts}
    kind = next((k for k in _KIND_PRIORITY if k in kinds), "error")
    described = "; ".join(f"{a.address}: {a.detail}" for a in attempts)
    return ConnectError(f"could not connect ({described})", kind=kind, attempts=tuple(attempts))


def _show(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _handshake(sock: ssl.SSLSocket, selector: selectors.BaseSelector, deadline_at: float) -> None:
    selector.register(sock, selectors.EVENT_READ)
    while True:
        try:
            sock.do_handshake()
            return
        except ssl.SSLWantReadError:
            selector.modify(sock, selectors.EVENT_READ)
        except ssl.SSLWantWriteError:
            selector.modify(sock, selectors.EVENT_WRITE)
        except ssl.SSLCertVerificationError as exc:
            raise TLSError(
                f"the server's certificate was refused: {exc.verify_message}",
                kind="certificate",
                reason=exc.reason,
                verify_code=exc.verify_code,
                verify_message=exc.verify_message,
            ) from None
        except ssl.SSLError as exc:
            raise _handshake_error(sock, exc) from None
        except OSError as exc:
            raise TLSError(
                _broke_during_handshake(exc),
                kind="handshake",
                reason="CONNECTION",
                offered=_offered(sock.context),
            ) from None
        remaining = deadline_at - time.monotonic()
        if remaining <= 0 or not selector.select(remaining):
            raise StepTimeout("the TLS handshake did not finish in time")


def _handshake_error(sock: ssl.SSLSocket, exc: ssl.SSLError) -> TLSError:
    """What OpenSSL's ``exc`` means, as a :class:`TLSError` (kind ``handshake``) that names
    the server's alert in words and keeps what the checks need to tell causes apart."""
    offered = _offered(sock.context)
    if isinstance(exc, ssl.SSLEOFError):
        return TLSError(
            "the server closed the connection during the TLS handshake, without a TLS alert",
            kind="handshake",
            reason="EOF",
            offered=offered,
        )
    reason = exc.reason or "SSL_ERROR"
    alert = alert_of(reason)
    if alert is None:
        return TLSError(
            f"the TLS handshake failed (OpenSSL: {reason})",
            kind="handshake",
            reason=reason,
            offered=offered,
        )
    return TLSError(
        f"the server refused the handshake: {describe_alert(alert)}",
        kind="handshake",
        reason=reason,
        alert=alert,
        after_server_certificate=bool(_raw_chain(sock)),
        offered=offered,
    )


def _broke_during_handshake(exc: OSError) -> str:
    if isinstance(exc, ConnectionResetError):
        return "the server reset the connection during the TLS handshake, without a TLS alert"
    if isinstance(exc, BrokenPipeError | ConnectionAbortedError):
        return "the server closed the connection during the TLS handshake, without a TLS alert"
    return f"the connection broke during the TLS handshake: {exc.strerror or exc}"


#: Python's stand-ins for "whatever this OpenSSL supports", resolved to real versions.
_LOWEST: Final = ssl.TLSVersion.TLSv1_2
_HIGHEST: Final = ssl.TLSVersion.TLSv1_3 if ssl.HAS_TLSv1_3 else ssl.TLSVersion.TLSv1_2


def _offered(context: ssl.SSLContext) -> tuple[str, str]:
    """The lowest and highest protocol version ``context`` offers (``"TLSv1.2"``)."""
    low, high = context.minimum_version, context.maximum_version
    if low is ssl.TLSVersion.MINIMUM_SUPPORTED:
        low = _LOWEST
    if high is ssl.TLSVersion.MAXIMUM_SUPPORTED:
        high = _HIGHEST
    return _VERSION_NAMES.get(low, low.name), _VERSION_NAMES.get(high, high.name)


_VERSION_NAMES: Final = {
    ssl.TLSVersion.SSLv3: "SSLv3",
    ssl.TLSVersion.TLSv1: "TLSv1",
    ssl.TLSVersion.TLSv1_1: "TLSv1.1",
    ssl.TLSVersion.TLSv1_2: "TLSv1.2",
    ssl.TLSVersion.TLSv1_3: "TLSv1.3",
}


def _raw_chain(sock: ssl.SSLSocket) -> list[object]:
    """The certificates the server has sent so far (also after a failed handshake)."""
    public = getattr(sock, "get_unverified_chain", None)  # Python 3.13+
    chain = public() if public is not None else _private_chain(sock)
    return list(chain or ())


def _peer_chain(sock: ssl.SSLSocket) -> tuple[bytes, ...]:
    """The chain as the server sent it (leaf first), DER; just the leaf where unavailable."""
    chain = tuple(_to_der(cert) for cert in _raw_chain(sock))
    if chain:
        return chain
    leaf = sock.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()


def _private_chain(sock: ssl.SSLSocket) -> list[object] | None:
    sslobj = getattr(sock, "_sslobj", None)
    getter = getattr(sslobj, "get_unverified_chain", None)  # Python 3.10-3.12, private
    return list(getter() or ()) if getter is not None else None


def _to_der(cert: object) -> bytes:
    if isinstance(cert, bytes):
        return cert
    public_bytes = getattr(cert, "public_bytes", None)
    if public_bytes is None:
        raise TypeError(f"unexpected certificate object {type(cert).__name__}")
    der = public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
    assert isinstance(der, bytes)
    return der
