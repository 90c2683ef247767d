"""What a server certificate says about itself, and whether it names the host we asked for.

Everything here is pure: it works on the DER bytes a TLS handshake handed us and never opens
a socket or touches :mod:`ssl`.  :func:`inspect_certificate` turns those bytes into a
:class:`CertificateInfo`; :func:`hostname_matches` applies the RFC 6125 matching rules the
way modern browsers do (subjectAltName only, no Common Name fallback).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import (
    dsa,
    ec,
    ed448,
    ed25519,
    padding,
    rsa,
    x448,
    x25519,
)
from cryptography.x509.oid import AuthorityInformationAccessOID

__all__ = [
    "CertificateInfo",
    "CertificateParseError",
    "earliest_expiry",
    "hostname_matches",
    "inspect_certificate",
]

_ONE_DAY = timedelta(days=1)

_IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


class CertificateParseError(ValueError):
    """The bytes given to :func:`inspect_certificate` are not a certificate we can read."""


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """The facts about one X.509 certificate that matter when diagnosing a TLS setup."""

    subject: str
    """The subject as an RFC 4514 string, e.g. ``"CN=mail.example.com,O=Example"``."""
    issuer: str
    """The issuer as an RFC 4514 string."""
    serial_number: str
    """The serial number in upper-case hex without ``0x`` (``-`` prefixed if negative)."""
    sans: tuple[str, ...]
    """DNS names and IP addresses from subjectAltName, as strings, in certificate order."""
    not_before: datetime
    """Start of the validity period, timezone-aware UTC."""
    not_after: datetime
    """End of the validity period (inclusive), timezone-aware UTC."""
    key_type: str
    """``"RSA"``, ``"EC (secp256r1)"`` (curve in parentheses), ``"Ed25519"``, ``"Ed448"``,
    ``"DSA"``, ``"X25519"`` or ``"X448"``."""
    key_bits: int
    """Key size in bits: the modulus for RSA/DSA, the curve size for EC, and the size of the
    encoded public key for the Edwards/Montgomery curves (256 for Ed25519, 456 for Ed448)."""
    signature_hash: str | None
    """Hash of the issuer's signature (``"sha256"``, ``"sha1"``, ...); ``None`` for
    Ed25519/Ed448, which have no separate hash.  An algorithm this library does not know is
    reported by its dotted OID."""
    self_signed: bool
    """Issuer equals subject *and* the signature verifies with the certificate's own key."""
    fingerprint_sha256: str
    """SHA-256 of the DER encoding, upper-case hex bytes joined by colons."""
    issuer_urls: tuple[str, ...] = ()
    """Where the issuer's certificate can be downloaded (Authority Information Access
    "CA Issuers"); public CAs set it, private CAs rarely do."""

    def days_left(self, now: datetime) -> int:
        """Whole days from *now* until ``not_after``, rounded down; negative once expired.

        *now* must be timezone-aware.
        """
        return (self.not_after - _require_aware(now)) // _ONE_DAY

    def is_expired(self, now: datetime) -> bool:
        """Whether *now* (timezone-aware) is after ``not_after``."""
        return _require_aware(now) > self.not_after

    def is_not_yet_valid(self, now: datetime) -> bool:
        """Whether *now* (timezone-aware) is before ``not_before``."""
        return _require_aware(now) < self.not_before

    def matches_hostname(self, hostname: str) -> bool:
        """Whether the certificate's subjectAltNames cover *hostname*; see
        :func:`hostname_matches`."""
        return hostname_matches(hostname, self.sans)


def inspect_certificate(der: bytes) -> CertificateInfo:
    """Read a DER-encoded X.509 certificate into a :class:`CertificateInfo`.

    Raises :class:`CertificateParseError` (a :class:`ValueError`) when *der* is not a
    certificate, including when it is PEM text rather than DER bytes.
    """
    if der.lstrip().startswith(b"-----BEGIN"):
        raise CertificateParseError(
            "expected a DER-encoded certificate but got PEM text; "
            "decode the base64 between the BEGIN/END lines first"
        )
    try:
        cert = x509.load_der_x509_certificate(der)
        key_type, key_bits = _describe_key(cert.public_key())
        return CertificateInfo(
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            serial_number=_format_serial(cert.serial_number),
            sans=_subject_alt_names(cert),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            key_type=key_type,
            key_bits=key_bits,
            signature_hash=_signature_hash(cert),
            self_signed=_is_self_signed(cert),
            fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
            issuer_urls=_issuer_urls(cert),
        )
    except (ValueError, UnsupportedAlgorithm) as error:
        raise CertificateParseError(
            f"not a readable DER-encoded X.509 certificate ({len(der)} bytes): {error}"
        ) from error


def earliest_expiry(chain: Sequence[bytes]) -> datetime | None:
    """The earliest ``notAfter`` (timezone-aware UTC) of the DER certificates in ``chain``,
    skipping any that cannot be read; ``None`` when none can.  An expiring intermediate
    breaks the chain as surely as an expiring leaf."""
    expiries = []
    for der in chain:
        try:
            expiries.append(x509.load_der_x509_certificate(der).not_valid_after_utc)
        except ValueError:
            continue
    return min(expiries, default=None)


