"""The local address to connect from (``--source-address``, issue 15): every connection of a
run — the SMTP one, the port matrix's probes, the IMAP look-up — is bound to it; an address
that is not this machine's is a FAIL in words, before a byte is sent.

The servers listen on 127.0.0.1 and the client binds 127.0.0.2: on Linux every address of
127.0.0.0/8 is the loopback's.  192.0.2.1 (TEST-NET-1) is never an address of this machine."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.delivery.imap import DeliveryError, TLSOptions, find_message
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.settings.sending import IMAPSecurity, IMAPSettings

from tests.send.sendkit import USER, FakeIMAP, Folder, message_with, serving

HANG_GUARD = 60
NOT_OURS = "192.0.2.1"

pytestmark = pytest.mark.timeout(HANG_GUARD)


def loopback_alias_works() -> bool:
    """Whether a socket can be bound to 127.0.0.2 (all of 127.0.0.0/8 is local on Linux)."""
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 0))
    except OSError:
        return False
    return True


needs_loopback_alias = pytest.mark.skipif(
    not loopback_alias_works(), reason="127.0.0.2 is not an address of this machine"
)


class PeerRecorder:
    """A server on 127.0.0.1 that records the address of every client that connects, refuses
    it with a ``554`` greeting and hangs up (a run then ends after the ``greeting`` row)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = int(self._listener.getsockname()[1])
        self.peers: list[str] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, after taking every connection already made (none is missed); a
        second call does nothing."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join()
        self._listener.setblocking(False)
        while True:
            try:
                conn, peer = self._listener.accept()
            except BlockingIOError:
                break
            self._answer(conn, peer)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if select.select([self._listener], [], [], 0.05)[0]:
                self._answer(*self._listener.accept())

    def _answer(self, conn: socket.socket, peer: Any) -> None:
        self.peers.append(peer[0])
        with conn:
            conn.sendall(b"554 recorder.test no service here\r\n")


@pytest.fixture
def recorder() -> Iterator[PeerRecorder]:
    server = PeerRecorder()
    server.start()
    yield server
    server.stop()


def check_rows(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, dict[str, Any]]:
    """Run ``smtpdoctor check ARGUMENTS`` as JSON: the exit code and the rows by id."""
    code = main(["check", *arguments, "--tls", "none", "--timeout", "5", "-f", "json"])
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)["checks"]}
    return code, rows


