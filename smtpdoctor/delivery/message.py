"""The test message: the RFC 5322 message built from what the user asked to send.

What to send — :class:`~smtpdoctor.settings.sending.SendRequest`, validated when it is made —
is a setting of the run (:mod:`smtpdoctor.settings.sending`).  :func:`build_message` turns
it into bytes with the standard library's :class:`email.message.EmailMessage` — Date,
Message-ID, From, To, a Subject carrying a unique token, an ``X-Smtpdoctor-Token`` header and a
UTF-8 body, CRLF line endings — choosing 8-bit or 7-bit encoding by what the server offers.
:func:`mail_parameters` says what MAIL FROM must carry (SIZE, BODY=8BITMIME, SMTPUTF8).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from smtpdoctor._version import __version__
from smtpdoctor.protocol import Capabilities
from smtpdoctor.settings.sending import SendRequest, email_policy

TOKEN_HEADER = "X-Smtpdoctor-Token"  # noqa: S105 - a header name
TOKEN_PREFIX = "smtpdoctor-"  # noqa: S105 - not a secret


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
    policy = email_policy(smtputf8=smtputf8, eight_bit_ok=eight_bit_ok)
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
