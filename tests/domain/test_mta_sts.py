"""The ``mta-sts`` domain check, end to end: a test DNS server, a real HTTPS policy host on
loopback and, for the MX hosts' STARTTLS, real aiosmtpd servers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain import DomainCheck, DomainContext, DomainReport, Finding
from smtpdoctor.domain.check import RegisterDomainCheck
from smtpdoctor.domain.facts import PROBES, ExchangerProbe
from smtpdoctor.lab.pki import make_pki
from smtpdoctor.lab.smtpserver import LocalSMTPServer
from smtpdoctor.model.results import CheckResult, Outcome, Report, Status, Target
from smtpdoctor.model.words import TLSMode

from tests.domain.domainkit import audit
from tests.domain.httpskit import HTTPSServer, Reply
from tests.targets.dnsserver import DNSServer

BUILTINS = (
    "smtpdoctor.domain.checks.mx",
    "smtpdoctor.domain.checks.smtp",
    "smtpdoctor.domain.checks.mta_sts",
)
DOMAIN = "example.test"
BASE = """
example.test.          MX   10 mx.example.test.
mx.example.test.       A    127.0.0.1
mta-sts.example.test.  A    127.0.0.1
"""
RECORD = '_mta-sts.example.test. TXT "v=STSv1; id=20240601T000000"'
ENFORCE = b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 604800\r\n"


@pytest.fixture
def https() -> Iterator[HTTPSServer]:
    with HTTPSServer(Reply(body=ENFORCE)) as server:
        yield server


def run(
    https: HTTPSServer,
    zone: str = BASE + RECORD,
    *,
    builtins: Sequence[str] = BUILTINS,
    extra_plugins: Sequence[object] = (),
    **request: Any,
) -> DomainReport:
    request.setdefault("smtp", False)
    request.setdefault("ca_file", https.ca_file)
    with DNSServer(zone) as dns_server:
        return audit(
            dns_server,
            DOMAIN,
            builtins=builtins,
            extra_plugins=extra_plugins,
            https_port=https.port,
            **request,
        )


def rows(report: DomainReport) -> list[CheckResult]:
    section = report.section("mta-sts")
    assert section is not None
    return list(section.rows)


def findings(report: DomainReport) -> list[str]:
    return [row.outcome.finding or "" for row in rows(report)]


def row(report: DomainReport, finding: str) -> CheckResult:
    found = report.row(finding)
    assert found is not None, findings(report)
    return found


def test_a_domain_without_the_record_has_no_mta_sts_and_no_policy_is_fetched(
    https: HTTPSServer,
) -> None:
    report = run(https, zone=BASE)
    assert findings(report) == ["mta-sts.none"]
    assert row(report, "mta-sts.none").status is Status.INFO
    assert "_mta-sts.example.test" in row(report, "mta-sts.none").summary
    assert https.requests == []


def test_an_enforced_policy_that_covers_the_mx_passes_and_says_the_mx_was_not_probed(
    https: HTTPSServer,
) -> None:
    report = run(https)
    assert findings(report) == [
        "mta-sts.record",
        "mta-sts.enforce",
        "mta-sts.mx-covered",
        "mta-sts.mx-tls-not-probed",
    ]
    assert row(report, "mta-sts.record").outcome.details["id"] == "20240601T000000"
    policy = row(report, "mta-sts.enforce").outcome.details
    assert (policy["mode"], policy["max_age"], policy["mx"]) == (
        "enforce",
        604800,
        ("mx.example.test",),
    )
    assert "--no-smtp" in row(report, "mta-sts.mx-tls-not-probed").summary
    assert report.section("mta-sts").status is Status.PASS  # type: ignore[union-attr]


def test_an_mx_outside_an_enforced_policy_fails_naming_it(https: HTTPSServer) -> None:
    https.reply = Reply(body=ENFORCE.replace(b"mx.example.test", b"*.mail.example.test"))
    report = run(https)
    failed = row(report, "mta-sts.mx-not-covered")
    assert failed.status is Status.FAIL
    assert "mx.example.test" in failed.summary
    assert "*.mail.example.test" in failed.summary


def test_an_mx_outside_a_testing_policy_is_a_warning(https: HTTPSServer) -> None:
    body = b"version: STSv1\nmode: testing\nmx: other.example.test\nmax_age: 604800\n"
    https.reply = Reply(body=body)
    report = run(https)
    assert row(report, "mta-sts.testing").status is Status.INFO
    assert row(report, "mta-sts.testing").hints[0].title.startswith("Move to mode: enforce")
    assert row(report, "mta-sts.testing-mx-not-covered").status is Status.WARN


def test_a_wildcard_pattern_covers_the_mx_one_label_below(https: HTTPSServer) -> None:
    https.reply = Reply(body=ENFORCE.replace(b"mx.example.test", b"*.example.test"))
    report = run(https)
    assert "mx.example.test (*.example.test)" in row(report, "mta-sts.mx-covered").summary


def test_mode_none_is_information_and_no_mx_is_judged(https: HTTPSServer) -> None:
    https.reply = Reply(body=b"version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n")
    report = run(https)
    assert findings(report) == ["mta-sts.record", "mta-sts.mode-none"]


def test_a_max_age_under_a_day_is_a_warning(https: HTTPSServer) -> None:
    https.reply = Reply(body=ENFORCE.replace(b"604800", b"3600"))
    report = run(https)
    short = row(report, "mta-sts.max-age-short")
    assert short.status is Status.WARN
    assert "3600 s (1 hour)" in short.summary


def test_two_records_fail_as_senders_ignore_both(https: HTTPSServer) -> None:
    zone = BASE + RECORD + '\n_mta-sts.example.test. TXT "v=STSv1; id=2"'
    report = run(https, zone=zone)
    assert row(report, "mta-sts.record-multiple").status is Status.FAIL
    assert "2 records" in row(report, "mta-sts.record-multiple").summary


def test_a_malformed_record_fails_saying_what_is_wrong(https: HTTPSServer) -> None:
    report = run(https, zone=BASE + '_mta-sts.example.test. TXT "v=STSv1; id=2024-06-01"')
    invalid = row(report, "mta-sts.record-invalid")
    assert invalid.status is Status.FAIL
    assert "not 1 to 32 letters and digits" in invalid.summary


@pytest.mark.parametrize(
    "record",
    [
        RECORD + '\n_mta-sts.example.test. TXT "v=STSv1; id=2"',
        '_mta-sts.example.test. TXT "v=STSv1; id=2024-06-01"',
    ],
    ids=["two records", "a malformed record"],
)
def test_behind_a_broken_record_the_policy_is_shown_as_information_without_consequences(
    https: HTTPSServer, record: str
) -> None:
    https.reply = Reply(body=ENFORCE.replace(b"mx.example.test", b"other.example.test"))
    report = run(https, zone=BASE + record)
    assert findings(report)[1:] == ["mta-sts.policy-unused"]
    unused = row(report, "mta-sts.policy-unused")
    assert unused.status is Status.INFO
    assert "mode enforce" in unused.summary
    assert "would apply once the _mta-sts record is fixed" in unused.summary
    assert "MX mx.example.test would not match" in unused.summary
    assert unused.outcome.details["not_covered"] == ("mx.example.test",)


def test_behind_a_broken_record_an_invalid_policy_still_shows_its_errors(
    https: HTTPSServer,
) -> None:
    https.reply = Reply(body=b"version: STSv1\nmode: enforce\nmx: mx.example.test\n")
    zone = BASE + RECORD + '\n_mta-sts.example.test. TXT "v=STSv1; id=2"'
    report = run(https, zone=zone)
    assert findings(report) == ["mta-sts.record-multiple", "mta-sts.policy-invalid"]


def test_a_record_that_cannot_be_read_is_a_warning_naming_the_dns_failure(
    https: HTTPSServer,
) -> None:
    with DNSServer(BASE + RECORD, servfail={"_mta-sts.example.test"}) as dns_server:
        report = audit(
            dns_server,
            DOMAIN,
            builtins=BUILTINS,
            https_port=https.port,
            smtp=False,
            ca_file=https.ca_file,
        )
    failed = row(report, "mta-sts.dns-failed")
    assert failed.status is Status.WARN
    assert "SERVFAIL" in failed.summary


def test_a_redirecting_policy_url_fails_naming_the_location(https: HTTPSServer) -> None:
    https.reply = Reply(status=302, reason="Found", headers=(("Location", "https://x.test/p"),))
    report = run(https)
    redirect = row(report, "mta-sts.policy-redirect")
    assert redirect.status is Status.FAIL
    assert redirect.outcome.details["location"] == "https://x.test/p"
    assert len(https.requests) == 1


def test_a_policy_host_with_a_certificate_for_another_name_fails() -> None:
    with HTTPSServer(Reply(body=ENFORCE), names=("www.example.test",)) as other:
        report = run(other)
    failed = row(report, "mta-sts.policy-certificate")
    assert failed.status is Status.FAIL
    assert "mta-sts.example.test" in failed.summary


def test_a_policy_host_without_an_address_is_unreachable(https: HTTPSServer) -> None:
    zone = BASE.replace("mta-sts.example.test.  A    127.0.0.1", "") + RECORD
    report = run(https, zone=zone)
    failed = row(report, "mta-sts.policy-unreachable")
    assert failed.outcome.details["failure"] == "dns"
    assert "NXDOMAIN" in failed.summary


def test_a_policy_served_as_html_fails(https: HTTPSServer) -> None:
    https.reply = Reply(body=ENFORCE, headers=(("Content-Type", "text/html"),))
    report = run(https)
    assert row(report, "mta-sts.policy-content-type").outcome.details["content_type"] == (
        "text/html"
    )


def test_a_policy_host_that_is_not_speaking_http_fails_as_malformed_not_unreachable(
    https: HTTPSServer,
) -> None:
    padding = b"".join(b"X-A%d: %s\r\n" % (index, b"a" * 1000) for index in range(40))
    https.reply = Reply(raw=b"HTTP/1.1 200 OK\r\n" + padding + b"\r\n")
    report = run(https)
    malformed = row(report, "mta-sts.policy-malformed")
    assert malformed.status is Status.FAIL
    assert "header block is over 32 KiB" in malformed.summary
    assert malformed.outcome.details["failure"] == "protocol"
    assert "curl -v" in " ".join(malformed.hints[0].steps)


def test_a_policy_host_too_slow_to_answer_fails_as_interrupted(https: HTTPSServer) -> None:
    https.reply = Reply(body=ENFORCE, drip=0.05)
    report = run(https, timeout=0.5)
    interrupted = row(report, "mta-sts.policy-interrupted")
    assert interrupted.status is Status.FAIL
    assert interrupted.outcome.details["failure"] == "timeout"
    assert "too slow" in interrupted.summary


def test_a_policy_host_that_cuts_the_body_short_fails_as_interrupted(
    https: HTTPSServer,
) -> None:
    https.reply = Reply(
        raw=b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nversion"
    )
    report = run(https)
    interrupted = row(report, "mta-sts.policy-interrupted")
    assert interrupted.outcome.details["failure"] == "closed"
    assert "7 of 100 bytes" in interrupted.summary


def test_a_policy_over_64_kib_fails(https: HTTPSServer) -> None:
    https.reply = Reply(body=ENFORCE + b"x: " + b"y" * 70_000 + b"\n", framing="chunked")
    report = run(https)
    assert row(report, "mta-sts.policy-too-big").status is Status.FAIL


def test_a_malformed_policy_fails_with_its_errors(https: HTTPSServer) -> None:
    https.reply = Reply(body=b"version: STSv1\nmode: enforce\nmx: mx.example.test\n")
    report = run(https)
    invalid = row(report, "mta-sts.policy-invalid")
    assert "no max_age line" in invalid.summary
    assert invalid.outcome.details["errors"] == ("it has no max_age line",)


# -- the MX hosts on port 25 (real STARTTLS servers) ------------------------------------------


def mx_server(**options: Any) -> LocalSMTPServer:
    server = LocalSMTPServer(require_starttls=False, hostname="mx.example.test", **options)
    server.start()
    return server


def test_an_mx_with_starttls_and_a_valid_certificate_meets_the_policy(
    https: HTTPSServer, tmp_path: Path
) -> None:
    pki = make_pki(hostnames=("mx.example.test",), ip_addresses=())
    cas = tmp_path / "cas.pem"
    cas.write_text(https.ca_file.read_text() + pki.ca_pem)
    server = mx_server(pki=pki)
    try:
        report = run(https, smtp=True, smtp_port=server.port, ca_file=cas)
    finally:
        server.stop()
    ok = row(report, "mta-sts.mx-tls-ok")
    assert ok.status is Status.PASS
    assert "mx.example.test" in ok.summary


def test_an_mx_certificate_for_another_name_fails_an_enforced_policy(
    https: HTTPSServer, tmp_path: Path
) -> None:
    pki = make_pki(hostnames=("elsewhere.example.test",), ip_addresses=())
    cas = tmp_path / "cas.pem"
    cas.write_text(https.ca_file.read_text() + pki.ca_pem)
    server = mx_server(pki=pki)
    try:
        report = run(https, smtp=True, smtp_port=server.port, ca_file=cas)
    finally:
        server.stop()
    failed = row(report, "mta-sts.mx-certificate-invalid")
    assert failed.status is Status.FAIL
    assert "mx.example.test" in failed.summary


def test_an_mx_without_starttls_is_a_warning_under_a_testing_policy(
    https: HTTPSServer,
) -> None:
    https.reply = Reply(body=ENFORCE.replace(b"enforce", b"testing"))
    server = mx_server(tls="none")
    try:
        report = run(https, smtp=True, smtp_port=server.port)
    finally:
        server.stop()
    warned = row(report, "mta-sts.testing-mx-no-starttls")
    assert warned.status is Status.WARN
    assert "STARTTLS" in warned.summary


# -- the MX hosts' TLS, as the smtp check's verdict says (probes given by the test) ----------

PROBED = Finding("smtp.given", Status.INFO, "Probes given by the test")


def given_probes(*probes: ExchangerProbe) -> object:
    """A plugin whose ``smtp`` check stashes ``probes`` instead of probing port 25."""

    class GivenSMTP(DomainCheck):
        id = "smtp"
        title = "MX on port 25"
        requires = ("mx",)
        findings = (PROBED,)

        def run(self, ctx: DomainContext) -> Iterable[Outcome]:
            ctx.stash[PROBES] = probes
            return [PROBED.outcome("probes given by the test")]

    class Plugin:
        @hookimpl
        def smtpdoctor_register_domain_checks(self, register: RegisterDomainCheck) -> None:
            register(GivenSMTP)

    return Plugin()


def pipeline_report(*rows: tuple[str, Status, str]) -> Report:
    """A ``check`` report against the MX with these (check, status, finding) rows."""
    return Report(
        Target("mx.example.test", 25, TLSMode.STARTTLS),
        tuple(
            CheckResult(check, check, Outcome(status, f"{check}: {finding}", finding=finding))
            for check, status, finding in rows
        ),
        datetime.now(UTC),
        0.0,
        "test",
    )


def run_with(https: HTTPSServer, probe: ExchangerProbe) -> DomainReport:
    return run(
        https,
        builtins=("smtpdoctor.domain.checks.mx", "smtpdoctor.domain.checks.mta_sts"),
        extra_plugins=(given_probes(probe),),
    )


def test_a_certificate_still_valid_meets_the_policy_whatever_other_certificate_rows_say(
    https: HTTPSServer,
) -> None:
    report = pipeline_report(
        ("tls", Status.PASS, "tls.ok"),
        ("certificate", Status.FAIL, "certificate.expires-critically-soon"),
    )
    probe = ExchangerProbe("mx.example.test", report, starttls=True, certificate_valid=True)
    result = run_with(https, probe)
    assert findings(result)[-1] == "mta-sts.mx-tls-ok"
    assert row(result, "mta-sts.mx-tls-ok").status is Status.PASS


def test_a_certificate_the_smtp_check_found_invalid_fails_an_enforced_policy_with_its_reason(
    https: HTTPSServer,
) -> None:
    probe = ExchangerProbe(
        "mx.example.test",
        pipeline_report(("tls", Status.PASS, "tls.ok")),
        starttls=True,
        certificate_valid=False,
        certificate_problem="the certificate expired 3 days ago",
    )
    failed = row(run_with(https, probe), "mta-sts.mx-certificate-invalid")
    assert failed.status is Status.FAIL
    assert failed.summary == "MX mx.example.test: the certificate expired 3 days ago"


def test_an_mx_without_a_starttls_session_fails_an_enforced_policy(https: HTTPSServer) -> None:
    probe = ExchangerProbe(
        "mx.example.test",
        pipeline_report(("tls", Status.FAIL, "tls.starttls-not-offered")),
        starttls=False,
    )
    failed = row(run_with(https, probe), "mta-sts.mx-no-starttls")
    assert failed.status is Status.FAIL
    assert "mx.example.test" in failed.summary


@pytest.mark.parametrize(
    ("probe", "why"),
    [
        (
            ExchangerProbe("mx.example.test", None, not_probed="the deadline passed"),
            "the deadline passed",
        ),
        (
            ExchangerProbe(
                "mx.example.test",
                pipeline_report(("tcp", Status.FAIL, "tcp.refused")),
                certificate_problem="the connection was refused",
            ),
            "the connection was refused",
        ),
        (
            ExchangerProbe(
                "mx.example.test",
                pipeline_report(("tls", Status.PASS, "tls.ok")),
                starttls=True,
                certificate_problem="the certificate was not verified (--insecure)",
            ),
            "the certificate was not verified (--insecure)",
        ),
    ],
    ids=["not probed", "stopped before STARTTLS", "certificate not verified"],
)
def test_a_verdict_the_smtp_check_could_not_reach_is_unknown_with_its_reason(
    https: HTTPSServer, probe: ExchangerProbe, why: str
) -> None:
    unknown = row(run_with(https, probe), "mta-sts.mx-tls-not-probed")
    assert unknown.status is Status.INFO
    assert unknown.summary == f"not known for 1 MX host: mx.example.test: {why}"


def test_a_domain_that_does_not_exist_gets_one_skip_row_and_no_policy_is_fetched(
    https: HTTPSServer,
) -> None:
    report = run(https, zone="other.test. A 127.0.0.1\n")

    assert findings(report) == ["mta-sts.not-applicable"]
    assert rows(report)[0].status is Status.SKIP
    assert rows(report)[0].summary == "not checked: example.test does not exist (NXDOMAIN)"
    assert https.requests == []


def test_a_null_mx_domain_is_told_mta_sts_does_not_apply_even_with_a_record(
    https: HTTPSServer,
) -> None:
    report = run(https, zone="example.test. MX 0 .\n" + RECORD)

    assert findings(report) == ["mta-sts.null-mx"]
    assert rows(report)[0].status is Status.INFO
    assert rows(report)[0].summary == "not applicable: the domain accepts no mail (null MX)"
    assert https.requests == []


def test_a_failed_mx_look_up_leaves_the_mx_hosts_to_compare_unknown_not_absent(
    https: HTTPSServer,
) -> None:
    with DNSServer(BASE + RECORD, servfail_types={("example.test.", "MX")}) as dns_server:
        report = audit(
            dns_server,
            DOMAIN,
            builtins=BUILTINS,
            https_port=https.port,
            ca_file=https.ca_file,
            smtp=False,
        )

    assert findings(report)[-1] == "mta-sts.mx-unknown"
    assert rows(report)[-1].summary == (
        "no MX host to compare with the policy: the MX set is unknown: its look-up failed "
        "(see the MX section)"
    )
