"""Which targets ``serve`` may probe: fnmatch-style host patterns, optionally with a port.

An exporter that connects wherever a URL says is a way into a network (blackbox_exporter's
known SSRF problem), so ``serve`` probes only targets that match an allowed pattern:
``smtp.example.com``, ``*.example.com``, ``*.example.com:587``, ``10.0.0.*:25``,
``[2001:db8::*]:465``.  A pattern without a port allows every port.  Names are compared
without regard to case, as DNS does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from smtpdoctor.model.words import ConfigError


@dataclass(frozen=True, slots=True)
class TargetPattern:
    """One allowed-target pattern: a host pattern and a port (None: any port)."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> TargetPattern:
        """``HOSTPATTERN``, ``HOSTPATTERN:PORT``, ``HOSTPATTERN:*`` or ``[V6PATTERN]:PORT``.

        :raises ConfigError: an empty pattern or a port that is not a number from 1 to 65535.
        """
        text = text.strip()
        host, port_text = text, "*"
        if text.startswith("["):
            end = text.find("]")
            if end == -1:
                raise ConfigError(f"{text!r}: missing ']' after the IPv6 pattern")
            host, rest = text[1:end], text[end + 1 :]
            if rest:
                if not rest.startswith(":"):
                    raise ConfigError(f"{text!r}: expected ':PORT' after ']'")
                port_text = rest[1:]
        elif text.count(":") == 1:
            host, port_text = text.split(":")
        if not host or any(c.isspace() for c in host):
            raise ConfigError(f"{text!r}: not a host pattern")
        if port_text == "*":
            return cls(host.lower())
        digits = port_text.isascii() and port_text.isdigit() and len(port_text) <= 5
        if not (digits and 0 < int(port_text) < 65536):  # int() refuses > 4300 digits
            raise ConfigError(f"{text!r}: the port must be a number from 1 to 65535, or *")
        return cls(host.lower(), int(port_text))

    def matches(self, host: str, port: int) -> bool:
        """Whether ``host:port`` is allowed by this pattern."""
        if self.port is not None and self.port != port:
            return False
        return fnmatchcase(host.lower().rstrip("."), self.host)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


def allowed(host: str, port: int, *lists: Iterable[TargetPattern]) -> bool:
    """Whether ``host:port`` matches a pattern of *every* non-empty list in ``lists`` (the
    server's and the module's); when every list is empty, nothing is allowed."""
    given = [tuple(patterns) for patterns in lists]
    if not any(given):
        return False
    return all(any(p.matches(host, port) for p in patterns) for patterns in given if patterns)
