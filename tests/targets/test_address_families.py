"""Both address families, reported (issue 15): the ``tcp`` row names the IP version and the
address it connected to, ``-4``/``-6`` force one, and a family that fails while the other
works is a WARN with its meaning.

Names are asked of a DNS server on 127.0.0.1 (``--dns-server``) and resolve to loopback
only: an SMTP server on 127.0.0.1 and another on ``::1``, on the same port."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from smtpdoctor.__main__ import main
from smtpdoctor.testing import SMTPTestServer

from tests.targets.dnsserver import DNSServer

HANG_GUARD = 60


def ipv6_loopback_works() -> bool:
    """Whether this machine can listen on ``::1`` (containers may have IPv6 switched off)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


pytestmark = [
    pytest.mark.timeout(HANG_GUARD),
    pytest.mark.skipif(not ipv6_loopback_works(), reason="needs IPv6 on the loopback (::1)"),
]


@pytest.fixture
def server_v4(make_smtp_server: Callable[..., SMTPTestServer]) -> SMTPTestServer:
    """An SMTP server on 127.0.0.1."""
    return make_smtp_server(tls="none")


@pytest.fixture
def server_v6(server_v4: SMTPTestServer) -> Iterator[Controller]:
    """An SMTP server on ``::1``, on the same port as :func:`server_v4`."""
    controller = Controller(Sink(), hostname="::1", port=server_v4.port)
    try:
        controller.start()
    except OSError as exc:
        pytest.skip(f"port {server_v4.port} is taken on ::1: {exc}")
    yield controller
    controller.stop()


@pytest.fixture
def dns_server() -> Iterator[DNSServer]:
    """Names on loopback: ``both.test`` (A and AAAA), ``v6only.test`` and ``v4only.test``."""
    zone = """
    both.test.    A    127.0.0.1
    both.test.    AAAA ::1
    v6only.test.  AAAA ::1
    v4only.test.  A    127.0.0.1
    """
    with DNSServer(zone) as server:
        yield server


def check(
    target: str, dns_server: DNSServer, capsys: pytest.CaptureFixture[str], *options: str
) -> tuple[int, dict[str, Any]]:
    """Run ``smtpdoctor check TARGET OPTIONS`` through ``dns_server``: the exit code and the
    ``tcp`` row."""
    code = main(
        [
            "check",
            target,
            "--dns-server",
            dns_server.address,
            "--tls",
            "none",
            "--timeout",
            "5",
            "-f",
            "json",
            *options,
        ]
    )
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)["checks"]}
    return code, rows["tcp"]


