"""``smtp``: each MX host on port 25, as a sending server meets it.

For each exchanger the ``mx`` check found (with an address, the first ``--max-mx``, in
preference order) this runs the ``check`` pipeline through the core API — one connection:
greeting, EHLO, STARTTLS, certificate for the MX name, no login, no message — and sums up its
report's rows; it judges nothing the pipeline already judged.  Then a second connection
probes for STARTTLS command injection (:mod:`smtpdoctor.domain.injection`); its handshake's
certificate chain goes into the stash for DANE (:data:`~smtpdoctor.domain.facts.PROBES`).
Only when that probe ends without a chain (the MX rightly refused the pipelined command) does
a third connection fetch the chain with one clean STARTTLS handshake.  The verdict on STARTTLS
and the certificate is computed here once, from the pipeline's ``tls`` and ``certificate``
rows, into each :class:`~smtpdoctor.domain.facts.ExchangerProbe`.

Certificate problems are warnings here, not failures: senders that use opportunistic TLS
(most of them) deliver over TLS whatever the certificate.  Each row says which senders refuse
that problem; what the domain's own MTA-STS policy and TLSA records make of it is said in
their sections.  When every MX times out on port 25 — no connection, or a connection that
never greets (what a network intercepting port 25 looks like) — the port is most likely
blocked on this machine's side, which one warning says instead of a failure per MX.  A step
that ``--disable`` turned off is said to be off, not reported as the MX's failure.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from smtpdoctor.checks.tcp import CLOUD_BLOCKED, CONNECT_FINDINGS, TIMEOUT_ON_BLOCKED_PORT
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.domain.check import DomainCheck, DomainContext, RegisterDomainCheck
from smtpdoctor.domain.checks.mx import routing_row, unknown_mx_set
from smtpdoctor.domain.facts import EXCHANGERS, PROBES, Exchanger, ExchangerProbe
from smtpdoctor.domain.injection import (
    InjectionResult,
    InjectionTarget,
    Verdict,
    probe_starttls_injection,
    starttls_chain,
)
from smtpdoctor.model.domain import Finding
from smtpdoctor.model.results import CheckResult, DetailValue, Hint, Outcome, Report, Status
from smtpdoctor.model.words import ConfigError, TLSMode
from smtpdoctor.net.certificates import hostname_matches

#: How many MX hosts are probed at once.
PARALLEL_PROBES = 3
#: The pipeline of one MX may take this many per-step timeouts (connect, greeting, EHLO,
#: STARTTLS, handshake, EHLO, a reconnect to inspect a refused certificate, QUIT).
PIPELINE_STEPS = 8
#: The injection probe of one MX may take this many per-step timeouts.
INJECTION_STEPS = 5
#: The clean STARTTLS handshake that fetches a chain the injection probe did not get may take
#: this many per-step timeouts (connect, greeting, EHLO, STARTTLS, handshake, QUIT).
CHAIN_STEPS = 6
#: An MX is not probed with less time than this left before the audit's deadline (seconds).
MIN_PROBE_TIME = 1.0

_RFC3207 = "https://www.rfc-editor.org/rfc/rfc3207"
_RFC8461 = "https://www.rfc-editor.org/rfc/rfc8461"
_RFC7672_EE = "https://www.rfc-editor.org/rfc/rfc7672#section-3.1.1"
_OUT_OF_DATE = (
    "Senders that verify the certificate — MTA-STS in enforce mode (RFC 8461), DANE with a "
    "trust-anchor TLSA record (usage 2, RFC 7672 §3.1.2) — refuse it.  Opportunistic senders "
    "(most) still deliver, and so do DANE senders matching a `3 1 1` record, which ignores "
    "dates (RFC 7672 §3.1.1)."
)

NOT_PROBED = Finding("smtp.not-probed", Status.INFO, "An MX host was not probed on port 25")
NOTHING_TO_PROBE = Finding("smtp.nothing-to-probe", Status.INFO, "No MX host to probe")
NOT_APPLICABLE = Finding(
    "smtp.not-applicable", Status.SKIP, "Not checked: the domain does not exist (NXDOMAIN)"
)
NULL_MX = Finding(
    "smtp.null-mx", Status.INFO, "Not applicable: the domain accepts no mail (null MX)"
)
MX_UNKNOWN = Finding(
    "smtp.mx-unknown", Status.INFO, "The MX hosts are unknown: nothing probed on port 25"
)
STEP_DISABLED = Finding(
    "smtp.step-disabled",
    Status.INFO,
    "A step of the port-25 probe was turned off with --disable",
)
STARTTLS_OK = Finding(
    "smtp.starttls", Status.PASS, "The MX answers SMTP and encrypts with STARTTLS"
)
CERTIFICATE_OK = Finding(
    "smtp.certificate-valid", Status.PASS, "The MX presents a valid certificate for its name"
)
PORT_BLOCKED = Finding(
    "smtp.port-blocked-here",
    Status.WARN,
    "No MX answered on port 25: the port looks blocked or intercepted on this machine's side",
    Hint(
        "Run the audit from a machine that may connect out on port 25, or skip these probes "
        "with --no-smtp",
        (
            "Every MX host probed timed out on port 25 — what a network that blocks outgoing "
            "port 25 looks like: most home ISPs and many clouds (AWS, Google Cloud, Azure …) "
            "block it against spam.  When every connection opens but no MX ever greets, a "
            "firewall or proxy on this side is most likely taking the connections over.  "
            "Nothing is known to be wrong with the domain.",
            "Test from a server that sends mail, or ask the provider to lift the block; "
            "`smtpdoctor domain DOMAIN --no-smtp` audits everything else.",
            "If the MX hosts are in fact down or firewalled, a test from elsewhere shows it: "
            "`smtpdoctor check MXHOST:25`.",
        ),
    ),
)
UNREACHABLE = Finding(
    "smtp.unreachable",
    Status.FAIL,
    "The MX cannot be reached on port 25",
    Hint(
        "Make the MX accept connections on port 25 from the Internet — or test from elsewhere",
        (
            "Many home and cloud networks block outgoing port 25: run the audit from a "
            "server that may send mail, or use --no-smtp to skip these probes.",
            "Otherwise check that the MTA listens on port 25 on this address and that no "
            "firewall drops the connections: `ss -ltn 'sport = :25'` on the MX.",
        ),
    ),
)
SESSION_FAILED = Finding(
    "smtp.session-failed",
    Status.FAIL,
    "The MX does not complete the SMTP greeting and EHLO",
    Hint(
        "Make the MX greet with 220 and answer EHLO",
        (
            "Senders give up on an MX that refuses or breaks the session before any mail "
            "is offered, and try the next one or queue the mail.",
            "Run `smtpdoctor check MXHOST:25 --transcript` for the conversation.",
        ),
        "https://www.rfc-editor.org/rfc/rfc5321#section-4.3.2",
    ),
)
NO_STARTTLS = Finding(
    "smtp.no-starttls",
    Status.FAIL,
    "The MX does not offer STARTTLS: mail to it travels in clear",
    Hint(
        "Enable STARTTLS on the MX with a certificate for its name",
        (
            "Postfix: `smtpd_tls_cert_file`, `smtpd_tls_key_file` and "
            "`smtpd_tls_security_level = may` in main.cf.",
            "Exim: `tls_certificate`, `tls_privatekey` and `tls_advertise_hosts = *`.",
            "If STARTTLS is enabled but hidden (`250-XXXXXXXA`), a firewall's SMTP "
            "inspection strips it: turn that off.",
        ),
        _RFC3207,
    ),
)
TLS_FAILED = Finding(
    "smtp.tls-failed",
    Status.FAIL,
    "STARTTLS is offered but does not work",
    Hint(
        "Fix the MX's TLS set-up",
        (
            "Senders that cannot complete STARTTLS usually retry in clear, or not at all.",
            "Run `smtpdoctor check MXHOST:25 --tls starttls` for the handshake's details.",
        ),
        _RFC3207,
    ),
)
OUTDATED_TLS = Finding(
    "smtp.outdated-tls",
    Status.WARN,
    "The MX negotiates an outdated TLS version",
    Hint(
        "Offer TLS 1.2 and 1.3",
        (
            "TLS 1.0 and 1.1 are deprecated (RFC 8996).",
            "Postfix: `smtpd_tls_protocols = >=TLSv1.2`; update OpenSSL if it lacks 1.2.",
        ),
        "https://www.rfc-editor.org/rfc/rfc8996",
    ),
)
CERTIFICATE_EXPIRED = Finding(
    "smtp.certificate-expired",
    Status.WARN,
    "The MX's certificate has expired",
    Hint(
        "Renew the MX's certificate and reload the MTA",
        (_OUT_OF_DATE, "Automate the renewal (ACME) and reload the MTA after it."),
        _RFC8461,
    ),
)
CERTIFICATE_NOT_YET_VALID = Finding(
    "smtp.certificate-not-yet-valid",
    Status.WARN,
    "The MX's certificate is not valid yet",
    Hint(
        "Present a certificate that is valid now — or fix the clock of this machine",
        (
            _OUT_OF_DATE,
            "A certificate whose validity starts in the future was installed too early, or "
            "this machine's clock is wrong: compare with `date -u`.",
        ),
        _RFC8461,
    ),
)
CERTIFICATE_EXPIRES_SOON = Finding(
    "smtp.certificate-expires-soon",
    Status.WARN,
    "The MX's certificate expires soon",
    Hint(
        "Renew the MX's certificate before it expires",
        (
            "It is still valid: every sender delivers today.  Once it expires, senders that "
            "verify it (MTA-STS in enforce mode, DANE with a usage-2 TLSA record) refuse it; "
            "a `3 1 1` TLSA record ignores dates (RFC 7672 §3.1.1).",
            "Automate the renewal (ACME) and reload the MTA after it.",
        ),
        _RFC8461,
    ),
)
CERTIFICATE_NAME_MISMATCH = Finding(
    "smtp.certificate-name-mismatch",
    Status.WARN,
    "The MX's certificate is not valid for the MX host name",
    Hint(
        "Present a certificate that names the MX host (as the MX record spells it)",
        (
            "Senders that check the name — MTA-STS in enforce mode (RFC 8461 §4.1), DANE "
            "with a trust-anchor TLSA record (usage 2) — refuse it.  Opportunistic senders "
            "(most) still deliver, and so do DANE senders matching a `3 1 1` record, which "
            "ignores names (RFC 7672 §3.1.1).",
            "Add the MX host name to the certificate's subjectAltName, e.g. "
            "`certbot certonly -d mx1.example.com`, and point the MTA at it.",
        ),
        "https://www.rfc-editor.org/rfc/rfc8461#section-4.1",
    ),
)
CERTIFICATE_UNTRUSTED = Finding(
    "smtp.certificate-untrusted",
    Status.WARN,
    "The MX's certificate is not trusted",
    Hint(
        "Use a certificate from a public CA, sent with its intermediate certificates",
        (
            "Senders that need a public CA — MTA-STS in enforce mode (RFC 8461 §4.2) — refuse "
            "it.  DANE senders accept it when a TLSA record matches it (`3 1 1` for the "
            "server's key, `2 1 1` for a private CA), and opportunistic senders (most) deliver "
            "anyway.",
            "For MTA-STS use a certificate from a public CA (Let's Encrypt is free); for DANE "
            "alone a self-signed or private-CA certificate with a matching TLSA record is fine.",
            "Configure the full chain: Postfix `smtpd_tls_chain_files`, Exim "
            "`tls_certificate` pointing at fullchain.pem.",
        ),
        "https://www.rfc-editor.org/rfc/rfc8461#section-4.2",
    ),
)
CERTIFICATE_WEAK = Finding(
    "smtp.certificate-weak",
    Status.WARN,
    "The MX's certificate has a weak key or signature",
    Hint(
        "Reissue the certificate with an RSA 2048+ or EC P-256 key, signed with SHA-256",
        (
            "It is still valid: senders deliver.  But weak keys and SHA-1 signatures can be "
            "forged, public CAs no longer issue them, and some senders' TLS libraries refuse "
            "them.",
        ),
    ),
)
INJECTION = Finding(
    "smtp.starttls-injection",
    Status.FAIL,
    "The MX is vulnerable to STARTTLS command injection",
    Hint(
        "Update the MTA: it must discard plaintext read ahead of the TLS handshake",
        (
            "The MX executed, inside TLS, a command that was sent in clear together with "
            "STARTTLS (CVE-2011-0411 and its kin): a man-in-the-middle can inject commands "
            "into the encrypted session.",
            "RFC 3207 §4.2: after the handshake the server must discard what it learnt "
            "before it.  Update the MTA (Postfix fixed this in 2.8.0, 2011) or the "
            "appliance in front of it.",
        ),
        "https://www.postfix.org/CVE-2011-0411.html",
    ),
)
INJECTION_SAFE = Finding(
    "smtp.starttls-injection-safe",
    Status.PASS,
    "The MX is not vulnerable to STARTTLS command injection",
)
INJECTION_UNTESTED = Finding(
    "smtp.starttls-injection-untested",
    Status.INFO,
    "The STARTTLS command injection probe could not be completed",
)
OTHER_PROBLEM = Finding(
    "smtp.other-problem",
    Status.WARN,
    "The port-25 probe found other problems",
    Hint(
        "Run `smtpdoctor check MXHOST:25` for these rows and their hints",
        ("The rows are those of the check pipeline, summed up here.",),
    ),
)

#: The ``certificate`` check's findings, by what they mean for an MX.
_CERTIFICATE_FINDINGS: Mapping[str, Finding] = {
    "certificate.expired": CERTIFICATE_EXPIRED,
    "certificate.not-yet-valid": CERTIFICATE_NOT_YET_VALID,
    "certificate.expires-soon": CERTIFICATE_EXPIRES_SOON,
    "certificate.expires-critically-soon": CERTIFICATE_EXPIRES_SOON,
    "certificate.hostname-mismatch": CERTIFICATE_NAME_MISMATCH,
    "certificate.weak-key": CERTIFICATE_WEAK,
    "certificate.weak-signature": CERTIFICATE_WEAK,
}
#: What each certificate finding means for senders, in the row's summary (the hint says more).
_CONSEQUENCES: Mapping[str, str] = {
    CERTIFICATE_EXPIRED.id: "senders that verify it (MTA-STS enforce, DANE-TA) refuse it; "
    "opportunistic ones and DANE-EE (3 1 1) still deliver",
    CERTIFICATE_NOT_YET_VALID.id: "senders that verify it (MTA-STS enforce, DANE-TA) refuse "
    "it; opportunistic ones and DANE-EE (3 1 1) still deliver",
    CERTIFICATE_EXPIRES_SOON.id: "still valid: every sender delivers until it expires",
    CERTIFICATE_NAME_MISMATCH.id: "senders that check the name (MTA-STS enforce, DANE-TA) "
    "refuse it; opportunistic ones and DANE-EE (3 1 1) still deliver",
    CERTIFICATE_UNTRUSTED.id: "MTA-STS enforce senders refuse it; DANE senders accept it only "
    "if a TLSA record matches; opportunistic ones still deliver",
    CERTIFICATE_WEAK.id: "still valid: senders deliver",
}
#: The ``certificate`` check's findings that make the certificate invalid for the MX name.
_INVALID_CERTIFICATE = frozenset(
    {
        "certificate.expired",
        "certificate.not-yet-valid",
        "certificate.hostname-mismatch",
        "certificate.missing",
        "certificate.unreadable",
    }
)
#: The steps this check sums up that ``--disable`` may turn off (the others are essential),
#: in order, with what turning each off leaves unchecked, in words.
_STEP_WORDS: Mapping[str, str] = {
    "tls": "STARTTLS, the certificate and STARTTLS injection",
    "certificate": "the certificate",
}
#: The ``tcp`` check's findings for a connection attempt that got no answer at all.
_CONNECT_TIMEOUTS = frozenset({CONNECT_FINDINGS["timeout"], TIMEOUT_ON_BLOCKED_PORT}) | frozenset(
    CLOUD_BLOCKED.values()
)
#: The ``greeting`` check's findings for a connection on which the server never spoke.
_SILENT_GREETINGS = frozenset({"greeting.silent", "greeting.silent-implicit-tls-port"})
#: The ``tls`` check's findings for STARTTLS not offered at all.
_NO_STARTTLS_FINDINGS = frozenset({"tls.starttls-not-offered", "tls.starttls-masked"})
#: The statuses of a pipeline row that ends the session (a WARN lets it go on).
_STOPPING = frozenset({Status.FAIL, Status.ERROR})
#: The pipeline rows this check sums up itself; the others' problems are passed on.
_SUMMED_UP = frozenset({"tcp", "greeting", "ehlo", "tls", "certificate"})


@dataclass(frozen=True, slots=True)
class _Probed:
    """One exchanger, probed (or not) on port 25."""

    exchanger: Exchanger
    probe: ExchangerProbe
    injection: InjectionResult | None = None


class SMTP(DomainCheck):
    """Each MX host on port 25: greeting, EHLO, STARTTLS, certificate, STARTTLS injection."""

    id = "smtp"
    title = "MX on port 25"
    requires = ("mx",)
    findings = (
        NOT_PROBED,
        NOTHING_TO_PROBE,
        NOT_APPLICABLE,
        NULL_MX,
        MX_UNKNOWN,
        STEP_DISABLED,
        STARTTLS_OK,
        CERTIFICATE_OK,
        PORT_BLOCKED,
        UNREACHABLE,
        SESSION_FAILED,
        NO_STARTTLS,
        TLS_FAILED,
        OUTDATED_TLS,
        CERTIFICATE_EXPIRED,
        CERTIFICATE_NOT_YET_VALID,
        CERTIFICATE_EXPIRES_SOON,
        CERTIFICATE_NAME_MISMATCH,
        CERTIFICATE_UNTRUSTED,
        CERTIFICATE_WEAK,
        INJECTION,
        INJECTION_SAFE,
        INJECTION_UNTESTED,
        OTHER_PROBLEM,
    )

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        exchangers = ctx.stash.get(EXCHANGERS) or ()
        instead = routing_row(ctx, no_domain=NOT_APPLICABLE, null_mx=NULL_MX)
        if instead is not None:
            ctx.stash[PROBES] = ()
            return [instead]
        if not ctx.request.smtp:
            ctx.stash[PROBES] = tuple(
                ExchangerProbe(exchanger.host, None, not_probed="--no-smtp")
                for exchanger in exchangers
            )
            return [
                NOT_PROBED.outcome(
                    "port 25 not probed (--no-smtp): greeting, STARTTLS, certificate and "
                    "STARTTLS injection of the MX hosts were not checked",
                    {"hosts": tuple(exchanger.host for exchanger in exchangers)},
                )
            ]
        if not exchangers:
            ctx.stash[PROBES] = ()
            unknown = unknown_mx_set(ctx)
            if unknown:
                return [MX_UNKNOWN.outcome(f"nothing probed on port 25: {unknown}")]
            return [NOTHING_TO_PROBE.outcome("no MX host to probe (see the MX section)")]
        chosen = exchangers[: ctx.request.max_exchangers]
        with ThreadPoolExecutor(
            max_workers=min(PARALLEL_PROBES, len(chosen)), thread_name_prefix="smtpdoctor-mx25"
        ) as pool:
            probed = list(pool.map(lambda exchanger: _probe(ctx, exchanger), chosen))
        ctx.stash[PROBES] = tuple(item.probe for item in probed)
        port = ctx.request.smtp_port
        if _blocked_here(probed):
            return [
                _blocked_row(probed, port),
                *(
                    row
                    for item in probed
                    if item.probe.report is None
                    for row in _rows(item, port, ctx.disabled)
                ),
            ]
        return [row for item in probed for row in _rows(item, port, ctx.disabled)]


# -- probing ---------------------------------------------------------------------------------


def _probe(ctx: DomainContext, exchanger: Exchanger) -> _Probed:
    """The pipeline's run against ``exchanger`` on the audit's SMTP port, then the injection
    probe when STARTTLS worked, then — only when that probe got no certificate chain — a
    clean STARTTLS handshake for it: at most three connections, each bounded."""
    if not exchanger.addresses:
        said = exchanger.failure or "see the MX section"
        why = (
            f"its address look-up failed ({said})"
            if exchanger.address_failure is not None
            else f"it has no address ({said})"
        )
        return _Probed(exchanger, ExchangerProbe(exchanger.host, None, not_probed=why))
    request = ctx.request
    remaining = ctx.remaining()
    if remaining < MIN_PROBE_TIME:
        why = (
            f"less than {MIN_PROBE_TIME:g} s was left of the audit's "
            f"{request.deadline:g} s (--deadline)"
        )
        return _Probed(exchanger, ExchangerProbe(exchanger.host, None, not_probed=why))
    from smtpdoctor.api import Request

    try:
        plan = ctx.doctor.plan(
            Request(
                f"{exchanger.host}:{request.smtp_port}",
                tls=TLSMode.STARTTLS,
                dns_servers=request.dns_servers,
                timeout=request.timeout,
                deadline=min(remaining, request.timeout * PIPELINE_STEPS),
                helo_name=request.helo_name,
                ca_file=request.ca_file,
                family=request.family,
                source_address=request.source_address,
                cert_warn_days=request.cert_warn_days,
                cert_crit_days=request.cert_crit_days,
                environment_root=None,
                # the plugins are the audit's, loaded once; what --disable named applies
                plugins=PluginSelection(disabled=ctx.disabled),
            )
        )
    except ConfigError as exc:
        return _Probed(exchanger, ExchangerProbe(exchanger.host, None, not_probed=str(exc)))
    if (plan.host, plan.endpoint.port) != (exchanger.host, request.smtp_port):
        why = f"{exchanger.host} is a provider's mail domain, which the pipeline would not probe"
        return _Probed(exchanger, ExchangerProbe(exchanger.host, None, not_probed=why))
    report = ctx.doctor.run(plan)
    address = _details(report, "tcp").get("address")
    reached = address if isinstance(address, str) else None
    tls = report.result("tls")
    if tls is None or "version" not in tls.outcome.details:  # no handshake: nothing to probe
        return _Probed(exchanger, _facts(exchanger.host, report, (), reached, ctx.disabled))
    first = (reached,) if reached in exchanger.addresses else ()
    target = InjectionTarget(
        exchanger.host,
        request.smtp_port,
        (*first, *(a for a in exchanger.addresses if a != reached)),
        helo_name=request.helo_name,
        family=request.family,
        source_address=request.source_address,
    )
    budget = min(ctx.remaining(), request.timeout * INJECTION_STEPS)
    injection = probe_starttls_injection(
        target, timeout=request.timeout, deadline_at=time.monotonic() + budget
    )
    address_used = injection.address or reached
    chain = injection.peer_chain
    if not chain and address_used is not None and ctx.remaining() >= MIN_PROBE_TIME:
        # The probe stopped before its handshake (a refused pipelined STARTTLS): DANE still
        # needs the chain, so one clean handshake — a third connection, only in this case.
        chain = starttls_chain(
            replace(target, addresses=(address_used,)),
            timeout=request.timeout,
            deadline_at=time.monotonic() + min(ctx.remaining(), request.timeout * CHAIN_STEPS),
        )
    return _Probed(
        exchanger, _facts(exchanger.host, report, chain, address_used, ctx.disabled), injection
    )


def _facts(
    host: str,
    report: Report,
    chain: tuple[bytes, ...],
    address: str | None,
    disabled: frozenset[str],
) -> ExchangerProbe:
    """The probe of ``host``, with the verdict on STARTTLS and the certificate."""
    starttls, valid, problem = _verdict(report, disabled)
    return ExchangerProbe(
        host,
        report,
        chain,
        address,
        starttls=starttls,
        certificate_valid=valid,
        certificate_problem=problem,
    )


def _verdict(report: Report, disabled: frozenset[str]) -> tuple[bool | None, bool | None, str]:
    """``(starttls, certificate_valid, certificate_problem)``, read once from the pipeline's
    ``tls`` and ``certificate`` rows.  Valid means verification passed: trusted, in date, the
    name matches — a certificate that expires soon or has a weak key is still valid.  A step
    ``disabled`` (``--disable``) leaves what it would have found unknown."""
    tls = report.result("tls")
    if "tls" in disabled:
        return None, None, "STARTTLS was not tried (--disable tls)"
    if tls is None or tls.status in (Status.SKIP, Status.ERROR):
        stopped = next((row for row in report.results if row.status in _STOPPING), None)
        reason = f"{stopped.check_id}: {stopped.summary}" if stopped else "STARTTLS not tried"
        return None, None, f"the probe did not get to STARTTLS ({reason})"
    if "version" not in tls.outcome.details:  # no handshake
        if tls.outcome.finding == "tls.certificate-refused":  # and not fetched again
            return True, False, tls.summary
        return False, None, f"no TLS: {tls.summary}"
    certificate = report.result("certificate")
    if "certificate" in disabled:
        return True, None, "the certificate was not checked (--disable certificate)"
    if certificate is None or certificate.status in (Status.SKIP, Status.ERROR):
        return True, None, "the certificate was not checked"
    verification = certificate.outcome.details.get("verification")
    if certificate.outcome.finding in _INVALID_CERTIFICATE or (
        isinstance(verification, str) and verification.startswith("failed")
    ):
        return True, False, certificate.summary
    if verification == "passed":
        return True, True, ""
    return True, None, f"the certificate was not verified ({certificate.summary})"


def _blocked_here(probed: list[_Probed]) -> bool:
    """Every MX probed timed out: connecting (none refused), or connected but never greeted
    (a firewall or proxy on this side that takes the connection over and stays silent).  The
    port is then most likely blocked or intercepted on this machine's side, not on each MX."""
    reports = [item.probe.report for item in probed if item.probe.report is not None]
    return bool(reports) and all(_timed_out(report) for report in reports)


