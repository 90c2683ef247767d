"""The test message: what the user asked to send, and the RFC 5322 message built from it.

:class:`SendRequest` holds the sender, the recipient, the subject and the body as the user gave
them, validated when it is made: a CR or LF in an address or the subject (header injection) is
a :class:`~smtpdoctor.core.config.ConfigError` before anything is sent.  :func:`build_message` turns
it into bytes with the standard library's :class:`email.message.EmailMessage` — Date,
Message-ID, From, To, a Subject carrying a unique token, an ``X-Smtpdoctor-Token`` header and a
UTF-8 body, CRLF line endings — choosing 8-bit or 7-bit encoding by what the server offers.
:func:`mail_parameters` says what MAIL FROM must carry (SIZE, BODY=8BITMIME, SMTPUTF8).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from smtpdoctor._version import __version__
from smtpdoctor.model.words import ConfigError
from smtpdoctor.protocol import Capabilities

if TYPE_CHECKING:  # the email package is imported only when a message is built
    from email.message import EmailMessage
    from email.policy import EmailPolicy

DEFAULT_SUBJECT = "smtpdoctor test message"
TOKEN_HEADER = "X-Smtpdoctor-Token"  # noqa: S105 - a header name
TOKEN_PREFIX = "smtpdoctor-"  # noqa: S105 - not a secret
#: RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an address at most 254.
MAX_ADDRESS_LENGTH = 254
MAX_SUBJECT_LENGTH = 900
_FORBIDDEN = {
    "\r": "CR",
    "\n": "LF",
    "\0": "NUL",
    # the other characters str.splitlines() breaks at, which the email package refuses too
    **{char: f"U+{ord(char):04X} line-break" for char in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"},
}


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A test message to send: envelope sender and recipient, subject and body.

    ``body=None`` means the standard text that says what the message is for.  Everything is
    validated here, so a bad value is refused before a connection is made.
    """

    sender: str
    recipient: str
    subject: str = DEFAULT_SUBJECT
    body: str | None = None

    def __post_init__(self) -> None:
        check_address(self.sender, "sender address")
        check_address(self.recipient, "recipient address")
        _refuse_control_characters(self.subject, "subject")
        if len(self.subject) > MAX_SUBJECT_LENGTH:
            raise ConfigError(f"the subject is longer than {MAX_SUBJECT_LENGTH} characters")
        if self.body is not None and "\0" in self.body:
            raise ConfigError("the body contains a NUL character")
        for header, value, what in (
            ("From", self.sender, "sender address"),
            ("To", self.recipient, "recipient address"),
            ("Subject", self.subject, "subject"),
        ):
            _refuse_encoded_line_breaks(header, value, what, smtputf8=self.needs_smtputf8)

    @property
    def needs_smtputf8(self) -> bool:
        """Whether an address is not ASCII, so the server must offer SMTPUTF8 (RFC 6531)."""
        return not (self.sender.isascii() and self.recipient.isascii())


@dataclass(frozen=True, slots=True)
class BuiltMessage:
    """The message as it goes on the wire after ``DATA`` (before dot-stuffing)."""

    token: str
    """Unique per message: in the Subject and the ``X-Smtpdoctor-Token`` header."""
    message_id: str
    subject: str
    content: bytes
    """The whole message, headers and body, with CRLF line endings."""
    smtputf8: bool
    """Headers carry raw UTF-8 (non-ASCII addresses): MAIL FROM needs ``SMTPUTF8``."""
    eight_bit: bool
    """The content has bytes above 127: MAIL FROM needs ``BODY=8BITMIME``."""

    @property
    def size(self) -> int:
        """The size in octets, as ``SIZE=`` announces it (RFC 1870)."""
        return len(self.content)


def check_address(address: str, what: str) -> str:
    """Return ``address`` if it can be one envelope path, else raise :class:`ConfigError`.

    Refused: CR, LF, NUL (they would start a new command or header), spaces, angle brackets
    and commas (more than one address), a missing ``@`` or an empty side of it.
    """
    _refuse_control_characters(address, what)
    if any(char.isspace() or char in "<>," for char in address):
        raise ConfigError(f"the {what} must be one plain address, without spaces: {address!r}")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ConfigError(f"the {what} {address!r} is not an email address (name@domain)")
    if len(address.encode("utf-8")) > MAX_ADDRESS_LENGTH:
        raise ConfigError(f"the {what} is longer than {MAX_ADDRESS_LENGTH} octets")
    return address


def new_token() -> str:
    """A fresh token that finds this one message again: ``smtpdoctor-`` and 12 hex digits."""
    return TOKEN_PREFIX + secrets.token_hex(6)


