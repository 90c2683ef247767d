"""The ``dane`` domain check: DANE for SMTP (RFC 7672) — TLSA records of each MX host,
whether DNSSEC vouches for them, and whether they match the certificate the MX presents.

For each exchanger (the ``mx`` check's) it decides as a DANE sender does (RFC 7672 §2.2):
DANE applies only to a host whose address records DNSSEC vouches for (the ``mx`` check's
:attr:`~smtpdoctor.domain.facts.Exchanger.addresses_authenticated`, the AD bit of a
validating resolver); for any other host the TLSA records are only mentioned, and a host
whose address look-up failed (:attr:`~smtpdoctor.domain.facts.Exchanger.address_failure`)
has an unknown DNSSEC status and is not judged.  For a signed
host it asks ``_25._tcp.`` + the CNAME-expanded host name, then the original name (§2.2.2),
through the audit's one resolver; a SERVFAIL there is a bogus answer.  Records DNSSEC
vouches for are matched (:mod:`smtpdoctor.domain.tlsa`) against the chain the ``smtp``
check's STARTTLS handshake got; without one, the ``smtp`` check's verdict says why.  It
tells the ``tls-rpt`` check whether DANE is in place
(:data:`~smtpdoctor.domain.facts.DANE_IN_PLACE`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import dns.rdtypes.tlsabase

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain.check import DomainCheck, DomainContext, RegisterDomainCheck
from smtpdoctor.domain.checks.mx import routing_row, unknown_mx_set
from smtpdoctor.domain.facts import (
    DANE_IN_PLACE,
    EXCHANGERS,
    PROBES,
    Exchanger,
    ExchangerProbe,
)
from smtpdoctor.domain.tlsa import TLSARecord, Verdict, authenticate, record_for
from smtpdoctor.mailauth.dns import Answer, DNSFailure
from smtpdoctor.model.domain import Finding
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import DetailValue, Hint, Outcome, Status
from smtpdoctor.net.resolver import gather

#: The most TLSA records of one name read; a real RRset has one to four.
MAX_RECORDS = 16

#: The answers that say there is no such record (as opposed to a failed question).
_DENIALS = (DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER)

_RFC7672 = "https://www.rfc-editor.org/rfc/rfc7672"
_ROLLOVER = "https://www.rfc-editor.org/rfc/rfc7671#section-8"
_TWO_RECORDS = (
    "Keep two TLSA records, so that a certificate change never leaves senders without a "
    "match (RFC 7671 §8): the current key's 3 1 1 and the next key's 3 1 1 (generate the "
    "next key now, publish its record, switch after two TTLs), or a 3 1 1 plus a 2 1 1 for "
    "the CA that issues your certificates."
)

NO_EXCHANGERS = Finding(
    "dane.no-exchangers",
    Status.INFO,
    "No mail exchanger to look up TLSA records for",
)
NOT_APPLICABLE = Finding(
    "dane.not-applicable", Status.SKIP, "Not checked: the domain does not exist (NXDOMAIN)"
)
NULL_MX = Finding(
    "dane.null-mx", Status.INFO, "Not applicable: the domain accepts no mail (null MX)"
)
MX_UNKNOWN = Finding(
    "dane.mx-unknown", Status.INFO, "The MX hosts are unknown: no TLSA record looked up"
)
NO_ADDRESS = Finding(
    "dane.no-address",
    Status.INFO,
    "MX host without an address: DANE not looked at",
)
NO_TLSA = Finding(
    "dane.no-tlsa",
    Status.INFO,
    "No DANE TLSA records for an MX host",
    Hint(
        "Publish a TLSA record for each MX host, so DANE senders authenticate it",
        (
            "Publish `_25._tcp.MXHOST. IN TLSA 3 1 1 <SHA-256 of the server's public key>` "
            "in the MX host's DNSSEC-signed zone; this row's details show the exact record "
            "for the certificate the server presents now, when it could be probed.",
            "Or compute the digest yourself: `openssl x509 -in cert.pem -noout -pubkey | "
            "openssl pkey -pubin -outform DER | openssl dgst -sha256`.",
            _TWO_RECORDS,
            "Renew certificates keeping the key (certbot: --reuse-key), so the 3 1 1 "
            "record stays valid.",
        ),
        f"{_RFC7672}#section-3.1",
    ),
)
ADDRESS_LOOKUP_FAILED = Finding(
    "dane.address-lookup-failed",
    Status.WARN,
    "DNSSEC status of an MX host unknown: its address look-up failed",
    Hint(
        "Make sure the MX host's name servers answer A and AAAA questions",
        (
            "Whether DANE applies to an MX host depends on whether DNSSEC vouches for its "
            "address records (RFC 7672 §2.2); while a question for them fails (a time-out, "
            "SERVFAIL …) that is not known, and DANE senders treat the failure as any other "
            "failed look-up: they skip the host or defer mail to it (RFC 7672 §2.1).",
            "Ask again (`dig +dnssec A MXHOST` and `dig +dnssec AAAA MXHOST`): a time-out "
            "seen only from this machine may be local.",
            "A SERVFAIL from a validating resolver often means broken DNSSEC signatures: "
            "look at `delv A MXHOST` or DNSViz.",
        ),
        f"{_RFC7672}#section-2.1",
    ),
)
UNSIGNED_HOST = Finding(
    "dane.unsigned-host",
    Status.INFO,
    "MX host not in a DNSSEC-signed zone: DANE does not apply",
    Hint(
        "Sign the MX host's zone with DNSSEC before publishing TLSA records",
        (
            "DANE senders look up TLSA records only for an MX host whose address records "
            "DNSSEC vouches for (RFC 7672 §2.2.2).",
            "Sign the zone holding the MX host's A/AAAA records and publish its DS record "
            "at the parent (your registrar), then publish `_25._tcp.MXHOST. IN TLSA 3 1 1 "
            "<digest>`.",
            "If the zone is signed already: the resolver asked did not set the AD bit — "
            "ask a validating resolver on a trusted path (--dns-server 127.0.0.1 with a "
            "local unbound).",
        ),
        f"{_RFC7672}#section-2.2",
    ),
)
UNSIGNED_TLSA = Finding(
    "dane.unsigned-tlsa",
    Status.WARN,
    "TLSA records not usable: sending servers ignore unsigned TLSA",
    Hint(
        "Make DNSSEC vouch for the TLSA records",
        (
            "Sign the zone that holds `_25._tcp.MXHOST` with DNSSEC and publish its DS at "
            "the parent: senders use TLSA records only when their validating resolver "
            "authenticates them.",
            "Check with a validating resolver: `drill -D _25._tcp.MXHOST TLSA` or "
            "`dig +dnssec _25._tcp.MXHOST TLSA` must show the `ad` flag.",
            "The AD bit means something only from a validating resolver on a trusted path "
            "(on this machine, or named with --dns-server over a network you trust): if "
            "the zone is signed, ask such a resolver.",
        ),
        f"{_RFC7672}#section-2.2",
    ),
)
BOGUS = Finding(
    "dane.bogus",
    Status.FAIL,
    "Bogus DNSSEC answer or broken signatures: DANE senders will not deliver",
    Hint(
        "Repair the zone's DNSSEC signatures",
        (
            "A validating resolver answers SERVFAIL when signatures do not verify; DANE "
            "senders then defer mail to this MX and bounce it when their queue gives up "
            "(RFC 7672 §2.1.1).",
            "Usual causes: expired RRSIG records (the signer stopped re-signing), a DS at "
            "the parent matching no DNSKEY after a key rollover, a zone edited without "
            "re-signing, name servers serving different versions of the zone.",
            "Find the broken link with `delv _25._tcp.MXHOST TLSA`, `drill -S "
            "_25._tcp.MXHOST TLSA` or DNSViz, re-sign the zone, and check again.",
        ),
        f"{_RFC7672}#section-2.1.1",
    ),
)
LOOKUP_FAILED = Finding(
    "dane.lookup-failed",
    Status.WARN,
    "The TLSA look-up failed",
    Hint(
        "Make sure the MX host's name servers answer TLSA questions",
        (
            "Ask again (`drill _25._tcp.MXHOST TLSA`): a time-out from this machine may be local.",
            "Some name servers and firewalls drop questions for record types they do not "
            "know; DANE senders then defer mail to this MX (RFC 7672 §2.1.1).",
        ),
        f"{_RFC7672}#section-2.1.1",
    ),
)
UNUSABLE = Finding(
    "dane.unusable",
    Status.WARN,
    "Unusable TLSA records",
    Hint(
        "Publish DANE-EE (3) or DANE-TA (2) records only",
        (
            "SMTP senders ignore PKIX-TA(0) and PKIX-EE(1) records (RFC 7672 §3.1.3): "
            "republish them as 3 1 1 (the server's public key) or 2 1 1 (the issuing CA's "
            "public key, with the CA certificate sent in the server's chain).",
            "Replace records with undefined parameters or a digest of the wrong length "
            "(SHA2-256: 32 bytes, SHA2-512: 64).",
            "When no record is usable, DANE senders still insist on TLS but no longer "
            "authenticate the server.",
        ),
        f"{_RFC7672}#section-3.1.3",
    ),
)
MATCH = Finding(
    "dane.match",
    Status.PASS,
    "A DNSSEC-signed TLSA record matches the MX's certificate",
)
MISMATCH = Finding(
    "dane.mismatch",
    Status.FAIL,
    "No TLSA record matches the MX's certificate: DANE senders will not deliver",
    Hint(
        "Publish a TLSA record for the certificate the MX presents now",
        (
            "The usual cause: the certificate was renewed with a new key before the TLSA "
            "records were updated.",
            "Publish the record in this row's details (`suggested_record`, the 3 1 1 of "
            "the current key) next to the old one; remove the old one after two TTLs.",
            "A DANE-TA (2 x x) record needs the CA certificate in the chain the server "
            "sends, and a leaf that names the MX host (RFC 7672 §3.1.2, §3.2.3).",
            _TWO_RECORDS,
        ),
        _ROLLOVER,
    ),
)
SINGLE_RECORD = Finding(
    "dane.single-record",
    Status.INFO,
    "Only one usable TLSA record: plan the next certificate change",
    Hint(
        "Publish a second TLSA record before the next certificate change",
        (
            _TWO_RECORDS,
            "With a single 3 1 1 record, a renewal with a new key breaks delivery from "
            "DANE senders until the record is updated and the old one expires from caches.",
        ),
        _ROLLOVER,
    ),
)
NO_STARTTLS = Finding(
    "dane.no-starttls",
    Status.FAIL,
    "TLSA records published, but no working STARTTLS: DANE senders will not deliver",
    Hint(
        "Offer STARTTLS on port 25 with the certificate the TLSA records name",
        (
            "Signed TLSA records tell senders that TLS is mandatory for this MX: without "
            "STARTTLS, or with a failing handshake, they defer mail and then bounce it "
            "(RFC 7672 §2.2).",
            "Enable STARTTLS (Postfix: `smtpd_tls_security_level = may` and "
            "`smtpd_tls_chain_files`), or remove the TLSA records until TLS works.",
        ),
        f"{_RFC7672}#section-2.2",
    ),
)
NOT_TESTED = Finding(
    "dane.not-tested",
    Status.INFO,
    "TLSA records not tested against the MX's certificate",
    Hint(
        "Probe the MX on port 25 to test the TLSA records",
        (
            "Run `smtpdoctor domain` without --no-smtp, from a machine whose outgoing port "
            "25 is open, so the MX's certificate can be matched against its TLSA records.",
        ),
    ),
)


class Dane(DomainCheck):
    """DANE for SMTP: each MX host's TLSA records, their DNSSEC status, and the match."""

    id = "dane"
    title = "DANE"
    requires = ("mx", "smtp")
    findings = (
        NO_EXCHANGERS,
        NOT_APPLICABLE,
        NULL_MX,
        MX_UNKNOWN,
        NO_ADDRESS,
        ADDRESS_LOOKUP_FAILED,
        NO_TLSA,
        UNSIGNED_HOST,
        UNSIGNED_TLSA,
        BOGUS,
        LOOKUP_FAILED,
        UNUSABLE,
        MATCH,
        MISMATCH,
        SINGLE_RECORD,
        NO_STARTTLS,
        NOT_TESTED,
    )

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        ctx.stash[DANE_IN_PLACE] = False
        instead = routing_row(ctx, no_domain=NOT_APPLICABLE, null_mx=NULL_MX)
        if instead is not None:
            return [instead]
        exchangers = (ctx.stash.get(EXCHANGERS) or ())[: ctx.request.max_exchangers]
        unknown = unknown_mx_set(ctx)
        if not exchangers and unknown:
            return [MX_UNKNOWN.outcome(f"no TLSA record looked up: {unknown}")]
        if not exchangers:
            return [
                NO_EXCHANGERS.outcome(
                    f"{ctx.domain} has no mail exchanger to look up TLSA records for "
                    "(see the MX section)"
                )
            ]
        probes = {probe.host: probe for probe in ctx.stash.get(PROBES) or ()}
        calls = [
            partial(_judge, ctx, exchanger, probes.get(exchanger.host)) for exchanger in exchangers
        ]
        verdicts = gather(*calls)
        ctx.stash[DANE_IN_PLACE] = any(verdict.in_place for verdict in verdicts)
        return [row for verdict in verdicts for row in verdict.rows]


