"""The ``spf`` domain check: the domain's SPF record (RFC 7208), what every evaluation of it
costs, what it says about everyone else, and — with ``--sending-ip`` — whether those
addresses may send for the domain."""

from __future__ import annotations

from collections.abc import Iterable

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain.check import DomainCheck, DomainContext, RegisterDomainCheck
from smtpdoctor.domain.facts import MAIL_ROUTING, MailRouting
from smtpdoctor.mailauth.dns import MAX_TXT_RECORDS, txt_strings
from smtpdoctor.mailauth.spf import (
    MAX_LOOKUPS,
    MAX_RECORD_CHARS,
    MAX_VOID_LOOKUPS,
    Qualifier,
    RecordLookup,
    SPFRecord,
    SPFVerdict,
    SPFWalk,
    check_host,
    find_record,
    is_spf_record,
    walk,
)
from smtpdoctor.model.domain import Finding
from smtpdoctor.model.results import DetailValue, Hint, Outcome, Status

_RFC = "https://www.rfc-editor.org/rfc/rfc7208"
#: The most characters of a record quoted in a row's summary (its details hold all of it).
MAX_ECHOED = 300
_EXAMPLE = (
    'Example: example.com. TXT "v=spf1 mx ip4:192.0.2.0/24 include:_spf.google.com ~all" — '
    "name the servers and services that send your mail, then say what happens to the rest."
)

