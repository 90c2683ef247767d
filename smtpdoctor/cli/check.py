"""``smtpdoctor check TARGET``: a server, a mail domain or an address.

A thin adapter: the options become a :class:`~smtpdoctor.api.Request`, which
:func:`~smtpdoctor.cli.common.execute` plans, runs and renders.  Which server, which port and
who logs in are decided by :mod:`smtpdoctor.api.planning`, not here.

Unlike the rest of the package this module does not use ``from __future__ import
annotations``: typer reads the options from the annotations of :func:`check` on every run, and
string annotations cost it an ``eval`` each (8 ms of every check's start-up, measured).
"""

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smtpdoctor.cli.common import execute, hidden_prompt, interactive, plugin_selection
from smtpdoctor.cli.help import CONNECTION, LOGIN, OUTPUT, SENDING, choices
from smtpdoctor.cli.options import (
    AllAddressesOption,
    CAFileOption,
    DeadlineOption,
    DisableOption,
    DNSServerOption,
    FormatOption,
    HeloNameOption,
    IMAPHostOption,
    IMAPPasswordFileOption,
    IMAPUserOption,
    InsecureOption,
    IPv4Option,
    IPv6Option,
    OptionOption,
    PasswordFileOption,
    PluginOption,
    PortOption,
    ProxyOption,
    ProxyPasswordFileOption,
    SlowGreetingOption,
    SourceAddressOption,
    TimeoutOption,
    TLSOption,
    VerifyIMAPOption,
    VerifyTimeoutOption,
)
from smtpdoctor.model.words import (
    DEFAULT_SLOW_GREETING,
    DEFAULT_VERIFY_WAIT,
    AuthMechanism,
    TLSMode,
)

if TYPE_CHECKING:
    from smtpdoctor.api import Request

