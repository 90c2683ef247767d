"""``certificate``: who the server says it is, and whether we can believe it.

Every problem found is listed in the summary, worst first; the status is that of the worst.
Verification itself is OpenSSL's (in the ``tls`` check); this check explains its verdict and
adds what verification does not judge: expiry thresholds, weak keys, weak signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from smtpdoctor.checks.tls import VERIFICATION_FAILURE
from smtpdoctor.core.check import Check, CheckContext, RegisterCheck
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import DetailValue, Outcome, Status
from smtpdoctor.net.certificates import (
    CertificateInfo,
    CertificateParseError,
    earliest_expiry,
    inspect_certificate,
)
from smtpdoctor.settings.config import RunConfig

#: Smallest key sizes still considered safe, by key family (NIST SP 800-57, CA/B Forum).
MINIMUM_KEY_BITS = {"RSA": 2048, "DSA": 2048, "EC": 256}
#: Signature hashes that can be forged or are close to it.
WEAK_SIGNATURE_HASHES = frozenset({"md5", "sha1"})


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the certificate."""

    status: Status
    finding: str
    text: str


class Certificate(Check):
    """Parse the server certificate: names, issuer, validity, key; explain a refusal."""

    id = "certificate"
    title = "Certificate"
    requires = ("tls",)
    findings = (
        "certificate.expires-soon",
        "certificate.expires-critically-soon",
        "certificate.expired",
        "certificate.not-yet-valid",
        "certificate.hostname-mismatch",
        "certificate.self-signed",
        "certificate.incomplete-chain",
        "certificate.unknown-issuer",
        "certificate.untrusted",
        "certificate.weak-key",
        "certificate.weak-signature",
        "certificate.unverified",
        "certificate.missing",
        "certificate.unreadable",
    )

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
        config = ctx.config
        now = datetime.now(UTC)
        details = _details(info, now, config, chain_length=len(tls.peer_chain))
        earliest = earliest_expiry(tls.peer_chain) or info.not_after
        details["chain_not_after_unix"] = int(earliest.timestamp())
        refusal = ctx.stash.get(VERIFICATION_FAILURE)
        problems = _validity_problems(info, now, config.host)
        if refusal is not None:
            details["verification"] = f"failed: {refusal}"
            cas_given = config.ca_file is not None or config.ca_data is not None
            problems += _trust_problems(
                info, refusal, len(tls.peer_chain), problems, cas_given=cas_given
            )
        problems += _strength_problems(info)
        if refusal is None:
            problems += _expiry_problems(info, now, config)
        if config.insecure:
            details["verification"] = "off (--insecure)"
            return _unverified(problems, details)
        if refusal is None:
            details["verification"] = "passed"
        if not problems:
            return Outcome(Status.PASS, _identity(info, now, config.host), details=details)
        return _verdict(problems, details, refused=refusal is not None)


def _validity_problems(info: CertificateInfo, now: datetime, host: str) -> list[Problem]:
    problems: list[Problem] = []
    if info.is_expired(now):
        problems.append(
            Problem(
                Status.FAIL,
                "certificate.expired",
                f"expired {_days_ago(now - info.not_after)} ({info.not_after:%Y-%m-%d})",
            )
        )
    if info.is_not_yet_valid(now):
        problems.append(
            Problem(
                Status.FAIL,
                "certificate.not-yet-valid",
                f"not valid before {info.not_before:%Y-%m-%d %H:%M} UTC "
                "(or this machine's clock is wrong)",
            )
        )
    if not info.matches_hostname(host):
        names = ", ".join(info.sans) if info.sans else "none"
        problems.append(
            Problem(
                Status.FAIL,
                "certificate.hostname-mismatch",
                f"not valid for {host} (it names: {names})",
            )
        )
    return problems


