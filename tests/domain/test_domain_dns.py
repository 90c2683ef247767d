"""The one resolver of a domain audit (``DomainDNS``) and the query under it
(``DNSClient.query``): records as dnspython parsed them, every failure in words, the AD bit,
TCP after truncation, CNAME chains, the deadline, and TXT records joined, decoded and bounded.

Every question goes to a real DNS server on 127.0.0.1 (``tests.targets.dnsserver``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import dns.flags
import dns.rdtypes.ANY.MX
import pytest

from smtpdoctor.mailauth.dns import MAX_TXT_CHARS, DomainDNS, forward_confirmed, txt_strings
from smtpdoctor.net.resolver import Answer, DNSClient, DNSFailure

from tests.targets.dnsserver import DNSServer

ZONE = """
corp.test.            MX    10 mx.corp.test.
corp.test.            MX    20 backup.corp.test.
corp.test.            TXT   "v=spf1 ip4:192.0.2.0/24 " "include:_spf.corp.test " "-all"
corp.test.            TXT   "google-site-verification=abc"
mx.corp.test.         A     192.0.2.25
www.corp.test.        CNAME web.corp.test.
web.corp.test.        CNAME mx.corp.test.
_dmarc.corp.test.     CNAME _dmarc.reports.test.
_dmarc.reports.test.  TXT   "v=DMARC1; p=reject"
latin1.corp.test.     TXT   "caf\\233 ok"
signed.test.          TXT   "v=spf1 -all"
big.corp.test.        TXT   "v=DKIM1; k=rsa; p=#KEY#"
huge.corp.test.       TXT   "#HUGE#"
"""
KEY = "A" * 1500
HUGE = "x" * (MAX_TXT_CHARS + 100)
GENEROUS = 10.0


@pytest.fixture
def server() -> Iterator[DNSServer]:
    zone = ZONE.replace("#KEY#", KEY).replace("#HUGE#", HUGE)
    with DNSServer(
        zone,
        drop={"dropped.corp.test"},
        servfail={"broken.corp.test"},
        truncate={"corp.test"},
        authenticated={"signed.test", "nothing.signed.test"},
    ) as dns_server:
        yield dns_server


def resolver(server: DNSServer, *, timeout: float = GENEROUS, deadline: float = 30.0) -> DomainDNS:
    return DomainDNS(
        (server.name_server,), timeout=timeout, deadline_at=time.monotonic() + deadline
    )


# -- records and failures --------------------------------------------------------------------


def test_records_come_as_dnspython_parsed_them(server: DNSServer) -> None:
    answer = resolver(server).query("mx.corp.test", "A")

    assert answer.found
    assert answer.failure is None
    assert [record.to_text() for record in answer.records] == ["192.0.2.25"]
    assert answer.canonical_name == "mx.corp.test"
    assert answer.describe() == "A mx.corp.test: 192.0.2.25"


def test_a_truncated_answer_is_asked_again_over_tcp_without_the_caller_noticing(
    server: DNSServer,
) -> None:
    answer = resolver(server).query("corp.test", "MX")

    assert sorted(
        record.exchange.to_text()
        for record in answer.records
        if isinstance(record, dns.rdtypes.ANY.MX.MX)
    ) == ["backup.corp.test.", "mx.corp.test."]
    assert server.tcp_questions == [("corp.test.", "MX")]


def test_an_answer_bigger_than_the_edns_payload_size_arrives_whole_over_tcp(
    server: DNSServer,
) -> None:
    dns_ = resolver(server)

    answer, texts = dns_.txt("big.corp.test")

    assert answer.found
    assert texts == (f"v=DKIM1; k=rsa; p={KEY}",)
    assert ("big.corp.test.", "TXT") in server.tcp_questions
    assert dns_.queries == 1


def test_a_missing_name_is_nxdomain_in_words(server: DNSServer) -> None:
    answer = resolver(server).query("nothing.corp.test", "TXT")

    assert answer.failure is DNSFailure.NXDOMAIN
    assert not answer.found
    assert answer.explanation == "no such name (NXDOMAIN)"
    assert answer.describe() == "TXT nothing.corp.test: no such name (NXDOMAIN)"


def test_a_name_without_that_type_is_no_answer_in_words(server: DNSServer) -> None:
    answer = resolver(server).query("mx.corp.test", "TLSA")

    assert answer.failure is DNSFailure.NO_ANSWER
    assert answer.explanation == "the name exists but has no TLSA records"
    assert answer.records == ()


def test_a_server_failure_names_the_server_and_its_answer(server: DNSServer) -> None:
    answer = resolver(server).query("broken.corp.test", "TXT")

    assert answer.failure is DNSFailure.SERVFAIL
    assert answer.explanation == f"{server.address} could not answer (SERVFAIL)"


@pytest.mark.parametrize("name", ["a" * 64 + ".corp.test", "ex\ufffdample.corp.test"])
def test_a_name_that_is_not_a_dns_name_is_invalid_in_words(server: DNSServer, name: str) -> None:
    answer = resolver(server).query(name, "TXT")

    assert answer.failure is DNSFailure.INVALID
    assert answer.explanation.startswith("not a valid DNS name (")
    assert server.questions == []


# -- DNSSEC: the AD bit ----------------------------------------------------------------------


def test_every_question_asks_for_dnssec_with_the_do_and_ad_bits(server: DNSServer) -> None:
    resolver(server).query("mx.corp.test", "A")

    (message,) = server.messages
    assert message.ednsflags & dns.flags.DO
    assert message.flags & dns.flags.AD
    assert message.payload == 1232


def test_an_answer_the_resolver_validated_is_authenticated(server: DNSServer) -> None:
    assert resolver(server).query("signed.test", "TXT").authenticated


def test_an_answer_without_the_ad_bit_is_not_authenticated(server: DNSServer) -> None:
    answer = resolver(server).query("mx.corp.test", "A")

    assert answer.found
    assert not answer.authenticated


def test_a_denial_with_the_ad_bit_is_an_authenticated_denial(server: DNSServer) -> None:
    nxdomain = resolver(server).query("nothing.signed.test", "TLSA")
    nodata = resolver(server).query("signed.test", "TLSA")

    assert (nxdomain.failure, nxdomain.authenticated) == (DNSFailure.NXDOMAIN, True)
    assert (nodata.failure, nodata.authenticated) == (DNSFailure.NO_ANSWER, True)


def test_a_denial_without_the_ad_bit_is_not_authenticated(server: DNSServer) -> None:
    answer = resolver(server).query("nothing.corp.test", "TLSA")

    assert answer.failure is DNSFailure.NXDOMAIN
    assert not answer.authenticated


def test_a_plain_client_reads_the_ad_bit_too_but_does_not_ask_for_dnssec(
    server: DNSServer,
) -> None:
    client = DNSClient([server.name_server], timeout=GENEROUS)

    answer = client.query("signed.test", "TXT", deadline_at=time.monotonic() + GENEROUS)

    assert answer.authenticated
    (message,) = server.messages
    assert not message.ednsflags & dns.flags.DO


# -- CNAME chains ----------------------------------------------------------------------------


def test_a_cname_chain_ends_at_its_canonical_name(server: DNSServer) -> None:
    answer = resolver(server).query("www.corp.test", "A")

    assert [record.to_text() for record in answer.records] == ["192.0.2.25"]
    assert answer.name == "www.corp.test"
    assert answer.canonical_name == "mx.corp.test"


def test_txt_records_behind_a_cname_are_read(server: DNSServer) -> None:
    answer, texts = resolver(server).txt("_dmarc.corp.test")

    assert texts == ("v=DMARC1; p=reject",)
    assert answer.canonical_name == "_dmarc.reports.test"


# -- time ------------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_a_name_that_gets_no_reply_times_out_at_the_audits_deadline(server: DNSServer) -> None:
    """The per-step timeout (60 s) is longer than the test may take: the deadline ends it."""
    dns_ = resolver(server, timeout=60.0, deadline=0.5)

    answer = dns_.query("dropped.corp.test", "TXT")

    assert answer.failure is DNSFailure.TIMEOUT
    assert answer.explanation == "not answered: the run's deadline passed (--deadline)"
    assert dns_.cut_by_deadline == 1


def test_a_name_that_gets_no_reply_times_out_after_the_step_timeout(server: DNSServer) -> None:
    answer = resolver(server, timeout=0.3).query("dropped.corp.test", "TXT")

    assert answer.failure is DNSFailure.TIMEOUT
    assert answer.explanation == f"no answer from {server.address} within 0.3 s"


def test_nothing_is_asked_once_the_deadline_passed(server: DNSServer) -> None:
    dns_ = DomainDNS((server.name_server,), timeout=GENEROUS, deadline_at=time.monotonic() - 1)

    answer = dns_.query("mx.corp.test", "A")

    assert answer.failure is DNSFailure.TIMEOUT
    assert answer.explanation == "not asked: the run's deadline passed (--deadline)"
    assert server.questions == []


def test_a_late_answer_within_the_timeout_is_still_an_answer() -> None:
    with DNSServer(ZONE, delay={"mx.corp.test": 0.2}) as server:
        answer = resolver(server).query("mx.corp.test", "A")

    assert [record.to_text() for record in answer.records] == ["192.0.2.25"]


# -- the audit's bookkeeping -----------------------------------------------------------------


def test_every_question_is_counted_even_from_several_threads(server: DNSServer) -> None:
    dns_ = resolver(server)
    names = ["mx.corp.test", "nothing.corp.test", "broken.corp.test", "www.corp.test"] * 3

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda name: dns_.query(name, "A"), names))

    assert dns_.queries == len(names) == len(answers)


def test_the_resolver_says_who_it_asks(server: DNSServer) -> None:
    dns_ = resolver(server)

    assert dns_.servers == server.address
    assert dns_.client.servers == server.address


# -- TXT records as text ---------------------------------------------------------------------


def test_the_strings_of_one_txt_record_are_joined_with_nothing_between(
    server: DNSServer,
) -> None:
    _, texts = resolver(server).txt("corp.test")

    assert sorted(texts) == [
        "google-site-verification=abc",
        "v=spf1 ip4:192.0.2.0/24 include:_spf.corp.test -all",
    ]


def test_bytes_that_are_not_utf8_are_replaced_not_fatal(server: DNSServer) -> None:
    _, texts = resolver(server).txt("latin1.corp.test")

    assert texts == ("caf\N{REPLACEMENT CHARACTER} ok",)


def test_a_txt_record_longer_than_the_limit_is_cut_and_says_so(server: DNSServer) -> None:
    _, (text,) = resolver(server).txt("huge.corp.test")

    assert len(text) == MAX_TXT_CHARS + 1
    assert text == "x" * MAX_TXT_CHARS + "…"


def test_a_failed_look_up_has_no_txt_strings(server: DNSServer) -> None:
    answer, texts = resolver(server).txt("nothing.corp.test")

    assert texts == ()
    assert txt_strings(answer) == ()


def test_records_of_other_types_are_not_txt_strings(server: DNSServer) -> None:
    answer = resolver(server).query("mx.corp.test", "A")

    assert txt_strings(answer) == ()
    assert txt_strings(Answer("x.test", "TXT", failure=DNSFailure.TIMEOUT)) == ()


# -- one decoder for TXT and SPF records, its limits given ---------------------------------


def test_records_of_the_retired_type_spf_are_read_like_txt() -> None:
    with DNSServer('corp.test. SPF "v=spf1 " "-all"') as dns_server:
        answer = resolver(dns_server).query("corp.test", "SPF")

    assert txt_strings(answer) == ("v=spf1 -all",)


def test_the_caller_chooses_how_many_characters_and_records_are_kept() -> None:
    zone = "\n".join(f'corp.test. TXT "record {n} {"y" * 40}"' for n in range(5))
    with DNSServer(zone) as dns_server:
        answer = resolver(dns_server).query("corp.test", "TXT")

    texts = txt_strings(answer, max_chars=10, max_records=3)

    assert len(texts) == 3
    assert all(len(text) == 11 and text.endswith("…") for text in texts)


# -- forward-confirmed reverse DNS ---------------------------------------------------------

FCRDNS_ZONE = """
10.2.0.192.in-addr.arpa. PTR mail.corp.test.
10.2.0.192.in-addr.arpa. PTR other.corp.test.
mail.corp.test. A 192.0.2.10
other.corp.test. A 192.0.2.99
11.2.0.192.in-addr.arpa. PTR elsewhere.corp.test.
elsewhere.corp.test. A 192.0.2.99
12.2.0.192.in-addr.arpa. PTR broken.corp.test.
13.2.0.192.in-addr.arpa. PTR n1.corp.test.
13.2.0.192.in-addr.arpa. PTR n2.corp.test.
13.2.0.192.in-addr.arpa. PTR n3.corp.test.
0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR mail6.corp.test.
mail6.corp.test. AAAA 2001:db8::10
"""


@pytest.fixture
def fcrdns_server() -> Iterator[DNSServer]:
    with DNSServer(
        FCRDNS_ZONE, servfail={"broken.corp.test"}, drop={"14.2.0.192.in-addr.arpa"}
    ) as dns_server:
        yield dns_server


def test_a_ptr_name_that_resolves_back_confirms_the_address(fcrdns_server: DNSServer) -> None:
    found = forward_confirmed(resolver(fcrdns_server), "192.0.2.10")

    assert found.confirmed == ("mail.corp.test",)
    assert set(found.ptr_names) == {"mail.corp.test", "other.corp.test"}
    assert found.problem == ""
    assert not found.uncertain
    assert "A mail.corp.test: 192.0.2.10" in found.evidence()


def test_an_ipv6_address_is_confirmed_with_aaaa(fcrdns_server: DNSServer) -> None:
    found = forward_confirmed(resolver(fcrdns_server), "2001:db8::10")

    assert found.confirmed == ("mail6.corp.test",)
    assert ("mail6.corp.test.", "AAAA") in fcrdns_server.questions


def test_a_ptr_name_pointing_elsewhere_says_where(fcrdns_server: DNSServer) -> None:
    found = forward_confirmed(resolver(fcrdns_server), "192.0.2.11")

    assert found.confirmed == ()
    assert not found.uncertain
    assert found.problem == "192.0.2.11: PTR elsewhere.corp.test resolves to 192.0.2.99"


def test_an_address_without_ptr_is_not_confirmed_and_not_uncertain(
    fcrdns_server: DNSServer,
) -> None:
    found = forward_confirmed(resolver(fcrdns_server), "192.0.2.200")

    assert found.ptr_failure is DNSFailure.NXDOMAIN
    assert not found.uncertain
    assert found.problem.startswith("192.0.2.200 has no PTR record (")


def test_a_failing_forward_look_up_makes_the_answer_uncertain(fcrdns_server: DNSServer) -> None:
    found = forward_confirmed(resolver(fcrdns_server), "192.0.2.12")

    assert found.confirmed == ()
    assert found.names[0].failure is DNSFailure.SERVFAIL
    assert found.uncertain


def test_a_ptr_time_out_makes_the_answer_uncertain(fcrdns_server: DNSServer) -> None:
    found = forward_confirmed(resolver(fcrdns_server, timeout=0.3), "192.0.2.14")

    assert found.ptr_failure is DNSFailure.TIMEOUT
    assert found.uncertain


def test_only_the_first_names_are_asked_for_their_addresses(fcrdns_server: DNSServer) -> None:
    found = forward_confirmed(resolver(fcrdns_server), "192.0.2.13", max_names=2)

    assert len(found.names) == 2
    assert found.total_names == 3
    forward = [name for name, rdtype in fcrdns_server.questions if rdtype == "A"]
    assert len(forward) == 2


def test_a_bad_address_or_bound_is_a_value_error(fcrdns_server: DNSServer) -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        forward_confirmed(resolver(fcrdns_server), "mail.corp.test")
    with pytest.raises(ValueError, match="max_names"):
        forward_confirmed(resolver(fcrdns_server), "192.0.2.10", max_names=0)
