"""The syntax of an SPF record (RFC 7208 §4.5, §4.6, §5, §6, §12) as typed terms; sans-IO.

:func:`parse_record` reads a whole record or raises :class:`SPFSyntaxError` naming the term
and what is wrong with it — a syntax error anywhere makes the record a permerror (§4.6), so
the record is read completely before anything is evaluated::

    >>> record = parse_record("v=spf1 ip4:192.0.2.0/24 include:_spf.example.net ~all")
    >>> [str(term) for term in record.mechanisms]
    ['ip4:192.0.2.0/24', 'include:_spf.example.net', '~all']
    >>> record.lookup_terms
    1
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass

from smtpdoctor.mailauth.spf.macros import MacroString, MacroSyntaxError, parse_macro_string

__all__ = [
    "DNS_KINDS",
    "MAX_RECORD_CHARS",
    "MAX_TERMS",
    "Kind",
    "Mechanism",
    "Modifier",
    "Qualifier",
    "SPFRecord",
    "SPFSyntaxError",
    "is_spf_record",
    "parse_record",
]

#: The longest record read (characters).  RFC 7208 §3.4 asks for records that fit a 512-byte
#: UDP answer; real ones stay far below this.
MAX_RECORD_CHARS = 4096
#: The most terms a record may have (an ``ip4`` list of 200 networks is already absurd).
MAX_TERMS = 200


class Qualifier(enum.StrEnum):
    """What a matching mechanism makes of the check (§4.6.2)."""

    PASS = "+"  # noqa: S105 - a qualifier, not a password
    FAIL = "-"
    SOFTFAIL = "~"
    NEUTRAL = "?"

    @property
    def result(self) -> str:
        """The check's result when a mechanism with this qualifier matches: ``"pass"`` …"""
        return self.name.lower()


class Kind(enum.StrEnum):
    """The eight mechanisms of §5."""

    ALL = "all"
    INCLUDE = "include"
    A = "a"
    MX = "mx"
    PTR = "ptr"
    IP4 = "ip4"
    IP6 = "ip6"
    EXISTS = "exists"


#: Mechanisms that ask DNS and count against the limit of 10 (§4.6.4); ``redirect`` too.
DNS_KINDS = frozenset({Kind.INCLUDE, Kind.A, Kind.MX, Kind.PTR, Kind.EXISTS})

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Mechanism:
    """One directive: qualifier, mechanism and its arguments."""

    text: str
    """As written in the record (``~all``, ``ip4:192.0.2.0/24``)."""
    qualifier: Qualifier
    kind: Kind
    target: MacroString | None = None
    """The domain-spec (``include:``, ``a:``, ``mx:``, ``ptr:``, ``exists:``); ``None`` means
    the domain being checked."""
    network: IPNetwork | None = None
    """The network of ``ip4`` and ``ip6``."""
    cidr4: int = 32
    """The IPv4 prefix length of ``a`` and ``mx`` (``a/24``)."""
    cidr6: int = 128
    """The IPv6 prefix length of ``a`` and ``mx`` (``a//64``)."""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Modifier:
    """One ``name=value`` term other than ``redirect`` and ``exp`` (ignored when evaluating,
    §6)."""

    text: str
    name: str
    """Lower-case."""
    value: MacroString

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class SPFRecord:
    """A record read completely: its mechanisms in order and its modifiers."""

    text: str
    mechanisms: tuple[Mechanism, ...]
    redirect: MacroString | None = None
    redirect_text: str | None = None
    """The ``redirect=`` term as written."""
    explanation: MacroString | None = None
    """The domain-spec of ``exp=``."""
    modifiers: tuple[Modifier, ...] = ()
    """Unknown modifiers (ignored, §6)."""

    @property
    def lookup_terms(self) -> int:
        """How many of its evaluated terms ask DNS (§4.6.4): include, a, mx, ptr, exists,
        and redirect when there is no ``all`` (§6.1)."""
        asking = sum(1 for term in self.evaluated if term.kind in DNS_KINDS)
        return asking + (1 if self.redirect is not None and self.all is None else 0)

    @property
    def all(self) -> Mechanism | None:
        """The first ``all`` mechanism, if any (what happens to everyone else)."""
        return next((term for term in self.mechanisms if term.kind is Kind.ALL), None)

    @property
    def evaluated(self) -> tuple[Mechanism, ...]:
        """The mechanisms an evaluation can reach: up to and including the first ``all``,
        which always matches (§5.1)."""
        first = self.all
        if first is None:
            return self.mechanisms
        return self.mechanisms[: self.mechanisms.index(first) + 1]

    @property
    def after_all(self) -> tuple[Mechanism, ...]:
        """The mechanisms after the first ``all``: never evaluated (§5.1)."""
        return self.mechanisms[len(self.evaluated) :]