def build_message(
    request: SendRequest,
    *,
    token: str,
    eight_bit_ok: bool,
    now: datetime | None = None,
) -> BuiltMessage:
    """Build the RFC 5322 message for ``request``.

    With non-ASCII addresses the headers are raw UTF-8 (RFC 6532; the server must offer
    SMTPUTF8).  Otherwise a non-ASCII subject is MIME-encoded.  A non-ASCII body is sent as
    8-bit when ``eight_bit_ok`` (the server offers 8BITMIME), else quoted-printable or base64.
    """
    import email.utils
    from email.message import EmailMessage

    when = now or datetime.now(UTC)
    smtputf8 = request.needs_smtputf8
    policy = _policy(smtputf8=smtputf8, eight_bit_ok=eight_bit_ok)
    domain = request.sender.rpartition("@")[2]
    message_id = f"<{token}@{domain}>"  # the token is unique: a random part is not needed
    subject = f"{request.subject} [{token}]"
    message = EmailMessage(policy=policy)
    message["Date"] = email.utils.format_datetime(when)
    message["Message-ID"] = message_id
    message["From"] = request.sender
    message["To"] = request.recipient
    message["Subject"] = subject
    message[TOKEN_HEADER] = token
    message["User-Agent"] = f"smtpdoctor/{__version__}"
    body = request.body if request.body is not None else _default_body(request, token, when)
    message.set_content(body if body.endswith("\n") else body + "\n", charset="utf-8")
    content = message.as_bytes(policy=policy)
    return BuiltMessage(
        token=token,
        message_id=message_id,
        subject=subject,
        content=content,
        smtputf8=smtputf8,
        eight_bit=any(byte > 127 for byte in content),
    )


def mail_parameters(message: BuiltMessage, capabilities: Capabilities) -> tuple[str, ...]:
    """The MAIL FROM parameters ``message`` needs with a server that offers ``capabilities``.

    ``SIZE=`` when SIZE is offered (the server can refuse an oversized message up front),
    ``BODY=8BITMIME`` for 8-bit content and ``SMTPUTF8`` for UTF-8 headers.
    """
    parameters: list[str] = []
    if capabilities.size_limit is not None:
        parameters.append(f"SIZE={message.size}")
    if message.eight_bit:
        parameters.append("BODY=8BITMIME")
    if message.smtputf8:
        parameters.append("SMTPUTF8")
    return tuple(parameters)


def _policy(*, smtputf8: bool, eight_bit_ok: bool) -> EmailPolicy[EmailMessage]:
    import email.policy

    base = email.policy.SMTPUTF8 if smtputf8 else email.policy.SMTP
    return base.clone(cte_type="8bit" if eight_bit_ok or smtputf8 else "7bit")


def _default_body(request: SendRequest, token: str, when: datetime) -> str:
    return (
        f"This is a test message from smtpdoctor {__version__}.\n"
        "\n"
        f"It was sent from {request.sender} to {request.recipient} to check that mail\n"
        "between them is accepted and delivered. Nothing needs to be done with it.\n"
        "\n"
        f"Token: {token}\n"
        f"Sent:  {when:%Y-%m-%d %H:%M:%S} UTC\n"
    )


def _refuse_encoded_line_breaks(header: str, value: str, what: str, *, smtputf8: bool) -> None:
    """The email package decodes RFC 2047 encoded words in what it is given, so
    ``=?utf-8?q?=0D=0ABcc:_x@example.net?=`` would become a header of its own (Python before
    3.11.10 writes it so): refuse a value whose header, as written, is more than one header."""
    if "=?" not in value:  # no encoded word, nothing hidden from _refuse_control_characters
        return
    from email.errors import MessageError

    policy = _policy(smtputf8=smtputf8, eight_bit_ok=True)
    try:
        written = policy.header_factory(header, value).fold(policy=policy)
    except (ValueError, MessageError) as exc:
        raise ConfigError(f"the {what} cannot be written as a {header} header: {exc}") from None
    lines = written.removesuffix("\r\n").split("\r\n")
    stray = any(char in line for line in lines for char in "\r\n\0")
    if stray or any(not line.startswith((" ", "\t")) for line in lines[1:]):
        raise ConfigError(
            f"the {what} hides a line break in an encoded word (=?…?=), which could inject a "
            f"header: {value!r}"
        )


def _refuse_control_characters(value: str, what: str) -> None:
    for char, name in _FORBIDDEN.items():
        if char in value:
            raise ConfigError(
                f"the {what} contains a {name} character, which could inject a header or "
                f"command: {value!r}"
            )
