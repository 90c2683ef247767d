"""DMARC: the record parser, the organisational domain, alignment, policy discovery and the
``dmarc`` domain check against a loopback DNS server."""

from __future__ import annotations

import pytest

from smtpdoctor.domain import DomainDNS, DomainReport
from smtpdoctor.domain.checks import dmarc as check
from smtpdoctor.mailauth.dmarc import (
    DMARCSyntaxError,
    LookupProblem,
    aligned,
    lookup_dmarc,
    organizational_domain,
    parse_dmarc,
)
from smtpdoctor.model.results import Status

from tests.domain.domainkit import audit
from tests.targets.dnsserver import DNSServer

DMARC_ONLY = ("smtpdoctor.domain.checks.mx", "smtpdoctor.domain.checks.dmarc")


def exists(zone: str, domain: str = "corp.test") -> str:
    """``zone`` with a record at ``domain`` itself, so that the name exists (the ``mx`` check
    finds NXDOMAIN for a name with only names below it, and then nothing else is judged)."""
    return f'{zone}\n{domain}. TXT "site-verification=1"'


def dmarc_audit(zone: str, domain: str = "corp.test") -> DomainReport:
    with DNSServer(exists(zone, domain)) as dns_server:
        return audit(dns_server, domain, builtins=DMARC_ONLY)


def findings(report: DomainReport) -> list[str]:
    section = report.section("dmarc")
    assert section is not None
    return [row.outcome.finding or "" for row in section.rows]


# -- the parser -------------------------------------------------------------------------------


def test_a_full_record_is_read_with_its_tags_and_report_uris() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=quarantine; sp=reject; np=reject; adkim=s; aspf=r; "
        "rua=mailto:agg@corp.test!10m, mailto:dmarc@reports.example; ruf=mailto:f@corp.test; "
        "fo=1:d; t=y; psd=n"
    )
    assert (record.policy, record.subdomain_policy, record.nonexistent_policy) == (
        "quarantine",
        "reject",
        "reject",
    )
    assert (record.adkim, record.aspf, record.fo, record.testing, record.psd) == (
        "s",
        "r",
        "1:d",
        True,
        "n",
    )
    assert [(uri.address, uri.max_size) for uri in record.rua] == [
        ("agg@corp.test", "10m"),
        ("dmarc@reports.example", ""),
    ]
    assert record.ruf[0].domain == "corp.test"
    assert record.problems == ()


def test_absent_tags_take_their_defaults_and_sp_np_follow_p() -> None:
    record = parse_dmarc("v=DMARC1; p=reject")
    assert (record.subdomain_policy, record.nonexistent_policy) == ("reject", "reject")
    assert (record.adkim, record.aspf, record.pct, record.rua) == ("r", "r", None, ())


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("p=reject; v=DMARC1", "does not start with v=DMARC1"),
        ("v=DMARC2; p=reject", "does not start with v=DMARC1"),
        ("v=dmarc1; p=reject", "does not start with v=DMARC1"),
        ("v=DMARC1; p=reject; p=none", "appears twice"),
        ("v=DMARC1", "p= is missing"),
        ("v=DMARC1; p=block", "p=block is not a policy"),
        ("v=DMARC1; p=reject; sp=block", "sp=block is not a policy"),
        ("v=DMARC1; p=block; rua=reports@corp.test", "without a valid rua= URI"),
    ],
)
def test_a_record_receivers_would_ignore_is_refused_in_words(text: str, words: str) -> None:
    with pytest.raises(DMARCSyntaxError, match=words):
        parse_dmarc(text)


def test_a_broken_p_with_a_working_rua_counts_as_p_none() -> None:
    record = parse_dmarc("v=DMARC1; p=block; rua=mailto:d@corp.test")
    assert record.policy == "none"
    assert record.problems == (
        "p=block is not a policy: receivers act as if the record were p=none",
    )


def test_a_broken_sp_counts_like_a_broken_p_as_rfc_7489_section_6_6_3_says() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; sp=block; np=reject; rua=mailto:d@corp.test")
    assert (record.policy, record.subdomain_policy, record.nonexistent_policy) == (
        "none",
        "none",
        "none",
    )
    assert record.problems == (
        "sp=block is not a policy: receivers act as if the record were p=none",
    )


def test_any_syntactically_valid_rua_uri_rescues_a_broken_policy() -> None:
    record = parse_dmarc("v=DMARC1; p=block; rua=https://reports.example/dmarc")
    assert record.policy == "none"
    assert record.rua[0].uri == "https://reports.example/dmarc"
    assert record.mailto_rua == ()


