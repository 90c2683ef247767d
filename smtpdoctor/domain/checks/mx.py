"""``mx``: who takes the domain's mail — its MX records, their addresses, their reverse DNS.

The MX records are read in preference order (RFC 5321 §5.1) and judged as a sender's MTA
would: a null MX (``MX 0 .``, RFC 7505) says the domain takes no mail — ``MX 10 .`` is no
null MX but a target nobody can use; no MX at all makes the domain's own A/AAAA the implicit
MX; a target that is an alias (CNAME, RFC 2181 §10.3) or an IP address literal is an error
some senders refuse.  Each MX host (the first ``--max-mx``, at once) is resolved to its
addresses (whether DNSSEC vouches for them, and the name it is an alias of, go into the
stash for DANE), and each address is checked for forward-confirmed reverse DNS with
:func:`~smtpdoctor.mailauth.dns.forward_confirmed`.

Everything read is bounded: at most :data:`MAX_MX_RECORDS` MX records, :data:`MAX_ADDRESSES`
addresses per host and :data:`~smtpdoctor.mailauth.dns.MAX_PTR_NAMES` PTR names per address
(the one bound of forward-confirmed reverse DNS).  The exchangers go into the stash
(:data:`~smtpdoctor.domain.facts.EXCHANGERS`) for the ``smtp``, ``mta-sts`` and ``dane``
checks, and how the domain takes mail (:data:`~smtpdoctor.domain.facts.MAIL_ROUTING`: MX
hosts, a null MX, no such domain, or unknown) for every check whose advice depends on it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import dns.name
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain.check import DomainCheck, DomainContext, RegisterDomainCheck
from smtpdoctor.domain.facts import EXCHANGERS, MAIL_ROUTING, Exchanger, MailRouting
from smtpdoctor.mailauth.dns import (
    MAX_PTR_NAMES,
    Answer,
    DNSFailure,
    DNSQuestions,
    FCrDNS,
    forward_confirmed,
)
from smtpdoctor.model.domain import Finding
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import DetailValue, Hint, Outcome, Status
from smtpdoctor.net.resolver import gather

#: The most MX records read (real domains have one to ten); the rest are ignored, and said so.
MAX_MX_RECORDS = 32
#: The most addresses of one MX host kept (and checked for reverse DNS).
MAX_ADDRESSES = 16

#: The answers that say there is no such record (as opposed to a failed question).
_NOTHING = frozenset({DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER})
#: The failures of a question, the worst first.
_WORST_FIRST = (
    DNSFailure.SERVFAIL,
    DNSFailure.TIMEOUT,
    DNSFailure.ERROR,
    DNSFailure.NO_RESOLVER,
    DNSFailure.INVALID,
)

_RFC5321_MX = "https://www.rfc-editor.org/rfc/rfc5321#section-5.1"
_RFC7505 = "https://www.rfc-editor.org/rfc/rfc7505"
_RFC2181_ALIAS = "https://www.rfc-editor.org/rfc/rfc2181#section-10.3"
_GMAIL_SENDERS = "https://support.google.com/a/answer/81126"

MX_OK = Finding("mx.ok", Status.PASS, "MX records lead to hosts with addresses and reverse DNS")
MX_RECORDS = Finding("mx.records", Status.INFO, "The domain's MX records")
NULL_MX = Finding(
    "mx.null",
    Status.INFO,
    "Null MX: the domain says it accepts no mail",
    Hint(
        "Nothing to do if the domain should receive no mail; otherwise replace the null MX",
        (
            "A null MX (`example.com. MX 0 .`) tells every sender to bounce mail at once "
            "(RFC 7505).",
            "To receive mail, delete it and publish the real exchangers: "
            "`example.com. MX 10 mx1.example.com.`",
        ),
        _RFC7505,
    ),
)
ROOT_TARGET = Finding(
    "mx.root-target",
    Status.WARN,
    "An MX record points at the root name (.) with a preference other than 0",
    Hint(
        "Publish `MX 0 .` for a domain that takes no mail, or real MX hosts for one that does",
        (
            "A null MX is exactly preference 0 and the root name, `example.com. MX 0 .` "
            "(RFC 7505 §3); `MX 10 .` is not one, but an MX record whose target no sender "
            "can deliver to — some treat it as a null MX, others as an unusable host.",
            "To take no mail: replace it with `example.com. MX 0 .`.",
            "To receive mail: delete it and publish `example.com. MX 10 mx1.example.com.`",
        ),
        "https://www.rfc-editor.org/rfc/rfc7505#section-3",
    ),
)
NULL_MX_MIXED = Finding(
    "mx.null-mixed",
    Status.FAIL,
    "A null MX is published together with other MX records",
    Hint(
        "Publish either the null MX or real MX records, never both",
        (
            "RFC 7505 §3: a domain that advertises a null MX must not advertise any other "
            "MX record; senders may treat the mix as an error.",
            "To receive mail, delete `MX 0 .`; to receive none, delete the other MX records.",
        ),
        _RFC7505,
    ),
)
IMPLICIT_MX = Finding(
    "mx.implicit",
    Status.WARN,
    "No MX records: senders fall back to the domain's own address",
    Hint(
        "Publish MX records for the domain",
        (
            "Without MX records senders deliver to the domain's A/AAAA address (the "
            "implicit MX, RFC 5321 §5.1), which is rarely a mail server on purpose.",
            "Publish the hosts that receive mail: `example.com. MX 10 mx1.example.com.`",
            "If the domain takes no mail, publish a null MX instead: `example.com. MX 0 .` "
            "(RFC 7505).",
        ),
        _RFC5321_MX,
    ),
)
NO_MAIL_HOST = Finding(
    "mx.none",
    Status.FAIL,
    "No MX records and no address: the domain cannot receive mail",
    Hint(
        "Publish MX records, or a null MX if the domain takes no mail",
        (
            "Mail to the domain bounces: it has neither MX records nor an A/AAAA address "
            "to fall back on (RFC 5321 §5.1).",
            "To receive mail: `example.com. MX 10 mx1.example.com.`",
            "To say plainly that it takes none: `example.com. MX 0 .` (RFC 7505).",
        ),
        _RFC5321_MX,
    ),
)
DOMAIN_MISSING = Finding(
    "mx.domain-missing",
    Status.FAIL,
    "The domain does not exist in DNS",
    Hint(
        "Check the spelling of the domain, and that it is registered and delegated",
        (
            "The DNS answered NXDOMAIN: there is no such name, so mail to it bounces.",
            "Look at the delegation: `dig +trace NS example.com`.",
        ),
    ),
)
LOOKUP_FAILED = Finding(
    "mx.lookup-failed",
    Status.FAIL,
    "The MX records, or the addresses of every MX host, could not be looked up",
    Hint(
        "Make the DNS servers answer MX questions for the domain and A/AAAA for its MX hosts",
        (
            "Senders retry for a while, then bounce the mail, while the look-ups fail.",
            "Ask each authoritative server: `dig +norecurse MX example.com @ns1.example.com`, "
            "and `dig +norecurse A mx1.example.com @ns1.example.com` (and AAAA) for each MX "
            "host.",
            "A SERVFAIL often means broken DNSSEC: look at https://dnsviz.net/.",
            "A time-out seen only from this machine may be local: ask again, or another "
            "resolver (--dns-server).",
        ),
    ),
)
IP_LITERAL = Finding(
    "mx.ip-literal",
    Status.FAIL,
    "An MX record names an IP address instead of a host name",
    Hint(
        "Point the MX record at a host name that has the address",
        (
            "An MX target must be a domain name with A/AAAA records (RFC 5321 §5.1); "
            "`MX 10 192.0.2.1.` is looked up as a name, which does not exist.",
            "Publish `mx1.example.com. A 192.0.2.1` and `example.com. MX 10 mx1.example.com.`",
        ),
        _RFC5321_MX,
    ),
)
ALIAS = Finding(
    "mx.cname",
    Status.WARN,
    "An MX record points at an alias (CNAME)",
    Hint(
        "Point the MX record at the canonical host name",
        (
            "RFC 2181 §10.3 says the name in an MX record must not be an alias (RFC 5321 §5.1 "
            "asks only that it resolve to an address); most senders follow the CNAME, some "
            "refuse, and MTA-STS and DANE matching get harder.",
            "Replace the alias in the MX record with the name the CNAME points to.",
        ),
        _RFC2181_ALIAS,
    ),
)
NO_ADDRESS = Finding(
    "mx.no-address",
    Status.FAIL,
    "No MX host has an address: the domain cannot receive mail",
    Hint(
        "Give the MX hosts A/AAAA records, or fix the MX records",
        (
            "Senders cannot reach any exchanger and bounce the mail.",
            "Publish the address of each MX host: `mx1.example.com. A 192.0.2.1`.",
            "Check for a typo in the MX target: `dig MX example.com` then `dig A <target>`.",
        ),
        _RFC5321_MX,
    ),
)
HOST_WITHOUT_ADDRESS = Finding(
    "mx.host-without-address",
    Status.WARN,
    "Some MX hosts have no address",
    Hint(
        "Give every MX host an A/AAAA record, or remove its MX record",
        (
            "Senders skip an MX host they cannot resolve, losing the redundancy it should "
            "give, and may delay mail while they retry it.",
            "Publish its address (`mx2.example.com. A 192.0.2.2`) or delete the MX record.",
        ),
        _RFC5321_MX,
    ),
)
HOST_LOOKUP_FAILED = Finding(
    "mx.host-lookup-failed",
    Status.WARN,
    "The address look-up of some MX hosts failed",
    Hint(
        "Make the MX hosts' DNS servers answer A and AAAA questions",
        (
            "Whether these MX hosts have an address is not known: DNS did not answer (a "
            "time-out, SERVFAIL …).  Senders meeting the same failure skip the host or "
            "delay mail while they retry it.",
            "Ask the MX host's authoritative servers: `dig +norecurse A mx2.example.com "
            "@ns1.example.com` (and AAAA).",
            "A SERVFAIL often means broken DNSSEC: look at https://dnsviz.net/.",
        ),
        _RFC5321_MX,
    ),
)
PTR_MISSING = Finding(
    "mx.ptr-missing",
    Status.WARN,
    "An MX address has no reverse DNS (PTR) record",
    Hint(
        "Ask whoever owns the address (your hosting or ISP) to publish a PTR record",
        (
            "Reverse DNS is set by the owner of the address block, not in your zone: in the "
            'hosting provider\'s panel ("reverse DNS", "PTR") or by a support request.',
            "Point it at the MX host name, which must resolve back to the address "
            "(forward-confirmed reverse DNS, FCrDNS).",
            "The same server usually sends mail too, and Gmail and Yahoo require FCrDNS of "
            "every sending address.",
        ),
        _GMAIL_SENDERS,
    ),
)
PTR_MISMATCH = Finding(
    "mx.ptr-mismatch",
    Status.WARN,
    "An MX address's PTR name does not resolve back to it",
    Hint(
        "Make the PTR name and its A/AAAA record agree (forward-confirmed reverse DNS)",
        (
            "The PTR record of the address names a host whose A/AAAA records do not "
            "include that address.",
            "Either change the PTR (at the address owner) to the MX host name, or publish "
            "an A/AAAA record for the PTR name with this address.",
            "Gmail and Yahoo require forward-confirmed reverse DNS of every sending address.",
        ),
        _GMAIL_SENDERS,
    ),
)
PTR_LOOKUP_FAILED = Finding(
    "mx.ptr-lookup-failed",
    Status.WARN,
    "Could not check the reverse DNS of an MX address: a look-up failed",
    Hint(
        "Ask again; if the look-up keeps failing, ask whoever runs the reverse zone to fix it",
        (
            "The PTR look-up of the address, or the A/AAAA look-up of its PTR name, got no "
            "answer (a time-out, SERVFAIL …): whether the address has forward-confirmed "
            "reverse DNS is not known.",
            "Ask yourself: `dig -x 192.0.2.1`, then `dig A <the PTR name>`.  A time-out "
            "seen only from this machine may be local.",
            "Receivers that meet the same failure treat the sending address as having no "
            "reverse DNS; Gmail and Yahoo require FCrDNS of every sending address.",
        ),
        _GMAIL_SENDERS,
    ),
)
NOT_ALL_RESOLVED = Finding(
    "mx.not-all-resolved",
    Status.INFO,
    "Only the first MX hosts were resolved",
    Hint(
        "Raise --max-mx to look at every MX host",
        ("The MX hosts after the first --max-mx (in preference order) were not looked up.",),
    ),
)


@dataclass(frozen=True, slots=True)
class HostLookup:
    """One MX host's addresses, or why it has none."""

    host: str
    preference: int
    addresses: tuple[str, ...] = ()
    """At most :data:`MAX_ADDRESSES`, IPv6 and IPv4 alternated."""
    total_addresses: int = 0
    """How many addresses DNS gave (more than :attr:`addresses` holds when cut)."""
    failure: str = ""
    """Why it has no address, in words; with addresses, which address question failed."""
    address_failure: DNSFailure | None = None
    """The worst failure of the A and AAAA questions other than "no such records" (see
    :attr:`~smtpdoctor.domain.facts.Exchanger.address_failure`)."""
    alias: str = ""
    """The canonical name when the host is an alias (CNAME), else empty."""
    authenticated: bool | None = False
    """DNSSEC vouches for every address answer (see
    :attr:`~smtpdoctor.domain.facts.Exchanger.addresses_authenticated`)."""

    @property
    def uncertain(self) -> bool:
        """It has no address because DNS did not answer (time-out, SERVFAIL …), not because
        there is none."""
        return not self.addresses and self.address_failure is not None

    def describe(self) -> str:
        """``10 mx1.example.com (192.0.2.1)``; says how many addresses were left out."""
        missing = "address look-up failed" if self.uncertain else "no address"
        return f"{self.preference} {self.host} ({self.address_list() or missing})"

    def address_list(self) -> str:
        """The addresses kept, and how many more DNS gave (not checked, not probed)."""
        left = self.total_addresses - len(self.addresses)
        more = f", and {left} more not checked (at most {MAX_ADDRESSES})" if left > 0 else ""
        return ", ".join(self.addresses) + more


