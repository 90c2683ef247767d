"""``send``: send one test message on the checked connection — MAIL, RCPT, DATA — and say
what the server did with it.

Opt-in (``--send-to``).  Runs after ``auth`` when credentials were given, on the same
connection.  Nothing lost, nothing doubled: the message is sent at most once per run, and
when the connection breaks after the final ``.`` but before the server's reply, the verdict
is "delivery status UNKNOWN" — the server may have accepted it — and it is never sent again.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from smtpdoctor.checks.relaying import (
    OutsideRecipient,
    ServerNames,
    announced_names,
    outside_recipient,
    refuses_relaying,
    served_here,
)
from smtpdoctor.core.check import Check, CheckContext, RegisterCheck, StashKey, reply_outcome
from smtpdoctor.core.hintcontext import server_software
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.model.results import DetailValue, Hint, Outcome, Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.net.transport import TransportError
from smtpdoctor.protocol import Data, MailFrom, MessageContent, RcptTo, RemoteProtocolError, Reply
from smtpdoctor.settings.config import RunConfig

if TYPE_CHECKING:  # the message module loads only when a run sends
    from smtpdoctor.delivery.message import BuiltMessage
    from smtpdoctor.settings.sending import SendRequest


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A test message the server accepted, for the checks that come after (``delivery``)."""

    token: str
    message_id: str
    sender: str
    recipient: str
    queue_id: str | None
    accepted_at: float
    """:func:`time.monotonic` when the server's ``250`` to the final ``.`` arrived."""


#: Set by ``send`` when the server accepted the message.
SENT: StashKey[SentMessage] = StashKey("sent-message")

#: The findings :func:`classify` gives a refusal of MAIL, RCPT, DATA or the message.
REFUSAL_FINDINGS = (
    "send.greylisted",
    "send.temporary-failure",
    "send.auth-required",
    "send.size-exceeded",
    "send.sender-refused",
    "send.relay-denied",
    "send.recipient-unknown",
    "send.recipient-refused",
    "send.message-refused",
)

_GREYLISTED = re.compile(r"gr[ae]y-?\s?list|try again later|retry later|temporarily deferred", re.I)
_SENDER_NOT_ALLOWED = re.compile(
    r"sendas|not allowed to send as|not authori[sz]ed to send|verified sender identity|"
    r"not owned by|sender address rejected|bad outbound sender",
    re.I,
)
_UNKNOWN_RECIPIENT = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|"
    r"recipient not found|mailbox unavailable|invalid recipient|unknown recipient",
    re.I,
)
_SIZE = re.compile(r"size|too (big|large)|exceed", re.I)
_QUEUE_ID = (
    re.compile(r"queued as\s+<?([^\s>]+)", re.I),
    re.compile(r"\bid[=:]\s*<?([^\s>]+)", re.I),
    re.compile(r"(\S+)\s+-\s+gsmtp\b"),
    re.compile(r"^ok:?\s+<?([^\s>]+)", re.I),
)


class Send(Check):
    """MAIL FROM (with SIZE when offered), RCPT TO, DATA and a real RFC 5322 message."""

    id = "send"
    title = "Test message"
    findings = (
        "send.not-attempted",
        "send.smtputf8-not-offered",
        "send.connection-lost",
        "send.status-unknown",
        "send.open-relay",
        *REFUSAL_FINDINGS,
    )

    @classmethod
    def applies(cls, config: RunConfig) -> bool:
        return config.send is not None

    @classmethod
    def dependencies(cls, config: RunConfig) -> tuple[str, ...]:
        needs = ("ehlo",) if config.tls_mode is TLSMode.NONE else ("ehlo", "tls")
        return (*needs, "auth") if config.credentials is not None else needs

    def run(self, ctx: CheckContext) -> Outcome:
        request = ctx.config.send
        assert request is not None  # applies() said so
        from smtpdoctor.delivery.message import build_message, mail_parameters, new_token

        session = ctx.session
        caps = session.capabilities
        assert caps is not None  # "ehlo" passed
        tls = session.tls
        if tls is not None and not tls.verified and not ctx.config.insecure:
            return Outcome(
                Status.SKIP,
                "not sent: the server's certificate was not verified",
                finding="send.not-attempted",
            )
        if request.needs_smtputf8 and not caps.supports("SMTPUTF8"):
            return _smtputf8_not_offered(request)
        message = build_message(
            request,
            token=new_token(),
            eight_bit_ok=caps.supports("8BITMIME") or caps.supports("SMTPUTF8"),
        )
        details: dict[str, DetailValue] = {
            "from": request.sender,
            "to": request.recipient,
            "token": message.token,
            "message_id": message.message_id,
            "size": message.size,
            "smtputf8": message.smtputf8,
            "body_8bit": message.eight_bit,
        }
        limit = caps.size_limit
        if limit and message.size > limit:
            return Outcome(
                Status.FAIL,
                f"not sent: the message is {message.size} bytes and the server accepts at most "
                f"{limit} (SIZE)",
                details=details,
                finding="send.size-exceeded",
            )
        parameters = mail_parameters(message, caps)
        details["mail_parameters"] = parameters
        mail = session.command(MailFrom(request.sender, parameters))
        if not mail.is_success:
            return _refused("MAIL", mail, request, details)
        rcpt = session.command(RcptTo(request.recipient))
        if not rcpt.is_success:
            return _rcpt_refused(ctx, rcpt, request, details)
        outside = _outside_without_login(ctx, request)
        data = session.command(Data())
        if data.code != 354:
            return _unless_open_relay(ctx, outside, rcpt, _refused("DATA", data, request, details))
        return _unless_open_relay(ctx, outside, rcpt, _transfer(ctx, message, request, details))