def test_a_part_that_is_no_tag_is_named_and_the_rest_of_the_record_still_applies() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; garbage; rua=mailto:d@corp.test")
    assert record.policy == "reject"
    assert record.mailto_rua[0].address == "d@corp.test"
    assert record.problems == ("'garbage' is not a tag=value pair: receivers ignore it",)


def test_a_record_with_many_tags_is_read_whole() -> None:
    extra = "; ".join(f"x{n}=1" for n in range(40))
    record = parse_dmarc(f"v=DMARC1; p=quarantine; {extra}; sp=reject")
    assert (record.policy, record.subdomain_policy) == ("quarantine", "reject")
    assert len(record.unknown_tags) == 40


def test_the_applied_policy_names_its_tag_and_what_t_y_softens_it_to() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; sp=quarantine; np=reject; t=y")
    own = record.applied(inherited=False)
    subdomain = record.applied(inherited=True)
    ghost = record.applied(inherited=True, exists=False)
    assert (own.tag, own.policy, own.softened) == ("p", "reject", "quarantine")
    assert (subdomain.tag, subdomain.policy, subdomain.softened) == ("sp", "quarantine", "none")
    assert (ghost.tag, ghost.policy, ghost.softened) == ("np", "reject", "quarantine")


def test_mistakes_in_other_tags_are_named_and_their_defaults_used() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=reject; adkim=x; pct=150; fo=2; rua=https://r.example/x, mailto:nobody"
    )
    assert (record.adkim, record.pct, record.fo) == ("r", None, "0")
    assert len(record.problems) == 5
    assert any(problem.startswith("adkim=x is not one of r, s") for problem in record.problems)
    assert any("not a mailto: URI" in problem for problem in record.problems)
    assert any("no valid mail address" in problem for problem in record.problems)


def test_unknown_and_removed_tags_are_listed() -> None:
    record = parse_dmarc("v=DMARC1; p=none; pct=100; ri=3600; polcy=reject")
    assert record.unknown_tags == ("polcy",)
    assert record.removed_tags == ("pct", "ri")


def test_a_huge_rua_list_is_read_only_up_to_the_bound() -> None:
    uris = ",".join(f"mailto:r{n}@corp.test" for n in range(40))
    record = parse_dmarc(f"v=DMARC1; p=none; rua={uris}")
    assert len(record.rua) == 16
    assert "only 16 were read" in record.problems[0]


# -- organisational domain and alignment ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "org"),
    [
        ("example.com", "example.com"),
        ("Mail.Example.COM.", "example.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("www.city.kobe.jp", "city.kobe.jp"),
        ("co.uk", "co.uk"),
        ("mail.corp.test", "corp.test"),
    ],
)
def test_the_organisational_domain_comes_from_the_public_suffix_list(name: str, org: str) -> None:
    assert organizational_domain(name) == org


def test_relaxed_alignment_compares_organisational_domains_strict_the_names() -> None:
    assert aligned("news.example.com", "bounce.example.com", "r")
    assert not aligned("example.com", "example.net", "r")
    assert not aligned("news.example.com", "example.com", "s")
    assert aligned("Example.com.", "example.com", "s")


def test_an_alignment_mode_other_than_r_or_s_is_refused() -> None:
    with pytest.raises(ValueError, match="not 'x'"):
        aligned("example.com", "example.com", "x")


# -- policy discovery -----------------------------------------------------------------------------


def test_lookup_falls_back_to_the_organisational_domain_and_says_so() -> None:
    zone = '_dmarc.corp.test. TXT "v=DMARC1; p=reject; sp=quarantine"'
    with DNSServer(zone) as dns_server:
        dns = DomainDNS((dns_server.name_server,), timeout=2.0, deadline_at=1e12)
        lookup = lookup_dmarc(dns, "mail.corp.test")
    assert lookup.record is not None
    assert (lookup.found_at, lookup.inherited, lookup.effective_policy) == (
        "_dmarc.corp.test",
        True,
        "quarantine",
    )
    assert lookup.asked[0] == "TXT _dmarc.mail.corp.test: no such name (NXDOMAIN)"


