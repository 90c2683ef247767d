"""The transport: resolving, connecting Happy-Eyeballs style, and every blocking step
bounded by its deadline, against real sockets on loopback.

DNS is never asked: where a name must be resolved, a fake ``getaddrinfo`` answers.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, Protocol

import pytest

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import make_pki
from smtpdoctor.net.transport import (
    ConnectAttempt,
    ConnectError,
    ConnectionClosed,
    ResolutionError,
    StepTimeout,
    TLSError,
    Transport,
    _connect_error,
    client_context,
    resolve,
)

from tests.loopback import closed_port

#: Generous slack for hang guards: a step must end near its deadline, not "eventually".
HANG_MARGIN = 2.0

SockAddr = tuple[str, int] | tuple[str, int, int, int]
AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, SockAddr]


class Scripted(Protocol):
    @property
    def address(self) -> tuple[str, int]: ...


StartScripted = Callable[[list[Any]], Scripted]
MakeServer = Callable[..., LocalSMTPServer]


def soon(seconds: float = 5.0) -> float:
    """A deadline ``seconds`` from now."""
    return time.monotonic() + seconds


def v4(host: str, port: int) -> AddrInfo:
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))


def v6(host: str, port: int) -> AddrInfo:
    return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port, 0, 0))


def fake_resolver(name: str, answers: list[AddrInfo]) -> Any:
    """A stand-in for ``socket.getaddrinfo`` that knows only ``name``."""

    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> list[AddrInfo]:
        assert host == name, f"unexpected look-up of {host!r}"
        return answers

    return getaddrinfo


def failing_resolver(code: int, message: str) -> Any:
    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> NoReturn:
        raise socket.gaierror(code, message)

    return getaddrinfo


def ipv6_loopback_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@contextlib.contextmanager
def unanswered_listener(family: socket.AddressFamily, host: str, port: int = 0) -> Iterator[int]:
    """A listening port whose SYNs go unanswered: ``listen(0)``, never accepting, and the
    accept queue filled beforehand, so the kernel drops further connection attempts.
    Skips the test where the network stack answers anyway."""
    listener = socket.socket(family, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind((host, port))
        listener.listen(0)
        bound: int = listener.getsockname()[1]
        fillers.append(socket.create_connection((host, bound), timeout=2.0))
        for _ in range(2):
            filler = socket.socket(family, socket.SOCK_STREAM)
            fillers.append(filler)
            filler.setblocking(False)
            filler.connect_ex((host, bound))
        _, answered, _ = select.select([], fillers[1:], [], 0.1)
        if answered:
            pytest.skip("this network stack answers SYNs beyond a full accept queue")
        yield bound
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# -- connecting ----------------------------------------------------------------------------


def test_connecting_to_a_closed_port_raises_refused_listing_the_attempt() -> None:
    port = closed_port()

    with pytest.raises(ConnectError) as raised:
        Transport.connect("127.0.0.1", port, deadline_at=soon())

    error = raised.value
    assert error.kind == "refused"
    assert error.attempts == (
        ConnectAttempt(
            f"127.0.0.1:{port}", "refused", "connection refused (nothing is listening on that port)"
        ),
    )
    assert f"127.0.0.1:{port}" in str(error)


def test_an_address_that_never_answers_raises_a_connect_timeout_at_the_deadline() -> None:
    with unanswered_listener(socket.AF_INET, "127.0.0.1") as port:
        deadline = soon(0.5)
        with pytest.raises(ConnectError) as raised:
            Transport.connect("127.0.0.1", port, deadline_at=deadline)
        finished = time.monotonic()

    assert raised.value.kind == "timeout"
    assert [attempt.kind for attempt in raised.value.attempts] == ["timeout"]
    assert finished < deadline + HANG_MARGIN  # hang guard, not a benchmark


def test_localhost_falls_back_to_ipv4_when_ipv6_refuses(
    scripted: StartScripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = scripted([b"220 ready\r\n"])
    port = server.address[1]
    # Resolvers list ::1 first for localhost; only 127.0.0.1 has the server.
    monkeypatch.setattr(
        socket, "getaddrinfo", fake_resolver("localhost", [v6("::1", port), v4("127.0.0.1", port)])
    )

    transport = Transport.connect("localhost", port, deadline_at=soon())
    try:
        assert transport.peer == ("127.0.0.1", port)
        assert transport.recv(deadline_at=soon(), what="the greeting") == b"220 ready\r\n"
    finally:
        transport.close()


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback here")
def test_a_silent_ipv6_address_does_not_stop_ipv4_from_connecting(
    scripted: StartScripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = scripted([b"220 ready\r\n"])
    port = server.address[1]
    with unanswered_listener(socket.AF_INET6, "::1", port):
        monkeypatch.setattr(
            socket,
            "getaddrinfo",
            fake_resolver("localhost", [v6("::1", port), v4("127.0.0.1", port)]),
        )
        # Tried one after the other, ::1 would use up the whole 3 s and the call would fail.
        transport = Transport.connect("localhost", port, deadline_at=soon(3.0))
    try:
        assert transport.peer == ("127.0.0.1", port)
    finally:
        transport.close()


def test_a_name_with_no_usable_address_raises_no_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver("mail.example.test", []))

    with pytest.raises(ResolutionError) as raised:
        Transport.connect("mail.example.test", 25, deadline_at=soon())

    assert raised.value.kind == "no-address"


# -- receiving and sending -----------------------------------------------------------------


def test_recv_on_a_silent_server_raises_step_timeout_at_the_deadline(
    scripted: StartScripted,
) -> None:
    server = scripted([])
    transport = Transport.connect(*server.address, deadline_at=soon())
    try:
        deadline = soon(0.5)
        with pytest.raises(StepTimeout, match="while waiting for the greeting"):
            transport.recv(deadline_at=deadline, what="the greeting")
        finished = time.monotonic()
    finally:
        transport.close()

    assert finished >= deadline - 0.05, "gave up before the deadline"
    assert finished < deadline + HANG_MARGIN  # hang guard, not a benchmark


def test_recv_returns_no_bytes_when_the_server_closes(scripted: StartScripted) -> None:
    server = scripted(["close"])
    transport = Transport.connect(*server.address, deadline_at=soon())
    try:
        assert transport.recv(deadline_at=soon(), what="the greeting") == b""
    finally:
        transport.close()


def test_recv_after_the_server_resets_the_connection_raises_connection_closed() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        transport = Transport.connect(*listener.getsockname()[:2], deadline_at=soon())
        try:
            accepted, _ = listener.accept()
            accepted.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            accepted.close()  # linger 0: an RST instead of a FIN
            with pytest.raises(ConnectionClosed) as raised:
                transport.recv(deadline_at=soon(), what="the greeting")
        finally:
            transport.close()

    assert raised.value.kind == "reset"


def test_steps_after_the_deadline_fail_at_once_without_touching_the_network(
    scripted: StartScripted,
) -> None:
    server = scripted([b"220 ready\r\n"])
    transport = Transport.connect(*server.address, deadline_at=soon())
    try:
        passed = time.monotonic() - 1.0
        with pytest.raises(StepTimeout, match="out of time before the greeting"):
            transport.recv(deadline_at=passed, what="the greeting")
        with pytest.raises(StepTimeout, match="out of time before sending"):
            transport.sendall(b"EHLO client.example\r\n", deadline_at=passed)
    finally:
        transport.close()


# -- TLS -----------------------------------------------------------------------------------


def test_start_tls_reports_version_cipher_and_the_servers_certificate(
    make_server: MakeServer,
) -> None:
    server = make_server(tls="implicit")
    context = client_context(verify=True, ca_file=None, ca_data=server.ca_pem)
    transport = Transport.connect(server.host, server.port, deadline_at=soon())
    try:
        details = transport.start_tls(context, server_hostname=server.host, deadline_at=soon())
        assert transport.is_tls
        assert transport.recv(deadline_at=soon(), what="the greeting").startswith(b"220 ")
    finally:
        transport.close()

    assert details.version in ("TLSv1.2", "TLSv1.3")
    assert details.cipher
    assert details.cipher_bits >= 128
    assert details.verified
    assert server.pki is not None
    assert details.peer_chain == (ssl.PEM_cert_to_DER_cert(server.pki.cert_pem),)


def test_start_tls_with_an_untrusted_certificate_raises_a_certificate_error(
    make_server: MakeServer,
) -> None:
    server = make_server(tls="implicit")
    context = client_context(verify=True, ca_file=None, ca_data=make_pki().ca_pem)
    transport = Transport.connect(server.host, server.port, deadline_at=soon())
    try:
        with pytest.raises(TLSError) as raised:
            transport.start_tls(context, server_hostname=server.host, deadline_at=soon())
    finally:
        transport.close()

    error = raised.value
    assert error.kind == "certificate"
    assert error.verify_message == "unable to get local issuer certificate"
    assert not transport.is_tls


def test_start_tls_against_a_peer_that_never_answers_raises_step_timeout_by_the_deadline(
    scripted: StartScripted,
) -> None:
    server = scripted([])  # reads our ClientHello, says nothing
    context = client_context(verify=True, ca_file=None, ca_data=None)
    transport = Transport.connect(*server.address, deadline_at=soon())
    try:
        deadline = soon(0.5)
        with pytest.raises(StepTimeout, match="the TLS handshake did not finish in time"):
            transport.start_tls(context, server_hostname="127.0.0.1", deadline_at=deadline)
        finished = time.monotonic()
    finally:
        transport.close()

    assert finished < deadline + HANG_MARGIN  # hang guard, not a benchmark


# -- resolving -----------------------------------------------------------------------------


def test_a_look_up_slower_than_the_deadline_raises_a_resolution_timeout_promptly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    released = threading.Event()

    def stuck_getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> NoReturn:
        released.wait(10.0)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", stuck_getaddrinfo)
    try:
        deadline = soon(0.5)
        with pytest.raises(ResolutionError) as raised:
            resolve("slow.example.test", 25, deadline_at=deadline)
        finished = time.monotonic()
    finally:
        released.set()  # let the abandoned look-up thread end

    assert raised.value.kind == "timeout"
    assert str(raised.value) == "looking up slow.example.test did not finish in time"
    assert finished < deadline + HANG_MARGIN  # hang guard, not a benchmark


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (socket.EAI_NONAME, "nxdomain"),
        (socket.EAI_NODATA, "no-address"),
        (socket.EAI_AGAIN, "temporary"),
        (socket.EAI_FAIL, "error"),
    ],
    ids=["EAI_NONAME", "EAI_NODATA", "EAI_AGAIN", "EAI_FAIL"],
)
def test_resolver_failures_are_told_apart(
    code: int, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", failing_resolver(code, "resolver says no"))

    with pytest.raises(ResolutionError) as raised:
        resolve("mail.example.test", 25, deadline_at=soon())

    assert raised.value.kind == kind
    assert "mail.example.test" in str(raised.value)


def test_resolved_addresses_alternate_families_starting_with_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = [
        v6("2001:db8::1", 25),
        v6("2001:db8::2", 25),
        v6("2001:db8::1", 25),  # resolvers repeat themselves; asked once is enough
        v4("192.0.2.1", 25),
        v4("192.0.2.2", 25),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver("mail.example.test", answers))

    addresses = resolve("mail.example.test", 25, deadline_at=soon())

    assert [address for _, address in addresses] == [
        ("2001:db8::1", 25),
        ("192.0.2.1", 25),
        ("2001:db8::2", 25),
        ("192.0.2.2", 25),
    ]


@pytest.mark.parametrize("literal", ["127.0.0.1", "::1"])
def test_an_address_literal_is_resolved_without_a_lookup_thread(
    literal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_threads(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("an address literal needs no resolver thread")

    monkeypatch.setattr(threading, "Thread", no_threads)

    addresses = resolve(literal, 25, deadline_at=soon())

    assert [address for _, address in addresses] == [(literal, 25)]


@pytest.mark.parametrize("name", ["192.0.2.1%x", "192.0.2.1%"])
def test_an_ipv4_address_with_a_scope_is_a_name_looked_up_under_the_deadline(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only IPv6 has scopes: for getaddrinfo ``192.0.2.1%x`` is a name to ask DNS about, so
    the look-up must run in the thread the deadline can walk away from."""
    released = threading.Event()

    def stuck_getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> NoReturn:
        released.wait(10.0)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", stuck_getaddrinfo)
    try:
        with pytest.raises(ResolutionError) as raised:
            resolve(name, 25, deadline_at=soon(0.2))
    finally:
        released.set()

    assert raised.value.kind == "timeout"


