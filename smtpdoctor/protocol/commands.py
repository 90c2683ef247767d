"""SMTP commands as values, and their encoding to bytes.

Each command is a frozen dataclass.  :meth:`Command.encode` produces the exact bytes to send and
refuses — with :class:`LocalProtocolError`, before anything is sent — any argument that could
smuggle a second command onto the wire (CR, LF, NUL).  :meth:`Command.for_transcript` is what a
person may see: it never contains a secret, so the transcript is redacted at the source.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from smtpdoctor.protocol.errors import LocalProtocolError

REDACTED = "[redacted]"
_FORBIDDEN = {"\r": "CR", "\n": "LF", "\0": "NUL"}


def check_argument(value: str, what: str, *, secret: bool = False) -> str:
    """Return ``value`` unchanged, or raise if it contains CR, LF or NUL.

    The error names ``what`` (``"HELO name"``) and the offending character, and shows the value
    only when it is not ``secret``.
    """
    for char, name in _FORBIDDEN.items():
        if char in value:
            shown = "" if secret else f": {value!r}"
            raise LocalProtocolError(f"the {what} contains a {name} character{shown}")
    return value


def _check_token(value: str, what: str) -> str:
    check_argument(value, what)
    if not value or any(char.isspace() for char in value):
        raise LocalProtocolError(f"the {what} must be one non-empty word: {value!r}")
    return value


class Command(ABC):
    """A command the client sends.  Subclasses are frozen dataclasses."""

    #: The SMTP verb, used for the state machine and for logs.
    verb: ClassVar[str]

    @abstractmethod
    def line(self) -> str:
        """The command line without CRLF, validated; may contain secrets."""

    def encode(self) -> bytes:
        """The bytes to put on the wire, CRLF included."""
        return self.line().encode("utf-8") + b"\r\n"

    def for_transcript(self) -> str:
        """What the transcript shows for this command; never contains a secret."""
        return self.line()


@dataclass(frozen=True, slots=True)
class Ehlo(Command):
    """``EHLO domain`` (RFC 5321 §4.1.1.1): greet and ask for the extension list."""

    domain: str
    verb: ClassVar[str] = "EHLO"

    def line(self) -> str:
        return f"EHLO {_check_token(self.domain, 'EHLO name')}"


@dataclass(frozen=True, slots=True)
class Helo(Command):
    """``HELO domain``: the pre-ESMTP greeting, our fallback when EHLO is refused."""

    domain: str
    verb: ClassVar[str] = "HELO"

    def line(self) -> str:
        return f"HELO {_check_token(self.domain, 'HELO name')}"


@dataclass(frozen=True, slots=True)
class StartTLS(Command):
    """``STARTTLS`` (RFC 3207)."""

    verb: ClassVar[str] = "STARTTLS"

    def line(self) -> str:
        return "STARTTLS"


@dataclass(frozen=True, slots=True)
class Auth(Command):
    """``AUTH mechanism [initial-response]`` (RFC 4954).

    The initial response is treated as a secret (it carries the password for PLAIN) and is
    replaced by ``[redacted]`` in the transcript and in ``repr``.
    """

    mechanism: str
    initial_response: str | None = field(default=None, repr=False)
    verb: ClassVar[str] = "AUTH"

    def line(self) -> str:
        mechanism = _check_token(self.mechanism, "AUTH mechanism").upper()
        if self.initial_response is None:
            return f"AUTH {mechanism}"
        response = check_argument(self.initial_response, "AUTH initial response", secret=True)
        return f"AUTH {mechanism} {response or '='}"

    def for_transcript(self) -> str:
        mechanism = self.line().split(" ")[1]
        if self.initial_response is None:
            return f"AUTH {mechanism}"
        return f"AUTH {mechanism} {REDACTED}"


@dataclass(frozen=True, slots=True)
class AuthResponse(Command):
    """A line sent in answer to a ``334`` challenge; secret unless ``sensitive=False``."""

    response: str = field(repr=False)
    sensitive: bool = True
    verb: ClassVar[str] = "AUTH-RESPONSE"

    def line(self) -> str:
        return check_argument(self.response, "AUTH response", secret=self.sensitive)

    def for_transcript(self) -> str:
        return REDACTED if self.sensitive else self.line()


def _check_path(address: str, what: str) -> str:
    check_argument(address, what)
    if any(char.isspace() or char in "<>" for char in address):
        raise LocalProtocolError(
            f"the {what} must not contain spaces or angle brackets: {address!r}"
        )
    return address


def _check_parameters(parameters: tuple[str, ...], what: str) -> str:
    return "".join(f" {_check_token(parameter, what)}" for parameter in parameters)


@dataclass(frozen=True, slots=True)
class MailFrom(Command):
    """``MAIL FROM:<address> [parameters]``; an empty address is the null sender ``<>``."""

    address: str
    parameters: tuple[str, ...] = ()
    verb: ClassVar[str] = "MAIL"

    def line(self) -> str:
        path = _check_path(self.address, "sender address")
        return f"MAIL FROM:<{path}>{_check_parameters(self.parameters, 'MAIL parameter')}"


@dataclass(frozen=True, slots=True)
class RcptTo(Command):
    """``RCPT TO:<address> [parameters]``."""

    address: str
    parameters: tuple[str, ...] = ()
    verb: ClassVar[str] = "RCPT"

    def line(self) -> str:
        path = _check_path(self.address, "recipient address")
        if not path:
            raise LocalProtocolError("the recipient address is empty")
        return f"RCPT TO:<{path}>{_check_parameters(self.parameters, 'RCPT parameter')}"


@dataclass(frozen=True, slots=True)
class Data(Command):
    """``DATA``: ask to send the message content."""

    verb: ClassVar[str] = "DATA"

    def line(self) -> str:
        return "DATA"


@dataclass(frozen=True, slots=True)
class MessageContent(Command):
    """The message itself, sent after ``354``: dot-stuffed, CRLF-normalised, ``.``-terminated."""

    content: bytes = field(repr=False)
    verb: ClassVar[str] = "MESSAGE"

    def line(self) -> str:
        return f"<message, {len(self.content)} bytes>"

    def encode(self) -> bytes:
        lines = self.content.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        stuffed = [b"." + line if line.startswith(b".") else line for line in lines]
        return b"".join(line + b"\r\n" for line in stuffed) + b".\r\n"


@dataclass(frozen=True, slots=True)
class Rset(Command):
    """``RSET``: abort the current mail transaction."""

    verb: ClassVar[str] = "RSET"

    def line(self) -> str:
        return "RSET"


@dataclass(frozen=True, slots=True)
class Noop(Command):
    """``NOOP``."""

    verb: ClassVar[str] = "NOOP"

    def line(self) -> str:
        return "NOOP"


@dataclass(frozen=True, slots=True)
class Quit(Command):
    """``QUIT``: end the session politely."""

    verb: ClassVar[str] = "QUIT"

    def line(self) -> str:
        return "QUIT"
