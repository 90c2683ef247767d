"""DMARC without I/O: the policy record parser, the organisational domain and alignment, and
policy discovery over a resolver it is given.

RFC 7489 is the text receivers implement today; DMARCbis (draft-ietf-dmarc-dmarcbis) adds
``np``, ``t`` and ``psd`` and retires ``pct``, ``rf`` and ``ri``.  The parser reads both: it
refuses only what makes a receiver ignore the whole record (RFC 7489 §6.6.3: no ``v=DMARC1``
first, no usable ``p``/``sp`` and no valid ``rua`` URI; §6.4 with RFC 6376 §3.2: a tag twice)
and names every other mistake in :attr:`DMARCRecord.problems`, as receivers discard a
syntax error in the rest of the record and use the tag's default (§6.3)::

    >>> record = parse_dmarc("v=DMARC1; p=reject; rua=mailto:d@example.com!10m")
    >>> record.policy, record.rua[0].address, record.rua[0].max_size
    ('reject', 'd@example.com', '10m')
    >>> organizational_domain("mail.example.co.uk")
    'example.co.uk'
    >>> aligned("news.example.com", "example.com", "r")
    True
    >>> aligned("news.example.com", "example.com", "s")
    False
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from smtpdoctor.net.resolver import Answer, DNSFailure

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

__all__ = [
    "AppliedPolicy",
    "DMARCLookup",
    "DMARCRecord",
    "DMARCSyntaxError",
    "LookupProblem",
    "ReportURI",
    "TXTResolver",
    "aligned",
    "is_dmarc_record",
    "lookup_dmarc",
    "organizational_domain",
    "parse_dmarc",
]

POLICIES = ("none", "quarantine", "reject")
#: The tags RFC 7489 and DMARCbis define; any other is ignored (and named).
KNOWN_TAGS = frozenset(
    {"v", "p", "sp", "np", "adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri", "t", "psd"}
)
#: Tags DMARCbis removes: receivers following it ignore them.
REMOVED_IN_DMARCBIS = ("pct", "rf", "ri")
#: The most report URIs read from one ``rua``/``ruf`` tag (receivers need only honour two).
MAX_URIS = 16
#: The most malformed parts or unknown tags quoted in one sentence (the rest are counted).
MAX_QUOTED = 5

_VERSION = re.compile(r"\s*v\s*=\s*DMARC1\s*(;|$)")
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SIZE = re.compile(r"[0-9]+[kmgt]?", re.IGNORECASE)
#: RFC 3986 ``URI``: a scheme, then unreserved, reserved (but for DMARC's ``,`` and ``!``
#: separators) and percent-encoded characters.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9._~:/?#\[\]@$&'()*+;=-]|%[0-9A-Fa-f]{2})+")
_ADDRESS = re.compile(r"[^@\s,;!]+@([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)")
_FO = re.compile(r"[01ds](:[01ds])*")


class DMARCSyntaxError(ValueError):
    """The text is no DMARC record a receiver would use; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class ReportURI:
    """One ``rua``/``ruf`` destination: ``mailto:dmarc@example.com!10m``."""

    uri: str
    """As published (without the ``!size``)."""
    address: str
    """The mail address reports go to (empty for a URI that is not ``mailto:``)."""
    max_size: str = ""
    """The largest report wanted (``10m``), empty without a ``!size``."""

    @property
    def domain(self) -> str:
        """The destination's domain, lower-case (empty for a URI that is not ``mailto:``)."""
        return self.address.rpartition("@")[2].lower().rstrip(".")


