"""``authentication``: prove how the delivered test message authenticates — DKIM, SPF and
DMARC checked here — and set that beside the receiving side's own ``Authentication-Results``.

Opt-in with ``--verify-imap``; runs after ``delivery`` found the message.  One row: PASS when
DKIM, SPF and DMARC all pass and the receiver agrees; FAIL when DMARC fails under a
quarantine or reject policy (WARN under ``p=none``), saying which of three failures it is —
nothing aligned with From, an aligned signature that did not verify, an aligned SPF domain
that did not pass — unless the receiving side passed DMARC: its verdict is the one that
counted, and the disagreement is the finding (WARN); WARN when the two sides disagree, when
the message is not signed or no signature verifies, when SPF does not pass, when the From
domain has no usable DMARC record, or when DNS failed; INFO when the message could not be
verified here (not fetched whole, or signed with Ed25519 and PyNaCl missing).  The work is
:mod:`smtpdoctor.delivery.authentication`'s; the hints are the knowledge base's, which names
the findings by the constants below.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from smtpdoctor.checks.delivery import DELIVERED
from smtpdoctor.core.check import Check, CheckContext, RegisterCheck
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.model.results import DetailValue, Outcome, Status
from smtpdoctor.settings.config import RunConfig

if TYPE_CHECKING:  # dkimpy, dnspython and the email parser load only when a run verifies
    from smtpdoctor.delivery.authentication import Disagreement, Evaluation

#: DMARC fails: no DKIM signature and not the SPF domain is aligned with the From domain.
DMARC_FAIL = "authentication.dmarc-fail"
#: DMARC fails: a DKIM signature aligned with the From domain did not verify.
DMARC_ALIGNED_DKIM_FAIL = "authentication.dmarc-aligned-dkim-fail"
#: DMARC fails: no signature is aligned, and SPF, whose domain is, did not pass.
DMARC_ALIGNED_SPF_FAIL = "authentication.dmarc-aligned-spf-fail"
#: smtpdoctor and the receiver's Authentication-Results differ on a method.
DISAGREES = "authentication.disagrees"
#: A key, SPF or DMARC look-up failed (timeout, SERVFAIL): ``temperror``.
DNS_FAILED = "authentication.dns-failed"
#: The message carries no DKIM-Signature.
DKIM_MISSING = "authentication.dkim-missing"
#: The message is signed, but no signature verifies.
DKIM_FAIL = "authentication.dkim-fail"
#: SPF does not pass for the recorded client address.
SPF_NOT_PASS = "authentication.spf-not-pass"  # noqa: S105 - a finding id
#: The From domain has no usable DMARC record.
NO_DMARC = "authentication.no-dmarc"
#: Nothing could be verified here: the message was not fetched whole, or its signatures are
#: of a kind this installation cannot verify.
NOT_VERIFIED = "authentication.not-verified"


class Authentication(Check):
    """Verify DKIM, SPF and DMARC of the delivered message and compare with the receiver."""

    id = "authentication"
    title = "Authentication of the delivered message"
    requires = ("delivery",)
    findings = (
        DMARC_FAIL,
        DMARC_ALIGNED_DKIM_FAIL,
        DMARC_ALIGNED_SPF_FAIL,
        DISAGREES,
        DNS_FAILED,
        DKIM_MISSING,
        DKIM_FAIL,
        SPF_NOT_PASS,
        NO_DMARC,
        NOT_VERIFIED,
    )

    @classmethod
    def applies(cls, config: RunConfig) -> bool:
        return config.send is not None and config.verify is not None

    def run(self, ctx: CheckContext) -> Outcome:
        from smtpdoctor.delivery.authentication import evaluate
        from smtpdoctor.mailauth.dns import DomainDNS

        request = ctx.config.send
        assert request is not None  # applies() said so
        found = ctx.stash[DELIVERED]  # "delivery" passed, so it is there
        if found.message is None:
            return Outcome(
                Status.INFO,
                f"not verified: the delivered message could not be fetched whole "
                f"({found.message_problem})",
                finding=NOT_VERIFIED,
            )
        config = ctx.config
        # the session's clock is time.monotonic: the run's deadline on that clock
        deadline_at = time.monotonic() - ctx.session.elapsed() + config.deadline
        dns = DomainDNS(config.dns_servers, timeout=config.timeout, deadline_at=deadline_at)
        verify = config.verify
        assert verify is not None  # applies() said so
        receiving = (verify.host, request.recipient.rpartition("@")[2])
        evaluation = evaluate(found.message, dns=dns, sender=request.sender, receiving=receiving)
        details = _details(evaluation)
        details.update(
            message_bytes=len(found.message), dns_servers=dns.servers, dns_queries=dns.queries
        )
        ctx.session.note(f"authentication: {evaluation.line()} ({dns.queries} DNS questions)")
        return _verdict(evaluation, details)


def _verdict(evaluation: Evaluation, details: dict[str, DetailValue]) -> Outcome:
    """The row: the most important thing found, then both sides' verdicts."""
    from smtpdoctor.delivery.authentication import METHODS, DMARCFailure

    sides = f"smtpdoctor: {evaluation.line()}; {_receiver_line(evaluation)}"
    dmarc = evaluation.dmarc
    signatures = evaluation.signatures
    domain = dmarc.from_domain or evaluation.spf.domain
    if dmarc.result == "fail" and _receiver_passed_dmarc(evaluation):
        others = [d for d in evaluation.disagreements if d.method != "dmarc"]
        why = (
            f" — where the two sides differ: {'; '.join(_said(d) for d in others)}"
            if others
            else " — the receiver recorded no DKIM or SPF verdict that differs from ours: it "
            "may have checked the message before it was changed, or judge alignment otherwise"
        )
        return Outcome(
            Status.WARN,
            f"the receiver passed DMARC for {domain}, and its verdict is the one that counted; "
            f"smtpdoctor fails it because {dmarc.explanation}{why}. {sides}",
            details=details,
            finding=DISAGREES,
        )
    if dmarc.result == "fail":
        status = Status.FAIL if dmarc.enforced else Status.WARN
        effect = (
            "receivers that enforce it quarantine or reject the message"
            if dmarc.enforced
            else "receivers take no action under p=none, but report it"
        )
        finding = {
            DMARCFailure.ALIGNED_DKIM_FAILED: DMARC_ALIGNED_DKIM_FAIL,
            DMARCFailure.ALIGNED_SPF_FAILED: DMARC_ALIGNED_SPF_FAIL,
        }.get(dmarc.failure or DMARCFailure.NOT_ALIGNED, DMARC_FAIL)
        return Outcome(
            status,
            f"DMARC fails for {domain} (p={dmarc.policy}: {effect}): {dmarc.explanation}"
            f"{_key_command(evaluation) if finding == DMARC_ALIGNED_DKIM_FAIL else ''}. {sides}",
            details=details,
            finding=finding,
        )
    if evaluation.disagreements:
        said = "; ".join(_said(d) for d in evaluation.disagreements)
        return Outcome(
            Status.WARN,
            f"smtpdoctor and the receiver disagree — {said}. {sides}",
            details=details,
            finding=DISAGREES,
        )
    undecided = [method for method in METHODS if evaluation.ours(method) == "temperror"]
    failures = evaluation.dns_failures()
    if undecided and failures:
        return Outcome(
            Status.WARN,
            f"{' and '.join(undecided).upper()} could not be checked: a DNS question failed "
            f"({'; '.join(failures)}). {sides}",
            details=details,
            finding=DNS_FAILED,
        )
    if undecided:  # nothing failed but this installation: its signatures cannot be verified
        said = "; ".join(str(verdict) for verdict in evaluation.unverifiable)
        return Outcome(
            Status.INFO,
            f"{' and '.join(undecided).upper()} not verified here: {said} — install PyNaCl "
            f"(pip install 'dkimpy[ed25519]'). {sides}",
            details=details,
            finding=NOT_VERIFIED,
        )
    if not signatures:
        return Outcome(
            Status.WARN,
            f"the message carries no DKIM signature: the sending service does not sign mail "
            f"from {domain}. {sides}",
            details=details,
            finding=DKIM_MISSING,
        )
    if evaluation.dkim != "pass":
        return Outcome(
            Status.WARN,
            f"no DKIM signature verifies: {'; '.join(str(s) for s in signatures)}"
            f"{_key_command(evaluation)}. {sides}",
            details=details,
            finding=DKIM_FAIL,
        )
    spf = evaluation.spf
    if spf.result != "pass":
        why = f": {spf.explanation}" if spf.explanation else ""
        return Outcome(
            Status.WARN,
            f"SPF does not pass ({spf}){why}. {sides}",
            details=details,
            finding=SPF_NOT_PASS,
        )
    if dmarc.result != "pass":
        return Outcome(
            Status.WARN,
            f"DMARC is {dmarc.result} for {domain}: {dmarc.explanation}. {sides}",
            details=details,
            finding=NO_DMARC,
        )
    headers = evaluation.headers
    if headers.receiver is None:
        agree = "(the receiver recorded no Authentication-Results)"
    elif headers.receiver_recognised:
        agree = "and the receiver agrees"
    else:
        agree = f"and the Authentication-Results {_by(headers.receiver.authserv_id)} agree"
    return Outcome(
        Status.PASS,
        f"DKIM, SPF and DMARC pass for {domain} {agree}: DKIM by "
        f"{', '.join(str(s.tags) for s in signatures if s.result == 'pass')}, SPF for "
        f"{spf.client.ip if spf.client else '?'}, DMARC aligned by "
        f"{', '.join(dmarc.aligned_by)}",
        details=details,
    )


