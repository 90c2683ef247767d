"""``tls``: encrypt the connection — STARTTLS on 25/587, implicit TLS on 465.

When certificate verification refuses the server's certificate, the handshake is aborted (no
password may cross such a connection).  To still tell the user *what* is wrong with the
certificate, this check then reconnects once without verification and keeps the chain for the
``certificate`` check, which reports the failure.
"""

from __future__ import annotations

from smtpdoctor.core.check import Check, CheckContext, RegisterCheck, StashKey, reply_outcome
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.model.results import DetailValue, Outcome, Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.net.session import Session
from smtpdoctor.net.transport import (
    ConnectionClosed,
    TLSDetails,
    TLSError,
    TransportError,
    describe_alert,
)
from smtpdoctor.protocol import RemoteProtocolError, StartTLS
from smtpdoctor.settings.config import RunConfig

#: Why verification refused the certificate (OpenSSL's words), for the ``certificate`` check.
VERIFICATION_FAILURE: StashKey[str] = StashKey("tls.verification_failure")

#: TLS versions a mail server should no longer offer (RFC 8996 deprecates 1.0 and 1.1).
OUTDATED_VERSIONS = frozenset({"SSLv3", "TLSv1", "TLSv1.1"})
#: The newest TLS version there is: a client that offers it is not the old side.
NEWEST_VERSION = "TLSv1.3"
#: OpenSSL's reasons when the two sides share no protocol version.
OLD_PROTOCOL_REASONS = frozenset(
    {"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE"}
)
#: Alerts by which a server refuses every cipher suite (or version) the client offered.
NO_COMMON_CIPHER_ALERTS = frozenset({"handshake_failure", "insufficient_security"})
#: Alerts by which a server refuses to go on without a (trusted) client certificate.
CLIENT_CERTIFICATE_ALERTS = frozenset({"certificate_required", "bad_certificate", "unknown_ca"})
#: The reasons :mod:`~smtpdoctor.net.transport` gives when the connection closed or broke.
DROPPED_REASONS = frozenset({"EOF", "CONNECTION"})


class TLS(Check):
    """Negotiate TLS and report the protocol version and cipher."""

    id = "tls"
    title = "TLS"
    findings = (
        "tls.starttls-not-offered",
        "tls.starttls-masked",
        "tls.starttls-refused",
        "tls.plaintext-on-implicit-port",
        "tls.no-tls-after-starttls",
        "tls.outdated-version",
        "tls.protocol-version",
        "tls.no-common-cipher",
        "tls.client-certificate-required",
        "tls.server-internal-error",
        "tls.reset",
        "tls.handshake-failed",
        "tls.ehlo-after-starttls",
        "tls.certificate-refused",
    )

    @classmethod
    def dependencies(cls, config: RunConfig) -> tuple[str, ...]:
        return ("tcp",) if config.tls_mode is TLSMode.IMPLICIT else ("ehlo",)

    def run(self, ctx: CheckContext) -> Outcome:
        mode = ctx.config.tls_mode
        if mode is TLSMode.NONE:
            return Outcome(Status.SKIP, "not attempted (--tls none): nothing is encrypted")
        refused = False
        if mode is TLSMode.STARTTLS:
            refusal = _request_starttls(ctx)
            if refusal is not None:
                return refusal
        try:
            details = ctx.session.start_tls(verify=not ctx.config.insecure)
        except TLSError as exc:
            if exc.kind != "certificate":
                return _handshake_failure(exc, mode)
            ctx.stash[VERIFICATION_FAILURE] = exc.verify_message or str(exc)
            inspected = _inspect_without_verification(ctx.session, mode)
            if inspected is None:
                return Outcome(
                    Status.FAIL,
                    f"the certificate was refused ({exc.verify_message}) and could not be "
                    "fetched again for inspection",
                    finding="tls.certificate-refused",
                )
            details = inspected
            refused = True
        if mode is TLSMode.STARTTLS:
            try:
                again = ctx.session.ehlo()
            except ConnectionClosed as exc:
                # TLS 1.3: a server refuses the client's (missing) certificate only after the
                # client's half of the handshake (its own certificate long sent), so its alert
                # answers this EHLO.
                if exc.alert is None:
                    raise
                return _alert_outcome(exc.alert, {"alert": exc.alert}, after_certificate=True)
            if not again.is_success:
                return reply_outcome(
                    Status.FAIL,
                    f"TLS works, but EHLO inside TLS was refused: {again.summary()}",
                    again,
                    finding="tls.ehlo-after-starttls",
                )
        return _verdict(ctx, details, mode, certificate_refused=refused)


