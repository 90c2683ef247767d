"""``certificate``: who the server says it is, whether we believe it, and that a refused
certificate never gets a password sent to it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import CA_COMMON_NAME, ThrowawayPKI, make_pki
from smtpdoctor.model.results import Report, Status
from smtpdoctor.model.words import ExitCode, TLSMode

from tests.checks.checkkit import USER, MakeServer, RunCheck, hint_titles, row


def days_from_now(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


@pytest.fixture(scope="module")
def stranger_ca() -> ThrowawayPKI:
    """A CA that signed none of the servers' certificates: trusting only it trusts nobody."""
    return make_pki()


def run_refused(
    make_server: MakeServer, run_check: RunCheck, pki: ThrowawayPKI, trusted_ca: str
) -> tuple[LocalSMTPServer, Report]:
    """Check a server presenting ``pki``'s certificate while trusting only ``trusted_ca``."""
    server = make_server(pki=pki)
    return server, run_check(server, ca_data=trusted_ca)


def test_a_valid_certificate_passes_naming_issuer_and_days_left(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server)

    result = row(report, "certificate")
    assert result.status is Status.PASS
    assert result.outcome.finding is None
    details = result.outcome.details
    days_left = details["days_left"]
    assert isinstance(days_left, int)
    assert 28 <= days_left <= 30  # the session PKI is valid for 30 days from its creation
    assert result.summary.startswith(
        f"valid for 127.0.0.1, issued by {CA_COMMON_NAME} (smtpdoctor), "
        f"expires in {days_left} days ("
    )
    assert details["sans"] == ("localhost", "127.0.0.1", "::1")
    assert details["key"] == "EC (secp256r1) 256-bit"
    assert details["signature_hash"] == "sha256"
    assert details["self_signed"] is False
    assert details["verification"] == "passed"
    assert details["issuer"] == f"CN={CA_COMMON_NAME},O=smtpdoctor"
    assert details["chain_length"] == 1


