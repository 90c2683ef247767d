"""The ``dane`` domain check: TLSA records of each MX host, whether a validating resolver
vouches for them (the AD bit), and whether they match the certificate the MX presented.

DNS is a real server on loopback (``tests.targets.dnsserver``) that plays a validating
resolver for the names given as ``authenticated``.  The ``mx`` and ``smtp`` checks are
played by stand-ins that put the exchangers and the port-25 probes (with a trustme chain)
in the stash, so each test states exactly what the MX presented.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.domain import (
    DomainCheck,
    DomainContext,
    DomainDoctor,
    DomainReport,
    DomainRequest,
    Finding,
)
from smtpdoctor.domain.check import RegisterDomainCheck
from smtpdoctor.domain.checks import dane
from smtpdoctor.domain.facts import (
    DANE_IN_PLACE,
    EXCHANGERS,
    MAIL_ROUTING,
    PROBES,
    Exchanger,
    ExchangerProbe,
    MailRouting,
)
from smtpdoctor.domain.tlsa import record_for
from smtpdoctor.lab.pki import make_pki
from smtpdoctor.mailauth.dns import DNSFailure
from smtpdoctor.model.results import CheckResult, Outcome, Report, Status, Target
from smtpdoctor.model.words import TLSMode
from smtpdoctor.testing.smtpserver import SMTPTestServer

from tests.domain.domainkit import audit
from tests.domain.test_tlsa import Chain, make_chain
from tests.targets.dnsserver import DNSServer

DOMAIN = "example.test"
MX = "mx.example.test"
TLSA_NAME = f"_25._tcp.{MX}"
STOOD_IN = Finding("stand-in.ran", Status.INFO, "A stand-in ran")
#: The MX host as the ``mx`` check shares it: resolved, DNSSEC vouching for its addresses.
SIGNED_MX = Exchanger(MX, 10, ("127.0.0.1",), addresses_authenticated=True)
#: The same host in a zone DNSSEC does not vouch for.
UNSIGNED_MX = Exchanger(MX, 10, ("127.0.0.1",))


def stand_ins(
    exchangers: Sequence[Exchanger],
    probes: Sequence[ExchangerProbe] | None = None,
    routing: MailRouting = MailRouting.MX,
) -> object:
    """A plugin whose ``mx`` and ``smtp`` checks put ``exchangers``, ``routing`` and
    ``probes`` (when given) in the stash, as the real ones do."""

    class StandInMX(DomainCheck):
        id = "mx"
        title = "MX (stand-in)"
        findings = (STOOD_IN,)

        def run(self, ctx: DomainContext) -> Iterable[Outcome]:
            ctx.stash[EXCHANGERS] = tuple(exchangers)
            ctx.stash[MAIL_ROUTING] = routing
            return [STOOD_IN.outcome("exchangers set")]

    class StandInSMTP(DomainCheck):
        id = "smtp"
        title = "SMTP (stand-in)"
        requires = ("mx",)
        findings = (STOOD_IN,)

        def run(self, ctx: DomainContext) -> Iterable[Outcome]:
            if probes is not None:
                ctx.stash[PROBES] = tuple(probes)
            return [STOOD_IN.outcome("probes set")]

    class StandIns:
        @hookimpl
        def smtpdoctor_register_domain_checks(self, register: RegisterDomainCheck) -> None:
            register(StandInMX)
            register(StandInSMTP)

    return StandIns()


def report_of(*rows: tuple[str, Status, str, str]) -> Report:
    """A port-25 probe's report with the rows ``(check id, status, finding, summary)``."""
    return Report(
        target=Target(MX, 25, TLSMode.STARTTLS),
        results=tuple(
            CheckResult(check_id, check_id, Outcome(status, summary, finding=finding))
            for check_id, status, finding, summary in rows
        ),
        started_at=datetime.now(UTC),
        duration=0.1,
        tool_version="test",
    )