def _receiver_passed_dmarc(evaluation: Evaluation) -> bool:
    """Whether the receiving side — recognisably it — recorded ``dmarc=pass``."""
    receiver = evaluation.headers.receiver
    return (
        receiver is not None
        and evaluation.headers.receiver_recognised
        and receiver.verdict("dmarc") == "pass"
    )


def _said(disagreement: Disagreement) -> str:
    """A disagreement and its cause: the likely one, with a question mark, or the one the
    message shows (a body hash that no longer matches)."""
    doubt = "" if disagreement.body_changed else "?"
    return f"{disagreement} ({disagreement.likely_cause}{doubt})"


def _key_command(evaluation: Evaluation) -> str:
    """`` — check the key with: smtpdoctor domain D --dkim-selector S`` for the first
    signature that did not pass whose ``d=`` and ``s=`` are a valid domain and selector; empty
    for none."""
    from smtpdoctor.delivery.authentication import key_to_check

    for verdict in evaluation.signatures:
        if verdict.result == "pass":
            continue
        target = key_to_check(verdict.tags)
        if target is not None:
            domain, selector = target
            return f" — check the key with: smtpdoctor domain {domain} --dkim-selector {selector}"
    return ""


def _receiver_line(evaluation: Evaluation) -> str:
    """The receiver's verdicts, and whose they are: the authserv-id, and whether it is
    recognisably the receiving side's."""
    from smtpdoctor.delivery.authentication import METHODS

    headers = evaluation.headers
    receiver = headers.receiver
    if receiver is None:
        return "the receiver recorded no Authentication-Results"
    said = " ".join(
        f"{method}={receiver.verdict(method) or '(not recorded)'}" for method in METHODS
    )
    if headers.receiver_recognised:
        return f"receiver {receiver.authserv_id}: {said}"
    return (
        f"the topmost Authentication-Results, {_by(receiver.authserv_id)} (not recognisably "
        f"the receiving side's: judge whether it is): {said}"
    )