@dataclass(frozen=True, slots=True)
class _HostVerdict:
    """The rows about one MX host, and whether DANE is in place for it."""

    rows: tuple[Outcome, ...]
    in_place: bool = False
    """DNSSEC vouches for the host's addresses and its TLSA records, and one is usable: DANE
    senders insist on authenticated TLS to this host."""


def _judge(ctx: DomainContext, exchanger: Exchanger, probe: ExchangerProbe | None) -> _HostVerdict:
    """Every row about one MX host, in the order a DANE sender decides (RFC 7672 §2.2):
    are the host's addresses DNSSEC-signed, then which TLSA records, then the match."""
    host = exchanger.host
    details: dict[str, DetailValue] = {
        "mx": host,
        "resolver": ctx.dns.servers,
        "address_authenticated": exchanger.addresses_authenticated,
    }
    if exchanger.canonical_name:
        details["canonical_name"] = exchanger.canonical_name
    if not exchanger.addresses and exchanger.address_failure is None:
        return _HostVerdict(
            (
                NO_ADDRESS.outcome(
                    f"{host}: no address ({exchanger.failure or 'see the MX section'}): "
                    "senders cannot connect to it, so whether DANE applies was not looked at",
                    details,
                ),
            )
        )
    if exchanger.address_failure is not None or exchanger.addresses_authenticated is None:
        return _HostVerdict((_status_unknown(exchanger, details),))
    if not exchanger.addresses_authenticated:
        return _HostVerdict((_unsigned_host(ctx, exchanger, probe, details),))
    tlsa, asked = _find_tlsa(ctx, exchanger)
    details |= {
        "tlsa_name": tlsa.name,
        "tlsa_asked": asked,
        "tlsa_authenticated": tlsa.authenticated,
    }
    if tlsa.failure is DNSFailure.SERVFAIL:
        return _HostVerdict(
            (
                BOGUS.outcome(
                    f"{host}: TLSA {tlsa.name}: {tlsa.explanation} — the host's addresses are "
                    "DNSSEC-signed, so this is a bogus DNSSEC answer or broken signatures (or "
                    "failing name servers): DANE senders defer mail to this MX and finally "
                    "bounce it",
                    {**details, "failed_question": f"TLSA {tlsa.name}"},
                ),
            )
        )
    if tlsa.failure in (DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER):
        return _HostVerdict((_no_tlsa(ctx, exchanger, tlsa, asked, probe, details),))
    if tlsa.failure is not None:
        return _HostVerdict(
            (
                LOOKUP_FAILED.outcome(
                    f"{host}: could not ask TLSA {tlsa.name}: {tlsa.explanation}", details
                ),
            )
        )
    records, ignored = _records(tlsa)
    details["records"] = tuple(record.text for record in records)
    if ignored:
        details["records_ignored"] = ignored
    if not tlsa.authenticated:
        return _HostVerdict(
            (
                UNSIGNED_TLSA.outcome(
                    f"{host}: {plural(len(records), 'TLSA record')} at {tlsa.name} "
                    f"({_shown(records)}), but {ctx.dns.servers}, which vouched for the "
                    "host's addresses, did not vouch for them (no AD bit): their zone is not "
                    "signed",
                    details,
                ),
            )
        )
    return _signed_records(ctx, exchanger, tlsa, records, probe, details)


