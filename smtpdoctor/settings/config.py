"""The settings of one run against one server: where, how, with which secrets and limits.

:class:`RunConfig` is what the checks see as ``ctx.config``.  It is made by
:func:`smtpdoctor.api.plan` from a :class:`~smtpdoctor.api.Request` (what the user asked), after
the server, port and login were decided, and is immutable for the run.  It carries settings
only: what a run *found* before connecting (the ``target`` and ``ports`` rows) travels in the
:class:`~smtpdoctor.api.Plan`, and results in the :class:`~smtpdoctor.model.results.Report`.

Parsing and validation of user input live here too, so that bad input is refused with a
clear :class:`~smtpdoctor.model.words.ConfigError` before a single byte is sent.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from smtpdoctor.model.credentials import Credentials, Secret, check_token_text
from smtpdoctor.model.environment import Environment
from smtpdoctor.model.words import (
    DEFAULT_PORT,
    DEFAULT_SLOW_GREETING,
    SUBMISSION_PORTS,
    AuthMechanism,
    ConfigError,
    Endpoint,
    TLSMode,
)
from smtpdoctor.protocol import LocalProtocolError, check_argument
from smtpdoctor.settings.proxy import ProxySpec, check_proxy_family

if TYPE_CHECKING:  # only names: importing them here would load email and imaplib early
    from smtpdoctor.settings.sending import IMAPSettings, SendRequest


@dataclass(frozen=True, slots=True)
class NameServer:
    """A DNS server to ask instead of the system's resolver (``--dns-server``)."""

    address: str
    """An IPv4 or IPv6 address (a name server cannot be found by name)."""
    port: int = 53

    def __post_init__(self) -> None:
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            raise ConfigError(f"--dns-server needs an IP address, not {self.address!r}") from None
        if not 0 < self.port < 65536:
            raise ConfigError(f"DNS server port {self.port} is out of range (1-65535)")

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> NameServer:
        """``ADDRESS``, ``ADDRESS:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address."""
        address, port = split_target(text)
        return cls(address, 53 if port is None else port)


#: What the port matrix tries (RFC 8314 and the vendors' fallback port 2525).
DEFAULT_PROBES = (
    Endpoint(587, TLSMode.STARTTLS),
    Endpoint(465, TLSMode.IMPLICIT),
    Endpoint(25, TLSMode.STARTTLS),
    Endpoint(2525, TLSMode.STARTTLS),
)