def _by(authserv_id: str) -> str:
    """Who wrote an Authentication-Results field, for a sentence: ``by mx.example.com``, or
    ``with no authserv-id (as Microsoft 365 writes them)``."""
    if not authserv_id:
        return "with no authserv-id (as Microsoft 365 writes them)"
    return f"by {authserv_id[:100]}"


def _details(evaluation: Evaluation) -> dict[str, DetailValue]:
    spf = evaluation.spf
    dmarc = evaluation.dmarc
    receiver = evaluation.headers.receiver
    return {
        "from_domain": dmarc.from_domain,
        "dkim": evaluation.dkim,
        "dkim_signatures": tuple(str(signature) for signature in evaluation.signatures),
        "dkim_selectors": evaluation.selectors,
        "dkim_signature_fields": evaluation.headers.signature_fields,
        "spf": spf.result,
        "spf_domain": spf.domain,
        "spf_client_ip": spf.client.ip if spf.client else None,
        "spf_client_ip_from": spf.client.source if spf.client else None,
        "spf_explanation": spf.explanation,
        "spf_mechanism": spf.mechanism,
        "dmarc": dmarc.result,
        "dmarc_policy": dmarc.policy or None,
        "dmarc_record": dmarc.record or None,
        "dmarc_aligned_by": dmarc.aligned_by,
        "dmarc_explanation": dmarc.explanation,
        "dmarc_failure": str(dmarc.failure) if dmarc.failure else None,
        "receiver": receiver.authserv_id if receiver else None,
        "receiver_recognised": evaluation.headers.receiver_recognised,
        "receiver_dkim": receiver.verdict("dkim") if receiver else None,
        "receiver_spf": receiver.verdict("spf") if receiver else None,
        "receiver_dmarc": receiver.verdict("dmarc") if receiver else None,
        "receiver_results": tuple(str(r) for r in receiver.results) if receiver else (),
        "disagreements": tuple(str(d) for d in evaluation.disagreements),
    }


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``authentication`` check."""
    register(Authentication)
