"""What a server says it can do: the EHLO reply, parsed (RFC 5321 §4.1.1.1, RFC 1869)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from smtpdoctor.protocol.reply import Reply

_KEYWORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_MASKED = re.compile(r"X{4,}[A-Z]?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """The server's domain, greeting text and extension keywords from an EHLO reply.

    Keywords are upper-cased; parameters keep their case.  ``masked`` lists lines such as
    ``XXXXXXXA`` that a middlebox (Cisco's "SMTP fixup") writes over extensions it strips —
    most often STARTTLS.
    """

    domain: str
    greeting: str
    extensions: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    masked: tuple[str, ...] = ()

    @classmethod
    def from_ehlo(cls, reply: Reply) -> Capabilities:
        """Parse a successful EHLO reply; lines that are not keywords are ignored."""
        first, *rest = reply.lines or ("",)
        domain, _, greeting = first.strip().partition(" ")
        extensions: dict[str, tuple[str, ...]] = {}
        masked: list[str] = []
        for line in rest:
            words = line.split()
            if not words:
                continue
            keyword, params = words[0].upper(), words[1:]
            if keyword.startswith("AUTH="):  # the pre-RFC 4954 form some servers still send
                keyword, params = "AUTH", [mech for mech in (words[0][5:], *params) if mech]
            if not _KEYWORD.fullmatch(keyword):
                continue
            if _MASKED.fullmatch(keyword):
                masked.append(words[0])
                continue
            extensions[keyword] = extensions.get(keyword, ()) + tuple(params)
        return cls(domain, greeting.strip(), MappingProxyType(extensions), tuple(masked))

    def supports(self, keyword: str) -> bool:
        """Whether the server advertised ``keyword`` (case-insensitive)."""
        return keyword.upper() in self.extensions

    @property
    def auth_mechanisms(self) -> tuple[str, ...]:
        """SASL mechanisms from ``AUTH`` (and the old ``AUTH=`` form), upper-cased, deduplicated."""
        seen = dict.fromkeys(mech.upper() for mech in self.extensions.get("AUTH", ()))
        return tuple(seen)

    @property
    def size_limit(self) -> int | None:
        """The ``SIZE`` limit in bytes (RFC 1870); 0 means "no fixed limit"; None if not sent."""
        params = self.extensions.get("SIZE")
        if params is None:
            return None
        if params and params[0].isascii() and params[0].isdigit():  # not "²": int() refuses it
            return int(params[0])
        return 0

    def keywords(self) -> tuple[str, ...]:
        """All advertised keywords, in the order the server sent them."""
        return tuple(self.extensions)