def parse_probe(text: str) -> Endpoint:
    """A port for the port matrix (``--probe-port``): ``PORT`` (implicit TLS on 465 and 2465,
    STARTTLS elsewhere) or ``PORT/MODE`` with MODE ``implicit`` or ``starttls``."""
    _, slash, mode = text.partition("/")
    if slash and mode.strip().lower() not in (TLSMode.IMPLICIT, TLSMode.STARTTLS):
        raise ConfigError(f"{text!r}: the mode is implicit or starttls")
    return Endpoint.parse(text)


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
    slow_greeting: float = DEFAULT_SLOW_GREETING
    """Seconds after which a ``220`` greeting counts as delayed: a WARN (``greeting.delayed``),
    since clients that give up sooner cannot send through the server."""
    ca_file: Path | None = None
    ca_data: str | None = field(default=None, repr=False)
    """PEM text of extra CAs to trust (the demo uses this for its throwaway CA)."""
    insecure: bool = False
    """Turn certificate verification off (the report then says so on every TLS row)."""
    credentials: Credentials | None = None
    oauth_token: Secret | None = None
    """An OAuth 2.0 access token for XOAUTH2, for the user in ``credentials``."""
    auth_mechanism: AuthMechanism = AuthMechanism.AUTO
    allow_plaintext_auth: bool = False
    cert_warn_days: int = 14
    """A certificate expiring in fewer days than this is a WARN."""
    cert_crit_days: int = 3
    """A certificate expiring in fewer days than this is a FAIL."""
    disabled: frozenset[str] = frozenset()
    """Plugins and checks not to run (``--disable``); a disabled check is a SKIP row."""
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    """Settings for plugins (``--option NAME=VALUE``), e.g. ``{"open-relay.probe": "yes"}``."""
    send: SendRequest | None = None
    """A test message to send after AUTH (``--send-to``); None sends nothing."""
    verify: IMAPSettings | None = None
    """Where to look for the test message over IMAP (``--verify-imap``); None looks nowhere."""
    mail_domain: str | None = None
    """The mail domain the user checked, when the target was typed as a mail domain or an
    address (``example.com``, ``alice@example.com``) and this server was found for it; None
    when a server was typed.  Mail for it is the server's own: ``send`` does not call
    accepting it relaying."""

    dns_servers: tuple[NameServer, ...] = ()
    """Ask these DNS servers, and only these, for every name (``--dns-server``); empty means
    the system's resolver."""
    family: int | None = None
    """Connect over this IP version only, 4 or 6 (``-4``/``-6``); None tries both, as
    RFC 8305 (Happy Eyeballs) says."""
    source_address: str | None = None
    """The local IP address every connection is made from (``--source-address``); only the
    server's addresses of its IP version are tried.  None lets the system choose."""
    proxy: ProxySpec | None = None
    """Connect through this proxy (``--proxy``), for every connection of the run: SMTP, the
    port matrix, IMAP.  None connects directly."""
    address: str | None = None
    """Connect to this address of ``host`` instead of resolving it (an IP address literal;
    ``--all-addresses`` checks each address of a name so); TLS still verifies the certificate
    for ``host``, and EHLO, hints and the report still name ``host``.  None resolves ``host``."""
    probes: tuple[Endpoint, ...] = DEFAULT_PROBES
    """The ports and TLS modes the port matrix tries when no port was given (STARTTLS or
    implicit TLS each)."""
    environment: Environment | None = None
    """The cloud or hosting provider this machine runs on, when recognised (planning reads it
    from local files, :mod:`smtpdoctor.discovery.environment`); the port matrix and the
    ``tcp`` check say when it blocks the port that timed out.  None: not known."""

    def __post_init__(self) -> None:
        _refuse_control_characters(self.host, "host name")
        if not self.host or any(char.isspace() for char in self.host):
            raise ConfigError(f"{self.host!r} is not a host name")
        if "@" in self.host:
            raise ConfigError(
                f"{self.host!r} is an email address, not a server: let "
                "smtpdoctor.discovery.targets find the server behind it"
            )
        if not self.probes:
            raise ConfigError("the port matrix needs at least one port to probe")
        for probe in self.probes:
            if probe.tls not in (TLSMode.STARTTLS, TLSMode.IMPLICIT):
                raise ConfigError(f"a probe speaks STARTTLS or implicit TLS, not {probe.tls}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} is out of range (1-65535)")
        if self.helo_name is not None:
            _refuse_control_characters(self.helo_name, "HELO name")
            if not self.helo_name or any(char.isspace() for char in self.helo_name):
                raise ConfigError(f"{self.helo_name!r} is not a HELO name")
        if not (0 < self.timeout < math.inf and 0 < self.deadline < math.inf):  # and not NaN
            raise ConfigError("--timeout and --deadline must be positive numbers of seconds")
        check_slow_greeting(self.slow_greeting)
        check_family(self.family)
        check_source_address(self.source_address, self.family)
        check_proxy_family(self.proxy, self.family)
        check_pinned_address(self.address, self.family)
        if self.mail_domain is not None:
            _refuse_control_characters(self.mail_domain, "mail domain")
        self._check_auth_secrets()
        if not 0 <= self.cert_crit_days <= self.cert_warn_days:
            raise ConfigError(
                "--cert-crit-days must be between 0 and --cert-warn-days "
                f"(got {self.cert_crit_days} and {self.cert_warn_days})"
            )

    def _check_auth_secrets(self) -> None:
        """A login needs a user and the secret its mechanism uses."""
        if self.oauth_token is not None:
            if self.credentials is None:
                raise ConfigError("an OAuth token needs the user it belongs to (--user)")
            check_token_text(self.oauth_token.reveal())
        if self.credentials is None:
            return
        has_password = self.credentials.password is not None
        wanted = self.auth_mechanism
        if wanted is AuthMechanism.XOAUTH2 and self.oauth_token is None:
            raise ConfigError(
                "--auth-mechanism xoauth2 needs an OAuth token: set $SMTPDOCTOR_OAUTH_TOKEN, "
                "or use --oauth-token-file or --oauth-token-command"
            )
        if wanted not in (AuthMechanism.AUTO, AuthMechanism.XOAUTH2) and not has_password:
            raise ConfigError(f"--auth-mechanism {wanted.value} needs a password")
        if not has_password and self.oauth_token is None:
            raise ConfigError("--user needs a password or an OAuth token")

    def secrets(self) -> tuple[str, ...]:
        """The secrets of the run, revealed, for the redactor: the password, the OAuth token,
        the IMAP password and the proxy password, when given."""
        found = [
            self.credentials.password if self.credentials is not None else None,
            self.oauth_token,
            self.verify.credentials.password if self.verify is not None else None,
            self.proxy.password if self.proxy is not None else None,
        ]
        return tuple(secret.reveal() for secret in found if secret is not None and secret.reveal())

    @property
    def endpoint(self) -> Endpoint:
        """The port and the concrete TLS mode."""
        return Endpoint(self.port, self.tls_mode)

    @property
    def tls_mode(self) -> TLSMode:
        """The concrete TLS mode (never AUTO)."""
        return self.tls.resolve(self.port)

    @property
    def verifies_certificates(self) -> bool:
        """Whether the run verifies the server's certificate: TLS, and not ``--insecure``."""
        return self.tls_mode is not TLSMode.NONE and not self.insecure

    @property
    def is_submission_port(self) -> bool:
        """Whether the port is one mail clients submit on (where TLS and AUTH are expected)."""
        return self.port in SUBMISSION_PORTS


def check_family(family: int | None) -> None:
    """Raise :class:`ConfigError` unless ``family`` is None (both IP versions), 4 or 6."""
    if family not in (None, 4, 6):
        raise ConfigError(f"the address family is 4 (IPv4) or 6 (IPv6), not {family!r}")