def _status_unknown(exchanger: Exchanger, details: dict[str, DetailValue]) -> Outcome:
    """The row for an MX host whose address look-up failed (wholly, or for one type), or
    was not made: whether DNSSEC vouches for its addresses is not known, so neither is
    whether DANE applies."""
    host = exchanger.host
    if exchanger.address_failure is None:
        why = exchanger.failure or "its addresses were not looked up"
        return ADDRESS_LOOKUP_FAILED.outcome(
            f"{host}: DNSSEC status unknown ({why}): whether DANE applies was not looked at",
            details,
        )
    details = {**details, "address_failure": exchanger.address_failure.value}
    if exchanger.addresses:
        return ADDRESS_LOOKUP_FAILED.outcome(
            f"{host}: DNSSEC status unknown: an address look-up failed "
            f"({exchanger.failure or exchanger.address_failure.value}), though it has "
            f"{', '.join(exchanger.addresses)}; whether DNSSEC vouches for all its address "
            "records, and so whether DANE applies, is not known — its TLSA records were not "
            "looked at",
            details,
        )
    return ADDRESS_LOOKUP_FAILED.outcome(
        f"{host}: DNSSEC status unknown: the address look-up failed "
        f"({exchanger.failure or exchanger.address_failure.value}): whether it has an "
        "address, and whether DANE applies, is not known",
        details,
    )


