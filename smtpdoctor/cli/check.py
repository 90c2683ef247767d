"""``smtpdoctor check TARGET``: a server, a mail domain or an address.

Unlike the rest of the package this module does not use ``from __future__ import
annotations``: typer reads the options from the annotations of :func:`check` on every run, and
string annotations cost it an ``eval`` each (8 ms of every check's start-up, measured).
"""

import enum
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from smtpdoctor.cli.common import (
    DisableOption,
    FormatOption,
    OptionOption,
    PluginOption,
    TLSChoice,
    fail_usage,
    plugin_options,
    plugin_selection,
    run_and_show,
)
from smtpdoctor.cli.send import (
    DEFAULT_VERIFY_TIMEOUT,
    FromOption,
    IMAPHostOption,
    IMAPPasswordFileOption,
    IMAPUserOption,
    SendToOption,
    VerifyIMAPOption,
    VerifyTimeoutOption,
    sending_settings,
)
from smtpdoctor.core.config import Credentials, Secret

EPILOG = (
    "Examples:\n\n"
    "  smtpdoctor check smtp.gmail.com --user you@gmail.com   (asks for the password)\n\n"
    "  smtpdoctor check you@gmail.com   (finds the server, port and user name)\n\n"
    "  smtpdoctor check example.com   (the domain's submission server; probes the ports)\n\n"
    "  smtpdoctor check mail.example.com:465 --format json\n\n"
    "  SMTPDOCTOR_PASSWORD=… smtpdoctor check smtp.example.com -u app --transcript"
)


class AuthChoice(enum.StrEnum):
    """Values of --auth-mechanism."""

    auto = "auto"
    plain = "plain"
    login = "login"
    cram_md5 = "cram-md5"
    xoauth2 = "xoauth2"


def check(
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET",
            help="What to check: a server (smtp.example.com, mail.example.com:465, "
            "[2001:db8::1]:587), a mail domain (example.com) or an address "
            "(alice@gmail.com: the provider's server, port and user name). Without a port, "
            "ports 587, 465, 25 and 2525 are probed at once and the best one is checked.",
            show_default=False,
        ),
    ],
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            help="Log in as this user. The password comes from --password-file, "
            "$SMTPDOCTOR_PASSWORD, or a hidden prompt — never from the command line; an OAuth "
            "token from --oauth-token-file, --oauth-token-command or $SMTPDOCTOR_OAUTH_TOKEN.",
        ),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option(help="Read the password from this file (first line).", dir_okay=False),
    ] = None,
    oauth_token_file: Annotated[
        Path | None,
        typer.Option(help="Read an OAuth access token for XOAUTH2 from this file.", dir_okay=False),
    ] = None,
    oauth_token_command: Annotated[
        str | None,
        typer.Option(
            metavar="CMD",
            help="Run CMD (no shell) and use what it prints as the OAuth access token, "
            "e.g. 'gcloud auth print-access-token'.",
        ),
    ] = None,
    tls: Annotated[
        TLSChoice,
        typer.Option(
            help="How to encrypt: implicit TLS on 465, STARTTLS elsewhere (auto), or force one.",
        ),
    ] = TLSChoice.auto,
    auth_mechanism: Annotated[
        AuthChoice,
        typer.Option(
            help="SASL mechanism for --user. auto: XOAUTH2 with a token, else PLAIN, LOGIN, "
            "CRAM-MD5 — the first the server offers.",
        ),
    ] = AuthChoice.auto,
    allow_plaintext_auth: Annotated[
        bool,
        typer.Option(
            "--allow-plaintext-auth",
            help="Allow sending the password over an unencrypted connection.",
        ),
    ] = False,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            help="Also trust the CA certificates in this PEM file (a private or company CA).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Do not verify the server certificate. The report says so on every TLS row, "
            "and a password is only sent with this flag when the certificate cannot be verified.",
        ),
    ] = False,
    cert_warn_days: Annotated[
        int,
        typer.Option(help="Warn when the certificate expires in fewer days than this.", min=0),
    ] = 14,
    cert_crit_days: Annotated[
        int,
        typer.Option(help="Fail when the certificate expires in fewer days than this.", min=0),
    ] = 3,
    helo_name: Annotated[
        str | None,
        typer.Option(help="Name to send in EHLO (default: this machine's name or address)."),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds each network step may take.", min=0.1)
    ] = 10.0,
    deadline: Annotated[
        float, typer.Option(help="Seconds the whole run may take.", min=0.1)
    ] = 60.0,
    dns_server: Annotated[
        list[str] | None,
        typer.Option(
            "--dns-server",
            metavar="ADDRESS[:PORT]",
            help="Ask this DNS server (repeatable) for every name instead of the system's "
            "resolver: MX and SRV look-ups and the address connected to.",
        ),
    ] = None,
    probe_port: Annotated[
        list[str] | None,
        typer.Option(
            "--probe-port",
            metavar="PORT[/MODE]",
            help="When TARGET has no port: probe these ports instead of 587, 465, 25 and 2525 "
            "(repeatable; MODE implicit or starttls, by default implicit on 465 and 2465).",
        ),
    ] = None,
    output_format: FormatOption = "table",
    transcript: Annotated[
        bool,
        typer.Option(
            "--transcript", help="Also show the SMTP conversation (passwords are redacted)."
        ),
    ] = False,
    send_to: SendToOption = None,
    mail_from: FromOption = None,
    verify_imap: VerifyIMAPOption = False,
    imap_host: IMAPHostOption = None,
    imap_user: IMAPUserOption = None,
    imap_password_file: IMAPPasswordFileOption = None,
    verify_timeout: VerifyTimeoutOption = DEFAULT_VERIFY_TIMEOUT,
    plugin: PluginOption = None,
    disable: DisableOption = None,
    option: OptionOption = None,
) -> None:
    """Check a mail server for sending: connection, greeting, EHLO, TLS, certificate, AUTH."""
    from smtpdoctor.core.config import DEFAULT_PROBES, AuthMechanism, NameServer, Probe, RunConfig
    from smtpdoctor.discovery.targets import locate, parse_typed, plan_run
    from smtpdoctor.model.words import DEFAULT_PORT, ConfigError, TLSMode
    from smtpdoctor.net.transport import TLSError, check_ca_file

    selection = plugin_selection(plugin, disable)
    try:
        typed = parse_typed(target)
        if ca_file is not None:
            check_ca_file(str(ca_file))
        request = RunConfig(
            host=typed.name,
            tls=TLSMode(tls.value),
            helo_name=helo_name,
            timeout=timeout,
            deadline=deadline,
            dns_servers=tuple(NameServer.parse(text) for text in dns_server or ()),
            probes=tuple(Probe.parse(text) for text in probe_port or ()) or DEFAULT_PROBES,
        )
        located = locate(typed, request)
        credentials, oauth_token = None, None
        if located.login_allowed:  # else the target row says why no login is tried
            login_as = _login_user(
                user, located.username, password_file, oauth_token_file, oauth_token_command
            )
            credentials, oauth_token = _login_secrets(
                login_as, auth_mechanism, password_file, oauth_token_file, oauth_token_command
            )
        send, verify = sending_settings(
            smtp_host=located.host,
            send_to=send_to,
            mail_from=mail_from,
            credentials=credentials,
            verify_imap=verify_imap,
            imap_host=imap_host,
            imap_user=imap_user,
            imap_password_file=imap_password_file,
            verify_timeout=verify_timeout,
            interactive=sys.stdin.isatty(),
        )
        config = RunConfig(
            host=located.host,
            port=located.port or DEFAULT_PORT,
            tls=TLSMode(tls.value),
            helo_name=helo_name,
            timeout=timeout,
            deadline=deadline + (verify.wait if verify is not None else 0.0),
            ca_file=ca_file,
            insecure=insecure,
            credentials=credentials,
            oauth_token=oauth_token,
            auth_mechanism=AuthMechanism(auth_mechanism.value),
            allow_plaintext_auth=allow_plaintext_auth,
            cert_warn_days=cert_warn_days,
            cert_crit_days=cert_crit_days,
            disabled=selection.disabled,
            options=plugin_options(option),
            send=send,
            verify=verify,
            dns_servers=request.dns_servers,
            probes=request.probes,
        )
        config = plan_run(located, config)
    except (ConfigError, TLSError) as exc:
        fail_usage(str(exc))
    raise typer.Exit(
        run_and_show(config, output_format, transcript=transcript, selection=selection)
    )