def test_lookup_ignores_txt_records_that_are_not_dmarc() -> None:
    zone = """
    _dmarc.corp.test. TXT "google-site-verification=abc"
    _dmarc.corp.test. TXT "v=DMARC1; p=none"
    """
    with DNSServer(zone) as dns_server:
        dns = DomainDNS((dns_server.name_server,), timeout=2.0, deadline_at=1e12)
        lookup = lookup_dmarc(dns, "corp.test")
    assert lookup.record is not None
    assert lookup.record.policy == "none"


def test_a_dns_failure_stops_discovery_without_falling_back() -> None:
    zone = '_dmarc.corp.test. TXT "v=DMARC1; p=reject"'
    with DNSServer(zone, servfail={"_dmarc.mail.corp.test."}) as dns_server:
        dns = DomainDNS((dns_server.name_server,), timeout=2.0, deadline_at=1e12)
        lookup = lookup_dmarc(dns, "mail.corp.test")
        asked = dns_server.questions
    assert (lookup.record, lookup.problem) == (None, LookupProblem.DNS)
    assert "SERVFAIL" in lookup.failure
    assert ("_dmarc.corp.test.", "TXT") not in asked


# -- the dmarc domain check --------------------------------------------------------------------


def test_an_enforcing_record_with_reports_to_the_domain_itself_passes() -> None:
    report = dmarc_audit('_dmarc.corp.test. TXT "v=DMARC1; p=reject; rua=mailto:d@corp.test"')
    section = report.section("dmarc")
    assert section is not None
    assert findings(report) == [check.ENFORCED.id, check.REPORTS.id]
    assert section.status is Status.PASS
    assert "_dmarc.corp.test: v=DMARC1; p=reject" in section.rows[0].summary
    assert "rejected" in section.rows[0].summary


def test_p_none_warns_that_it_protects_nothing() -> None:
    report = dmarc_audit('_dmarc.corp.test. TXT "v=DMARC1; p=none; rua=mailto:d@corp.test"')
    row = report.row(check.POLICY_NONE.id)
    assert row is not None
    assert row.status is Status.WARN
    assert "protects nothing" in row.summary
    assert row.hints[0].title.startswith("Move the DMARC policy to quarantine")


def test_no_record_anywhere_fails_and_names_both_places_asked() -> None:
    report = dmarc_audit("mail.corp.test. A 192.0.2.1", domain="mail.corp.test")
    row = report.row(check.MISSING.id)
    assert row is not None
    assert row.status is Status.FAIL
    assert "_dmarc.mail.corp.test or _dmarc.corp.test" in row.summary


def test_a_subdomain_left_unprotected_by_sp_none_gets_one_row_about_sp() -> None:
    zone = """
    mail.corp.test. A 192.0.2.1
    _dmarc.corp.test. TXT "v=DMARC1; p=reject; sp=none; rua=mailto:d@corp.test"
    """
    report = dmarc_audit(zone, domain="mail.corp.test")
    assert findings(report) == [check.INHERITED.id, check.WEAK_SUBDOMAINS.id, check.REPORTS.id]
    weak = report.row(check.WEAK_SUBDOMAINS.id)
    assert weak is not None and weak.status is Status.WARN
    assert "gets sp=none" in weak.summary
    assert weak.hints == (check.WEAK_SUBDOMAINS.hint,)
    assert "p=quarantine" not in " ".join(step for hint in weak.hints for step in hint.steps)
    inherited = report.row(check.INHERITED.id)
    assert inherited is not None
    assert "organisational domain corp.test" in inherited.summary
    assert "sp=none" in inherited.summary


def test_several_records_fail_because_receivers_apply_none() -> None:
    zone = """
    _dmarc.corp.test. TXT "v=DMARC1; p=reject"
    _dmarc.corp.test. TXT "v=DMARC1; p=none"
    """
    report = dmarc_audit(zone)
    row = report.row(check.SEVERAL.id)
    assert row is not None
    assert row.status is Status.FAIL
    records = row.outcome.details["records"]
    assert isinstance(records, tuple)
    assert set(records) == {"v=DMARC1; p=reject", "v=DMARC1; p=none"}


def test_a_broken_record_fails_naming_the_mistake_and_quoting_it() -> None:
    report = dmarc_audit('_dmarc.corp.test. TXT "v=DMARC1; p=maybe"')
    row = report.row(check.INVALID.id)
    assert row is not None
    assert "p=maybe is not a policy" in row.summary
    assert "(record: v=DMARC1; p=maybe)" in row.summary