class MX(DomainCheck):
    """The domain's MX records, their hosts' addresses and reverse DNS."""

    id = "mx"
    title = "MX"
    findings = (
        MX_OK,
        MX_RECORDS,
        NULL_MX,
        NULL_MX_MIXED,
        ROOT_TARGET,
        IMPLICIT_MX,
        NO_MAIL_HOST,
        DOMAIN_MISSING,
        LOOKUP_FAILED,
        IP_LITERAL,
        ALIAS,
        NO_ADDRESS,
        HOST_WITHOUT_ADDRESS,
        HOST_LOOKUP_FAILED,
        PTR_MISSING,
        PTR_MISMATCH,
        PTR_LOOKUP_FAILED,
        NOT_ALL_RESOLVED,
    )

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        ctx.stash[EXCHANGERS] = ()
        ctx.stash[MAIL_ROUTING] = MailRouting.UNKNOWN
        answer = ctx.dns.query(ctx.domain, "MX")
        if answer.failure is DNSFailure.NO_ANSWER:
            return _implicit(ctx)
        if answer.failure is DNSFailure.NXDOMAIN:
            ctx.stash[MAIL_ROUTING] = MailRouting.NO_DOMAIN
            return [
                DOMAIN_MISSING.outcome(
                    f"{ctx.domain} does not exist: asked {ctx.dns.servers} for its MX records, "
                    f"the answer was {answer.explanation}",
                    {"domain": ctx.domain},
                )
            ]
        if answer.failure is not None:
            return [
                LOOKUP_FAILED.outcome(
                    f"asked {ctx.dns.servers} for the MX records of {ctx.domain}: "
                    f"{answer.explanation}",
                    {"domain": ctx.domain, "failure": answer.failure.value},
                )
            ]
        return _with_records(ctx, answer)


