"""``check_host()``: the verdict, the term that decided, the counts and the chain, asked of a
loopback DNS server through the audit's resolver."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from smtpdoctor.mailauth.dns import DomainDNS
from smtpdoctor.mailauth.spf import Followed, SPFResult, SPFVerdict, check_host

from tests.targets.dnsserver import DNSServer

ZONE = """
corp.test.            TXT  "v=spf1 ip4:192.0.2.0/24 include:_spf.corp.test redirect=_r.corp.test"
_spf.corp.test.       TXT  "v=spf1 a:out.corp.test ~all"
out.corp.test.        A    198.51.100.7
_r.corp.test.         TXT  "v=spf1 ip6:2001:db8::/32 -all exp=why.corp.test"
why.corp.test.        TXT  "%{i} may not send for %{d} (asked as %{s})"
limit.test.           TXT  "v=spf1 a a a a a a a a a a a -all"
limit.test.           A    192.0.2.99
void.test.            TXT  "v=spf1 a:no1.void.test a:no2.void.test a:no3.void.test -all"
slow.test.            TXT  "v=spf1 include:gone-quiet.test -all"
gone-quiet.test.      TXT  "v=spf1 -all"
loop.test.            TXT  "v=spf1 include:loop2.test -all"
loop2.test.           TXT  "v=spf1 include:loop.test -all"
macro.test.           TXT  "v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all"
1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.macro.test. A 127.0.0.2
none.test.            A    192.0.2.1
"""


@pytest.fixture(scope="module")
def server() -> Iterator[DNSServer]:
    with DNSServer(ZONE, drop={"gone-quiet.test."}) as running:
        yield running


def check(server: DNSServer, ip: str, domain: str, *, timeout: float = 2.0) -> SPFResult:
    resolver = DomainDNS((server.name_server,), timeout=timeout, deadline_at=time.monotonic() + 30)
    return check_host(resolver, ip, domain, f"postmaster@{domain}", helo=domain)


def test_a_listed_address_passes_naming_the_term(server: DNSServer) -> None:
    result = check(server, "192.0.2.5", "corp.test")

    assert result.verdict is SPFVerdict.PASS
    assert result.mechanism == "ip4:192.0.2.0/24"
    assert result.mechanism_domain == "corp.test"
    assert result.lookups == 0
    assert result.record == ("v=spf1 ip4:192.0.2.0/24 include:_spf.corp.test redirect=_r.corp.test")


def test_an_include_that_passes_matches_and_is_in_the_chain(server: DNSServer) -> None:
    result = check(server, "198.51.100.7", "corp.test")

    assert result.verdict is SPFVerdict.PASS
    assert result.mechanism == "include:_spf.corp.test"
    assert "a:out.corp.test in _spf.corp.test's record" in result.explanation
    assert result.chain == (Followed("corp.test", "include:_spf.corp.test", "_spf.corp.test"),)
    assert result.lookups == 2


def test_an_include_that_softfails_does_not_match_and_the_redirect_decides(
    server: DNSServer,
) -> None:
    result = check(server, "203.0.113.1", "corp.test")

    assert result.verdict is SPFVerdict.FAIL
    assert result.mechanism == "-all"
    assert result.mechanism_domain == "_r.corp.test"
    assert [step.term for step in result.chain] == [
        "include:_spf.corp.test",
        "redirect=_r.corp.test",
    ]
    assert result.lookups == 3


def test_a_fail_carries_the_published_explanation(server: DNSServer) -> None:
    result = check(server, "203.0.113.1", "corp.test")

    assert result.published_explanation == (
        "203.0.113.1 may not send for _r.corp.test (asked as postmaster@corp.test)"
    )


def test_a_pass_carries_no_published_explanation(server: DNSServer) -> None:
    assert check(server, "2001:db8::1", "corp.test").published_explanation is None


def test_more_than_ten_lookups_is_a_permerror_naming_the_eleventh(server: DNSServer) -> None:
    result = check(server, "203.0.113.1", "limit.test")

    assert result.verdict is SPFVerdict.PERMERROR
    assert "the 11th was limit.test: a" in result.explanation
    assert result.lookups == 11


def test_more_than_two_void_lookups_is_a_permerror(server: DNSServer) -> None:
    result = check(server, "203.0.113.1", "void.test")

    assert result.verdict is SPFVerdict.PERMERROR
    assert result.void_lookups == 3
    assert "a:no3.void.test" in result.explanation


def test_a_dns_timeout_is_a_temperror(server: DNSServer) -> None:
    result = check(server, "203.0.113.1", "slow.test", timeout=0.5)

    assert result.verdict is SPFVerdict.TEMPERROR
    assert "gone-quiet.test" in result.explanation


def test_an_include_loop_ends_in_a_permerror(server: DNSServer) -> None:
    result = check(server, "203.0.113.1", "loop.test")

    assert result.verdict is SPFVerdict.PERMERROR
    assert result.lookups == 11


def test_ipv6_macros_expand_to_nibbles(server: DNSServer) -> None:
    result = check(server, "2001:db8::cb01", "macro.test")

    assert result.verdict is SPFVerdict.PASS
    assert result.mechanism == "exists:%{ir}.%{v}._spf.%{d2}"


def test_an_ipv4_mapped_address_is_checked_as_ipv4(server: DNSServer) -> None:
    result = check(server, "::ffff:192.0.2.5", "corp.test")

    assert result.verdict is SPFVerdict.PASS
    assert result.mechanism == "ip4:192.0.2.0/24"


def test_a_domain_without_a_record_is_none(server: DNSServer) -> None:
    result = check(server, "192.0.2.1", "none.test")

    assert result.verdict is SPFVerdict.NONE
    assert "none.test" in result.explanation


@pytest.mark.parametrize("domain", ["localhost", "a..corp.test", "x" * 64 + ".test", "[192.0.2.1]"])
def test_a_malformed_domain_is_none_without_asking(server: DNSServer, domain: str) -> None:
    asked = len(server.questions)

    result = check(server, "192.0.2.1", domain)

    assert result.verdict is SPFVerdict.NONE
    assert "not a valid domain name" in result.explanation
    assert len(server.questions) == asked


def test_a_bad_ip_address_is_a_value_error(server: DNSServer) -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        check(server, "mail.corp.test", "corp.test")
