"""The options more than one command takes, each defined once (name, metavar, help, panel).

These are ``typing.Annotated`` aliases for typer.  The commands' modules do not use
``from __future__ import annotations`` (typer would ``eval`` every option on every run), so
the aliases are plain runtime values.

One style for the whole command line: every option that takes a value names it with an
upper-case metavar (``FILE``, ``SECONDS``, ``HOST[:PORT]``) or lists its choices
(``[auto|starttls|implicit|none]``), and each short option means the same in every command:
``-p`` port, ``-u`` user, ``-f`` format, ``-o`` a plugin option, ``-c`` concurrency (scan),
``-4``/``-6`` IPv4/IPv6 only, ``-h`` help.
"""

from pathlib import Path
from typing import Annotated

import typer

from smtpdoctor.cli.help import CONNECTION, LOGIN, OUTPUT, PLUGINS, SENDING, choices
from smtpdoctor.model.words import TLSMode

#: ``--port``: for check and send, as if typed after the target (``HOST:PORT``).
PortOption = Annotated[
    int | None,
    typer.Option(
        "--port",
        "-p",
        metavar="PORT",
        min=1,
        max=65535,
        help="The port, as if typed after the target (TARGET:PORT); giving both with "
        "different ports is an error.",
        show_default=False,
        rich_help_panel=CONNECTION,
    ),
]
#: ``--format``: any format a renderer is registered for; checked once plugins are loaded.
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="table for people, json for machines, nagios for Nagios/Icinga (one status line "
        "with perfdata), prometheus for node_exporter's textfile collector, or a format a "
        "plugin adds (smtpdoctor plugins lists them).",
        rich_help_panel=OUTPUT,
    ),
]
PasswordFileOption = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help="Read the password from this file (first line).",
        dir_okay=False,
        rich_help_panel=LOGIN,
    ),
]
TLSOption = Annotated[
    TLSMode,
    typer.Option(
        metavar=choices(TLSMode),
        help="How to encrypt: implicit TLS on 465, STARTTLS elsewhere (auto), or force one.",
        rich_help_panel=CONNECTION,
    ),
]
CAFileOption = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help="Also trust the CA certificates in this PEM file (a private or company CA).",
        exists=True,
        dir_okay=False,
        rich_help_panel=CONNECTION,
    ),
]
InsecureOption = Annotated[
    bool,
    typer.Option(
        "--insecure",
        help="Do not verify the server certificate. The report says so on every TLS row, "
        "and a password is only sent with this flag when the certificate cannot be verified.",
        rich_help_panel=CONNECTION,
    ),
]
HeloNameOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="Name to send in EHLO (default: this machine's name or address).",
        rich_help_panel=CONNECTION,
    ),
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        metavar="SECONDS",
        help="Seconds each network step may take.",
        min=0.1,
        rich_help_panel=CONNECTION,
    ),
]
DeadlineOption = Annotated[
    float,
    typer.Option(
        metavar="SECONDS",
        help="Seconds the check of one server may take, all steps together "
        "(--verify-timeout comes on top).",
        min=0.1,
        rich_help_panel=CONNECTION,
    ),
]
SlowGreetingOption = Annotated[
    float,
    typer.Option(
        metavar="SECONDS",
        help="Warn when the 220 greeting takes longer than this (a tarpit: many clients give up).",
        min=0.1,
        rich_help_panel=CONNECTION,
    ),
]
DNSServerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--dns-server",
        metavar="ADDRESS[:PORT]",
        help="Ask this DNS server (repeatable) for every name instead of the system's "
        "resolver: MX and SRV look-ups and the address connected to.",
        rich_help_panel=CONNECTION,
    ),
]
#: ``--ipv4``/``--ipv6``: one IP version only; both together is a usage error
#: (:func:`smtpdoctor.settings.config.address_family`).
IPv4Option = Annotated[
    bool,
    typer.Option(
        "--ipv4",
        "-4",
        help="Connect over IPv4 only (default: both, IPv6 and IPv4 raced as RFC 8305 says).",
        rich_help_panel=CONNECTION,
    ),
]
IPv6Option = Annotated[
    bool,
    typer.Option(
        "--ipv6",
        "-6",
        help="Connect over IPv6 only.",
        rich_help_panel=CONNECTION,
    ),
]
#: ``--source-address``: the local address to connect from (validated by
#: :func:`smtpdoctor.settings.config.check_source_address`).
SourceAddressOption = Annotated[
    str | None,
    typer.Option(
        "--source-address",
        metavar="ADDRESS",
        help="Connect from this local IP address (one of this machine's, e.g. the one SPF "
        "lists); only the server's addresses of its IP version are tried.",
        rich_help_panel=CONNECTION,
    ),
]
#: ``--all-addresses``: a pool survey (:meth:`smtpdoctor.api.Doctor.survey`).
AllAddressesOption = Annotated[
    bool,
    typer.Option(
        "--all-addresses",
        help="Check every A/AAAA address of the server's name, one after the other, and "
        "compare them: for load-balanced pools where one member differs (another "
        "certificate, no STARTTLS, other AUTH). Up to 16 addresses; -4/-6 keep one IP version.",
        rich_help_panel=CONNECTION,
    ),
]
#: ``--proxy``: every connection of the run through a proxy (parsed by
#: :func:`smtpdoctor.settings.proxy.parse_proxy`).
ProxyOption = Annotated[
    str | None,
    typer.Option(
        "--proxy",
        metavar="URL",
        help="Connect through this proxy: socks5://HOST:PORT (the server's name resolved "
        "here), socks5h://HOST:PORT (resolved by the proxy), socks4://HOST:PORT or "
        "http://HOST:PORT (CONNECT); for a login, socks5://USER@HOST:PORT with the password "
        "in $SMTPDOCTOR_PROXY_PASSWORD or --proxy-password-file, never in the URL. "
        "ALL_PROXY and the like are not read.",
        show_default=False,
        rich_help_panel=CONNECTION,
    ),
]
#: ``--proxy-password-file``: the proxy login's password (never on the command line).
ProxyPasswordFileOption = Annotated[
    Path | None,
    typer.Option(
        "--proxy-password-file",
        metavar="FILE",
        help="Read the password of the --proxy URL's user from this file (first line; else "
        "$SMTPDOCTOR_PROXY_PASSWORD, or a hidden prompt).",
        dir_okay=False,
        rich_help_panel=CONNECTION,
    ),
]
#: ``--plugin``: extra plugins for this run (long only: ``-p`` is ``--port``).
PluginOption = Annotated[
    list[str] | None,
    typer.Option(
        "--plugin",
        metavar="PLUGIN",
        help="Load this plugin too: an importable module or a .py file (repeatable; "
        "also $SMTPDOCTOR_PLUGINS, comma-separated).",
        rich_help_panel=PLUGINS,
    ),
]
#: ``--disable``: plugins and checks not to run.
DisableOption = Annotated[
    list[str] | None,
    typer.Option(
        "--disable",
        metavar="NAME",
        help="Do not load this plugin, or do not run this check (by id); repeatable, "
        "comma-separated lists allowed; also $SMTPDOCTOR_DISABLE. "
        "tcp, greeting and ehlo cannot be disabled.",
        rich_help_panel=PLUGINS,
    ),
]
#: ``--option``: settings for plugins.
OptionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        "-o",
        metavar="NAME=VALUE",
        help="A setting for a plugin, e.g. -o open-relay.probe=yes (repeatable).",
        rich_help_panel=PLUGINS,
    ),
]
VerifyIMAPOption = Annotated[
    bool,
    typer.Option(
        "--verify-imap",
        help="Then log in to the recipient's mailbox over IMAP and wait for the message: "
        "delivered or not, how fast, in which folder, and its Authentication-Results.",
        rich_help_panel=SENDING,
    ),
]
IMAPHostOption = Annotated[
    str | None,
    typer.Option(
        metavar="HOST[:PORT]",
        help="The IMAP server for --verify-imap (default: the provider's, or the SMTP host "
        "with smtp. replaced by imap.). Port 993 is IMAPS, any other STARTTLS.",
        rich_help_panel=SENDING,
    ),
]
IMAPUserOption = Annotated[
    str | None,
    typer.Option(
        metavar="USER",
        help="The mailbox to log in to for --verify-imap (default: --user, with its password).",
        rich_help_panel=SENDING,
    ),
]
IMAPPasswordFileOption = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help="Read the IMAP password from this file (else $SMTPDOCTOR_IMAP_PASSWORD, the SMTP "
        "password when the user is the same, or a hidden prompt).",
        dir_okay=False,
        rich_help_panel=SENDING,
    ),
]
VerifyTimeoutOption = Annotated[
    float,
    typer.Option(
        metavar="SECONDS",
        help="Seconds to wait for the message to arrive (--verify-imap).",
        min=1.0,
        rich_help_panel=SENDING,
    ),
]