# -- the MX records --------------------------------------------------------------------------


def _with_records(ctx: DomainContext, answer: Answer) -> list[Outcome]:
    records = _mx_records(answer)
    read = records[:MAX_MX_RECORDS]
    null = [host for preference, host in read if not host and preference == 0]
    rooted = [preference for preference, host in read if not host and preference != 0]
    named = [(preference, host) for preference, host in read if host]
    listed = tuple(f"{preference} {host or '.'}" for preference, host in read)
    if null and not named and not rooted:
        ctx.stash[MAIL_ROUTING] = MailRouting.NULL_MX
        return [
            NULL_MX.outcome(
                f"{ctx.domain} publishes a null MX (MX 0 .): it accepts no mail (RFC 7505)",
                {"mx": listed},
            )
        ]
    ctx.stash[MAIL_ROUTING] = MailRouting.MX
    rows: list[Outcome] = []
    if null and named:
        rows.append(
            NULL_MX_MIXED.outcome(
                f"{ctx.domain} publishes a null MX (MX 0 .) and "
                f"{plural(len(named), 'other MX record')}: {', '.join(listed)}",
                {"mx": listed},
            )
        )
    if rooted:
        rows.append(_root_target(ctx.domain, rooted, listed, named=bool(named)))
    if not named:
        return [
            MX_RECORDS.outcome(f"MX of {ctx.domain}: {', '.join(listed)}", {"mx": listed}),
            *rows,
        ]
    chosen, later = named[: ctx.request.max_exchangers], named[ctx.request.max_exchangers :]
    literals = [(p, host) for p, host in chosen if _is_address(host)]
    to_resolve = [(p, host) for p, host in chosen if not _is_address(host)]
    calls = [partial(_resolve, ctx.dns, host, preference) for preference, host in to_resolve]
    lookups = gather(*calls) if calls else []
    if literals:
        rows.append(
            IP_LITERAL.outcome(
                f"MX target {', '.join(host for _, host in literals)} is an IP address, not a host "
                "name: senders look it up as a name and find nothing",
                {"targets": tuple(host for _, host in literals)},
            )
        )
    aliases = [lookup for lookup in lookups if lookup.alias]
    if aliases:
        rows.append(
            ALIAS.outcome(
                "MX target "
                + ", ".join(
                    f"{lookup.host} is an alias (CNAME) of {lookup.alias}" for lookup in aliases
                ),
                {"aliases": tuple(f"{lookup.host} -> {lookup.alias}" for lookup in aliases)},
            )
        )
    not_looked_up = [host for _, host in later] + [
        host or "." for _, host in records[MAX_MX_RECORDS:]
    ]
    unresolved = [lookup for lookup in lookups if not lookup.addresses]
    if unresolved:
        rows += _unresolved_rows(unresolved, len(lookups), not_looked_up)
    rows += _partly_resolved_rows(lookups)
    reverse = _reverse_all(ctx.dns, lookups)
    rows += _reverse_rows(reverse)
    if later:
        rows.append(
            NOT_ALL_RESOLVED.outcome(
                f"{plural(len(named), 'MX host')}; only the first {len(chosen)} were looked up "
                f"(--max-mx {ctx.request.max_exchangers}), not "
                f"{', '.join(host for _, host in later)}",
                {"not_resolved": tuple(host for _, host in later)},
            )
        )
    if len(records) > MAX_MX_RECORDS:
        rows.append(
            NOT_ALL_RESOLVED.outcome(
                f"{len(records)} MX records; only the first {MAX_MX_RECORDS} were read",
                {"records": len(records), "read": MAX_MX_RECORDS},
            )
        )
    ctx.stash[EXCHANGERS] = (
        *_exchangers(chosen, lookups),
        *(
            Exchanger(
                host,
                preference,
                failure="not looked up (beyond --max-mx)",
                addresses_authenticated=None,
            )
            for preference, host in later
        ),
    )
    problems = any(row.status.is_problem for row in rows)
    return [_summary(ctx, chosen, lookups, reverse, problems=problems), *rows]


