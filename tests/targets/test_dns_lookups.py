"""DNS look-ups: records in the order to try them, and every way DNS fails told apart in words.

All questions go to a real DNS server on 127.0.0.1 (``dnsserver.DNSServer``)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from smtpdoctor.delivery.imap import DeliveryError, TLSOptions, find_message
from smtpdoctor.discovery.domain import DomainRecords
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.net.resolver import DNSClient, DNSFailure, MXRecord, SRVRecord
from smtpdoctor.net.session import resolver_for
from smtpdoctor.net.transport import ResolutionError
from smtpdoctor.settings.config import NameServer, RunConfig
from smtpdoctor.settings.sending import IMAPSettings

from tests.loopback import closed_port
from tests.targets.dnsserver import DNSServer

ZONE = """
example.test.                   MX    20 backup.example.test.
example.test.                   MX    10 mx.example.test.
mx.example.test.                A     192.0.2.25
dual.example.test.              A     127.0.0.1
dual.example.test.              A     127.0.0.2
dual.example.test.              AAAA  ::1
_submission._tcp.example.test.  SRV   10 5 587 low.example.test.
_submission._tcp.example.test.  SRV   0 1 2525 first.example.test.
_submission._tcp.example.test.  SRV   0 9 587 heavier.example.test.
_submissions._tcp.example.test. SRV   0 0 0 .
"""
GENEROUS = 10.0


@pytest.fixture
def dns_server() -> Iterator[DNSServer]:
    with DNSServer(ZONE, drop={"slow.example.test"}, servfail={"broken.example.test"}) as server:
        yield server


def client_for(server: DNSServer, *, timeout: float = GENEROUS) -> DNSClient:
    return DNSClient([server.name_server], timeout=timeout)


def soon() -> float:
    return time.monotonic() + GENEROUS


def test_mx_records_come_lowest_preference_first(dns_server: DNSServer) -> None:
    lookup = client_for(dns_server).mx("example.test", deadline_at=soon())

    assert lookup.records == (
        MXRecord(10, "mx.example.test"),
        MXRecord(20, "backup.example.test"),
    )
    assert lookup.describe() == "MX example.test: 10 mx.example.test, 20 backup.example.test"


def test_srv_records_come_by_priority_then_heaviest_weight(dns_server: DNSServer) -> None:
    lookup = client_for(dns_server).srv("_submission._tcp.example.test", deadline_at=soon())

    assert [record.target for record in lookup.records] == [
        "heavier.example.test",
        "first.example.test",
        "low.example.test",
    ]
    assert lookup.records[1] == SRVRecord(0, 1, 2525, "first.example.test")


def test_an_srv_target_of_a_dot_means_the_service_is_not_offered(dns_server: DNSServer) -> None:
    lookup = client_for(dns_server).srv("_submissions._tcp.example.test", deadline_at=soon())

    assert lookup.found
    assert [record.not_offered for record in lookup.records] == [True]


def test_addresses_interleave_ipv6_and_ipv4(dns_server: DNSServer) -> None:
    lookup = client_for(dns_server).addresses("dual.example.test", deadline_at=soon())

    assert lookup.records[0] == "::1"  # IPv6 first, then IPv4 (RFC 8305)
    assert sorted(lookup.records[1:]) == ["127.0.0.1", "127.0.0.2"]
    assert ("dual.example.test.", "A") in dns_server.questions
    assert ("dual.example.test.", "AAAA") in dns_server.questions


def test_a_name_that_does_not_exist_is_nxdomain(dns_server: DNSServer) -> None:
    lookup = client_for(dns_server).mx("nowhere.example.test", deadline_at=soon())

    assert lookup.failure is DNSFailure.NXDOMAIN
    assert lookup.describe() == "MX nowhere.example.test: no such name (NXDOMAIN)"


def test_a_name_without_such_records_is_no_answer_not_nxdomain(dns_server: DNSServer) -> None:
    client = client_for(dns_server)

    mx = client.mx("mx.example.test", deadline_at=soon())
    addresses = client.addresses("example.test", deadline_at=soon())

    assert mx.failure is DNSFailure.NO_ANSWER
    assert mx.explanation == "the name exists but has no MX records"
    assert addresses.failure is DNSFailure.NO_ANSWER
    assert addresses.explanation == "the name exists but has no address (no A or AAAA records)"


@pytest.mark.timeout(GENEROUS)
def test_a_dropped_query_times_out_and_says_whom_it_asked(dns_server: DNSServer) -> None:
    lookup = client_for(dns_server, timeout=0.3).mx("slow.example.test", deadline_at=soon())

    assert lookup.failure is DNSFailure.TIMEOUT
    assert lookup.explanation == f"no answer from 127.0.0.1:{dns_server.port} within 0.3 s"


def test_servfail_is_the_dns_server_failing(dns_server: DNSServer) -> None:
    lookup = client_for(dns_server).mx("broken.example.test", deadline_at=soon())

    assert lookup.failure is DNSFailure.SERVFAIL
    assert lookup.explanation == f"127.0.0.1:{dns_server.port} could not answer (SERVFAIL)"


def test_an_invalid_name_is_refused_without_asking(dns_server: DNSServer) -> None:
    lookup = client_for(dns_server).mx("a..b.test", deadline_at=soon())

    assert lookup.failure is DNSFailure.INVALID
    assert dns_server.questions == []


def test_nothing_is_asked_once_the_deadline_has_passed(dns_server: DNSServer) -> None:
    lookup = client_for(dns_server).mx("example.test", deadline_at=time.monotonic() - 1)

    assert lookup.failure is DNSFailure.TIMEOUT
    assert lookup.explanation == "not asked: the run ran out of time"
    assert dns_server.questions == []


def test_an_unreachable_dns_server_is_a_timeout_in_words() -> None:
    with DNSServer("") as server:
        port = server.port  # released when the server stops: nothing answers there then
    client = DNSClient([NameServer("127.0.0.1", port)], timeout=0.3)

    lookup = client.mx("example.test", deadline_at=soon())

    assert lookup.failure is DNSFailure.TIMEOUT
    assert f"127.0.0.1:{port}" in lookup.explanation


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("nowhere.example.test", "nxdomain"),
        ("example.test", "no-address"),
        ("slow.example.test", "timeout"),
        ("broken.example.test", "temporary"),
    ],
)
@pytest.mark.timeout(GENEROUS)
def test_connect_resolution_fails_with_the_kinds_the_tcp_check_knows(
    dns_server: DNSServer, name: str, kind: str
) -> None:
    client = client_for(dns_server, timeout=0.3)

    with pytest.raises(ResolutionError) as failure:
        client.resolve_for_connect(name, 587, deadline_at=soon())

    assert failure.value.kind == kind
    assert str(failure.value).startswith(f"{name}: ")


def test_connect_resolution_returns_socket_addresses(dns_server: DNSServer) -> None:
    addresses = client_for(dns_server).resolve_for_connect(
        "dual.example.test", 25, deadline_at=soon()
    )

    assert addresses[0] == (socket.AF_INET6, ("::1", 25))
    assert sorted(addresses[1:]) == [
        (socket.AF_INET, ("127.0.0.1", 25)),
        (socket.AF_INET, ("127.0.0.2", 25)),
    ]


def test_an_ip_address_is_not_looked_up(dns_server: DNSServer) -> None:
    addresses = client_for(dns_server).resolve_for_connect("::1", 465, deadline_at=soon())

    assert addresses == [(socket.AF_INET6, ("::1", 465))]
    assert dns_server.questions == []


@pytest.mark.timeout(GENEROUS)
def test_a_domain_is_asked_everything_at_once() -> None:
    # The server answers nothing until all nine questions have arrived: asked one after the
    # other, the first would time out and every look-up would fail.
    with DNSServer(ZONE, hold_until=9) as server:
        records = DomainRecords.look_up(
            "example.test", client_for(server, timeout=5.0), deadline_at=soon()
        )

    assert len(server.questions) == 9
    assert records.mx_hosts == ("mx.example.test", "backup.example.test")
    assert [lookup.found for lookup in records.srv] == [True, True]
    assert records.describe()[0] == (
        "A/AAAA example.test: the name exists but has no address (no A or AAAA records)"
    )


def test_the_imap_host_of_a_delivery_check_is_looked_up_with_the_runs_dns_server() -> None:
    """--dns-server answers for every name a run connects to: the IMAP host too."""
    port = closed_port()
    with DNSServer("imap.corp.test. A 127.0.0.1\n") as dns:
        config = RunConfig(host="smtp.corp.test", dns_servers=(dns.name_server,), timeout=2.0)
        settings = IMAPSettings("imap.corp.test", port, Credentials("alice", Secret("pw")))
        resolver = resolver_for(config)
        assert resolver is not None

        with pytest.raises(DeliveryError) as raised:
            find_message(
                settings,
                token="smtpdoctor-0123456789ab",
                accepted_at=time.monotonic(),
                tls=TLSOptions(),
                step_timeout=2.0,
                resolver=resolver,
            )

        asked = dns.questions

    assert ("imap.corp.test.", "A") in asked
    assert raised.value.finding == "delivery.imap-unreachable"  # found 127.0.0.1, refused
    assert f"imap.corp.test port {port} (connection refused)" in str(raised.value)