def _find_tlsa(ctx: DomainContext, exchanger: Exchanger) -> tuple[Answer, tuple[str, ...]]:
    """The TLSA answer a DANE sender goes by, and the names it asked (RFC 7672 §2.2.2).

    When the MX host is an alias whose expansion DNSSEC vouches for, the records are sought
    first at the CNAME-expanded name, then, when DNSSEC says there are none there (or does
    not vouch for those there), at the original name; a failed question decides at once
    (the sender defers).
    """
    bases = [exchanger.host]
    if exchanger.canonical_name and exchanger.canonical_name != exchanger.host:
        bases.insert(0, exchanger.canonical_name)
    answers: list[Answer] = []
    for base in bases:
        answer = ctx.dns.query(f"_{ctx.request.smtp_port}._tcp.{base}", "TLSA")
        answers.append(answer)
        if answer.found and answer.authenticated:
            break
        if answer.failure is not None and answer.failure not in _DENIALS:
            break
    asked = tuple(answer.name for answer in answers)
    last = answers[-1]
    if last.failure in _DENIALS:  # unsigned records at the expanded name say more
        return next((answer for answer in answers if answer.found), last), asked
    return last, asked


def _unsigned_host(
    ctx: DomainContext,
    exchanger: Exchanger,
    probe: ExchangerProbe | None,
    details: dict[str, DetailValue],
) -> Outcome:
    """The one row for an MX host whose addresses DNSSEC does not vouch for: DANE senders
    stop there (RFC 7672 §2.2.2), so any TLSA records are only mentioned, never judged."""
    host = exchanger.host
    tlsa = ctx.dns.query(f"_{ctx.request.smtp_port}._tcp.{host}", "TLSA")
    details = {**details, "tlsa_name": tlsa.name, "tlsa_authenticated": tlsa.authenticated}
    said = (
        f"{host}: DNSSEC does not vouch for its address records ({ctx.dns.servers} set no AD "
        "bit on them), so DANE senders do not look up its TLSA records: DANE does not apply"
    )
    if tlsa.failure in _DENIALS:
        suggestion = _suggested_record(tlsa.name, probe)
        if suggestion:
            details["suggested_record"] = suggestion
        return UNSIGNED_HOST.outcome(f"{said} (and it has none: {tlsa.explanation})", details)
    if tlsa.failure is not None:
        return UNSIGNED_HOST.outcome(
            f"{said} (asking them anyway failed: {tlsa.explanation})", details
        )
    records, _ = _records(tlsa)
    details["records"] = tuple(record.text for record in records)
    published = f"{plural(len(records), 'TLSA record')} at {tlsa.name} ({_shown(records)})"
    ignored = f"{said}; {published}, ignored"
    usable = [record for record in records if not record.unusable()]
    if not usable or probe is None or not probe.peer_chain:
        return UNSIGNED_HOST.outcome(ignored, details)
    result = authenticate(usable, probe.peer_chain, [host])
    details["would_match"] = result.authenticated
    would = "would match" if result.authenticated else "would not match"
    return UNSIGNED_HOST.outcome(
        f"{ignored}; they {would} the certificate it presents once its zone is signed",
        details,
    )