@dataclass(frozen=True, slots=True)
class DMARCRecord:
    """A DMARC policy record, parsed; absent tags hold their defaults."""

    text: str
    policy: str
    """``p``: none, quarantine or reject (``none`` when ``p`` or ``sp`` is broken but ``rua``
    holds a valid URI: RFC 7489 §6.6.3 step 6)."""
    sp: str | None = None
    """``sp`` as published, when valid (``None``: absent, or the record counts as ``p=none``)."""
    np: str | None = None
    """``np`` (RFC 9091, DMARCbis) as published, when valid."""
    adkim: str = "r"
    aspf: str = "r"
    pct: int | None = None
    """``pct`` as published (``None`` when absent; DMARCbis removed it)."""
    rua: tuple[ReportURI, ...] = ()
    ruf: tuple[ReportURI, ...] = ()
    fo: str = "0"
    testing: bool = False
    """``t=y`` (DMARCbis): the owner is testing; receivers apply one policy level less."""
    psd: str = ""
    """``psd`` (DMARCbis): ``y`` for a public suffix operator's record, ``n``, ``u`` or
    empty."""
    tags: tuple[tuple[str, str], ...] = ()
    """Every tag as published, in order, names lower-case."""
    problems: tuple[str, ...] = ()
    """Mistakes a receiver ignores (the tag's default applies), each in words."""
    unknown_tags: tuple[str, ...] = ()
    """Tags neither RFC 7489 nor DMARCbis defines: ignored (a typo, often)."""

    @property
    def unknown_tags_quoted(self) -> str:
        """:attr:`unknown_tags` for a sentence: the first :data:`MAX_QUOTED` (each cut at 40
        characters) and how many more."""
        return _quoted([_cut(name) + "=" for name in self.unknown_tags])

    @property
    def subdomain_policy(self) -> str:
        """``sp``, else ``p``: the policy of subdomains that have no record of their own."""
        return self.sp or self.policy

    @property
    def nonexistent_policy(self) -> str:
        """``np``, else :attr:`subdomain_policy`: for subdomains that do not exist."""
        return self.np or self.subdomain_policy

    def applied(self, *, inherited: bool, exists: bool = True) -> AppliedPolicy:
        """The policy a receiver applies to a From domain this record covers: ``p`` for the
        domain that published it; for a subdomain (``inherited``) ``sp``, or ``np`` when the
        subdomain does not exist (DMARCbis) — each falling back as RFC 7489 §6.3 says."""
        if not inherited:
            return AppliedPolicy("p", self.policy, self.testing, self.pct)
        if not exists and self.np is not None:
            return AppliedPolicy("np", self.np, self.testing, self.pct)
        if self.sp is not None:
            return AppliedPolicy("sp", self.sp, self.testing, self.pct)
        return AppliedPolicy("p", self.policy, self.testing, self.pct)

    @property
    def removed_tags(self) -> tuple[str, ...]:
        """Tags present that DMARCbis removed (``pct``, ``rf``, ``ri``)."""
        names = {name for name, _ in self.tags}
        return tuple(name for name in REMOVED_IN_DMARCBIS if name in names)

    @property
    def mailto_rua(self) -> tuple[ReportURI, ...]:
        """The ``rua`` destinations reports can be mailed to."""
        return tuple(uri for uri in self.rua if uri.address)


@dataclass(frozen=True, slots=True)
class AppliedPolicy:
    """The policy that applies to one From domain, and the tag it comes from."""

    tag: str
    """``p``, ``sp`` or ``np``: the published tag whose value applies."""
    policy: str
    """That tag's value: what RFC 7489 receivers apply."""
    testing: bool = False
    """``t=y``: receivers following DMARCbis apply :attr:`softened` instead."""
    pct: int | None = None
    """The record's ``pct`` (``None``: absent, which means 100)."""

    @property
    def softened(self) -> str:
        """What a DMARCbis receiver applies: one level less under ``t=y`` (reject as
        quarantine, quarantine as none), else :attr:`policy`."""
        return _one_level_softer(self.policy) if self.testing else self.policy

    @property
    def effective(self) -> str:
        """What an RFC 7489 receiver applies to all failing mail: with ``pct=0`` the policy
        is applied to none of it, and the rest gets one level less (§6.6.4: reject as
        quarantine, quarantine as none); else :attr:`policy`."""
        return _one_level_softer(self.policy) if self.pct == 0 else self.policy


def _one_level_softer(policy: str) -> str:
    """Reject as quarantine, quarantine as none, none as none."""
    return POLICIES[max(0, POLICIES.index(policy) - 1)]


def is_dmarc_record(text: str) -> bool:
    """Whether ``text`` starts with ``v=DMARC1`` (RFC 7489 §6.6.3 step 2 discards the rest)."""
    return _VERSION.match(text) is not None


