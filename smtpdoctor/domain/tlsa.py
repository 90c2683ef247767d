"""TLSA records matched against the certificates an SMTP server presented: DANE for SMTP.

Sans-IO and pure: TLSA parameters and data in, the DER chain of a TLS handshake in, a typed
verdict per record out.  The rules are those of RFC 7672 §3 (SMTP) on top of RFC 6698 and
RFC 7671:

* usage DANE-EE(3) names the server's own (leaf) certificate or its public key — no name,
  expiry or CA checks;
* usage DANE-TA(2) names a trust anchor: a CA certificate the server sends in its chain
  (RFC 7672 §3.1.2: servers must include it), never the leaf; the leaf must chain to it
  through the presented certificates, in whatever order they came, and name the MX host or
  the TLSA base domain (RFC 7672 §3.2.3);
* usages PKIX-TA(0) and PKIX-EE(1) are not used for SMTP: senders treat them as unusable
  (RFC 7672 §3.1.3), as they treat unknown selectors and matching types;
* selector Cert(0) is the whole certificate (DER), SPKI(1) its SubjectPublicKeyInfo (DER);
* matching type Full(0) is the data itself, SHA2-256(1) and SHA2-512(2) its digest.

Every input is untrusted: chains are cut at :data:`MAX_CHAIN` certificates, and a
certificate that does not parse is named as such, never a traceback.
"""

from __future__ import annotations

import enum
import hashlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

__all__ = [
    "MAX_CHAIN",
    "DaneAuthentication",
    "MatchingType",
    "RecordCheck",
    "Selector",
    "TLSARecord",
    "Usage",
    "Verdict",
    "association_data",
    "authenticate",
    "record_for",
]

#: The most certificates of a presented chain looked at; real chains have two to four.
MAX_CHAIN = 10

#: Hex digits of association data shown before it is shortened with ``…``.
_SHOWN_HEX = 64


class Usage(enum.IntEnum):
    """The certificate usage field (RFC 6698 §2.1.1; names from RFC 7218)."""

    PKIX_TA = 0
    PKIX_EE = 1
    DANE_TA = 2
    DANE_EE = 3


class Selector(enum.IntEnum):
    """Which part of the certificate is matched (RFC 6698 §2.1.2)."""

    CERT = 0
    SPKI = 1


class MatchingType(enum.IntEnum):
    """How the data is compared (RFC 6698 §2.1.3)."""

    FULL = 0
    SHA2_256 = 1
    SHA2_512 = 2


_USAGE_NAMES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
_MATCHING_NAMES = {0: "Full", 1: "SHA2-256", 2: "SHA2-512"}
_DIGEST_SIZES = {MatchingType.SHA2_256: 32, MatchingType.SHA2_512: 64}


def _named(names: dict[int, str], value: int) -> str:
    return f"{names.get(value, 'unknown')}({value})"


@dataclass(frozen=True, slots=True)
class TLSARecord:
    """One TLSA record: three parameters and the certificate association data."""

    usage: int
    selector: int
    matching_type: int
    data: bytes

    @property
    def text(self) -> str:
        """The record's data as a zone file writes it: ``3 1 1 9f86d0…`` (hex in full)."""
        return f"{self.usage} {self.selector} {self.matching_type} {self.data.hex()}"

    def __str__(self) -> str:
        """The record for a message: long data (a whole certificate) is shortened."""
        hexdata = self.data.hex()
        if len(hexdata) <= _SHOWN_HEX:
            return self.text
        return (
            f"{self.usage} {self.selector} {self.matching_type} "
            f"{hexdata[:_SHOWN_HEX]}… ({len(self.data)} bytes)"
        )

    def unusable(self) -> str:
        """Why an SMTP sender ignores this record, in words; ``""`` when it is usable."""
        if self.usage in (Usage.PKIX_TA, Usage.PKIX_EE):
            return (
                f"usage {_named(_USAGE_NAMES, self.usage)} is not used for SMTP: DANE "
                "senders treat the record as unusable (RFC 7672 §3.1.3)"
            )
        if self.usage not in (Usage.DANE_TA, Usage.DANE_EE):
            return f"certificate usage {self.usage} is not defined"
        if self.selector not in (Selector.CERT, Selector.SPKI):
            return f"selector {self.selector} is not defined"
        if self.matching_type not in (MatchingType.FULL, *_DIGEST_SIZES):
            return f"matching type {self.matching_type} is not defined"
        size = _DIGEST_SIZES.get(MatchingType(self.matching_type))
        if size is not None and len(self.data) != size:
            return (
                f"a {_MATCHING_NAMES[self.matching_type]} digest has {size} bytes, "
                f"this one {len(self.data)}"
            )
        if not self.data:
            return "the association data is empty"
        return ""