RECORD = Finding("spf.record", Status.PASS, "SPF record published")
NOT_APPLICABLE = Finding(
    "spf.not-applicable", Status.SKIP, "Not checked: the domain does not exist (NXDOMAIN)"
)
MISSING = Finding(
    "spf.missing",
    Status.WARN,
    "No SPF record",
    Hint(
        "Publish an SPF record: Gmail and Yahoo want SPF or DKIM from every sender, both from "
        "bulk senders",
        (
            "Publish one TXT record at the domain itself that starts with v=spf1.",
            _EXAMPLE,
            "A domain that sends no mail at all publishes: v=spf1 -all",
        ),
        f"{_RFC}#section-3",
    ),
)
DNS_ERROR = Finding(
    "spf.dns-error",
    Status.FAIL,
    "The SPF record could not be read (DNS error)",
    Hint(
        "Make the domain's TXT records answer",
        (
            "Receivers whose question fails get temperror and may defer or refuse the mail.",
            "Ask the domain's name servers directly (dig TXT example.com @ns1.example.com) and "
            "check DNSSEC (a broken signature gives SERVFAIL); also try another resolver with "
            "--dns-server in case the problem is on this side.",
        ),
        f"{_RFC}#section-4.4",
    ),
)
MULTIPLE = Finding(
    "spf.multiple-records",
    Status.FAIL,
    "More than one SPF record (permerror)",
    Hint(
        "Merge the SPF records into one",
        (
            "A domain must have exactly one TXT record starting with v=spf1; with two, every "
            "receiver gets permerror, as if there were a broken record.",
            "Put all mechanisms into one record, keep a single all at the end, delete the other.",
        ),
        f"{_RFC}#section-4.5",
    ),
)
TYPE_SPF_ONLY = Finding(
    "spf.type-spf-only",
    Status.WARN,
    "SPF published only as the obsolete SPF record type",
    Hint(
        "Publish the record as TXT",
        (
            "RFC 7208 retired DNS type SPF (99); receivers only read TXT records, so to them "
            "the domain has no SPF record.",
            "Publish the same text as a TXT record at the domain; the SPF-type record may go.",
        ),
        f"{_RFC}#section-3.1",
    ),
)
SYNTAX_ERROR = Finding(
    "spf.syntax-error",
    Status.FAIL,
    "The SPF record has a syntax error (permerror)",
    Hint(
        "Fix the term named",
        (
            "One bad term makes the whole record a permerror for every receiver.",
            "Common mistakes: ip4:/ip6: with a host name or a bad address, a:/mx: with an IP "
            "address (write ip4:), a prefix length out of range (ip4 0-32, ip6 0-128), a "
            "misspelt mechanism, redirect= or exp= twice, tabs or curly quotes copied in.",
        ),
        f"{_RFC}#section-12",
    ),
)
LOOKUPS = Finding("spf.lookups", Status.PASS, "DNS look-ups within the limit of 10")
LOOKUPS_UNCOUNTED = Finding(
    "spf.lookups-uncounted",
    Status.INFO,
    "DNS look-ups not fully counted: the count stops at a broken include, a loop or a cap",
)
LOOKUPS_NEAR_LIMIT = Finding(
    "spf.lookups-near-limit",
    Status.WARN,
    "SPF needs 9 or 10 DNS look-ups: at the limit",
    Hint(
        "Make room below the limit of 10 DNS look-ups",
        (
            "One more include (or a provider adding one to theirs) makes the record a "
            "permerror for every receiver.",
            "Remove includes of services you no longer use; replace a and mx by ip4:/ip6: "
            "networks where the addresses are stable; move a service to a subdomain of its "
            "own (the envelope sender of bulk mail, such as bounce.example.com).",
        ),
        f"{_RFC}#section-4.6.4",
    ),
)
TOO_MANY_LOOKUPS = Finding(
    "spf.too-many-lookups",
    Status.FAIL,
    "SPF needs more than 10 DNS look-ups (permerror)",
    Hint(
        "Bring the DNS look-ups down to 10 or fewer",
        (
            "Each include, a, mx, ptr, exists and redirect counts, and so do those of every "
            "record an include names; past 10 receivers stop with permerror, and DMARC sees "
            "no SPF pass.",
            "Remove includes of services you no longer use; replace a and mx by ip4:/ip6: "
            "networks; send bulk mail with an envelope sender on a subdomain with a record of "
            "its own; flatten includes into ip4:/ip6: only if you re-flatten whenever the "
            "provider changes its addresses.",
        ),
        f"{_RFC}#section-4.6.4",
    ),
)
TOO_MANY_VOID_LOOKUPS = Finding(
    "spf.too-many-void-lookups",
    Status.FAIL,
    "More than 2 SPF terms name domains without records (permerror)",
    Hint(
        "Remove the terms that name domains without records",
        (
            "A look-up that finds nothing (NXDOMAIN, or no A/AAAA/MX records) is void; after "
            "two, receivers stop with permerror.",
            "Delete a:, mx: and exists: terms for hosts that no longer exist, or publish "
            "their records again.",
        ),
        f"{_RFC}#section-4.6.4",
    ),
)
BROKEN_INCLUDE = Finding(
    "spf.broken-include",
    Status.FAIL,
    "An include or redirect leads nowhere (permerror)",
    Hint(
        "Fix or remove the include",
        (
            "include: and redirect= must name a domain with exactly one valid SPF record; a "
            "domain without one (NXDOMAIN, no v=spf1 record), with two, or with a syntax "
            "error makes the check a permerror for every receiver that gets there.",
            "Check the spelling against the provider's documentation (such as "
            "include:_spf.google.com, include:spf.protection.outlook.com); remove includes of "
            "services you no longer use.",
        ),
        f"{_RFC}#section-5.2",
    ),
)
INCLUDE_LOOP = Finding(
    "spf.include-loop",
    Status.FAIL,
    "Includes or redirects form a loop (permerror)",
    Hint(
        "Break the loop",
        (
            "A record that includes (or redirects to) itself, directly or through others, "
            "runs until the limit of 10 look-ups: permerror.",
            "Remove the include or redirect that points back to a domain already on the path.",
        ),
        f"{_RFC}#section-4.6.4",
    ),
)
MX_OVER_LIMIT = Finding(
    "spf.mx-over-limit",
    Status.FAIL,
    "An mx term names a domain with more than 10 MX hosts (permerror)",
    Hint(
        "Replace the mx term",
        (
            "Receivers look up at most 10 MX names per mx term; more is a permerror.",
            "List the sending servers with ip4:/ip6: (or a: per server) instead of mx.",
        ),
        f"{_RFC}#section-4.6.4",
    ),
)
TERMS_AFTER_ALL = Finding(
    "spf.terms-after-all",
    Status.WARN,
    "Terms after all are never evaluated",
    Hint(
        "Move the terms before all, or remove them",
        (
            "all matches every address, so evaluation stops there (RFC 7208 §5.1): the "
            "addresses and includes after it are authorised for no one.",
            'Example: "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all" — all last.',
        ),
        f"{_RFC}#section-5.1",
    ),
)
PTR_USED = Finding(
    "spf.ptr",
    Status.WARN,
    "The deprecated ptr mechanism is used",
    Hint(
        "Replace ptr with ip4:/ip6: or a:",
        (
            "ptr is slow, costs receivers many DNS look-ups and depends on reverse DNS you may "
            "not control; RFC 7208 says not to use it, and some receivers ignore it.",
            "Name the sending servers by address (ip4:192.0.2.0/24) or name (a:mail.example.com).",
        ),
        f"{_RFC}#section-5.5",
    ),
)
PASS_ALL = Finding(
    "spf.pass-all",
    Status.FAIL,
    "+all: anyone anywhere may send as the domain",
    Hint(
        "End the record with ~all or -all",
        (
            "+all (or a bare all) passes every address on the Internet, so SPF vouches for "
            "spammers forging the domain.",
            "List your senders, then end with ~all (soft fail) or -all (fail).",
        ),
        f"{_RFC}#section-5.1",
    ),
)
NEUTRAL_ALL = Finding(
    "spf.neutral-all",
    Status.WARN,
    "?all: no opinion about other senders",
    Hint(
        "End the record with ~all or -all once every sender is listed",
        (
            "?all gives neutral to everyone not listed: receivers treat forged mail as if "
            "there were no SPF at all.",
            "Use ~all while you check that every service is listed, then -all.",
        ),
        f"{_RFC}#section-8.2",
    ),
)
NO_ALL = Finding(
    "spf.no-all",
    Status.WARN,
    "No all: other senders get neutral",
    Hint(
        "End the record with ~all or -all",
        (
            "Without all (and without redirect=) an address that matches no term gets "
            "neutral, which protects nothing.",
            "Append ~all (soft fail) or -all (fail) as the last term.",
        ),
        f"{_RFC}#section-4.7",
    ),
)
SOFTFAIL_ALL = Finding(
    "spf.softfail-all",
    Status.INFO,
    "~all: other senders soft-fail",
    Hint(
        "Consider -all when every sender is listed",
        (
            "~all asks receivers to accept but mark mail from other addresses; with DMARC "
            "p=quarantine or p=reject that is usually enough.",
            "-all asks them to reject it outright.",
        ),
        f"{_RFC}#section-8.5",
    ),
)
FAIL_ALL = Finding("spf.fail-all", Status.PASS, "-all: other senders fail")
NO_MAIL_DOMAIN = Finding(
    "spf.no-mail-domain",
    Status.INFO,
    "A domain that takes no mail (null MX) should publish v=spf1 -all",
    Hint(
        "Publish v=spf1 -all",
        (
            "The domain says with a null MX (MX 0 .) that it takes no mail; if it sends none "
            'either, publish TXT "v=spf1 -all" so that no one can pass SPF as it.',
            "Add a DMARC record with p=reject as well.",
        ),
        "https://www.rfc-editor.org/rfc/rfc7505",
    ),
)
SENDER_PASS = Finding("spf.sender-pass", Status.PASS, "The sending address passes SPF")
SENDER_FAIL = Finding(
    "spf.sender-fail",
    Status.FAIL,
    "The sending address fails SPF: receivers may reject its mail",
    Hint(
        "Add the address to the SPF record",
        (
            "Add ip4:ADDRESS (or ip6:ADDRESS) to the record, or the include: the sending "
            "service documents.",
            "If the address should not send for the domain, the record is right.",
            "Receivers may reject mail that fails SPF (RFC 7208 §8.4); where the domain "
            "publishes DMARC they apply DMARC instead, which an aligned DKIM signature can "
            "still pass.",
        ),
        f"{_RFC}#section-8.4",
    ),
)
SENDER_SOFTFAIL = Finding(
    "spf.sender-softfail",
    Status.WARN,
    "The sending address soft-fails SPF: its mail will look suspicious",
    Hint(
        "Add the address to the SPF record",
        (
            "Add ip4:ADDRESS (or ip6:ADDRESS) to the record, or the include: the sending "
            "service documents.",
        ),
        f"{_RFC}#section-5.6",
    ),
)
SENDER_NEUTRAL = Finding(
    "spf.sender-neutral",
    Status.WARN,
    "SPF says nothing about the sending address (neutral or none)",
    Hint(
        "List the address in the SPF record",
        (
            "Receivers need an SPF pass (or DKIM) to trust the mail; add ip4:ADDRESS, "
            "ip6:ADDRESS or the sending service's include:.",
        ),
        f"{_RFC}#section-5.6",
    ),
)
SENDER_ERROR = Finding(
    "spf.sender-error",
    Status.FAIL,
    "SPF cannot be evaluated for the sending address (temperror or permerror)",
    Hint(
        "Fix the SPF record so that it evaluates",
        (
            "permerror: the record is broken (syntax, too many look-ups, a broken include); "
            "see the other rows of this section.",
            "temperror: a DNS question failed; receivers defer or reject the mail.",
        ),
        f"{_RFC}#section-2.6",
    ),
)

