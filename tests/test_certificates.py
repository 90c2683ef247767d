"""Specification of :mod:`smtpdoctor.net.certificates`: reading certificates, matching hostnames."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from smtpdoctor.net import certificates
from smtpdoctor.net.certificates import (
    CertificateInfo,
    CertificateParseError,
    hostname_matches,
    inspect_certificate,
)

SigningKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


# --- helpers ---------------------------------------------------------------------------------


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = []
    if organization is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _build(
    key: SigningKey,
    *,
    subject: x509.Name,
    issuer: x509.Name | None = None,
    signer: SigningKey | None = None,
    sans: Sequence[x509.GeneralName] | None = None,
    not_before: datetime = NOW - timedelta(days=10),
    not_after: datetime = NOW + timedelta(days=80),
    hash_algorithm: hashes.SHA256 | hashes.SHA384 | None = None,
    serial: int = 0x1234ABCD,
) -> x509.Certificate:
    """A certificate for *key*, self-signed unless *issuer* and *signer* say otherwise."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    signing_key = signer if signer is not None else key
    if isinstance(signing_key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return builder.sign(signing_key, None)
    return builder.sign(signing_key, hash_algorithm or hashes.SHA256())


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _resign_with_sha1(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bytes:
    """*cert* (RSA-SHA256, 2048-bit key) re-signed with RSA-SHA1, as DER.

    cryptography refuses to *create* SHA-1 signatures nowadays, but servers still present
    such certificates.  The two signature-algorithm OIDs have the same encoded length and a
    2048-bit PKCS#1 v1.5 signature is always 256 bytes, so swapping the OIDs and the
    signature in place yields a well-formed certificate.
    """
    sha256_with_rsa = bytes.fromhex("2a864886f70d01010b")  # 1.2.840.113549.1.1.11
    sha1_with_rsa = bytes.fromhex("2a864886f70d010105")  # 1.2.840.113549.1.1.5
    der = _der(cert)
    assert der.count(sha256_with_rsa) == 2  # once inside the TBS, once outside
    assert der.endswith(cert.signature)
    assert len(cert.signature) == 256
    patched = der.replace(sha256_with_rsa, sha1_with_rsa)
    tbs = x509.load_der_x509_certificate(patched).tbs_certificate_bytes
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    return patched[: -len(signature)] + signature


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def leaf(ca: trustme.CA) -> CertificateInfo:
    issued = ca.issue_cert(
        "mail.example.com",
        "*.relay.example.com",
        "192.0.2.25",
        "2001:db8::25",
        common_name="mail.example.com",
        organization_name="Example",
        not_before=NOW - timedelta(days=10),
        not_after=NOW + timedelta(days=80),
    )
    pem = issued.cert_chain_pems[0].bytes()
    return inspect_certificate(_der(x509.load_pem_x509_certificate(pem)))


# --- reading a certificate -------------------------------------------------------------------


def test_a_ca_issued_leaf_is_described_field_by_field(
    ca: trustme.CA, leaf: CertificateInfo
) -> None:
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())

    assert leaf.subject.startswith("CN=mail.example.com,")
    assert "O=Example" in leaf.subject
    assert leaf.issuer == ca_cert.subject.rfc4514_string()
    assert leaf.sans == ("mail.example.com", "*.relay.example.com", "192.0.2.25", "2001:db8::25")
    assert leaf.not_before == NOW - timedelta(days=10)
    assert leaf.not_after == NOW + timedelta(days=80)
    assert leaf.key_type == "EC (secp256r1)"
    assert leaf.key_bits == 256
    assert leaf.signature_hash == "sha256"
    assert leaf.self_signed is False


def test_validity_dates_are_timezone_aware_utc(leaf: CertificateInfo) -> None:
    assert leaf.not_before.tzinfo is not None
    assert leaf.not_before.utcoffset() == timedelta(0)
    assert leaf.not_after.utcoffset() == timedelta(0)


def test_subject_and_issuer_are_rfc_4514_strings(ec_key: ec.EllipticCurvePrivateKey) -> None:
    cert = _build(ec_key, subject=_name("mail.example.com", organization="Example"))

    info = inspect_certificate(_der(cert))

    assert info.subject == "CN=mail.example.com,O=Example"
    assert info.issuer == "CN=mail.example.com,O=Example"


def test_serial_number_is_upper_case_hex_without_prefix(ec_key: ec.EllipticCurvePrivateKey) -> None:
    cert = _build(ec_key, subject=_name("a"), serial=0xDEADBEEF01)

    assert inspect_certificate(_der(cert)).serial_number == "DEADBEEF01"


def test_fingerprint_is_the_sha256_of_the_der_bytes_with_colons(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    der = _der(_build(ec_key, subject=_name("a")))
    expected = ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())

    assert inspect_certificate(der).fingerprint_sha256 == expected


def test_rsa_key_reports_its_modulus_size(ca: trustme.CA) -> None:
    issued = ca.issue_cert("rsa.example.com", key_type=trustme.KeyType.RSA)
    cert = x509.load_pem_x509_certificate(issued.cert_chain_pems[0].bytes())

    info = inspect_certificate(_der(cert))

    assert (info.key_type, info.key_bits) == ("RSA", 2048)


def test_ec_key_names_its_curve(ec_key: ec.EllipticCurvePrivateKey) -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    cert = _build(p384, subject=_name("a"), hash_algorithm=hashes.SHA384())

    info = inspect_certificate(_der(cert))

    assert (info.key_type, info.key_bits, info.signature_hash) == ("EC (secp384r1)", 384, "sha384")


@pytest.mark.parametrize(
    ("key", "key_type", "key_bits"),
    [
        pytest.param(ed25519.Ed25519PrivateKey.generate(), "Ed25519", 256, id="ed25519"),
        pytest.param(ed448.Ed448PrivateKey.generate(), "Ed448", 456, id="ed448"),
    ],
)
def test_edwards_keys_have_no_separate_signature_hash(
    key: SigningKey, key_type: str, key_bits: int
) -> None:
    info = inspect_certificate(_der(_build(key, subject=_name("edwards.example"))))

    assert (info.key_type, info.key_bits) == (key_type, key_bits)
    assert info.signature_hash is None
    assert info.self_signed is True


def test_sha1_signature_is_reported_and_still_recognised_as_self_signed(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    cert = _build(rsa_key, subject=_name("legacy.example.com"))

    info = inspect_certificate(_resign_with_sha1(cert, rsa_key))

    assert info.signature_hash == "sha1"
    assert info.self_signed is True


def test_a_trustme_root_is_self_signed(ca: trustme.CA) -> None:
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())

    assert inspect_certificate(_der(ca_cert)).self_signed is True


def test_same_issuer_and_subject_but_foreign_signature_is_not_self_signed(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    impostor = ec.generate_private_key(ec.SECP256R1())
    cert = _build(ec_key, subject=_name("looks-self-signed.example"), signer=impostor)

    info = inspect_certificate(_der(cert))

    assert info.issuer == info.subject
    assert info.self_signed is False


def test_a_certificate_without_subject_alt_names_has_none(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    info = inspect_certificate(_der(_build(ec_key, subject=_name("mail.example.com"))))

    assert info.sans == ()


def test_only_dns_and_ip_subject_alt_names_are_listed_in_order(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    sans: list[x509.GeneralName] = [
        x509.RFC822Name("postmaster@example.com"),
        x509.IPAddress(ipaddress.ip_address("::1")),
        x509.UniformResourceIdentifier("https://example.com/"),
        x509.DNSName("mx.example.com"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]

    info = inspect_certificate(_der(_build(ec_key, subject=_name("x"), sans=sans)))

    assert info.sans == ("::1", "mx.example.com", "127.0.0.1")


# --- validity over time ----------------------------------------------------------------------


def test_a_certificate_inside_its_validity_period(leaf: CertificateInfo) -> None:
    assert leaf.is_expired(NOW) is False
    assert leaf.is_not_yet_valid(NOW) is False
    assert leaf.days_left(NOW) == 80


def test_days_left_rounds_down(leaf: CertificateInfo) -> None:
    assert leaf.days_left(leaf.not_after - timedelta(days=1, hours=23)) == 1
    assert leaf.days_left(leaf.not_after - timedelta(seconds=1)) == 0


def test_not_after_itself_is_still_valid(leaf: CertificateInfo) -> None:
    assert leaf.is_expired(leaf.not_after) is False
    assert leaf.days_left(leaf.not_after) == 0


def test_an_expired_certificate_has_negative_days_left(ca: trustme.CA) -> None:
    issued = ca.issue_cert(
        "old.example.com",
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=35),
    )
    cert = x509.load_pem_x509_certificate(issued.cert_chain_pems[0].bytes())

    info = inspect_certificate(_der(cert))

    assert info.is_expired(NOW) is True
    assert info.is_not_yet_valid(NOW) is False
    assert info.days_left(NOW) == -35
    assert info.days_left(info.not_after + timedelta(seconds=1)) == -1


def test_a_certificate_from_the_future_is_not_yet_valid(ec_key: ec.EllipticCurvePrivateKey) -> None:
    cert = _build(
        ec_key,
        subject=_name("future.example.com"),
        not_before=NOW + timedelta(days=2),
        not_after=NOW + timedelta(days=92),
    )

    info = inspect_certificate(_der(cert))

    assert info.is_not_yet_valid(NOW) is True
    assert info.is_expired(NOW) is False
    assert info.is_not_yet_valid(info.not_before) is False


def test_now_in_another_timezone_is_compared_as_the_same_instant(leaf: CertificateInfo) -> None:
    tokyo = NOW.astimezone(timezone(timedelta(hours=9)))

    assert leaf.days_left(tokyo) == leaf.days_left(NOW)
    assert leaf.is_expired(tokyo) is leaf.is_expired(NOW)


@pytest.mark.parametrize("method", ["days_left", "is_expired", "is_not_yet_valid"])
def test_a_naive_now_is_rejected(leaf: CertificateInfo, method: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        getattr(leaf, method)(datetime(2030, 1, 1))


# --- unreadable input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x00\x01\x02 not a certificate", id="garbage"),
        pytest.param(b"\x30\x82\x05\x00\x30", id="truncated-sequence"),
    ],
)
def test_garbage_bytes_raise_certificate_parse_error(garbage: bytes) -> None:
    with pytest.raises(CertificateParseError, match=r"not a readable DER-encoded X\.509"):
        inspect_certificate(garbage)


def test_certificate_parse_error_is_a_value_error() -> None:
    assert issubclass(CertificateParseError, ValueError)


def test_a_truncated_real_certificate_is_rejected(ec_key: ec.EllipticCurvePrivateKey) -> None:
    der = _der(_build(ec_key, subject=_name("a")))

    with pytest.raises(CertificateParseError):
        inspect_certificate(der[:-10])


def test_pem_instead_of_der_gets_a_helpful_message(ec_key: ec.EllipticCurvePrivateKey) -> None:
    pem = _build(ec_key, subject=_name("a")).public_bytes(Encoding.PEM)

    with pytest.raises(CertificateParseError, match="got PEM"):
        inspect_certificate(pem)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_escape_as_anything_but_a_parse_error(data: bytes) -> None:
    with contextlib.suppress(CertificateParseError):
        inspect_certificate(data)


def test_the_module_stays_pure() -> None:
    tree = ast.parse(Path(certificates.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }

    assert not imported & {"socket", "ssl", "asyncio"}


# --- hostname matching -----------------------------------------------------------------------

MATCHING_TABLE = [
    # (hostname, sans, expected)
    ("mail.example.com", ["mail.example.com"], True),
    ("MAIL.Example.COM", ["mail.example.com"], True),
    ("mail.example.com", ["MAIL.EXAMPLE.COM"], True),
    ("mail.example.com.", ["mail.example.com"], True),
    ("mail.example.com", ["mail.example.com."], True),
    ("mail.example.com", ["other.example.com", "mail.example.com"], True),
    ("mail.example.com", ["mail.example.org"], False),
    ("mail.example.com", ["example.com"], False),
    ("mail.example.com", [], False),
    ("", ["mail.example.com"], False),
    ("mail..example.com", ["mail..example.com"], False),
    # wildcards: whole left-most label only, exactly one label deep
    ("a.example.com", ["*.example.com"], True),
    ("A.EXAMPLE.COM", ["*.Example.Com"], True),
    ("example.com", ["*.example.com"], False),
    ("a.b.example.com", ["*.example.com"], False),
    (".example.com", ["*.example.com"], False),
    ("foo.example.com", ["f*.example.com"], False),
    ("foo.example.com", ["*o.example.com"], False),
    ("foo.example.com", ["f*o.example.com"], False),
    ("a.b.example.com", ["a.*.example.com"], False),
    ("example.com", ["*.com"], False),
    ("a.example.com", ["*"], False),
    ("*.example.com", ["*.example.com"], False),
    # IP addresses: only IP entries, compared as addresses
    ("127.0.0.1", ["127.0.0.1"], True),
    ("::1", ["0:0::1"], True),
    ("2001:DB8::1", ["2001:db8:0:0:0:0:0:1"], True),
    ("127.0.0.1", ["127.0.0.2"], False),
    ("127.0.0.1", ["::ffff:127.0.0.1"], False),
    ("127.0.0.1", ["*.0.0.1"], False),
    ("10.0.0.1", ["*.0.0.1", "localhost"], False),
    ("localhost", ["127.0.0.1", "::1"], False),
    # internationalised names are compared as A-labels
    ("bücher.example", ["xn--bcher-kva.example"], True),
    ("BÜCHER.example", ["xn--bcher-kva.example"], True),
    ("xn--bcher-kva.example", ["xn--bcher-kva.example"], True),
    ("bücher.example", ["*.example"], False),
    ("mail.bücher.example", ["*.xn--bcher-kva.example"], True),
    ("bücher.example", ["bucher.example"], False),
    ("\udcff.example", ["xn--.example"], False),
    ("a" * 64 + "é.example", ["a.example"], False),
]


@pytest.mark.parametrize(("hostname", "sans", "expected"), MATCHING_TABLE)
def test_hostname_matching_follows_rfc_6125(hostname: str, sans: list[str], expected: bool) -> None:
    assert hostname_matches(hostname, sans) is expected


def test_the_common_name_is_never_consulted(ec_key: ec.EllipticCurvePrivateKey) -> None:
    cert = _build(ec_key, subject=_name("mail.example.com"), sans=[x509.DNSName("other.example")])

    info = inspect_certificate(_der(cert))

    assert info.matches_hostname("mail.example.com") is False
    assert info.matches_hostname("other.example") is True


def test_matches_hostname_uses_the_certificates_sans(leaf: CertificateInfo) -> None:
    assert leaf.matches_hostname("mail.example.com")
    assert leaf.matches_hostname("smtp.relay.example.com")
    assert leaf.matches_hostname("192.0.2.25")
    assert leaf.matches_hostname("2001:db8:0::25")
    assert not leaf.matches_hostname("relay.example.com")
    assert not leaf.matches_hostname("192.0.2.26")


_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_TOP_LEVEL = st.from_regex(r"[a-z]{2,10}", fullmatch=True)  # alphabetic, so never an IP
_DNS_NAME = st.builds(
    lambda labels, top: ".".join([*labels, top]),
    st.lists(_LABEL, min_size=1, max_size=4),
    _TOP_LEVEL,
)


@given(_DNS_NAME)
def test_every_name_matches_itself_in_any_case(name: str) -> None:
    assert hostname_matches(name, [name])
    assert hostname_matches(name.upper(), [name])
    assert hostname_matches(name + ".", [name.upper()])


@given(_LABEL, _DNS_NAME)
def test_a_wildcard_covers_exactly_one_extra_label(label: str, parent: str) -> None:
    assert hostname_matches(f"{label}.{parent}", [f"*.{parent}"])
    assert not hostname_matches(parent, [f"*.{parent}"])
    assert not hostname_matches(f"{label}.{label}.{parent}", [f"*.{parent}"])