def association_data(cert_der: bytes, selector: int, matching_type: int) -> bytes:
    """The TLSA association data of ``cert_der`` for ``selector`` and ``matching_type``.

    :raises ValueError: an undefined selector or matching type, or a certificate whose
        public key cannot be read (for selector SPKI), in words.
    """
    if selector == Selector.CERT:
        selected = cert_der
    elif selector == Selector.SPKI:
        selected = _spki(_load(cert_der))
    else:
        raise ValueError(f"selector {selector} is not defined")
    if matching_type == MatchingType.FULL:
        return selected
    if matching_type == MatchingType.SHA2_256:
        return hashlib.sha256(selected).digest()
    if matching_type == MatchingType.SHA2_512:
        return hashlib.sha512(selected).digest()
    raise ValueError(f"matching type {matching_type} is not defined")


def record_for(
    cert_der: bytes,
    usage: int = Usage.DANE_EE,
    selector: int = Selector.SPKI,
    matching_type: int = MatchingType.SHA2_256,
) -> TLSARecord:
    """The TLSA record naming ``cert_der`` (by default ``3 1 1``, the one RFC 7671 §5.1
    recommends: the server's public key, which survives certificate renewals that keep it).

    :raises ValueError: see :func:`association_data`.
    """
    return TLSARecord(
        int(usage),
        int(selector),
        int(matching_type),
        association_data(cert_der, selector, matching_type),
    )


class Verdict(enum.StrEnum):
    """What one TLSA record did against the presented chain."""

    MATCHED = "matched"
    """It authenticates the server."""
    NOT_MATCHED = "not-matched"
    """It is usable, but does not authenticate this chain (see the explanation)."""
    UNUSABLE = "unusable"
    """Senders ignore it (PKIX usages, undefined parameters, a digest of the wrong size)."""


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """One record's verdict against the chain, with the reason in words."""

    record: TLSARecord
    verdict: Verdict
    explanation: str
    certificate: int | None = None
    """The index (0: the leaf) of the certificate it matched, if it matched one at all."""

    def describe(self) -> str:
        """``3 1 1 9f86…: matches the leaf certificate (CN=mx.example.com)``."""
        return f"{self.record}: {self.explanation}"


@dataclass(frozen=True, slots=True)
class DaneAuthentication:
    """Every record's verdict against one presented chain."""

    checks: tuple[RecordCheck, ...]
    chain: tuple[str, ...]
    """The presented certificates' subjects, leaf first (at most :data:`MAX_CHAIN`)."""

    @property
    def authenticated(self) -> bool:
        """Whether a record authenticates the server: a DANE sender would deliver."""
        return any(check.verdict is Verdict.MATCHED for check in self.checks)


@dataclass(frozen=True, slots=True)
class _Presented:
    """One certificate of the chain, parsed as far as it parses."""

    index: int
    der: bytes
    cert: x509.Certificate | None
    subject: str

    @property
    def position(self) -> str:
        if self.index == 0:
            return f"the leaf certificate ({self.subject})"
        return f"certificate {self.index + 1} of the chain ({self.subject})"

    def data(self, record: TLSARecord) -> bytes | None:
        """This certificate's association data for ``record``'s parameters, or ``None``
        when it cannot be computed (a certificate whose key does not parse)."""
        try:
            return association_data(self.der, record.selector, record.matching_type)
        except ValueError:
            return None


def authenticate(
    records: Sequence[TLSARecord], chain: Sequence[bytes], reference_names: Sequence[str]
) -> DaneAuthentication:
    """Check each of ``records`` against ``chain`` (DER, leaf first) as an SMTP sender does.

    :param reference_names: the names a DANE-TA leaf must carry: the MX host name and the
        TLSA base domain (lower-case ASCII, no trailing dot).
    """
    presented = tuple(_presented(index, der) for index, der in enumerate(chain[:MAX_CHAIN]))
    names = tuple(dict.fromkeys(name.lower().rstrip(".") for name in reference_names))
    issuers = _Issuers(presented)
    checks = tuple(_check(record, presented, names, issuers) for record in records)
    return DaneAuthentication(checks, tuple(item.subject for item in presented))


