"""``certificate``: who the server says it is, and whether we can believe it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smtpdoctor.certificates import CertificateInfo, CertificateParseError, inspect_certificate
from smtpdoctor.check import Check, CheckContext, RegisterCheck
from smtpdoctor.checks.tls import VERIFICATION_FAILURE
from smtpdoctor.hookspecs import hookimpl
from smtpdoctor.results import DetailValue, Outcome, Status

#: Days before expiry from which the certificate row turns WARN.
EXPIRY_WARNING_DAYS = 14


class Certificate(Check):
    """Parse the server certificate: names, issuer, validity, key; explain a refusal."""

    id = "certificate"
    title = "Certificate"
    requires = ("tls",)

    def run(self, ctx: CheckContext) -> Outcome:
        tls = ctx.session.tls
        if tls is None:
            return Outcome(Status.SKIP, "not run: the connection is not encrypted")
        if not tls.peer_chain:
            return Outcome(
                Status.FAIL, "the server sent no certificate", finding="certificate.missing"
            )
        try:
            info = inspect_certificate(tls.peer_chain[0])
        except CertificateParseError as exc:
            return Outcome(
                Status.FAIL,
                f"the certificate cannot be read: {exc}",
                finding="certificate.unreadable",
            )
        now = datetime.now(UTC)
        host = ctx.config.host
        details = _details(info, now, chain_length=len(tls.peer_chain))
        refusal = ctx.stash.get(VERIFICATION_FAILURE)
        problems = _problems(info, now, host)
        if refusal is not None:
            details["verification"] = f"failed: {refusal}"
            listed = problems or [f"not trusted: {_explain(refusal)}"]
            return Outcome(
                Status.FAIL,
                "certificate refused: " + "; ".join(listed),
                details=details,
                finding=_finding(info, now, host, refusal),
            )
        if ctx.config.insecure:
            details["verification"] = "off (--insecure)"
            seen = "; ".join(problems) if problems else "no problem seen in the certificate itself"
            return Outcome(
                Status.WARN,
                f"NOT verified (--insecure): {seen}",
                details=details,
                finding="certificate.unverified",
            )
        details["verification"] = "passed"
        days = info.days_left(now)
        summary = (
            f"valid for {host}, issued by {_short(info.issuer)}, "
            f"expires in {days} days ({info.not_after:%Y-%m-%d})"
        )
        if days < EXPIRY_WARNING_DAYS:
            return Outcome(
                Status.WARN, summary, details=details, finding="certificate.expires-soon"
            )
        return Outcome(Status.PASS, summary, details=details)


def _problems(info: CertificateInfo, now: datetime, host: str) -> list[str]:
    problems: list[str] = []
    if info.is_expired(now):
        problems.append(f"expired {_days_ago(now - info.not_after)} ({info.not_after:%Y-%m-%d})")
    if info.is_not_yet_valid(now):
        problems.append(f"not valid before {info.not_before:%Y-%m-%d %H:%M} UTC")
    if not info.matches_hostname(host):
        names = ", ".join(info.sans) if info.sans else "none"
        problems.append(f"not valid for {host} (it names: {names})")
    if info.self_signed:
        problems.append("self-signed")
    return problems


def _days_ago(elapsed: timedelta) -> str:
    days = elapsed // timedelta(days=1)
    if days == 0:
        return "less than a day ago"
    return f"{days} day{'s' if days != 1 else ''} ago"


def _finding(info: CertificateInfo, now: datetime, host: str, refusal: str) -> str:
    if info.is_expired(now):
        return "certificate.expired"
    if info.is_not_yet_valid(now):
        return "certificate.not-yet-valid"
    if not info.matches_hostname(host):
        return "certificate.hostname-mismatch"
    if info.self_signed or "self-signed" in refusal or "self signed" in refusal:
        return "certificate.self-signed"
    if "local issuer" in refusal:
        return "certificate.unknown-issuer"
    return "certificate.untrusted"


def _explain(refusal: str) -> str:
    if "unable to get local issuer certificate" in refusal:
        return (
            "issued by a CA this machine does not trust, or the server does not send its "
            "intermediate certificate"
        )
    if "self-signed certificate in certificate chain" in refusal:
        return "the chain ends in a self-signed CA this machine does not trust"
    return refusal


def _short(name: str) -> str:
    """``CN=R11,O=Let's Encrypt,C=US`` → ``R11 (Let's Encrypt)``."""
    parts = dict(part.split("=", 1) for part in name.split(",") if "=" in part)
    common, org = parts.get("CN"), parts.get("O")
    if common and org:
        return f"{common} ({org})"
    return common or org or name


def _details(info: CertificateInfo, now: datetime, *, chain_length: int) -> dict[str, DetailValue]:
    return {
        "subject": info.subject,
        "issuer": info.issuer,
        "sans": info.sans,
        "not_before": info.not_before.isoformat(),
        "not_after": info.not_after.isoformat(),
        "days_left": info.days_left(now),
        "key": f"{info.key_type} {info.key_bits}-bit",
        "signature_hash": info.signature_hash,
        "self_signed": info.self_signed,
        "fingerprint_sha256": info.fingerprint_sha256,
        "chain_length": chain_length,
    }


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``certificate`` check."""
    register(Certificate)