def _trust_problems(
    info: CertificateInfo,
    refusal: str,
    chain_length: int,
    found: list[Problem],
    *,
    cas_given: bool = False,
) -> list[Problem]:
    """Why verification refused, when the validity problems do not already say it.

    ``cas_given``: the run trusts CAs of its own (``--ca-file``); a leaf sent alone whose
    issuer is none of them then almost always lacks its intermediate."""
    if info.self_signed:
        return [Problem(Status.FAIL, "certificate.self-signed", "self-signed")]
    if "self-signed certificate in certificate chain" in refusal:
        return [
            Problem(
                Status.FAIL,
                "certificate.self-signed",
                "the chain ends in a self-signed CA this machine does not trust",
            )
        ]
    if "unable to get local issuer certificate" in refusal:
        if chain_length == 1 and info.issuer_urls:
            return [
                Problem(
                    Status.FAIL,
                    "certificate.incomplete-chain",
                    f"incomplete chain: the server sends only its own certificate, not the "
                    f"intermediate that issued it ({_short(info.issuer)})",
                )
            ]
        if chain_length == 1 and cas_given:
            # A leaf sent alone, issued by none of the CAs the user gave: almost always a
            # forgotten intermediate below them; another private CA is the rarer case.  (With
            # no CA given, a private CA that signs server certificates itself is as likely:
            # unknown-issuer below, which names both.)
            return [
                Problem(
                    Status.FAIL,
                    "certificate.incomplete-chain",
                    f"incomplete chain, probably: the server sends only its own certificate, "
                    f"issued by {_short(info.issuer)}, which this machine does not trust — the "
                    f"server probably does not send its intermediate certificate (or "
                    f"{_short(info.issuer)} is a private CA: then --ca-file)",
                )
            ]
        alone = (
            " (the server sends only this certificate: if that CA is an intermediate, the "
            "server does not send it)"
            if chain_length == 1
            else ""
        )
        return [
            Problem(
                Status.FAIL,
                "certificate.unknown-issuer",
                f"issued by {_short(info.issuer)}, a CA this machine does not trust{alone}",
            )
        ]
    if found:  # expiry or host name already explain the refusal
        return []
    return [Problem(Status.FAIL, "certificate.untrusted", f"not trusted: {refusal}")]


def _strength_problems(info: CertificateInfo) -> list[Problem]:
    problems: list[Problem] = []
    family = info.key_type.split(" ")[0]
    minimum = MINIMUM_KEY_BITS.get(family)
    if minimum is not None and info.key_bits < minimum:
        problems.append(
            Problem(
                Status.WARN,
                "certificate.weak-key",
                f"weak key: {info.key_type} {info.key_bits}-bit (use at least {minimum})",
            )
        )
    digest = info.signature_hash
    if digest in WEAK_SIGNATURE_HASHES and digest is not None and not info.self_signed:
        problems.append(
            Problem(
                Status.WARN,
                "certificate.weak-signature",
                f"signed with {digest.upper()}, which can be forged",
            )
        )
    return problems


def _expiry_problems(info: CertificateInfo, now: datetime, config: RunConfig) -> list[Problem]:
    days = info.days_left(now)
    if info.is_expired(now):
        return []
    if days < config.cert_crit_days:
        return [
            Problem(
                Status.FAIL,
                "certificate.expires-critically-soon",
                f"expires in {plural(days, 'day')} ({info.not_after:%Y-%m-%d}), "
                f"under the critical threshold of {plural(config.cert_crit_days, 'day')}",
            )
        ]
    if days < config.cert_warn_days:
        return [
            Problem(
                Status.WARN,
                "certificate.expires-soon",
                f"expires in {plural(days, 'day')} ({info.not_after:%Y-%m-%d}), "
                f"under the warning threshold of {plural(config.cert_warn_days, 'day')}",
            )
        ]
    return []


def _verdict(problems: list[Problem], details: dict[str, DetailValue], *, refused: bool) -> Outcome:
    ordered = sorted(problems, key=lambda p: p.status is not Status.FAIL)
    worst = ordered[0]
    details["problems"] = tuple(p.text for p in ordered)
    prefix = "certificate refused: " if refused else ""
    return Outcome(
        worst.status,
        prefix + "; ".join(p.text for p in ordered),
        details=details,
        finding=worst.finding,
    )


def _unverified(problems: list[Problem], details: dict[str, DetailValue]) -> Outcome:
    details["problems"] = tuple(p.text for p in problems)
    seen = "; ".join(p.text for p in problems) if problems else "no problem seen in it"
    return Outcome(
        Status.WARN,
        f"NOT verified (--insecure): {seen}",
        details=details,
        finding="certificate.unverified",
    )


def _identity(info: CertificateInfo, now: datetime, host: str) -> str:
    return (
        f"valid for {host}, issued by {_short(info.issuer)}, "
        f"expires in {plural(info.days_left(now), 'day')} ({info.not_after:%Y-%m-%d})"
    )


def _days_ago(elapsed: timedelta) -> str:
    days = elapsed // timedelta(days=1)
    if days == 0:
        return "less than a day ago"
    return f"{plural(days, 'day')} ago"


def _short(name: str) -> str:
    """``CN=R11,O=Let's Encrypt,C=US`` → ``R11 (Let's Encrypt)``."""
    parts = dict(part.split("=", 1) for part in name.split(",") if "=" in part)
    common, org = parts.get("CN"), parts.get("O")
    if common and org:
        return f"{common} ({org})"
    return common or org or name


def _details(
    info: CertificateInfo, now: datetime, config: RunConfig, *, chain_length: int
) -> dict[str, DetailValue]:
    return {
        "subject": info.subject,
        "issuer": info.issuer,
        "sans": info.sans,
        "not_before": info.not_before.isoformat(),
        "not_after": info.not_after.isoformat(),
        "days_left": info.days_left(now),
        "warn_days": config.cert_warn_days,
        "crit_days": config.cert_crit_days,
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