def parse_dmarc(text: str) -> DMARCRecord:
    """Parse one DMARC TXT record.

    A part that is not ``name=value`` is named in :attr:`DMARCRecord.problems` and skipped
    (RFC 7489 §6.3 discards syntax errors after ``v``).  Every tag is read, as a receiver
    reads it (the resolver bounds the text, see :data:`~smtpdoctor.mailauth.dns.MAX_TXT_CHARS`).

    :raises DMARCSyntaxError: not ``v=DMARC1`` first, a tag twice (the tag-list of RFC 6376
        §3.2 is then invalid), or no usable policy (``p`` missing or wrong, or ``sp`` wrong,
        and no valid ``rua`` URI).
    """
    if not is_dmarc_record(text):
        raise DMARCSyntaxError("it does not start with v=DMARC1")
    tags: dict[str, str] = {}
    malformed: list[str] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        name = name.strip().lower()
        if not equals or not _TAG_NAME.fullmatch(name):
            malformed.append(part.strip())
            continue
        if name in tags:
            raise DMARCSyntaxError(f"the tag {name}= appears twice")
        tags[name] = value.strip()
    return _Builder(text, list(tags.items()), malformed).build()


class _Builder:
    """Reads the tags of one record into a :class:`DMARCRecord`, noting each mistake."""

    def __init__(self, text: str, tags: list[tuple[str, str]], malformed: list[str]) -> None:
        self.text = text
        self.values = dict(tags)
        self.tags = tuple(tags)
        self.problems: list[str] = []
        if malformed:
            self.problems.append(_malformed(malformed))

    def build(self) -> DMARCRecord:
        rua = self.uris("rua")
        ruf = self.uris("ruf")
        policies = self.policies(bool(rua))
        return DMARCRecord(
            text=self.text,
            policy=policies[0] if policies else "none",
            sp=policies[1] if policies else None,
            np=self.keyword("np", POLICIES) if policies else None,
            adkim=self.keyword("adkim", ("r", "s")) or "r",
            aspf=self.keyword("aspf", ("r", "s")) or "r",
            pct=self.percent(),
            rua=rua,
            ruf=ruf,
            fo=self.failure_options(),
            testing=self.keyword("t", ("y", "n")) == "y",
            psd=self.keyword("psd", ("y", "n", "u")) or "",
            tags=self.tags,
            problems=tuple(self.problems),
            unknown_tags=tuple(name for name, _ in self.tags if name not in KNOWN_TAGS),
        )

    def policies(self, valid_rua: bool) -> tuple[str, str | None] | None:
        """``p`` and ``sp``; ``None`` when either is broken and a valid ``rua`` URI makes the
        record count as ``p=none`` alone (RFC 7489 §6.6.3 step 6: else it is ignored)."""
        stated = {name: self.values.get(name) for name in ("p", "sp")}
        broken = [
            f"{name}={value} is not a policy"
            for name, value in stated.items()
            if value is not None and value.lower() not in POLICIES
        ]
        if stated["p"] is None:
            broken.insert(0, "p= is missing")
        if not broken:
            policy = (stated["p"] or "").lower()
            return policy, stated["sp"].lower() if stated["sp"] is not None else None
        mistake = " and ".join(broken)
        if not valid_rua:
            raise DMARCSyntaxError(
                f"{mistake} (none, quarantine or reject), and without a valid rua= URI "
                "receivers ignore the record"
            )
        self.problems.append(f"{mistake}: receivers act as if the record were p=none")
        return None

    def keyword(self, name: str, allowed: tuple[str, ...]) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if value.lower() in allowed:
            return value.lower()
        self.problems.append(
            f"{name}={value} is not one of {', '.join(allowed)}: receivers ignore it"
        )
        return None

    def percent(self) -> int | None:
        value = self.values.get("pct")
        if value is None:
            return None
        if value.isdigit() and int(value) <= 100:
            return int(value)
        self.problems.append(f"pct={value} is not a whole number 0-100: receivers use 100")
        return None

    def failure_options(self) -> str:
        value = self.values.get("fo")
        if value is None:
            return "0"
        compact = value.replace(" ", "")
        if _FO.fullmatch(compact):
            return compact
        self.problems.append(f"fo={value} is not a colon-separated list of 0, 1, d, s")
        return "0"

    def uris(self, name: str) -> tuple[ReportURI, ...]:
        value = self.values.get(name)
        if value is None:
            return ()
        found: list[ReportURI] = []
        parts = [part.strip() for part in value.split(",")]
        if len(parts) > MAX_URIS:
            self.problems.append(f"{name}= lists {len(parts)} URIs: only {MAX_URIS} were read")
        for part in parts[:MAX_URIS]:
            uri = self.uri(name, part)
            if uri is not None:
                found.append(uri)
        return tuple(found)

    def uri(self, name: str, text: str) -> ReportURI | None:
        if not text:
            self.problems.append(f"{name}= has an empty URI")
            return None
        uri, bang, size = text.partition("!")
        if bang and not _SIZE.fullmatch(size):
            self.problems.append(f"{name}: {text!r} has a size limit that is not digits[kmgt]")
            size = ""
        if not _URI.fullmatch(uri):
            self.problems.append(f"{name}: {text!r} is not a URI (mailto:reports@example.com)")
            return None
        scheme, _, rest = uri.partition(":")
        if scheme.lower() != "mailto":
            self.problems.append(
                f"{name}: {uri} is not a mailto: URI; receivers send reports by mail only"
            )
            return ReportURI(uri, "", size.lower())
        address = rest.split("?", 1)[0]
        if not _ADDRESS.fullmatch(address):
            self.problems.append(f"{name}: {uri} has no valid mail address")
            return None
        return ReportURI(uri, address, size.lower())