@pytest.mark.usefixtures("server_v6")
def test_a_name_with_both_families_connects_over_ipv6_first_and_says_so(
    server_v4: SMTPTestServer, dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _, tcp = check(f"both.test:{server_v4.port}", dns_server, capsys)

    assert tcp["status"] == "pass"
    assert tcp["summary"].startswith(f"connected to ::1 (IPv6) port {server_v4.port} in ")
    assert tcp["details"]["family"] == 6
    assert tcp["details"]["address"] == "::1"


@pytest.mark.usefixtures("server_v6")
@pytest.mark.parametrize(
    ("option", "address", "family"), [("-4", "127.0.0.1", 4), ("--ipv6", "::1", 6)]
)
def test_minus_4_and_minus_6_each_pick_their_family(
    option: str,
    address: str,
    family: int,
    server_v4: SMTPTestServer,
    dns_server: DNSServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, tcp = check(f"both.test:{server_v4.port}", dns_server, capsys, option)

    assert tcp["status"] == "pass"
    assert tcp["summary"].startswith(f"connected to {address} (IPv{family}) port ")
    assert tcp["details"]["family"] == family


def test_minus_4_for_a_name_with_only_ipv6_is_a_fail_in_words(
    server_v4: SMTPTestServer, dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, tcp = check(f"v6only.test:{server_v4.port}", dns_server, capsys, "-4")

    assert code == 2
    assert tcp["status"] == "fail"
    assert tcp["finding"] == "tcp.no-address-in-family"
    assert "v6only.test has no IPv4 address, only IPv6 (::1)" in tcp["summary"]
    assert [hint["title"] for hint in tcp["hints"]] == [
        "The name has no address of the IP version you asked for"
    ]


def test_minus_6_for_a_name_with_only_ipv4_is_a_fail_in_words(
    server_v4: SMTPTestServer, dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, tcp = check(f"v4only.test:{server_v4.port}", dns_server, capsys, "-6")

    assert code == 2
    assert tcp["finding"] == "tcp.no-address-in-family"
    assert "v4only.test has no IPv6 address, only IPv4 (127.0.0.1)" in tcp["summary"]


def test_ipv6_refused_while_ipv4_works_is_a_warning_naming_ipv6(
    server_v4: SMTPTestServer, dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _, tcp = check(f"both.test:{server_v4.port}", dns_server, capsys)

    assert tcp["status"] == "warn"
    assert tcp["finding"] == "tcp.family-broken"
    assert tcp["summary"].startswith(f"connected to 127.0.0.1 (IPv4) port {server_v4.port}")
    assert "IPv6 to this server failed" in tcp["summary"]
    assert (
        "while IPv4 worked: IPv6 route broken on this machine or at the server" in (tcp["summary"])
    )
    assert "clients that prefer IPv6 fall back to IPv4" in tcp["summary"]
    assert tcp["details"]["failed_family"] == 6
    assert tcp["details"]["failed_attempts"] == [
        f"[::1]:{server_v4.port}: connection refused (nothing is listening on that port)"
    ]
    assert [hint["title"] for hint in tcp["hints"]] == ["One IP version to this server is broken"]


@pytest.mark.parametrize(
    "command",
    [
        ["check", "127.0.0.1:587"],
        ["send", "127.0.0.1:587", "--from", "a@example.test", "--to", "b@example.test"],
        ["scan", "-"],
    ],
)
def test_minus_4_and_minus_6_together_are_a_usage_error_in_every_command(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*command, "-4", "-6"])

    assert code == 3
    assert "-4 (--ipv4) and -6 (--ipv6) exclude each other" in capsys.readouterr().err


#: Run inside a network namespace whose only interface is the loopback: an SMTP server on
#: 127.0.0.1 and a check of a name whose IPv6 address (RFC 3849, documentation) has no route.
IN_NAMESPACE = """
import sys
from smtpdoctor.__main__ import main
from smtpdoctor.testing import SMTPTestServer
from tests.targets.dnsserver import DNSServer

server = SMTPTestServer(tls="none")
server.start()
zone = "dual.test. A 127.0.0.1\\ndual.test. AAAA 2001:db8::1\\n"
with DNSServer(zone) as dns_server:
    code = main(["check", f"dual.test:{server.port}", "--dns-server", dns_server.address,
                 "--tls", "none", "--timeout", "5", "-f", "json"])
server.stop()
sys.exit(code)
"""


def check_in_namespace(setup: str) -> dict[str, Any]:
    """The ``tcp`` row of :data:`IN_NAMESPACE`'s check, run in a new user and network
    namespace after the shell commands ``setup`` (the loopback is up)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare (util-linux) and ip (iproute2)")
    namespace = ["unshare", "--user", "--map-root-user", "--net"]
    if subprocess.run([*namespace, "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace")
    if setup and subprocess.run([*namespace, "sh", "-c", setup], capture_output=True).returncode:
        pytest.skip(f"cannot set up the namespace's network: {setup}")
    script = f'ip link set lo up && {setup or "true"} && exec "{sys.executable}" -c "$0"'
    done = subprocess.run(
        [*namespace, "sh", "-c", script, IN_NAMESPACE],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=Path(__file__).resolve().parents[2],
    )
    rows = {row["id"]: row for row in json.loads(done.stdout)["checks"]}
    tcp: dict[str, Any] = rows["tcp"]
    assert tcp["status"] == "warn", done.stderr
    return tcp


def test_ipv6_without_a_route_on_this_machine_is_a_warning_when_ipv4_works() -> None:
    tcp = check_in_namespace("")

    assert tcp["finding"] == "tcp.family-broken"
    assert tcp["summary"].startswith("connected to 127.0.0.1 (IPv4) port ")
    assert "IPv6 to this server failed ([2001:db8::1]:" in tcp["summary"]
    assert "this machine has no route there (ENETUNREACH)" in tcp["summary"]
    assert "IPv6 route broken on this machine or at the server" in tcp["summary"]


#: An IPv6 network whose packets go nowhere: a veth pair, our end with an address in
#: 2001:db8::/64, and the server's link-layer address made up, so its SYNs are never answered.
DROPPING_IPV6 = (
    "ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up && "
    "ip -6 addr add 2001:db8::2/64 dev v0 nodad && "
    "ip -6 neigh add 2001:db8::1 lladdr 02:00:00:00:00:01 dev v0"
)


def test_ipv6_that_drops_packets_is_a_warning_that_clients_without_happy_eyeballs_hang() -> None:
    tcp = check_in_namespace(DROPPING_IPV6)

    assert tcp["finding"] == "tcp.family-broken"
    assert tcp["summary"].startswith("connected to 127.0.0.1 (IPv4) port ")
    assert "IPv6 to this server failed ([2001:db8::1]:" in tcp["summary"]
    assert "no answer in " in tcp["summary"] and "(packets dropped?)" in tcp["summary"]
    assert "clients that prefer IPv6 wait for their own connect time-out" in tcp["summary"]
    assert "unless they race both versions (Happy Eyeballs)" in tcp["summary"]
    assert tcp["details"]["failed_family"] == 6
    assert tcp["details"]["stall_seconds"] >= 1.0  # it was given a second to answer