_SENDER_FINDINGS = {
    SPFVerdict.PASS: SENDER_PASS,
    SPFVerdict.FAIL: SENDER_FAIL,
    SPFVerdict.SOFTFAIL: SENDER_SOFTFAIL,
    SPFVerdict.NEUTRAL: SENDER_NEUTRAL,
    SPFVerdict.NONE: SENDER_NEUTRAL,
    SPFVerdict.TEMPERROR: SENDER_ERROR,
    SPFVerdict.PERMERROR: SENDER_ERROR,
}
_POLICY_FINDINGS = {
    Qualifier.PASS: PASS_ALL,
    Qualifier.NEUTRAL: NEUTRAL_ALL,
    Qualifier.SOFTFAIL: SOFTFAIL_ALL,
    Qualifier.FAIL: FAIL_ALL,
}


class SPF(DomainCheck):
    """The domain's SPF record, its cost and policy, and the sending addresses it allows."""

    id = "spf"
    title = "SPF"
    requires = ("mx",)  # a null MX changes what the record should say
    findings = (
        RECORD,
        NOT_APPLICABLE,
        MISSING,
        DNS_ERROR,
        MULTIPLE,
        TYPE_SPF_ONLY,
        SYNTAX_ERROR,
        LOOKUPS,
        LOOKUPS_UNCOUNTED,
        LOOKUPS_NEAR_LIMIT,
        TOO_MANY_LOOKUPS,
        TOO_MANY_VOID_LOOKUPS,
        BROKEN_INCLUDE,
        INCLUDE_LOOP,
        MX_OVER_LIMIT,
        TERMS_AFTER_ALL,
        PTR_USED,
        PASS_ALL,
        NEUTRAL_ALL,
        NO_ALL,
        SOFTFAIL_ALL,
        FAIL_ALL,
        NO_MAIL_DOMAIN,
        SENDER_PASS,
        SENDER_FAIL,
        SENDER_SOFTFAIL,
        SENDER_NEUTRAL,
        SENDER_ERROR,
    )

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        """The record's rows, then one row per ``--sending-ip``."""
        domain = ctx.domain
        routing = ctx.stash.get(MAIL_ROUTING, MailRouting.UNKNOWN)
        if routing is MailRouting.NO_DOMAIN:
            return [NOT_APPLICABLE.outcome(f"not checked: {domain} does not exist (NXDOMAIN)")]
        found = find_record(ctx.dns, domain)
        null_mx = routing is MailRouting.NULL_MX
        if found.record is None:
            rows = [_no_record(ctx, found, null_mx)]
        else:
            rows = [
                RECORD.outcome(
                    f'{domain} publishes "{shorten(found.record.text)}"',
                    {"record": found.record.text},
                )
            ]
            rows.extend(_record_rows(found.record, walk(ctx.dns, domain, found.record)))
            if null_mx and found.record.text.split() != ["v=spf1", "-all"]:
                rows.append(
                    NO_MAIL_DOMAIN.outcome(
                        f"{domain} has a null MX (it takes no mail) but its SPF record is "
                        f'"{shorten(found.record.text)}", not "v=spf1 -all"',
                        {"record": found.record.text},
                    )
                )
        rows.extend(_sender_row(ctx, address) for address in ctx.request.sending_ips)
        return rows