def _timed_out(report: Report) -> bool:
    tcp, greeting = report.result("tcp"), report.result("greeting")
    return (tcp is not None and tcp.outcome.finding in _CONNECT_TIMEOUTS) or (
        greeting is not None and greeting.outcome.finding in _SILENT_GREETINGS
    )


def _blocked_row(probed: list[_Probed], port: int) -> Outcome:
    hosts = tuple(item.exchanger.host for item in probed if item.probe.report is not None)
    return PORT_BLOCKED.outcome(
        f"no answer on port {port} from {', '.join(hosts)} before the timeout (no connection, "
        "or a connection on which nothing ever greeted): outgoing port "
        f"{port} looks blocked or intercepted on this machine's side (many ISPs and clouds "
        "block it); the MX hosts were not tested — run from elsewhere, or use --no-smtp",
        {"hosts": hosts, "port": port},
    )


# -- the rows --------------------------------------------------------------------------------


def _rows(item: _Probed, port: int, disabled: frozenset[str]) -> list[Outcome]:
    """One MX's rows: what the pipeline's report says, in words a domain owner reads; a step
    that ``disabled`` (``--disable``) turned off is said to be off."""
    host, report = item.exchanger.host, item.probe.report
    if report is None:
        return [
            NOT_PROBED.outcome(
                f"{host} not probed: {item.probe.not_probed}", {"host": host, "port": port}
            )
        ]
    where = f"{host} ({item.probe.address})" if item.probe.address else host
    facts: dict[str, DetailValue] = {"host": host, "address": item.probe.address, "port": port}
    off = _disabled_step(report, disabled)
    rows = _session_rows(report, where, facts, item.exchanger, stop_at=off)
    if off is not None:
        rows.append(
            STEP_DISABLED.outcome(
                f"{where}: --disable {off}: {_STEP_WORDS[off]} not checked",
                {**facts, "disabled": off},
            )
        )
    rows += _other_problems(report, where, facts)
    if item.injection is not None:
        rows.append(_injection_row(item.injection, where, facts))
    return rows


