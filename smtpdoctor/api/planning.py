"""From a :class:`~smtpdoctor.api.Request` to a :class:`Plan`: the policy of a run.

Everything that was once worked out inside the ``check`` command lives here, so every front
door — the command line, ``scan``, a program that imports smtpdoctor — gets the same answers:

* **where**: the server behind the typed target (provider table, MX, SRV, guesses) and the
  port (the one given, the source's, or the port matrix's recommendation);
* **who logs in**: ``user``, else the user a typed address gives — but only when a secret is
  at hand, and never on a host that forgeable DNS chose outside the typed domain; a send logs
  in as ``user`` or else as its sender;
* **which secrets**: the OAuth token and the password the mechanism can use, read from their
  sources (value, file, environment, a person) once;
* **what to send and where to look**: the test message and the IMAP mailbox, validated.

Planning may use the network (DNS, the port matrix), but sends no credential anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from smtpdoctor.api.request import Purpose, Request, SecretSources
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.words import DEFAULT_PORT, AuthMechanism, ConfigError, Endpoint
from smtpdoctor.settings.config import RunConfig, parse_target
from smtpdoctor.settings.proxy import ProxySpec, parse_proxy

if TYPE_CHECKING:
    from smtpdoctor.discovery.providers import Provider, Recognition
    from smtpdoctor.model.environment import Environment
    from smtpdoctor.model.results import CheckResult
    from smtpdoctor.settings.sending import IMAPSettings, SendRequest


@dataclass(frozen=True)
class Plan:
    """A request, decided: the settings of the run and what was found on the way."""

    request: Request
    config: RunConfig
    """The settings the checks see as ``ctx.config``: server, port, TLS mode, login, limits."""
    preamble: tuple[CheckResult, ...] = ()
    """Rows found before connecting — ``target`` (where the server came from) and ``ports``
    (the port matrix) — shown first in the report."""
    provider: Provider | None = None
    """The provider the target led to, when the provider table knows it."""
    recognition: Recognition | None = None
    """How :attr:`provider` was recognised (the typed address's mail domain, the MX of the
    typed domain, the host name)."""

    @property
    def endpoint(self) -> Endpoint:
        """The port and the concrete TLS mode the run will use."""
        return self.config.endpoint

    @property
    def host(self) -> str:
        """The server the run will connect to."""
        return self.config.host


def plan(request: Request, *, ca_file_checked: bool = False) -> Plan:
    """Decide ``request``: find the server and port, settle the login, read the secrets.

    ``ca_file_checked``: the caller knows ``request.ca_file`` loads (its trust store loaded
    it), so it is not read again.

    :raises ConfigError: for what cannot work, in words (a bad target, a missing password
        where nobody can be asked, ``--verify-imap`` without a mailbox, an unreadable CA
        file, …); nothing has been sent to the server then.
    """
    if not ca_file_checked:
        check_ca_file(request)
    if request.purpose is Purpose.SEND:
        return _plan_send(request)
    return _plan_check(request)


def _plan_check(request: Request) -> Plan:
    from smtpdoctor.discovery.targets import Kind, locate, parse_typed, place

    typed = parse_typed(request.target)
    proxy = read_proxy(request)
    environment = read_environment(request)
    located = locate(typed, _settings(request, proxy, environment, host=typed.name))
    if located.port is None and request.port is not None:
        located = replace(located, port=request.port)  # no port matrix: the port was given
    credentials, token = None, None
    if located.login_allowed:  # else the target row says why no login is tried
        user = _login_user(request, located.username)
        credentials, token = _login_secrets(user, request)
    send, verify = _sending(request, located.host, credentials)
    config = _settings(
        request,
        proxy,
        environment,
        host=located.host,
        port=located.port or DEFAULT_PORT,
        credentials=credentials,
        oauth_token=token,
        send=send,
        verify=verify,
        mail_domain=None if located.kind is Kind.SERVER else typed.name,
    )
    placed = place(located, config)
    return Plan(request, placed.config, placed.preamble, located.provider, located.recognition)


def _plan_send(request: Request) -> Plan:
    host, port = parse_target(request.target, default_port=request.port or DEFAULT_PORT)
    assert request.send is not None  # a send request always has a message
    proxy = read_proxy(request)
    user = request.user or request.send.sender
    if user is None:
        raise ConfigError("a send needs a sender to log in as: give --from ADDRESS or --user")
    password = _password(request.secrets, user, required=True)
    credentials = Credentials(user, password)
    send, verify = _sending(request, host, credentials)
    config = _settings(
        request,
        proxy,
        read_environment(request),
        host=host,
        port=port,
        credentials=credentials,
        send=send,
        verify=verify,
    )
    return Plan(request, config)


def _settings(
    request: Request,
    proxy: ProxySpec | None,
    environment: Environment | None,
    *,
    host: str,
    port: int = DEFAULT_PORT,
    credentials: Credentials | None = None,
    oauth_token: Secret | None = None,
    send: SendRequest | None = None,
    verify: IMAPSettings | None = None,
    mail_domain: str | None = None,
) -> RunConfig:
    return RunConfig(
        host=host,
        port=port,
        tls=request.tls,
        helo_name=request.helo_name,
        timeout=request.timeout,
        deadline=request.deadline + (verify.wait if verify is not None else 0.0),
        slow_greeting=request.slow_greeting,
        ca_file=request.ca_file,
        ca_data=request.ca_data,
        insecure=request.insecure,
        credentials=credentials,
        oauth_token=oauth_token,
        auth_mechanism=request.auth_mechanism,
        allow_plaintext_auth=request.allow_plaintext_auth,
        cert_warn_days=request.cert_warn_days,
        cert_crit_days=request.cert_crit_days,
        disabled=request.plugins.disabled,
        options=request.options,
        send=send,
        verify=verify,
        dns_servers=request.dns_servers,
        family=request.family,
        source_address=request.source_address,
        proxy=proxy,
        probes=request.probes,
        mail_domain=mail_domain,
        environment=environment,
    )


def check_ca_file(request: Request) -> None:
    """Raise :class:`ConfigError` unless ``request.ca_file`` (when given) holds CA
    certificates that load; cheap: nothing but that file is read."""
    if request.ca_file is None:
        return
    from smtpdoctor.net.transport import TLSError, check_ca_file

    try:
        check_ca_file(str(request.ca_file))
    except TLSError as exc:
        raise ConfigError(str(exc)) from None


def read_environment(request: Request) -> Environment | None:
    """The cloud this machine runs on, read once per plan from the local files under
    ``request.environment_root`` (no network traffic); ``None`` when unknown or not asked."""
    if request.environment_root is None:
        return None
    from smtpdoctor.discovery.environment import detect_environment

    return detect_environment(request.environment_root)


# -- the proxy -----------------------------------------------------------------------------------


def read_proxy(request: Request) -> ProxySpec | None:
    """The proxy of ``request``, with its password when the URL names a user: the value,
    else ``proxy_password_file``, else ``$SMTPDOCTOR_PROXY_PASSWORD``, else asked of a
    person.

    :raises ConfigError: a bad URL, a proxy password source without a proxy user to go with
        it, or a proxy user whose password is nowhere to be had (the message says how to
        give it).
    """
    sources = request.secrets
    password_given = sources.proxy_password is not None or sources.proxy_password_file is not None
    if request.proxy is None:
        if password_given:
            raise ConfigError("--proxy-password-file is for a proxy: add --proxy URL")
        return None
    proxy = parse_proxy(request.proxy)
    if not proxy.wants_password:
        if password_given:
            raise ConfigError(
                "--proxy-password-file is for a proxy login: name the user in the URL "
                "(socks5://USER@HOST:PORT or http://USER@HOST:PORT; SOCKS4 has no passwords)"
            )
        return proxy
    return proxy.with_password(_proxy_password(sources, proxy))


def _proxy_password(sources: SecretSources, proxy: ProxySpec) -> Secret:
    """The proxy password by value, ``proxy_password_file``, ``$SMTPDOCTOR_PROXY_PASSWORD``,
    or from a person; like the IMAP password."""
    from smtpdoctor.secrets.passwords import PROXY_PASSWORD_ENV, obtain_password

    if sources.proxy_password is not None:
        return sources.proxy_password
    if sources.proxy_password_file is None and sources.environ.get(PROXY_PASSWORD_ENV):
        return Secret(sources.environ[PROXY_PASSWORD_ENV])
    ask = sources.ask
    if sources.proxy_password_file is None and ask is None:
        raise ConfigError(
            f"the proxy user {proxy.username} needs a password: set {PROXY_PASSWORD_ENV}, use "
            "--proxy-password-file, or run on a terminal to be asked for it"
        )
    return obtain_password(
        environ={},
        password_file=sources.proxy_password_file,
        prompt=(lambda: ask(f"Password for {proxy.username} at the proxy {proxy}"))
        if ask is not None
        else None,
    )


# -- who logs in, with what ------------------------------------------------------------------


def _login_user(request: Request, from_target: str | None) -> str | None:
    """``user``, else the user name the typed address gives — when there is a password or
    token to log in with (a value, a file, the environment or a person to ask); without one
    the run only lists the mechanisms, and the ``target`` row says so."""
    if request.user is not None or from_target is None:
        return request.user
    from smtpdoctor.secrets.passwords import PASSWORD_ENV
    from smtpdoctor.secrets.tokens import TOKEN_ENV

    sources = request.secrets
    given = (
        sources.password,
        sources.password_file,
        sources.oauth_token,
        sources.oauth_token_file,
        sources.oauth_token_command,
        sources.environ.get(PASSWORD_ENV),
        sources.environ.get(TOKEN_ENV),
    )
    if any(given) or sources.ask is not None:
        return from_target
    return None


def _login_secrets(user: str | None, request: Request) -> tuple[Credentials | None, Secret | None]:
    """The user with the password and the OAuth token the chosen mechanism can use.

    A token is looked for only for ``auto`` and ``xoauth2``; a password is asked for unless
    a token makes it unnecessary (with ``auto`` and a token, a password given by value, file
    or environment is still kept, for servers that offer no XOAUTH2).
    """
    sources = request.secrets
    if user is None:
        if sources.oauth_token_file is not None or sources.oauth_token_command is not None:
            raise ConfigError("an OAuth token needs the user it belongs to (--user)")
        return None, None
    mechanism = request.auth_mechanism
    token = None
    if mechanism in (AuthMechanism.AUTO, AuthMechanism.XOAUTH2):
        token = _token(sources)
    password = None
    if mechanism is not AuthMechanism.XOAUTH2 and token is None:
        password = _password(sources, user, required=True)
    elif mechanism is AuthMechanism.AUTO:
        password = _password(sources, user, required=False)
    return Credentials(user, password), token


def _token(sources: SecretSources) -> Secret | None:
    if sources.oauth_token is not None:
        return sources.oauth_token
    from smtpdoctor.secrets.tokens import obtain_token

    return obtain_token(
        environ=sources.environ,
        token_file=sources.oauth_token_file,
        token_command=sources.oauth_token_command,
    )


def read_password(sources: SecretSources, user: str) -> Secret:
    """The password of ``user`` from ``sources``: the value, else the file, else
    ``$SMTPDOCTOR_PASSWORD``, else asked of a person.

    Planning reads it when it is needed; a front door that wants to ask for it at a
    moment of its choosing (``send`` asks right after the sender) calls this first and puts
    the answer in :attr:`SecretSources.password`.

    :raises ConfigError: nowhere to get it from (the message says how to give it).
    """
    password = _password(sources, user, required=True)
    assert password is not None  # required: a password, or ConfigError
    return password


def _password(sources: SecretSources, user: str, *, required: bool) -> Secret | None:
    """The password by value, file, environment, or from a person (only when ``required``);
    when required and nowhere to be had, a :class:`ConfigError` that says how to give it."""
    if sources.password is not None:
        return sources.password
    from smtpdoctor.secrets.passwords import PASSWORD_ENV, obtain_password

    if not required and sources.password_file is None and not sources.environ.get(PASSWORD_ENV):
        return None
    ask = sources.ask if required else None
    return obtain_password(
        environ=sources.environ,
        password_file=sources.password_file,
        prompt=(lambda: ask(f"Password for {user}")) if ask is not None else None,
    )


# -- what to send, where to look for it --------------------------------------------------------


def _sending(
    request: Request, smtp_host: str, credentials: Credentials | None
) -> tuple[SendRequest | None, IMAPSettings | None]:
    """The test message and the IMAP verification the request asks for, validated."""
    message = request.send
    if message is None:
        return None, None
    from smtpdoctor.settings.sending import DEFAULT_SUBJECT, SendRequest

    sender = message.sender
    if sender is None and credentials is not None and "@" in credentials.username:
        sender = credentials.username
    if sender is None:
        raise ConfigError("--send-to needs a sender: give --from ADDRESS")
    send = SendRequest(sender, message.to, message.subject or DEFAULT_SUBJECT, message.body)
    if request.verify is None:
        return send, None
    return send, _mailbox(request, smtp_host, credentials)


def _mailbox(request: Request, smtp_host: str, credentials: Credentials | None) -> IMAPSettings:
    """Where and as whom to look for the message: the SMTP login's user and password unless
    ``imap_user`` or an IMAP password source says otherwise."""
    from smtpdoctor.delivery.imap import default_imap_host
    from smtpdoctor.secrets.passwords import IMAP_PASSWORD_ENV
    from smtpdoctor.settings.sending import IMAPS_PORT, IMAPSettings

    verify = request.verify
    assert verify is not None
    sources = request.secrets
    host, port = parse_target(
        verify.imap_host or default_imap_host(smtp_host), default_port=IMAPS_PORT
    )
    user = verify.imap_user or (credentials.username if credentials is not None else None)
    if user is None:
        raise ConfigError(
            "--verify-imap needs a mailbox to log in to: give --imap-user (or --user)"
        )
    own_password = (
        sources.imap_password is not None
        or sources.imap_password_file is not None
        or bool(sources.environ.get(IMAP_PASSWORD_ENV))
    )
    if verify.imap_user is None and not own_password and credentials and credentials.password:
        password = credentials.password
    else:
        password = _imap_password(sources, user)
    return IMAPSettings(host, port, Credentials(user, password), wait=verify.wait)


def _imap_password(sources: SecretSources, user: str) -> Secret:
    """The IMAP password by value, ``imap_password_file``, ``$SMTPDOCTOR_IMAP_PASSWORD``, or
    from a person; like the SMTP password."""
    from smtpdoctor.secrets.passwords import IMAP_PASSWORD_ENV, obtain_password

    if sources.imap_password is not None:
        return sources.imap_password
    if sources.imap_password_file is None and sources.environ.get(IMAP_PASSWORD_ENV):
        return Secret(sources.environ[IMAP_PASSWORD_ENV])
    ask = sources.ask
    if sources.imap_password_file is None and ask is None:
        raise ConfigError(
            f"--verify-imap needs the IMAP password: set {IMAP_PASSWORD_ENV}, use "
            "--imap-password-file, or run on a terminal to be asked for it"
        )
    return obtain_password(
        environ={},
        password_file=sources.imap_password_file,
        prompt=(lambda: ask(f"IMAP password for {user}")) if ask is not None else None,
    )
