"""The ``dmarc`` domain check: the DMARC record that applies to the domain, its policy, its
tags and where its reports go (RFC 7489, DMARCbis)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain.check import DomainCheck, DomainContext, RegisterDomainCheck
from smtpdoctor.domain.checks.spf import shorten
from smtpdoctor.domain.facts import MAIL_ROUTING, MailRouting
from smtpdoctor.mailauth.dmarc import (
    AppliedPolicy,
    DMARCLookup,
    DMARCRecord,
    LookupProblem,
    is_dmarc_record,
    lookup_dmarc,
    organizational_domain,
)
from smtpdoctor.model.domain import Finding
from smtpdoctor.model.results import DetailValue, Hint, Outcome, Status
from smtpdoctor.net.resolver import DNSFailure, gather

#: The most external report destinations verified (RFC 7489 §7.1) in one audit.
MAX_DESTINATIONS = 8
#: The most unknown tags listed in a row's details (the summary quotes fewer).
MAX_LISTED_TAGS = 32

RFC7489 = "https://www.rfc-editor.org/rfc/rfc7489"
DMARCBIS = "https://datatracker.ietf.org/doc/draft-ietf-dmarc-dmarcbis/"

_MOVE_TO_ENFORCEMENT = (
    "Read the aggregate (rua) reports for a few weeks: every service that sends as your "
    "domain must pass SPF or DKIM aligned with the From domain.",
    "Then raise the policy: v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com — and later "
    "p=reject.",
)

NOT_APPLICABLE = Finding(
    "dmarc.not-applicable", Status.SKIP, "Not checked: the domain does not exist (NXDOMAIN)"
)
ENFORCED = Finding(
    "dmarc.policy-enforced",
    Status.PASS,
    "DMARC asks receivers to quarantine or reject mail that fails it",
)
POLICY_NONE = Finding(
    "dmarc.policy-none",
    Status.WARN,
    "DMARC policy is p=none: monitoring only",
    Hint(
        "Move the DMARC policy to quarantine, then reject, once the reports show all your "
        "mail passes",
        _MOVE_TO_ENFORCEMENT,
        f"{RFC7489}#section-6.3",
    ),
)
INHERITED = Finding(
    "dmarc.inherited",
    Status.INFO,
    "The organisational domain's DMARC record applies",
    Hint(
        "Nothing to do if the organisational domain's policy (its sp=) suits this domain; "
        "publish _dmarc.<this domain> to give it its own",
        (
            'Example: _dmarc.mail.example.com. TXT "v=DMARC1; p=reject; '
            'rua=mailto:dmarc@example.com"',
        ),
        f"{RFC7489}#section-6.6.3",
    ),
)
MISSING = Finding(
    "dmarc.missing",
    Status.FAIL,
    "No DMARC record",
    Hint(
        "Publish a DMARC record at _dmarc.<domain>",
        (
            'Start with monitoring: _dmarc.example.com. TXT "v=DMARC1; p=none; '
            'rua=mailto:dmarc@example.com"',
            "Gmail and Yahoo refuse bulk mail from domains without one; a domain that sends no "
            "mail at all should publish v=DMARC1; p=reject so nobody can send as it.",
        ),
        f"{RFC7489}#section-6.1",
    ),
)
SEVERAL = Finding(
    "dmarc.several-records",
    Status.FAIL,
    "Several DMARC records: receivers apply none",
    Hint(
        "Keep exactly one TXT record starting with v=DMARC1 at _dmarc.<domain>",
        ("Merge the records' tags into one record and delete the others.",),
        f"{RFC7489}#section-6.6.3",
    ),
)
INVALID = Finding(
    "dmarc.invalid",
    Status.FAIL,
    "The DMARC record is broken: receivers ignore it",
    Hint(
        "Fix the record: v=DMARC1 first, then p=none, quarantine or reject",
        ("A valid record: v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com",),
        f"{RFC7489}#section-6.4",
    ),
)
LOOKUP_FAILED = Finding(
    "dmarc.lookup-failed",
    Status.WARN,
    "The DMARC record could not be looked up",
    Hint(
        "Make sure the domain's DNS servers answer TXT questions for _dmarc.<domain>",
        (
            "Try: dig TXT _dmarc.example.com — a SERVFAIL or time-out there makes receivers "
            "treat DMARC as a temporary error.",
        ),
        f"{RFC7489}#section-6.6.3",
    ),
)
TAG_PROBLEMS = Finding(
    "dmarc.tag-problems",
    Status.WARN,
    "DMARC tags with mistakes (receivers ignore them)",
    Hint(
        "Correct the tags named; until then receivers use their defaults",
        (
            "Allowed values: p/sp/np none|quarantine|reject, adkim/aspf r|s, "
            "rua/ruf mailto:address[!size].",
        ),
        f"{RFC7489}#section-6.3",
    ),
)
UNKNOWN_TAGS = Finding(
    "dmarc.unknown-tags",
    Status.INFO,
    "DMARC tags no standard defines (ignored)",
    Hint(
        "Check the names for typos: receivers ignore tags they do not know",
        ("Defined tags: v p sp np adkim aspf rua ruf fo t psd (pct rf ri: removed in DMARCbis).",),
        f"{RFC7489}#section-6.3",
    ),
)
PARTIAL = Finding(
    "dmarc.pct",
    Status.WARN,
    "The DMARC policy covers only part of the failing mail (pct below 100)",
    Hint(
        "Remove pct= so the policy applies to all mail",
        (
            "pct lets a share of spoofed mail through; DMARCbis removes it (t=y is its "
            "replacement for testing a policy).",
        ),
        f"{RFC7489}#section-6.3",
    ),
)
REMOVED_TAGS = Finding(
    "dmarc.removed-tags",
    Status.INFO,
    "DMARC tags that DMARCbis removes (pct, rf, ri)",
    Hint(
        "Nothing breaks; you may drop pct=100, rf= and ri= from the record",
        (),
        DMARCBIS,
    ),
)
TESTING = Finding(
    "dmarc.testing",
    Status.WARN,
    "DMARC is in testing mode (t=y)",
    Hint(
        "Remove t=y once the reports look right: until then receivers apply one policy "
        "level less (reject as quarantine, quarantine as none)",
        (),
        DMARCBIS,
    ),
)
WEAK_SUBDOMAINS = Finding(
    "dmarc.weak-subdomain-policy",
    Status.WARN,
    "Subdomains are not protected (sp=none under an enforcing p)",
    Hint(
        "Set sp= to quarantine or reject (or remove it, so subdomains get p=)",
        ("Spoofers pick any subdomain: sp=none lets invented names through.",),
        f"{RFC7489}#section-6.3",
    ),
)
NO_REPORTS = Finding(
    "dmarc.no-reports",
    Status.WARN,
    "No DMARC aggregate reports requested (no rua)",
    Hint(
        "Add rua=mailto:<address> to learn who sends mail as your domain and whether it passes",
        (
            "Append ; rua=mailto:dmarc-reports@example.com to the record you publish, keeping "
            "its other tags (p= and the rest) as they are.",
        ),
        f"{RFC7489}#section-7.2",
    ),
)
REPORTS = Finding("dmarc.reports", Status.PASS, "DMARC aggregate reports are requested")
DESTINATION_AUTHORISED = Finding(
    "dmarc.destination-authorised",
    Status.PASS,
    "An external report destination accepts the domain's reports",
)
DESTINATION_UNAUTHORISED = Finding(
    "dmarc.destination-unauthorised",
    Status.WARN,
    "An external report destination has not authorised the reports: they are discarded",
    Hint(
        "Ask the destination to publish the authorisation record, or send reports to your "
        "own domain",
        (
            "The destination's DNS needs: example.com._report._dmarc.reports.example.net. TXT "
            '"v=DMARC1" (your domain first, then its own).',
            "Report services (dmarcian, Postmark, Valimail …) publish it for each customer "
            "domain they accept; check your account there.",
        ),
        f"{RFC7489}#section-7.1",
    ),
)
DESTINATION_UNVERIFIED = Finding(
    "dmarc.destination-unverified",
    Status.INFO,
    "An external report destination was not verified",
)


class DMARC(DomainCheck):
    """The DMARC record that applies to the domain: found where, its policy, its tags, its
    report destinations."""

    id = "dmarc"
    title = "DMARC"
    requires = ("mx",)  # a domain that does not exist is not judged
    findings = (
        NOT_APPLICABLE,
        ENFORCED,
        POLICY_NONE,
        INHERITED,
        MISSING,
        SEVERAL,
        INVALID,
        LOOKUP_FAILED,
        TAG_PROBLEMS,
        UNKNOWN_TAGS,
        PARTIAL,
        REMOVED_TAGS,
        TESTING,
        WEAK_SUBDOMAINS,
        NO_REPORTS,
        REPORTS,
        DESTINATION_AUTHORISED,
        DESTINATION_UNAUTHORISED,
        DESTINATION_UNVERIFIED,
    )

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        """Discover the record as a receiver would, then judge it."""
        if ctx.stash.get(MAIL_ROUTING) is MailRouting.NO_DOMAIN:
            return [NOT_APPLICABLE.outcome(f"not checked: {ctx.domain} does not exist (NXDOMAIN)")]
        lookup = lookup_dmarc(ctx.dns, ctx.domain)
        record = lookup.record
        if record is None:
            return [_no_record(lookup)]
        # np= only matters for an inherited record, and only when the domain does not exist.
        exists = not (lookup.inherited and record.np is not None) or _exists(ctx)
        applied = record.applied(inherited=lookup.inherited, exists=exists)
        rows = [*_where(lookup, applied), _policy(lookup, record, applied)]
        rows.extend(_tags(lookup, record, applied))
        rows.extend(_reports(ctx, lookup, record))
        return rows


def _exists(ctx: DomainContext) -> bool:
    """Whether the domain exists for DMARC (DMARCbis, RFC 9091): some A, AAAA or MX answer
    that is not NXDOMAIN or empty.  A failed look-up counts as existing."""
    calls: list[Callable[[], bool]] = [
        partial(_has_records, ctx, rdtype) for rdtype in ("A", "AAAA", "MX")
    ]
    return any(gather(*calls))


def _has_records(ctx: DomainContext, rdtype: str) -> bool:
    answer = ctx.dns.query(ctx.domain, rdtype)
    return answer.failure not in (DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER)


def _no_record(lookup: DMARCLookup) -> Outcome:
    details: dict[str, DetailValue] = {
        "asked": lookup.asked,
        "records": lookup.texts,
        "org_domain": lookup.org_domain,
    }
    if lookup.problem is LookupProblem.SEVERAL:
        return SEVERAL.outcome(f"{lookup.failure}.", details)
    if lookup.problem is LookupProblem.INVALID:
        return INVALID.outcome(f"{lookup.failure} (record: {shorten(lookup.texts[0])}).", details)
    if lookup.problem is LookupProblem.DNS:
        return LOOKUP_FAILED.outcome(
            f"{lookup.failure}; whether a DMARC policy applies is unknown.", details
        )
    return MISSING.outcome(
        f"{lookup.failure}: receivers apply no DMARC policy, anyone can send as {lookup.domain}.",
        details,
    )


def _where(lookup: DMARCLookup, applied: AppliedPolicy) -> list[Outcome]:
    if not lookup.inherited:
        return []
    which = {
        "np": f"its policy for subdomains that do not exist, np={applied.policy} "
        f"({lookup.domain} has no A, AAAA or MX record)",
        "sp": f"its subdomain policy sp={applied.policy}",
        "p": f"its p={applied.policy} (it has no valid sp=)",
    }[applied.tag]
    return [
        INHERITED.outcome(
            f"{lookup.asked[0]}; so the record of the organisational domain "
            f"{lookup.org_domain} (from the public suffix list) applies, with {which}.",
            {"asked": lookup.asked, "found_at": lookup.found_at, "org_domain": lookup.org_domain},
        )
    ]


def _policy(lookup: DMARCLookup, record: DMARCRecord, applied: AppliedPolicy) -> Outcome:
    """The headline: the policy receivers apply — one level softer for ``pct=0`` — judged by
    what they apply."""
    policy = applied.effective
    via = f" (a CNAME to {lookup.canonical_name})" if lookup.canonical_name else ""
    details = {
        "found_at": lookup.found_at,
        "record": record.text,
        "policy": policy,
        "policy_tag": applied.tag,
        "published_policy": applied.policy,
        "pct": record.pct,
        "testing_policy": applied.softened,
        "p": record.policy,
        "sp": record.subdomain_policy,
        "np": record.nonexistent_policy,
        "adkim": record.adkim,
        "aspf": record.aspf,
        "canonical_name": lookup.canonical_name or None,
    }
    seen = f"{lookup.found_at}{via}: {shorten(record.text)}"
    stated = f"{applied.tag}={applied.policy}"
    if policy != applied.policy:
        stated += f" with pct=0, which applies it to none of the failing mail: {policy} instead"
    if policy == "none" and _weak_subdomain(lookup, record, applied):
        return WEAK_SUBDOMAINS.outcome(
            f"{seen} — {lookup.domain} is a subdomain and gets {stated}: p={record.policy} "
            f"protects {lookup.policy_domain} only; mail failing DMARC from {lookup.domain} is "
            "only reported.",
            details,
        )
    if policy == "none":
        return POLICY_NONE.outcome(
            f"{seen} — {stated} only asks for reports: Gmail and Yahoo accept it for bulk "
            "senders, but it protects nothing.",
            details,
        )
    testing = (
        f"; t=y: receivers following DMARCbis apply {applied.softened} instead"
        if applied.softened != applied.policy
        else ""
    )
    return ENFORCED.outcome(
        f"{seen} — {stated}: mail failing DMARC is to be {_verb(policy)} "
        f"(alignment: DKIM {_mode(record.adkim)}, SPF {_mode(record.aspf)}){testing}.",
        details,
    )


def _weak_subdomain(lookup: DMARCLookup, record: DMARCRecord, applied: AppliedPolicy) -> bool:
    """Whether the domain is a subdomain left unprotected by the organisational domain's
    ``sp=none`` under an enforcing ``p`` (one row says so: the headline)."""
    return lookup.inherited and applied.tag == "sp" and record.policy != "none"


def _tags(lookup: DMARCLookup, record: DMARCRecord, applied: AppliedPolicy) -> list[Outcome]:
    rows: list[Outcome] = []
    if record.problems:
        rows.append(
            TAG_PROBLEMS.outcome("; ".join(record.problems) + ".", {"problems": record.problems})
        )
    if record.unknown_tags:
        rows.append(
            UNKNOWN_TAGS.outcome(
                f"receivers ignore {record.unknown_tags_quoted}.",
                {
                    "tags": record.unknown_tags[:MAX_LISTED_TAGS],
                    "count": len(record.unknown_tags),
                },
            )
        )
    # pct scales a quarantine or reject policy; under none it changes nothing.
    partial_pct = record.pct is not None and record.pct < 100 and applied.policy != "none"
    if partial_pct:
        rows.append(
            PARTIAL.outcome(
                f"pct={record.pct}: the policy applies to {record.pct} % of failing mail, the "
                "rest is treated one level softer; DMARCbis removes pct.",
                {"pct": record.pct},
            )
        )
    removed = [t for t in record.removed_tags if not (t == "pct" and partial_pct)]
    if removed:
        rows.append(
            REMOVED_TAGS.outcome(
                f"{', '.join(t + '=' for t in removed)} in the record: DMARCbis removes them; "
                "RFC 7489 receivers still read them.",
                {"tags": tuple(removed)},
            )
        )
    if applied.softened != applied.policy:
        rows.append(
            TESTING.outcome(
                f"t=y: receivers following DMARCbis apply {applied.tag}={applied.policy} one "
                f"level softer, as {applied.softened}.",
                {"t": "y", "policy_tag": applied.tag, "testing_policy": applied.softened},
            )
        )
    weak = record.policy != "none" and record.subdomain_policy == "none"
    if weak and not _weak_subdomain(lookup, record, applied):
        rows.append(
            WEAK_SUBDOMAINS.outcome(
                f"p={record.policy} but sp=none: mail from any subdomain that has no DMARC "
                "record of its own is not protected.",
                {"p": record.policy, "sp": record.subdomain_policy},
            )
        )
    return rows


def _reports(ctx: DomainContext, lookup: DMARCLookup, record: DMARCRecord) -> list[Outcome]:
    rua = record.mailto_rua
    rows = [
        REPORTS.outcome(
            f"aggregate reports go to {', '.join(uri.address for uri in rua)}.",
            {"rua": tuple(uri.uri for uri in rua)},
        )
        if rua
        else NO_REPORTS.outcome(
            f"{lookup.found_at} has no rua=mailto: tag: nobody receives reports on who sends "
            f"as {lookup.domain}; append ; rua=mailto:dmarc-reports@{lookup.policy_domain} "
            "to the record.",
            {"record": record.text},
        )
    ]
    return rows + _destinations(ctx, lookup.policy_domain, record)


def _destinations(ctx: DomainContext, policy_domain: str, record: DMARCRecord) -> list[Outcome]:
    """RFC 7489 §7.1: a destination outside the policy domain's organisational domain must
    publish ``POLICYDOMAIN._report._dmarc.DESTINATION`` TXT ``v=DMARC1``."""
    own = organizational_domain(policy_domain)
    external = list(
        dict.fromkeys(
            uri.domain
            for uri in (*record.rua, *record.ruf)
            if uri.address and organizational_domain(uri.domain) != own
        )
    )
    checked, skipped = external[:MAX_DESTINATIONS], external[MAX_DESTINATIONS:]
    calls: list[Callable[[], Outcome]] = [
        partial(_destination, ctx, policy_domain, destination) for destination in checked
    ]
    rows = gather(*calls) if calls else []
    if skipped:
        rows.append(
            DESTINATION_UNVERIFIED.outcome(
                f"only the first {MAX_DESTINATIONS} external report destinations were "
                f"verified; not {', '.join(skipped)}.",
                {"not_verified": tuple(skipped)},
            )
        )
    return rows


def _destination(ctx: DomainContext, policy_domain: str, destination: str) -> Outcome:
    name = f"{policy_domain}._report._dmarc.{destination}"
    answer, texts = ctx.dns.txt(name)
    details: dict[str, DetailValue] = {"destination": destination, "asked": name, "records": texts}
    if any(is_dmarc_record(text) for text in texts):
        return DESTINATION_AUTHORISED.outcome(
            f"{destination} accepts reports for {policy_domain}: {name} has v=DMARC1.", details
        )
    if answer.found or answer.failure in (DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER):
        why = answer.explanation or "no record starts with v=DMARC1"
        return DESTINATION_UNAUTHORISED.outcome(
            f"reports to {destination} will be discarded: TXT {name}: {why}.", details
        )
    return DESTINATION_UNVERIFIED.outcome(
        f"could not verify {destination}: TXT {name}: {answer.explanation}.", details
    )


def _verb(policy: str) -> str:
    return "quarantined (spam folder)" if policy == "quarantine" else "rejected"


def _mode(mode: str) -> str:
    return "strict" if mode == "s" else "relaxed"


@hookimpl
def smtpdoctor_register_domain_checks(register: RegisterDomainCheck) -> None:
    """Register the ``dmarc`` domain check."""
    register(DMARC)