def test_a_valid_certificate_costs_no_second_connection(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    run_check(smtp_server)

    assert smtp_server.connections == 1


def test_a_certificate_that_expires_soon_is_a_warning(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(pki=make_pki(not_after=days_from_now(5.5)))

    report = run_check(server)

    result = row(report, "certificate")
    assert result.status is Status.WARN
    assert result.outcome.finding == "certificate.expires-soon"
    assert "expires in 5 days" in result.summary
    assert "Renew the certificate soon" in hint_titles(result)
    assert row(report, "auth").status is Status.PASS


def test_a_certificate_with_one_day_left_says_one_day(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(pki=make_pki(not_after=days_from_now(1.5)))

    report = run_check(server)

    result = row(report, "certificate")
    assert result.outcome.finding == "certificate.expires-critically-soon"
    assert "expires in 1 day (" in result.summary


def test_a_self_signed_certificate_fails_as_self_signed(
    make_server: MakeServer, run_check: RunCheck, stranger_ca: ThrowawayPKI
) -> None:
    _, report = run_refused(make_server, run_check, make_pki(self_signed=True), stranger_ca.ca_pem)

    result = row(report, "certificate")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "certificate.self-signed"
    assert result.summary == "certificate refused: self-signed"
    assert result.outcome.details["self_signed"] is True
    verification = str(result.outcome.details["verification"])
    assert verification.startswith("failed: ")
    assert "self-signed" in verification
    assert "The certificate is self-signed" in hint_titles(result)


def test_an_expired_certificate_fails_saying_how_long_ago(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    pki = make_pki(not_after=days_from_now(-(2 + 1 / 24)))

    _, report = run_refused(make_server, run_check, pki, pki.ca_pem)

    result = row(report, "certificate")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "certificate.expired"
    assert re.fullmatch(
        r"certificate refused: expired \d+ days ago \(\d{4}-\d{2}-\d{2}\)", result.summary
    )
    assert result.outcome.details["verification"] == "failed: certificate has expired"
    assert "The certificate has expired" in hint_titles(result)


def test_an_expired_certificate_counts_whole_days_since_expiry(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    pki = make_pki(not_after=days_from_now(-(2 + 1 / 24)))

    _, report = run_refused(make_server, run_check, pki, pki.ca_pem)

    assert "expired 2 days ago" in row(report, "certificate").summary


def test_a_certificate_for_another_name_fails_listing_the_names_it_has(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    pki = make_pki(hostnames=["other.example", "www.other.example"], ip_addresses=[])

    _, report = run_refused(make_server, run_check, pki, pki.ca_pem)

    result = row(report, "certificate")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "certificate.hostname-mismatch"
    names = "other.example, www.other.example"
    assert result.summary == f"certificate refused: not valid for 127.0.0.1 (it names: {names})"
    assert "The certificate is for another name" in hint_titles(result)


def test_a_leaf_sent_alone_from_an_untrusted_issuer_is_probably_an_incomplete_chain(
    make_server: MakeServer, run_check: RunCheck, stranger_ca: ThrowawayPKI
) -> None:
    """Most servers that send only their leaf, issued by a CA this machine does not trust,
    forgot the intermediate; a private CA signing server certificates itself comes second."""
    _, report = run_refused(make_server, run_check, make_pki(), stranger_ca.ca_pem)

    result = row(report, "certificate")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "certificate.incomplete-chain"
    assert result.summary == (
        "certificate refused: incomplete chain, probably: the server sends only its own "
        "certificate, issued by smtpdoctor throwaway CA (smtpdoctor), which this machine does "
        "not trust — the server probably does not send its intermediate certificate (or "
        "smtpdoctor throwaway CA (smtpdoctor) is a private CA: then --ca-file)"
    )
    assert hint_titles(result) == ["The server does not send its intermediate certificate"]
    steps = result.hints[0].steps
    assert "full chain" in steps[0]
    assert "--ca-file" in steps[1]


def test_a_certificate_not_yet_valid_fails_saying_from_when(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    pki = make_pki(not_before=days_from_now(3))

    _, report = run_refused(make_server, run_check, pki, pki.ca_pem)

    result = row(report, "certificate")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "certificate.not-yet-valid"
    assert result.summary.startswith("certificate refused: not valid before ")


RefusedCase = Callable[[ThrowawayPKI], tuple[ThrowawayPKI, str]]

REFUSED_CASES: dict[str, RefusedCase] = {
    "self-signed": lambda stranger: (make_pki(self_signed=True), stranger.ca_pem),
    "expired": lambda _: _trusted(make_pki(not_after=days_from_now(-3))),
    "hostname-mismatch": lambda _: _trusted(make_pki(hostnames=["other.example"], ip_addresses=[])),
    "incomplete-chain": lambda stranger: (make_pki(), stranger.ca_pem),
}


def _trusted(pki: ThrowawayPKI) -> tuple[ThrowawayPKI, str]:
    return pki, pki.ca_pem


@pytest.mark.parametrize("case", sorted(REFUSED_CASES))
def test_a_refused_certificate_never_gets_the_password(
    case: str, make_server: MakeServer, run_check: RunCheck, stranger_ca: ThrowawayPKI
) -> None:
    pki, trusted_ca = REFUSED_CASES[case](stranger_ca)

    server, report = run_refused(make_server, run_check, pki, trusted_ca)

    assert row(report, "certificate").outcome.finding == f"certificate.{case}"
    auth = row(report, "auth")
    assert auth.status is Status.SKIP
    assert auth.outcome.finding == "auth.not-attempted"
    assert auth.summary == "not attempted: the server's certificate was not verified"
    assert server.auth_attempts == []
    assert not any("AUTH" in line.text for line in report.transcript if line.direction == "C")
    assert report.exit_code is ExitCode.CRITICAL
    # The refused handshake is aborted; one more connection fetches the certificate.
    assert server.connections == 2


def test_a_refused_certificate_on_an_implicit_tls_port_is_diagnosed_too(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    pki = make_pki(not_after=days_from_now(-3))
    server = make_server(tls="implicit", pki=pki)

    report = run_check(server, ca_data=pki.ca_pem)

    assert row(report, "certificate").outcome.finding == "certificate.expired"
    assert row(report, "auth").status is Status.SKIP
    assert server.auth_attempts == []
    assert server.connections == 2


def test_insecure_turns_an_expired_certificate_into_a_warning_and_auth_runs(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    pki = make_pki(not_after=days_from_now(-3))
    server = make_server(pki=pki)

    report = run_check(server, ca_data=pki.ca_pem, insecure=True)

    result = row(report, "certificate")
    assert result.status is Status.WARN
    assert result.outcome.finding == "certificate.unverified"
    assert result.summary.startswith("NOT verified (--insecure): expired ")
    assert result.outcome.details["verification"] == "off (--insecure)"
    auth = row(report, "auth")
    assert auth.status is Status.PASS
    assert server.auth_attempts == [(USER, True)]
    assert server.connections == 1


def test_a_connection_without_tls_has_no_certificate_to_judge(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(tls="none")

    report = run_check(server, password=None, tls=TLSMode.STARTTLS)

    assert row(report, "tls").status is Status.WARN
    certificate = row(report, "certificate")
    assert certificate.status is Status.SKIP
    assert certificate.outcome.finding != "certificate.missing"
    assert report.exit_code is ExitCode.WARNING