def _disabled_step(report: Report, disabled: frozenset[str]) -> str | None:
    """The first step this check sums up that ``--disable`` turned off, if any (the
    connection, greeting and EHLO cannot be)."""
    return next(
        (
            check_id
            for check_id in _STEP_WORDS
            if check_id in disabled
            and (row := report.result(check_id)) is not None
            and row.status is Status.SKIP
        ),
        None,
    )


def _session_rows(
    report: Report,
    where: str,
    facts: dict[str, DetailValue],
    exchanger: Exchanger,
    *,
    stop_at: str | None = None,
) -> list[Outcome]:
    """The rows of the connection, greeting, EHLO, STARTTLS and certificate steps, up to
    ``stop_at`` (a step turned off: ``tls`` or ``certificate``), which gets none."""
    tcp = report.result("tcp")
    if tcp is None or tcp.status in (Status.FAIL, Status.ERROR, Status.SKIP):
        summary = tcp.summary if tcp is not None else "no connection was attempted"
        return [UNREACHABLE.outcome(f"{where} on port {facts['port']}: {summary}", facts)]
    for check_id in ("greeting", "ehlo"):
        row = report.result(check_id)
        if row is not None and row.status in (Status.FAIL, Status.ERROR, Status.SKIP):
            return [
                SESSION_FAILED.outcome(
                    f"{where}: {check_id}: {row.summary}", {**facts, "step": check_id}
                )
            ]
    tls = report.result("tls")
    if tls is None or stop_at == "tls":
        return []
    if tls.outcome.finding == "tls.starttls-not-offered":
        return [
            NO_STARTTLS.outcome(
                f"{where}: does not offer STARTTLS: mail to it crosses the network in clear, "
                "readable and changeable by anyone on the path",
                facts,
            )
        ]
    if tls.outcome.finding in _NO_STARTTLS_FINDINGS:
        return [NO_STARTTLS.outcome(f"{where}: {tls.summary}", facts)]
    if tls.status not in (Status.PASS, Status.WARN):
        return [TLS_FAILED.outcome(f"{where}: {tls.summary}", {**facts, **_tls_facts(tls)})]
    finding = OUTDATED_TLS if tls.status is Status.WARN else STARTTLS_OK
    rows = [finding.outcome(f"{where}: {tls.summary}", {**facts, **_tls_facts(tls)})]
    certificate = report.result("certificate")
    if certificate is not None and stop_at is None and certificate.status is not Status.SKIP:
        rows.append(_certificate_row(certificate, where, facts, exchanger.canonical_name))
    return rows


