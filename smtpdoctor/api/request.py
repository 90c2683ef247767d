"""What a person (or a program) asks smtpdoctor to do: a typed, immutable :class:`Request`.

A request says *what* to check and *how*, in the words of the command line: the target as
typed, where the secrets come from, the TLS policy, a test message, the plugins and their
options, the limits.  It decides nothing and reads nothing: :func:`smtpdoctor.api.plan` turns
it into a :class:`~smtpdoctor.api.Plan` (which server, which port, who logs in).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.model.credentials import Secret
from smtpdoctor.model.words import (
    DEFAULT_SLOW_GREETING,
    DEFAULT_VERIFY_WAIT,
    AuthMechanism,
    ConfigError,
    Endpoint,
    TLSMode,
)
from smtpdoctor.settings.config import (
    DEFAULT_PROBES,
    NameServer,
    check_family,
    check_slow_greeting,
    check_source_address,
)
from smtpdoctor.settings.proxy import check_proxy_family, parse_proxy

#: Asks a person for a secret, given what to ask for (``"Password for alice@example.com"``).
Ask = Callable[[str], str]


def _empty_mapping() -> Mapping[str, str]:
    return MappingProxyType({})


class Purpose(enum.StrEnum):
    """What the run is for; it decides the policy :func:`~smtpdoctor.api.plan` applies."""

    CHECK = "check"
    """Diagnose: find the server behind the target (address, mail domain or server), probe
    the ports when none is given, and log in when a secret is at hand."""
    SEND = "send"
    """Send one message through a server given as ``HOST[:PORT]`` (port 587 by default):
    a login is required, as ``user`` or else as the sender."""


@dataclass(frozen=True)
class SecretSources:
    """Where the secrets of a run come from; nothing is read before the plan needs it.

    Each secret is looked for in order: the value given here (for programs), the file, the
    environment variable (``$SMTPDOCTOR_PASSWORD``, ``$SMTPDOCTOR_OAUTH_TOKEN``,
    ``$SMTPDOCTOR_IMAP_PASSWORD``, ``$SMTPDOCTOR_PROXY_PASSWORD`` in ``environ``), and last a
    person through ``ask``.  A password never comes from the command line.
    """

    password: Secret | None = None
    password_file: Path | None = None
    oauth_token: Secret | None = None
    """An OAuth 2.0 access token for XOAUTH2."""
    oauth_token_file: Path | None = None
    oauth_token_command: str | None = None
    """A command (run without a shell) that prints a fresh access token."""
    imap_password: Secret | None = None
    """The password of the mailbox that ``verify`` logs in to, when not the SMTP one."""
    imap_password_file: Path | None = None
    proxy_password: Secret | None = None
    """The password of the proxy's login (:attr:`Request.proxy` names the user); read only
    when the proxy URL has a user name."""
    proxy_password_file: Path | None = None
    environ: Mapping[str, str] = field(default_factory=_empty_mapping, repr=False, hash=False)
    """The environment to read the secret variables from (``os.environ`` on the command
    line; empty by default, so a program's environment is used only when it says so)."""
    ask: Ask | None = field(default=None, repr=False, compare=False)
    """Asks a person for a password (a hidden prompt); None when nobody can be asked."""

    @classmethod
    def proxy_only(cls, password_file: Path | None, environ: Mapping[str, str]) -> SecretSources:
        """For a run that logs in nowhere but may log in to a proxy (``scan``): the proxy
        password from ``password_file`` or ``$SMTPDOCTOR_PROXY_PASSWORD`` in ``environ``, and
        no other secret of the environment."""
        from smtpdoctor.secrets.passwords import PROXY_PASSWORD_ENV

        value = environ.get(PROXY_PASSWORD_ENV)
        return cls(
            proxy_password_file=password_file,
            environ={PROXY_PASSWORD_ENV: value} if value else {},
        )

    def known(self) -> tuple[str, ...]:
        """The secrets known without reading a file or asking anyone — the values given here
        and the secret environment variables — revealed, for a redactor: an error before the
        plan is made must not show them either."""
        from smtpdoctor.secrets.passwords import (
            IMAP_PASSWORD_ENV,
            PASSWORD_ENV,
            PROXY_PASSWORD_ENV,
        )
        from smtpdoctor.secrets.tokens import TOKEN_ENV

        given = [
            secret.reveal()
            for secret in (
                self.password,
                self.oauth_token,
                self.imap_password,
                self.proxy_password,
            )
            if secret is not None
        ]
        given += [
            self.environ.get(name, "")
            for name in (PASSWORD_ENV, TOKEN_ENV, IMAP_PASSWORD_ENV, PROXY_PASSWORD_ENV)
        ]
        return tuple(secret for secret in given if secret)


@dataclass(frozen=True)
class TestMessage:
    """A test message to send after AUTH, on the same connection (``--send-to``)."""

    __test__ = False  # not a pytest test class, despite its name

    to: str
    sender: str | None = None
    """The envelope and header sender; None: the login user, when it is an address."""
    subject: str | None = None
    """None: the standard subject.  A unique token is appended to find the message again."""
    body: str | None = None
    """None: a short text that says what the message is for."""


@dataclass(frozen=True)
class MailboxCheck:
    """Look for the test message in the recipient's mailbox over IMAP (``--verify-imap``)."""

    imap_host: str | None = None
    """``HOST[:PORT]`` (993 is IMAPS, any other port STARTTLS); None: the provider's IMAP
    server, or the SMTP host with ``smtp.`` replaced by ``imap.``."""
    imap_user: str | None = None
    """The mailbox to log in to; None: the SMTP login's user (and password)."""
    wait: float = DEFAULT_VERIFY_WAIT
    """Seconds to keep looking after the server accepted the message; added to the run's
    deadline."""

    def __post_init__(self) -> None:
        if not 0 < self.wait < float("inf"):
            raise ConfigError("--verify-timeout must be a positive number of seconds")


@dataclass(frozen=True)
class Request:
    """What to check, and how.  Immutable; validated when the plan is made.

    >>> Request("smtp.example.com:587", user="alice@example.com").purpose
    <Purpose.CHECK: 'check'>
    """

    target: str
    """As typed: ``smtp.example.com``, ``mail.example.com:465``, ``[2001:db8::1]:587``, a mail
    domain (``example.com``) or an address (``alice@gmail.com``)."""
    purpose: Purpose = Purpose.CHECK
    port: int | None = None
    """The port when the target names none; None probes the port matrix (``probes``) for a
    check, and means 587 for a send."""
    user: str | None = None
    """Log in as this user; None: the user the typed address gives, when a secret is at hand
    (a check), or the sender (a send)."""
    secrets: SecretSources = field(default_factory=SecretSources)
    auth_mechanism: AuthMechanism = AuthMechanism.AUTO
    allow_plaintext_auth: bool = False
    tls: TLSMode = TLSMode.AUTO
    ca_file: Path | None = None
    """Also trust the CAs in this PEM file."""
    ca_data: str | None = field(default=None, repr=False)
    """Also trust the CAs in this PEM text."""
    insecure: bool = False
    """Do not verify the server's certificate (every TLS row then says so)."""
    helo_name: str | None = None
    timeout: float = 10.0
    """Seconds each network step may take."""
    deadline: float = 60.0
    """Seconds the whole run may take (``verify.wait`` comes on top)."""
    slow_greeting: float = DEFAULT_SLOW_GREETING
    """Seconds after which the ``220`` greeting counts as delayed (a WARN,
    ``greeting.delayed``); a positive number."""
    cert_warn_days: int = 14
    cert_crit_days: int = 3
    dns_servers: tuple[NameServer, ...] = ()
    family: int | None = None
    """Connect over IPv4 (4) or IPv6 (6) only; None tries both (Happy Eyeballs)."""
    source_address: str | None = None
    """The local IP address to connect from (``--source-address``); None lets the system
    choose."""
    proxy: str | None = None
    """Connect through this proxy (``--proxy``): ``socks5://``, ``socks5h://`` (the proxy
    resolves the name), ``socks4://`` or ``http://`` (CONNECT) ``[USER@]HOST:PORT``, without
    a password (that comes from :attr:`SecretSources.proxy_password`, its file or
    ``$SMTPDOCTOR_PROXY_PASSWORD``).  Every connection of the run goes through it: SMTP, the
    port matrix, IMAP.  None connects directly; proxy variables such as ``ALL_PROXY`` are
    never read."""
    all_addresses: bool = False
    """Check every A/AAAA address of the server's name and compare them
    (``--all-addresses``): run the plan with :meth:`Doctor.survey`.  No test message, and
    not through a ``socks5h`` proxy (which chooses the address itself)."""
    probes: tuple[Endpoint, ...] = DEFAULT_PROBES
    send: TestMessage | None = None
    verify: MailboxCheck | None = None
    plugins: PluginSelection = field(default_factory=PluginSelection)
    """Which plugins to load and which plugins and checks to leave out."""
    options: Mapping[str, str] = field(default_factory=_empty_mapping, hash=False)
    """Settings for plugins (``--option NAME=VALUE``)."""
    environment_root: Path | None = Path("/")
    """Where to read this machine's identity from (``sys/class/dmi/id/…`` under it) to
    recognise the cloud it runs on (:mod:`smtpdoctor.discovery.environment`); tests point it
    at a fixture tree.  None: do not look (the environment is then unknown)."""

    @property
    def verifies_certificates(self) -> bool:
        """Whether the run will verify a certificate: TLS, and not ``insecure``."""
        return not self.insecure and self.tls is not TLSMode.NONE

    def __post_init__(self) -> None:
        if self.port is not None and not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} is out of range (1-65535)")
        check_slow_greeting(self.slow_greeting)
        check_path(self.family, self.source_address, self.proxy)
        if self.all_addresses:
            from smtpdoctor.pool.survey import check_survey

            check_survey(self.send is not None, self.proxy)
        if self.verify is not None and self.send is None:
            raise ConfigError("--verify-imap needs a test message: add --send-to ADDRESS")
        if self.purpose is Purpose.SEND and self.send is None:
            raise ConfigError("a send needs a message: give its recipient")


def check_path(family: int | None, source_address: str | None, proxy: str | None) -> None:
    """Raise :class:`~smtpdoctor.model.words.ConfigError` unless the path settings of a
    request hold together: ``family`` 4, 6 or None, a ``source_address`` of that IP
    version, a ``proxy`` URL without a password that can carry that version.

    :class:`Request` checks them when it is made; a front door that must refuse them before
    it can make one (``send`` asks its questions first) calls this.
    """
    check_family(family)
    check_source_address(source_address, family)
    if proxy is not None:
        check_proxy_family(parse_proxy(proxy), family)


def parse_options(values: tuple[str, ...] | list[str]) -> Mapping[str, str]:
    """``NAME=VALUE`` settings for plugins as a mapping; a value without ``=`` is a
    :class:`~smtpdoctor.model.words.ConfigError`."""
    options: dict[str, str] = {}
    for value in values:
        name, equals, setting = value.partition("=")
        if not equals or not name.strip():
            raise ConfigError(
                f"--option {value!r}: write it as NAME=VALUE, e.g. open-relay.probe=yes"
            )
        options[name.strip()] = setting.strip()
    return MappingProxyType(options)
