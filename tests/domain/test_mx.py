"""The ``mx`` domain check: MX records, their hosts' addresses and reverse DNS, judged as a
sending MTA meets them — against a loopback DNS server."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain import DomainCheck, DomainContext, DomainReport, Finding
from smtpdoctor.domain.checks.mx import MAX_ADDRESSES, MAX_MX_RECORDS
from smtpdoctor.domain.facts import EXCHANGERS, MAIL_ROUTING
from smtpdoctor.mailauth.dns import MAX_PTR_NAMES
from smtpdoctor.model.domain import SectionResult
from smtpdoctor.model.results import Outcome, Status

from tests.domain.domainkit import audit
from tests.targets.dnsserver import DNSServer

MX_ONLY = ("smtpdoctor.domain.checks.mx",)

GOOD = """
example.test.            MX   10 mx1.example.test.
mx1.example.test.        A    127.0.0.1
1.0.0.127.in-addr.arpa.  PTR  mx1.example.test.
"""

SEEN = Finding("seen.exchangers", Status.INFO, "What the mx check put into the stash")


class ExchangersSeen(DomainCheck):
    """Reads the stash after ``mx`` and shows it as a row, as the ``smtp`` check would read it."""

    id = "seen"
    title = "Exchangers in the stash"
    requires = ("mx",)
    findings = (SEEN,)

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        exchangers = ctx.stash.get(EXCHANGERS) or ()
        routing = ctx.stash.get(MAIL_ROUTING)
        return [
            SEEN.outcome(
                "seen",
                {
                    "hosts": tuple(e.host for e in exchangers),
                    "preferences": tuple(str(e.preference) for e in exchangers),
                    "addresses": tuple(",".join(e.addresses) for e in exchangers),
                    "failures": tuple(e.failure for e in exchangers),
                    "address_failures": tuple(str(e.address_failure or "") for e in exchangers),
                    "authenticated": tuple(str(e.addresses_authenticated) for e in exchangers),
                    "canonical": tuple(e.canonical_name for e in exchangers),
                    "routing": routing.value if routing is not None else "",
                },
            )
        ]


class SeenPlugin:
    @hookimpl
    def smtpdoctor_register_domain_checks(self, register: object) -> None:
        assert callable(register)
        register(ExchangersSeen)


def audit_mx(zone: str, domain: str = "example.test", **request: Any) -> DomainReport:
    with DNSServer(zone) as dns_server:
        return audit(dns_server, domain, builtins=MX_ONLY, extra_plugins=[SeenPlugin()], **request)


def mx_section(report: DomainReport) -> SectionResult:
    section = report.section("mx")
    assert section is not None
    return section


def findings(report: DomainReport) -> list[str | None]:
    return [row.outcome.finding for row in mx_section(report).rows]


def stash_of(report: DomainReport) -> dict[str, object]:
    row = report.row("seen.exchangers")
    assert row is not None
    return dict(row.outcome.details)


def test_mx_hosts_with_addresses_and_confirmed_reverse_dns_pass_in_one_row() -> None:
    report = audit_mx(GOOD)

    assert findings(report) == ["mx.ok"]
    row = mx_section(report).rows[0]
    assert row.status is Status.PASS
    assert "10 mx1.example.test (127.0.0.1)" in row.summary
    assert row.outcome.details["fcrdns"] == ("127.0.0.1 <-> mx1.example.test",)
    assert stash_of(report) == {
        "hosts": ("mx1.example.test",),
        "preferences": ("10",),
        "addresses": ("127.0.0.1",),
        "failures": ("",),
        "address_failures": ("",),
        "authenticated": ("False",),
        "canonical": ("",),
        "routing": "mx",
    }


def test_exchangers_are_listed_in_preference_order() -> None:
    zone = """
    example.test.            MX   20 mx2.example.test.
    example.test.            MX   10 mx1.example.test.
    mx1.example.test.        A    127.0.0.1
    mx2.example.test.        A    127.0.0.2
    1.0.0.127.in-addr.arpa.  PTR  mx1.example.test.
    2.0.0.127.in-addr.arpa.  PTR  mx2.example.test.
    """
    report = audit_mx(zone)

    assert findings(report) == ["mx.ok"]
    assert stash_of(report)["hosts"] == ("mx1.example.test", "mx2.example.test")


def test_a_null_mx_says_the_domain_accepts_no_mail() -> None:
    report = audit_mx("example.test. MX 0 .\n")

    assert findings(report) == ["mx.null"]
    assert mx_section(report).status is Status.INFO
    assert "accepts no mail" in mx_section(report).rows[0].summary
    assert stash_of(report)["hosts"] == ()


def test_a_null_mx_mixed_with_other_mx_records_fails() -> None:
    report = audit_mx("example.test. MX 0 .\n" + GOOD)

    assert findings(report) == ["mx.records", "mx.null-mixed"]
    assert mx_section(report).status is Status.FAIL
    assert stash_of(report)["hosts"] == ("mx1.example.test",)


def test_without_mx_records_the_domains_own_address_is_the_implicit_mx() -> None:
    zone = """
    example.test.            A    127.0.0.1
    1.0.0.127.in-addr.arpa.  PTR  example.test.
    """
    report = audit_mx(zone)

    assert findings(report) == ["mx.implicit"]
    assert mx_section(report).status is Status.WARN
    assert "127.0.0.1" in mx_section(report).rows[0].summary
    assert stash_of(report)["hosts"] == ("example.test",)


def test_without_mx_records_or_an_address_the_domain_cannot_receive_mail() -> None:
    report = audit_mx('example.test. TXT "v=spf1 -all"\n')

    assert findings(report) == ["mx.none"]
    assert mx_section(report).status is Status.FAIL


def test_a_domain_that_does_not_exist_fails_in_words() -> None:
    report = audit_mx(GOOD, domain="missing.test")

    assert findings(report) == ["mx.domain-missing"]
    assert "NXDOMAIN" in mx_section(report).rows[0].summary


def test_a_failing_mx_look_up_fails_and_says_what_the_server_answered() -> None:
    with DNSServer(GOOD, servfail={"example.test."}) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY)

    assert findings(report) == ["mx.lookup-failed"]
    assert "SERVFAIL" in mx_section(report).rows[0].summary


def test_an_unanswered_mx_look_up_fails_with_the_time_waited() -> None:
    with DNSServer(GOOD, drop={"example.test."}) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY, timeout=0.3)

    assert findings(report) == ["mx.lookup-failed"]
    assert "no answer from" in mx_section(report).rows[0].summary


def test_an_mx_target_that_is_an_alias_warns_and_names_the_canonical_host() -> None:
    zone = """
    example.test.            MX    10 mail.example.test.
    mail.example.test.       CNAME mx1.example.test.
    mx1.example.test.        A     127.0.0.1
    1.0.0.127.in-addr.arpa.  PTR   mx1.example.test.
    """
    report = audit_mx(zone)

    assert findings(report) == ["mx.records", "mx.cname"]
    row = mx_section(report).rows[1]
    assert row.status is Status.WARN
    assert "mail.example.test is an alias (CNAME) of mx1.example.test" in row.summary
    assert "RFC 2181 §10.3" in row.hints[0].steps[0]
    assert stash_of(report)["addresses"] == ("127.0.0.1",)


def test_an_mx_target_that_is_an_ip_address_fails_and_is_not_looked_up() -> None:
    zone = "example.test. MX 10 127.0.0.1.\n"
    with DNSServer(zone) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY)
        asked = dns_server.questions

    assert findings(report) == ["mx.records", "mx.ip-literal"]
    assert "127.0.0.1 is an IP address" in mx_section(report).rows[1].summary
    assert ("127.0.0.1.", "A") not in asked


def test_mx_hosts_without_any_address_fail() -> None:
    zone = """
    example.test.       MX   10 mx1.example.test.
    example.test.       MX   20 gone.example.test.
    mx1.example.test.   TXT  "no address here"
    """
    report = audit_mx(zone)

    row = mx_section(report).row("mx.no-address")
    assert row is not None and row.status is Status.FAIL
    assert "mx1.example.test: the name exists but has no A or AAAA records" in row.summary
    assert "gone.example.test: no such name (NXDOMAIN)" in row.summary


def test_some_mx_hosts_without_an_address_warn() -> None:
    zone = GOOD + "example.test. MX 20 gone.example.test.\n"
    report = audit_mx(zone)

    row = mx_section(report).row("mx.host-without-address")
    assert row is not None and row.status is Status.WARN
    assert "1 MX host of 2 without an address: gone.example.test" in row.summary
    assert stash_of(report)["failures"] == ("", "no such name (NXDOMAIN)")


def test_an_mx_address_without_a_ptr_record_warns_and_names_the_address() -> None:
    zone = """
    example.test.       MX   10 mx1.example.test.
    mx1.example.test.   A    127.0.0.1
    """
    report = audit_mx(zone)

    row = mx_section(report).row("mx.ptr-missing")
    assert row is not None and row.status is Status.WARN
    assert "mx1.example.test: 127.0.0.1 has no PTR record (no such name (NXDOMAIN))" in row.summary


def test_a_ptr_name_that_does_not_resolve_back_warns_and_names_it() -> None:
    zone = """
    example.test.            MX   10 mx1.example.test.
    mx1.example.test.        A    127.0.0.1
    1.0.0.127.in-addr.arpa.  PTR  host.isp.test.
    host.isp.test.           A    127.0.0.9
    """
    report = audit_mx(zone)

    row = mx_section(report).row("mx.ptr-mismatch")
    assert row is not None and row.status is Status.WARN
    assert "PTR host.isp.test resolves to 127.0.0.9" in row.summary
    assert row.outcome.details["ptr"] == ("host.isp.test",)


def test_only_the_first_max_mx_hosts_are_looked_up() -> None:
    zone = GOOD + "example.test. MX 20 mx2.example.test.\nmx2.example.test. A 127.0.0.2\n"
    with DNSServer(zone) as dns_server:
        report = audit(
            dns_server,
            "example.test",
            builtins=MX_ONLY,
            extra_plugins=[SeenPlugin()],
            max_exchangers=1,
        )
        asked = dns_server.questions

    row = mx_section(report).row("mx.not-all-resolved")
    assert row is not None and row.status is Status.INFO
    assert "not mx2.example.test" in row.summary
    assert ("mx2.example.test.", "A") not in asked
    assert stash_of(report)["hosts"] == ("mx1.example.test", "mx2.example.test")
    assert stash_of(report)["failures"] == ("", "not looked up (beyond --max-mx)")


def test_at_most_a_bounded_number_of_mx_records_is_read() -> None:
    many = "".join(
        f"example.test. MX {20 + number} extra{number}.example.test.\n"
        for number in range(MAX_MX_RECORDS + 8)
    )
    report = audit_mx(GOOD + many, max_exchangers=1)

    said = [row.summary for row in mx_section(report).rows]
    assert f"{MAX_MX_RECORDS + 9} MX records; only the first {MAX_MX_RECORDS} were read" in said
    assert len(stash_of(report)["hosts"]) == MAX_MX_RECORDS  # type: ignore[arg-type]


def test_every_question_goes_to_the_audits_dns_server_and_is_counted() -> None:
    with DNSServer(GOOD) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY)
        asked = dns_server.questions

    assert ("example.test.", "MX") in asked
    assert ("1.0.0.127.in-addr.arpa.", "PTR") in asked
    assert report.dns_queries == len(asked)


def test_dnssec_authenticated_addresses_are_marked_so_in_the_stash_for_dane() -> None:
    with DNSServer(GOOD, authenticated={"mx1.example.test."}) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY, extra_plugins=[SeenPlugin()])

    assert stash_of(report)["authenticated"] == ("True",)


def test_an_mx_target_that_is_an_alias_has_its_canonical_name_in_the_stash() -> None:
    zone = """
    example.test.            MX    10 mail.example.test.
    mail.example.test.       CNAME mx1.example.test.
    mx1.example.test.        A     127.0.0.1
    1.0.0.127.in-addr.arpa.  PTR   mx1.example.test.
    """
    report = audit_mx(zone)

    assert stash_of(report)["hosts"] == ("mail.example.test",)
    assert stash_of(report)["canonical"] == ("mx1.example.test",)


def test_an_mx_record_to_the_root_with_a_preference_other_than_0_is_not_a_null_mx() -> None:
    report = audit_mx("example.test. MX 10 .\n")

    assert findings(report) == ["mx.records", "mx.root-target"]
    row = mx_section(report).rows[1]
    assert row.status is Status.WARN
    assert "MX 10 ." in row.summary and "preference 0 (RFC 7505 §3)" in row.summary
    assert stash_of(report)["hosts"] == ()


def test_an_mx_record_to_the_root_beside_real_mx_hosts_is_reported_and_they_are_used() -> None:
    report = audit_mx("example.test. MX 20 .\n" + GOOD)

    assert findings(report) == ["mx.records", "mx.root-target"]
    assert "senders skip it" in mx_section(report).rows[1].summary
    assert stash_of(report)["hosts"] == ("mx1.example.test",)


def test_mx_hosts_without_an_address_do_not_fail_while_others_were_not_looked_up() -> None:
    zone = """
    example.test.       MX   10 gone.example.test.
    example.test.       MX   20 mx2.example.test.
    mx2.example.test.   A    127.0.0.2
    """
    report = audit_mx(zone, max_exchangers=1)

    assert mx_section(report).row("mx.no-address") is None
    row = mx_section(report).row("mx.host-without-address")
    assert row is not None and row.status is Status.WARN
    assert "1 other MX host not looked up (mx2.example.test)" in row.summary


def test_the_addresses_left_out_of_a_host_with_very_many_are_counted_in_the_row() -> None:
    many = "".join(f"mx1.example.test. A 127.0.1.{number}\n" for number in range(MAX_ADDRESSES + 2))
    report = audit_mx("example.test. MX 10 mx1.example.test.\n" + many)

    summary = mx_section(report).rows[0].summary
    assert f"and 2 more not checked (at most {MAX_ADDRESSES})" in summary


def test_without_mx_records_a_failing_address_look_up_is_a_failed_look_up_not_no_mail() -> None:
    with DNSServer(
        'example.test. TXT "v=spf1 -all"\n',
        servfail_types={("example.test.", "A"), ("example.test.", "AAAA")},
    ) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY)

    assert findings(report) == ["mx.lookup-failed"]
    row = mx_section(report).rows[0]
    assert "look-up of its own address (the implicit MX) failed" in row.summary
    assert "SERVFAIL" in row.summary


TWO_MX = """
example.test.            MX   10 mx1.example.test.
example.test.            MX   20 mx2.example.test.
mx1.example.test.        A    127.0.0.1
mx2.example.test.        A    127.0.0.2
1.0.0.127.in-addr.arpa.  PTR  mx1.example.test.
2.0.0.127.in-addr.arpa.  PTR  mx2.example.test.
"""
ADDRESS_QUESTIONS = [
    (host, rdtype)
    for host in ("mx1.example.test.", "mx2.example.test.")
    for rdtype in ("A", "AAAA")
]


def test_when_every_mx_hosts_address_look_up_fails_the_look_ups_failed_not_no_address() -> None:
    with DNSServer(TWO_MX, servfail_types=ADDRESS_QUESTIONS) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY, extra_plugins=[SeenPlugin()])

    assert mx_section(report).row("mx.no-address") is None
    row = mx_section(report).row("mx.lookup-failed")
    assert row is not None and row.status is Status.FAIL
    assert "the address look-up failed for 2 MX hosts of 2" in row.summary
    assert "mx1.example.test: A: " in row.summary and "SERVFAIL" in row.summary
    assert "whether the domain can receive mail is not known" in row.summary
    assert "10 mx1.example.test (address look-up failed)" in mx_section(report).rows[0].summary
    assert stash_of(report)["address_failures"] == ("servfail", "servfail")


def test_an_mx_host_whose_address_look_up_fails_is_not_said_to_have_no_address() -> None:
    with DNSServer(TWO_MX, drop_types=ADDRESS_QUESTIONS[2:]) as dns_server:
        report = audit(
            dns_server,
            "example.test",
            builtins=MX_ONLY,
            extra_plugins=[SeenPlugin()],
            timeout=0.3,
        )

    assert mx_section(report).row("mx.host-without-address") is None
    row = mx_section(report).row("mx.host-lookup-failed")
    assert row is not None and row.status is Status.WARN
    assert "the address look-up failed for 1 MX host of 2: mx2.example.test: " in row.summary
    assert "whether it has an address is not known" in row.summary
    assert stash_of(report)["address_failures"] == ("", "timeout")


def test_a_host_with_no_address_and_one_whose_look_up_failed_each_get_their_row() -> None:
    zone = GOOD + "example.test. MX 20 gone.example.test.\nexample.test. MX 30 mx3.example.test.\n"
    with DNSServer(zone, servfail={"mx3.example.test."}) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY)

    missing = mx_section(report).row("mx.host-without-address")
    failed = mx_section(report).row("mx.host-lookup-failed")
    assert missing is not None and "gone.example.test: no such name (NXDOMAIN)" in missing.summary
    assert failed is not None and "mx3.example.test" in failed.summary
    assert "mx3.example.test" not in missing.summary


def test_a_timed_out_aaaa_question_beside_signed_a_records_leaves_dnssec_status_unknown() -> None:
    with DNSServer(
        GOOD, authenticated=True, drop_types={("mx1.example.test.", "AAAA")}
    ) as dns_server:
        report = audit(
            dns_server,
            "example.test",
            builtins=MX_ONLY,
            extra_plugins=[SeenPlugin()],
            timeout=0.3,
        )

    seen = stash_of(report)
    assert seen["addresses"] == ("127.0.0.1",)
    assert seen["address_failures"] == ("timeout",)
    assert seen["authenticated"] == ("None",)
    assert str(seen["failures"]).startswith("('AAAA: ")


def test_a_missing_aaaa_record_denied_with_dnssec_leaves_the_addresses_authenticated() -> None:
    with DNSServer(GOOD, authenticated=True) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY, extra_plugins=[SeenPlugin()])

    assert stash_of(report)["authenticated"] == ("True",)
    assert stash_of(report)["address_failures"] == ("",)


def test_a_ptr_look_up_that_times_out_is_a_failed_check_not_a_missing_record() -> None:
    with DNSServer(GOOD, drop={"1.0.0.127.in-addr.arpa."}) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY, timeout=0.3)

    assert mx_section(report).row("mx.ptr-missing") is None
    assert mx_section(report).row("mx.ok") is None
    row = mx_section(report).row("mx.ptr-lookup-failed")
    assert row is not None and row.status is Status.WARN
    assert row.summary.startswith("could not check the reverse DNS of 1 MX address")
    assert "mx1.example.test: PTR 1.0.0.127.in-addr.arpa: no answer from" in row.summary
    assert row.outcome.details["addresses"] == ("127.0.0.1",)


def test_a_ptr_name_whose_address_look_up_fails_is_a_failed_check_not_a_mismatch() -> None:
    zone = """
    example.test.            MX   10 mx1.example.test.
    mx1.example.test.        A    127.0.0.1
    1.0.0.127.in-addr.arpa.  PTR  host.isp.test.
    host.isp.test.           A    127.0.0.1
    """
    with DNSServer(zone, servfail_types={("host.isp.test.", "A")}) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY)

    assert mx_section(report).row("mx.ptr-mismatch") is None
    row = mx_section(report).row("mx.ptr-lookup-failed")
    assert row is not None
    assert "A host.isp.test: " in row.summary and "SERVFAIL" in row.summary


@pytest.mark.parametrize(
    ("zone", "domain", "dns", "routing"),
    [
        (GOOD, "example.test", {}, "mx"),
        ("example.test. A 127.0.0.1\n", "example.test", {}, "mx"),
        ('example.test. TXT "v=spf1 -all"\n', "example.test", {}, "mx"),
        ("example.test. MX 0 .\n", "example.test", {}, "null-mx"),
        ("example.test. MX 0 .\n" + GOOD, "example.test", {}, "mx"),
        (GOOD, "missing.test", {}, "no-domain"),
        (GOOD, "example.test", {"servfail": {"example.test."}}, "unknown"),
        (
            'example.test. TXT "v=spf1 -all"\n',
            "example.test",
            {"servfail_types": {("example.test.", "A")}},
            "unknown",
        ),
    ],
    ids=[
        "mx-hosts",
        "implicit-mx",
        "no-mx-no-address",
        "null-mx",
        "null-mx-mixed",
        "nxdomain",
        "mx-servfail",
        "implicit-mx-look-up-failed",
    ],
)
def test_how_the_domain_takes_mail_goes_into_the_stash_for_the_other_checks(
    zone: str, domain: str, dns: dict[str, Any], routing: str
) -> None:
    with DNSServer(zone, **dns) as dns_server:
        report = audit(dns_server, domain, builtins=MX_ONLY, extra_plugins=[SeenPlugin()])

    assert stash_of(report)["routing"] == routing


def test_two_addresses_without_reverse_dns_are_counted_in_plain_english() -> None:
    zone = """
    example.test.            MX   10 mx1.example.test.
    mx1.example.test.        A    127.0.0.1
    mx1.example.test.        A    127.0.0.2
    """
    row = mx_section(audit_mx(zone)).row("mx.ptr-missing")

    assert row is not None
    assert row.summary.startswith("2 MX addresses without reverse DNS: ")


def test_the_summary_lists_the_mx_hosts_in_preference_order_with_an_ip_literal_in_its_place() -> (
    None
):
    zone = """
    example.test.            MX   20 mx1.example.test.
    example.test.            MX   10 127.0.0.1.
    example.test.            MX   30 mx3.example.test.
    mx1.example.test.        A    127.0.0.1
    mx3.example.test.        A    127.0.0.3
    """
    row = mx_section(audit_mx(zone)).rows[0]

    assert row.outcome.details["mx"] == (
        "10 127.0.0.1 (an IP address)",
        "20 mx1.example.test (127.0.0.1)",
        "30 mx3.example.test (127.0.0.3)",
    )


def test_an_mx_host_with_one_address_look_up_failed_and_the_other_answered_warns() -> None:
    with DNSServer(GOOD, drop_types={("mx1.example.test.", "AAAA")}) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY, timeout=0.3)

    assert mx_section(report).row("mx.ok") is None
    row = mx_section(report).row("mx.host-lookup-failed")
    assert row is not None and row.status is Status.WARN
    assert "mx1.example.test: AAAA: no answer from" in row.summary
    assert "(found 127.0.0.1)" in row.summary
    assert row.outcome.details["hosts"] == ("mx1.example.test",)


def test_reverse_dns_checks_at_most_the_shared_bound_of_ptr_names_per_address() -> None:
    names = [f"n{index}.isp.test" for index in range(MAX_PTR_NAMES + 3)]
    zone = "example.test. MX 10 mx1.example.test.\nmx1.example.test. A 127.0.0.1\n" + "".join(
        f"1.0.0.127.in-addr.arpa. PTR {name}.\n{name}. A 127.0.0.9\n" for name in names
    )
    with DNSServer(zone) as dns_server:
        report = audit(dns_server, "example.test", builtins=MX_ONLY)
        asked = {name for name, rdtype in dns_server.questions if rdtype == "A"}

    assert mx_section(report).row("mx.ptr-mismatch") is not None
    assert len(asked & {f"{name}." for name in names}) == MAX_PTR_NAMES