def _no_tlsa(
    ctx: DomainContext,
    exchanger: Exchanger,
    tlsa: Answer,
    asked: Sequence[str],
    probe: ExchangerProbe | None,
    details: dict[str, DetailValue],
) -> Outcome:
    """The row for a DNSSEC-signed MX host without TLSA records."""
    suggestion = _suggested_record(f"_{ctx.request.smtp_port}._tcp.{exchanger.host}", probe)
    if suggestion:
        details = {**details, "suggested_record": suggestion}
    return NO_TLSA.outcome(
        f"{exchanger.host}: no TLSA records at {' or '.join(asked)} "
        f"({tlsa.explanation}); its addresses are signed ({_vouched(ctx, 'them')}), so DANE "
        "is one record away" + (f": {suggestion}" if suggestion else ""),
        details,
    )


def _signed_records(
    ctx: DomainContext,
    exchanger: Exchanger,
    tlsa: Answer,
    records: Sequence[TLSARecord],
    probe: ExchangerProbe | None,
    details: dict[str, DetailValue],
) -> _HostVerdict:
    """The rows of TLSA records DNSSEC vouches for, at a host whose addresses it vouches
    for: which are unusable, then the match of the usable ones."""
    host = exchanger.host
    rows: list[Outcome] = []
    usable = [record for record in records if not record.unusable()]
    unusable = [record for record in records if record.unusable()]
    if unusable:
        what = "; ".join(f"{record}: {record.unusable()}" for record in unusable)
        rest = (
            f", {len(usable)} usable"
            if usable
            else ": no record is usable, so DANE senders require TLS but cannot "
            "authenticate this MX"
        )
        rows.append(UNUSABLE.outcome(f"{host}: {what}{rest}", details))
    if usable:
        rows.extend(_matched(ctx, exchanger, tlsa, usable, probe, details))
    return _HostVerdict(tuple(rows), in_place=bool(usable))