def _tls_facts(tls: CheckResult) -> dict[str, DetailValue]:
    details = tls.outcome.details
    return {key: details[key] for key in ("version", "cipher", "cipher_bits") if key in details}


def _certificate_row(
    row: CheckResult, where: str, facts: dict[str, DetailValue], alias_target: str = ""
) -> Outcome:
    """The certificate's row; for an MX that is an alias (CNAME) of ``alias_target`` and a
    certificate that names the target, what that means for each kind of sender."""
    details = row.outcome.details
    evidence: dict[str, DetailValue] = {
        **facts,
        **{
            key: details[key]
            for key in ("subject", "issuer", "sans", "not_after", "days_left", "verification")
            if key in details
        },
    }
    if row.status is Status.PASS:
        return CERTIFICATE_OK.outcome(f"{where}: {row.summary}", evidence)
    finding = _CERTIFICATE_FINDINGS.get(row.outcome.finding or "", CERTIFICATE_UNTRUSTED)
    consequence = _CONSEQUENCES[finding.id]
    sans = details.get("sans")
    if (
        finding is CERTIFICATE_NAME_MISMATCH
        and alias_target
        and isinstance(sans, tuple)
        and hostname_matches(alias_target, [str(name) for name in sans])
    ):
        consequence = (
            f"it matches the alias target {alias_target}, which DANE-TA senders accept when "
            "DNSSEC vouches for the CNAME (RFC 7672 §3.2.2), as do DANE-EE (3 1 1) and "
            "opportunistic ones; MTA-STS enforce senders match the name in the MX record "
            "and refuse it"
        )
        evidence["alias_target"] = alias_target
    return finding.outcome(f"{where}: {row.summary} — {consequence}", evidence)