def _mx_records(answer: Answer) -> list[tuple[int, str]]:
    """``(preference, host)`` in preference order, each host once (at its lowest
    preference); a target that is the root (``.``, as in the null MX) is ``""``."""
    best: dict[str, int] = {}
    for record in answer.records:
        if isinstance(record, dns.rdtypes.ANY.MX.MX):
            host = _name(record.exchange)
            best[host] = min(record.preference, best.get(host, record.preference))
    return sorted((preference, host) for host, preference in best.items())


def _root_target(
    domain: str, preferences: Sequence[int], listed: tuple[str, ...], *, named: bool
) -> Outcome:
    """An MX record ``N .`` with N other than 0: not a null MX (RFC 7505 §3), a target no
    sender can use."""
    records = ", ".join(f"MX {preference} ." for preference in preferences)
    effect = (
        "senders skip it and use the other MX records"
        if named
        else "it has no other MX record, so mail to it bounces, but not as a null MX says"
    )
    return ROOT_TARGET.outcome(
        f"{domain} publishes {records}: a null MX has preference 0 (RFC 7505 §3), so this is "
        f"an MX record whose target is the root name, which no sender can deliver to; {effect}",
        {"mx": listed},
    )


def _unresolved_rows(
    unresolved: Sequence[HostLookup], looked_up: int, not_looked_up: Sequence[str]
) -> list[Outcome]:
    """The MX hosts without an address, those that have none apart from those whose look-up
    failed.  FAIL only when every MX host was looked up and none has an address: that the
    domain cannot receive mail (all have none), or that nothing is known (some look-ups
    failed)."""
    missing = [lookup for lookup in unresolved if not lookup.uncertain]
    failed = [lookup for lookup in unresolved if lookup.uncertain]
    if len(unresolved) == looked_up and not not_looked_up:
        if not failed:
            return [NO_ADDRESS.outcome(_without_address(missing, looked_up), _hosts(missing))]
        return [
            LOOKUP_FAILED.outcome(
                f"{_failed_lookups(failed, looked_up)}"
                + (f"; {_without_address(missing, looked_up)}" if missing else "")
                + ": no MX host is known to have an address, so whether the domain can "
                "receive mail is not known",
                {**_hosts(unresolved), "lookup_failed": _hosts(failed)["hosts"]},
            )
        ]
    rest = ""
    extra: dict[str, DetailValue] = {}
    if len(unresolved) == looked_up:
        rest = (
            f"; {plural(len(not_looked_up), 'other MX host')} not looked up "
            f"({', '.join(not_looked_up)}): whether any can receive mail is not known"
        )
        extra = {"not_looked_up": tuple(not_looked_up)}
    rows = []
    if missing:
        rows.append(
            HOST_WITHOUT_ADDRESS.outcome(
                _without_address(missing, looked_up) + rest, {**_hosts(missing), **extra}
            )
        )
        rest, extra = "", {}
    if failed:
        rows.append(
            HOST_LOOKUP_FAILED.outcome(
                f"{_failed_lookups(failed, looked_up)}: whether "
                f"{'it has' if len(failed) == 1 else 'they have'} an address is not known{rest}",
                {**_hosts(failed), **extra},
            )
        )
    return rows


