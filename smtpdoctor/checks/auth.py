"""``auth``: which login mechanisms the server offers, and whether our credentials work.

The password is base64-encoded here and handed to the session inside commands whose
transcript form is ``[redacted]``; it never enters a result, a detail or an error message.
"""

from __future__ import annotations

import base64

from smtpdoctor.check import Check, CheckContext, RegisterCheck, reply_outcome
from smtpdoctor.config import AuthMechanism, Credentials, RunConfig, TLSMode
from smtpdoctor.hookspecs import hookimpl
from smtpdoctor.protocol import Auth, AuthResponse, Reply
from smtpdoctor.results import DetailValue, Outcome, Status
from smtpdoctor.session import Session

#: Mechanisms smtpdoctor can log in with, best first.
SUPPORTED = ("PLAIN", "LOGIN")
#: A LOGIN exchange has two challenges; more means the server is confused or hostile.
MAX_CHALLENGES = 3

#: Findings per failure reply code (RFC 4954 §6 and the codes servers really use).
FAILURE_FINDINGS = {
    535: "auth.rejected",
    534: "auth.mechanism-too-weak",
    538: "auth.encryption-required",
    530: "auth.required",
    504: "auth.mechanism-unsupported",
    454: "auth.temporary-failure",
    432: "auth.password-transition",
}


class Authentication(Check):
    """List AUTH mechanisms; log in with ``--user`` when given (PLAIN or LOGIN)."""

    id = "auth"
    title = "Authentication"

    @classmethod
    def dependencies(cls, config: RunConfig) -> tuple[str, ...]:
        # Not "certificate": whether the password may be sent is decided here, from the
        # connection itself (encrypted? verified?), so the mechanisms are listed either way.
        if config.tls_mode is TLSMode.NONE:
            return ("ehlo",)
        return ("ehlo", "tls")

    def run(self, ctx: CheckContext) -> Outcome:
        session, config = ctx.session, ctx.config
        caps = session.capabilities
        assert caps is not None  # "ehlo" passed
        mechanisms = caps.auth_mechanisms
        before_tls = session.capabilities_before_tls
        details: dict[str, DetailValue] = {
            "mechanisms": mechanisms,
            "mechanisms_before_tls": before_tls.auth_mechanisms if before_tls else None,
        }
        credentials = config.credentials
        if not mechanisms:
            return _nothing_offered(config, credentials, details)
        if credentials is None:
            return Outcome(
                Status.INFO,
                f"offers {' '.join(mechanisms)}; give --user to test a login",
                details=details,
            )
        refusal = _refuse_to_send(session, config)
        if refusal is not None:
            return Outcome(Status.SKIP, refusal, details=details, finding="auth.not-attempted")
        mechanism = _choose(config.auth_mechanism, mechanisms)
        if mechanism is None:
            return Outcome(
                Status.FAIL,
                f"no common mechanism: the server offers {' '.join(mechanisms)}, "
                f"smtpdoctor can use {' '.join(SUPPORTED)}",
                details=details,
                finding="auth.no-common-mechanism",
            )
        details["mechanism"] = mechanism
        details["user"] = credentials.username
        reply = _login(session, mechanism, credentials)
        if reply.is_success:
            session.authenticated = True
            return reply_outcome(
                Status.PASS,
                f"logged in as {credentials.username} with {mechanism}",
                reply,
                details=details,
            )
        finding = FAILURE_FINDINGS.get(reply.code, "auth.failed")
        return reply_outcome(
            Status.FAIL,
            f"login as {credentials.username} with {mechanism} refused: {reply.summary()}",
            reply,
            finding=finding,
            details=details,
        )


def _nothing_offered(
    config: RunConfig, credentials: Credentials | None, details: dict[str, DetailValue]
) -> Outcome:
    if credentials is not None:
        return Outcome(
            Status.FAIL,
            "the server offers no AUTH, so it cannot log you in here",
            details=details,
            finding="auth.not-offered",
        )
    if config.is_submission_port:
        return Outcome(
            Status.WARN,
            f"no AUTH offered on submission port {config.port}",
            details=details,
            finding="auth.not-offered",
        )
    return Outcome(Status.INFO, "no AUTH offered (normal for a port-25 MX)", details=details)


def _refuse_to_send(session: Session, config: RunConfig) -> str | None:
    """Why we must not send a password on this connection, or None when it is safe."""
    if not session.is_tls and not config.allow_plaintext_auth:
        return (
            "not attempted: the connection is not encrypted, so the password would cross the "
            "network in clear (use TLS, or --allow-plaintext-auth on a network you trust)"
        )
    tls = session.tls
    if tls is not None and not tls.verified and not config.insecure:
        return "not attempted: the server's certificate was not verified"
    return None


def _choose(wanted: AuthMechanism, offered: tuple[str, ...]) -> str | None:
    if wanted is AuthMechanism.AUTO:
        return next((mech for mech in SUPPORTED if mech in offered), None)
    name = wanted.value.upper()
    return name if name in offered else None


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _login(session: Session, mechanism: str, credentials: Credentials) -> Reply:
    if mechanism == "PLAIN":
        token = f"\0{credentials.username}\0{credentials.password.reveal()}"
        return _answer_challenges(session, session.command(Auth("PLAIN", _b64(token))), [])
    answers = [
        AuthResponse(_b64(credentials.username), sensitive=False),
        AuthResponse(_b64(credentials.password.reveal())),
    ]
    return _answer_challenges(session, session.command(Auth("LOGIN")), answers)


def _answer_challenges(session: Session, reply: Reply, answers: list[AuthResponse]) -> Reply:
    """Answer each 334 with the next response; cancel with ``*`` when we have none left."""
    for _ in range(MAX_CHALLENGES):
        if reply.code != 334:
            return reply
        answer = answers.pop(0) if answers else AuthResponse("*", sensitive=False)
        reply = session.command(answer)
    return reply


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``auth`` check."""
    register(Authentication)
