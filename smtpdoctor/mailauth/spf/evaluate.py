"""``check_host()`` of RFC 7208 (§4 to §6): may this IP address send mail for this domain?

Every DNS question goes through the resolver given (anything with ``query(name, rdtype) ->
Answer``, as :class:`~smtpdoctor.mailauth.dns.DomainDNS` has), so the audit's one resolver,
its time-out and its deadline hold.  Every limit of §4.6.4 is enforced: at most 10 terms that
ask DNS (include, a, mx, ptr, exists, redirect — loops end there), at most 2 void look-ups,
at most 10 MX names per ``mx``, at most 10 PTR names per ``ptr`` and ``%{p}``.
"""

from __future__ import annotations

import enum
import ipaddress
import time
from dataclasses import dataclass, field

import dns.exception
import dns.name
import dns.rdtypes.ANY.MX

from smtpdoctor.mailauth.dns import MAX_TXT_RECORDS, DNSQuestions, forward_confirmed, txt_strings
from smtpdoctor.mailauth.spf.macros import MacroString, MacroSyntaxError, expand, parse_macro_string
from smtpdoctor.mailauth.spf.record import (
    DNS_KINDS,
    MAX_RECORD_CHARS,
    Kind,
    Mechanism,
    SPFRecord,
    SPFSyntaxError,
    is_spf_record,
    parse_record,
)
from smtpdoctor.net.resolver import Answer, DNSFailure

__all__ = [
    "MAX_LOOKUPS",
    "MAX_VOID_LOOKUPS",
    "Followed",
    "RecordLookup",
    "SPFResolver",
    "SPFResult",
    "SPFVerdict",
    "check_host",
    "find_record",
    "valid_domain",
]

#: Terms that ask DNS, per check (§4.6.4).
MAX_LOOKUPS = 10
#: Look-ups that find nothing (NXDOMAIN, or no records), per check (§4.6.4).
MAX_VOID_LOOKUPS = 2
#: MX names one ``mx`` term may have (more is a permerror), PTR names ``ptr`` and ``%{p}``
#: look at (the rest are ignored) (§4.6.4).
MAX_MX_NAMES = 10
MAX_PTR_NAMES = 10
#: The longest explanation (``exp=``) kept, in characters.
MAX_EXPLANATION_CHARS = 1024

_NOTHING = frozenset({DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER})


#: What :func:`check_host` asks DNS through (:class:`~smtpdoctor.mailauth.dns.DomainDNS`).
SPFResolver = DNSQuestions


class SPFVerdict(enum.StrEnum):
    """The result of ``check_host()`` (§2.6)."""

    NONE = "none"
    NEUTRAL = "neutral"
    PASS = "pass"  # noqa: S105 - an SPF result, not a password
    FAIL = "fail"
    SOFTFAIL = "softfail"
    TEMPERROR = "temperror"
    PERMERROR = "permerror"


@dataclass(frozen=True, slots=True)
class Followed:
    """An ``include`` or ``redirect`` the check followed."""

    source: str
    """The domain whose record has the term."""
    term: str
    """The term as written (``include:_spf.example.net``)."""
    target: str
    """The domain it led to, macros expanded."""

    def __str__(self) -> str:
        expanded = self.target and self.target.lower() not in self.term.lower()
        return f"{self.source}: {self.term}" + (f" ({self.target})" if expanded else "")


@dataclass(frozen=True, slots=True)
class SPFResult:
    """What ``check_host(ip, domain, sender)`` found, and why."""

    verdict: SPFVerdict
    explanation: str
    """Why, in words: which term matched, or what went wrong where."""
    mechanism: str | None = None
    """The term that matched, as written (``ip4:192.0.2.0/24``), or ``None``."""
    mechanism_domain: str | None = None
    """The domain whose record holds :attr:`mechanism`."""
    lookups: int = 0
    """Terms that asked DNS (the limit is :data:`MAX_LOOKUPS`)."""
    void_lookups: int = 0
    """Look-ups that found nothing (the limit is :data:`MAX_VOID_LOOKUPS`)."""
    chain: tuple[Followed, ...] = ()
    """The includes and redirects followed, in order."""
    record: str | None = None
    """The domain's own SPF record, when there is exactly one."""
    published_explanation: str | None = None
    """On ``fail``: the text the domain publishes through ``exp=`` (§6.2), macros expanded;
    ``None`` when it publishes none or it cannot be used."""