# -- the organisational domain and alignment --------------------------------------------------


@functools.cache
def _suffix_list() -> PublicSuffixList:
    """The public suffix list shipped inside ``publicsuffixlist`` (no network), parsed once."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def organizational_domain(name: str) -> str:
    """The registered domain ``name`` belongs to (RFC 7489 §3.2): one label below its public
    suffix, from the public suffix list (ICANN and private sections; an unknown top-level
    label counts as a suffix).  A public suffix itself, or one label, is its own.

    ``mail.example.co.uk`` → ``example.co.uk``; ``Example.COM.`` → ``example.com``.
    """
    cleaned = name.strip().rstrip(".").lower()
    found: str | None = _suffix_list().privatesuffix(cleaned)
    return found or cleaned


def aligned(author_domain: str, other_domain: str, mode: str) -> bool:
    """Whether ``other_domain`` (SPF's MAIL FROM domain, DKIM's ``d=``) is aligned with the
    From domain (RFC 7489 §3.1): ``"s"`` strict, the same name; ``"r"`` relaxed, the same
    organisational domain.

    :raises ValueError: ``mode`` is neither ``"r"`` nor ``"s"``.
    """
    author = author_domain.strip().rstrip(".").lower()
    other = other_domain.strip().rstrip(".").lower()
    if mode == "s":
        return author == other
    if mode == "r":
        return organizational_domain(author) == organizational_domain(other)
    raise ValueError(f"alignment mode must be 'r' (relaxed) or 's' (strict), not {mode!r}")


# -- policy discovery ---------------------------------------------------------------------------


class TXTResolver(Protocol):
    """What :func:`lookup_dmarc` asks: :class:`~smtpdoctor.mailauth.dns.DomainDNS` fits."""

    def txt(self, name: str) -> tuple[Answer, tuple[str, ...]]:
        """The TXT records of ``name``, each as one string."""
        ...


class LookupProblem(enum.StrEnum):
    """Why policy discovery found no record to apply."""

    NO_RECORD = "no-record"
    SEVERAL = "several"
    INVALID = "invalid"
    DNS = "dns"


@dataclass(frozen=True, slots=True)
class DMARCLookup:
    """What DMARC policy discovery found for a From domain (RFC 7489 §6.6.3)."""

    domain: str
    """The From domain asked about."""
    org_domain: str
    record: DMARCRecord | None = None
    """The record that applies, parsed; ``None`` when none does (see :attr:`failure`)."""
    found_at: str = ""
    """Where the applying record (or the broken one) was found: ``_dmarc.example.com``."""
    texts: tuple[str, ...] = ()
    """The DMARC texts at :attr:`found_at` (several when several were published)."""
    failure: str = ""
    """Why no record applies, in words (empty when one does)."""
    problem: LookupProblem | None = None
    asked: tuple[str, ...] = ()
    """Each question and its answer, one line each."""
    canonical_name: str = ""
    """Where a CNAME at :attr:`found_at` led (empty when there was none)."""

    @property
    def inherited(self) -> bool:
        """Whether the record is the organisational domain's (the From domain has none)."""
        return bool(self.found_at) and self.found_at != f"_dmarc.{self.domain}"

    @property
    def policy_domain(self) -> str:
        """The domain that published the record (:attr:`found_at` without ``_dmarc.``)."""
        return self.found_at.removeprefix("_dmarc.")

    @property
    def effective_policy(self) -> str:
        """The policy RFC 7489 receivers apply to the From domain, taken to exist: ``p``, or
        ``sp`` when inherited (see :meth:`applied` for ``np`` and ``t=y``)."""
        applied = self.applied()
        return applied.policy if applied is not None else ""

    def applied(self, *, exists: bool = True) -> AppliedPolicy | None:
        """The policy that applies to the From domain (``exists=False``: it has no A, AAAA or
        MX record, so an inherited ``np`` applies); ``None`` without a record."""
        if self.record is None:
            return None
        return self.record.applied(inherited=self.inherited, exists=exists)