def probe_of(chain: Sequence[bytes]) -> ExchangerProbe:
    """The MX probed on port 25, STARTTLS worked and presented ``chain``."""
    report = report_of(("tls", Status.PASS, "", "TLS 1.3"))
    return ExchangerProbe(
        MX, report, tuple(chain), address="127.0.0.1", starttls=True, certificate_valid=True
    )


def run_dane(
    zone: str,
    *,
    probes: Sequence[ExchangerProbe] | None = None,
    exchangers: Sequence[Exchanger] = (SIGNED_MX,),
    routing: MailRouting = MailRouting.MX,
    dns: dict[str, Any] | None = None,
    **request: Any,
) -> tuple[DomainReport, Asked]:
    """Audit DOMAIN with the ``dane`` check alone, the ``mx`` check's ``exchangers`` given;
    the DNS server validates every name unless ``dns`` (its options) says otherwise."""
    with DNSServer(zone, **({"authenticated": True} if dns is None else dns)) as dns_server:
        report = audit(
            dns_server,
            DOMAIN,
            builtins=("smtpdoctor.domain.checks.dane",),
            extra_plugins=[stand_ins(exchangers, probes, routing)],
            **request,
        )
        return report, Asked(dns_server.address, dns_server.questions)


@dataclass(frozen=True)
class Asked:
    """Who the DNS server was, and what it was asked."""

    address: str
    questions: list[tuple[str, str]]


def rows(report: DomainReport) -> list[CheckResult]:
    section = report.section("dane")
    assert section is not None
    return list(section.rows)


def findings(report: DomainReport) -> list[str | None]:
    return [row.outcome.finding for row in rows(report)]


def zone_with(*records: str, mx_host: str = MX) -> str:
    lines = [f"{DOMAIN}. MX 10 {mx_host}.", f"{mx_host}. A 127.0.0.1"]
    lines += [f"_25._tcp.{mx_host}. TLSA {record}" for record in records]
    return "\n".join(lines)


def ee_311(chain: Chain) -> str:
    return f"3 1 1 {hashlib.sha256(chain.leaf_spki).hexdigest()}"


@pytest.fixture(scope="module")
def chain() -> Chain:
    return make_chain(MX)


def test_a_signed_record_that_matches_the_leaf_passes_and_says_how_it_is_known(
    chain: Chain,
) -> None:
    report, dns_server = run_dane(zone_with(ee_311(chain)), probes=[probe_of(chain.presented)])

    match = rows(report)[0]
    assert match.outcome.finding == "dane.match"
    assert match.status is Status.PASS
    assert f"the resolver {dns_server.address} validated it (AD bit) on this machine" in (
        match.summary
    )
    assert "leaf certificate" in match.summary
    assert match.outcome.details["tlsa_authenticated"] is True
    assert (TLSA_NAME + ".", "TLSA") in dns_server.questions


def test_a_single_record_gets_the_rollover_advice(chain: Chain) -> None:
    report, _ = run_dane(zone_with(ee_311(chain)), probes=[probe_of(chain.presented)])

    assert findings(report) == ["dane.match", "dane.single-record"]
    advice = rows(report)[1]
    assert advice.status is Status.INFO
    assert any("RFC 7671 §8" in step for hint in advice.hints for step in hint.steps)


def test_two_records_current_and_next_need_no_rollover_advice(chain: Chain) -> None:
    next_key = make_chain(MX)

    report, _ = run_dane(
        zone_with(ee_311(chain), ee_311(next_key)), probes=[probe_of(chain.presented)]
    )

    assert findings(report) == ["dane.match"]
    assert report.section("dane").status is Status.PASS  # type: ignore[union-attr]


def test_a_dane_ta_record_for_the_intermediate_passes(chain: Chain) -> None:
    record = f"2 1 1 {hashlib.sha256(chain.intermediate_spki).hexdigest()}"

    report, _ = run_dane(zone_with(record), probes=[probe_of(chain.presented)])

    assert rows(report)[0].outcome.finding == "dane.match"
    assert "DANE-TA" in rows(report)[0].summary


