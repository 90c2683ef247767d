"""What one run is asked to do: the target, the TLS mode, credentials and limits.

:class:`RunConfig` is built by the CLI (or by a test, or by a plugin author's code) and is
immutable for the run.  Parsing and validation of user input live here, so that bad input is
refused with a clear :class:`ConfigError` before a single byte is sent.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from smtpdoctor.protocol import LocalProtocolError, check_argument

DEFAULT_PORT = 587
IMPLICIT_TLS_PORTS = frozenset({465, 2465})
SUBMISSION_PORTS = frozenset({465, 587, 2465, 2525, 2587})


class ConfigError(ValueError):
    """The user asked for something that cannot be done; the message says what and why."""


class TLSMode(enum.Enum):
    """How the connection gets encrypted."""

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


class AuthMechanism(enum.Enum):
    """Which SASL mechanism the auth check uses."""

    AUTO = "auto"
    """PLAIN when offered (one round trip), else LOGIN."""
    PLAIN = "plain"
    LOGIN = "login"


@dataclass(frozen=True, slots=True)
class Secret:
    """A password or token.  It never shows itself: ``repr`` and ``str`` are redacted."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        """The secret itself; call only where it is put on the wire."""
        return self._value

    def __str__(self) -> str:
        return "********"

    def __repr__(self) -> str:
        return "Secret('********')"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and its password."""

    username: str
    password: Secret

    def __post_init__(self) -> None:
        _refuse_control_characters(self.username, "user name")
        try:
            check_argument(self.password.reveal(), "password", secret=True)
        except LocalProtocolError as exc:
            raise ConfigError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything a run needs to know; immutable for the run."""

    host: str
    port: int = DEFAULT_PORT
    tls: TLSMode = TLSMode.AUTO
    helo_name: str | None = None
    """The name sent in EHLO; None means this machine's FQDN, or its address literal."""
    timeout: float = 10.0
    """Seconds each network step (connect, one reply, the TLS handshake) may take."""
    deadline: float = 60.0
    """Seconds the whole run may take, whatever the steps."""
    ca_file: Path | None = None
    ca_data: str | None = field(default=None, repr=False)
    """PEM text of extra CAs to trust (the demo uses this for its throwaway CA)."""
    insecure: bool = False
    """Turn certificate verification off (the report then says so on every TLS row)."""
    credentials: Credentials | None = None
    auth_mechanism: AuthMechanism = AuthMechanism.AUTO
    allow_plaintext_auth: bool = False
    cert_warn_days: int = 14
    """A certificate expiring in fewer days than this is a WARN."""
    cert_crit_days: int = 3
    """A certificate expiring in fewer days than this is a FAIL."""

    def __post_init__(self) -> None:
        _refuse_control_characters(self.host, "host name")
        if not self.host or any(char.isspace() for char in self.host):
            raise ConfigError(f"{self.host!r} is not a host name")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} is out of range (1-65535)")
        if self.helo_name is not None:
            _refuse_control_characters(self.helo_name, "HELO name")
            if not self.helo_name or any(char.isspace() for char in self.helo_name):
                raise ConfigError(f"{self.helo_name!r} is not a HELO name")
        if self.timeout <= 0 or self.deadline <= 0:
            raise ConfigError("--timeout and --deadline must be positive")
        if not 0 <= self.cert_crit_days <= self.cert_warn_days:
            raise ConfigError(
                "--cert-crit-days must be between 0 and --cert-warn-days "
                f"(got {self.cert_crit_days} and {self.cert_warn_days})"
            )

    @property
    def tls_mode(self) -> TLSMode:
        """The concrete TLS mode (never AUTO)."""
        return self.tls.resolve(self.port)

    @property
    def is_submission_port(self) -> bool:
        """Whether the port is one mail clients submit on (where TLS and AUTH are expected)."""
        return self.port in SUBMISSION_PORTS


def parse_target(text: str, *, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """Split ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address into host and port."""
    _refuse_control_characters(text, "target")
    text = text.strip()
    host, port = text, default_port
    if text.startswith("["):
        end = text.find("]")
        if end == -1:
            raise ConfigError(f"{text!r}: missing ']' after the IPv6 address")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ConfigError(f"{text!r}: expected ':PORT' after ']'")
            port = _parse_port(rest[1:], text)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _parse_port(port_text, text)
    elif text.count(":") > 1:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            raise ConfigError(
                f"{text!r}: write an IPv6 address with a port as [ADDRESS]:PORT"
            ) from None
    if not host:
        raise ConfigError(f"{text!r}: the host name is empty")
    if "@" in host:
        raise ConfigError(
            f"{host!r} is an email address; give the mail server's host name, e.g. smtp.gmail.com"
        )
    return host, port


def _parse_port(text: str, target: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"{target!r}: {text!r} is not a port number (1-65535)")
    return int(text)


def _refuse_control_characters(value: str, what: str) -> None:
    try:
        check_argument(value, what)
    except LocalProtocolError as exc:
        raise ConfigError(str(exc)) from None
