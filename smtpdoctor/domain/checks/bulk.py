"""The ``bulk-senders`` domain check: what Gmail and Yahoo require of senders (2024), one row
per requirement — met, not met, or unknown from here — with the rows of the other sections
that show it, plus the forward-confirmed reverse DNS of the sending addresses given."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain.check import DomainCheck, DomainContext, RegisterDomainCheck
from smtpdoctor.domain.checks import dkim as dkim_check
from smtpdoctor.domain.checks import dmarc as dmarc_check
from smtpdoctor.domain.checks import spf as spf_check
from smtpdoctor.domain.doctor import DISABLED
from smtpdoctor.domain.facts import MAIL_ROUTING, MailRouting
from smtpdoctor.mailauth.dns import forward_confirmed
from smtpdoctor.model.domain import Finding, SectionResult
from smtpdoctor.model.results import CheckResult, Hint, Outcome, Status
from smtpdoctor.net.resolver import gather

#: The most sending addresses whose reverse DNS is checked.
MAX_SENDING_IPS = 10

GUIDELINES = "https://support.google.com/a/answer/81126"
#: The reverse-DNS hint's last step, dropped when ``--sending-ip`` was given.
_GIVE_SENDING_IP = "Give --sending-ip ADDRESS to check it here."
YAHOO = "https://senders.yahooinc.com/best-practices/"


class State(enum.Enum):
    """How a requirement stands."""

    MET = "met"
    NOT_MET = "not met"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A requirement's state and the words and rows that show it."""

    state: State
    words: str
    rows: tuple[str, ...] = ()


def _findings(
    key: str, title: str, missing_status: Status, hint: Hint
) -> tuple[Finding, Finding, Finding]:
    """The met / not met / unknown findings of one requirement."""
    return (
        Finding(f"bulk-senders.{key}-met", Status.PASS, f"{title}: met"),
        Finding(f"bulk-senders.{key}-missing", missing_status, f"{title}: not met", hint),
        Finding(f"bulk-senders.{key}-unknown", Status.INFO, f"{title}: unknown from here", hint),
    )


AUTHENTICATED = _findings(
    "spf-or-dkim",
    "All senders: SPF or DKIM",
    Status.FAIL,
    Hint(
        "Publish SPF for the domain and sign with DKIM (every sender needs at least one)",
        (
            'SPF: example.com. TXT "v=spf1 include:<your provider> -all".',
            "DKIM: turn on signing in your mail system or ESP and publish its key at "
            "<selector>._domainkey.example.com; give --dkim-selector to check it.",
        ),
        GUIDELINES,
    ),
)
REVERSE_DNS = _findings(
    "reverse-dns",
    "All senders: forward-confirmed reverse DNS of the sending IPs",
    Status.FAIL,
    Hint(
        "Give each sending IP a PTR record whose name resolves back to the same IP",
        (
            "Ask whoever owns the IP (your hosting or cloud provider) to set the PTR, e.g. "
            "10.2.0.192.in-addr.arpa. PTR mail.example.com.",
            "Publish the matching A or AAAA record: mail.example.com. A 192.0.2.10.",
            _GIVE_SENDING_IP,
        ),
        GUIDELINES,
    ),
)
BOTH = _findings(
    "spf-and-dkim",
    "Bulk senders: SPF and DKIM",
    Status.WARN,
    Hint(
        "Bulk senders (about 5,000 messages a day to Gmail) need both SPF and DKIM",
        ("Publish SPF and sign every message with DKIM; give --dkim-selector to check the key.",),
        GUIDELINES,
    ),
)
DMARC = _findings(
    "dmarc",
    "Bulk senders: a DMARC record (p=none at least)",
    Status.WARN,
    Hint(
        "Publish a DMARC record",
        ('_dmarc.example.com. TXT "v=DMARC1; p=none; rua=mailto:dmarc@example.com"',),
        "https://www.rfc-editor.org/rfc/rfc7489#section-6.1",
    ),
)
NOT_APPLICABLE = Finding(
    "bulk-senders.not-applicable",
    Status.SKIP,
    "Not checked: the domain does not exist (NXDOMAIN)",
)
TLS = Finding(
    "bulk-senders.tls",
    Status.INFO,
    "All senders: TLS when sending (not visible in DNS)",
    Hint(
        "Check that your outgoing servers use STARTTLS to Gmail and Yahoo",
        ("Run smtpdoctor check against your submission server; read your MTA's TLS logs.",),
        GUIDELINES,
    ),
)
ALIGNMENT = Finding(
    "bulk-senders.alignment",
    Status.INFO,
    "Bulk senders: From aligned with SPF or DKIM (shown only by a delivered message)",
    Hint(
        "Prove alignment on a real message",
        (
            "smtpdoctor check <server> --send-to <a mailbox you read> --verify-imap … reads "
            "the Authentication-Results of the delivered message.",
        ),
        "https://www.rfc-editor.org/rfc/rfc7489#section-3.1",
    ),
)
UNSUBSCRIBE = Finding(
    "bulk-senders.unsubscribe",
    Status.INFO,
    "Bulk senders: one-click unsubscribe (a property of the messages)",
    Hint(
        "Add List-Unsubscribe and List-Unsubscribe-Post: List-Unsubscribe=One-Click to "
        "marketing mail",
        ("Honour unsubscribe requests within two days.",),
        "https://www.rfc-editor.org/rfc/rfc8058",
    ),
)
SPAM_RATE = Finding(
    "bulk-senders.spam-rate",
    Status.INFO,
    "All senders: spam rate under 0.3 % (seen only by the receivers)",
    Hint(
        "Watch your spam rate in Google Postmaster Tools and Yahoo's Sender Hub",
        ("Keep it under 0.1 %; at 0.3 % Gmail starts refusing mail.",),
        "https://postmaster.google.com/",
    ),
)