def check_source_address(address: str | None, family: int | None = None) -> None:
    """Raise :class:`ConfigError` unless ``address`` is None or an IP address literal
    (``--source-address``) of IP version ``family``, when the run is limited to one."""
    if address is None:
        return
    try:
        version = ipaddress.ip_address(address).version
    except ValueError:
        raise ConfigError(
            f"--source-address {address!r} is not an IP address (such as 192.0.2.10 or "
            "2001:db8::10)"
        ) from None
    if family is not None and version != family:
        raise ConfigError(
            f"--source-address {address} is an IPv{version} address, but the run is limited "
            f"to IPv{family} (-{family})"
        )


def check_pinned_address(address: str | None, family: int | None = None) -> None:
    """Raise :class:`ConfigError` unless ``address`` (:attr:`RunConfig.address`) is None or an
    IP address literal of IP version ``family``, when the run is limited to one."""
    if address is None:
        return
    try:
        version = ipaddress.ip_address(address).version
    except ValueError:
        raise ConfigError(
            f"{address!r} is not an IP address to connect to (such as 192.0.2.25 or 2001:db8::25)"
        ) from None
    if family is not None and version != family:
        raise ConfigError(
            f"{address} is an IPv{version} address, but the run is limited to IPv{family} "
            f"(-{family})"
        )


def address_family(*, ipv4: bool, ipv6: bool) -> int | None:
    """The one IP version ``-4`` (``ipv4``) or ``-6`` (``ipv6``) limits a run to; None for
    neither; both at once is a :class:`ConfigError`."""
    if ipv4 and ipv6:
        raise ConfigError("-4 (--ipv4) and -6 (--ipv6) exclude each other: give one or neither")
    return 4 if ipv4 else 6 if ipv6 else None


def check_slow_greeting(seconds: float) -> None:
    """Raise :class:`ConfigError` unless ``seconds`` is a positive, finite number: the
    threshold of a delayed greeting (``--slow-greeting``)."""
    if not 0 < seconds < math.inf:  # and not NaN
        raise ConfigError(f"--slow-greeting must be a positive number of seconds (got {seconds!r})")


def parse_target(text: str, *, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """Split ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address into host and port;
    an email address is refused (:mod:`smtpdoctor.discovery.targets` turns one into a
    server)."""
    host, port = split_target(text)
    if "@" in host:
        raise ConfigError(
            f"{host!r} is an email address; give the mail server's host name, e.g. smtp.gmail.com"
        )
    return host, default_port if port is None else port


def split_target(text: str, *, lowest_port: int = 1) -> tuple[str, int | None]:
    """Split what was typed into a name and the port, ``None`` when no port was given.

    Accepts ``host``, ``host:port``, ``[v6]:port``, a bare IPv6 address, and the same with a
    ``user@`` in front (``alice@gmail.com:587`` gives ``("alice@gmail.com", 587)``).
    ``lowest_port`` 0 lets a listening address ask for any free port.
    """
    _refuse_control_characters(text, "target")
    text = text.strip()
    host: str = text
    port: int | None = None
    if text.startswith("["):
        end = text.find("]")
        if end == -1:
            raise ConfigError(f"{text!r}: missing ']' after the IPv6 address")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ConfigError(f"{text!r}: expected ':PORT' after ']'")
            port = _parse_port(rest[1:], text, lowest_port)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _parse_port(port_text, text, lowest_port)
    elif text.count(":") > 1:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            raise ConfigError(
                f"{text!r}: write an IPv6 address with a port as [ADDRESS]:PORT"
            ) from None
    if not host:
        raise ConfigError(f"{text!r}: the host name is empty")
    return host, port


def with_port(target: str, port: int | None) -> str:
    """``target`` as if ``port`` had been typed after it (``-p/--port``): ``smtp.example.com``
    and 2525 give ``smtp.example.com:2525``, a bare IPv6 address gets its brackets; ``target``
    itself when ``port`` is None or names the port already.

    :raises ConfigError: when ``target`` names another port (which one is meant?), when
        ``port`` is out of range, or when ``target`` is no target at all.
    """
    if port is None:
        return target
    if not 0 < port < 65536:
        raise ConfigError(f"port {port} is out of range (1-65535)")
    name, typed = split_target(target)
    if typed == port:
        return target
    if typed is not None:
        raise ConfigError(
            f"{target.strip()!r} names port {typed} and --port says {port}: give the port once"
        )
    if ":" in name:  # an IPv6 address, typed bare or in brackets
        return f"[{name}]:{port}"
    return f"{name}:{port}"


def _parse_port(text: str, target: str, lowest: int = 1) -> int:
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses, and at most
    # five of them, since int() refuses more than 4300 digits
    if not (text.isascii() and text.isdigit() and len(text) <= 5) or not (
        lowest <= int(text) < 65536
    ):
        raise ConfigError(f"{target!r}: {text!r} is not a port number ({lowest}-65535)")
    return int(text)


def _refuse_control_characters(value: str, what: str) -> None:
    try:
        check_argument(value, what)
    except LocalProtocolError as exc:
        raise ConfigError(str(exc)) from None
