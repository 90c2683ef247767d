"""What every evaluation of a domain's SPF record costs, found without an IP address.

:func:`walk` reads the record and, recursively, every record its ``include`` and ``redirect``
terms name (as checkdmarc and internet.nl do), and counts the terms that ask DNS — the figure
receivers hold against the limit of 10 — per include; it asks the names of ``a``, ``mx`` and
``exists`` terms to count void look-ups, and names the includes that break evaluation (no
record, several, a syntax error, a loop).  Like an evaluation, it stops at a record's first
``all`` (§5.1): the terms after it are listed, not counted.  Terms built from macros
(``exists:%{i}._spf…``) depend on the sender and are counted but not followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dns.name
import dns.rdtypes.ANY.MX

from smtpdoctor.mailauth.spf.evaluate import (
    MAX_MX_NAMES,
    RecordLookup,
    SPFResolver,
    SPFVerdict,
    find_record,
)
from smtpdoctor.mailauth.spf.macros import MacroString
from smtpdoctor.mailauth.spf.record import DNS_KINDS, Kind, Mechanism, SPFRecord
from smtpdoctor.net.resolver import DNSFailure

__all__ = ["MAX_WALK_BRANCHES", "MAX_WALK_RECORDS", "Branch", "SPFWalk", "walk"]

#: Records the walk reads at most (the domain's own not counted); a chain longer than this is
#: far past the limit of 10 look-ups anyway.
MAX_WALK_RECORDS = 30
#: Includes and redirects followed at most (records including the same domain twice, on
#: every level, would otherwise make the walk grow exponentially).
MAX_WALK_BRANCHES = 200
#: Questions asked to count void look-ups, at most.
MAX_VOID_QUESTIONS = 30

_NOTHING = frozenset({DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER})


@dataclass(frozen=True, slots=True)
class Branch:
    """One ``include`` or ``redirect`` met on the walk."""

    source: str
    """The domain whose record holds the term."""
    term: str
    """As written: ``include:_spf.example.net``, ``redirect=_spf.example.com``."""
    target: str | None
    """The domain it names; ``None`` when it is built from macros (not followed)."""
    lookups: int
    """Terms that ask DNS under it, itself included."""
    problem: str = ""
    """Why evaluating it fails, in words (empty when it is fine)."""
    verdict: SPFVerdict | None = None
    """What the problem makes of every check reaching it: permerror or temperror."""
    depth: int = 1
    """1 for the domain's own terms, 2 for those of the records they include …"""


@dataclass(frozen=True, slots=True)
class SPFWalk:
    """The cost and the broken parts of one domain's SPF record, includes included."""

    domain: str
    lookups: int
    """Terms that ask DNS, counted over the record and every record it leads to."""
    branches: tuple[Branch, ...]
    """Every include and redirect, depth first, in record order."""
    void_terms: tuple[str, ...]
    """``a``, ``mx`` and ``exists`` terms whose name has no records (``domain: a:name``)."""
    ptr_terms: tuple[str, ...]
    """``ptr`` terms met (``domain: ptr``)."""
    mx_over_limit: tuple[str, ...]
    """``mx`` terms whose domain has more than 10 MX names."""
    ignored_terms: tuple[str, ...]
    """Mechanisms after a record's first ``all``, never evaluated (§5.1): ``domain: term``."""
    policy: Mechanism | None
    """The ``all`` that decides for everyone else: the record's own, or that of the record a
    ``redirect`` leads to; ``None`` when there is none."""
    policy_domain: str
    incomplete: str = ""
    """Why the walk stopped before the end, in words (empty when it read everything)."""

    @property
    def void_lookups(self) -> int:
        """How many void look-ups an evaluation that reaches every term makes."""
        return len(self.void_terms)

    @property
    def broken(self) -> tuple[Branch, ...]:
        """The includes and redirects that make every check reaching them fail."""
        return tuple(branch for branch in self.branches if branch.problem)

    @property
    def own_branches(self) -> tuple[Branch, ...]:
        """The includes and redirect of the domain's own record (the breakdown)."""
        return tuple(branch for branch in self.branches if branch.depth == 1)


