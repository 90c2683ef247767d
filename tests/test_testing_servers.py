"""The test servers of :mod:`smtpdoctor.testing` stay well-behaved when their client is not:
a client that hangs up mid-script, reads slowly, or is slow to start its TLS handshake."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time

import pytest

from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.testing import ScriptedServer, SMTPTestServer

pytestmark = pytest.mark.timeout(30)

#: More than any loopback socket buffer holds: the server must wait for the reader.
BIG = 32 * 1024 * 1024


@pytest.fixture
def thread_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException | None]:
    """The exceptions that escaped a thread during the test."""
    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    return errors


def test_a_scripted_server_whose_client_reset_the_connection_ends_quietly(
    thread_errors: list[BaseException | None],
) -> None:
    script: list[object] = [b"220 hi\r\n", "recv", ("sleep", 0.3), b"250 late\r\n", b"250 x\r\n"]
    with ScriptedServer(script) as server:
        client = socket.create_connection(server.address, timeout=5)
        assert client.recv(100) == b"220 hi\r\n"
        client.sendall(b"EHLO me\r\n")
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # a reset: the server's next sends fail
        time.sleep(0.6)  # let the script run into the reset before the server stops

    assert server.received == [b"EHLO me\r\n"]
    assert thread_errors == []


def test_a_scripted_server_sends_a_big_step_whole_to_a_slow_reader(
    thread_errors: list[BaseException | None],
) -> None:
    with ScriptedServer([b"x" * BIG]) as server:
        client = socket.create_connection(server.address, timeout=5)
        time.sleep(0.5)  # not reading yet: the server's send has to wait
        received = 0
        while received < BIG and (chunk := client.recv(1 << 20)):
            received += len(chunk)
        client.close()

    assert received == BIG
    assert thread_errors == []


def test_the_smtp_test_server_waits_for_a_client_slow_to_start_tls(
    smtpdoctor_pki: ThrowawayPKI,
) -> None:
    context = ssl.create_default_context(cadata=smtpdoctor_pki.ca_pem)
    with SMTPTestServer(tls="implicit", pki=smtpdoctor_pki) as server:
        raw = socket.create_connection(server.address, timeout=5)
        time.sleep(0.5)  # a client busy loading its trust store, on a busy machine
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as client:
            assert client.recv(100).startswith(b"220 ")
            client.sendall(b"QUIT\r\n")
            assert client.recv(100).startswith(b"221 ")