def _no_record(ctx: DomainContext, found: RecordLookup, null_mx: bool) -> Outcome:
    """The row for a domain without one usable record."""
    domain = ctx.domain
    asked = f"TXT {domain}: {found.problem}"
    if found.verdict is SPFVerdict.TEMPERROR:
        return DNS_ERROR.outcome(
            f"the TXT records of {domain} could not be read: {found.problem}",
            {"question": f"TXT {domain}", "failure": found.problem},
        )
    if found.verdict is SPFVerdict.PERMERROR and len(found.texts) > 1:
        return MULTIPLE.outcome(
            f"{domain} has {len(found.texts)} TXT records starting with v=spf1: "
            + "; ".join(f'"{shorten(text)}"' for text in found.texts[:2])
            + (f" and {len(found.texts) - 2} more" if len(found.texts) > 2 else ""),
            {"records": found.texts},
        )
    if found.verdict is SPFVerdict.PERMERROR:
        return SYNTAX_ERROR.outcome(
            f'{domain}\'s record "{shorten(found.texts[0])}": {found.problem}',
            {"record": found.texts[0], "error": found.problem},
        )
    legacy = _type_spf_records(ctx, domain)
    if legacy:
        return TYPE_SPF_ONLY.outcome(
            f"{domain} has no v=spf1 TXT record ({found.problem}), but a record of the "
            f'obsolete type SPF: "{shorten(legacy[0])}"',
            {"question": asked, "type_spf": legacy},
        )
    if null_mx:
        return NO_MAIL_DOMAIN.outcome(
            f"{domain} has a null MX (it takes no mail) and no SPF record ({found.problem}); "
            'publish "v=spf1 -all" if it sends none either',
            {"question": asked},
        )
    return MISSING.outcome(f"{domain} has no SPF record: {asked}", {"question": asked})