def test_a_certificate_renewed_with_a_new_key_fails_and_shows_the_record_to_publish(
    chain: Chain,
) -> None:
    renewed = make_chain(MX)

    report, _ = run_dane(zone_with(ee_311(chain)), probes=[probe_of(renewed.presented)])

    (row,) = rows(report)
    assert row.outcome.finding == "dane.mismatch"
    assert row.status is Status.FAIL
    assert row.outcome.details["suggested_record"] == (f"{TLSA_NAME}. IN TLSA {ee_311(renewed)}")
    assert any("renewed with a new key" in step for hint in row.hints for step in hint.steps)


def test_unsigned_tlsa_records_of_a_signed_mx_host_are_not_usable(chain: Chain) -> None:
    report, dns_server = run_dane(
        zone_with(ee_311(chain)), probes=[probe_of(chain.presented)], dns={}
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.unsigned-tlsa"
    assert row.status is Status.WARN
    assert f"{dns_server.address}, which vouched for the host's addresses" in row.summary
    assert "did not vouch for them (no AD bit)" in row.summary
    assert "sending servers ignore unsigned TLSA" in dane.UNSIGNED_TLSA.title


def test_tlsa_records_of_an_unsigned_mx_host_are_only_mentioned(chain: Chain) -> None:
    report, _ = run_dane(
        zone_with(ee_311(chain)),
        probes=[probe_of(chain.presented)],
        exchangers=(UNSIGNED_MX,),
        dns={},
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.unsigned-host"
    assert row.status is Status.INFO
    assert "ignored" in row.summary


def test_servfail_for_the_tlsa_name_is_a_bogus_answer_and_fails(chain: Chain) -> None:
    report, _ = run_dane(
        zone_with(ee_311(chain)),
        probes=[probe_of(chain.presented)],
        dns={"authenticated": True, "servfail": {TLSA_NAME}},
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.bogus"
    assert row.status is Status.FAIL
    assert "SERVFAIL" in row.summary
    assert row.outcome.details["failed_question"] == f"TLSA {TLSA_NAME}"


def test_servfail_for_the_tlsa_name_of_an_unsigned_mx_host_is_not_bogus(chain: Chain) -> None:
    report, dns_server = run_dane(
        zone_with(),
        probes=[probe_of(chain.presented)],
        exchangers=(UNSIGNED_MX,),
        dns={"servfail": {TLSA_NAME}},
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.unsigned-host"
    assert row.status is Status.INFO
    assert "SERVFAIL" in row.summary
    assert (TLSA_NAME + ".", "TLSA") in dns_server.questions


@pytest.mark.parametrize(
    "failure", ["no such name (NXDOMAIN)", "the name exists but has no A or AAAA records"]
)
def test_an_mx_host_without_an_address_is_not_judged(chain: Chain, failure: str) -> None:
    homeless = Exchanger(MX, 10, (), failure)

    report, dns_server = run_dane(
        zone_with(ee_311(chain)), probes=[probe_of(chain.presented)], exchangers=(homeless,)
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.no-address"
    assert failure in row.summary
    assert "signed" not in row.summary
    assert not [question for question in dns_server.questions if question[1] == "TLSA"]


@pytest.mark.parametrize(
    ("failure", "address_failure"),
    [("A: timed out after 0.3 s", DNSFailure.TIMEOUT), ("A: SERVFAIL", DNSFailure.SERVFAIL)],
)
def test_an_mx_host_whose_address_look_up_failed_has_an_unknown_dnssec_status(
    chain: Chain, failure: str, address_failure: DNSFailure
) -> None:
    unknown = Exchanger(MX, 10, (), failure, address_failure, addresses_authenticated=None)

    report, dns_server = run_dane(
        zone_with(ee_311(chain)), probes=[probe_of(chain.presented)], exchangers=(unknown,)
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.address-lookup-failed"
    assert row.status is Status.WARN
    assert row.summary.startswith(f"{MX}: DNSSEC status unknown: the address look-up failed")
    assert failure in row.summary
    assert "not signed" not in row.summary
    assert row.outcome.details["address_failure"] == address_failure.value
    assert not [question for question in dns_server.questions if question[1] == "TLSA"]


def test_with_the_real_mx_check_an_address_question_that_times_out_is_not_taken_as_unsigned(
    chain: Chain,
) -> None:
    with DNSServer(zone_with(ee_311(chain)), authenticated=True, drop={MX}) as dns_server:
        report = audit(
            dns_server,
            DOMAIN,
            builtins=(
                "smtpdoctor.domain.checks.mx",
                "smtpdoctor.domain.checks.smtp",
                "smtpdoctor.domain.checks.dane",
            ),
            timeout=0.3,
        )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.address-lookup-failed"
    assert "DNSSEC status unknown: the address look-up failed" in row.summary
    assert "not signed" not in row.summary


DANE_WITH_MX = (
    "smtpdoctor.domain.checks.mx",
    "smtpdoctor.domain.checks.smtp",
    "smtpdoctor.domain.checks.dane",
)


def test_with_the_real_mx_check_a_timed_out_aaaa_beside_signed_a_records_is_not_unsigned(
    chain: Chain,
) -> None:
    with DNSServer(
        zone_with(ee_311(chain)), authenticated=True, drop_types={(MX, "AAAA")}
    ) as dns_server:
        report = audit(
            dns_server,
            DOMAIN,
            builtins=DANE_WITH_MX,
            smtp=False,
            timeout=0.3,
        )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.address-lookup-failed"
    assert "DNSSEC status unknown: an address look-up failed (AAAA: " in row.summary
    assert "though it has 127.0.0.1" in row.summary
    assert row.outcome.details["address_authenticated"] is None


def test_with_the_real_mx_check_a_name_that_does_not_exist_has_no_address(chain: Chain) -> None:
    zone = f"{DOMAIN}. MX 10 {MX}."
    with DNSServer(zone, authenticated=True) as dns_server:
        report = audit(
            dns_server,
            DOMAIN,
            builtins=DANE_WITH_MX,
            smtp=False,
        )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.no-address"
    assert "no such name (NXDOMAIN)" in row.summary


def test_no_tlsa_in_a_signed_zone_is_information_with_the_record_to_publish(
    chain: Chain,
) -> None:
    report, _ = run_dane(zone_with(), probes=[probe_of(chain.presented)])

    (row,) = rows(report)
    assert row.outcome.finding == "dane.no-tlsa"
    assert row.status is Status.INFO
    assert ee_311(chain) in row.summary
    assert row.outcome.details["suggested_record"] == f"{TLSA_NAME}. IN TLSA {ee_311(chain)}"
    steps = [step for hint in row.hints for step in hint.steps]
    assert any("3 1 1" in step for step in steps)
    assert any("two TLSA records" in step for step in steps)


def test_an_mx_host_in_an_unsigned_zone_without_tlsa_is_a_note_that_dane_does_not_apply(
    chain: Chain,
) -> None:
    report, _ = run_dane(
        zone_with(), probes=[probe_of(chain.presented)], exchangers=(UNSIGNED_MX,), dns={}
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.unsigned-host"
    assert row.status is Status.INFO
    assert "DANE does not apply" in row.summary


def test_signed_tlsa_for_an_unsigned_mx_host_notes_that_senders_will_not_look(
    chain: Chain,
) -> None:
    report, _ = run_dane(
        zone_with(ee_311(chain)),
        probes=[probe_of(chain.presented)],
        exchangers=(UNSIGNED_MX,),
        dns={"authenticated": {TLSA_NAME}},
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.unsigned-host"
    assert row.status is Status.INFO
    assert "would match the certificate it presents" in row.summary
    assert row.outcome.details["would_match"] is True


def test_a_stale_record_of_an_unsigned_mx_host_is_a_note_not_a_failure(chain: Chain) -> None:
    stale = f"3 1 1 {'00' * 32}"

    report, _ = run_dane(
        zone_with(stale),
        probes=[probe_of(chain.presented)],
        exchangers=(UNSIGNED_MX,),
        dns={"authenticated": {TLSA_NAME}},
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.unsigned-host"
    assert row.status is Status.INFO
    assert "would not match" in row.summary


def test_pkix_usages_are_unusable_for_smtp(chain: Chain) -> None:
    record = f"1 1 1 {hashlib.sha256(chain.leaf_spki).hexdigest()}"

    report, _ = run_dane(zone_with(record), probes=[probe_of(chain.presented)])

    (row,) = rows(report)
    assert row.outcome.finding == "dane.unusable"
    assert row.status is Status.WARN
    assert "RFC 7672 §3.1.3" in row.summary
    assert "no record is usable" in row.summary


def test_an_unusable_record_next_to_a_matching_one_is_still_reported(chain: Chain) -> None:
    pkix = f"0 1 1 {hashlib.sha256(chain.root_spki).hexdigest()}"

    report, _ = run_dane(zone_with(pkix, ee_311(chain)), probes=[probe_of(chain.presented)])

    assert findings(report) == ["dane.unusable", "dane.match", "dane.single-record"]


def test_without_a_probe_the_records_are_checked_but_the_match_is_not_tested(
    chain: Chain,
) -> None:
    report, _ = run_dane(zone_with(ee_311(chain)), probes=None)

    assert findings(report) == ["dane.not-tested", "dane.single-record"]
    assert ee_311(chain)[:20] in rows(report)[0].summary


def test_an_mx_that_was_not_probed_says_why(chain: Chain) -> None:
    skipped = ExchangerProbe(MX, None, not_probed="not probed (--no-smtp)")

    report, _ = run_dane(zone_with(ee_311(chain)), probes=[skipped])

    assert rows(report)[0].outcome.finding == "dane.not-tested"
    assert "not probed (--no-smtp)" in rows(report)[0].summary


def test_an_unreachable_mx_leaves_the_match_untested(chain: Chain) -> None:
    unreachable = report_of(
        ("tcp", Status.FAIL, "tcp.refused", "connection refused"),
        ("tls", Status.SKIP, "", "needs tcp, which failed"),
    )
    probe = ExchangerProbe(
        MX,
        unreachable,
        address="127.0.0.1",
        certificate_problem="the probe did not get to STARTTLS (tcp: connection refused)",
    )

    report, _ = run_dane(zone_with(ee_311(chain)), probes=[probe])

    assert rows(report)[0].outcome.finding == "dane.not-tested"
    assert "tcp: connection refused" in rows(report)[0].summary


def test_tlsa_records_without_starttls_fail(chain: Chain) -> None:
    plaintext = report_of(
        ("ehlo", Status.PASS, "", "EHLO accepted"),
        (
            "tls",
            Status.WARN,
            "tls.starttls-not-offered",
            "the server does not offer STARTTLS",
        ),
    )

    report, _ = run_dane(
        zone_with(ee_311(chain)),
        probes=[
            ExchangerProbe(
                MX,
                plaintext,
                address="127.0.0.1",
                starttls=False,
                certificate_problem="no TLS: the server does not offer STARTTLS",
            )
        ],
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.no-starttls"
    assert row.status is Status.FAIL
    assert "the server does not offer STARTTLS" in row.summary


def test_starttls_that_worked_without_a_captured_chain_says_so_not_a_later_warning(
    chain: Chain,
) -> None:
    worked = report_of(
        ("tls", Status.PASS, "", "TLS 1.3"),
        ("posture", Status.WARN, "posture.no-mta-sts", "no MTA-STS"),
    )

    report, _ = run_dane(
        zone_with(ee_311(chain)),
        probes=[ExchangerProbe(MX, worked, address="127.0.0.1", starttls=True)],
    )

    row = rows(report)[0]
    assert row.outcome.finding == "dane.not-tested"
    assert "STARTTLS works, but no certificate chain was captured" in row.summary
    assert "posture" not in row.summary


def test_a_session_that_ended_before_starttls_says_so_in_the_smtp_checks_words(
    chain: Chain,
) -> None:
    refused = report_of(
        ("greeting", Status.FAIL, "greeting.rejected", "554 go away"),
        ("posture", Status.WARN, "posture.x", "a later warning"),
    )
    stopped = ExchangerProbe(
        MX,
        refused,
        address="127.0.0.1",
        certificate_problem="the probe did not get to STARTTLS (greeting: 554 go away)",
    )

    report, _ = run_dane(zone_with(ee_311(chain)), probes=[stopped])

    row = rows(report)[0]
    assert row.outcome.finding == "dane.not-tested"
    assert "the match was not tested: the probe did not get to STARTTLS (greeting" in (row.summary)


def test_a_domain_without_exchangers_has_nothing_to_check() -> None:
    report, _ = run_dane(zone_with(), exchangers=())

    assert findings(report) == ["dane.no-exchangers"]


def test_a_domain_that_does_not_exist_gets_one_skip_row_and_no_tlsa_question() -> None:
    report, asked = run_dane(zone_with(), exchangers=(), routing=MailRouting.NO_DOMAIN)

    assert findings(report) == ["dane.not-applicable"]
    assert rows(report)[0].status is Status.SKIP
    assert rows(report)[0].summary == f"not checked: {DOMAIN} does not exist (NXDOMAIN)"
    assert not [question for question in asked.questions if question[1] == "TLSA"]


def test_a_null_mx_domain_is_told_dane_does_not_apply() -> None:
    report, _ = run_dane(zone_with(), exchangers=(), routing=MailRouting.NULL_MX)

    assert findings(report) == ["dane.null-mx"]
    assert rows(report)[0].status is Status.INFO
    assert rows(report)[0].summary == "not applicable: the domain accepts no mail (null MX)"


def test_a_failed_mx_look_up_leaves_the_mx_set_unknown_not_without_an_exchanger() -> None:
    report, _ = run_dane(zone_with(), exchangers=(), routing=MailRouting.UNKNOWN)

    assert findings(report) == ["dane.mx-unknown"]
    assert rows(report)[0].summary == (
        "no TLSA record looked up: the MX set is unknown: its look-up failed (see the MX section)"
    )


def test_with_the_mx_check_disabled_the_mx_set_is_said_to_be_unknown() -> None:
    with DNSServer(zone_with()) as dns_server:
        doctor = DomainDoctor(
            PluginSelection(autoload=False, disabled=frozenset({"mx"})),
            builtins=(
                "smtpdoctor.domain.checks.mx",
                "smtpdoctor.domain.checks.smtp",
                "smtpdoctor.domain.checks.dane",
            ),
        )
        report = doctor.run(
            DomainRequest(DOMAIN, dns_servers=(dns_server.name_server,), smtp=False)
        )

    assert findings(report) == ["dane.mx-unknown"]
    assert "the mx check did not run (disabled)" in rows(report)[0].summary


def test_the_tlsa_name_follows_the_smtp_port(chain: Chain) -> None:
    report, dns_server = run_dane(zone_with(), smtp_port=2525)

    assert (f"_2525._tcp.{MX}.", "TLSA") in dns_server.questions
    assert rows(report)[0].outcome.details["tlsa_name"] == f"_2525._tcp.{MX}"


def test_a_tlsa_question_that_times_out_is_a_warning(chain: Chain) -> None:
    report, _ = run_dane(
        zone_with(ee_311(chain)),
        dns={"authenticated": True, "drop": {TLSA_NAME}},
        timeout=0.3,
    )

    (row,) = rows(report)
    assert row.outcome.finding == "dane.lookup-failed"
    assert row.status is Status.WARN


def test_only_the_first_records_of_a_huge_rrset_are_read(chain: Chain) -> None:
    many = [f"3 1 1 {hashlib.sha256(bytes([n])).hexdigest()}" for n in range(20)]

    report, _ = run_dane(zone_with(*many), probes=[probe_of(chain.presented)])

    (row,) = rows(report)
    assert row.outcome.finding == "dane.mismatch"
    assert len(row.outcome.details["records"]) == dane.MAX_RECORDS  # type: ignore[arg-type]
    assert row.outcome.details["records_ignored"] == 20 - dane.MAX_RECORDS


def test_each_mx_host_gets_its_own_rows(chain: Chain) -> None:
    backup = "backup.example.test"
    zone = zone_with(ee_311(chain)) + f"\n{backup}. A 127.0.0.2"

    report, _ = run_dane(
        zone,
        probes=[probe_of(chain.presented), ExchangerProbe(backup, None, not_probed="skipped")],
        exchangers=(
            SIGNED_MX,
            Exchanger(backup, 20, ("127.0.0.2",), addresses_authenticated=True),
        ),
    )

    assert [row.outcome.details["mx"] for row in rows(report)] == [MX, MX, backup]
    assert findings(report)[-1] == "dane.no-tlsa"


PROVIDER = "mail.provider.test"
EXPANDED_TLSA = f"_25._tcp.{PROVIDER}"
#: MX as the ``mx`` check shares an alias of PROVIDER whose expansion DNSSEC vouches for.
ALIASED_MX = Exchanger(
    MX, 10, ("127.0.0.1",), addresses_authenticated=True, canonical_name=PROVIDER
)


def alias_zone(*tlsa_lines: str) -> str:
    """MX is an alias (CNAME) of PROVIDER, which has the address."""
    lines = (f"{DOMAIN}. MX 10 {MX}.", f"{MX}. CNAME {PROVIDER}.", f"{PROVIDER}. A 127.0.0.1")
    return "\n".join((*lines, *tlsa_lines))


def test_for_an_aliased_mx_host_the_tlsa_records_are_sought_at_the_expanded_name_first(
    chain: Chain,
) -> None:
    report, dns_server = run_dane(
        alias_zone(f"{EXPANDED_TLSA}. TLSA {ee_311(chain)}"),
        probes=[probe_of(chain.presented)],
        exchangers=(ALIASED_MX,),
    )

    assert findings(report) == ["dane.match", "dane.single-record"]
    match = rows(report)[0]
    assert match.outcome.details["tlsa_name"] == EXPANDED_TLSA
    assert (f"{TLSA_NAME}.", "TLSA") not in dns_server.questions


def test_without_records_at_the_expanded_name_the_original_name_is_asked(chain: Chain) -> None:
    report, dns_server = run_dane(
        alias_zone(f"{TLSA_NAME}. TLSA {ee_311(chain)}"),
        probes=[probe_of(chain.presented)],
        exchangers=(ALIASED_MX,),
    )

    assert findings(report) == ["dane.match", "dane.single-record"]
    assert rows(report)[0].outcome.details["tlsa_asked"] == (EXPANDED_TLSA, TLSA_NAME)
    asked = [name for name, rdtype in dns_server.questions if rdtype == "TLSA"]
    assert asked == [f"{EXPANDED_TLSA}.", f"{TLSA_NAME}."]


def test_a_failed_question_at_the_expanded_name_decides_without_asking_the_original(
    chain: Chain,
) -> None:
    report, dns_server = run_dane(
        alias_zone(f"{TLSA_NAME}. TLSA {ee_311(chain)}"),
        probes=[probe_of(chain.presented)],
        exchangers=(ALIASED_MX,),
        dns={"authenticated": True, "servfail": {EXPANDED_TLSA}},
    )

    assert findings(report) == ["dane.bogus"]
    assert (f"{TLSA_NAME}.", "TLSA") not in dns_server.questions


def test_an_alias_dnssec_does_not_vouch_for_is_not_expanded(chain: Chain) -> None:
    report, dns_server = run_dane(
        alias_zone(f"{EXPANDED_TLSA}. TLSA {ee_311(chain)}"),
        probes=[probe_of(chain.presented)],
        exchangers=(replace(ALIASED_MX, addresses_authenticated=False),),
        dns={"authenticated": {EXPANDED_TLSA}},
    )

    assert findings(report) == ["dane.unsigned-host"]
    assert (f"{EXPANDED_TLSA}.", "TLSA") not in dns_server.questions


IN_PLACE = Finding("stand-in.dane-in-place", Status.INFO, "What the dane check told tls-rpt")


def in_place_reader() -> object:
    """A plugin whose check, after ``dane``, shows the DANE_IN_PLACE stash entry as a row."""

    class Reader(DomainCheck):
        id = "reader"
        title = "DANE_IN_PLACE (stand-in reader)"
        requires = ("dane",)
        findings = (IN_PLACE,)

        def run(self, ctx: DomainContext) -> Iterable[Outcome]:
            in_place = ctx.stash.get(DANE_IN_PLACE)
            return [IN_PLACE.outcome(repr(in_place))]

    class ReaderPlugin:
        @hookimpl
        def smtpdoctor_register_domain_checks(self, register: RegisterDomainCheck) -> None:
            register(Reader)

    return ReaderPlugin()


@pytest.mark.parametrize(
    ("zone_records", "exchanger", "authenticated", "in_place"),
    [
        (("3 1 1 " + "ab" * 32,), SIGNED_MX, True, True),
        (("0 1 1 " + "ab" * 32,), SIGNED_MX, True, False),
        ((), SIGNED_MX, True, False),
        (("3 1 1 " + "ab" * 32,), UNSIGNED_MX, True, False),
        (("3 1 1 " + "ab" * 32,), SIGNED_MX, False, False),
    ],
    ids=["signed-usable", "signed-unusable", "no-tlsa", "unsigned-host", "unsigned-tlsa"],
)
def test_dane_is_in_place_only_with_authenticated_usable_records_at_a_signed_host(
    zone_records: tuple[str, ...], exchanger: Exchanger, authenticated: bool, in_place: bool
) -> None:
    with DNSServer(zone_with(*zone_records), authenticated=authenticated) as dns_server:
        report = audit(
            dns_server,
            DOMAIN,
            builtins=("smtpdoctor.domain.checks.dane",),
            extra_plugins=[stand_ins((exchanger,)), in_place_reader()],
        )

    section = report.section("reader")
    assert section is not None
    assert section.rows[0].summary == repr(in_place)


def test_every_warning_and_failure_tells_what_to_do_and_where_to_read() -> None:
    for finding in dane.Dane.findings:
        assert finding.id.startswith("dane.")
        if finding.status in (Status.WARN, Status.FAIL):
            assert finding.hint is not None and finding.hint.steps, finding.id
            assert finding.hint.url is not None and "rfc-editor.org" in finding.hint.url


def test_with_the_real_mx_and_smtp_checks_the_probed_certificate_is_matched(
    make_smtp_server: Callable[..., SMTPTestServer],
) -> None:
    pki = make_pki(hostnames=(MX,))
    server = make_smtp_server(pki=pki)
    record = record_for(ssl.PEM_cert_to_DER_cert(pki.cert_pem)).text
    zone = f"{DOMAIN}. MX 10 {MX}.\n{MX}. A 127.0.0.1\n_{server.port}._tcp.{MX}. TLSA {record}"

    with DNSServer(zone, authenticated=True) as dns_server:
        report = audit(
            dns_server,
            DOMAIN,
            builtins=(
                "smtpdoctor.domain.checks.mx",
                "smtpdoctor.domain.checks.smtp",
                "smtpdoctor.domain.checks.dane",
            ),
            smtp_port=server.port,
        )

    assert findings(report) == ["dane.match", "dane.single-record"], rows(report)[0].summary