def _transfer(
    ctx: CheckContext, message: BuiltMessage, request: SendRequest, details: dict[str, DetailValue]
) -> Outcome:
    """Send the content and read the verdict — the one step that must never be repeated."""
    session = ctx.session
    try:
        session.send(MessageContent(message.content))
    except TransportError as exc:
        return Outcome(
            Status.FAIL,
            f"not delivered: the connection broke while the message was being sent ({exc}); "
            "the server never saw its end, so it cannot have accepted it",
            details=details,
            finding="send.connection-lost",
        )
    try:
        reply = session.read_reply("the reply to the end of the message")
    except (TransportError, RemoteProtocolError) as exc:
        session.note("delivery status unknown: no reply to the end of the message")
        return Outcome(
            Status.FAIL,
            f"delivery status UNKNOWN: the whole message was sent, but no reply came back "
            f"({exc}). The server may have accepted it; smtpdoctor did not send it again",
            details=details,
            finding="send.status-unknown",
            hints=(_STATUS_UNKNOWN_HINT,),
        )
    if not reply.is_success:
        return _refused("MESSAGE", reply, request, details)
    queue_id = parse_queue_id(reply)
    details["queue_id"] = queue_id
    ctx.stash[SENT] = SentMessage(
        token=message.token,
        message_id=message.message_id,
        sender=request.sender,
        recipient=request.recipient,
        queue_id=queue_id,
        accepted_at=time.monotonic(),
    )
    return reply_outcome(
        Status.PASS,
        f"accepted for {request.recipient}: {reply.summary()} ({message.size} bytes, "
        f"token {message.token})",
        reply,
        details=details,
    )


def _outside_without_login(
    ctx: CheckContext, request: SendRequest
) -> tuple[OutsideRecipient, ServerNames] | None:
    """The outside recipient the server just accepted from a client that did not log in
    (:mod:`smtpdoctor.checks.relaying` says what is outside), with the names the server goes
    by; None when the session is logged in or the recipient is the sender's or the server's
    own by name.  No DNS yet: :func:`_confirmed` asks only when the verdict depends on it."""
    session = ctx.session
    if session.authenticated:
        return None
    greeting = session.greeting
    first_line = greeting.lines[0] if greeting is not None and greeting.lines else None
    ehlo = (session.capabilities_before_tls, session.capabilities)
    domains = [caps.domain for caps in ehlo if caps is not None]
    server = ServerNames(
        host=ctx.config.host,
        announced=announced_names([first_line, *domains]),
        mail_domain=ctx.config.mail_domain,
        address=session.peer_address,
    )
    relayed = outside_recipient(request.sender, request.recipient, server)
    return None if relayed is None else (relayed, server)


def _confirmed(
    ctx: CheckContext, relayed: OutsideRecipient, server: ServerNames
) -> OutsideRecipient | None:
    """``relayed``, with where its domain's mail goes, unless that is this server (its MX,
    asked of DNS now): then None, for the domain is the server's own."""
    exchangers = ctx.session.mail_exchangers(relayed.domain)
    hosts = [(lookup.name, lookup.records) for lookup in exchangers.addresses]
    if served_here(hosts, server) is not None:
        return None
    if exchangers.hosts:
        return replace(relayed, exchangers=exchangers.hosts)
    if exchangers.mx.found:  # RFC 7505
        return replace(relayed, dns_note="its null MX says it takes no mail at all")
    return replace(relayed, dns_note=f"its MX: {exchangers.mx.explanation}")