def _record_rows(record: SPFRecord, tree: SPFWalk) -> list[Outcome]:
    """The rows about a record read without error: cost, broken includes, ptr, policy."""
    rows = [_lookups_row(tree)]
    if tree.void_lookups > MAX_VOID_LOOKUPS:
        rows.append(
            TOO_MANY_VOID_LOOKUPS.outcome(
                f"{tree.void_lookups} terms name domains without records (at most "
                f"{MAX_VOID_LOOKUPS} may): " + ", ".join(tree.void_terms),
                {"void_lookups": tree.void_lookups, "terms": tree.void_terms},
            )
        )
    for branch in tree.broken:
        if branch.verdict is SPFVerdict.TEMPERROR:
            rows.append(
                DNS_ERROR.outcome(
                    f"{branch.source}: {branch.term}: the TXT records of {branch.target} could "
                    f"not be read: {branch.problem} — checks that get there end in temperror",
                    {"question": f"TXT {branch.target}", "failure": branch.problem},
                )
            )
            continue
        finding = INCLUDE_LOOP if branch.problem.startswith("a loop") else BROKEN_INCLUDE
        rows.append(
            finding.outcome(
                f"{branch.source}: {branch.term}: {branch.problem} — every check that "
                f"gets there ends in {branch.verdict}",
                {
                    "source": branch.source,
                    "term": branch.term,
                    "target": branch.target,
                    "problem": branch.problem,
                },
            )
        )
    for where in tree.mx_over_limit:
        rows.append(MX_OVER_LIMIT.outcome(where, {"term": where}))
    if tree.ignored_terms:
        rows.append(
            TERMS_AFTER_ALL.outcome(
                "never evaluated, they come after all: " + ", ".join(tree.ignored_terms),
                {"terms": tree.ignored_terms},
            )
        )
    if tree.ptr_terms:
        rows.append(
            PTR_USED.outcome("ptr is used: " + ", ".join(tree.ptr_terms), {"terms": tree.ptr_terms})
        )
    rows.extend(_policy_rows(record, tree))
    return rows


