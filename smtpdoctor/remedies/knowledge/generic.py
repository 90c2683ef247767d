"""What replies mean when nothing more specific is known: RFC 3463 enhanced status codes (by
code, then by subject) and RFC 5321 reply classes.  These entries are the fallback; a more
specific hint for the same result replaces them."""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.knowledge import servers
from smtpdoctor.remedies.matcher import Advice, Match, Remedy, Section, Tier

RFC3463 = "https://www.rfc-editor.org/rfc/rfc3463"
ENHANCED_CODES = "https://www.iana.org/assignments/smtp-enhanced-status-codes"
RFC4954 = "https://www.rfc-editor.org/rfc/rfc4954"
RFC5321 = "https://www.rfc-editor.org/rfc/rfc5321"


def _code(
    code: str, hint: Hint, example: str | None = None, advice: tuple[Advice, ...] = ()
) -> Remedy:
    """What one enhanced status code means, in either class (``"X.7.8"``)."""
    return Remedy(Match(enhanced=code), hint, Tier.STATUS_CODE, example, advice)


def _subject(code: str, hint: Hint, example: str | None = None) -> Remedy:
    """What a subject of enhanced status codes means (``"X.7"``)."""
    return Remedy(Match(enhanced=code), hint, Tier.STATUS_SUBJECT, example)