class BulkSenders(DomainCheck):
    """Gmail and Yahoo's sender requirements, each judged from the other sections."""

    id = "bulk-senders"
    title = "Gmail and Yahoo sender requirements"
    requires = ("mx", "spf", "dmarc", "dkim")
    findings = (
        NOT_APPLICABLE,
        *AUTHENTICATED,
        *REVERSE_DNS,
        TLS,
        SPAM_RATE,
        *BOTH,
        *DMARC,
        ALIGNMENT,
        UNSUBSCRIBE,
    )

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        """One row per requirement, all senders' first, then bulk senders'; each summary
        starts with the requirement it is about."""
        if ctx.stash.get(MAIL_ROUTING) is MailRouting.NO_DOMAIN:
            return [NOT_APPLICABLE.outcome(f"not checked: {ctx.domain} does not exist (NXDOMAIN)")]
        spf = _spf(ctx.sections.get("spf"))
        dkim = _dkim(ctx.sections.get("dkim"))
        reverse_dns = _row(REVERSE_DNS, _reverse_dns(ctx))
        if ctx.request.sending_ips:
            reverse_dns = _without_step(reverse_dns, _GIVE_SENDING_IP)
        return [
            _row(AUTHENTICATED, _either(spf, dkim)),
            reverse_dns,
            TLS.outcome(
                f"{_requirement(TLS)}: not visible in DNS — check your outgoing servers (the "
                "port-25 rows above are about receiving)."
            ),
            SPAM_RATE.outcome(
                f"{_requirement(SPAM_RATE)}: only the receivers see it (Postmaster Tools)."
            ),
            _row(BOTH, _both(spf, dkim)),
            _row(DMARC, _dmarc(ctx.sections.get("dmarc"))),
            ALIGNMENT.outcome(
                f"{_requirement(ALIGNMENT)}: unknown here — alignment is a property of each "
                "message; `smtpdoctor check --send-to … --verify-imap` proves it on a "
                "delivered one."
            ),
            UNSUBSCRIBE.outcome(
                f"{_requirement(UNSUBSCRIBE)}: not visible in DNS — a property of the "
                "marketing messages themselves."
            ),
        ]


def _row(findings: tuple[Finding, Finding, Finding], evidence: Evidence) -> Outcome:
    met, missing, unknown = findings
    finding = {State.MET: met, State.NOT_MET: missing, State.UNKNOWN: unknown}[evidence.state]
    return finding.outcome(
        f"{_requirement(met)}: {evidence.state.value} — {evidence.words}.",
        {"state": evidence.state.value, "evidence": evidence.rows},
    )


def _requirement(finding: Finding) -> str:
    """The requirement a finding is about, as a summary starts: "All senders — SPF or DKIM"
    (its title without the verdict after a second colon)."""
    who, _, what = finding.title.partition(": ")
    return f"{who} — {what.removesuffix(': met').split(' (')[0]}"