def test_an_ipv6_address_with_a_scope_is_a_literal(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_threads(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("an address literal needs no resolver thread")

    monkeypatch.setattr(threading, "Thread", no_threads)
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver("fe80::1%1", [v6("fe80::1", 25)]))

    assert [address for _, address in resolve("fe80::1%1", 25, deadline_at=soon())] == [
        ("fe80::1", 25)
    ]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_malformed_name_raises_a_resolution_error_that_is_not_a_timeout() -> None:
    # getaddrinfo refuses the empty label while IDNA-encoding it: no DNS query is made.
    with pytest.raises(ResolutionError) as raised:
        resolve("smtp..example.com", 25, deadline_at=soon())

    assert raised.value.kind != "timeout"
    assert "smtp..example.com" in str(raised.value)


@pytest.mark.parametrize(
    ("kinds", "summary"),
    [
        (["no-network", "refused"], "refused"),
        (["no-network", "timeout"], "timeout"),
        (["unreachable", "timeout"], "timeout"),
        (["no-network", "unreachable"], "unreachable"),
        (["error", "no-network"], "error"),
        (["no-network", "no-network"], "no-network"),
    ],
)
def test_addresses_that_fail_differently_are_summed_up_by_what_says_most_about_the_server(
    kinds: list[str], summary: str
) -> None:
    attempts = [ConnectAttempt(f"[2001:db8::{n}]:587", kind, kind) for n, kind in enumerate(kinds)]

    assert _connect_error(attempts).kind == summary
    assert _connect_error(list(reversed(attempts))).kind == summary