#: Findings that stand even after an outside recipient was accepted without a login: the
#: server closed the relay after all (relay-denied, auth-required), or the connection broke
#: and what became of the message is the more urgent news.
_STANDS_AFTER_OPEN_RELAY = frozenset(
    {"send.relay-denied", "send.auth-required", "send.connection-lost", "send.status-unknown"}
)


def _unless_open_relay(
    ctx: CheckContext,
    outside: tuple[OutsideRecipient, ServerNames] | None,
    rcpt: Reply,
    after: Outcome,
) -> Outcome:
    """``after`` — how the send ended — unless the server accepted an outside recipient
    without a login: then a FAIL ``send.open-relay`` decided by the reply to RCPT, saying
    how the send ended too."""
    if outside is None or after.finding in _STANDS_AFTER_OPEN_RELAY:
        return after
    relayed = _confirmed(ctx, *outside)
    if relayed is None:
        return after
    if after.status is Status.PASS:
        what = f"took a message for {relayed.domain} without a login ({after.summary})"
    else:
        what = (
            f"accepted a recipient at {relayed.domain} without a login ({rcpt.summary()}), "
            f"though this message was then refused: {after.summary}"
        )
    return reply_outcome(
        Status.FAIL,
        f"OPEN RELAY: the server {what}; {relayed.describe()}. It relays for anyone, or it "
        "trusts this client's address (Postfix mynetworks, Exim relay_from_hosts)",
        rcpt,
        finding="send.open-relay",
        details={
            **after.details,
            "relay_to": relayed.domain,
            "server_domains": relayed.server_domains,
        },
    )


def parse_queue_id(reply: Reply) -> str | None:
    """The queue id in a ``250`` to the end of the message, in the forms servers use:
    ``queued as 4Xyz`` (Postfix, many ESPs), ``id=…`` (Exim), ``… ID - gsmtp`` (Gmail),
    ``OK <id>`` (Microsoft 365, Amazon SES); None when there is none."""
    text = reply.message
    for pattern in _QUEUE_ID:
        match = pattern.search(text)
        if match:
            return match.group(1).rstrip(".,;)]")
    return None


def classify(stage: str, reply: Reply, *, relay_refused: bool | None = None) -> str:
    """The finding for a refusal of ``stage`` (MAIL, RCPT, DATA or MESSAGE, the end of data):
    one of :data:`REFUSAL_FINDINGS`.  ``relay_refused`` is what
    :func:`~smtpdoctor.checks.relaying.refuses_relaying` read in the reply, knowing the
    server software and the recipient; without it, only the words any software uses count."""
    text = reply.text
    enhanced = str(reply.enhanced or "")
    if reply.is_transient:
        return "send.greylisted" if _GREYLISTED.search(text) else "send.temporary-failure"
    if reply.code == 530 or (enhanced in ("5.7.57", "5.7.0") and "auth" in text.lower()):
        return "send.auth-required"
    if enhanced in ("5.3.4", "5.2.3") or (
        reply.code == 552 and stage != "RCPT" and (not enhanced or _SIZE.search(text))
    ):
        return "send.size-exceeded"
    if enhanced == "5.2.252" or _SENDER_NOT_ALLOWED.search(text) or stage == "MAIL":
        return "send.sender-refused"
    if stage == "RCPT" and enhanced in ("5.1.1", "5.1.10"):
        # "bad destination mailbox", whatever the words: Postfix's "User unknown in relay
        # recipient table" names relaying but refuses an address of its own domains
        return "send.recipient-unknown"
    if relay_refused is None:
        relay_refused = refuses_relaying(text, None, outside=False)
    if relay_refused or (stage == "RCPT" and enhanced == "5.7.1"):
        return "send.relay-denied"
    if stage == "RCPT":
        if _UNKNOWN_RECIPIENT.search(text):
            return "send.recipient-unknown"
        return "send.recipient-refused"
    return "send.message-refused"


