"""The ``dkim`` domain check: the public key of each DKIM selector given (``--dkim-selector``),
read as a verifier would (RFC 6376 §3.6, RFC 8301, RFC 8463)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain.check import DomainCheck, DomainContext, RegisterDomainCheck
from smtpdoctor.domain.facts import MAIL_ROUTING, MailRouting
from smtpdoctor.domain.request import DomainRequest
from smtpdoctor.mailauth.dkim import (
    RSA_MINIMUM_BITS,
    RSA_RECOMMENDED_BITS,
    DKIMKey,
    DKIMKeyError,
    check_selector,
    parse_dkim_key,
)
from smtpdoctor.mailauth.dns import MAX_TXT_CHARS
from smtpdoctor.model.domain import Finding
from smtpdoctor.model.results import Hint, Outcome, Status
from smtpdoctor.net.resolver import DNSFailure, gather

#: The most selectors checked in one audit.
MAX_SELECTORS = 10

RFC6376 = "https://www.rfc-editor.org/rfc/rfc6376"
RFC8301 = "https://www.rfc-editor.org/rfc/rfc8301#section-3.2"

_NEW_KEY_STEPS = (
    "Create a new key pair with a new selector in your mail system or ESP (2048-bit RSA, or "
    "Ed25519 alongside RSA).",
    'Publish it: s2._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=<base64 public key>" '
    "(split into 255-character strings).",
    "Switch signing to the new selector, then revoke the old one after a week (p= empty).",
)

NOT_APPLICABLE = Finding(
    "dkim.not-applicable", Status.SKIP, "Not checked: the domain does not exist (NXDOMAIN)"
)
KEY = Finding("dkim.key", Status.PASS, "DKIM key published (RSA of 2048 bits or more, or Ed25519)")
SHORT_KEY = Finding(
    "dkim.short-key",
    Status.WARN,
    "DKIM RSA key shorter than 2048 bits",
    Hint("Replace the key with a 2048-bit RSA key under a new selector", _NEW_KEY_STEPS, RFC8301),
)
WEAK_KEY = Finding(
    "dkim.weak-key",
    Status.FAIL,
    "DKIM RSA key shorter than 1024 bits: verifiers refuse it",
    Hint("Replace the key with a 2048-bit RSA key under a new selector", _NEW_KEY_STEPS, RFC8301),
)
REVOKED = Finding(
    "dkim.revoked",
    Status.WARN,
    "DKIM key revoked (empty p=)",
    Hint(
        "Fine for a retired selector; if mail is still signed with it, publish the key again "
        "or switch signing to a selector that has one",
        (),
        f"{RFC6376}#section-3.6.1",
    ),
)
MISSING = Finding(
    "dkim.missing",
    Status.FAIL,
    "No DKIM key for the selector",
    Hint(
        "Publish the selector's public key, or check the selector's name",
        (
            "The selector is the s= of the DKIM-Signature header in a message you sent.",
            'Publish: s1._domainkey.example.com. TXT "v=DKIM1; k=rsa; p=<base64 public key>", '
            "or the CNAME your email service gives you.",
        ),
        f"{RFC6376}#section-3.6.2.1",
    ),
)
LOOKUP_FAILED = Finding(
    "dkim.lookup-failed",
    Status.WARN,
    "The DKIM key could not be looked up",
    Hint(
        "Make sure the domain's DNS servers answer TXT questions for <selector>._domainkey",
        ("Verifiers treat a failed key look-up as a temporary error (TEMPFAIL).",),
        f"{RFC6376}#section-6.1.2",
    ),
)
SEVERAL = Finding(
    "dkim.several-records",
    Status.FAIL,
    "Several DKIM key records for one selector",
    Hint(
        "Keep one TXT record per selector; use a new selector for a new key",
        ("Verifiers pick one of the records, so signatures fail at random.",),
        f"{RFC6376}#section-3.6.2.2",
    ),
)
INVALID = Finding(
    "dkim.invalid",
    Status.FAIL,
    "The DKIM key record is broken: verifiers cannot use it",
    Hint(
        "Republish the record exactly as your mail system or ESP gives it",
        (
            "Form: v=DKIM1; k=rsa; p=<base64 DER public key> — v first, one p=, no quotes or "
            "spaces inside the base64.",
        ),
        f"{RFC6376}#section-3.6.1",
    ),
)
TESTING = Finding(
    "dkim.testing",
    Status.WARN,
    "DKIM key in testing mode (t=y)",
    Hint(
        "Remove t=y once signing works: verifiers may treat its signatures as if the message "
        "were unsigned",
        (),
        f"{RFC6376}#section-3.6.1",
    ),
)
SHA1_ONLY = Finding(
    "dkim.sha1-only",
    Status.FAIL,
    "DKIM key allows only SHA-1 signatures (h=sha1), which verifiers refuse",
    Hint(
        "Remove h= (or set h=sha256) and sign with rsa-sha256",
        (),
        "https://www.rfc-editor.org/rfc/rfc8301#section-3.1",
    ),
)
NOT_FOR_EMAIL = Finding(
    "dkim.not-for-email",
    Status.FAIL,
    "DKIM key not for email (s= without email or *)",
    Hint("Remove s= or set s=email", (), f"{RFC6376}#section-3.6.1"),
)
NOT_CHECKED = Finding(
    "dkim.not-checked",
    Status.INFO,
    f"Selectors beyond the first {MAX_SELECTORS} were not looked up",
)


class DKIM(DomainCheck):
    """The DKIM public key of each selector given."""

    id = "dkim"
    title = "DKIM"
    requires = ("mx",)  # a domain that does not exist is not judged
    findings = (
        NOT_APPLICABLE,
        KEY,
        SHORT_KEY,
        WEAK_KEY,
        REVOKED,
        MISSING,
        LOOKUP_FAILED,
        SEVERAL,
        INVALID,
        TESTING,
        SHA1_ONLY,
        NOT_FOR_EMAIL,
        NOT_CHECKED,
    )

    @classmethod
    def applies(cls, request: DomainRequest) -> bool:
        """Only with ``--dkim-selector``: DNS cannot list a domain's selectors."""
        return bool(request.dkim_selectors)

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        """Look up each selector's key (at once) and judge it."""
        if ctx.stash.get(MAIL_ROUTING) is MailRouting.NO_DOMAIN:
            return [NOT_APPLICABLE.outcome(f"not checked: {ctx.domain} does not exist (NXDOMAIN)")]
        selectors = list(dict.fromkeys(ctx.request.dkim_selectors))
        calls: list[Callable[[], list[Outcome]]] = [
            partial(_selector, ctx, selector) for selector in selectors[:MAX_SELECTORS]
        ]
        rows = [row for found in gather(*calls) for row in found]
        if len(selectors) > MAX_SELECTORS:
            skipped = tuple(selectors[MAX_SELECTORS:])
            rows.append(
                NOT_CHECKED.outcome(
                    f"{len(selectors)} selectors given; not looked up: {', '.join(skipped)}.",
                    {"not_checked": skipped},
                )
            )
        return rows