_codes = (
    _code(
        "X.1.1",
        Hint(
            "The recipient address does not exist",
            (
                "Check the address for typos; the recipient's server has no such mailbox.",
                "If it worked before, the mailbox was closed or renamed.",
            ),
            ENHANCED_CODES,
        ),
        "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown",
    ),
    _code(
        "X.1.8",
        Hint(
            "The sender's domain is not accepted",
            (
                "The MAIL FROM domain does not resolve or may not send here: use an address at "
                "a real domain with MX or A records.",
            ),
            ENHANCED_CODES,
        ),
        "553 5.1.8 <a@example.invalid>: Sender address rejected: Domain not found",
    ),
    _code(
        "X.2.2",
        Hint(
            "The recipient's mailbox is full",
            ("The recipient must make room; retrying later may work.",),
            ENHANCED_CODES,
        ),
        "452 4.2.2 Mailbox full",
    ),
    _code(
        "X.3.4",
        Hint(
            "The message is too big for the server",
            (
                "Compare the message size with the SIZE the server announced after EHLO "
                "(RFC 1870); attachments grow by a third when encoded.",
                "Send a link instead of a large attachment.",
            ),
            ENHANCED_CODES,
        ),
        "552 5.3.4 Message size exceeds fixed maximum message size",
        servers.SIZE_LIMITS,
    ),
    _code(
        "X.4.1",
        Hint(
            "The next mail server did not answer",
            ("A temporary network problem between mail servers: retry later.",),
            ENHANCED_CODES,
        ),
        "451 4.4.1 No answer from host",
    ),
    _code(
        "X.4.2",
        Hint(
            "The connection between mail servers broke",
            ("Retry later; if it keeps happening, the receiving side has network trouble.",),
            ENHANCED_CODES,
        ),
        "421 4.4.2 Connection dropped",
    ),
    _code(
        "X.4.3",
        Hint(
            "A DNS lookup failed on the server's side",
            (
                "The server could not look up a domain (often the recipient's or the sender's "
                "MX): check that the domain's DNS answers, then retry.",
            ),
            ENHANCED_CODES,
        ),
        "451 4.4.3 Temporary lookup failure",
    ),
    _code(
        "X.4.4",
        Hint(
            "The server cannot route mail to that domain",
            ("Check the recipient's domain: it may have no MX or A record at all.",),
            ENHANCED_CODES,
        ),
        "550 5.4.4 Unable to route",
    ),
    _code(
        "X.4.7",
        Hint(
            "Delivery took too long and was given up",
            (
                "The message waited in a queue until it expired: check why the destination was "
                "unreachable, then send again.",
            ),
            ENHANCED_CODES,
        ),
        "554 5.4.7 Delivery time expired",
    ),
    _code(
        "X.5.1",
        Hint(
            "The server did not expect that command",
            (
                "A command was invalid or out of sequence (RFC 5321): a client bug, or a "
                "middlebox rewriting the conversation.",
            ),
            ENHANCED_CODES,
        ),
        "503 5.5.1 Error: need MAIL command",
    ),
    _code(
        "X.5.6",
        Hint(
            "The login line is too long",
            (
                "The AUTH line exceeded what the server accepts (RFC 4954): send the initial "
                "response after the 334 challenge instead of on the AUTH line.",
            ),
            RFC4954,
        ),
        "500 5.5.6 Authentication Exchange line is too long",
    ),
    _code(
        "X.6.7",
        Hint(
            "Non-ASCII addresses need SMTPUTF8",
            (
                "An address with non-ASCII characters can only be sent to a server that "
                "announces SMTPUTF8 (RFC 6531); use an ASCII address, or a server that "
                "supports it.",
            ),
            ENHANCED_CODES,
        ),
        "553 5.6.7 SMTPUTF8 is required, but was not offered by the host",
    ),
    _code(
        "X.7.1",
        Hint(
            "Not authorised to send this here",
            (
                "The server refuses by policy: relaying without logging in, a sender address "
                "the login may not use, or a blocked client address.",
                "Log in (--user), send from your own address, and check the reply text for "
                "the reason.",
            ),
            ENHANCED_CODES,
        ),
        "554 5.7.1 <bob@example.org>: Relay access denied",
    ),
    _code(
        "X.7.8",
        Hint(
            "The credentials are invalid",
            ("Check the user name and the password (or token).",),
            RFC4954,
        ),
        "535 5.7.8 Authentication credentials invalid",
    ),
    _code(
        "X.7.9",
        Hint(
            "The login method is too weak for this server",
            ("Use a stronger mechanism the server offers, over TLS.",),
            RFC4954,
        ),
        "534 5.7.9 Authentication mechanism is too weak",
    ),
    _code(
        "X.7.11",
        Hint(
            "Encryption is required for this login method",
            ("Start TLS first (--tls starttls or --tls implicit), then log in.",),
            RFC4954,
        ),
        "538 5.7.11 Encryption required for requested authentication mechanism",
    ),
    _code(
        "X.7.12",
        Hint(
            "A password change is needed",
            ("Change the password where the account is managed, then log in with the new one.",),
            RFC4954,
        ),
        "432 4.7.12 A password transition is needed",
    ),
    _code(
        "X.7.13",
        Hint(
            "The account is disabled",
            ("Ask the provider or your administrator to re-enable the account.",),
            ENHANCED_CODES,
        ),
        "525 5.7.13 User account disabled",
    ),
    _code(
        "X.7.14",
        Hint(
            "The server needs a trust relationship with this client",
            (
                "The server requires an established relationship (e.g. a registered IP "
                "address or certificate) before it accepts mail from you.",
            ),
            ENHANCED_CODES,
        ),
        "535 5.7.14 Trust relationship required",
    ),
    _code(
        "X.7.23",
        Hint(
            "SPF failed for the sender's domain",
            (
                "The sending IP is not in the SPF record of the MAIL FROM domain: add it (or "
                "the sending service's include:) to that domain's v=spf1 record.",
            ),
            ENHANCED_CODES,
        ),
        "550 5.7.23 SPF validation failed",
    ),
    _code(
        "X.7.24",
        Hint(
            "The sender's SPF record could not be evaluated",
            (
                "Keep exactly one v=spf1 record, with at most 10 DNS lookups and valid syntax "
                "(RFC 7208).",
            ),
            ENHANCED_CODES,
        ),
        "451 4.7.24 SPF validation error",
    ),
    _code(
        "X.7.25",
        Hint(
            "The sending IP address fails the reverse-DNS check",
            ("Give the sending IP a PTR record whose name resolves back to the same address.",),
            ENHANCED_CODES,
        ),
        "550 5.7.25 Reverse DNS validation failed",
    ),
    _code(
        "X.7.26",
        Hint(
            "The message failed several authentication checks (SPF, DKIM, DMARC)",
            ("Fix SPF and DKIM for the From domain so that DMARC passes.",),
            ENHANCED_CODES,
        ),
        "550 5.7.26 Multiple authentication checks failed",
    ),
    _code(
        "X.7.27",
        Hint(
            "The sender's domain says it receives no mail (null MX)",
            (
                "A domain with a null MX (RFC 7505) must not be used as a sender: send from a "
                "domain that accepts replies.",
            ),
            ENHANCED_CODES,
        ),
        "550 5.7.27 Sender address has null MX",
    ),
)