_SUMMARIES = {
    "send.greylisted": "greylisted: the server wants us to come back later ({reply}); smtpdoctor "
    "does not retry by itself, so run it again in a few minutes",
    "send.temporary-failure": "temporary failure at {stage} ({reply}); try again later",
    "send.auth-required": "the server wants a login before it takes mail: {reply}",
    "send.size-exceeded": "the server refused the message as too big: {reply}",
    "send.sender-refused": "the server refused the sender {sender}: {reply}",
    "send.relay-denied": "the server will not relay to {recipient} for this client: {reply}",
    "send.recipient-unknown": "the server does not know the recipient {recipient}: {reply}",
    "send.recipient-refused": "the server refused the recipient {recipient}: {reply}",
    "send.message-refused": "the server refused the message at {stage}: {reply}",
}
_STAGE_NAMES = {"MAIL": "MAIL FROM", "RCPT": "RCPT TO", "DATA": "DATA", "MESSAGE": "end of data"}


def _rcpt_refused(
    ctx: CheckContext, reply: Reply, request: SendRequest, details: dict[str, DetailValue]
) -> Outcome:
    """A refused RCPT, read with the server software in mind: OpenSMTPD's "Invalid
    recipient" and Haraka's "I cannot deliver mail for" refuse relaying when the recipient is
    outside the server's domains.  A relay refusal to a client that did not log in, from a
    server that offers AUTH, says to log in first."""
    session = ctx.session
    # known from what the server said before this reply: the reply that is being read must
    # not also be what names the software it is read by
    software = server_software(session, ctx.results)
    outside = _outside_without_login(ctx, request) is not None
    relay_refused = refuses_relaying(reply.text, software, outside=outside)
    outcome = _refused("RCPT", reply, request, details, relay_refused=relay_refused)
    offered = session.capabilities.auth_mechanisms if session.capabilities else ()
    if outcome.finding != "send.relay-denied" or session.authenticated or not offered:
        return outcome
    if not outside:  # refused for the server's own domain: logging in is not the answer
        return outcome
    return replace(outcome, hints=(*outcome.hints, _log_in_first(offered)))


def _log_in_first(offered: tuple[str, ...]) -> Hint:
    return Hint(
        "Log in first: --user ADDRESS",
        (
            f"This run did not log in, and the server offers AUTH ({' '.join(offered)}): it "
            "relays only for logged-in users. Run again with --user ADDRESS (the password "
            "from $SMTPDOCTOR_PASSWORD or --password-file); in your app, turn on SMTP "
            "authentication.",
        ),
    )


def _refused(
    stage: str,
    reply: Reply,
    request: SendRequest,
    details: dict[str, DetailValue],
    *,
    relay_refused: bool | None = None,
) -> Outcome:
    finding = classify(stage, reply, relay_refused=relay_refused)
    details["stage"] = _STAGE_NAMES[stage]
    summary = _SUMMARIES[finding].format(
        reply=reply.summary(),
        stage=_STAGE_NAMES[stage],
        sender=request.sender,
        recipient=request.recipient,
    )
    return reply_outcome(Status.FAIL, summary, reply, finding=finding, details=details)


def _smtputf8_not_offered(request: SendRequest) -> Outcome:
    address = request.sender if not request.sender.isascii() else request.recipient
    return Outcome(
        Status.FAIL,
        f"not sent: {address} is not an ASCII address, and the server does not offer SMTPUTF8 "
        "(RFC 6531), so it cannot take mail for or from it",
        details={"from": request.sender, "to": request.recipient},
        finding="send.smtputf8-not-offered",
        hints=(
            Hint(
                "This server cannot handle internationalised addresses",
                (
                    "Use an ASCII address (or its ASCII alias) for this mailbox.",
                    "Or send through a server whose EHLO lists SMTPUTF8 (Postfix 3.0+ with "
                    "smtputf8_enable = yes, Exchange Online, Gmail).",
                ),
            ),
        ),
    )


_STATUS_UNKNOWN_HINT = Hint(
    "Find out whether the message arrived before sending it again",
    (
        "The connection broke after the whole message was sent and before the server "
        "answered: it may be delivered, or not. Sending it again risks a duplicate.",
        "Look in the recipient's mailbox (or use --verify-imap next time), or ask the server's "
        "admin to search the mail log for the token shown in the details.",
        "A server that drops the connection at this point is often overloaded, or a "
        "firewall or antivirus proxy between you and it times out the DATA phase.",
    ),
)


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``send`` check."""
    register(Send)
