"""The ``bulk-senders`` summary: Gmail and Yahoo's sender requirements, each met, not met or
unknown, judged from the real ``spf``, ``dmarc`` and ``dkim`` sections of a loopback DNS
server's zone, and from the reverse DNS of the sending addresses."""

from __future__ import annotations

from typing import Any

from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.domain import DomainDoctor, DomainReport, DomainRequest
from smtpdoctor.domain.checks import bulk
from smtpdoctor.model.results import Status

from tests.domain.domainkit import audit
from tests.targets.dnsserver import DNSServer

BUILTINS = (
    "smtpdoctor.domain.checks.mx",
    "smtpdoctor.domain.checks.spf",
    "smtpdoctor.domain.checks.dmarc",
    "smtpdoctor.domain.checks.dkim",
    "smtpdoctor.domain.checks.bulk",
)
ED25519_P = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

SPF_RECORD = 'corp.test. TXT "v=spf1 ip4:192.0.2.10 -all"'
DMARC_RECORD = '_dmarc.corp.test. TXT "v=DMARC1; p=reject; rua=mailto:d@corp.test"'
DKIM_KEY = f's1._domainkey.corp.test. TXT "v=DKIM1; k=ed25519; p={ED25519_P}"'
REVERSE_DNS = """
10.2.0.192.in-addr.arpa. PTR mail.corp.test.
mail.corp.test. A 192.0.2.10
11.2.0.192.in-addr.arpa. PTR elsewhere.corp.test.
elsewhere.corp.test. A 192.0.2.99
"""
GOOD_ZONE = "\n".join(("corp.test. A 192.0.2.1", SPF_RECORD, DMARC_RECORD, DKIM_KEY, REVERSE_DNS))


def bulk_audit(
    zone: str = GOOD_ZONE, *, servfail: tuple[str, ...] = (), **request: Any
) -> DomainReport:
    with DNSServer(zone, servfail=servfail) as dns_server:
        return audit(dns_server, "corp.test", builtins=BUILTINS, **request)


def summary(report: DomainReport) -> dict[str, Status]:
    section = report.section("bulk-senders")
    assert section is not None
    return {row.outcome.finding or "": row.status for row in section.rows}


def words(report: DomainReport, finding: str) -> str:
    row = report.row(finding)
    assert row is not None, summary(report)
    return row.summary


def test_a_domain_meeting_every_dns_requirement_passes_each_and_leaves_the_rest_info() -> None:
    report = bulk_audit(dkim_selectors=("s1",), sending_ips=("192.0.2.10",))
    assert summary(report) == {
        "bulk-senders.spf-or-dkim-met": Status.PASS,
        "bulk-senders.reverse-dns-met": Status.PASS,
        "bulk-senders.tls": Status.INFO,
        "bulk-senders.spam-rate": Status.INFO,
        "bulk-senders.spf-and-dkim-met": Status.PASS,
        "bulk-senders.dmarc-met": Status.PASS,
        "bulk-senders.alignment": Status.INFO,
        "bulk-senders.unsubscribe": Status.INFO,
    }
    section = report.section("bulk-senders")
    assert section is not None
    assert section.title == "Gmail and Yahoo sender requirements"


def test_each_requirement_cites_the_rows_that_show_it() -> None:
    report = bulk_audit(dkim_selectors=("s1",), sending_ips=("192.0.2.10",))
    dmarc = report.row("bulk-senders.dmarc-met")
    both = report.row("bulk-senders.spf-and-dkim-met")
    assert dmarc is not None and both is not None
    evidence = dmarc.outcome.details["evidence"]
    assert isinstance(evidence, tuple)
    assert evidence[0].startswith("dmarc: PASS dmarc.policy-enforced: _dmarc.corp.test")
    assert both.outcome.details["evidence"] == (
        'spf: PASS spf.record: corp.test publishes "v=spf1 ip4:192.0.2.10 -all"',
        "dkim: PASS dkim.key: selector s1: Ed25519 key (RFC 8463).",
    )
    assert "192.0.2.10 → mail.corp.test → 192.0.2.10" in words(
        report, "bulk-senders.reverse-dns-met"
    )