def _partly_resolved_rows(lookups: Sequence[HostLookup]) -> list[Outcome]:
    """The MX hosts with addresses of one type while the question for the other type failed
    (a time-out, SERVFAIL …): the addresses DNS holds are not all known."""
    partly = [lookup for lookup in lookups if lookup.addresses and lookup.address_failure]
    if not partly:
        return []
    return [
        HOST_LOOKUP_FAILED.outcome(
            f"an address look-up failed for {plural(len(partly), 'MX host')} that "
            f"{'has' if len(partly) == 1 else 'have'} other addresses: "
            + "; ".join(
                f"{lookup.host}: {lookup.failure} (found {lookup.address_list()})"
                for lookup in partly
            )
            + ": whether DNS holds more addresses, and what senders reach there, is not known",
            {**_hosts(partly), "lookup_failed": _hosts(partly)["hosts"]},
        )
    ]


def _without_address(missing: Sequence[HostLookup], looked_up: int) -> str:
    return f"{plural(len(missing), 'MX host')} of {looked_up} without an address: " + "; ".join(
        f"{lookup.host}: {lookup.failure}" for lookup in missing
    )


def _failed_lookups(failed: Sequence[HostLookup], looked_up: int) -> str:
    return (
        f"the address look-up failed for {plural(len(failed), 'MX host')} of {looked_up}: "
        + "; ".join(f"{lookup.host}: {lookup.failure}" for lookup in failed)
    )