@needs_loopback_alias
def test_the_server_sees_the_source_address_and_the_tcp_row_names_it(
    recorder: PeerRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    _, rows = check_rows(capsys, f"127.0.0.1:{recorder.port}", "--source-address", "127.0.0.2")
    recorder.stop()

    assert recorder.peers == ["127.0.0.2"]
    tcp = rows["tcp"]
    assert tcp["status"] == "pass"
    assert tcp["summary"].startswith(
        f"connected to 127.0.0.1 (IPv4) port {recorder.port} from 127.0.0.2 in "
    )
    assert tcp["details"]["source_address"] == "127.0.0.2"


def test_without_a_source_address_the_tcp_row_names_none(
    recorder: PeerRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    _, rows = check_rows(capsys, f"127.0.0.1:{recorder.port}")

    assert " from " not in rows["tcp"]["summary"]
    assert "source_address" not in rows["tcp"]["details"]


@needs_loopback_alias
def test_the_port_matrix_probes_from_the_source_address_too(
    recorder: PeerRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    check_rows(
        capsys,
        "127.0.0.1",
        "--probe-port",
        f"{recorder.port}/starttls",
        "--source-address",
        "127.0.0.2",
    )
    recorder.stop()

    assert recorder.peers
    assert set(recorder.peers) == {"127.0.0.2"}


def test_an_address_that_is_not_this_machines_is_a_fail_in_words_and_nothing_is_sent(
    recorder: PeerRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows = check_rows(capsys, f"127.0.0.1:{recorder.port}", "--source-address", NOT_OURS)
    recorder.stop()

    assert code == 2
    assert recorder.peers == []
    tcp = rows["tcp"]
    assert tcp["status"] == "fail"
    assert tcp["finding"] == "tcp.source-address-unavailable"
    assert f"{NOT_OURS} is not an address of this machine: see `ip -br addr`" in tcp["summary"]
    assert [hint["title"] for hint in tcp["hints"]] == [
        "The source address is not one of this machine's"
    ]


def test_with_an_address_that_is_not_this_machines_the_port_matrix_is_skipped_in_words(
    recorder: PeerRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows = check_rows(
        capsys,
        "127.0.0.1",
        "--probe-port",
        f"{recorder.port}/starttls",
        "--source-address",
        NOT_OURS,
    )
    recorder.stop()

    assert code == 2
    assert recorder.peers == []
    ports = rows["ports"]
    assert ports["status"] == "skip"
    assert ports["finding"] == "ports.no-network"
    assert ports["summary"] == (
        "not probed: no connection to 127.0.0.1 left this machine (the tcp row says why)"
    )
    assert rows["tcp"]["finding"] == "tcp.source-address-unavailable"


def test_an_ipv6_source_address_for_an_ipv4_only_server_is_a_fail_in_words(
    recorder: PeerRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows = check_rows(capsys, f"127.0.0.1:{recorder.port}", "--source-address", "::1")
    recorder.stop()

    assert code == 2
    assert recorder.peers == []
    tcp = rows["tcp"]
    assert tcp["finding"] == "tcp.no-address-in-family"
    assert tcp["summary"] == (
        "127.0.0.1 has no IPv6 address, only IPv4 (127.0.0.1), and the source address ::1 is IPv6"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["check", "127.0.0.1:587"],
        ["send", "127.0.0.1:587", "--from", "a@example.test", "--to", "b@example.test"],
        ["scan", "-"],
    ],
)
def test_a_source_address_that_is_no_ip_address_is_a_usage_error_in_every_command(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*command, "--source-address", "mail.example.test"])

    assert code == 3
    assert "--source-address 'mail.example.test' is not an IP address" in capsys.readouterr().err


def test_a_source_address_of_the_other_ip_version_than_minus_6_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["check", "127.0.0.1:587", "-6", "--source-address", "127.0.0.2"])

    assert code == 3
    assert (
        "--source-address 127.0.0.2 is an IPv4 address, but the run is limited to IPv6"
        in capsys.readouterr().err
    )


# -- the IMAP look-up of --verify-imap ------------------------------------------------------

MAILBOX_PASSWORD = "imap pass phrase"
TOKEN = "smtpdoctor-0123456789ab"


@pytest.fixture
def imap(pki: ThrowawayPKI) -> Iterator[FakeIMAP]:
    """An IMAPS server on 127.0.0.1 whose INBOX holds the test message."""
    running = serving(
        FakeIMAP(
            pki,
            implicit_tls=True,
            users={USER: MAILBOX_PASSWORD},
            folders={"INBOX": Folder(messages=[message_with(TOKEN)])},
        )
    )
    yield next(running)
    next(running, None)


def look_from(imap: FakeIMAP, pki: ThrowawayPKI, source_address: str) -> object:
    settings = IMAPSettings(
        "127.0.0.1",
        imap.port,
        Credentials(USER, Secret(MAILBOX_PASSWORD)),
        wait=5.0,
        tls=IMAPSecurity.IMPLICIT,
    )
    return find_message(
        settings,
        token=TOKEN,
        accepted_at=time.monotonic(),
        tls=TLSOptions(ca_data=pki.ca_pem),
        step_timeout=3.0,
        source_address=source_address,
    )


@needs_loopback_alias
def test_the_imap_look_up_connects_from_the_source_address(
    imap: FakeIMAP, pki: ThrowawayPKI
) -> None:
    assert look_from(imap, pki, "127.0.0.2") is not None


def test_the_imap_look_up_from_an_address_that_is_not_this_machines_fails_in_words(
    imap: FakeIMAP, pki: ThrowawayPKI
) -> None:
    with pytest.raises(DeliveryError) as failed:
        look_from(imap, pki, NOT_OURS)

    assert f"{NOT_OURS} is not an address of this machine: see `ip -br addr`" in str(failed.value)
    assert failed.value.finding == "delivery.imap-unreachable"
