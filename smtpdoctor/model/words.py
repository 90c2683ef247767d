"""The words every layer shares, each defined once: TLS modes, endpoints, exit codes and the
error for a request that cannot be carried out.

This module imports only the standard library, so the command line's start-up, the
renderers and a plugin can all use it without loading sockets, ``ssl`` or ``cryptography``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

#: Ports where TLS starts with the first byte (RFC 8314; 2465 is a common alternative).
IMPLICIT_TLS_PORTS = frozenset({465, 2465})
#: Ports mail clients submit on, where TLS and AUTH are expected.
SUBMISSION_PORTS = frozenset({465, 587, 2465, 2525, 2587})
#: The submission port (RFC 6409) used when nothing else says which.
DEFAULT_PORT = 587
#: Seconds ``--verify-imap`` keeps looking for the test message unless told otherwise.
DEFAULT_VERIFY_WAIT = 60.0
#: Seconds after which a ``220`` greeting counts as delayed (``greeting.delayed``, a WARN)
#: unless told otherwise: many clients give up on a greeting not much later.
DEFAULT_SLOW_GREETING = 5.0


class ConfigError(ValueError):
    """The user asked for something that cannot be done; the message says what and why."""


class TLSMode(enum.StrEnum):
    """How the connection gets encrypted.  A ``str``: ``TLSMode.STARTTLS == "starttls"``."""

    AUTO = "auto"
    """Implicit TLS on 465 (and 2465), STARTTLS everywhere else."""
    STARTTLS = "starttls"
    """Connect in clear, then upgrade with STARTTLS (RFC 3207)."""
    IMPLICIT = "implicit"
    """TLS from the first byte (RFC 8314), as on port 465."""
    NONE = "none"
    """No TLS at all: only for servers that cannot do it, or to look at the cleartext side."""

    def resolve(self, port: int) -> TLSMode:
        """Turn AUTO into the concrete mode for ``port``."""
        if self is not TLSMode.AUTO:
            return self
        return TLSMode.IMPLICIT if port in IMPLICIT_TLS_PORTS else TLSMode.STARTTLS


class AuthMechanism(enum.StrEnum):
    """Which SASL mechanism the auth check uses (``--auth-mechanism``)."""

    AUTO = "auto"
    """The strongest one offered that we hold a secret for (see
    :func:`smtpdoctor.protocol.sasl.choose`): XOAUTH2 with a token, else PLAIN, LOGIN, CRAM-MD5."""
    PLAIN = "plain"
    LOGIN = "login"
    CRAM_MD5 = "cram-md5"
    XOAUTH2 = "xoauth2"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A port and the TLS mode spoken on it: ``Endpoint(465, TLSMode.IMPLICIT)``."""

    port: int
    tls: TLSMode

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} is out of range (1-65535)")

    def __str__(self) -> str:
        return f"{self.port}/{self.tls.value}"

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        """``PORT`` (implicit TLS on 465 and 2465, STARTTLS elsewhere) or ``PORT/MODE``."""
        port_text, _, mode_text = text.strip().partition("/")
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses
        if not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5) or not (
            0 < int(port_text) < 65536
        ):
            raise ConfigError(f"{text!r}: {port_text!r} is not a port number (1-65535)")
        port = int(port_text)
        if not mode_text:
            return cls(port, TLSMode.AUTO.resolve(port))
        try:
            return cls(port, TLSMode(mode_text.lower()))
        except ValueError:
            choices = ", ".join(mode.value for mode in TLSMode if mode is not TLSMode.AUTO)
            raise ConfigError(f"{text!r}: the mode is one of {choices}") from None

    @property
    def is_submission_port(self) -> bool:
        """Whether mail clients submit on this port (where TLS and AUTH are expected)."""
        return self.port in SUBMISSION_PORTS


class FailureKind(enum.StrEnum):
    """Why a run could not be carried out, as the JSON error document's ``error.kind`` says."""

    USAGE = "usage"
    """The command line or the request cannot work (a bad option, a bad target, no password)."""
    PLUGIN = "plugin"
    """A plugin cannot be loaded or registered something wrongly (checks, a format)."""
    INTERNAL = "internal"
    """A bug in smtpdoctor or in a plugin."""
    INTERRUPTED = "interrupted"
    """Ctrl-C before the run started (exit code 130)."""


class ExitCode(enum.IntEnum):
    """Exit codes, following the monitoring-plugins (Nagios/Icinga) convention."""

    OK = 0
    """Every check passed."""
    WARNING = 1
    """At least one warning, no failure."""
    CRITICAL = 2
    """A check failed."""
    UNKNOWN = 3
    """Could not run: a usage error, a broken plugin, an internal error."""
    INTERRUPTED = 130
    """Stopped with Ctrl-C (128 + SIGINT, as shells report it)."""