def _lookups_row(tree: SPFWalk) -> Outcome:
    breakdown = tuple(f"{branch.term}: {branch.lookups}" for branch in tree.own_branches)
    own = tree.lookups - sum(branch.lookups for branch in tree.own_branches)
    parts = ([f"{own} in the record itself"] if own else []) + [
        f"{branch.term} {branch.lookups}" for branch in tree.own_branches
    ]
    stopped = tree.broken  # evaluation ends at a broken include: nothing after it counts
    count = f"at least {tree.lookups}" if tree.incomplete or stopped else str(tree.lookups)
    noun = "look-up" if tree.lookups == 1 else "look-ups"
    summary = f"{count} DNS {noun} of {MAX_LOOKUPS} allowed" + (
        f" ({', '.join(parts)})" if parts else ""
    )
    if tree.incomplete:
        summary += f"; {tree.incomplete}"
    if stopped:
        summary += (
            f"; the count stops at {stopped[0].term} in {stopped[0].source}'s record, where "
            f"every check ends in {stopped[0].verdict}"
        )
    details: dict[str, DetailValue] = {
        "lookups": tree.lookups,
        "limit": MAX_LOOKUPS,
        "breakdown": breakdown,
        "void_lookups": tree.void_lookups,
    }
    if tree.lookups > MAX_LOOKUPS:
        finding = TOO_MANY_LOOKUPS
    elif tree.lookups >= MAX_LOOKUPS - 1:
        finding = LOOKUPS_NEAR_LIMIT
    elif stopped or tree.incomplete:
        finding = LOOKUPS_UNCOUNTED
    else:
        finding = LOOKUPS
    return finding.outcome(summary, details)


def _policy_rows(record: SPFRecord, tree: SPFWalk) -> list[Outcome]:
    """What the record says about everyone it does not list."""
    policy = tree.policy
    if policy is None:
        if any(branch.problem and branch.term.startswith("redirect") for branch in tree.broken):
            return []  # the broken redirect's row says it all
        where = (
            f"neither {tree.domain}'s record nor the one it redirects to ({tree.policy_domain})"
            if tree.policy_domain != tree.domain
            else f"{tree.domain}'s record"
        )
        return [
            NO_ALL.outcome(
                f"{where} ends without all: addresses it does not list get neutral",
                {"record": record.text},
            )
        ]
    origin = "" if tree.policy_domain == tree.domain else f" (from {tree.policy_domain})"
    words = {
        Qualifier.PASS: "every address on the Internet passes",
        Qualifier.NEUTRAL: "other addresses get neutral",
        Qualifier.SOFTFAIL: "other addresses soft-fail",
        Qualifier.FAIL: "other addresses fail",
    }[policy.qualifier]
    return [
        _POLICY_FINDINGS[policy.qualifier].outcome(
            f"{policy.text}{origin}: {words}", {"all": policy.text, "from": tree.policy_domain}
        )
    ]


def _sender_row(ctx: DomainContext, address: str) -> Outcome:
    domain = ctx.domain
    result = check_host(ctx.dns, address, domain, f"postmaster@{domain}", helo=domain)
    finding = _SENDER_FINDINGS[result.verdict]
    summary = f"{address}: {result.verdict}: {result.explanation}"
    if result.verdict is SPFVerdict.FAIL:
        summary = (
            f"{address}: fail — receivers may reject mail from {address}, or under DMARC pass "
            f"it only with an aligned DKIM signature: {result.explanation}"
        )
    return finding.outcome(
        summary,
        {
            "address": address,
            "result": str(result.verdict),
            "mechanism": result.mechanism,
            "mechanism_domain": result.mechanism_domain,
            "lookups": result.lookups,
            "void_lookups": result.void_lookups,
            "chain": tuple(str(step) for step in result.chain),
            "explanation": result.published_explanation,
        },
    )


def shorten(text: str, limit: int = MAX_ECHOED) -> str:
    """``text`` as quoted in a summary: at most ``limit`` characters, cut with "…" (the row's
    details hold the whole record)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_spf_records(ctx: DomainContext, domain: str) -> tuple[str, ...]:
    """``v=spf1`` records of the retired DNS type SPF (99), asked only to report them."""
    answer = ctx.dns.query(domain, "SPF")
    texts = txt_strings(answer, max_chars=MAX_RECORD_CHARS, max_records=MAX_TXT_RECORDS)
    return tuple(text for text in texts if is_spf_record(text))


@hookimpl
def smtpdoctor_register_domain_checks(register: RegisterDomainCheck) -> None:
    """Register the ``spf`` domain check."""
    register(SPF)
