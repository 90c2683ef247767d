"""The loopback DNS server the tests use (``tests/targets/dnsserver.py``), asked with
dnspython's own ``dns.query.udp`` and ``dns.query.tcp``: what it answers, and every way it can
be told to misbehave."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset
import pytest

from tests.targets.dnsserver import DNSServer

ZONE = """
; a comment line, then the records
corp.test.            MX    10 mx.corp.test.
corp.test.            TXT   "v=spf1 " "ip4:192.0.2.0/24 " "-all"
corp.test.            SPF   "v=spf1 -all"
corp.test.            CAA   0 issue "letsencrypt.org"
mx.corp.test.         A     192.0.2.25
www.corp.test.        CNAME web.corp.test.
web.corp.test.        CNAME mx.corp.test.
gone.corp.test.       CNAME nowhere.corp.test.
loop-a.corp.test.     CNAME loop-b.corp.test.
loop-b.corp.test.     CNAME loop-a.corp.test.
_25._tcp.mx.corp.test. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
25.2.0.192.in-addr.arpa. PTR mx.corp.test.
relative.corp.test.   MX    5 mx.corp.test
"""
#: Enough address records that the answer outgrows 512 bytes.
MANY = "".join(f"many.corp.test. A 192.0.2.{n}\n" for n in range(1, 41))
HUGE_KEY = "v=DKIM1; k=rsa; p=" + "A" * 1000
WAIT = 5.0


@pytest.fixture
def server() -> Iterator[DNSServer]:
    zone = ZONE + MANY + f'key.corp.test. TXT "{HUGE_KEY}"\n'
    with DNSServer(
        zone,
        drop={"dropped.corp.test"},
        servfail={"broken.corp.test."},
        truncate={"corp.test."},
        authenticated={"mx.corp.test.", "nothing.corp.test.", "web.corp.test."},
    ) as dns_server:
        yield dns_server


def udp(server: DNSServer, name: str, rdtype: str, **query: object) -> dns.message.Message:
    question = dns.message.make_query(name, rdtype, **query)  # type: ignore[arg-type]
    return dns.query.udp(question, "127.0.0.1", port=server.port, timeout=WAIT)


def tcp(server: DNSServer, name: str, rdtype: str) -> dns.message.Message:
    question = dns.message.make_query(name, rdtype)
    return dns.query.tcp(question, "127.0.0.1", port=server.port, timeout=WAIT)


def records(response: dns.message.Message) -> list[str]:
    return [f"{rrset.name} {rdata.to_text()}" for rrset in response.answer for rdata in rrset]


# -- plain answers ---------------------------------------------------------------------------


def test_a_name_gets_its_records_of_the_type_asked(server: DNSServer) -> None:
    response = udp(server, "mx.corp.test", "A")

    assert response.rcode() == dns.rcode.NOERROR
    assert records(response) == ["mx.corp.test. 192.0.2.25"]
    assert response.flags & dns.flags.AA


def test_a_name_without_records_of_that_type_gets_an_empty_answer(server: DNSServer) -> None:
    response = udp(server, "mx.corp.test", "AAAA")

    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []


def test_a_name_not_in_the_zone_does_not_exist(server: DNSServer) -> None:
    assert udp(server, "unknown.corp.test", "A").rcode() == dns.rcode.NXDOMAIN


def test_names_are_matched_without_regard_to_case(server: DNSServer) -> None:
    assert records(udp(server, "MX.Corp.Test", "A")) == ["MX.Corp.Test. 192.0.2.25"]


def test_any_type_dnspython_parses_can_be_served(server: DNSServer) -> None:
    tlsa = udp(server, "_25._tcp.mx.corp.test", "TLSA")
    ptr = udp(server, "25.2.0.192.in-addr.arpa", "PTR")
    caa = tcp(server, "corp.test", "CAA")
    spf = tcp(server, "corp.test", "SPF")

    assert records(tlsa) == ["_25._tcp.mx.corp.test. 3 1 1 " + "0123456789abcdef" * 4]
    assert records(ptr) == ["25.2.0.192.in-addr.arpa. mx.corp.test."]
    assert records(caa) == ['corp.test. 0 issue "letsencrypt.org"']
    assert records(spf) == ['corp.test. "v=spf1 -all"']


def test_a_name_in_record_data_without_a_final_dot_is_absolute(server: DNSServer) -> None:
    assert records(udp(server, "relative.corp.test", "MX")) == [
        "relative.corp.test. 5 mx.corp.test."
    ]


def test_a_txt_record_keeps_its_separate_strings(server: DNSServer) -> None:
    (rrset,) = tcp(server, "corp.test", "TXT").answer
    (record,) = list(rrset)

    assert isinstance(record, dns.rdtypes.ANY.TXT.TXT)
    assert list(record.strings) == [b"v=spf1 ", b"ip4:192.0.2.0/24 ", b"-all"]


def test_a_string_longer_than_255_bytes_is_split_into_255_byte_strings(
    server: DNSServer,
) -> None:
    (rrset,) = tcp(server, "key.corp.test", "TXT").answer
    (record,) = list(rrset)

    assert isinstance(record, dns.rdtypes.ANY.TXT.TXT)
    assert [len(part) for part in record.strings] == [255, 255, 255, 253]
    assert b"".join(record.strings).decode() == HUGE_KEY


def test_every_question_is_recorded_and_those_over_tcp_apart(server: DNSServer) -> None:
    udp(server, "mx.corp.test", "A")
    tcp(server, "corp.test", "MX")

    assert server.questions == [("mx.corp.test.", "A"), ("corp.test.", "MX")]
    assert server.tcp_questions == [("corp.test.", "MX")]


def test_a_packet_that_is_not_dns_is_ignored(server: DNSServer) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.sendto(b"hello, is this DNS?", ("127.0.0.1", server.port))

    assert records(udp(server, "mx.corp.test", "A")) == ["mx.corp.test. 192.0.2.25"]
    assert server.questions == [("mx.corp.test.", "A")]


# -- TCP and truncation ----------------------------------------------------------------------


def test_tcp_is_answered_on_the_same_port_as_udp(server: DNSServer) -> None:
    assert records(tcp(server, "mx.corp.test", "A")) == ["mx.corp.test. 192.0.2.25"]


def test_one_tcp_connection_carries_several_questions(server: DNSServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as connection:
        answers = [
            dns.query.tcp(
                dns.message.make_query(name, "A"), "127.0.0.1", timeout=WAIT, sock=connection
            )
            for name in ("mx.corp.test", "unknown.corp.test", "many.corp.test")
        ]

    assert [answer.rcode() for answer in answers] == [
        dns.rcode.NOERROR,
        dns.rcode.NXDOMAIN,
        dns.rcode.NOERROR,
    ]
    assert len(records(answers[2])) == 40
    assert len(server.tcp_questions) == 3


def test_a_name_to_truncate_gets_tc_and_no_records_over_udp(server: DNSServer) -> None:
    response = udp(server, "corp.test", "MX")

    assert response.flags & dns.flags.TC
    assert response.answer == []


def test_a_name_to_truncate_gets_the_full_answer_over_tcp(server: DNSServer) -> None:
    response = tcp(server, "corp.test", "MX")

    assert not response.flags & dns.flags.TC
    assert records(response) == ["corp.test. 10 mx.corp.test."]


def test_an_answer_over_512_bytes_is_truncated_over_udp_without_edns(server: DNSServer) -> None:
    response = udp(server, "many.corp.test", "A")

    assert response.flags & dns.flags.TC
    assert response.answer == []


def test_an_answer_within_the_clients_edns_payload_size_is_not_truncated(
    server: DNSServer,
) -> None:
    response = udp(server, "many.corp.test", "A", use_edns=0, payload=1232)

    assert not response.flags & dns.flags.TC
    assert len(records(response)) == 40


def test_an_answer_over_the_clients_edns_payload_size_is_truncated(server: DNSServer) -> None:
    response = udp(server, "key.corp.test", "TXT", use_edns=0, payload=600)

    assert response.flags & dns.flags.TC


# -- CNAME chains ----------------------------------------------------------------------------


def test_a_cname_is_followed_to_the_records_asked_for(server: DNSServer) -> None:
    response = udp(server, "www.corp.test", "A")

    assert response.rcode() == dns.rcode.NOERROR
    assert records(response) == [
        "www.corp.test. web.corp.test.",
        "web.corp.test. mx.corp.test.",
        "mx.corp.test. 192.0.2.25",
    ]


def test_asking_for_the_cname_itself_gets_only_the_cname(server: DNSServer) -> None:
    assert records(udp(server, "www.corp.test", "CNAME")) == ["www.corp.test. web.corp.test."]


def test_a_cname_to_a_name_without_that_type_is_the_chain_and_no_data(
    server: DNSServer,
) -> None:
    response = udp(server, "www.corp.test", "AAAA")

    assert response.rcode() == dns.rcode.NOERROR
    assert len(records(response)) == 2


def test_a_cname_to_a_missing_name_is_the_chain_and_nxdomain(server: DNSServer) -> None:
    response = udp(server, "gone.corp.test", "TXT")

    assert response.rcode() == dns.rcode.NXDOMAIN
    assert records(response) == ["gone.corp.test. nowhere.corp.test."]


def test_a_cname_loop_is_a_server_failure(server: DNSServer) -> None:
    response = udp(server, "loop-a.corp.test", "A")

    assert response.rcode() == dns.rcode.SERVFAIL
    assert response.answer == []


def test_a_chain_longer_than_sixteen_cnames_is_a_server_failure() -> None:
    chain = "".join(f"c{n}.test. CNAME c{n + 1}.test.\n" for n in range(17))
    with DNSServer(chain + "c17.test. A 192.0.2.1\n") as server:
        too_long = udp(server, "c0.test", "A")
        at_the_bound = udp(server, "c1.test", "A")

    assert too_long.rcode() == dns.rcode.SERVFAIL
    assert at_the_bound.rcode() == dns.rcode.NOERROR
    assert len(records(at_the_bound)) == 17


# -- playing a validating resolver -----------------------------------------------------------


def test_authenticated_names_get_the_ad_bit_and_others_do_not(server: DNSServer) -> None:
    assert udp(server, "mx.corp.test", "A").flags & dns.flags.AD
    assert not udp(server, "corp.test", "MX", use_edns=0, payload=1232).flags & dns.flags.AD


def test_an_authenticated_denial_carries_the_ad_bit(server: DNSServer) -> None:
    nxdomain = udp(server, "nothing.corp.test", "A")
    nodata = udp(server, "mx.corp.test", "AAAA")

    assert nxdomain.rcode() == dns.rcode.NXDOMAIN
    assert nxdomain.flags & dns.flags.AD
    assert nodata.answer == []
    assert nodata.flags & dns.flags.AD


def test_authenticated_true_vouches_for_every_answer() -> None:
    with DNSServer(ZONE, authenticated=True) as server:
        answers = [udp(server, "mx.corp.test", "A"), tcp(server, "unknown.corp.test", "A")]

    assert all(answer.flags & dns.flags.AD for answer in answers)


# -- misbehaving -----------------------------------------------------------------------------


def test_a_dropped_name_gets_no_reply(server: DNSServer) -> None:
    question = dns.message.make_query("dropped.corp.test", "A")

    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(question, "127.0.0.1", port=server.port, timeout=0.3)
    assert server.questions == [("dropped.corp.test.", "A")]


def test_a_servfail_name_gets_servfail_over_both_transports(server: DNSServer) -> None:
    assert udp(server, "broken.corp.test", "A").rcode() == dns.rcode.SERVFAIL
    assert tcp(server, "broken.corp.test", "A").rcode() == dns.rcode.SERVFAIL


def test_a_type_to_fail_gets_servfail_and_the_names_other_types_are_answered() -> None:
    with DNSServer(ZONE, servfail_types={("mx.corp.test.", "AAAA")}) as server:
        failed = [udp(server, "mx.corp.test", "AAAA"), tcp(server, "mx.corp.test", "AAAA")]
        through_alias = udp(server, "www.corp.test", "AAAA")
        answered = udp(server, "mx.corp.test", "A")

    assert [response.rcode() for response in failed] == [dns.rcode.SERVFAIL] * 2
    assert through_alias.rcode() == dns.rcode.SERVFAIL
    assert records(answered) == ["mx.corp.test. 192.0.2.25"]


def test_a_type_to_drop_gets_no_reply_and_the_names_other_types_are_answered() -> None:
    with DNSServer(ZONE, drop_types={("mx.corp.test", "aaaa")}) as server:
        question = dns.message.make_query("mx.corp.test", "AAAA")
        with pytest.raises(dns.exception.Timeout):
            dns.query.udp(question, "127.0.0.1", port=server.port, timeout=0.3)
        answered = udp(server, "mx.corp.test", "A")

    assert records(answered) == ["mx.corp.test. 192.0.2.25"]


def test_a_delayed_name_is_answered_late_but_answered() -> None:
    with DNSServer(ZONE, delay={"mx.corp.test": 0.2}) as server:
        over_udp = udp(server, "mx.corp.test", "A")
        over_tcp = tcp(server, "mx.corp.test", "A")

    assert records(over_udp) == records(over_tcp) == ["mx.corp.test. 192.0.2.25"]


def test_a_delayed_answer_does_not_hold_up_the_others() -> None:
    with (
        DNSServer(ZONE, delay={"mx.corp.test": 600}) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as waiting,
    ):
        waiting.sendto(
            dns.message.make_query("mx.corp.test", "A").to_wire(), ("127.0.0.1", server.port)
        )
        meanwhile = udp(server, "corp.test", "MX", use_edns=0, payload=1232)
        question = dns.message.make_query("mx.corp.test", "A")
        with pytest.raises(dns.exception.Timeout):
            dns.query.udp(question, "127.0.0.1", port=server.port, timeout=0.3)

    assert records(meanwhile) == ["corp.test. 10 mx.corp.test."]


def test_held_answers_leave_once_enough_questions_arrived_over_either_transport() -> None:
    with (
        DNSServer(ZONE, hold_until=2) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as first,
    ):
        first.settimeout(WAIT)
        first.sendto(
            dns.message.make_query("mx.corp.test", "A").to_wire(), ("127.0.0.1", server.port)
        )
        second = tcp(server, "corp.test", "MX")
        held = dns.message.from_wire(first.recv(65535))

    assert records(second) == ["corp.test. 10 mx.corp.test."]
    assert records(held) == ["mx.corp.test. 192.0.2.25"]


def test_a_zone_line_that_does_not_parse_is_refused() -> None:
    with pytest.raises(dns.exception.SyntaxError):
        DNSServer("mx.corp.test. A not-an-address\n")