def _hosts(lookups: Sequence[HostLookup]) -> dict[str, DetailValue]:
    return {"hosts": tuple(lookup.host for lookup in lookups)}


def _summary(
    ctx: DomainContext,
    chosen: Sequence[tuple[int, str]],
    lookups: Sequence[HostLookup],
    reverse: Sequence[tuple[str, FCrDNS]],
    *,
    problems: bool,
) -> Outcome:
    """The MX set in one row, in preference order (IP literals in their place): PASS when
    nothing is wrong with it (``problems`` false)."""
    resolved = {lookup.host: lookup for lookup in lookups}
    described = [
        resolved[host].describe() if host in resolved else f"{preference} {host} (an IP address)"
        for preference, host in chosen
    ]
    details: dict[str, DetailValue] = {
        "mx": tuple(described),
        "fcrdns": tuple(
            f"{item.address} <-> {item.confirmed[0]}" for _, item in reverse if item.confirmed
        ),
    }
    if lookups and not problems:
        return MX_OK.outcome(
            f"{plural(len(lookups), 'MX host')}: {'; '.join(described)}; every address "
            "checked has forward-confirmed reverse DNS",
            details,
        )
    return MX_RECORDS.outcome(f"MX of {ctx.domain}: {'; '.join(described)}", details)


def _exchangers(
    chosen: Sequence[tuple[int, str]], lookups: Sequence[HostLookup]
) -> tuple[Exchanger, ...]:
    resolved = {lookup.host: lookup for lookup in lookups}
    exchangers = []
    for preference, host in chosen:
        lookup = resolved.get(host)
        if lookup is None:
            exchangers.append(
                Exchanger(host, preference, failure="an IP address literal, not a host name")
            )
        else:
            exchangers.append(_exchanger(lookup))
    return tuple(exchangers)


def _exchanger(lookup: HostLookup) -> Exchanger:
    return Exchanger(
        lookup.host,
        lookup.preference,
        lookup.addresses,
        lookup.failure,
        address_failure=lookup.address_failure,
        addresses_authenticated=lookup.authenticated,
        canonical_name=lookup.alias,
    )