_subjects = (
    _subject(
        "X.1",
        Hint(
            "An address problem",
            (
                "Check the sender and recipient addresses: their syntax, and that their domains "
                "exist.",
            ),
            RFC3463,
        ),
        "501 5.1.3 Bad recipient address syntax",
    ),
    _subject(
        "X.2",
        Hint(
            "A problem with the recipient's mailbox",
            ("The mailbox exists but cannot take mail now (disabled, full, or over a limit).",),
            RFC3463,
        ),
        "450 4.2.1 Mailbox disabled, not accepting messages",
    ),
    _subject(
        "X.3",
        Hint(
            "A problem in the receiving mail system",
            (
                "Something on the server's side (full disk, overload, size limits): retry later, "
                "or tell its admin.",
            ),
            RFC3463,
        ),
        "452 4.3.1 Insufficient system storage",
    ),
    _subject(
        "X.4",
        Hint(
            "A network or routing problem between mail servers",
            ("Usually temporary: retry later.",),
            RFC3463,
        ),
        "451 4.4.0 DNS resolving error",
    ),
    _subject(
        "X.5",
        Hint(
            "A protocol problem",
            (
                "The command or its parameters were not acceptable: a client bug, or a "
                "middlebox in the way.",
            ),
            RFC3463,
        ),
        "501 5.5.2 Syntax error in parameters",
    ),
    _subject(
        "X.6",
        Hint(
            "A problem with the message content",
            (
                "The message's format or content was refused: check the headers, the encoding "
                "and any attachments.",
            ),
            RFC3463,
        ),
        "554 5.6.0 Message content rejected",
    ),
    _subject(
        "X.7",
        Hint(
            "Refused by security policy",
            (
                "The server's policy refused this (authentication, authorisation or a content "
                "check); the reply text says which.",
            ),
            RFC3463,
        ),
        "550 5.7.0 Message rejected by policy",
    ),
)

_reply_classes = (
    Remedy(
        Match(codes=(450, 451), enhanced=("4.2.0", "4.7.1"), text=r"try again later|greylist"),
        Hint(
            "Greylisted or rate-limited: try again later",
            (
                "The server defers unknown senders on purpose; a real mail server retries "
                "after a few minutes and is then accepted.",
                "Retry later; if it never passes, your address may be rate-limited.",
            ),
        ),
        Tier.REPLY,
        "450 4.2.0 <bob@example.org>: Recipient address rejected: Greylisted, see "
        "http://postgrey.schweikert.ch/help/example.org.html",
    ),
    Remedy(
        Match(codes=(421,)),
        Hint(
            "The server is closing the connection",
            ("421 means the server is shutting down or overloaded: retry later.",),
            RFC5321,
        ),
        Tier.STATUS_CODE,
        "421 4.3.2 Service not available, closing transmission channel",
    ),
    Remedy(
        Match(codes=tuple(range(400, 500))),
        Hint(
            "A temporary failure: retry later",
            (
                "A 4xx reply means the same command may work later (RFC 5321); mail servers "
                "retry such messages for days.",
            ),
            RFC5321,
        ),
        Tier.REPLY_CLASS,
        "451 Requested action aborted: local error in processing",
    ),
)

SECTIONS: tuple[Section, ...] = (
    Section("Enhanced status codes (RFC 3463)", (), _codes),
    Section("Enhanced status subjects (RFC 3463)", (), _subjects),
    Section("Reply classes (RFC 5321) and greylisting", (), _reply_classes),
)