class SPFSyntaxError(ValueError):
    """A record RFC 7208 does not allow: which term, and why."""

    def __init__(self, term: str, reason: str) -> None:
        self.term = term
        self.reason = reason
        super().__init__(f"{term!r}: {reason}" if term else reason)


def is_spf_record(text: str) -> bool:
    """Whether ``text`` is an SPF version 1 record: ``v=spf1`` (any case) alone or followed by
    a space (§4.5) — ``v=spf10`` and ``v=spf1mx`` are not."""
    return text[:6].lower() == "v=spf1" and text[6:7] in ("", " ")


_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9._\-]*)=(.*)", re.DOTALL)
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IP4 = re.compile(rf"{_QNUM}(?:\.{_QNUM}){{3}}")
_CIDR_SUFFIX = re.compile(r"(.*?)(?:/([0-9]+))?(?://([0-9]+))?", re.DOTALL)
_TOPLABEL = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9]")


def parse_record(text: str) -> SPFRecord:
    """Read ``text``, a record for which :func:`is_spf_record` holds.

    :raises SPFSyntaxError: the record is too long, has too many terms, or a term is not
        valid (an unknown mechanism, a bad address, prefix length or domain-spec, a
        malformed macro, ``redirect`` or ``exp`` given twice …).
    """
    if len(text) > MAX_RECORD_CHARS:
        raise SPFSyntaxError(
            "",
            f"the record is longer than {MAX_RECORD_CHARS} characters; "
            f"at most {MAX_RECORD_CHARS} are read",
        )
    if not is_spf_record(text):
        raise SPFSyntaxError(text[:20], "an SPF record starts with v=spf1 and a space")
    words = [word for word in text[6:].split(" ") if word]
    if len(words) > MAX_TERMS:
        raise SPFSyntaxError("", f"the record has {len(words)} terms; at most {MAX_TERMS} are read")
    mechanisms: list[Mechanism] = []
    modifiers: list[Modifier] = []
    redirect: tuple[str, MacroString] | None = None
    explanation: MacroString | None = None
    for word in words:
        modifier = _MODIFIER.fullmatch(word)
        if modifier is None:
            mechanisms.append(_mechanism(word))
            continue
        name, value = modifier.group(1).lower(), modifier.group(2)
        if name in ("redirect", "exp"):
            if (redirect if name == "redirect" else explanation) is not None:
                raise SPFSyntaxError(word, f"{name}= may appear only once in a record (§6)")
            spec = _domain_spec(word, value)
            if name == "redirect":
                redirect = (word, spec)
            else:
                explanation = spec
            continue
        try:
            modifiers.append(Modifier(word, name, parse_macro_string(value)))
        except MacroSyntaxError as exc:
            reason = f"the modifier's value is not a valid macro-string: {exc}"
            raise SPFSyntaxError(word, reason) from None
    return SPFRecord(
        text=text,
        mechanisms=tuple(mechanisms),
        redirect=redirect[1] if redirect else None,
        redirect_text=redirect[0] if redirect else None,
        explanation=explanation,
        modifiers=tuple(modifiers),
    )