def _without_step(outcome: Outcome, step: str) -> Outcome:
    """``outcome`` with ``step`` left out of its hints."""
    hints = tuple(
        replace(hint, steps=tuple(s for s in hint.steps if s != step)) for hint in outcome.hints
    )
    return replace(outcome, hints=hints)


# -- reading the other sections -----------------------------------------------------------------


def _cite(section: SectionResult, rows: Iterable[CheckResult]) -> tuple[str, ...]:
    return tuple(
        f"{section.check_id}: {row.status.name} {row.outcome.finding}: {row.summary}"
        for row in rows
    )


def _not_run(name: str, section: SectionResult | None) -> Evidence | None:
    """Unknown when the section is absent, or broke, or was not run (``--disable`` said so)."""
    if section is None:
        return Evidence(State.UNKNOWN, f"the {name} check did not run")
    if [row.outcome.finding for row in section.rows] == [DISABLED]:
        return Evidence(State.UNKNOWN, f"{name} not checked (--disable {section.check_id})")
    broken = [row for row in section.rows if row.status in (Status.ERROR, Status.SKIP)]
    if broken:
        return Evidence(State.UNKNOWN, f"the {name} check could not finish", _cite(section, broken))
    return None


def _spf(section: SectionResult | None) -> Evidence:
    """Met when the domain publishes one SPF record (``spf.record``) that no record-level
    FAIL row breaks and every ``--sending-ip`` passes; unknown when DNS failed (``spf.dns-error``
    — for the record or an include — or a sending IP's temperror); otherwise not met."""
    unknown = _not_run("spf", section)
    if unknown is not None or section is None:
        return unknown or Evidence(State.UNKNOWN, "the spf check did not run")
    dns_errors = [
        row
        for row in section.rows
        if row.outcome.finding == spf_check.DNS_ERROR.id
        or (
            row.outcome.finding == spf_check.SENDER_ERROR.id
            and row.outcome.details.get("result") == "temperror"
        )
    ]
    broken = [
        row
        for row in section.rows
        if row.status is Status.FAIL
        and row.outcome.finding not in _SPF_SENDER_IDS
        and row not in dns_errors
    ]
    if broken:
        return Evidence(State.NOT_MET, "the SPF record is broken", _cite(section, broken))
    if dns_errors:
        return Evidence(State.UNKNOWN, "SPF could not be looked up", _cite(section, dns_errors))
    record = section.row(spf_check.RECORD.id)
    if record is None:
        return Evidence(
            State.NOT_MET, "no usable SPF record", _cite(section, section.problems or section.rows)
        )
    senders = [
        row
        for row in section.rows
        if row.outcome.finding in _SPF_SENDER_IDS and row.outcome.finding != _SPF_PASS
    ]
    if senders:
        failing = ", ".join(
            f"{row.outcome.details.get('address')} ({row.outcome.details.get('result')})"
            for row in senders
        )
        return Evidence(State.NOT_MET, f"SPF does not pass for {failing}", _cite(section, senders))
    words = "SPF is published" + (" (with warnings)" if section.status is Status.WARN else "")
    return Evidence(State.MET, words, _cite(section, [record]))


#: The ``spf`` rows about one ``--sending-ip`` rather than about the record.
_SPF_SENDER_IDS = frozenset(
    finding.id
    for finding in (
        spf_check.SENDER_PASS,
        spf_check.SENDER_FAIL,
        spf_check.SENDER_SOFTFAIL,
        spf_check.SENDER_NEUTRAL,
        spf_check.SENDER_ERROR,
    )
)
_SPF_PASS = spf_check.SENDER_PASS.id


def _dkim(section: SectionResult | None) -> Evidence:
    """DKIM is met when one selector has a usable key (no FAIL row for it)."""
    if section is None:
        return Evidence(State.UNKNOWN, "DKIM is unknown (give --dkim-selector)")
    unknown = _not_run("dkim", section)
    if unknown is not None:
        return unknown
    usable = {dkim_check.KEY.id, dkim_check.SHORT_KEY.id}
    failing = {
        str(row.outcome.details.get("selector"))
        for row in section.rows
        if row.status is Status.FAIL
    }
    good = [
        row
        for row in section.rows
        if row.outcome.finding in usable and str(row.outcome.details.get("selector")) not in failing
    ]
    if good:
        return Evidence(State.MET, "a DKIM key is published", _cite(section, good))
    lookups = [r for r in section.rows if r.outcome.finding == dkim_check.LOOKUP_FAILED.id]
    if lookups:
        return Evidence(State.UNKNOWN, "DKIM keys could not be looked up", _cite(section, lookups))
    return Evidence(
        State.NOT_MET, "no selector given has a usable DKIM key", _cite(section, section.rows)
    )


