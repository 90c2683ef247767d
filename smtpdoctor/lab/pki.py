"""A certificate authority that lives for one demo or one test, and the leaves it signs.

:func:`make_pki` creates a fresh CA and a server certificate with :mod:`cryptography` alone;
:func:`make_ca` keeps the CA to issue one leaf per server of a fleet.  Keys never touch the
disk except for the instant :meth:`ThrowawayPKI.server_context` needs to hand them to
:mod:`ssl`, which can only load a private key from a file.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

__all__ = ["CA_COMMON_NAME", "TEMPDIR_PREFIX", "ThrowawayCA", "ThrowawayPKI", "make_ca", "make_pki"]

CA_COMMON_NAME = "smtpdoctor throwaway CA"
"""Common Name of every throwaway certificate authority."""

TEMPDIR_PREFIX = "smtpdoctor-pki-"
"""Prefix of the short-lived directory :meth:`ThrowawayPKI.server_context` loads keys from."""

_PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_DEFAULT_LIFETIME = timedelta(days=30)
_CA_LIFETIME = timedelta(days=90)
_BACKDATE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ThrowawayPKI:
    """A CA certificate, a leaf certificate it signed, and the leaf's private key, as PEM.

    For a self-signed leaf, ``ca_pem`` equals ``cert_pem``: the leaf is its own trust anchor.
    """

    ca_pem: str
    """The certificate a client must trust (PEM)."""
    cert_pem: str
    """The server's leaf certificate (PEM)."""
    key_pem: str = field(repr=False)
    """The leaf's private key, unencrypted PKCS#8 PEM.  Kept out of ``repr()``."""

    @property
    def self_signed(self) -> bool:
        """Whether the leaf signed itself rather than being issued by a separate CA."""
        return self.ca_pem == self.cert_pem

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context (TLS 1.2 or newer) presenting the leaf certificate.

        The key is written to a private temporary directory only for as long as
        :meth:`ssl.SSLContext.load_cert_chain` needs it; the directory is gone when this
        method returns, whether it succeeds or fails.
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        with tempfile.TemporaryDirectory(prefix=TEMPDIR_PREFIX) as directory:
            cert_path = _write_private(Path(directory, "cert.pem"), self.cert_pem)
            key_path = _write_private(Path(directory, "key.pem"), self.key_pem)
            context.load_cert_chain(certfile=cert_path, keyfile=key_path)
        return context


def make_pki(
    *,
    hostnames: Sequence[str] = ("localhost",),
    ip_addresses: Sequence[str] = ("127.0.0.1", "::1"),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    self_signed: bool = False,
    key: Literal["ec", "rsa"] = "ec",
    ca_issuers_url: str | None = None,
) -> ThrowawayPKI:
    """Create a throwaway CA and a server certificate for *hostnames* and *ip_addresses*.

    The leaf carries every name and address as a subjectAltName (non-ASCII host names are
    stored as A-labels), the serverAuth extended key usage, and is valid from *not_before*
    (default: an hour ago) until *not_after* (default: 30 days later).  Passing only one end
    of the validity period moves the other one along, so ``not_after=<yesterday>`` alone
    gives an expired certificate.  The CA is always valid now and throughout the leaf's
    validity, so a rejected leaf is rejected for its own sake.

    *self_signed* makes the leaf sign itself instead (``ca_pem`` then equals ``cert_pem``).
    *key* is ``"ec"`` (P-256, fast, the default) or ``"rsa"`` (2048 bits), for both the CA
    and the leaf; signatures use SHA-256.  *ca_issuers_url* adds an Authority Information
    Access "CA Issuers" URL to the leaf, as public CAs do.

    Raises :class:`ValueError` for an empty identity list, a malformed IP address or host
    name, naive datetimes, or a validity period that ends before it starts.
    """
    names, addresses = _identities(hostnames, ip_addresses)
    now = datetime.now(UTC)
    valid_from, valid_until = _validity(now, not_before, not_after)
    leaf_key = _generate_key(key)
    if self_signed:
        name = _leaf_name(names, addresses)
        leaf = _sign_leaf(
            leaf_key,
            name,
            names,
            addresses,
            issuer_key=leaf_key,
            issuer_name=name,
            valid=(valid_from, valid_until),
            ca_issuers_url=ca_issuers_url,
        )
        return _pki(leaf, leaf_key, ca_pem=_pem(leaf))
    ca = _new_ca(
        key,
        valid_from=min(valid_from, now) - _BACKDATE,
        valid_until=max(valid_until, now + _DEFAULT_LIFETIME) + _BACKDATE,
    )
    return ca._issue(
        leaf_key, names, addresses, valid=(valid_from, valid_until), ca_issuers_url=ca_issuers_url
    )