def _login_user(
    user: str | None,
    from_target: str | None,
    password_file: Path | None,
    token_file: Path | None,
    token_command: str | None,
) -> str | None:
    """``--user``, else the user name the typed address gives — when there is a password or
    token to log in with (a file, the environment or a terminal to ask on); without one the
    run only lists the mechanisms, and the ``target`` row says so."""
    if user is not None or from_target is None:
        return user
    from smtpdoctor.secrets.passwords import PASSWORD_ENV
    from smtpdoctor.secrets.tokens import TOKEN_ENV

    secrets = (password_file, token_file, token_command)
    if any(secrets) or os.environ.get(PASSWORD_ENV) or os.environ.get(TOKEN_ENV):
        return from_target
    return from_target if sys.stdin.isatty() else None


def _login_secrets(
    user: str | None,
    mechanism: AuthChoice,
    password_file: Path | None,
    token_file: Path | None,
    token_command: str | None,
) -> tuple[Credentials | None, Secret | None]:
    """The user with the password and the OAuth token the chosen mechanism can use.

    A token is looked for only for ``auto`` and ``xoauth2``; a password is asked for unless
    a token makes it unnecessary (with ``auto`` and a token, a password given by file or
    environment is still kept, for servers that offer no XOAUTH2).
    """
    from smtpdoctor.model.words import ConfigError
    from smtpdoctor.secrets.passwords import PASSWORD_ENV, obtain_password
    from smtpdoctor.secrets.tokens import obtain_token

    if user is None:
        if token_file is not None or token_command is not None:
            raise ConfigError("an OAuth token needs the user it belongs to (--user)")
        return None, None
    token = None
    if mechanism in (AuthChoice.auto, AuthChoice.xoauth2):
        token = obtain_token(environ=os.environ, token_file=token_file, token_command=token_command)
    password = None
    if mechanism is not AuthChoice.xoauth2 and token is None:
        password = obtain_password(
            environ=os.environ, password_file=password_file, prompt=_prompt_for(user)
        )
    elif mechanism is AuthChoice.auto and (password_file or os.environ.get(PASSWORD_ENV)):
        password = obtain_password(environ=os.environ, password_file=password_file, prompt=None)
    return Credentials(user, password), token


def _prompt_for(user: str) -> Callable[[], str] | None:
    if not sys.stdin.isatty():
        return None
    return lambda: str(typer.prompt(f"Password for {user}", hide_input=True))