def _matched(
    ctx: DomainContext,
    exchanger: Exchanger,
    tlsa: Answer,
    usable: Sequence[TLSARecord],
    probe: ExchangerProbe | None,
    details: dict[str, DetailValue],
) -> list[Outcome]:
    """The rows of signed, usable records: matched against the probe's chain if there is
    one, and the rollover advice."""
    host = exchanger.host
    rollover = (
        [
            SINGLE_RECORD.outcome(
                f"{host}: one usable TLSA record ({usable[0]}): a certificate change with a "
                "new key breaks delivery from DANE senders until it is updated",
                details,
            )
        ]
        if len(usable) == 1
        else []
    )
    untested = _untested(probe)
    if untested is not None:
        status, why = untested
        if status is Status.FAIL:
            return [
                NO_STARTTLS.outcome(
                    f"{host}: signed TLSA records ({_shown(usable)}), but {why}: DANE "
                    "senders defer mail to this MX and finally bounce it",
                    details,
                )
            ]
        return [
            NOT_TESTED.outcome(
                f"{host}: {plural(len(usable), 'usable TLSA record')}, signed "
                f"({_shown(usable)}; {_vouched(ctx)}); the match was not tested: {why}",
                details,
            ),
            *rollover,
        ]
    assert probe is not None  # _untested() says why when there is no chain
    names = [host, exchanger.canonical_name, _base(tlsa.name), _base(tlsa.canonical_name)]
    result = authenticate(usable, probe.peer_chain, [name for name in names if name])
    details = {
        **details,
        "chain": result.chain,
        "verdicts": tuple(check.describe() for check in result.checks),
    }
    if not result.authenticated:
        suggestion = _suggested_record(f"_{ctx.request.smtp_port}._tcp.{host}", probe)
        if suggestion:
            details["suggested_record"] = suggestion
        return [
            MISMATCH.outcome(
                f"{host}: no TLSA record matches the certificate it presents — "
                + "; ".join(check.describe() for check in result.checks),
                details,
            )
        ]
    matched = next(check for check in result.checks if check.verdict is Verdict.MATCHED)
    return [MATCH.outcome(f"{host}: {matched.describe()}; {_vouched(ctx)}", details), *rollover]


