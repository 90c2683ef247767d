"""``auth``: which login mechanisms the server offers (before and after TLS), and whether our
credentials work with PLAIN, LOGIN, CRAM-MD5 or XOAUTH2.

The SASL exchanges themselves are :mod:`smtpdoctor.protocol.sasl`'s; this check decides whether a
secret may be sent at all, picks the mechanism, drives the challenges over the session and
turns the server's verdict into a finding.  Secrets reach the session only inside commands
whose transcript form is ``[redacted]``, and the session is told to scrub every form of them
from whatever the server sends back; they never enter a result, a detail or an error message.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtpdoctor.core.check import Check, CheckContext, RegisterCheck, reply_outcome
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.model.results import DetailValue, Hint, Outcome, Status
from smtpdoctor.model.words import AuthMechanism, TLSMode
from smtpdoctor.net.session import Session
from smtpdoctor.protocol import Auth, AuthResponse, Reply, sasl
from smtpdoctor.settings.config import RunConfig

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
    """List the AUTH mechanisms; log in with ``--user`` (PLAIN, LOGIN, CRAM-MD5, XOAUTH2)."""

    id = "auth"
    title = "Authentication"
    findings = (
        "auth.not-offered",
        "auth.not-attempted",
        "auth.no-common-mechanism",
        "auth.mechanism-not-offered",
        "auth.token-rejected",
        "auth.bad-challenge",  # from smtpdoctor.protocol.sasl
        "auth.unexpected-challenge",  # from smtpdoctor.protocol.sasl
        *FAILURE_FINDINGS.values(),
        "auth.failed",
    )

    @classmethod
    def dependencies(cls, config: RunConfig) -> tuple[str, ...]:
        # Not "certificate": whether a secret may be sent is decided here, from the
        # connection itself (encrypted? verified?), so the mechanisms are listed either way.
        if config.tls_mode is TLSMode.NONE:
            return ("ehlo",)
        return ("ehlo", "tls")

    def run(self, ctx: CheckContext) -> Outcome:
        session, config = ctx.session, ctx.config
        caps = session.capabilities
        assert caps is not None  # "ehlo" passed
        offered = caps.auth_mechanisms
        before = session.capabilities_before_tls
        before_tls = before.auth_mechanisms if before is not None else None
        details: dict[str, DetailValue] = {
            "mechanisms": offered,
            "mechanisms_before_tls": before_tls,
        }
        difference = describe_tls_difference(before_tls, offered)
        credentials = config.credentials
        if not offered:
            return _nothing_offered(config, details, difference)
        if credentials is None:
            return Outcome(
                Status.INFO,
                f"offers {' '.join(offered)}{difference}; give --user to test a login",
                details=details,
            )
        refusal = _refuse_to_send(session, config)
        if refusal is not None:
            return Outcome(Status.SKIP, refusal, details=details, finding="auth.not-attempted")
        password = credentials.password.reveal() if credentials.password else None
        token = config.oauth_token.reveal() if config.oauth_token else None
        chosen = _choose(config, offered, session, password=password, token=token)
        if isinstance(chosen, Outcome):
            return Outcome(
                chosen.status,
                chosen.summary + difference,
                details=details,
                finding=chosen.finding,
                hints=chosen.hints,
            )
        details["mechanism"] = chosen
        details["user"] = credentials.username
        mechanism = sasl.create(chosen, credentials.username, password=password, token=token)
        for secret in (password, token):
            if secret is not None:
                session.redact(*sasl.secret_forms(secret))
        exchange = _exchange(session, mechanism)
        who = f"as {credentials.username} with {chosen}"
        if exchange.reply.is_success and exchange.problem is None:
            session.authenticated = True
            unverified = session.tls is not None and not session.tls.verified
            honesty = "; certificate NOT verified (--insecure)" if unverified else ""
            return reply_outcome(
                Status.PASS,
                f"logged in {who}{difference}{honesty}",
                exchange.reply,
                details=details,
            )
        return _failure(exchange, mechanism, who, details)


@dataclass(frozen=True, slots=True)
class Exchange:
    """How an AUTH exchange ended: the server's last reply and, when we gave up on a
    challenge, why."""

    reply: Reply
    problem: sasl.ChallengeError | None = None


def _exchange(session: Session, mechanism: sasl.Mechanism) -> Exchange:
    """Send AUTH and answer each ``334`` until the server decides; cancel with ``*`` when a
    challenge cannot be answered."""
    initial = mechanism.initial_response()
    if initial is not None:
        session.redact(initial.text)
    reply = session.command(Auth(mechanism.name, initial.text if initial else None))
    while reply.code == 334:
        try:
            response = mechanism.respond(reply.lines[0] if reply.lines else "")
        except sasl.ChallengeError as problem:
            return Exchange(
                session.command(AuthResponse(sasl.CANCEL.text, sensitive=False)), problem
            )
        if response.secret:
            session.redact(response.text)
        reply = session.command(AuthResponse(response.text, sensitive=response.secret))
    return Exchange(reply)


def _failure(
    exchange: Exchange, mechanism: sasl.Mechanism, who: str, details: dict[str, DetailValue]
) -> Outcome:
    reply = exchange.reply
    if exchange.problem is not None:
        # The reply answers our own "*": it decided nothing, so the outcome does not carry it
        # (no hint, plugin or metric may read it as the server's verdict on the login).
        details["cancel_reply"] = reply.summary()
        return Outcome(
            Status.FAIL,
            f"login {who} abandoned: {exchange.problem}; smtpdoctor cancelled it "
            f"(the server answered {reply.summary()})",
            details=details,
            finding=exchange.problem.finding,
        )
    if isinstance(mechanism, sasl.XOAuth2) and (reply.code == 535 or mechanism.error):
        return _token_refused(reply, mechanism, who, details)
    finding = FAILURE_FINDINGS.get(reply.code, "auth.failed")
    return reply_outcome(
        Status.FAIL,
        f"login {who} refused: {reply.summary()}",
        reply,
        finding=finding,
        details=details,
    )


def _token_refused(
    reply: Reply, mechanism: sasl.XOAuth2, who: str, details: dict[str, DetailValue]
) -> Outcome:
    error = mechanism.error
    summary = f"login {who} refused: {reply.summary()}"
    steps = [
        "Access tokens expire (Google's and Microsoft's after about an hour): get a fresh one "
        "from your token command or identity provider.",
        "The token must belong to the user given with --user (for a shared mailbox, its "
        "address) and must have been issued for mail sending.",
    ]
    if error is not None:
        summary += f"; OAuth error: {error.describe()}"
        details.update(
            oauth_status=error.status, oauth_schemes=error.schemes, oauth_scope=error.scope
        )
        if error.scope:
            steps.append(f"Request the scope {error.scope} when you obtain the token.")
    return reply_outcome(
        Status.FAIL,
        summary,
        reply,
        finding="auth.token-rejected",
        details=details,
        hints=(Hint("The OAuth token was refused", tuple(steps)),),
    )


def describe_tls_difference(before: tuple[str, ...] | None, after: tuple[str, ...]) -> str:
    """A summary suffix when STARTTLS changed the AUTH mechanisms offered, else ``""``."""
    if before is None or set(before) == set(after):
        return ""
    if not before:
        return " (AUTH only after STARTTLS)"
    return f" (before STARTTLS: {' '.join(before)})"


def _nothing_offered(
    config: RunConfig, details: dict[str, DetailValue], difference: str
) -> Outcome:
    if config.credentials is not None:
        return Outcome(
            Status.FAIL,
            f"the server offers no AUTH{difference}, so it cannot log you in here",
            details=details,
            finding="auth.not-offered",
        )
    if config.is_submission_port:
        return Outcome(
            Status.WARN,
            f"no AUTH offered on submission port {config.port}{difference}",
            details=details,
            finding="auth.not-offered",
        )
    return Outcome(
        Status.INFO, f"no AUTH offered{difference} (normal for a port-25 MX)", details=details
    )


def _refuse_to_send(session: Session, config: RunConfig) -> str | None:
    """Why we must not send a secret on this connection, or None when it is safe."""
    if not session.is_tls and not config.allow_plaintext_auth:
        credentials = config.credentials
        secret = "password" if credentials and credentials.password else "token"
        return (
            f"not attempted: the connection is not encrypted, so the {secret} would cross the "
            "network in clear (use TLS, or --allow-plaintext-auth on a network you trust)"
        )
    tls = session.tls
    if tls is not None and not tls.verified and not config.insecure:
        return "not attempted: the server's certificate was not verified"
    return None


def _choose(
    config: RunConfig,
    offered: tuple[str, ...],
    session: Session,
    *,
    password: str | None,
    token: str | None,
) -> str | Outcome:
    """The mechanism to log in with, or the FAIL outcome saying why there is none."""
    have_password, have_token = password is not None, token is not None
    if config.auth_mechanism is not AuthMechanism.AUTO:
        wanted = str(config.auth_mechanism.value).upper()
        if wanted in offered:
            return wanted
        ours = [name.lower() for name in sasl.SUPPORTED if name in offered]
        return Outcome(
            Status.FAIL,
            f"the server does not offer {wanted}; it offers {' '.join(offered)}",
            finding="auth.mechanism-not-offered",
            hints=(
                Hint(
                    "Choose a mechanism the server offers",
                    (
                        "Use --auth-mechanism auto"
                        + (f", or one of: {', '.join(ours)}." if ours else "."),
                    ),
                ),
            ),
        )
    chosen = sasl.choose(
        offered, have_password=have_password, have_token=have_token, encrypted=session.is_tls
    )
    if chosen is not None:
        return chosen
    ours = [
        name
        for name in sasl.SUPPORTED
        if sasl.usable(name, have_password=have_password, have_token=have_token)
    ]
    return Outcome(
        Status.FAIL,
        f"no common mechanism: the server offers {' '.join(offered)}, smtpdoctor can use "
        f"{' '.join(ours)} with the secret given",
        finding="auth.no-common-mechanism",
        hints=_other_mechanisms_hint(offered, have_password=have_password, have_token=have_token),
    )


def _other_mechanisms_hint(
    offered: tuple[str, ...], *, have_password: bool, have_token: bool
) -> tuple[Hint, ...]:
    """What to give instead, when the server offers a mechanism we lack the secret for."""
    if "XOAUTH2" in offered and not have_token:
        return (
            Hint(
                "Log in with an OAuth token instead",
                (
                    "The server offers XOAUTH2: give a token with $SMTPDOCTOR_OAUTH_TOKEN, "
                    "--oauth-token-file or --oauth-token-command, and --auth-mechanism auto.",
                ),
            ),
        )
    if sasl.PASSWORD_MECHANISMS & set(offered) and not have_password:
        return (
            Hint(
                "Log in with a password instead",
                (
                    "The server offers "
                    + " ".join(sorted(sasl.PASSWORD_MECHANISMS & set(offered)))
                    + ": give the password with $SMTPDOCTOR_PASSWORD or --password-file.",
                ),
            ),
        )
    return ()


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``auth`` check."""
    register(Authentication)