def test_a_dns_time_out_is_a_warning_that_says_what_was_asked() -> None:
    with DNSServer("corp.test. A 192.0.2.1", drop={"_dmarc.corp.test."}) as dns_server:
        report = audit(dns_server, "corp.test", builtins=DMARC_ONLY, timeout=0.3)
    row = report.row(check.LOOKUP_FAILED.id)
    assert row is not None
    assert row.status is Status.WARN
    assert "TXT _dmarc.corp.test: no answer from" in row.summary


def test_no_rua_warns_that_nobody_gets_reports() -> None:
    report = dmarc_audit('_dmarc.corp.test. TXT "v=DMARC1; p=quarantine"')
    assert findings(report) == [check.ENFORCED.id, check.NO_REPORTS.id]
    row = report.row(check.NO_REPORTS.id)
    assert row is not None
    assert row.status is Status.WARN


def test_tag_mistakes_unknown_removed_and_partial_tags_each_get_a_row() -> None:
    zone = (
        '_dmarc.corp.test. TXT "v=DMARC1; p=reject; pct=20; ri=86400; adkim=x; polcy=1; t=y; '
        'rua=mailto:d@corp.test"'
    )
    report = dmarc_audit(zone)
    assert findings(report) == [
        check.ENFORCED.id,
        check.TAG_PROBLEMS.id,
        check.UNKNOWN_TAGS.id,
        check.PARTIAL.id,
        check.REMOVED_TAGS.id,
        check.TESTING.id,
        check.REPORTS.id,
    ]
    removed = report.row(check.REMOVED_TAGS.id)
    assert removed is not None
    assert removed.outcome.details["tags"] == ("ri",)


def test_a_subdomain_that_does_not_exist_gets_the_np_policy() -> None:
    zone = """
    mail.corp.test. A 192.0.2.1
    _dmarc.corp.test. TXT "v=DMARC1; p=reject; sp=none; np=reject; rua=mailto:d@corp.test"
    """
    ghost = dmarc_audit(zone, domain="ghost.corp.test")
    assert findings(ghost)[:2] == [check.INHERITED.id, check.ENFORCED.id]
    inherited = ghost.row(check.INHERITED.id)
    policy = ghost.row(check.ENFORCED.id)
    assert inherited is not None and policy is not None
    assert "np=reject (ghost.corp.test has no A, AAAA or MX record)" in inherited.summary
    assert (policy.outcome.details["policy_tag"], policy.outcome.details["policy"]) == (
        "np",
        "reject",
    )
    existing = dmarc_audit(zone, domain="mail.corp.test")
    assert findings(existing)[:2] == [check.INHERITED.id, check.WEAK_SUBDOMAINS.id]


def test_testing_mode_names_the_inherited_sp_and_what_it_is_softened_to() -> None:
    zone = """
    mail.corp.test. A 192.0.2.1
    _dmarc.corp.test. TXT "v=DMARC1; p=reject; sp=quarantine; t=y; rua=mailto:d@corp.test"
    """
    report = dmarc_audit(zone, domain="mail.corp.test")
    testing = report.row(check.TESTING.id)
    policy = report.row(check.ENFORCED.id)
    assert testing is not None and policy is not None
    assert "apply sp=quarantine one level softer, as none" in testing.summary
    assert "p=reject" not in testing.summary
    assert "t=y: receivers following DMARCbis apply none instead" in policy.summary
    assert policy.outcome.details["testing_policy"] == "none"


def test_pct_under_p_none_is_only_a_removed_tag_not_a_partial_policy() -> None:
    report = dmarc_audit('_dmarc.corp.test. TXT "v=DMARC1; p=none; pct=50; rua=mailto:d@corp.test"')
    assert check.PARTIAL.id not in findings(report)
    removed = report.row(check.REMOVED_TAGS.id)
    assert removed is not None
    assert removed.outcome.details["tags"] == ("pct",)


def test_external_report_destinations_are_verified_as_rfc_7489_section_7_1_asks() -> None:
    zone = """
    _dmarc.corp.test. TXT "v=DMARC1; p=reject; rua=mailto:a@ok.example,mailto:b@nope.example; ruf=mailto:f@corp.test"
    corp.test._report._dmarc.ok.example. TXT "v=DMARC1"
    nope.example. A 192.0.2.9
    """  # noqa: E501
    with DNSServer(exists(zone)) as dns_server:
        report = audit(dns_server, "corp.test", builtins=DMARC_ONLY)
        asked = dns_server.questions
    authorised = report.row(check.DESTINATION_AUTHORISED.id)
    refused = report.row(check.DESTINATION_UNAUTHORISED.id)
    assert authorised is not None
    assert "ok.example accepts reports for corp.test" in authorised.summary
    assert refused is not None
    assert refused.status is Status.WARN
    assert refused.summary.startswith("reports to nope.example will be discarded")
    assert ("corp.test._report._dmarc.corp.test.", "TXT") not in asked