EPILOG = (
    "Examples:\n\n"
    "  smtpdoctor check smtp.gmail.com --user you@gmail.com   (asks for the password)\n\n"
    "  smtpdoctor check you@gmail.com   (finds the server, port and user name)\n\n"
    "  smtpdoctor check example.com   (the domain's submission server; probes the ports)\n\n"
    "  smtpdoctor check mail.example.com:465 --format json\n\n"
    "  smtpdoctor check mail.example.com --format prometheus --output smtp.prom   (cron)\n\n"
    "  smtpdoctor check mail.example.com -p 2525 --tls starttls   (-p is the same as :2525)\n\n"
    "  smtpdoctor check smtp.example.com:587 --all-addresses   (every address of a pool)\n\n"
    "  SMTPDOCTOR_PASSWORD=… smtpdoctor check smtp.example.com -u app --transcript"
)


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
    port: PortOption = None,
    tls: TLSOption = TLSMode.AUTO,
    probe_port: Annotated[
        list[str] | None,
        typer.Option(
            "--probe-port",
            metavar="PORT[/MODE]",
            help="When TARGET has no port: probe these ports instead of 587, 465, 25 and 2525 "
            "(repeatable; MODE implicit or starttls, by default implicit on 465 and 2465).",
            rich_help_panel=CONNECTION,
        ),
    ] = None,
    ca_file: CAFileOption = None,
    insecure: InsecureOption = False,
    cert_warn_days: Annotated[
        int,
        typer.Option(
            metavar="DAYS",
            help="Warn when the certificate expires in fewer days than this.",
            min=0,
            rich_help_panel=CONNECTION,
        ),
    ] = 14,
    cert_crit_days: Annotated[
        int,
        typer.Option(
            metavar="DAYS",
            help="Fail when the certificate expires in fewer days than this.",
            min=0,
            rich_help_panel=CONNECTION,
        ),
    ] = 3,
    helo_name: HeloNameOption = None,
    timeout: TimeoutOption = 10.0,
    deadline: DeadlineOption = 60.0,
    slow_greeting: SlowGreetingOption = DEFAULT_SLOW_GREETING,
    dns_server: DNSServerOption = None,
    ipv4: IPv4Option = False,
    ipv6: IPv6Option = False,
    source_address: SourceAddressOption = None,
    all_addresses: AllAddressesOption = False,
    proxy: ProxyOption = None,
    proxy_password_file: ProxyPasswordFileOption = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            metavar="USER",
            help="Log in as this user. The password comes from --password-file, "
            "$SMTPDOCTOR_PASSWORD, or a hidden prompt — never from the command line; an OAuth "
            "token from --oauth-token-file, --oauth-token-command or $SMTPDOCTOR_OAUTH_TOKEN.",
            rich_help_panel=LOGIN,
        ),
    ] = None,
    password_file: PasswordFileOption = None,
    oauth_token_file: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Read an OAuth access token for XOAUTH2 from this file.",
            dir_okay=False,
            rich_help_panel=LOGIN,
        ),
    ] = None,
    oauth_token_command: Annotated[
        str | None,
        typer.Option(
            metavar="CMD",
            help="Run CMD (no shell) and use what it prints as the OAuth access token, "
            "e.g. 'gcloud auth print-access-token'.",
            rich_help_panel=LOGIN,
        ),
    ] = None,
    auth_mechanism: Annotated[
        AuthMechanism,
        typer.Option(
            metavar=choices(AuthMechanism),
            help="SASL mechanism for --user. auto: XOAUTH2 with a token, else PLAIN, LOGIN, "
            "CRAM-MD5 — the first the server offers.",
            rich_help_panel=LOGIN,
        ),
    ] = AuthMechanism.AUTO,
    allow_plaintext_auth: Annotated[
        bool,
        typer.Option(
            "--allow-plaintext-auth",
            help="Allow sending the password over an unencrypted connection.",
            rich_help_panel=LOGIN,
        ),
    ] = False,
    send_to: Annotated[
        str | None,
        typer.Option(
            "--send-to",
            metavar="ADDRESS",
            help="After AUTH, send a test message to ADDRESS on the same connection "
            "(MAIL, RCPT, DATA) and report what the server did with it.",
            rich_help_panel=SENDING,
        ),
    ] = None,
    mail_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="ADDRESS",
            help="The sender of the test message (default: --user, when it is an address).",
            rich_help_panel=SENDING,
        ),
    ] = None,
    verify_imap: VerifyIMAPOption = False,
    imap_host: IMAPHostOption = None,
    imap_user: IMAPUserOption = None,
    imap_password_file: IMAPPasswordFileOption = None,
    verify_timeout: VerifyTimeoutOption = DEFAULT_VERIFY_WAIT,
    plugin: PluginOption = None,
    disable: DisableOption = None,
    option: OptionOption = None,
    output_format: FormatOption = "table",
    transcript: Annotated[
        bool,
        typer.Option(
            "--transcript",
            help="Also show the SMTP conversation (passwords are redacted).",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            metavar="FILE",
            help="Write the report to FILE instead of standard output, replacing it in one "
            "step (for node_exporter's textfile collector: --format prometheus).",
            dir_okay=False,
            rich_help_panel=OUTPUT,
        ),
    ] = None,
) -> None:
    """Check a mail server for sending: connection, greeting, EHLO, TLS, certificate, AUTH."""

    def request() -> "Request":
        from smtpdoctor.api import (
            MailboxCheck,
            Request,
            SecretSources,
            TestMessage,
            parse_options,
            with_port,
        )
        from smtpdoctor.model.words import ConfigError
        from smtpdoctor.settings.config import (
            DEFAULT_PROBES,
            NameServer,
            address_family,
            parse_probe,
        )

        if send_to is None and (mail_from is not None or verify_imap):
            raise ConfigError("--from and --verify-imap need a test message: add --send-to ADDRESS")
        return Request(
            with_port(target, port),
            user=user,
            secrets=SecretSources(
                password_file=password_file,
                oauth_token_file=oauth_token_file,
                oauth_token_command=oauth_token_command,
                imap_password_file=imap_password_file,
                proxy_password_file=proxy_password_file,
                environ=os.environ,
                ask=hidden_prompt if interactive() else None,
            ),
            auth_mechanism=auth_mechanism,
            allow_plaintext_auth=allow_plaintext_auth,
            tls=tls,
            ca_file=ca_file,
            insecure=insecure,
            helo_name=helo_name,
            timeout=timeout,
            deadline=deadline,
            slow_greeting=slow_greeting,
            cert_warn_days=cert_warn_days,
            cert_crit_days=cert_crit_days,
            dns_servers=tuple(NameServer.parse(text) for text in dns_server or ()),
            family=address_family(ipv4=ipv4, ipv6=ipv6),
            source_address=source_address,
            proxy=proxy,
            all_addresses=all_addresses,
            probes=tuple(parse_probe(text) for text in probe_port or ()) or DEFAULT_PROBES,
            send=TestMessage(send_to, mail_from) if send_to is not None else None,
            verify=MailboxCheck(imap_host, imap_user, verify_timeout) if verify_imap else None,
            plugins=plugin_selection(plugin, disable),
            options=parse_options(option or ()),
        )

    raise typer.Exit(
        execute(
            request,
            output_format=output_format,
            transcript=transcript,
            output=output,
        )
    )