# -- no MX at all: the implicit MX -----------------------------------------------------------


def _implicit(ctx: DomainContext) -> list[Outcome]:
    lookup = _resolve(ctx.dns, ctx.domain, 0, aliases=False)
    if lookup.uncertain:
        return [
            LOOKUP_FAILED.outcome(
                f"{ctx.domain} has no MX records, and the look-up of its own address (the "
                f"implicit MX) failed: {lookup.failure}",
                {"domain": ctx.domain},
            )
        ]
    ctx.stash[MAIL_ROUTING] = MailRouting.MX
    if not lookup.addresses:
        return [
            NO_MAIL_HOST.outcome(
                f"{ctx.domain} has no MX records and no address to fall back on "
                f"({lookup.failure}): mail to it bounces",
                {"domain": ctx.domain},
            )
        ]
    ctx.stash[EXCHANGERS] = (_exchanger(lookup),)
    reverse = _reverse_all(ctx.dns, [lookup])
    return [
        IMPLICIT_MX.outcome(
            f"{ctx.domain} has no MX records: senders deliver to its own address "
            f"({lookup.address_list()}), the implicit MX of RFC 5321 §5.1",
            {"addresses": lookup.addresses},
        ),
        *_reverse_rows(reverse),
    ]


# -- one host's addresses --------------------------------------------------------------------


def _resolve(dns_: DNSQuestions, host: str, preference: int, *, aliases: bool = True) -> HostLookup:
    """The host's A and AAAA records (and, with ``aliases``, whether it is a CNAME), asked
    at once."""
    kinds = ("AAAA", "A", "CNAME") if aliases else ("AAAA", "A")
    answers = gather(*(partial(dns_.query, host, rdtype) for rdtype in kinds))
    six, four = answers[0], answers[1]
    found = _interleave(_texts(six), _texts(four))
    alias = next(
        (
            a.canonical_name.lower()
            for a in (six, four)
            if a.found and a.canonical_name.lower() != host
        ),
        _cname_target(answers[2]) if aliases else "",
    )
    troubled = [a for a in (four, six) if a.failure is not None and a.failure not in _NOTHING]
    exists = DNSFailure.NXDOMAIN not in (six.failure, four.failure)
    address_failure = _worst(troubled) if exists else None
    authenticated = _authenticated((six, four))
    if found:
        return HostLookup(
            host,
            preference,
            found[:MAX_ADDRESSES],
            len(found),
            "; ".join(f"{a.rdtype}: {a.explanation}" for a in troubled) if exists else "",
            address_failure=address_failure,
            alias=alias,
            authenticated=authenticated,
        )
    return HostLookup(
        host,
        preference,
        failure=_no_address(six, four, troubled),
        address_failure=address_failure,
        alias=alias,
        authenticated=authenticated,
    )


def _worst(troubled: Sequence[Answer]) -> DNSFailure | None:
    """The failure that says most about the DNS: a SERVFAIL (broken DNSSEC, say) before a
    time-out before the rest."""
    failures = {answer.failure for answer in troubled}
    return next((failure for failure in _WORST_FIRST if failure in failures), None)


def _authenticated(answers: Sequence[Answer]) -> bool | None:
    """DNSSEC vouches for every answer (records or a denial, RFC 7672 §2.2): ``False`` as
    soon as one answer came without the AD bit, ``None`` when the answers that came had it
    but a question failed."""
    came = [answer for answer in answers if answer.failure is None or answer.failure in _NOTHING]
    if not all(answer.authenticated for answer in came):
        return False
    return True if len(came) == len(answers) else None


def _texts(answer: Answer) -> list[str]:
    """The addresses in an A or AAAA answer (anything else in it ignored)."""
    return [
        record.to_text()
        for record in answer.records
        if isinstance(record, dns.rdtypes.IN.A.A | dns.rdtypes.IN.AAAA.AAAA)
    ]


def _cname_target(answer: Answer) -> str:
    for record in answer.records:
        if isinstance(record, dns.rdtypes.ANY.CNAME.CNAME):
            return _name(record.target)
    return ""


def _no_address(six: Answer, four: Answer, troubled: Sequence[Answer]) -> str:
    """Why neither look-up gave an address, in words."""
    if DNSFailure.NXDOMAIN in (six.failure, four.failure):
        return "no such name (NXDOMAIN)"
    if troubled:
        return "; ".join(f"{a.rdtype}: {a.explanation}" for a in troubled)
    return "the name exists but has no A or AAAA records"