def test_at_most_eight_external_destinations_are_asked() -> None:
    rua = ",".join(f"mailto:r@d{n}.example" for n in range(10))
    with DNSServer(exists(f'_dmarc.corp.test. TXT "v=DMARC1; p=none; rua={rua}"')) as dns_server:
        report = audit(dns_server, "corp.test", builtins=DMARC_ONLY)
        asked = [name for name, _ in dns_server.questions if "._report._dmarc." in name]
    assert len(asked) == 8
    row = report.row(check.DESTINATION_UNVERIFIED.id)
    assert row is not None
    assert row.outcome.details["not_verified"] == ("d8.example", "d9.example")


def test_every_warning_and_failure_has_a_hint_that_says_where_to_read() -> None:
    problems = [f for f in check.DMARC.findings if f.status in (Status.WARN, Status.FAIL)]
    assert problems
    for finding in problems:
        assert finding.hint is not None and finding.hint.url, finding.id


def test_a_record_reached_through_a_cname_names_where_it_points() -> None:
    zone = """
    _dmarc.corp.test. CNAME corp.test.dmarc.esp.example.
    corp.test.dmarc.esp.example. TXT "v=DMARC1; p=quarantine; rua=mailto:d@corp.test"
    """
    report = dmarc_audit(zone)
    row = report.row(check.ENFORCED.id)
    assert row is not None
    assert row.summary.startswith("_dmarc.corp.test (a CNAME to corp.test.dmarc.esp.example):")


def test_pct_0_shows_and_is_judged_by_the_policy_one_level_softer() -> None:
    rejecting = dmarc_audit('_dmarc.corp.test. TXT "v=DMARC1; p=reject; pct=0"')
    row = rejecting.row(check.ENFORCED.id)
    assert row is not None
    assert "p=reject with pct=0" in row.summary
    assert "is to be quarantined" in row.summary and "rejected" not in row.summary
    assert row.outcome.details["policy"] == "quarantine"
    quarantining = dmarc_audit('_dmarc.corp.test. TXT "v=DMARC1; p=quarantine; pct=0"')
    assert findings(quarantining)[0] == check.POLICY_NONE.id


def test_a_hostile_record_is_quoted_bounded_and_read_whole() -> None:
    junk = "; ".join(f"x{n}=1" for n in range(400))
    report = dmarc_audit(f'_dmarc.corp.test. TXT "v=DMARC1; {junk}; p=reject"')
    policy = report.row(check.ENFORCED.id)
    unknown = report.row(check.UNKNOWN_TAGS.id)
    assert policy is not None and unknown is not None
    assert len(policy.summary) < 500 and "…" in policy.summary
    assert len(str(policy.outcome.details["record"])) > 3000
    assert unknown.summary == "receivers ignore x0=, x1=, x2=, x3=, x4= (and 395 more)."
    assert unknown.outcome.details["count"] == 400
    assert len(unknown.outcome.details["tags"]) == check.MAX_LISTED_TAGS  # type: ignore[arg-type]


def test_the_missing_rua_advice_keeps_the_published_policy() -> None:
    report = dmarc_audit('_dmarc.corp.test. TXT "v=DMARC1; p=reject"')
    row = report.row(check.NO_REPORTS.id)
    assert row is not None
    assert "append ; rua=mailto:dmarc-reports@corp.test to the record" in row.summary
    said = " ".join([*(h.title for h in row.hints), *(s for h in row.hints for s in h.steps)])
    assert "p=none" not in said


def test_a_domain_that_does_not_exist_gets_one_skip_row() -> None:
    with DNSServer('_dmarc.corp.test. TXT "v=DMARC1; p=none"') as dns_server:
        report = audit(dns_server, "corp.test", builtins=DMARC_ONLY)
    assert findings(report) == [check.NOT_APPLICABLE.id]
    row = report.row(check.NOT_APPLICABLE.id)
    assert row is not None and row.status is Status.SKIP and not row.hints
    assert row.summary == "not checked: corp.test does not exist (NXDOMAIN)"
