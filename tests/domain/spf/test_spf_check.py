"""The ``spf`` section of ``smtpdoctor domain``: one row per thing found about the domain's
SPF record, and one per ``--sending-ip``, each from a loopback DNS server's zone."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from smtpdoctor.domain.checks.spf import SPF
from smtpdoctor.model.domain import DomainReport, SectionResult
from smtpdoctor.model.results import CheckResult, Status

from tests.domain.domainkit import audit
from tests.targets.dnsserver import DNSServer

BUILTINS = ("smtpdoctor.domain.checks.mx", "smtpdoctor.domain.checks.spf")


def spf_section(zone: str, sending_ips: tuple[str, ...] = ()) -> SectionResult:
    with DNSServer(zone) as dns_server:
        report: DomainReport = audit(
            dns_server, "corp.test", builtins=BUILTINS, sending_ips=sending_ips
        )
    section = report.section("spf")
    assert section is not None
    return section


def row(section: SectionResult, finding: str) -> CheckResult:
    found = section.row(finding)
    assert found is not None, [r.outcome.finding for r in section.rows]
    return found


@dataclass(frozen=True)
class Case:
    """A zone for corp.test, the finding it must produce and words its summary must hold."""

    zone: str
    finding: str
    words: str
    sending_ips: tuple[str, ...] = ()


A_HOST = "host.corp.test. A 192.0.2.10"
CASES = {
    "a record ending in -all passes": Case(
        'corp.test. TXT "v=spf1 ip4:192.0.2.0/24 -all"', "spf.fail-all", "other addresses fail"
    ),
    "the record itself is shown": Case(
        'corp.test. TXT "v=spf1 ip4:192.0.2.0/24 -all"',
        "spf.record",
        '"v=spf1 ip4:192.0.2.0/24 -all"',
    ),
    "no record is a warning": Case(
        'corp.test. TXT "google-site-verification=abc"', "spf.missing", "no TXT record is v=spf1"
    ),
    "two records are a permerror": Case(
        'corp.test. TXT "v=spf1 -all"\ncorp.test. TXT "v=spf1 mx ~all"',
        "spf.multiple-records",
        "2 TXT records",
    ),
    "a record only of type SPF is not read by receivers": Case(
        'corp.test. SPF "v=spf1 -all"\ncorp.test. A 192.0.2.1',
        "spf.type-spf-only",
        "obsolete type SPF",
    ),
    "a syntax error names the term and why": Case(
        'corp.test. TXT "v=spf1 ip4:192.0.2.300 -all"',
        "spf.syntax-error",
        "'ip4:192.0.2.300': '192.0.2.300' is not an IPv4 address",
    ),
    "few look-ups are counted per include": Case(
        'corp.test. TXT "v=spf1 a include:one.corp.test -all"\n'
        "corp.test. A 192.0.2.1\n"
        'one.corp.test. TXT "v=spf1 a:host.corp.test -all"\n' + A_HOST,
        "spf.lookups",
        "3 DNS look-ups of 10 allowed (1 in the record itself, include:one.corp.test 2)",
    ),
    "nine look-ups are a warning": Case(
        'corp.test. TXT "v=spf1 a a a include:one.corp.test -all"\n'
        "corp.test. A 192.0.2.1\n"
        'one.corp.test. TXT "v=spf1 a:host.corp.test a:host.corp.test a:host.corp.test '
        'a:host.corp.test a:host.corp.test -all"\n' + A_HOST,
        "spf.lookups-near-limit",
        "9 DNS look-ups",
    ),
    "more than ten look-ups are a permerror": Case(
        'corp.test. TXT "v=spf1 include:one.corp.test include:two.corp.test -all"\n'
        'one.corp.test. TXT "v=spf1 a a a a a -all"\n'
        "one.corp.test. A 192.0.2.1\n"
        'two.corp.test. TXT "v=spf1 a a a a -all"\n'
        "two.corp.test. A 192.0.2.2",
        "spf.too-many-lookups",
        "11 DNS look-ups of 10 allowed (include:one.corp.test 6, include:two.corp.test 5)",
    ),
    "more than two void look-ups are a permerror": Case(
        'corp.test. TXT "v=spf1 a:gone1.corp.test a:gone2.corp.test mx:gone3.corp.test -all"',
        "spf.too-many-void-lookups",
        "corp.test: a:gone1.corp.test, corp.test: a:gone2.corp.test, corp.test: mx:gone3",
    ),
    "an include of a name that does not exist is named": Case(
        'corp.test. TXT "v=spf1 include:_spf.nowhere.corp.test -all"',
        "spf.broken-include",
        "corp.test: include:_spf.nowhere.corp.test: no such name (NXDOMAIN)",
    ),
    "an include of a domain without SPF is named": Case(
        'corp.test. TXT "v=spf1 redirect=other.corp.test"\nother.corp.test. A 192.0.2.1',
        "spf.broken-include",
        "redirect=other.corp.test: the name exists but has no TXT records",
    ),
    "the count stops at a loop, and does not pass": Case(
        'corp.test. TXT "v=spf1 include:loop.corp.test -all"\n'
        'loop.corp.test. TXT "v=spf1 include:corp.test -all"',
        "spf.lookups-uncounted",
        "at least 2 DNS look-ups of 10 allowed (include:loop.corp.test 2); the count stops "
        "at include:corp.test in loop.corp.test's record",
    ),
    "a domain that does not exist is not checked": Case(
        'other.test. TXT "v=spf1 -all"',
        "spf.not-applicable",
        "not checked: corp.test does not exist (NXDOMAIN)",
    ),
    "an include loop is named": Case(
        'corp.test. TXT "v=spf1 include:loop.corp.test -all"\n'
        'loop.corp.test. TXT "v=spf1 include:corp.test -all"',
        "spf.include-loop",
        "a loop: corp.test → loop.corp.test → corp.test",
    ),
    "an mx term with eleven MX hosts is a permerror": Case(
        'corp.test. TXT "v=spf1 mx -all"\n'
        + "\n".join(f"corp.test. MX {n} mx{n}.corp.test." for n in range(11)),
        "spf.mx-over-limit",
        "corp.test has 11 MX names",
    ),
    "ptr is deprecated": Case(
        'corp.test. TXT "v=spf1 ptr:corp.test -all"', "spf.ptr", "ptr is used: corp.test: ptr"
    ),
    "+all lets anyone send": Case(
        'corp.test. TXT "v=spf1 +all"', "spf.pass-all", "every address on the Internet passes"
    ),
    "?all says nothing": Case('corp.test. TXT "v=spf1 mx ?all"', "spf.neutral-all", "neutral"),
    "no all leaves others neutral": Case(
        'corp.test. TXT "v=spf1 ip4:192.0.2.1"', "spf.no-all", "ends without all"
    ),
    "~all soft-fails others": Case(
        'corp.test. TXT "v=spf1 ip4:192.0.2.1 ~all"', "spf.softfail-all", "soft-fail"
    ),
    "a redirect's all decides": Case(
        'corp.test. TXT "v=spf1 redirect=_spf.corp.test"\n_spf.corp.test. TXT "v=spf1 -all"',
        "spf.fail-all",
        "-all (from _spf.corp.test)",
    ),
    "terms after all are reported as never evaluated": Case(
        'corp.test. TXT "v=spf1 ip4:192.0.2.1 -all ip4:192.0.2.2 include:x.corp.test"',
        "spf.terms-after-all",
        "never evaluated, they come after all: corp.test: ip4:192.0.2.2, "
        "corp.test: include:x.corp.test",
    ),
    "a null-MX domain without SPF should publish -all": Case(
        "corp.test. MX 0 .", "spf.no-mail-domain", 'publish "v=spf1 -all"'
    ),
    "a null-MX domain that allows senders is told": Case(
        'corp.test. MX 0 .\ncorp.test. TXT "v=spf1 ip4:192.0.2.1 ~all"',
        "spf.no-mail-domain",
        'not "v=spf1 -all"',
    ),
    "a listed sending address passes": Case(
        'corp.test. TXT "v=spf1 ip4:192.0.2.0/24 -all"',
        "spf.sender-pass",
        "192.0.2.7: pass: 192.0.2.7 matched ip4:192.0.2.0/24 in corp.test's record",
        ("192.0.2.7",),
    ),
    "an unlisted sending address fails": Case(
        'corp.test. TXT "v=spf1 ip4:192.0.2.0/24 -all"',
        "spf.sender-fail",
        "receivers may reject mail from 198.51.100.1",
        ("198.51.100.1",),
    ),
    "a soft-failing sending address is a warning": Case(
        'corp.test. TXT "v=spf1 ~all"', "spf.sender-softfail", "softfail", ("2001:db8::1",)
    ),
    "a sending address without an SPF record is a warning": Case(
        "corp.test. A 192.0.2.1", "spf.sender-neutral", "none", ("192.0.2.1",)
    ),
    "a sending address checked against a broken record fails": Case(
        'corp.test. TXT "v=spf1 include:gone.corp.test -all"',
        "spf.sender-error",
        "permerror",
        ("192.0.2.1",),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_spf_section_reports(case: Case) -> None:
    section = spf_section(case.zone, sending_ips=case.sending_ips)

    found = row(section, case.finding)

    assert case.words in found.outcome.summary
    assert found.status is SPF_FINDINGS[case.finding].status


SPF_FINDINGS = {finding.id: finding for finding in SPF.findings}


def test_every_finding_of_the_check_is_reachable() -> None:
    reached = {case.finding for case in CASES.values()} | {"spf.dns-error"}
    assert reached == set(SPF_FINDINGS)


def test_a_dns_failure_of_the_record_is_a_failure_not_a_crash() -> None:
    with DNSServer('corp.test. TXT "v=spf1 -all"', servfail={"corp.test."}) as dns_server:
        report = audit(dns_server, "corp.test", builtins=BUILTINS)
    section = report.section("spf")
    assert section is not None
    failed = row(section, "spf.dns-error")
    assert failed.status is Status.FAIL
    assert "could not answer (SERVFAIL)" in failed.outcome.summary


def test_a_good_record_makes_a_passing_section() -> None:
    section = spf_section(
        'corp.test. TXT "v=spf1 mx -all"\ncorp.test. MX 10 mx.corp.test.\n'
        "mx.corp.test. A 192.0.2.25",
        sending_ips=("192.0.2.25",),
    )

    assert section.status is Status.PASS
    assert [r.outcome.finding for r in section.rows] == [
        "spf.record",
        "spf.lookups",
        "spf.fail-all",
        "spf.sender-pass",
    ]


def test_each_sending_address_gets_a_row_naming_the_matched_term() -> None:
    section = spf_section(
        'corp.test. TXT "v=spf1 include:_spf.corp.test -all"\n'
        '_spf.corp.test. TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"',
        sending_ips=("192.0.2.1", "2001:db8::25", "203.0.113.9"),
    )

    rows = [r for r in section.rows if r.outcome.finding and ".sender-" in r.outcome.finding]
    assert [r.outcome.details["address"] for r in rows] == [
        "192.0.2.1",
        "2001:db8::25",
        "203.0.113.9",
    ]
    assert [r.outcome.details["result"] for r in rows] == ["pass", "pass", "fail"]
    assert rows[0].outcome.details["mechanism"] == "include:_spf.corp.test"
    assert rows[0].outcome.details["chain"] == ("corp.test: include:_spf.corp.test",)
    assert "ip4:192.0.2.0/24 in _spf.corp.test's record" in rows[0].outcome.summary
    assert rows[2].outcome.details["mechanism"] == "-all"


def test_the_look_up_breakdown_is_in_the_details() -> None:
    section = spf_section(
        'corp.test. TXT "v=spf1 include:a.corp.test include:b.corp.test ~all"\n'
        'a.corp.test. TXT "v=spf1 include:b.corp.test -all"\n'
        'b.corp.test. TXT "v=spf1 ip4:192.0.2.1 -all"'
    )

    details = row(section, "spf.lookups").outcome.details
    assert details["lookups"] == 3
    assert details["breakdown"] == ("include:a.corp.test: 2", "include:b.corp.test: 1")


def test_a_hostile_record_is_a_syntax_error_row() -> None:
    garbage = "v=spf1 " + " ".join(f"a:%{{x{n}}}" for n in range(50))
    section = spf_section(f'corp.test. TXT "{garbage}"')

    assert row(section, "spf.syntax-error").status is Status.FAIL
    assert section.row("domain.check-crashed") is None


def test_records_that_include_the_same_domain_twice_on_every_level_are_walked_in_bounds() -> None:
    levels = 25
    zone = "\n".join(
        f'l{n}.corp.test. TXT "v=spf1 include:l{n + 1}.corp.test include:l{n + 1}.corp.test -all"'
        for n in range(levels)
    )
    zone += '\ncorp.test. TXT "v=spf1 include:l0.corp.test -all"'
    zone += f'\nl{levels}.corp.test. TXT "v=spf1 -all"'

    section = spf_section(zone)

    lookups = row(section, "spf.too-many-lookups")
    assert "at least" in lookups.outcome.summary
    assert "the rest were not followed" in lookups.outcome.summary


def test_terms_after_all_cost_nothing_and_are_not_void_look_ups() -> None:
    section = spf_section(
        'corp.test. TXT "v=spf1 ip4:192.0.2.1 ~all a:v1.corp.test a:v2.corp.test '
        'a:v3.corp.test include:gone.corp.test"\ncorp.test. A 192.0.2.1'
    )

    assert section.row("spf.too-many-void-lookups") is None
    assert section.row("spf.broken-include") is None
    assert row(section, "spf.lookups").outcome.details["lookups"] == 0
    assert row(section, "spf.terms-after-all").status is Status.WARN
    assert row(section, "spf.softfail-all").status is Status.INFO


def test_an_include_whose_records_cannot_be_read_is_a_dns_error_not_a_broken_include() -> None:
    with DNSServer(
        'corp.test. TXT "v=spf1 include:_spf.corp.test -all"\n'
        '_spf.corp.test. TXT "v=spf1 ip4:192.0.2.0/24 -all"',
        servfail={"_spf.corp.test."},
    ) as dns_server:
        report = audit(dns_server, "corp.test", builtins=BUILTINS)
    section = report.section("spf")
    assert section is not None

    failed = row(section, "spf.dns-error")
    assert section.row("spf.broken-include") is None
    assert "include:_spf.corp.test: the TXT records of _spf.corp.test could not be read" in (
        failed.outcome.summary
    )
    assert failed.outcome.details["question"] == "TXT _spf.corp.test"


def test_the_null_mx_comes_from_the_mx_section_without_asking_again() -> None:
    with DNSServer("corp.test. MX 0 .") as dns_server:
        report = audit(dns_server, "corp.test", builtins=BUILTINS)
        mx_questions = [q for q in dns_server.questions if q == ("corp.test.", "MX")]

    assert report.row("mx.null") is not None
    assert report.row("spf.no-mail-domain") is not None
    assert len(mx_questions) == 1


def test_a_failing_sending_address_is_not_said_to_be_rejected_for_certain() -> None:
    section = spf_section('corp.test. TXT "v=spf1 -all"', sending_ips=("192.0.2.1",))

    failed = row(section, "spf.sender-fail")
    assert "will reject" not in failed.outcome.summary
    assert "aligned DKIM" in failed.outcome.summary
    assert "will reject" not in SPF_FINDINGS["spf.sender-fail"].title


def test_a_record_of_type_spf_is_shown_whole() -> None:
    long = "v=spf1 " + " ".join(f"ip4:192.0.2.{n}" for n in range(60)) + " -all"
    section = spf_section(f'corp.test. SPF "{long}"\ncorp.test. A 192.0.2.1')

    assert row(section, "spf.type-spf-only").outcome.details["type_spf"] == (long,)


def test_one_look_up_is_singular() -> None:
    section = spf_section('corp.test. TXT "v=spf1 a -all"\ncorp.test. A 192.0.2.1')
    assert row(section, "spf.lookups").outcome.summary.startswith("1 DNS look-up of 10 allowed")


def test_a_domain_that_does_not_exist_gets_one_skip_row_and_no_advice() -> None:
    section = spf_section('other.test. TXT "v=spf1 -all"', sending_ips=("192.0.2.1",))
    assert [(r.outcome.finding, r.status) for r in section.rows] == [
        ("spf.not-applicable", Status.SKIP)
    ]
    assert section.rows[0].hints == ()


def test_a_long_record_is_shortened_in_the_summary_and_whole_in_the_details() -> None:
    terms = " ".join(f"ip4:192.0.2.{n}" for n in range(40))
    text = f"v=spf1 {terms} -all"
    strings = " ".join(f'"{text[i : i + 255]}"' for i in range(0, len(text), 255))
    section = spf_section(f"corp.test. TXT {strings}")
    record = row(section, "spf.record")
    assert len(record.outcome.summary) < 400
    assert record.outcome.summary.endswith('…"')
    assert record.outcome.details["record"] == text