@dataclass(frozen=True, slots=True)
class RecordLookup:
    """The SPF record of one domain (§4.4, §4.5): found, or why not."""

    domain: str
    record: SPFRecord | None = None
    verdict: SPFVerdict | None = None
    """``None`` when the record was found and parsed; else none, temperror or permerror."""
    problem: str = ""
    """Why there is no usable record, in words."""
    texts: tuple[str, ...] = ()
    """The ``v=spf1`` TXT records found (several is a permerror)."""


def find_record(dns: SPFResolver, domain: str) -> RecordLookup:
    """Ask the TXT records of ``domain`` and read the one SPF record among them (§4.4, §4.5):
    none when there is none or the name does not exist, temperror when DNS fails, permerror
    for several records or a syntax error."""
    answer = dns.query(domain, "TXT")
    if answer.failure is not None:
        missing = answer.failure in (*_NOTHING, DNSFailure.INVALID)
        verdict = SPFVerdict.NONE if missing else SPFVerdict.TEMPERROR
        return RecordLookup(domain, verdict=verdict, problem=answer.explanation)
    read = txt_strings(answer, max_chars=MAX_RECORD_CHARS, max_records=MAX_TXT_RECORDS)
    texts = tuple(text for text in read if is_spf_record(text))
    if not texts:
        return RecordLookup(domain, verdict=SPFVerdict.NONE, problem="no TXT record is v=spf1")
    if len(texts) > 1:
        return RecordLookup(
            domain,
            verdict=SPFVerdict.PERMERROR,
            problem=f"{len(texts)} TXT records start with v=spf1; there must be exactly one",
            texts=texts,
        )
    try:
        record = parse_record(texts[0])
    except SPFSyntaxError as exc:
        return RecordLookup(
            domain, verdict=SPFVerdict.PERMERROR, problem=f"syntax error: {exc}", texts=texts
        )
    return RecordLookup(domain, record=record, texts=texts)