def _request_starttls(ctx: CheckContext) -> Outcome | None:
    caps = ctx.session.capabilities
    assert caps is not None  # "ehlo" passed
    if not caps.supports("STARTTLS"):
        if caps.masked:
            return Outcome(
                Status.FAIL,
                f"STARTTLS is hidden: the EHLO reply shows {', '.join(caps.masked)} where an "
                "extension should be — a firewall or proxy is stripping STARTTLS",
                finding="tls.starttls-masked",
                details={"masked": caps.masked},
            )
        on_submission = ctx.config.is_submission_port
        return Outcome(
            Status.FAIL if on_submission else Status.WARN,
            "the server does not offer STARTTLS: mail and passwords would cross the network "
            "in clear",
            finding="tls.starttls-not-offered",
        )
    reply = ctx.session.command(StartTLS())
    if reply.is_success:
        return None
    return reply_outcome(
        Status.FAIL,
        f"the server offers STARTTLS but refused it: {reply.summary()}",
        reply,
        finding="tls.starttls-refused",
    )


def _handshake_failure(exc: TLSError, mode: TLSMode) -> Outcome:
    details: dict[str, DetailValue] = {"reason": exc.reason}
    if exc.alert is not None:
        details["alert"] = exc.alert
    if exc.reason == "WRONG_VERSION_NUMBER" and mode is TLSMode.IMPLICIT:
        return Outcome(
            Status.FAIL,
            "the server answered the TLS handshake in plaintext: this port speaks STARTTLS "
            "(or no TLS), not implicit TLS",
            finding="tls.plaintext-on-implicit-port",
            details=details,
        )
    if exc.reason == "WRONG_VERSION_NUMBER":
        return Outcome(
            Status.FAIL,
            "after agreeing to STARTTLS the server did not start TLS (it kept talking plaintext)",
            finding="tls.no-tls-after-starttls",
            details=details,
        )
    if exc.reason in OLD_PROTOCOL_REASONS:
        return _version_mismatch(exc, details)
    if exc.alert is not None:
        return _alert_outcome(exc.alert, details, after_certificate=exc.after_server_certificate)
    if exc.reason in DROPPED_REASONS:
        return Outcome(Status.FAIL, str(exc), finding="tls.reset", details=details)
    return Outcome(Status.FAIL, str(exc), finding="tls.handshake-failed", details=details)


def _alert_outcome(
    alert: str, details: dict[str, DetailValue], *, after_certificate: bool
) -> Outcome:
    """The verdict on a handshake the server ended with ``alert``.

    TLS 1.2 has no alert of its own for a missing client certificate: servers send
    ``handshake_failure``, but only after their certificate and CertificateRequest, whereas
    a cipher mismatch is refused right after the ClientHello, before any certificate.
    """
    refused = f"the server refused the handshake: {describe_alert(alert)}"
    if alert == "handshake_failure" and after_certificate:
        return Outcome(
            Status.FAIL,
            "the server refused the handshake after sending its certificate: it requires a "
            "client certificate, which smtpdoctor does not present (TLS alert "
            "handshake_failure)",
            finding="tls.client-certificate-required",
            details=details,
        )
    if alert in CLIENT_CERTIFICATE_ALERTS:
        finding = "tls.client-certificate-required"
    elif alert in NO_COMMON_CIPHER_ALERTS:
        finding = "tls.no-common-cipher"
    elif alert == "internal_error":
        finding = "tls.server-internal-error"
    else:
        finding = "tls.handshake-failed"
    return Outcome(Status.FAIL, refused, finding=finding, details=details)