class ThrowawayCA:
    """A throwaway certificate authority kept to issue several leaves: a fleet of servers that
    each present a certificate of their own, all trusted through one CA certificate."""

    __slots__ = ("_certificate", "_key")

    def __init__(self, key: _PrivateKey, certificate: x509.Certificate) -> None:
        self._key = key
        self._certificate = certificate

    @property
    def ca_pem(self) -> str:
        """The certificate clients must trust (PEM)."""
        return _pem(self._certificate)

    def issue(
        self,
        *,
        hostnames: Sequence[str] = ("localhost",),
        ip_addresses: Sequence[str] = ("127.0.0.1", "::1"),
    ) -> ThrowawayPKI:
        """A new leaf (and key) for *hostnames* and *ip_addresses*, signed by this CA and valid
        from an hour ago for 30 days, with the same extensions as :func:`make_pki` gives it.

        Raises :class:`ValueError` as :func:`make_pki` does for the identities.
        """
        names, addresses = _identities(hostnames, ip_addresses)
        now = datetime.now(UTC)
        leaf_key = _generate_key("rsa" if isinstance(self._key, rsa.RSAPrivateKey) else "ec")
        return self._issue(
            leaf_key, names, addresses, valid=_validity(now, None, None), ca_issuers_url=None
        )

    def _issue(
        self,
        leaf_key: _PrivateKey,
        names: list[str],
        addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address],
        *,
        valid: tuple[datetime, datetime],
        ca_issuers_url: str | None,
    ) -> ThrowawayPKI:
        leaf = _sign_leaf(
            leaf_key,
            _leaf_name(names, addresses),
            names,
            addresses,
            issuer_key=self._key,
            issuer_name=self._certificate.subject,
            valid=valid,
            ca_issuers_url=ca_issuers_url,
        )
        return _pki(leaf, leaf_key, ca_pem=self.ca_pem)


def make_ca(*, key: Literal["ec", "rsa"] = "ec") -> ThrowawayCA:
    """Create a throwaway CA, valid from an hour ago for 90 days, to issue leaves with
    :meth:`ThrowawayCA.issue`.  *key* is as for :func:`make_pki`."""
    now = datetime.now(UTC)
    return _new_ca(key, valid_from=now - _BACKDATE, valid_until=now + _CA_LIFETIME)


def _identities(
    hostnames: Sequence[str], ip_addresses: Sequence[str]
) -> tuple[list[str], list[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
    names = [_dns_name(name) for name in hostnames]
    addresses = [_ip_address(address) for address in ip_addresses]
    if not names and not addresses:
        raise ValueError("a certificate needs at least one host name or IP address")
    return names, addresses


def _leaf_name(
    names: list[str], addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address]
) -> x509.Name:
    return _name(names[0] if names else str(addresses[0]), organization="smtpdoctor demo")


def _sign_leaf(
    leaf_key: _PrivateKey,
    leaf_name: x509.Name,
    names: list[str],
    addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address],
    *,
    issuer_key: _PrivateKey,
    issuer_name: x509.Name,
    valid: tuple[datetime, datetime],
    ca_issuers_url: str | None,
) -> x509.Certificate:
    general_names: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    general_names += [x509.IPAddress(address) for address in addresses]
    builder = (
        x509.CertificateBuilder()
        .subject_name(leaf_name)
        .issuer_name(issuer_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(key_encipherment=isinstance(leaf_key, rsa.RSAPrivateKey)), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(general_names), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca_issuers_url is not None:
        access = x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(ca_issuers_url)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pki(leaf: x509.Certificate, leaf_key: _PrivateKey, *, ca_pem: str) -> ThrowawayPKI:
    return ThrowawayPKI(
        ca_pem=ca_pem,
        cert_pem=_pem(leaf),
        key_pem=leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii"),
    )


def _new_ca(kind: str, *, valid_from: datetime, valid_until: datetime) -> ThrowawayCA:
    key = _generate_key(kind)
    name = _name(CA_COMMON_NAME, organization="smtpdoctor")
    return ThrowawayCA(key, _make_ca(key, name, valid_from=valid_from, valid_until=valid_until))


def _make_ca(
    key: _PrivateKey, name: x509.Name, *, valid_from: datetime, valid_until: datetime
) -> x509.Certificate:
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )


def _validity(
    now: datetime, not_before: datetime | None, not_after: datetime | None
) -> tuple[datetime, datetime]:
    for value in (not_before, not_after):
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("not_before and not_after must be timezone-aware datetimes")
    if not_before is None:
        not_before = (now if not_after is None else min(now, not_after)) - _BACKDATE
    if not_after is None:
        not_after = max(now, not_before) + _DEFAULT_LIFETIME
    if not_after <= not_before:
        raise ValueError(f"not_after ({not_after}) must be later than not_before ({not_before})")
    return not_before, not_after


def _generate_key(kind: str) -> _PrivateKey:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"key must be 'ec' or 'rsa', not {kind!r}")


def _key_usage(*, key_cert_sign: bool = False, key_encipherment: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _name(common_name: str, *, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _dns_name(name: str) -> str:
    """*name* as the A-label text a DNS subjectAltName must hold."""
    if name.isascii():
        result = name
    else:
        wildcard = name.startswith("*.")
        try:
            encoded = (name[2:] if wildcard else name).encode("idna").decode("ascii")
        except UnicodeError as error:
            raise ValueError(f"not a valid host name: {name!r}") from error
        result = f"*.{encoded}" if wildcard else encoded
    if not result or any(character.isspace() for character in result):
        raise ValueError(f"not a valid host name: {name!r}")
    return result


def _ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError as error:
        raise ValueError(f"not an IP address: {text!r}") from error


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _write_private(path: Path, text: str) -> Path:
    """Write *text* to a new file at *path* readable by the owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(text)
    return path