# -- reverse DNS -----------------------------------------------------------------------------


def _reverse_all(dns_: DNSQuestions, lookups: Sequence[HostLookup]) -> list[tuple[str, FCrDNS]]:
    """Forward-confirmed reverse DNS of every address, with the MX host it belongs to."""
    pairs = [(lookup.host, address) for lookup in lookups for address in lookup.addresses]
    calls = [
        partial(forward_confirmed, dns_, address, max_names=MAX_PTR_NAMES) for _, address in pairs
    ]
    checked = gather(*calls) if calls else []
    return [(host, item) for (host, _), item in zip(pairs, checked, strict=True)]


def _reverse_rows(reverse: Sequence[tuple[str, FCrDNS]]) -> list[Outcome]:
    rows = []
    unconfirmed = [(host, item) for host, item in reverse if not item.confirmed]
    failed = [(host, item) for host, item in unconfirmed if item.uncertain]
    missing = [(host, item) for host, item in unconfirmed if not item.uncertain and not item.names]
    mismatched = [(host, item) for host, item in unconfirmed if not item.uncertain and item.names]
    if missing:
        rows.append(
            PTR_MISSING.outcome(
                f"{_addresses(len(missing))} without reverse DNS: "
                + "; ".join(f"{host}: {item.problem}" for host, item in missing),
                {"addresses": tuple(item.address for _, item in missing)},
            )
        )
    if mismatched:
        rows.append(
            PTR_MISMATCH.outcome(
                f"{_addresses(len(mismatched))} whose PTR name does not resolve back "
                "to it: " + "; ".join(f"{host}: {item.problem}" for host, item in mismatched),
                {
                    "addresses": tuple(item.address for _, item in mismatched),
                    "ptr": tuple(name for _, item in mismatched for name in item.ptr_names),
                },
            )
        )
    if failed:
        rows.append(
            PTR_LOOKUP_FAILED.outcome(
                f"could not check the reverse DNS of {_addresses(len(failed))}, a "
                "look-up failed: "
                + "; ".join(f"{host}: {', '.join(item.evidence())}" for host, item in failed),
                {"addresses": tuple(item.address for _, item in failed)},
            )
        )
    return rows


# -- helpers ---------------------------------------------------------------------------------


def _addresses(count: int) -> str:
    """``1 MX address``, ``2 MX addresses``."""
    return plural(count, "MX address", "MX addresses")


def _name(name: dns.name.Name) -> str:
    """A host name from a record: lower-case, no trailing dot, ``""`` for the root."""
    return "" if name == dns.name.root else name.to_text(omit_final_dot=True).lower()


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _interleave(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    """IPv6 and IPv4 addresses alternated, IPv6 first (RFC 8305), each once."""
    merged: list[str] = []
    for index in range(max(len(first), len(second))):
        merged.extend(group[index] for group in (first, second) if index < len(group))
    return tuple(dict.fromkeys(merged))


# -- for the checks that read MAIL_ROUTING ---------------------------------------------------


def routing_row(ctx: DomainContext, *, no_domain: Finding, null_mx: Finding) -> Outcome | None:
    """The one row a check whose advice needs a domain that takes mail gives instead of its
    own: ``no_domain`` (a SKIP finding) when the domain does not exist, ``null_mx`` (an INFO
    finding) when it publishes a null MX; ``None`` otherwise (the check runs as usual)."""
    routing = ctx.stash.get(MAIL_ROUTING)
    if routing is MailRouting.NO_DOMAIN:
        return no_domain.outcome(
            f"not checked: {ctx.domain} does not exist (NXDOMAIN)", {"domain": ctx.domain}
        )
    if routing is MailRouting.NULL_MX:
        return null_mx.outcome(
            "not applicable: the domain accepts no mail (null MX)", {"domain": ctx.domain}
        )
    return None


def unknown_mx_set(ctx: DomainContext) -> str:
    """Why the MX set is not known, in words, or ``""`` when the ``mx`` check learnt it."""
    routing = ctx.stash.get(MAIL_ROUTING)
    if routing is None:
        why = "disabled" if "mx" in ctx.disabled else "it did not finish"
        return f"the MX set is unknown: the mx check did not run ({why})"
    if routing is MailRouting.UNKNOWN:
        return "the MX set is unknown: its look-up failed (see the MX section)"
    return ""


@hookimpl
def smtpdoctor_register_domain_checks(register: RegisterDomainCheck) -> None:
    """Register the ``mx`` domain check."""
    register(MX)
