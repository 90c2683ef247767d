"""smtpdoctor plugin: does this mail server relay mail for strangers?

An open relay accepts mail from anyone, to anyone, and spammers find it within hours.  The
check ``open-relay`` asks the server, without logging in, to take a message from an outside
sender (``MAIL FROM``) to an outside recipient (``RCPT TO``) — both in domains no mail server
serves (RFC 2606) — and reads the answer to ``RCPT``:

* refused (5xx): the server does not relay for strangers — PASS;
* accepted (2xx): it would relay — FAIL;
* deferred (4xx): greylisting or a temporary policy — WARN, try again later.

It then aborts with ``RSET`` and never sends ``DATA``, so no message is ever sent.  Because it
is an active probe, it runs only when asked for: ``--option open-relay.probe=yes`` (or
``SMTPDOCTOR_OPEN_RELAY_PROBE=yes`` in the environment); otherwise it takes no part in a run.
``open-relay.from`` and ``open-relay.to`` choose other addresses.
"""

from __future__ import annotations

import os
import re

from smtpdoctor import (
    Check,
    CheckContext,
    CheckResult,
    Hint,
    Outcome,
    RegisterCheck,
    RunConfig,
    Status,
    TLSMode,
    hookimpl,
    reply_outcome,
)
from smtpdoctor.protocol import MailFrom, RcptTo, Reply, Rset

__version__ = "1.0.0"

#: ``--option`` that turns the probe on, and the environment variable that does the same.
PROBE_OPTION = "open-relay.probe"
PROBE_ENV = "SMTPDOCTOR_OPEN_RELAY_PROBE"
FROM_OPTION = "open-relay.from"
TO_OPTION = "open-relay.to"
#: Outside addresses in reserved domains (RFC 2606): no real server is their destination.
DEFAULT_FROM = "smtpdoctor-probe@example.com"
DEFAULT_TO = "smtpdoctor-probe@example.net"
_YES = frozenset({"1", "yes", "true", "on"})

ACCEPTED = "open-relay.accepted"
REFUSED = "open-relay.refused"
DEFERRED = "open-relay.deferred"
SENDER_REFUSED = "open-relay.sender-refused"


def opted_in(config: RunConfig) -> bool:
    """Whether this run asked for the probe (the option wins over the environment)."""
    value = config.options.get(PROBE_OPTION, os.environ.get(PROBE_ENV, ""))
    return value.strip().lower() in _YES


class OpenRelayProbe(Check):
    """MAIL FROM an outside sender, RCPT TO an outside recipient, without AUTH; then RSET."""

    id = "open-relay"
    title = "Open relay probe"
    requires = ("ehlo", "tls")

    @classmethod
    def dependencies(cls, config: RunConfig) -> tuple[str, ...]:
        # after EHLO and, when the run encrypts, after STARTTLS (or implicit TLS)
        return ("ehlo",) if config.tls_mode is TLSMode.NONE else cls.requires

    @classmethod
    def applies(cls, config: RunConfig) -> bool:
        return opted_in(config)

    def run(self, ctx: CheckContext) -> Outcome:
        session = ctx.session
        if session.authenticated:
            return Outcome(
                Status.SKIP,
                "not run: this session is logged in (--user), and a logged-in client may "
                "relay; run the probe without --user",
            )
        sender = ctx.config.options.get(FROM_OPTION, DEFAULT_FROM)
        recipient = ctx.config.options.get(TO_OPTION, DEFAULT_TO)
        details = {"from": sender, "to": recipient}
        mail = session.command(MailFrom(sender))
        if not mail.is_success:
            session.command(Rset())
            return _sender_refused(mail, sender, details)
        rcpt = session.command(RcptTo(recipient))
        session.command(Rset())  # abort: DATA is never sent
        asked = f"RCPT TO:<{recipient}> from <{sender}> without login"
        if rcpt.is_success:
            return reply_outcome(
                Status.FAIL,
                f"OPEN RELAY: the server accepted {asked} ({rcpt.summary()})",
                rcpt,
                finding=ACCEPTED,
                details=details,
            )
        if rcpt.is_permanent:
            return reply_outcome(
                Status.PASS,
                f"refuses to relay: {asked} answered {rcpt.summary()}",
                rcpt,
                finding=REFUSED,
                details=details,
            )
        return reply_outcome(
            Status.WARN,
            f"inconclusive: {asked} deferred ({rcpt.summary()}); greylisting or a temporary "
            "policy, run the probe again later",
            rcpt,
            finding=DEFERRED,
            details=details,
        )


def _sender_refused(mail: Reply, sender: str, details: dict[str, str]) -> Outcome:
    if mail.code == 530 and re.search(r"auth", mail.text, re.I):
        return reply_outcome(
            Status.PASS,
            f"refuses mail from strangers before they log in: MAIL FROM:<{sender}> answered "
            f"{mail.summary()}",
            mail,
            finding=REFUSED,
            details=details,
        )
    return reply_outcome(
        Status.INFO,
        f"inconclusive: MAIL FROM:<{sender}> was refused ({mail.summary()}), so relaying could "
        f"not be tried; choose a sender the server accepts with -o {FROM_OPTION}=ADDRESS",
        mail,
        finding=SENDER_REFUSED,
        details=details,
    )


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register ``open-relay`` (it takes part in a run only when opted in)."""
    register(OpenRelayProbe)


@hookimpl
def smtpdoctor_hints(result: CheckResult) -> list[Hint] | None:
    """How to close an open relay, and what to do about an inconclusive probe."""
    finding = result.outcome.finding
    if finding == ACCEPTED:
        return [
            Hint(
                "Close the open relay now: relay only for your own networks and logged-in users",
                (
                    "Postfix: smtpd_relay_restrictions = permit_mynetworks, "
                    "permit_sasl_authenticated, reject_unauth_destination; keep mynetworks "
                    "to your own addresses.",
                    "Exim: accept relaying in acl_check_rcpt only for +relay_from_hosts and "
                    "authenticated senders; keep relay_from_hosts to your own addresses.",
                    "Exchange: remove Ms-Exch-SMTP-Accept-Any-Recipient for Anonymous Logon "
                    "from the Internet-facing receive connector.",
                    "Then check whether your addresses were listed on DNS blocklists.",
                ),
            )
        ]
    if finding == DEFERRED:
        return [Hint("Run the probe again in a few minutes: greylisting defers first attempts")]
    return None