def _untested(probe: ExchangerProbe | None) -> tuple[Status, str] | None:
    """Why there is no chain to match, from the ``smtp`` check's verdict on the probe:
    ``(FAIL, why)`` when the MX was reached but STARTTLS did not work, ``(INFO, why)`` when
    it was not probed, the session ended before STARTTLS or no chain was captured; ``None``
    with a chain."""
    if probe is None:
        return Status.INFO, "the MX was not probed on port 25"
    if probe.report is None:
        why = probe.not_probed or "no reason given"
        return Status.INFO, f"it was not probed on port 25 ({why})"
    if probe.starttls is False:
        return Status.FAIL, f"STARTTLS did not work ({probe.certificate_problem or 'no TLS'})"
    if probe.peer_chain:
        return None
    if probe.starttls:
        return (
            Status.INFO,
            "STARTTLS works, but no certificate chain was captured to match (the handshake "
            "that reads it did not complete)",
        )
    return Status.INFO, probe.certificate_problem or "the probe did not get to STARTTLS"


def _records(answer: Answer) -> tuple[list[TLSARecord], int]:
    """The TLSA records of ``answer`` (at most :data:`MAX_RECORDS`) and how many were left."""
    records = [
        TLSARecord(rdata.usage, rdata.selector, rdata.mtype, bytes(rdata.cert))
        for rdata in answer.records
        if isinstance(rdata, dns.rdtypes.tlsabase.TLSABase)
    ]
    return records[:MAX_RECORDS], max(0, len(records) - MAX_RECORDS)


def _base(tlsa_name: str) -> str:
    """The TLSA base domain of ``_25._tcp.BASE`` (``""`` for any other name)."""
    labels = tlsa_name.rstrip(".").split(".", 2)
    return labels[2] if len(labels) == 3 and labels[1] == "_tcp" else ""


def _suggested_record(tlsa_name: str, probe: ExchangerProbe | None) -> str:
    """The 3 1 1 record of the leaf the MX presented, as a zone line; ``""`` without one."""
    if probe is None or not probe.peer_chain:
        return ""
    try:
        record = record_for(probe.peer_chain[0])
    except ValueError:
        return ""
    return f"{tlsa_name}. IN TLSA {record.text}"


def _vouched(ctx: DomainContext, what: str = "it") -> str:
    """How ``what`` (an answer) is known to be signed, and how far that goes, in words."""
    said = f"the resolver {ctx.dns.servers} validated {what} (AD bit)"
    servers = ctx.request.dns_servers
    if not servers:
        return (
            f"{said} — trust that only if the system's resolver validates DNSSEC and the "
            "path to it is trusted"
        )
    if all(_loopback(server.address) for server in servers):
        return f"{said} on this machine"
    return f"{said} — as trustworthy as the network path to that resolver"


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _shown(records: Sequence[TLSARecord]) -> str:
    return ", ".join(str(record) for record in records)


@hookimpl
def smtpdoctor_register_domain_checks(register: RegisterDomainCheck) -> None:
    """Register the ``dane`` domain check."""
    register(Dane)
