"""Certificate depth: expiry thresholds, incomplete chains, weak keys and signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from smtpdoctor.checks.certificate import _strength_problems
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import make_pki
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import ExitCode
from smtpdoctor.net.certificates import inspect_certificate

from tests.checks.checkkit import MakeServer, RunCheck, hint_titles, row


def test_a_certificate_inside_the_warning_window_warns(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, cert_warn_days=60, cert_crit_days=3)

    result = row(report, "certificate")
    assert result.status is Status.WARN
    assert result.outcome.finding == "certificate.expires-soon"
    assert "under the warning threshold of 60" in result.summary
    assert "Renew the certificate soon" in hint_titles(result)
    assert report.exit_code is ExitCode.WARNING


def test_a_certificate_inside_the_critical_window_fails(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, cert_warn_days=90, cert_crit_days=60)

    result = row(report, "certificate")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "certificate.expires-critically-soon"
    assert "under the critical threshold of 60" in result.summary
    assert result.outcome.details["crit_days"] == 60


def test_a_leaf_sent_without_its_intermediate_is_an_incomplete_chain(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    """A leaf that points at its issuer's URL (as public CAs' do), sent alone, whose issuer
    the client does not have: the server forgot the intermediate."""
    served = make_pki(ca_issuers_url="http://ca.example.test/intermediate.der")
    server = make_server(pki=served)

    report = run_check(server, ca_data=make_pki().ca_pem)

    result = row(report, "certificate")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "certificate.incomplete-chain"
    assert "the server sends only its own certificate" in result.summary
    assert "The server does not send its intermediate certificate" in hint_titles(result)


def rsa_certificate(bits: int) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak.example.test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(Encoding.DER)


def test_a_1024_bit_rsa_key_is_weak() -> None:
    problems = _strength_problems(inspect_certificate(rsa_certificate(1024)))

    assert [(p.status, p.finding) for p in problems] == [(Status.WARN, "certificate.weak-key")]
    assert problems[0].text == "weak key: RSA 1024-bit (use at least 2048)"


@pytest.mark.parametrize("bits", [2048, 3072])
def test_rsa_keys_of_2048_bits_and_more_are_fine(bits: int) -> None:
    assert _strength_problems(inspect_certificate(rsa_certificate(bits))) == []
