"""What a run sends and where it looks for it: the test message and the IMAP mailbox.

Both are settings of the run (``RunConfig.send``, ``RunConfig.verify``), validated when they
are made, so a bad value is refused before a connection is made: a CR or LF in an address
or the subject (header injection) is a :class:`~smtpdoctor.model.words.ConfigError`.
Building the message is :mod:`smtpdoctor.delivery.message`'s work, finding it
:mod:`smtpdoctor.delivery.imap`'s.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smtpdoctor.model.credentials import Credentials
from smtpdoctor.model.words import DEFAULT_VERIFY_WAIT, ConfigError

if TYPE_CHECKING:  # the email package is imported only when a message is built or checked
    from email.message import EmailMessage
    from email.policy import EmailPolicy

DEFAULT_SUBJECT = "smtpdoctor test message"
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


def email_policy(*, smtputf8: bool, eight_bit_ok: bool) -> EmailPolicy[EmailMessage]:
    """The email package's policy for a message with UTF-8 headers (``smtputf8``) or not, and
    8-bit content when the server takes it."""
    import email.policy

    base = email.policy.SMTPUTF8 if smtputf8 else email.policy.SMTP
    return base.clone(cte_type="8bit" if eight_bit_ok or smtputf8 else "7bit")


def _refuse_encoded_line_breaks(header: str, value: str, what: str, *, smtputf8: bool) -> None:
    """The email package decodes RFC 2047 encoded words in what it is given, so
    ``=?utf-8?q?=0D=0ABcc:_x@example.net?=`` would become a header of its own (Python before
    3.11.10 writes it so): refuse a value whose header, as written, is more than one header."""
    if "=?" not in value:  # no encoded word, nothing hidden from _refuse_control_characters
        return
    from email.errors import MessageError

    policy = email_policy(smtputf8=smtputf8, eight_bit_ok=True)
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


IMAPS_PORT = 993


class IMAPSecurity(enum.Enum):
    """How the IMAP connection is encrypted: TLS from the first byte or STARTTLS."""

    IMPLICIT = "implicit"
    STARTTLS = "starttls"


@dataclass(frozen=True, slots=True)
class IMAPSettings:
    """Where to look for the test message: the IMAP server, the mailbox, how long to wait."""

    host: str
    port: int
    credentials: Credentials
    wait: float = DEFAULT_VERIFY_WAIT
    """Seconds to keep looking after the message was accepted (``--verify-timeout``)."""
    tls: IMAPSecurity | None = None
    """How to encrypt; None means by the port: IMAPS on 993, STARTTLS elsewhere."""

    def __post_init__(self) -> None:
        if not self.host or any(char.isspace() or not char.isprintable() for char in self.host):
            raise ConfigError(f"{self.host!r} is not an IMAP host name")
        if not 0 < self.port < 65536:
            raise ConfigError(f"IMAP port {self.port} is out of range (1-65535)")
        if not 0 < self.wait < math.inf:  # and not NaN
            raise ConfigError("--verify-timeout must be a positive number of seconds")
        if self.credentials.password is None:
            raise ConfigError("logging in to IMAP needs a password")

    @property
    def security(self) -> IMAPSecurity:
        """:attr:`tls` when given, else IMAPS on 993 and STARTTLS on every other port."""
        if self.tls is not None:
            return self.tls
        return IMAPSecurity.IMPLICIT if self.port == IMAPS_PORT else IMAPSecurity.STARTTLS
