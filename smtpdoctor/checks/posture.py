"""``posture``: what the server offers *before* the connection is encrypted.

A well-configured submission server says nothing about logging in until STARTTLS is done
(or speaks TLS from the first byte).  This check reads what the other checks learnt — the
EHLO reply in clear, and whether TLS came — and sends nothing itself:

* AUTH offered in clear on a server that also offers STARTTLS: a client that does not insist
  on TLS may send the password before upgrading (WARN);
* PLAIN or LOGIN offered on a submission port with no STARTTLS at all, or on any port when
  ``--user`` says the user logs in there (WARN; INFO otherwise);
* EHLO refused and only HELO accepted, so STARTTLS cannot even be offered — typically a
  firewall's "SMTP inspection" mangling EHLO (FAIL).

(A masked STARTTLS, ``250-XXXXXXXA``, and a missing one are the ``tls`` check's findings.)

It depends on ``ehlo`` only, so it still runs when TLS failed; being registered after the
other builtin checks, it runs after ``tls`` has had its say.
"""

from __future__ import annotations

from smtpdoctor.core.check import Check, CheckContext, RegisterCheck
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.model.results import DetailValue, Outcome, Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.net.session import Session
from smtpdoctor.protocol import Capabilities

#: Mechanisms that put a reusable secret on the wire — the password, or a bearer token —
#: only base64-encoded, which is not encryption.
CLEARTEXT_MECHANISMS = frozenset({"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER", "XOAUTH"})


class SecurityPosture(Check):
    """Judge what the server offers in clear: AUTH before STARTTLS, AUTH without TLS."""

    id = "posture"
    title = "Security posture"
    requires = ("ehlo",)
    findings = ("posture.auth-before-starttls", "posture.plaintext-auth", "posture.ehlo-refused")

    def run(self, ctx: CheckContext) -> Outcome:
        config, session = ctx.config, ctx.session
        ehlo = ctx.results.get("ehlo")
        helo_only = ehlo is not None and ehlo.outcome.finding == "ehlo.helo-only"
        if helo_only and config.tls_mode is TLSMode.STARTTLS:
            return Outcome(
                Status.FAIL,
                "EHLO was refused and only HELO works, so the server cannot offer STARTTLS: "
                "nothing can be encrypted",
                finding="posture.ehlo-refused",
            )
        clear = capabilities_in_clear(session)
        if clear is None:
            return Outcome(
                Status.PASS,
                "TLS from the first byte: nothing, not even EHLO, crosses the network in clear",
            )
        mechanisms = clear.auth_mechanisms
        details: dict[str, DetailValue] = {
            "auth_in_clear": mechanisms,
            "starttls_offered": clear.supports("STARTTLS"),
            "masked": clear.masked,
        }
        if mechanisms and clear.supports("STARTTLS"):
            return Outcome(
                Status.WARN,
                f"AUTH ({' '.join(mechanisms)}) is offered before STARTTLS: a client that does "
                "not insist on TLS could send the password in clear",
                details=details,
                finding="posture.auth-before-starttls",
            )
        cleartext = tuple(mech for mech in mechanisms if mech in CLEARTEXT_MECHANISMS)
        if cleartext:
            where = f"port {config.port}"
            if config.is_submission_port:
                return Outcome(
                    Status.WARN,
                    f"{' '.join(cleartext)} offered without TLS on submission {where}: "
                    "passwords or tokens would cross the network in clear",
                    details=details,
                    finding="posture.plaintext-auth",
                )
            if config.credentials is not None:  # --user: this port is where you log in
                return Outcome(
                    Status.WARN,
                    f"{' '.join(cleartext)} offered without TLS on {where}, where you log "
                    "in: your password or token would cross the network in clear",
                    details=details,
                    finding="posture.plaintext-auth",
                )
            return Outcome(
                Status.INFO,
                f"{' '.join(cleartext)} offered without TLS on {where} (not a submission port)",
                details=details,
                finding="posture.plaintext-auth",
            )
        if mechanisms:
            return Outcome(
                Status.PASS,
                f"only {' '.join(mechanisms)} offered in clear, which do not send the password",
                details=details,
            )
        after = session.capabilities if session.capabilities_before_tls is not None else None
        if after is not None and after.auth_mechanisms:
            return Outcome(Status.PASS, "AUTH is offered only after STARTTLS", details=details)
        return Outcome(Status.PASS, "no AUTH offered in clear", details=details)


def capabilities_in_clear(session: Session) -> Capabilities | None:
    """The EHLO capabilities the server announced unencrypted; None when there were none
    (implicit TLS)."""
    if session.capabilities_before_tls is not None:
        return session.capabilities_before_tls
    if session.is_tls:
        return None
    return session.capabilities


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``posture`` check."""
    register(SecurityPosture)