def lookup_dmarc(dns: TXTResolver, from_domain: str) -> DMARCLookup:
    """Find the DMARC record that applies to mail from ``from_domain``: TXT at
    ``_dmarc.FROM``; when it has no DMARC record, at ``_dmarc.ORGDOMAIN`` (RFC 7489
    §6.6.3).  Several records, or a broken one, mean none applies; a DNS failure (time-out,
    SERVFAIL) stops the search, as a receiver's would.  Never raises."""
    domain = from_domain.strip().rstrip(".").lower()
    org = organizational_domain(domain)
    names = [f"_dmarc.{domain}"] + ([f"_dmarc.{org}"] if org != domain else [])
    asked: list[str] = []
    for name in names:
        answer, texts = dns.txt(name)
        dmarc = tuple(text for text in texts if is_dmarc_record(text))
        asked.append(_describe(answer, dmarc))
        canonical = answer.canonical_name if answer.canonical_name not in ("", name) else ""
        base = DMARCLookup(domain, org, found_at=name, texts=dmarc, canonical_name=canonical)
        if answer.failure not in (None, DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER):
            return _replace(base, (), f"TXT {name}: {answer.explanation}", LookupProblem.DNS, asked)
        if not dmarc:
            continue
        if len(dmarc) > 1:
            return _replace(
                base,
                dmarc,
                f"{name} has {len(dmarc)} DMARC records, so receivers apply none",
                LookupProblem.SEVERAL,
                asked,
            )
        try:
            record = parse_dmarc(dmarc[0])
        except DMARCSyntaxError as exc:
            return _replace(
                base, dmarc, f"the record at {name} is broken: {exc}", LookupProblem.INVALID, asked
            )
        return DMARCLookup(
            domain,
            org,
            record,
            name,
            dmarc,
            asked=tuple(asked),
            canonical_name=canonical,
        )
    where = " or ".join(names)
    return DMARCLookup(
        domain,
        org,
        failure=f"no DMARC record at {where}",
        problem=LookupProblem.NO_RECORD,
        asked=tuple(asked),
    )


def _malformed(parts: list[str]) -> str:
    quoted = _quoted([repr(_cut(part)) for part in parts])
    verb = "is not a tag=value pair" if len(parts) == 1 else "are not tag=value pairs"
    return f"{quoted} {verb}: receivers ignore {'it' if len(parts) == 1 else 'them'}"


def _cut(part: str) -> str:
    return part if len(part) <= 40 else part[:40] + "…"


def _quoted(parts: list[str]) -> str:
    """The first :data:`MAX_QUOTED` of ``parts``, comma-separated, and how many more."""
    quoted = ", ".join(parts[:MAX_QUOTED])
    more = f" (and {len(parts) - MAX_QUOTED} more)" if len(parts) > MAX_QUOTED else ""
    return quoted + more


def _replace(
    base: DMARCLookup,
    texts: tuple[str, ...],
    failure: str,
    problem: LookupProblem,
    asked: list[str],
) -> DMARCLookup:
    return DMARCLookup(
        base.domain,
        base.org_domain,
        found_at=base.found_at,
        texts=texts,
        failure=failure,
        problem=problem,
        asked=tuple(asked),
        canonical_name=base.canonical_name,
    )


def _describe(answer: Answer, dmarc: tuple[str, ...]) -> str:
    if not answer.found:
        return f"TXT {answer.name}: {answer.explanation}"
    if not dmarc:
        return f"TXT {answer.name}: no record starts with v=DMARC1"
    return f"TXT {answer.name}: " + " | ".join(dmarc)