def _check(
    record: TLSARecord,
    presented: tuple[_Presented, ...],
    names: tuple[str, ...],
    issuers: _Issuers,
) -> RecordCheck:
    reason = record.unusable()
    if reason:
        return RecordCheck(record, Verdict.UNUSABLE, reason)
    if not presented:
        return RecordCheck(record, Verdict.NOT_MATCHED, "the server presented no certificate")
    hits = [item for item in presented if item.data(record) == record.data]
    if record.usage == Usage.DANE_EE:
        return _check_end_entity(record, presented, hits)
    return _check_trust_anchor(record, presented, hits, names, issuers)


def _what(record: TLSARecord) -> str:
    return "public key" if record.selector == Selector.SPKI else "certificate"


def _check_end_entity(
    record: TLSARecord, presented: tuple[_Presented, ...], hits: list[_Presented]
) -> RecordCheck:
    leaf = presented[0]
    if hits and hits[0].index == 0:
        return RecordCheck(
            record,
            Verdict.MATCHED,
            f"DANE-EE: matches the {_what(record)} of {leaf.position}",
            certificate=0,
        )
    if hits:
        return RecordCheck(
            record,
            Verdict.NOT_MATCHED,
            f"matches {hits[0].position}, not the leaf: a DANE-EE(3) record must name the "
            "server's own certificate (publish a CA's as DANE-TA, 2 x x)",
            certificate=hits[0].index,
        )
    return RecordCheck(
        record,
        Verdict.NOT_MATCHED,
        f"matches no certificate the server presented; the leaf ({leaf.subject}) would "
        f"need {_current(leaf, record)}",
    )


def _current(leaf: _Presented, record: TLSARecord) -> str:
    data = leaf.data(record)
    if data is None:
        return "a public key that cannot be read"
    shown = data.hex() if len(data) <= _SHOWN_HEX // 2 else data.hex()[:_SHOWN_HEX] + "…"
    return f"{record.usage} {record.selector} {record.matching_type} {shown}"


def _check_trust_anchor(
    record: TLSARecord,
    presented: tuple[_Presented, ...],
    hits: list[_Presented],
    names: tuple[str, ...],
    issuers: _Issuers,
) -> RecordCheck:
    anchors = [item for item in hits if item.index > 0]
    if not anchors:
        if hits:
            return RecordCheck(
                record,
                Verdict.NOT_MATCHED,
                "matches the leaf certificate, which a DANE-TA(2) record cannot name: publish "
                "the leaf's record as DANE-EE (3 x x), or name the issuing CA",
                certificate=0,
            )
        return RecordCheck(
            record,
            Verdict.NOT_MATCHED,
            f"matches none of the {len(presented)} certificate(s) presented: a DANE-TA(2) "
            "record names a CA certificate the server must send in its chain "
            "(RFC 7672 §3.1.2)",
        )
    reached = issuers.reachable()
    anchor = next((item for item in anchors if item.index in reached), None)
    if anchor is None:
        return RecordCheck(
            record,
            Verdict.NOT_MATCHED,
            f"matches {anchors[0].position}, but the leaf does not chain to it: "
            + issuers.why_not(anchors[0]),
            certificate=anchors[0].index,
        )
    leaf_names = _names(presented[0].cert)
    if not any(_name_matches(pattern, name) for pattern in leaf_names for name in names):
        carried = ", ".join(leaf_names) or "no DNS name"
        return RecordCheck(
            record,
            Verdict.NOT_MATCHED,
            f"matches the trust anchor {anchor.position}, but the leaf carries {carried}, "
            f"not {' or '.join(names)} (DANE-TA needs the MX host name, RFC 7672 §3.2.3)",
            certificate=anchor.index,
        )
    path = reached[anchor.index]
    through = (
        f" through {', '.join(item.subject for item in path)}" if path else ", which issued it"
    )
    return RecordCheck(
        record,
        Verdict.MATCHED,
        f"DANE-TA: matches the {_what(record)} of {anchor.position}; the leaf "
        f"({presented[0].subject}) chains to it{through}",
        certificate=anchor.index,
    )


