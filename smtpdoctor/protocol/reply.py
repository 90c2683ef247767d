"""SMTP replies and the incremental parser that turns bytes into them (RFC 5321 §4.2).

The parser is sans-IO: feed it whatever bytes arrived, in chunks of any size, and ask for the
next complete :class:`Reply`.  It never blocks, never reads a socket and never buffers more than
its caps allow, whatever the server sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.safetext import safe_text

#: RFC 5321 §4.5.3.1.5 caps a reply line at 512 octets; real servers overshoot (long banners,
#: verbose Microsoft errors), so we accept up to this many before calling the reply hostile.
DEFAULT_MAX_LINE_LENGTH = 4096
#: The most lines one multi-line reply may have (a big EHLO has ~20).
DEFAULT_MAX_REPLY_LINES = 128

#: A line still arriving is checked once it is this long: enough to name what else is talking
#: on the port (``HTTP/1.1 …``, ``SSH-2.0-…``) and to refuse garbage without waiting for a
#: line ending that may never come.
SNIFF_LENGTH = 16

_LINE = re.compile(rb"(?P<code>[0-9]{3})(?P<sep>[ -]?)(?P<text>.*)", re.DOTALL)
_LINE_START = re.compile(rb"[2-5][0-9]{2}[ -]")
_ENHANCED = re.compile(r"(?P<klass>[245])\.(?P<subject>[0-9]{1,3})\.(?P<detail>[0-9]{1,3})(?=\s|$)")


@dataclass(frozen=True, slots=True)
class EnhancedStatus:
    """An RFC 3463 enhanced status code such as ``5.7.8``: class, subject and detail."""

    klass: int
    subject: int
    detail: int

    def __str__(self) -> str:
        return f"{self.klass}.{self.subject}.{self.detail}"

    @classmethod
    def parse(cls, text: str) -> EnhancedStatus | None:
        """Read an enhanced code at the start of ``text``; ``None`` when there is none."""
        match = _ENHANCED.match(text)
        if match is None:
            return None
        return cls(int(match["klass"]), int(match["subject"]), int(match["detail"]))


@dataclass(frozen=True, slots=True)
class Reply:
    """One complete server reply: a three-digit code and one or more lines of text.

    ``lines`` holds the text of each line after the code and separator, decoded as UTF-8 with
    undecodable bytes replaced, so a reply can always be shown to a person.
    """

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """All lines joined with newlines."""
        return "\n".join(self.lines)

    @property
    def enhanced(self) -> EnhancedStatus | None:
        """The RFC 3463 code on the first line, when its class agrees with the reply code."""
        status = EnhancedStatus.parse(self.lines[0]) if self.lines else None
        if status is None or status.klass != self.code // 100:
            return None
        return status

    @property
    def message(self) -> str:
        """The first line without its enhanced status code: what the server *says*."""
        first = self.lines[0] if self.lines else ""
        if self.enhanced is not None:
            first = first.partition(" ")[2]
        return first.strip()

    @property
    def is_success(self) -> bool:
        """2yz: the command was accepted."""
        return 200 <= self.code < 300

    @property
    def is_intermediate(self) -> bool:
        """3yz: the server waits for more (a 334 challenge, a 354 after DATA)."""
        return 300 <= self.code < 400

    @property
    def is_transient(self) -> bool:
        """4yz: a temporary failure; the same command may work later."""
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        """5yz: a permanent failure; repeating the command will not help."""
        return 500 <= self.code < 600

    def summary(self) -> str:
        """The first line as the server sent it, e.g. ``535 5.7.8 Bad credentials``."""
        first = self.lines[0] if self.lines else ""
        return f"{self.code} {first}".rstrip()

    def to_wire(self) -> bytes:
        """Serialise the reply the way a server would send it (used by tests and fakes)."""
        out = bytearray()
        for index, line in enumerate(self.lines):
            sep = " " if index == len(self.lines) - 1 else "-"
            out += f"{self.code:03d}{sep}{line}\r\n".encode()
        return bytes(out)


class ReplyParser:
    """Incremental, bounded parser of SMTP replies.

    >>> parser = ReplyParser()
    >>> parser.feed(b"250-smtp.example.com\\r\\n250 STARTTLS\\r\\n")
    >>> parser.next_reply()
    Reply(code=250, lines=('smtp.example.com', 'STARTTLS'))
    >>> parser.next_reply() is None
    True

    Lines end in CRLF; a bare LF is accepted too, because broken servers send it and a doctor
    must still read them.  Errors are :class:`RemoteProtocolError` and nothing else; after one,
    the parser is poisoned and every further call raises the same error.  A line that cannot
    become a reply is refused as soon as :data:`SNIFF_LENGTH` bytes of it are in, and text
    is made safe to print: control and format characters arrive escaped (``\\x1b``,
    ``\\u202e``), never raw (:func:`~smtpdoctor.protocol.safetext.safe_text`).
    """

    def __init__(
        self,
        *,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
        max_reply_lines: int = DEFAULT_MAX_REPLY_LINES,
    ) -> None:
        self._max_line_length = max_line_length
        self._max_reply_lines = max_reply_lines
        self._buffer = bytearray()
        self._peak = 0
        self._code: int | None = None
        self._lines: list[str] = []
        self._error: RemoteProtocolError | None = None

    @property
    def buffered_bytes(self) -> int:
        """How many received bytes are not yet part of a complete reply."""
        return len(self._buffer)

    @property
    def peak_buffered_bytes(self) -> int:
        """The most bytes this parser ever held at once: what a server made it buffer."""
        return self._peak

    @property
    def in_reply(self) -> bool:
        """True when some of a reply has arrived but not all of it."""
        return bool(self._buffer) or self._code is not None

    def feed(self, data: bytes) -> None:
        """Add bytes received from the server.

        Raises :class:`RemoteProtocolError` as soon as the pending line exceeds the line cap,
        so a server that never sends a line ending cannot make us buffer without bound.
        """
        self._raise_if_poisoned()
        self._buffer += data
        self._peak = max(self._peak, len(self._buffer))
        # The pending line is what follows the last LF; a trailing CR may be the first half of
        # its CRLF, so it does not count against the cap (a line of exactly the cap is legal).
        pending = len(self._buffer) - (self._buffer.rfind(b"\n") + 1)
        if self._buffer.endswith(b"\r"):
            pending -= 1
        if pending > self._max_line_length:
            self._fail(
                f"the server sent a line longer than {self._max_line_length} bytes "
                "without a line ending"
            )

    def next_reply(self) -> Reply | None:
        """Return the next complete reply, or ``None`` when more bytes are needed."""
        self._raise_if_poisoned()
        while True:
            end = self._buffer.find(b"\n")
            if end == -1:
                self._sniff_partial_line()
                return None
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            reply = self._take_line(raw)
            if reply is not None:
                return reply

    def _take_line(self, raw: bytes) -> Reply | None:
        if len(raw) > self._max_line_length:
            self._fail(f"the server sent a line longer than {self._max_line_length} bytes")
        match = _LINE.fullmatch(raw)
        if match is None or raw[:1] not in b"2345":
            self._fail(f"the server sent a line that is not an SMTP reply: {_shown(raw)}", raw)
        code = int(match["code"])
        if match["sep"] == b"" and match["text"]:
            self._fail(f"the reply code is not followed by a space or hyphen: {_shown(raw)}")
        if self._code is not None and code != self._code:
            self._fail(
                f"a multi-line reply changed its code from {self._code} to {code} "
                f"mid-reply: {_shown(raw)}"
            )
        self._code = code
        text = match["text"].decode("utf-8", errors="replace")
        self._lines.append(safe_text(text, multiline=True))
        if match["sep"] == b"-":
            if len(self._lines) >= self._max_reply_lines:
                self._fail(f"a multi-line reply ran past {self._max_reply_lines} lines")
            return None
        reply = Reply(code, tuple(self._lines))
        self._code = None
        self._lines = []
        return reply

    def _sniff_partial_line(self) -> None:
        """Refuse a line still arriving whose start no SMTP reply has."""
        if len(self._buffer) >= SNIFF_LENGTH and not _LINE_START.match(self._buffer):
            partial = bytes(self._buffer)
            self._fail(
                f"the server sent something that is not an SMTP reply: {_shown(partial)}", partial
            )

    def _fail(self, message: str, data: bytes = b"") -> NoReturn:
        data = data or bytes(self._buffer[:256])
        self._buffer.clear()
        self._lines = []
        self._error = RemoteProtocolError(message, data=data)
        raise self._error

    def _raise_if_poisoned(self) -> None:
        if self._error is not None:
            raise RemoteProtocolError(str(self._error), data=self._error.data)


def _shown(raw: bytes, limit: int = 60) -> str:
    """A short, printable rendering of hostile bytes for an error message."""
    text = repr(raw[:limit])[2:-1]
    return text + ("…" if len(raw) > limit else "")
