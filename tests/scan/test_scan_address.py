"""The address a scan counts a target under (its politeness key, ``address`` in the JSON
lines) is the one the check will connect to: asked of the same resolver (``--dns-server``)
and of the IP version the run is limited to (``-4``/``-6``, ``--source-address``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtpdoctor.scan import resolve_address
from smtpdoctor.settings.config import RunConfig

from tests.targets.dnsserver import DNSServer

ZONE = """
both.test.    A    127.0.0.1
both.test.    AAAA ::1
v4only.test.  A    127.0.0.1
"""


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DNSServer]:
    with DNSServer(ZONE) as server:
        yield server


def config(
    host: str,
    dns_server: DNSServer,
    *,
    family: int | None = None,
    source_address: str | None = None,
) -> RunConfig:
    return RunConfig(
        host=host,
        port=25,
        dns_servers=(dns_server.name_server,),
        family=family,
        source_address=source_address,
    )


def test_the_address_is_asked_of_the_dns_server_the_check_asks(dns_server: DNSServer) -> None:
    assert resolve_address(config("v4only.test", dns_server)) == "127.0.0.1"
    assert ("v4only.test.", "A") in dns_server.questions


def test_minus_6_counts_a_target_under_its_ipv6_address(dns_server: DNSServer) -> None:
    assert resolve_address(config("both.test", dns_server, family=6)) == "::1"


def test_minus_4_counts_a_target_under_its_ipv4_address(dns_server: DNSServer) -> None:
    assert resolve_address(config("both.test", dns_server, family=4)) == "127.0.0.1"


def test_a_source_address_limits_the_choice_to_its_ip_version(dns_server: DNSServer) -> None:
    assert resolve_address(config("both.test", dns_server, source_address="::1")) == "::1"


def test_a_name_without_an_address_of_the_version_asked_for_has_none(
    dns_server: DNSServer,
) -> None:
    assert resolve_address(config("v4only.test", dns_server, family=6)) is None


def test_a_name_that_does_not_exist_has_none(dns_server: DNSServer) -> None:
    assert resolve_address(config("missing.test", dns_server)) is None