def test_without_a_selector_dkim_is_unknown_and_says_which_option_to_give() -> None:
    report = bulk_audit()
    states = summary(report)
    assert report.section("dkim") is None
    assert states["bulk-senders.spf-or-dkim-met"] is Status.PASS
    assert states["bulk-senders.spf-and-dkim-unknown"] is Status.INFO
    assert states["bulk-senders.reverse-dns-unknown"] is Status.INFO
    assert "DKIM is unknown (give --dkim-selector)" in words(
        report, "bulk-senders.spf-and-dkim-unknown"
    )
    assert "give --sending-ip" in words(report, "bulk-senders.reverse-dns-unknown")


def test_a_domain_without_an_spf_record_does_not_meet_spf() -> None:
    report = bulk_audit("corp.test. A 192.0.2.1\n" + DKIM_KEY, dkim_selectors=("s1",))
    assert report.row("spf.missing") is not None
    states = summary(report)
    assert states["bulk-senders.spf-or-dkim-met"] is Status.PASS  # DKIM alone is enough
    assert states["bulk-senders.spf-and-dkim-missing"] is Status.WARN
    assert words(report, "bulk-senders.spf-and-dkim-missing").startswith(
        "Bulk senders — SPF and DKIM: not met — no usable SPF record"
    )


def test_without_spf_and_without_a_selector_the_all_senders_requirement_is_not_shown_met() -> None:
    report = bulk_audit("corp.test. A 192.0.2.1")
    assert summary(report)["bulk-senders.spf-or-dkim-unknown"] is Status.INFO


def test_no_spf_no_dkim_key_and_no_dmarc_are_not_met() -> None:
    report = bulk_audit("corp.test. A 192.0.2.1", dkim_selectors=("s1",))
    states = summary(report)
    assert states["bulk-senders.spf-or-dkim-missing"] is Status.FAIL
    assert states["bulk-senders.spf-and-dkim-missing"] is Status.WARN
    assert states["bulk-senders.dmarc-missing"] is Status.WARN
    row = report.row("bulk-senders.spf-or-dkim-missing")
    assert row is not None
    assert row.summary.startswith(
        "All senders — SPF or DKIM: not met — no usable SPF record; no selector given has a "
        "usable DKIM key"
    )
    assert "spf: WARN spf.missing: corp.test has no SPF record" in str(
        row.outcome.details["evidence"]
    )
    assert row.hints


def test_a_record_that_passes_everyone_does_not_meet_spf() -> None:
    zone = GOOD_ZONE.replace(SPF_RECORD, 'corp.test. TXT "v=spf1 +all"')
    report = bulk_audit(zone, dkim_selectors=("s1",))
    assert summary(report)["bulk-senders.spf-and-dkim-missing"] is Status.WARN
    row = report.row("bulk-senders.spf-and-dkim-missing")
    assert row is not None
    assert "the SPF record is broken" in row.summary
    assert row.outcome.details["evidence"] == (
        "spf: FAIL spf.pass-all: +all: every address on the Internet passes",
        "dkim: PASS dkim.key: selector s1: Ed25519 key (RFC 8463).",
    )


def test_a_record_over_the_look_up_limit_does_not_meet_spf() -> None:
    includes = " ".join(f"include:i{n}.corp.test" for n in range(11))
    zone = GOOD_ZONE.replace(SPF_RECORD, f'corp.test. TXT "v=spf1 {includes} -all"') + "".join(
        f'\ni{n}.corp.test. TXT "v=spf1 -all"' for n in range(11)
    )
    report = bulk_audit(zone)
    assert report.row("spf.too-many-lookups") is not None
    assert summary(report)["bulk-senders.spf-or-dkim-unknown"] is Status.INFO
    assert "the SPF record is broken" in words(report, "bulk-senders.spf-or-dkim-unknown")


def test_a_sending_ip_that_fails_spf_does_not_meet_spf() -> None:
    report = bulk_audit(dkim_selectors=("s1",), sending_ips=("192.0.2.11",))
    assert report.row("spf.sender-fail") is not None
    states = summary(report)
    assert states["bulk-senders.spf-or-dkim-met"] is Status.PASS  # the DKIM key
    assert states["bulk-senders.spf-and-dkim-missing"] is Status.WARN
    assert "SPF does not pass for 192.0.2.11 (fail)" in words(
        report, "bulk-senders.spf-and-dkim-missing"
    )