def _other_problems(report: Report, where: str, facts: dict[str, DetailValue]) -> list[Outcome]:
    problems = [
        row for row in report.results if row.check_id not in _SUMMED_UP and row.status.is_problem
    ]
    if not problems:
        return []
    return [
        OTHER_PROBLEM.outcome(
            f"{where}: " + "; ".join(f"{row.check_id}: {row.summary}" for row in problems),
            {**facts, "rows": tuple(row.outcome.finding or row.check_id for row in problems)},
        )
    ]


def _injection_row(result: InjectionResult, where: str, facts: dict[str, DetailValue]) -> Outcome:
    evidence: dict[str, DetailValue] = {**facts, "verdict": result.verdict.value}
    if result.verdict is Verdict.VULNERABLE:
        return INJECTION.outcome(
            f"{where}: {result.explanation}", {**evidence, "reply": result.reply}
        )
    if result.verdict is Verdict.UNTESTED:
        return INJECTION_UNTESTED.outcome(
            f"{where}: STARTTLS injection not tested: {result.explanation}", evidence
        )
    return INJECTION_SAFE.outcome(
        f"{where}: not vulnerable to STARTTLS command injection: {result.explanation}", evidence
    )


def _details(report: Report, check_id: str) -> Mapping[str, DetailValue]:
    row = report.result(check_id)
    return row.outcome.details if row is not None else {}


@hookimpl
def smtpdoctor_register_domain_checks(register: RegisterDomainCheck) -> None:
    """Register the ``smtp`` domain check."""
    register(SMTP)