def _issuer_urls(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    except x509.ExtensionNotFound:
        return ()
    return tuple(
        str(description.access_location.value)
        for description in access.value
        if description.access_method == AuthorityInformationAccessOID.CA_ISSUERS
        and isinstance(description.access_location, x509.UniformResourceIdentifier)
    )


def hostname_matches(hostname: str, sans: Sequence[str]) -> bool:
    """Whether *hostname* is covered by one of the subjectAltName entries *sans*.

    The rules are those of RFC 6125 as applied by modern browsers:

    * Only subjectAltNames count; there is no fallback to the subject's Common Name.
    * DNS names compare case-insensitively, ignoring one trailing dot.
    * A wildcard is honoured only as the entire left-most label (``*.example.com``) and
      matches exactly one label: not ``example.com``, not ``a.b.example.com``.  Partial
      wildcards such as ``f*.example.com``, and wildcards directly above a single label
      (``*.com``), match nothing.
    * An IP address (v4 or v6, in any spelling ``ipaddress`` accepts) matches only entries
      that are IP addresses equal to it, never DNS names or wildcards.
    * Internationalised names are compared as A-labels: a non-ASCII *hostname* is encoded
      with the ``idna`` codec, and if that fails nothing matches.

    Entries of *sans* that parse as IP addresses are treated as IP entries.
    """
    address = _parse_ip(hostname)
    if address is not None:
        return any(_parse_ip(entry) == address for entry in sans)
    reference = _normalise_dns_name(hostname)
    if reference is None or "*" in reference:
        return False
    return any(_dns_entry_matches(reference, entry) for entry in sans if _parse_ip(entry) is None)


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime, e.g. datetime.now(UTC)")
    return now


def _format_serial(serial: int) -> str:
    return f"-{-serial:X}" if serial < 0 else f"{serial:X}"


def _subject_alt_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    names: list[str] = []
    for name in extension.value:
        if isinstance(name, x509.DNSName):
            names.append(name.value)
        elif isinstance(name, x509.IPAddress):
            names.append(str(name.value))
    return tuple(names)


def _describe_key(key: object) -> tuple[str, int]:
    match key:
        case rsa.RSAPublicKey():
            return "RSA", key.key_size
        case ec.EllipticCurvePublicKey():
            return f"EC ({key.curve.name})", key.curve.key_size
        case ed25519.Ed25519PublicKey():
            return "Ed25519", 8 * len(key.public_bytes_raw())
        case ed448.Ed448PublicKey():
            return "Ed448", 8 * len(key.public_bytes_raw())
        case dsa.DSAPublicKey():
            return "DSA", key.key_size
        case x25519.X25519PublicKey():
            return "X25519", 8 * len(key.public_bytes_raw())
        case x448.X448PublicKey():
            return "X448", 8 * len(key.public_bytes_raw())
    raise UnsupportedAlgorithm(f"unsupported public key type {type(key).__name__}")


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return cert.signature_algorithm_oid.dotted_string
    return None if algorithm is None else algorithm.name


def _is_self_signed(cert: x509.Certificate) -> bool:
    # Verified by hand rather than with Certificate.verify_directly_issued_by(), which
    # refuses SHA-1 signatures: a self-signed SHA-1 certificate is exactly what a
    # diagnosis has to recognise.
    if cert.issuer != cert.subject:
        return False
    key = cert.public_key()
    signature, tbs = cert.signature, cert.tbs_certificate_bytes
    try:
        parameters = cert.signature_algorithm_parameters
        algorithm = cert.signature_hash_algorithm
        match key:
            case rsa.RSAPublicKey():
                if not isinstance(parameters, padding.PKCS1v15 | padding.PSS) or algorithm is None:
                    return False
                key.verify(signature, tbs, parameters, algorithm)
            case ec.EllipticCurvePublicKey():
                if not isinstance(parameters, ec.ECDSA):
                    return False
                key.verify(signature, tbs, parameters)
            case ed25519.Ed25519PublicKey() | ed448.Ed448PublicKey():
                key.verify(signature, tbs)
            case dsa.DSAPublicKey():
                if algorithm is None:
                    return False
                key.verify(signature, tbs, algorithm)
            case _:
                return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _parse_ip(text: str) -> _IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _normalise_dns_name(name: str) -> str | None:
    """Lower-case A-label form without the trailing dot, or ``None`` if not a usable name."""
    name = name.strip()
    if name.endswith("."):
        name = name[:-1]
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    name = name.lower()
    if not name or "" in name.split("."):
        return None
    return name


def _dns_entry_matches(reference: str, entry: str) -> bool:
    if entry.startswith("*."):
        rest = _normalise_dns_name(entry[2:])
        if rest is None or "*" in rest or "." not in rest:
            return False
        _, dot, reference_rest = reference.partition(".")
        return bool(dot) and reference_rest == rest
    pattern = _normalise_dns_name(entry)
    return pattern is not None and "*" not in pattern and pattern == reference