def test_an_spf_dns_failure_leaves_the_requirement_unknown() -> None:
    report = bulk_audit(servfail=("corp.test.",), dkim_selectors=("s1",))
    assert report.row("spf.dns-error") is not None
    states = summary(report)
    assert states["bulk-senders.spf-or-dkim-met"] is Status.PASS
    assert states["bulk-senders.spf-and-dkim-unknown"] is Status.INFO
    assert "SPF could not be looked up" in words(report, "bulk-senders.spf-and-dkim-unknown")


def test_an_include_that_cannot_be_read_leaves_spf_unknown_not_broken() -> None:
    zone = (
        GOOD_ZONE.replace(SPF_RECORD, 'corp.test. TXT "v=spf1 include:_spf.corp.test -all"')
        + '\n_spf.corp.test. TXT "v=spf1 ip4:192.0.2.10 -all"'
    )
    report = bulk_audit(zone, servfail=("_spf.corp.test.",), dkim_selectors=("s1",))
    assert report.row("spf.broken-include") is None
    assert report.row("spf.dns-error") is not None
    assert summary(report)["bulk-senders.spf-and-dkim-unknown"] is Status.INFO


def test_dkim_alone_meets_the_all_senders_requirement_but_not_the_bulk_one() -> None:
    zone = GOOD_ZONE.replace(SPF_RECORD, 'corp.test. TXT "google-site-verification=abc"')
    report = bulk_audit(zone, dkim_selectors=("s1",))
    states = summary(report)
    assert states["bulk-senders.spf-or-dkim-met"] is Status.PASS
    assert states["bulk-senders.spf-and-dkim-missing"] is Status.WARN


def test_a_revoked_dkim_key_does_not_meet_dkim() -> None:
    zone = GOOD_ZONE.replace(DKIM_KEY, 's1._domainkey.corp.test. TXT "v=DKIM1; p="')
    report = bulk_audit(zone, dkim_selectors=("s1",))
    assert report.row("dkim.revoked") is not None
    assert summary(report)["bulk-senders.spf-and-dkim-missing"] is Status.WARN


def test_a_dkim_look_up_failure_leaves_dkim_unknown() -> None:
    report = bulk_audit(servfail=("s1._domainkey.corp.test.",), dkim_selectors=("s1",))
    assert report.row("dkim.lookup-failed") is not None
    assert summary(report)["bulk-senders.spf-and-dkim-unknown"] is Status.INFO


def test_p_none_is_enough_for_the_dmarc_requirement() -> None:
    zone = GOOD_ZONE.replace("p=reject", "p=none")
    assert summary(bulk_audit(zone))["bulk-senders.dmarc-met"] is Status.PASS


def test_a_dmarc_look_up_failure_leaves_dmarc_unknown() -> None:
    report = bulk_audit(servfail=("_dmarc.corp.test.",))
    assert report.row("dmarc.lookup-failed") is not None
    assert summary(report)["bulk-senders.dmarc-unknown"] is Status.INFO


def test_an_invalid_dmarc_record_does_not_meet_dmarc() -> None:
    zone = GOOD_ZONE.replace(DMARC_RECORD, '_dmarc.corp.test. TXT "v=DMARC1; p=maybe"')
    report = bulk_audit(zone)
    assert summary(report)["bulk-senders.dmarc-missing"] is Status.WARN


def test_an_address_without_ptr_or_whose_ptr_does_not_resolve_back_fails() -> None:
    report = bulk_audit(sending_ips=("192.0.2.10", "192.0.2.11", "192.0.2.12"))
    row = report.row("bulk-senders.reverse-dns-missing")
    assert row is not None
    assert row.status is Status.FAIL
    assert "192.0.2.11 → elsewhere.corp.test, which does not resolve back to 192.0.2.11" in (
        row.summary
    )
    assert "192.0.2.12 has no PTR record" in row.summary
    evidence = row.outcome.details["evidence"]
    assert isinstance(evidence, tuple)
    assert "A elsewhere.corp.test: 192.0.2.99" in evidence


def test_an_ipv6_sending_address_is_confirmed_with_aaaa() -> None:
    zone = GOOD_ZONE + (
        "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. "
        "PTR mail6.corp.test.\nmail6.corp.test. AAAA 2001:db8::10\n"
    )
    report = bulk_audit(zone, sending_ips=("2001:db8::10",))
    assert summary(report)["bulk-senders.reverse-dns-met"] is Status.PASS


