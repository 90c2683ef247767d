"""DKIM key records without I/O: the TXT record at ``SELECTOR._domainkey.DOMAIN`` parsed
(RFC 6376 §3.6.1), its public key read with ``cryptography`` (RSA, RFC 8463 Ed25519)::

    >>> key = parse_dkim_key("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    >>> key.key_type, key.bits, key.revoked
    ('ed25519', 256, False)
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

__all__ = [
    "DKIMKey",
    "DKIMKeyError",
    "check_selector",
    "parse_dkim_key",
]

#: RFC 8301 §3.2: signers must use at least 1024 bits, should use 2048.
RSA_MINIMUM_BITS = 1024
RSA_RECOMMENDED_BITS = 2048
#: The most tags read from one key record.
MAX_TAGS = 32

_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_SELECTOR = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


class DKIMKeyError(ValueError):
    """The text is no DKIM key a verifier could use; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class DKIMKey:
    """A DKIM key record, parsed; absent tags hold their defaults."""

    text: str
    key_type: str = "rsa"
    """``k``: ``rsa`` (the default) or ``ed25519``."""
    public_key: bytes = b""
    """``p`` decoded: DER (RSA) or the 32 raw bytes (Ed25519); empty when revoked."""
    bits: int | None = None
    """The key's size (RSA modulus bits; 256 for Ed25519), ``None`` when revoked."""
    version: str = ""
    """``v`` as published (``DKIM1``), empty when absent."""
    hashes: tuple[str, ...] = ()
    """``h``: the hash algorithms allowed (empty: any)."""
    services: tuple[str, ...] = ("*",)
    """``s``: the services the key is for (``*`` or ``email``)."""
    flags: tuple[str, ...] = ()
    """``t``: ``y`` (testing), ``s`` (strict: no subdomains in ``i=``)."""
    notes: str = ""
    unknown_tags: tuple[str, ...] = ()

    @property
    def revoked(self) -> bool:
        """``p=`` empty: the key was withdrawn, signatures with it fail (RFC 6376 §3.6.1)."""
        return not self.public_key

    @property
    def testing(self) -> bool:
        """``t=y``: the domain is testing DKIM; verifiers may treat failures as unsigned."""
        return "y" in self.flags

    @property
    def strict(self) -> bool:
        """``t=s``: the signature's ``i=`` must be exactly ``d=``, not a subdomain."""
        return "s" in self.flags

    @property
    def for_email(self) -> bool:
        """Whether ``s`` allows email (``*`` or ``email``)."""
        return bool({"*", "email"} & set(self.services))

    @property
    def sha1_only(self) -> bool:
        """``h=sha1``: only SHA-1 signatures, which verifiers refuse (RFC 8301 §3.1)."""
        return bool(self.hashes) and set(self.hashes) <= {"sha1"}


def check_selector(selector: str) -> str:
    """``selector`` if it is a valid DKIM selector (dot-separated DNS labels, RFC 6376
    §3.1), lower-case.

    :raises DKIMKeyError: it is not, in words.
    """
    labels = selector.strip().lower().split(".")
    if not all(_SELECTOR.fullmatch(label) for label in labels) or len(selector) > 200:
        raise DKIMKeyError(
            f"{selector!r} is not a DKIM selector (letters, digits, hyphens and dots, such as "
            "s1 or google)"
        )
    return ".".join(labels)


def parse_dkim_key(text: str) -> DKIMKey:
    """Parse one DKIM key TXT record and load its public key.

    :raises DKIMKeyError: a tag that is not ``name=value`` or appears twice, ``v`` not first
        or not ``DKIM1``, no ``p``, a key type DKIM does not define, a key that is not valid
        base64 or not a key of its type.
    """
    tags = _tags(text)
    values = dict(tags)
    if "v" in values and (tags[0][0] != "v" or values["v"] != "DKIM1"):
        raise DKIMKeyError(f"v={values['v']} must come first and be DKIM1")
    if "p" not in values:
        raise DKIMKeyError("there is no p= tag (the public key)")
    key_type = values.get("k", "rsa").lower()
    if key_type not in ("rsa", "ed25519"):
        raise DKIMKeyError(f"k={key_type} is not a key type DKIM defines (rsa, ed25519)")
    public_key = _base64(values["p"])
    return DKIMKey(
        text=text,
        key_type=key_type,
        public_key=public_key,
        bits=_key_bits(key_type, public_key) if public_key else None,
        version=values.get("v", ""),
        hashes=_list(values.get("h")),
        services=_list(values.get("s")) or ("*",),
        flags=_list(values.get("t")),
        notes=values.get("n", ""),
        unknown_tags=tuple(
            name for name, _ in tags if name not in {"v", "h", "k", "n", "p", "s", "t"}
        ),
    )


def _tags(text: str) -> list[tuple[str, str]]:
    """RFC 6376 §3.2 tag-list: names are case-sensitive, duplicates make the list invalid."""
    tags: list[tuple[str, str]] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or not _TAG_NAME.fullmatch(name):
            raise DKIMKeyError(f"{_shorten(part.strip())!r} is not a tag=value pair")
        if any(name == seen for seen, _ in tags):
            raise DKIMKeyError(f"the tag {name}= appears twice")
        if len(tags) == MAX_TAGS:
            raise DKIMKeyError(f"more than {MAX_TAGS} tags")
        tags.append((name, value.strip()))
    return tags


def _list(value: str | None) -> tuple[str, ...]:
    """A colon-separated tag value (``h=sha256:sha1``) as lower-case items."""
    if value is None:
        return ()
    return tuple(item.strip().lower() for item in value.split(":") if item.strip())


def _base64(value: str) -> bytes:
    compact = "".join(value.split())
    if not _BASE64.fullmatch(compact):
        raise DKIMKeyError("p= is not base64 (letters, digits, + and / only)")
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error as exc:
        raise DKIMKeyError(f"p= is not valid base64 ({exc})") from None


def _key_bits(key_type: str, data: bytes) -> int:
    """The key's size in bits, after loading it as its type says."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    if key_type == "ed25519":
        if len(data) != 32:
            raise DKIMKeyError(
                f"an Ed25519 key is 32 bytes (RFC 8463), this p= has {len(data)} bytes"
            )
        ed25519.Ed25519PublicKey.from_public_bytes(data)
        return 256
    try:
        key = load_der_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise DKIMKeyError("p= does not hold an RSA public key (DER, as RFC 6376 asks)") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise DKIMKeyError("p= holds a key that is not RSA, but k= says rsa (the default)")
    return key.key_size


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