def check_host(dns: SPFResolver, ip: str, domain: str, sender: str, *, helo: str) -> SPFResult:
    """RFC 7208 ``check_host()``: may ``ip`` send mail for ``domain``, with ``sender`` as the
    MAIL FROM address (``postmaster@`` + the HELO name for a null sender) and ``helo`` the
    HELO/EHLO name?

    Never raises for anything DNS returns: every problem is a verdict with its explanation.

    :raises ValueError: ``ip`` is not an IP address.
    """
    address = ipaddress.ip_address(ip.strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # §5: an IPv4-mapped address is IPv4
    name = domain.rstrip(".")
    if not valid_domain(name):
        why = f"{domain!r} is not a valid domain name (§4.3)"
        return SPFResult(SPFVerdict.NONE, why)
    check = _Check(dns, address, sender, helo)
    try:
        outcome = check.evaluate(_query_text(name.lower().split(".")) or name, nested=False)
    except _Stop as stop:
        return check.result(stop.verdict, stop.why, None)
    if outcome.verdict is SPFVerdict.NONE:
        return check.result(outcome.verdict, outcome.why, None)
    published = check.published_explanation(outcome) if outcome.verdict is SPFVerdict.FAIL else None
    return check.result(outcome.verdict, outcome.why, outcome, published)


def valid_domain(name: str) -> bool:
    """Whether ``name`` may be checked (§4.3): at least two labels, none empty, none longer
    than 63 characters, at most 253 in all, not an address literal."""
    labels = name.rstrip(".").split(".")
    return (
        len(labels) >= 2
        and all(0 < len(label) <= 63 for label in labels)
        and len(name.rstrip(".")) <= 253
        and not name.startswith("[")
    )


# -- the evaluation ----------------------------------------------------------------------------


class _Stop(Exception):
    """Ends the whole check at once: temperror or permerror (§4.6.4, §5)."""

    def __init__(self, verdict: SPFVerdict, why: str) -> None:
        super().__init__(why)
        self.verdict = verdict
        self.why = why


@dataclass(frozen=True, slots=True)
class _Outcome:
    """The result of evaluating one domain's record."""

    verdict: SPFVerdict
    why: str
    mechanism: Mechanism | None = None
    domain: str = ""
    record: SPFRecord | None = None
    """The record that decided (after redirects): its ``exp=`` is the one used (§6.2)."""


@dataclass
class _Check:
    """The state of one ``check_host()`` call: counters, what was followed, %{p} once."""

    dns: SPFResolver
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    sender: str
    helo: str
    lookups: int = 0
    void_lookups: int = 0
    chain: list[Followed] = field(default_factory=list)
    top_record: str | None = None
    local: str = field(init=False)
    sender_domain: str = field(init=False)
    _validated: tuple[str, ...] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        local, at, domain = self.sender.rpartition("@")
        if not at:
            local, domain = "", self.sender
        self.local = local or "postmaster"  # §4.3: no local-part means "postmaster"
        self.sender_domain = domain
        if not at or not local:
            self.sender = f"{self.local}@{domain}"

    # -- one record --

    def evaluate(self, domain: str, *, nested: bool) -> _Outcome:
        found = find_record(self.dns, domain)
        if found.record is None:
            assert found.verdict is not None
            why = f"{domain}: {found.problem}"
            if found.verdict is SPFVerdict.NONE:  # include and redirect make it permerror
                return _Outcome(SPFVerdict.NONE, why, domain=domain)
            raise _Stop(found.verdict, why)
        record = found.record
        if not nested:
            self.top_record = record.text
        for term in record.evaluated:
            if term.kind in DNS_KINDS:
                self._count(f"{domain}: {term}")
            why = f"{self.ip} matched {term} in {domain}'s record"
            if term.kind is Kind.INCLUDE:
                inner = self._include(term, domain)
                if inner is None:
                    continue
                why += f" ({inner.why})"
            elif not self._matches(term, domain):
                continue
            return _Outcome(SPFVerdict(term.qualifier.result), why, term, domain, record)
        if record.redirect is not None:
            self._count(f"{domain}: {record.redirect_text}")
            target = self._target(record.redirect, domain)
            self.chain.append(Followed(domain, record.redirect_text or "", target or ""))
            if target is None:
                raise _Stop(
                    SPFVerdict.PERMERROR, f"{domain}: {record.redirect_text} names no valid domain"
                )
            outcome = self.evaluate(target, nested=True)
            if outcome.verdict is SPFVerdict.NONE:
                why = (
                    f"{domain}: {record.redirect_text} names a domain without an SPF record "
                    f"({outcome.why})"
                )
                raise _Stop(SPFVerdict.PERMERROR, why)
            return outcome
        why = f"no term of {domain}'s record matched {self.ip}, and it has no all: neutral"
        return _Outcome(SPFVerdict.NEUTRAL, why, None, domain, record)

    def _count(self, where: str) -> None:
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise _Stop(
                SPFVerdict.PERMERROR,
                f"more than {MAX_LOOKUPS} terms that ask DNS (include, a, mx, ptr, exists, "
                f"redirect); the 11th was {where} (§4.6.4)",
            )

    def _void(self, failure: DNSFailure | None, explanation: str, where: str) -> None:
        if failure in _NOTHING:
            self.void_lookups += 1
            if self.void_lookups > MAX_VOID_LOOKUPS:
                raise _Stop(
                    SPFVerdict.PERMERROR,
                    f"more than {MAX_VOID_LOOKUPS} look-ups found nothing; the last was {where}: "
                    f"{explanation} (§4.6.4)",
                )

    def _ask(self, name: str, rdtype: str, where: str, *, void: bool = True) -> Answer:
        """One question of a term; a DNS failure (time-out, SERVFAIL) ends the check with
        temperror (§5), an empty answer counts as void."""
        answer = self.dns.query(name, rdtype)
        if answer.failure is not None and answer.failure not in (*_NOTHING, DNSFailure.INVALID):
            raise _Stop(SPFVerdict.TEMPERROR, f"{where}: {rdtype} {name}: {answer.explanation}")
        if void:
            self._void(answer.failure, answer.explanation, where)
        return answer

    # -- mechanisms (§5) --

    def _matches(self, term: Mechanism, domain: str) -> bool:
        where = f"{domain}: {term}"
        if term.kind is Kind.ALL:
            return True
        if term.kind in (Kind.IP4, Kind.IP6):
            return term.network is not None and self.ip in term.network
        target = self._target(term.target, domain) if term.target is not None else domain
        if target is None:
            return False  # an expanded name that cannot be asked: no such name (§4.3)
        if term.kind is Kind.A:
            return self._address_matches(target, term, where)
        if term.kind is Kind.MX:
            return self._mx(target, term, where)
        if term.kind is Kind.PTR:
            return self._ptr(target, where)
        answer = self._ask(target, "A", where)  # exists: always A (§5.7)
        return answer.found

    def _include(self, term: Mechanism, domain: str) -> _Outcome | None:
        """The included domain's outcome when it passes the IP (a match), else ``None``;
        its temperror and permerror end the check, and so does its having no record (§5.2)."""
        assert term.target is not None
        target = self._target(term.target, domain)
        self.chain.append(Followed(domain, term.text, target or ""))
        if target is None:
            raise _Stop(SPFVerdict.PERMERROR, f"{domain}: {term} names no valid domain")
        outcome = self.evaluate(target, nested=True)
        if outcome.verdict is SPFVerdict.NONE:
            why = f"{domain}: {term} names a domain without an SPF record ({outcome.why})"
            raise _Stop(SPFVerdict.PERMERROR, why)
        # fail, softfail and neutral are no match (§5.2)
        return outcome if outcome.verdict is SPFVerdict.PASS else None

    def _addresses(self, name: str, where: str, *, void: bool) -> tuple[str, ...]:
        rdtype = "A" if self.ip.version == 4 else "AAAA"
        answer = self._ask(name, rdtype, where, void=void)
        return tuple(record.to_text() for record in answer.records)

    def _in_network(self, addresses: tuple[str, ...], term: Mechanism) -> bool:
        prefix = term.cidr4 if self.ip.version == 4 else term.cidr6
        network = ipaddress.ip_network(f"{self.ip}/{prefix}", strict=False)
        return any(ipaddress.ip_address(address) in network for address in addresses)

    def _address_matches(self, name: str, term: Mechanism, where: str) -> bool:
        return self._in_network(self._addresses(name, where, void=True), term)

    def _mx(self, name: str, term: Mechanism, where: str) -> bool:
        answer = self._ask(name, "MX", where)
        hosts = [
            record.exchange.to_text(omit_final_dot=True)
            for record in answer.records
            if isinstance(record, dns.rdtypes.ANY.MX.MX) and record.exchange != dns.name.root
        ]
        if len(hosts) > MAX_MX_NAMES:
            raise _Stop(
                SPFVerdict.PERMERROR,
                f"{where}: {name} has {len(hosts)} MX names; at most {MAX_MX_NAMES} may be "
                "looked up (§4.6.4)",
            )
        return any(
            self._in_network(self._addresses(host, where, void=False), term) for host in hosts
        )

    def _ptr(self, target: str, where: str) -> bool:
        wanted = target.lower()
        names = self._validated_names(where, void=True)
        return any(name == wanted or name.endswith("." + wanted) for name in names)

    def _validated_names(self, where: str, *, void: bool) -> tuple[str, ...]:
        """The PTR names of the IP whose addresses include the IP (§5.5), of the first
        :data:`MAX_PTR_NAMES`; a DNS error skips a name, an error of the PTR look-up itself
        gives none.  Asked once per check."""
        if self._validated is not None:
            return self._validated
        found = forward_confirmed(self.dns, self.ip, max_names=MAX_PTR_NAMES)
        if void and found.ptr_failure is not None:
            self._void(found.ptr_failure, found.ptr_explanation, where)
        self._validated = found.confirmed
        return self._validated

    # -- macros and names --

    def _target(self, spec: MacroString, domain: str) -> str | None:
        """A domain-spec expanded into a name to ask (§7.3): trailing dot dropped, labels
        removed from the left until it fits 253 characters; ``None`` if it cannot be asked."""
        name = expand(spec, lambda letter: self._macro_value(letter, domain)).rstrip(".")
        while len(name) > 253 and "." in name:
            name = name.split(".", 1)[1]
        labels = name.split(".")
        if not name or not all(0 < len(label) <= 63 for label in labels):
            return None
        return _query_text(labels)

    def _macro_value(self, letter: str, domain: str) -> str:
        if letter == "s":
            return self.sender
        if letter == "l":
            return self.local
        if letter == "o":
            return self.sender_domain
        if letter == "d":
            return domain
        if letter == "i":
            if self.ip.version == 4:
                return str(self.ip)
            return ".".join(self.ip.exploded.replace(":", ""))
        if letter == "p":
            return self._p_value(domain)
        if letter == "v":
            return "in-addr" if self.ip.version == 4 else "ip6"
        if letter == "h":
            return self.helo
        if letter == "c":
            return str(self.ip)
        if letter == "r":
            return "unknown"  # the receiving host: this is no MTA
        return str(int(time.time()))  # "t"

    def _p_value(self, domain: str) -> str:
        """``%{p}`` (§7.3): a validated name of the IP — the domain itself, else one of its
        subdomains, else any — or ``unknown``."""
        names = self._validated_names(f"{domain}: %{{p}}", void=False)
        wanted = domain.lower()
        for name in names:
            if name == wanted:
                return name
        for name in names:
            if name.endswith("." + wanted):
                return name
        return names[0] if names else "unknown"

    # -- the answer --

    def published_explanation(self, outcome: _Outcome) -> str | None:
        """The ``exp=`` text of the record that failed the IP (§6.2), or ``None``: any DNS
        problem, not exactly one TXT record, or a bad explanation string means none.  Not
        counted against the limits."""
        record = outcome.record
        if record is None or record.explanation is None:
            return None
        target = self._target(record.explanation, outcome.domain)
        if target is None:
            return None
        answer = self.dns.query(target, "TXT")
        texts = txt_strings(answer, max_chars=MAX_RECORD_CHARS, max_records=MAX_TXT_RECORDS)
        if len(texts) != 1 or not texts[0].isascii():
            return None
        try:
            text = parse_macro_string(texts[0], explanation=True)
            published = expand(text, lambda letter: self._macro_value(letter, outcome.domain))
        except MacroSyntaxError:
            return None
        return published[:MAX_EXPLANATION_CHARS]

    def result(
        self,
        verdict: SPFVerdict,
        why: str,
        outcome: _Outcome | None,
        published: str | None = None,
    ) -> SPFResult:
        mechanism = outcome.mechanism if outcome is not None else None
        return SPFResult(
            verdict=verdict,
            explanation=why,
            mechanism=mechanism.text if mechanism is not None else None,
            mechanism_domain=outcome.domain if mechanism is not None and outcome else None,
            lookups=self.lookups,
            void_lookups=self.void_lookups,
            chain=tuple(self.chain),
            record=self.top_record,
            published_explanation=published,
        )


def _query_text(labels: list[str]) -> str | None:
    """Labels as a name for :meth:`SPFResolver.query`, special characters escaped so that a
    label such as ``a b`` or ``x\\065`` is asked as it is; ``None`` when it is too long."""
    try:
        name = dns.name.Name([label.encode("utf-8", errors="replace") for label in labels])
    except dns.exception.DNSException:
        return None
    return name.to_text()
