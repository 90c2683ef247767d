"""A name that does not resolve: this machine's DNS at fault, or the name — and one FAIL row.

Every name is asked of a DNS server on 127.0.0.1 given with ``--dns-server``; no name resolves
to anything but a documentation address that is never connected to, so nothing leaves
loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.checks.tcp import WELL_KNOWN_NAME

from tests.targets.dnsserver import DNSServer

HANG_GUARD = 60
#: A resolver that works: it knows the name that always exists.
WORKING = f"{WELL_KNOWN_NAME}. A 198.41.0.4"


@pytest.fixture
def dns_with() -> Iterator[Any]:
    """Start a loopback DNS server answering from the zone given; stopped after the test."""
    servers: list[DNSServer] = []

    def start(zone: str) -> DNSServer:
        server = DNSServer(zone)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def check(target: str, dns_server: DNSServer, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``smtpdoctor check TARGET`` through ``dns_server``; the exit code and the rows."""
    code = main(
        ["check", target, "--dns-server", dns_server.address, "--timeout", "5", "-f", "json"]
    )
    document = json.loads(capsys.readouterr().out)
    return code, {row["id"]: row for row in document["checks"]}


def failed(rows: dict[str, dict[str, Any]]) -> list[str]:
    return [row_id for row_id, row in rows.items() if row["status"] == "fail"]


@pytest.mark.timeout(HANG_GUARD)
def test_a_resolver_answering_nxdomain_for_everything_is_blamed_not_the_name(
    dns_with: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    dns_server = dns_with("")

    code, rows = check("smtp.gmail.com", dns_server, capsys)

    tcp = rows["tcp"]
    assert code == 2
    assert failed(rows) == ["tcp"]
    assert tcp["finding"] == "tcp.dns-broken"
    assert f"your DNS ({dns_server.address}) answers NXDOMAIN for everything" in tcp["summary"]
    assert "(offline, captive portal, DNS filter?)" in tcp["summary"]
    assert tcp["hints"][0]["title"] == "Your DNS resolves no names at all"
    assert any("--dns-server 1.1.1.1" in step for step in tcp["hints"][0]["steps"])
    assert (f"{WELL_KNOWN_NAME}.", "A") in dns_server.questions


@pytest.mark.timeout(HANG_GUARD)
def test_a_mistyped_provider_host_is_a_missing_name_with_the_host_suggested(
    dns_with: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    dns_server = dns_with(WORKING)

    code, rows = check("smtp.gmial.com:587", dns_server, capsys)

    tcp = rows["tcp"]
    assert code == 2
    assert failed(rows) == ["tcp"]
    assert tcp["finding"] == "tcp.dns-nxdomain"
    assert tcp["summary"].endswith("did you mean smtp.gmail.com?")
    assert tcp["details"]["suggestion"] == "smtp.gmail.com"
    assert tcp["hints"][0]["title"] == "The host name does not exist"


@pytest.mark.timeout(HANG_GUARD)
def test_a_missing_name_far_from_every_provider_host_gets_no_suggestion(
    dns_with: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    dns_server = dns_with(WORKING)

    _, rows = check("smtp.nowhere.test:587", dns_server, capsys)

    assert rows["tcp"]["finding"] == "tcp.dns-nxdomain"
    assert "did you mean" not in rows["tcp"]["summary"]
    assert "suggestion" not in rows["tcp"]["details"]


@pytest.mark.timeout(HANG_GUARD)
def test_a_domain_without_records_fails_once_and_the_port_matrix_says_it_did_not_probe(
    dns_with: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    dns_server = dns_with(WORKING)

    code, rows = check("example.test", dns_server, capsys)

    assert code == 2
    assert failed(rows) == ["tcp"]
    assert rows["tcp"]["finding"] == "tcp.dns-nxdomain"
    ports = rows["ports"]
    assert ports["status"] == "skip"
    assert ports["finding"] == "ports.not-resolved"
    assert ports["summary"] == "not probed: example.test does not resolve (the tcp row says why)"
    assert ports["hints"] == []