def _selector(ctx: DomainContext, selector: str) -> list[Outcome]:
    selector = check_selector(selector)  # valid: DomainRequest refuses any other
    name = f"{selector}._domainkey.{ctx.domain}"
    answer, texts = ctx.dns.txt(name)
    details: dict[str, str | int | bool | tuple[str, ...] | None] = {
        "selector": selector,
        "asked": name,
        "records": texts,
    }
    if answer.failure in (DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER):
        return [
            MISSING.outcome(
                f"no key for selector {selector}: TXT {name}: {answer.explanation}.", details
            )
        ]
    if answer.failure is not None:
        return [LOOKUP_FAILED.outcome(f"TXT {name}: {answer.explanation}.", details)]
    via = ""
    if answer.canonical_name not in ("", name):
        via = f" (a CNAME to {answer.canonical_name})"
        details["canonical_name"] = answer.canonical_name
    if len(texts) > 1:
        return [SEVERAL.outcome(f"{name}{via} has {len(texts)} TXT records.", details)]
    if texts and _cut(texts[0]):
        return [
            INVALID.outcome(
                f"{name}{via}: the record is longer than {MAX_TXT_CHARS} characters, far more "
                "than any DKIM key needs (a 4096-bit RSA key takes about 750): it was not read.",
                details,
            )
        ]
    try:
        key = parse_dkim_key(texts[0] if texts else "")
    except DKIMKeyError as exc:
        return [INVALID.outcome(f"{name}{via}: {exc}.", details)]
    details.update(
        key_type=key.key_type, bits=key.bits, flags=key.flags, hashes=key.hashes, strict=key.strict
    )
    return _judge(key, f"selector {selector}{via}", details)


def _cut(text: str) -> bool:
    """Whether the resolver cut ``text`` (see :func:`~smtpdoctor.mailauth.dns.txt_strings`)."""
    return len(text) == MAX_TXT_CHARS + 1 and text.endswith("…")


def _judge(
    key: DKIMKey, where: str, details: dict[str, str | int | bool | tuple[str, ...] | None]
) -> list[Outcome]:
    if key.revoked:
        return [
            REVOKED.outcome(f"{where}: the key is revoked (p= is empty); signatures fail.", details)
        ]
    rows = [_strength(key, where, details)]
    if key.testing:
        rows.append(TESTING.outcome(f"{where}: t=y, the domain is testing DKIM.", details))
    if key.sha1_only:
        rows.append(
            SHA1_ONLY.outcome(f"{where}: h={':'.join(key.hashes)} allows only SHA-1.", details)
        )
    if not key.for_email:
        rows.append(
            NOT_FOR_EMAIL.outcome(
                f"{where}: s={':'.join(key.services)} does not include email.", details
            )
        )
    return rows


def _strength(
    key: DKIMKey, where: str, details: dict[str, str | int | bool | tuple[str, ...] | None]
) -> Outcome:
    strict = ", t=s (strict: no subdomains in i=)" if key.strict else ""
    if key.key_type == "ed25519":
        return KEY.outcome(f"{where}: Ed25519 key (RFC 8463){strict}.", details)
    bits = key.bits or 0
    if bits < RSA_MINIMUM_BITS:
        return WEAK_KEY.outcome(
            f"{where}: RSA key of {bits} bits; RFC 8301 requires at least {RSA_MINIMUM_BITS}.",
            details,
        )
    if bits < RSA_RECOMMENDED_BITS:
        return SHORT_KEY.outcome(
            f"{where}: RSA key of {bits} bits; RFC 8301 recommends {RSA_RECOMMENDED_BITS}.",
            details,
        )
    return KEY.outcome(f"{where}: RSA key of {bits} bits{strict}.", details)


@hookimpl
def smtpdoctor_register_domain_checks(register: RegisterDomainCheck) -> None:
    """Register the ``dkim`` domain check."""
    register(DKIM)