def _version_mismatch(exc: TLSError, details: dict[str, DetailValue]) -> Outcome:
    """No protocol version in common: say which side is the old one when that can be told
    from what this client offered and who refused."""
    low, high = exc.offered or ("TLSv1.2", NEWEST_VERSION)
    offered = _versions(low, high)
    details["offered"] = offered
    if exc.reason == "NO_PROTOCOLS_AVAILABLE":
        details["old_side"] = "client"
        return Outcome(
            Status.FAIL,
            "this client has no TLS version enabled that it may use (OpenSSL: "
            "NO_PROTOCOLS_AVAILABLE): check this machine's OpenSSL configuration",
            finding="tls.protocol-version",
            details=details,
        )
    if exc.alert is None:  # we refused the version the server chose
        details["old_side"] = "server"
        return Outcome(
            Status.FAIL,
            f"no TLS version in common: the server chose a version older than {_versions(low)}, "
            f"the oldest this client accepts (OpenSSL: {exc.reason})",
            finding="tls.outdated-version",
            details=details,
        )
    if high == NEWEST_VERSION:
        details["old_side"] = "server"
        return Outcome(
            Status.FAIL,
            f"the server refused the handshake: no TLS version in common; this client "
            f"offered {offered}, so the server offers only older versions (TLS alert "
            "protocol_version)",
            finding="tls.outdated-version",
            details=details,
        )
    details["old_side"] = "client"
    return Outcome(
        Status.FAIL,
        f"the server refused the handshake: no TLS version in common; this client offered "
        f"only {offered}, so the server requires a newer version (TLS alert protocol_version)",
        finding="tls.protocol-version",
        details=details,
    )


def _versions(low: str, high: str | None = None) -> str:
    """``TLS 1.2``, or ``TLS 1.2 to 1.3`` for a range (from OpenSSL's ``TLSv1.2``)."""
    first = low.replace("TLSv", "TLS ")
    if high is None or high == low:
        return first
    return f"{first} to {high.removeprefix('TLSv')}"


def _inspect_without_verification(session: Session, mode: TLSMode) -> TLSDetails | None:
    session.note("certificate refused; reconnecting once without verification to inspect it")
    try:
        session.connect()
        if mode is TLSMode.STARTTLS:
            if session.read_greeting().code != 220 or not session.ehlo().is_success:
                return None
            if not session.command(StartTLS()).is_success:
                return None
        return session.start_tls(verify=False)
    except (TransportError, RemoteProtocolError):
        return None


def _verdict(
    ctx: CheckContext, details: TLSDetails, mode: TLSMode, *, certificate_refused: bool
) -> Outcome:
    how = "implicit TLS" if mode is TLSMode.IMPLICIT else "STARTTLS"
    summary = f"{how}: {details.version}, {details.cipher} ({details.cipher_bits}-bit)"
    facts = {
        "mode": mode.value,
        "version": details.version,
        "cipher": details.cipher,
        "cipher_bits": details.cipher_bits,
        "verified": details.verified,
    }
    if ctx.config.insecure:
        summary += "; certificate NOT verified (--insecure)"
    elif certificate_refused:
        summary += "; the certificate was refused (see the certificate row)"
    if details.version in OUTDATED_VERSIONS:
        return Outcome(
            Status.WARN,
            f"{summary}; {details.version} is outdated (RFC 8996), offer TLS 1.2 or newer",
            finding="tls.outdated-version",
            details=facts,
        )
    return Outcome(Status.PASS, summary, details=facts)


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``tls`` check."""
    register(TLS)