@dataclass
class _Walker:
    dns: SPFResolver
    branches: list[Branch] = field(default_factory=list)
    void_terms: list[str] = field(default_factory=list)
    ptr_terms: list[str] = field(default_factory=list)
    mx_over_limit: list[str] = field(default_factory=list)
    ignored_terms: list[str] = field(default_factory=list)
    records: dict[str, RecordLookup] = field(default_factory=dict)
    answers: dict[tuple[str, str], DNSFailure | None] = field(default_factory=dict)
    incomplete: str = ""

    def record(self, domain: str, record: SPFRecord, path: tuple[str, ...]) -> int:
        """The look-ups of ``record`` and everything under it."""
        lookups = 0
        self.ignored_terms.extend(f"{domain}: {term}" for term in record.after_all)
        for term in record.evaluated:  # nothing after all is evaluated (§5.1)
            if term.kind in DNS_KINDS:
                lookups += 1
            where = f"{domain}: {term}"
            if term.kind is Kind.INCLUDE and term.target is not None:
                lookups += self.branch(domain, term.text, term.target, path)
            elif term.kind is Kind.PTR:
                self.ptr_terms.append(where)
            elif term.kind in (Kind.A, Kind.MX, Kind.EXISTS):
                self.count_void(term, domain, where)
        if record.redirect is not None and record.all is None:  # §6.1: all wins
            lookups += 1 + self.branch(domain, record.redirect_text or "", record.redirect, path)
        return lookups

    def branch(self, source: str, term: str, spec: MacroString, path: tuple[str, ...]) -> int:
        """Follow one include or redirect; the look-ups under it (not itself)."""
        depth = len(path)
        if len(self.branches) >= MAX_WALK_BRANCHES:
            self.incomplete = f"more than {MAX_WALK_BRANCHES} includes; the rest were not followed"
            return 0
        target = _literal_name(spec)
        if target is None:
            self.branches.append(Branch(source, term, None, 1, depth=depth))
            return 0
        if target in path:
            loop = " → ".join((*path[path.index(target) :], target))
            problem = f"a loop: {loop}"
            self.branches.append(
                Branch(source, term, target, 1, problem, SPFVerdict.PERMERROR, depth)
            )
            return 0
        if target not in self.records and len(self.records) >= MAX_WALK_RECORDS:
            self.incomplete = f"more than {MAX_WALK_RECORDS} records; the rest were not read"
            self.branches.append(Branch(source, term, target, 1, depth=depth))
            return 0
        found = self.records.get(target) or find_record(self.dns, target)
        self.records[target] = found
        if found.record is None:
            verdict = SPFVerdict.PERMERROR if found.verdict is SPFVerdict.NONE else found.verdict
            self.branches.append(Branch(source, term, target, 1, found.problem, verdict, depth))
            return 0
        at = len(self.branches)
        self.branches.append(Branch(source, term, target, 1, depth=depth))
        below = self.record(target, found.record, (*path, target))
        self.branches[at] = Branch(source, term, target, 1 + below, depth=depth)
        return below

    def count_void(self, term: Mechanism, domain: str, where: str) -> None:
        """Ask the name of an ``a``, ``mx`` or ``exists`` term (once) to see if it is void."""
        name = _literal_name(term.target) if term.target is not None else domain
        if name is None:
            return
        if len(self.answers) >= MAX_VOID_QUESTIONS:
            self.incomplete = self.incomplete or (
                f"more than {MAX_VOID_QUESTIONS} names to ask; the rest were not counted"
            )
            return
        if term.kind is Kind.MX:
            answer = self.dns.query(name, "MX")
            self.answers[(name, "MX")] = answer.failure
            hosts = [
                r
                for r in answer.records
                if isinstance(r, dns.rdtypes.ANY.MX.MX) and r.exchange != dns.name.root
            ]
            if len(hosts) > MAX_MX_NAMES:
                self.mx_over_limit.append(f"{where} ({name} has {len(hosts)} MX names)")
            void = answer.failure in _NOTHING
        else:
            void = self.void("A", name) and (term.kind is Kind.EXISTS or self.void("AAAA", name))
        if void:
            self.void_terms.append(where)

    def void(self, rdtype: str, name: str) -> bool:
        if (name, rdtype) not in self.answers:
            self.answers[(name, rdtype)] = self.dns.query(name, rdtype).failure
        return self.answers[(name, rdtype)] in _NOTHING

    def policy(self, domain: str, record: SPFRecord) -> tuple[Mechanism | None, str]:
        """The ``all`` that decides: follow redirects (each read once) until a record has
        one."""
        seen = {domain}
        while record.all is None and record.redirect is not None:
            target = _literal_name(record.redirect)
            found = self.records.get(target) if target is not None else None
            if target is None or target in seen or found is None or found.record is None:
                break
            seen.add(target)
            domain, record = target, found.record
        return record.all, domain


def walk(dns: SPFResolver, domain: str, record: SPFRecord) -> SPFWalk:
    """Walk ``record`` (``domain``'s) and every record it includes or redirects to."""
    walker = _Walker(dns)
    lookups = walker.record(domain, record, (domain,))
    policy, policy_domain = walker.policy(domain, record)
    return SPFWalk(
        domain=domain,
        lookups=lookups,
        branches=tuple(walker.branches),
        void_terms=tuple(walker.void_terms),
        ptr_terms=tuple(walker.ptr_terms),
        mx_over_limit=tuple(walker.mx_over_limit),
        ignored_terms=tuple(dict.fromkeys(walker.ignored_terms)),
        policy=policy,
        policy_domain=policy_domain,
        incomplete=walker.incomplete,
    )


def _literal_name(spec: MacroString) -> str | None:
    """The name a domain-spec without macros names (lower-case, no trailing dot)."""
    literal = spec.literal
    return literal.rstrip(".").lower() if literal is not None else None