class _Issuers:
    """Who issued whom among the presented certificates, worked out once per chain.

    Servers send chains out of order or with extra certificates, and clients are to cope
    (RFC 8446 §4.4.2): the path from the leaf to the trust anchor is built out of whatever
    was presented, in any order.  Each certificate is
    used at most once on a path, and at most :data:`MAX_CHAIN` are presented, so the search
    ends after at most ``MAX_CHAIN²`` signature checks.
    """

    def __init__(self, presented: tuple[_Presented, ...]) -> None:
        self._presented = presented
        self._reached: dict[int, tuple[_Presented, ...]] | None = None

    def reachable(self) -> dict[int, tuple[_Presented, ...]]:
        """Every certificate the leaf chains to (by index), with the certificates in
        between (leaf and that certificate excluded): a breadth-first walk from the leaf up
        its issuers, so each path is the shortest."""
        if self._reached is None:
            self._reached = self._walk()
        return self._reached

    def why_not(self, anchor: _Presented) -> str:
        """Why the leaf does not chain to ``anchor``, in words."""
        leaf = self._presented[0]
        if leaf.cert is None:
            return "the leaf does not parse"
        if anchor.cert is None:
            return "the trust anchor does not parse as a certificate"
        reached = self.reachable()
        if not reached:
            return (
                f"none of the {len(self._presented)} certificates presented issued the leaf "
                f"(its issuer is {_issuer(leaf.cert)})"
            )
        tops = ", ".join(self._presented[index].subject for index in reached)
        return (
            f"the leaf chains up to {tops} among the certificates presented, and the trust "
            "anchor issued none of them"
        )

    def _walk(self) -> dict[int, tuple[_Presented, ...]]:
        reached: dict[int, tuple[_Presented, ...]] = {}
        start: tuple[_Presented, ...] = ()
        frontier = deque([(self._presented[0], start)])
        while frontier:
            child, between = frontier.popleft()
            for parent in self._presented[1:]:
                if parent.index in reached or not _issued(child, parent):
                    continue
                reached[parent.index] = between
                frontier.append((parent, (*between, parent)))
        return reached


def _issued(child: _Presented, parent: _Presented) -> bool:
    """Whether ``parent`` directly issued ``child`` (its name and its signature)."""
    if child.cert is None or parent.cert is None or child.index == parent.index:
        return False
    try:
        child.cert.verify_directly_issued_by(parent.cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _issuer(cert: x509.Certificate) -> str:
    try:
        text = cert.issuer.rfc4514_string()
    except ValueError:
        return "an unreadable name"
    return text or "an empty name"


def _names(cert: x509.Certificate | None) -> tuple[str, ...]:
    """The DNS names a certificate carries: its subjectAltName dNSNames, else its CNs."""
    if cert is None:
        return ()
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        pass
    except ValueError:
        return ()
    else:
        return tuple(name.lower() for name in san.value.get_values_for_type(x509.DNSName))
    return tuple(
        str(attribute.value).lower()
        for attribute in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    )


def _name_matches(pattern: str, name: str) -> bool:
    """``pattern`` (``mx.example.com`` or ``*.example.com``) covers ``name``; a wildcard
    stands for exactly one whole left-most label (RFC 6125 §6.4.3, as RFC 7672 §3.2.3)."""
    pattern = pattern.rstrip(".")
    if pattern.startswith("*."):
        first, _, rest = name.partition(".")
        return bool(first) and rest == pattern[2:]
    return pattern == name


def _presented(index: int, der: bytes) -> _Presented:
    try:
        cert = _load(der)
    except ValueError as exc:
        return _Presented(index, der, None, f"a certificate that does not parse: {exc}")
    return _Presented(index, der, cert, _subject(cert))


def _load(der: bytes) -> x509.Certificate:
    """:raises ValueError: not a DER certificate."""
    return x509.load_der_x509_certificate(der)


def _subject(cert: x509.Certificate) -> str:
    try:
        text = cert.subject.rfc4514_string()
    except ValueError:
        return "an unreadable subject"
    return text or "an empty subject"


def _spki(cert: x509.Certificate) -> bytes:
    """The certificate's SubjectPublicKeyInfo, DER.

    :raises ValueError: a key type the ``cryptography`` library cannot read.
    """
    try:
        key = cert.public_key()
    except (UnsupportedAlgorithm, ValueError) as exc:
        raise ValueError(f"its public key cannot be read ({exc})") from None
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