def _dmarc(section: SectionResult | None) -> Evidence:
    unknown = _not_run("dmarc", section)
    if unknown is not None or section is None:
        return unknown or Evidence(State.UNKNOWN, "the dmarc check did not run")
    # sp=none under an enforcing p: a subdomain's only policy row, none in effect.
    for finding in (dmarc_check.ENFORCED, dmarc_check.POLICY_NONE, dmarc_check.WEAK_SUBDOMAINS):
        row = section.row(finding.id)
        if row is not None:
            return Evidence(State.MET, "a DMARC policy applies", _cite(section, [row]))
    row = section.row(dmarc_check.LOOKUP_FAILED.id)
    if row is not None:
        return Evidence(State.UNKNOWN, "DMARC could not be looked up", _cite(section, [row]))
    return Evidence(State.NOT_MET, "no DMARC policy applies", _cite(section, section.problems))


def _either(spf: Evidence, dkim: Evidence) -> Evidence:
    rows = spf.rows + dkim.rows
    words = f"{spf.words}; {dkim.words}"
    if State.MET in (spf.state, dkim.state):
        return Evidence(State.MET, words, rows)
    if spf.state is dkim.state is State.NOT_MET:
        return Evidence(State.NOT_MET, words, rows)
    return Evidence(State.UNKNOWN, words, rows)


def _both(spf: Evidence, dkim: Evidence) -> Evidence:
    rows = spf.rows + dkim.rows
    words = f"{spf.words}; {dkim.words}"
    if State.NOT_MET in (spf.state, dkim.state):
        return Evidence(State.NOT_MET, words, rows)
    if spf.state is dkim.state is State.MET:
        return Evidence(State.MET, words, rows)
    return Evidence(State.UNKNOWN, words, rows)


# -- forward-confirmed reverse DNS ------------------------------------------------------------


def _reverse_dns(ctx: DomainContext) -> Evidence:
    addresses = list(dict.fromkeys(ctx.request.sending_ips))[:MAX_SENDING_IPS]
    if not addresses:
        return Evidence(State.UNKNOWN, "give --sending-ip ADDRESS to check it")
    calls: list[Callable[[], Evidence]] = [
        partial(_confirmed, ctx, address) for address in addresses
    ]
    results = gather(*calls)
    rows = tuple(line for result in results for line in result.rows)
    for state in (State.NOT_MET, State.UNKNOWN):
        if any(result.state is state for result in results):
            # the addresses that fail (or are unknown) first, then those that pass
            words = "; ".join(result.words for result in results if result.state is state)
            others = [result for result in results if result.state is not state]
            if others:
                words += "; the others: " + "; ".join(
                    f"{result.words} ({result.state.value})" for result in others
                )
            return Evidence(state, words, rows)
    return Evidence(State.MET, "; ".join(result.words for result in results), rows)


def _confirmed(ctx: DomainContext, address: str) -> Evidence:
    """Forward-confirmed reverse DNS of one sending address, as a requirement's evidence."""
    found = forward_confirmed(ctx.dns, address)
    lines = found.evidence()
    if found.confirmed:
        return Evidence(
            State.MET, f"{found.address} → {found.confirmed[0]} → {found.address}", lines
        )
    if found.ptr_failure is not None and found.uncertain:
        return Evidence(State.UNKNOWN, f"{found.address}: the PTR look-up failed", lines)
    if found.uncertain:
        return Evidence(State.UNKNOWN, f"{found.address}: a forward look-up failed", lines)
    if not found.names:
        return Evidence(State.NOT_MET, f"{found.address} has no PTR record", lines)
    return Evidence(
        State.NOT_MET,
        f"{found.address} → {', '.join(found.ptr_names)}, which does not resolve back to "
        f"{found.address}",
        lines,
    )


@hookimpl
def smtpdoctor_register_domain_checks(register: RegisterDomainCheck) -> None:
    """Register the ``bulk-senders`` domain check."""
    register(BulkSenders)
