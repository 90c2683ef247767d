"""The ``tls-rpt`` domain check against a test DNS server: the record's syntax (RFC 8460
§3), and a missing record judged by whether MTA-STS or DANE is in place."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pytest

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain import DomainCheck, DomainContext, DomainReport, Finding
from smtpdoctor.domain.check import RegisterDomainCheck
from smtpdoctor.domain.facts import DANE_IN_PLACE
from smtpdoctor.domain.tlsrpt import RecordError, parse_tlsrpt, select_tlsrpt_record
from smtpdoctor.model.results import CheckResult, Outcome, Status

from tests.domain.domainkit import audit
from tests.domain.httpskit import HTTPSServer, Reply
from tests.targets.dnsserver import DNSServer

BUILTINS = (
    "smtpdoctor.domain.checks.mx",
    "smtpdoctor.domain.checks.smtp",
    "smtpdoctor.domain.checks.mta_sts",
    "smtpdoctor.domain.checks.dane",
    "smtpdoctor.domain.checks.tls_rpt",
)
BASE = """
example.test.          MX   10 mx.example.test.
mx.example.test.       A    127.0.0.1
mta-sts.example.test.  A    127.0.0.1
"""
RECORD_TEXT = "v=TLSRPTv1; rua=mailto:tlsrpt@example.test"
RECORD = f'_smtp._tls.example.test. TXT "{RECORD_TEXT}"'
STS = '_mta-sts.example.test. TXT "v=STSv1; id=1"'
POLICY = b"version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 604800\n"


@pytest.fixture
def https() -> Iterator[HTTPSServer]:
    with HTTPSServer(Reply(body=POLICY)) as server:
        yield server


def run(
    https: HTTPSServer,
    zone: str,
    *,
    builtins: Sequence[str] = BUILTINS,
    extra_plugins: Sequence[object] = (),
    dns: dict[str, Any] | None = None,
    **request: Any,
) -> DomainReport:
    with DNSServer(zone, **(dns or {})) as dns_server:
        return audit(
            dns_server,
            "example.test",
            builtins=builtins,
            extra_plugins=extra_plugins,
            smtp=False,
            https_port=https.port,
            ca_file=https.ca_file,
            **request,
        )


def only_row(report: DomainReport) -> CheckResult:
    section = report.section("tls-rpt")
    assert section is not None
    (row,) = section.rows
    return row


def test_a_well_formed_record_passes_and_lists_where_reports_go(https: HTTPSServer) -> None:
    row = only_row(run(https, BASE + RECORD))
    assert (row.outcome.finding, row.status) == ("tls-rpt.published", Status.PASS)
    assert row.outcome.details["rua"] == ("mailto:tlsrpt@example.test",)


def test_no_record_without_mta_sts_or_dane_is_information(https: HTTPSServer) -> None:
    row = only_row(run(https, BASE))
    assert (row.outcome.finding, row.status) == ("tls-rpt.missing", Status.INFO)
    assert "_smtp._tls.example.test" in row.summary


def test_no_record_with_an_mta_sts_policy_is_a_warning(https: HTTPSServer) -> None:
    row = only_row(run(https, BASE + STS))
    assert (row.outcome.finding, row.status) == ("tls-rpt.missing-with-policy", Status.WARN)
    assert "MTA-STS (enforce mode)" in row.summary


def test_no_record_with_a_policy_behind_a_broken_mta_sts_record_is_information(
    https: HTTPSServer,
) -> None:
    broken = STS + '\n_mta-sts.example.test. TXT "v=STSv1; id=2"'
    row = only_row(run(https, BASE + broken))
    assert (row.outcome.finding, row.status) == ("tls-rpt.missing", Status.INFO)


DANE_SAID = Finding("dane.given", Status.INFO, "DANE verdict given by the test")


def dane_says(in_place: bool) -> object:
    """A plugin whose ``dane`` check only stashes ``in_place`` as its verdict."""

    class GivenDANE(DomainCheck):
        id = "dane"
        title = "DANE"
        requires = ("mx",)
        findings = (DANE_SAID,)

        def run(self, ctx: DomainContext) -> Iterable[Outcome]:
            ctx.stash[DANE_IN_PLACE] = in_place
            return [DANE_SAID.outcome(f"DANE in place: {in_place}")]

    class Plugin:
        @hookimpl
        def smtpdoctor_register_domain_checks(self, register: RegisterDomainCheck) -> None:
            register(GivenDANE)

    return Plugin()


WITHOUT_DANE = tuple(name for name in BUILTINS if not name.endswith(".dane"))


def test_no_record_where_the_dane_check_found_dane_in_place_is_a_warning(
    https: HTTPSServer,
) -> None:
    report = run(https, BASE, builtins=WITHOUT_DANE, extra_plugins=(dane_says(True),))
    row = only_row(report)
    assert (row.outcome.finding, row.status) == ("tls-rpt.missing-with-policy", Status.WARN)
    assert "DANE" in row.summary


def test_no_record_where_the_dane_check_found_no_dane_is_information(
    https: HTTPSServer,
) -> None:
    tlsa = "_25._tcp.mx.example.test. TLSA 3 1 1 " + "ab" * 32
    report = run(https, BASE + tlsa, builtins=WITHOUT_DANE, extra_plugins=(dane_says(False),))
    assert only_row(report).outcome.finding == "tls-rpt.missing"


def test_unsigned_tlsa_records_are_not_dane_in_place(https: HTTPSServer) -> None:
    tlsa = "_25._tcp.mx.example.test. TLSA 3 1 1 " + "ab" * 32
    row = only_row(run(https, BASE + tlsa))
    assert (row.outcome.finding, row.status) == ("tls-rpt.missing", Status.INFO)


def test_tls_rpt_asks_no_tlsa_question_of_its_own(https: HTTPSServer) -> None:
    with DNSServer(BASE) as dns_server:
        audit(
            dns_server,
            "example.test",
            builtins=WITHOUT_DANE,
            extra_plugins=(dane_says(False),),
            smtp=False,
            https_port=https.port,
            ca_file=https.ca_file,
        )
        asked = dns_server.questions
    assert [name for name, rdtype in asked if rdtype == "TLSA"] == []


def test_two_records_fail(https: HTTPSServer) -> None:
    second = '\n_smtp._tls.example.test. TXT "v=TLSRPTv1; rua=mailto:b@example.test"'
    row = only_row(run(https, BASE + RECORD + second))
    assert (row.outcome.finding, row.status) == ("tls-rpt.multiple", Status.FAIL)


def test_a_malformed_record_fails_saying_what_is_wrong(https: HTTPSServer) -> None:
    row = only_row(run(https, BASE + '_smtp._tls.example.test. TXT "v=TLSRPTv1; rua=ftp://x"'))
    assert (row.outcome.finding, row.status) == ("tls-rpt.invalid", Status.FAIL)
    assert "not a mailto: or https: URI" in row.summary


def test_a_record_that_cannot_be_read_is_a_warning(https: HTTPSServer) -> None:
    report = run(https, BASE + RECORD, dns={"servfail": {"_smtp._tls.example.test"}})
    row = only_row(report)
    assert (row.outcome.finding, row.status) == ("tls-rpt.dns-failed", Status.WARN)


@pytest.mark.parametrize(
    ("text", "uris"),
    [
        ("v=TLSRPTv1; rua=mailto:a@example.com", ("mailto:a@example.com",)),
        ("v=TLSRPTv1;rua=https://reports.example.com/v1", ("https://reports.example.com/v1",)),
        (
            "v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.net/x;",
            ("mailto:a@example.com", "https://r.example.net/x"),
        ),
        ("v=TLSRPTv1; ext=1; rua=MAILTO:a%2Bb@example.com", ("MAILTO:a%2Bb@example.com",)),
    ],
)
def test_report_uris_are_mailto_or_https_separated_by_commas(
    text: str, uris: tuple[str, ...]
) -> None:
    assert parse_tlsrpt(text) == uris


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("v=TLSRPTv1;", "no rua= field"),
        ("v=TLSRPTv1; rua=mailto:a@b.com; rua=mailto:c@d.com", "2 rua= fields"),
        ("v=TLSRPTv1; rua=mailto:nobody", "not mailto: followed by an e-mail address"),
        ("v=TLSRPTv1; rua=tlsrpt@example.com", "not a mailto: or https: URI"),
        ("v=TLSRPTv1; rua=http://r.example.com/", "not a mailto: or https: URI"),
        ("v=TLSRPTv1; rua=https:///path", "with a host name"),
        ("v=TLSRPTv1; rua=https://r.example.com:99999/", "not a valid https: URI"),
        ("v=TLSRPTv1; rua=" + ",".join(["mailto:a@b.com"] * 11), "at most 10"),
        ("v=TLSRPTv1; rua=mailto:a@b.com; junk", "not a name=value field"),
    ],
)
def test_a_malformed_record_is_refused_in_words(text: str, words: str) -> None:
    with pytest.raises(RecordError, match=words):
        parse_tlsrpt(text)


def test_the_one_tls_rpt_record_among_other_txt_records_is_selected() -> None:
    selection = select_tlsrpt_record(("v=spf1 -all", "v=TLSRPTv10; rua=x", RECORD_TEXT))
    assert selection.records == (RECORD_TEXT,)
    assert selection.value == ("mailto:tlsrpt@example.test",)


def test_no_record_with_dnssec_signed_tlsa_records_on_an_mx_is_a_warning(
    https: HTTPSServer,
) -> None:
    tlsa = "_25._tcp.mx.example.test. TLSA 3 1 1 " + "ab" * 32
    row = only_row(run(https, BASE + tlsa, dns={"authenticated": True}))
    assert (row.outcome.finding, row.status) == ("tls-rpt.missing-with-policy", Status.WARN)
    assert "DANE" in row.summary


def test_a_domain_that_does_not_exist_gets_one_skip_row_not_advice_to_publish(
    https: HTTPSServer,
) -> None:
    row = only_row(run(https, "other.test. A 127.0.0.1\n"))
    assert (row.outcome.finding, row.status) == ("tls-rpt.not-applicable", Status.SKIP)
    assert row.summary == "not checked: example.test does not exist (NXDOMAIN)"


def test_a_null_mx_domain_is_told_tls_rpt_does_not_apply(https: HTTPSServer) -> None:
    row = only_row(run(https, "example.test. MX 0 .\n" + RECORD))
    assert (row.outcome.finding, row.status) == ("tls-rpt.null-mx", Status.INFO)
    assert row.summary == "not applicable: the domain accepts no mail (null MX)"


def test_a_failed_mx_look_up_still_reads_the_record(https: HTTPSServer) -> None:
    row = only_row(run(https, BASE + RECORD, dns={"servfail_types": {("example.test.", "MX")}}))
    assert (row.outcome.finding, row.status) == ("tls-rpt.published", Status.PASS)
