"""``tls-rpt``: does the domain ask senders for SMTP TLS reports (RFC 8460)?

The TXT record at ``_smtp._tls.DOMAIN`` reads ``v=TLSRPTv1; rua=<URIs>``: where senders
send a daily report of their TLS successes and failures with the domain's MX hosts
(``mailto:`` or ``https:``); :mod:`smtpdoctor.domain.tlsrpt` parses it.  Without it, nobody
hears when MTA-STS or DANE makes a sender refuse to deliver — so a missing record is a
warning when either is in place (a valid MTA-STS policy in ``testing`` or ``enforce`` mode,
as the ``mta-sts`` check found, or DNSSEC-authenticated TLSA records, as the ``dane`` check
found), a plain fact otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain.check import DomainCheck, DomainContext, RegisterDomainCheck
from smtpdoctor.domain.checks.mta_sts import MTA_STS_POLICY
from smtpdoctor.domain.checks.mx import routing_row
from smtpdoctor.domain.facts import DANE_IN_PLACE
from smtpdoctor.domain.mtasts import Mode
from smtpdoctor.domain.tlsrpt import select_tlsrpt_record
from smtpdoctor.mailauth.dns import DNSFailure
from smtpdoctor.model.domain import Finding
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import DetailValue, Hint, Outcome, Status

_RFC = "https://www.rfc-editor.org/rfc/rfc8460"
_RECORD_URL = f"{_RFC}#section-3"
_EXAMPLE = '_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"'

_PUBLISH_STEPS = (
    f"Publish: {_EXAMPLE} (a mailbox or an https:// endpoint that accepts the reports)",
    "Reports are JSON, gzipped, one per sender per day; a DMARC/TLS-RPT report service can "
    "read them for you",
)
MISSING = Finding(
    "tls-rpt.missing",
    Status.INFO,
    "No TLS-RPT record: senders do not report TLS problems with your MX hosts",
    Hint("Publish a TLS-RPT record to receive daily TLS reports", _PUBLISH_STEPS, _RECORD_URL),
)
MISSING_WITH_POLICY = Finding(
    "tls-rpt.missing-with-policy",
    Status.WARN,
    "No TLS-RPT record, though MTA-STS or DANE is in place: nobody hears of failed deliveries",
    Hint(
        "Publish a TLS-RPT record so you learn when senders refuse your MX hosts",
        _PUBLISH_STEPS,
        _RECORD_URL,
    ),
)
DNS_FAILED = Finding(
    "tls-rpt.dns-failed",
    Status.WARN,
    "The TLS-RPT record could not be read from DNS",
    Hint(
        "Make _smtp._tls.<domain> answer",
        ("Ask your DNS servers directly: dig TXT _smtp._tls.<domain>",),
        _RECORD_URL,
    ),
)
MULTIPLE = Finding(
    "tls-rpt.multiple",
    Status.FAIL,
    "Several TLS-RPT records: senders ignore them all",
    Hint(
        "Keep exactly one TXT record starting v=TLSRPTv1 at _smtp._tls.<domain>",
        (
            "RFC 8460 §3: when there is not exactly one, senders assume the domain does not "
            "want reports",
            "Put every address in the one record: rua=mailto:a@example.com,mailto:b@example.net",
        ),
        _RECORD_URL,
    ),
)
INVALID = Finding(
    "tls-rpt.invalid",
    Status.FAIL,
    "The TLS-RPT record is malformed: senders send no reports",
    Hint(
        "Fix the TXT record at _smtp._tls.<domain>",
        (
            "It must read v=TLSRPTv1; rua=<URI>[,<URI>…] with mailto: or https: URIs",
            f"For example: {_EXAMPLE}",
        ),
        _RECORD_URL,
    ),
)
PUBLISHED = Finding("tls-rpt.published", Status.PASS, "TLS-RPT record published")


NOT_APPLICABLE = Finding(
    "tls-rpt.not-applicable", Status.SKIP, "Not checked: the domain does not exist (NXDOMAIN)"
)
NULL_MX = Finding(
    "tls-rpt.null-mx", Status.INFO, "Not applicable: the domain accepts no mail (null MX)"
)


class TLSRPT(DomainCheck):
    """The TLS-RPT record: is there exactly one, and is it well-formed?"""

    id = "tls-rpt"
    title = "TLS-RPT"
    requires = ("mx", "mta-sts", "dane")
    findings = (
        NOT_APPLICABLE,
        NULL_MX,
        MISSING,
        MISSING_WITH_POLICY,
        DNS_FAILED,
        MULTIPLE,
        INVALID,
        PUBLISHED,
    )

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        instead = routing_row(ctx, no_domain=NOT_APPLICABLE, null_mx=NULL_MX)
        if instead is not None:
            return [instead]
        name = f"_smtp._tls.{ctx.domain}"
        answer, texts = ctx.dns.txt(name)
        details: dict[str, DetailValue] = {"name": name}
        if answer.failure not in (None, DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER):
            return [
                DNS_FAILED.outcome(f"TXT {name} could not be read: {answer.explanation}", details)
            ]
        selection = select_tlsrpt_record(texts)
        details["records"] = selection.records[:8]
        if not selection.records:
            seen = (
                answer.explanation
                if answer.failure is not None
                else f"{plural(len(texts), 'TXT record')}, none starting v=TLSRPTv1"
            )
            protection = _protection(ctx)
            if protection:
                details["protected_by"] = protection
                return [
                    MISSING_WITH_POLICY.outcome(
                        f"no TLS-RPT record at {name} ({seen}), though {protection} is in "
                        "place: failures that make senders refuse your MX hosts go unreported",
                        details,
                    )
                ]
            return [MISSING.outcome(f"no TLS-RPT record at {name} ({seen})", details)]
        if selection.multiple:
            shown = "; ".join(repr(record) for record in selection.records[:4])
            return [
                MULTIPLE.outcome(
                    f"{name} has {len(selection.records)} records starting v=TLSRPTv1 "
                    f"({shown}); senders need exactly one",
                    details,
                )
            ]
        if selection.value is None:
            return [INVALID.outcome(f"{name} {selection.records[0]!r}: {selection.error}", details)]
        details["rua"] = selection.value
        return [PUBLISHED.outcome(f"reports go to {', '.join(selection.value)}", details)]


def _protection(ctx: DomainContext) -> str:
    """``MTA-STS (… mode)`` or ``DANE (…)`` when the domain has one in place, as the
    ``mta-sts`` and ``dane`` checks found; ``""`` otherwise."""
    policy = ctx.stash.get(MTA_STS_POLICY)
    if policy is not None and policy.mode is not Mode.NONE:
        return f"MTA-STS ({policy.mode} mode)"
    if ctx.stash.get(DANE_IN_PLACE):
        return "DANE (DNSSEC-signed TLSA records for an MX host)"
    return ""


@hookimpl
def smtpdoctor_register_domain_checks(register: RegisterDomainCheck) -> None:
    """Register the ``tls-rpt`` domain check."""
    register(TLSRPT)