def _mechanism(word: str) -> Mechanism:
    qualifier = Qualifier.PASS
    body = word
    if word[0] in "+-~?":
        qualifier, body = Qualifier(word[0]), word[1:]
    cut = min((at for at in (body.find(":"), body.find("/")) if at >= 0), default=len(body))
    name, rest = body[:cut].lower(), body[cut:]
    try:
        kind = Kind(name)
    except ValueError:
        known = ", ".join(kind.value for kind in Kind)
        raise SPFSyntaxError(
            word,
            f"unknown mechanism {body[:cut]!r} (the mechanisms are {known}; a modifier is "
            "name=value)",
        ) from None
    if kind is Kind.ALL:
        if rest:
            raise SPFSyntaxError(word, "all takes no domain and no prefix length")
        return Mechanism(word, qualifier, kind)
    if kind in (Kind.INCLUDE, Kind.EXISTS):
        if not rest.startswith(":"):
            raise SPFSyntaxError(word, f"{kind} needs a domain: {kind}:example.com")
        return Mechanism(word, qualifier, kind, target=_domain_spec(word, rest[1:]))
    if kind is Kind.PTR:
        if rest and not rest.startswith(":"):
            raise SPFSyntaxError(word, "ptr takes an optional :domain and no prefix length")
        target = _domain_spec(word, rest[1:]) if rest else None
        return Mechanism(word, qualifier, kind, target=target)
    if kind in (Kind.A, Kind.MX):
        return _address_mechanism(word, qualifier, kind, rest)
    return _ip_mechanism(word, qualifier, kind, rest)


def _address_mechanism(word: str, qualifier: Qualifier, kind: Kind, rest: str) -> Mechanism:
    """``a`` and ``mx``: an optional ``:domain-spec``, then an optional dual prefix length."""
    match = _CIDR_SUFFIX.fullmatch(rest)
    assert match is not None  # every text matches
    spec, cidr4, cidr6 = match.groups()
    if spec and not spec.startswith(":"):
        raise SPFSyntaxError(
            word, f"{kind} takes an optional :domain, then /prefix-length and //IPv6-prefix-length"
        )
    target = _domain_spec(word, spec[1:]) if spec else None
    return Mechanism(
        word,
        qualifier,
        kind,
        target=target,
        cidr4=_prefix(word, cidr4, 32) if cidr4 is not None else 32,
        cidr6=_prefix(word, cidr6, 128) if cidr6 is not None else 128,
    )


def _ip_mechanism(word: str, qualifier: Qualifier, kind: Kind, rest: str) -> Mechanism:
    """``ip4:network[/length]`` and ``ip6:network[/length]``."""
    if not rest.startswith(":"):
        example = "ip4:192.0.2.0/24" if kind is Kind.IP4 else "ip6:2001:db8::/32"
        raise SPFSyntaxError(word, f"{kind} needs an address: {example}")
    address, slash, length = rest[1:].partition("/")
    longest = 32 if kind is Kind.IP4 else 128
    prefix = _prefix(word, length, longest) if slash else longest
    if kind is Kind.IP4:
        if not _IP4.fullmatch(address):
            raise SPFSyntaxError(
                word, f"{address!r} is not an IPv4 address (four numbers 0-255, no leading zeros)"
            )
        network: IPNetwork = ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)
    else:
        try:
            if "%" in address or ":" not in address:
                raise ValueError(address)
            network = ipaddress.IPv6Network(f"{address}/{prefix}", strict=False)
        except ValueError:
            raise SPFSyntaxError(word, f"{address!r} is not an IPv6 address") from None
    return Mechanism(word, qualifier, kind, network=network)


def _prefix(word: str, digits: str, longest: int) -> int:
    """A prefix length: 0 to ``longest``, no leading zeros (§5.6)."""
    if not digits.isdigit() or (len(digits) > 1 and digits[0] == "0") or int(digits) > longest:
        raise SPFSyntaxError(
            word, f"{digits!r} is not a prefix length (0 to {longest}, no leading zeros)"
        )
    return int(digits)


def _domain_spec(word: str, text: str) -> MacroString:
    """A domain-spec (§7.1): a macro-string ending in a macro or in ``.toplabel`` (a top label
    is not all digits and neither starts nor ends with a hyphen)."""
    if not text:
        raise SPFSyntaxError(word, "the domain is empty")
    try:
        spec = parse_macro_string(text)
    except MacroSyntaxError as exc:
        raise SPFSyntaxError(word, str(exc)) from None
    if spec.ends_with_macro:
        return spec
    name = text[:-1] if text.endswith(".") else text
    _, dot, top = name.rpartition(".")
    if not dot or not _TOPLABEL.fullmatch(top):
        raise SPFSyntaxError(
            word,
            f"{text!r} is not a domain: it needs at least two labels, the last one not all "
            "digits (write ip4:192.0.2.1 for an address) and not starting or ending with '-'",
        )
    return spec