def test_a_ptr_time_out_leaves_reverse_dns_unknown() -> None:
    with DNSServer(GOOD_ZONE, drop={"10.2.0.192.in-addr.arpa."}) as dns_server:
        report = audit(
            dns_server, "corp.test", builtins=BUILTINS, sending_ips=("192.0.2.10",), timeout=0.3
        )
    row = report.row("bulk-senders.reverse-dns-unknown")
    assert row is not None
    assert "192.0.2.10: the PTR look-up failed" in row.summary


def test_requirements_not_met_have_hints_that_say_where_to_read() -> None:
    for finding in bulk.BulkSenders.findings:
        if finding.status.is_problem:
            assert finding.hint is not None and finding.hint.url, finding.id


def test_every_row_starts_with_the_requirement_it_is_about() -> None:
    report = bulk_audit(dkim_selectors=("s1",), sending_ips=("192.0.2.10",))
    section = report.section("bulk-senders")
    assert section is not None
    assert [row.summary.partition(":")[0] for row in section.rows] == [
        "All senders — SPF or DKIM",
        "All senders — forward-confirmed reverse DNS of the sending IPs",
        "All senders — TLS when sending",
        "All senders — spam rate under 0.3 %",
        "Bulk senders — SPF and DKIM",
        "Bulk senders — a DMARC record",
        "Bulk senders — From aligned with SPF or DKIM",
        "Bulk senders — one-click unsubscribe",
    ]


def test_only_the_sending_ips_that_fail_spf_are_named() -> None:
    report = bulk_audit(dkim_selectors=("s1",), sending_ips=("192.0.2.10", "192.0.2.11"))
    said = words(report, "bulk-senders.spf-and-dkim-missing")
    assert "SPF does not pass for 192.0.2.11 (fail)" in said
    assert "192.0.2.10" not in said


def test_reverse_dns_names_the_failing_address_first_and_drops_the_sending_ip_advice() -> None:
    report = bulk_audit(dkim_selectors=("s1",), sending_ips=("192.0.2.10", "192.0.2.11"))
    row = report.row("bulk-senders.reverse-dns-missing")
    assert row is not None
    assert row.summary.startswith(
        "All senders — forward-confirmed reverse DNS of the sending IPs: not met — "
        "192.0.2.11 → elsewhere.corp.test, which does not resolve back to 192.0.2.11; "
        "the others: 192.0.2.10 → mail.corp.test → 192.0.2.10 (met)"
    )
    steps = [step for hint in row.hints for step in hint.steps]
    assert steps and not [step for step in steps if "--sending-ip" in step]


def test_without_a_sending_ip_the_reverse_dns_hint_says_how_to_give_one() -> None:
    report = bulk_audit()
    row = report.row("bulk-senders.reverse-dns-unknown")
    assert row is not None
    assert "Give --sending-ip ADDRESS to check it here." in row.hints[0].steps


def test_a_disabled_check_is_named_as_disabled_not_as_unfinished() -> None:
    with DNSServer(GOOD_ZONE) as dns_server:
        doctor = DomainDoctor(
            PluginSelection(autoload=False, disabled=frozenset({"spf"})), builtins=BUILTINS
        )
        report = doctor.run(
            DomainRequest("corp.test", dns_servers=(dns_server.name_server,), timeout=2.0)
        )
    said = words(report, "bulk-senders.spf-or-dkim-unknown")
    assert "spf not checked (--disable spf)" in said
    assert "could not finish" not in said


def test_a_domain_that_does_not_exist_gets_one_skip_row() -> None:
    report = bulk_audit(
        "other.test. A 192.0.2.1", dkim_selectors=("s1",), sending_ips=("192.0.2.10",)
    )
    section = report.section("bulk-senders")
    assert section is not None
    assert [(row.outcome.finding, row.status, row.summary) for row in section.rows] == [
        (
            "bulk-senders.not-applicable",
            Status.SKIP,
            "not checked: corp.test does not exist (NXDOMAIN)",
        )
    ]
    for check_id in ("spf", "dmarc", "dkim"):
        other = report.section(check_id)
        assert other is not None
        assert [row.outcome.finding for row in other.rows] == [f"{check_id}.not-applicable"]
