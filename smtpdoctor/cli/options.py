"""The options more than one command takes, each defined once (name, metavar, help).

These are ``typing.Annotated`` aliases for typer.  The commands' modules do not use
``from __future__ import annotations`` (typer would ``eval`` every option on every run), so
the aliases are plain runtime values.
"""

from pathlib import Path
from typing import Annotated

import typer

from smtpdoctor.model.words import TLSMode

#: ``--format``: any format a renderer is registered for; checked once plugins are loaded.
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="table for people, json for machines, nagios for Nagios/Icinga (one status line "
        "with perfdata), or a format a plugin adds (smtpdoctor plugins lists them).",
    ),
]
PasswordFileOption = Annotated[
    Path | None,
    typer.Option(help="Read the password from this file (first line).", dir_okay=False),
]
TLSOption = Annotated[
    TLSMode,
    typer.Option(
        help="How to encrypt: implicit TLS on 465, STARTTLS elsewhere (auto), or force one.",
    ),
]
CAFileOption = Annotated[
    Path | None,
    typer.Option(
        help="Also trust the CA certificates in this PEM file (a private or company CA).",
        exists=True,
        dir_okay=False,
    ),
]
InsecureOption = Annotated[
    bool,
    typer.Option(
        "--insecure",
        help="Do not verify the server certificate. The report says so on every TLS row, "
        "and a password is only sent with this flag when the certificate cannot be verified.",
    ),
]
HeloNameOption = Annotated[
    str | None,
    typer.Option(help="Name to send in EHLO (default: this machine's name or address)."),
]
TimeoutOption = Annotated[float, typer.Option(help="Seconds each network step may take.", min=0.1)]
DeadlineOption = Annotated[
    float,
    typer.Option(
        help="Seconds the check of one server may take, all steps together "
        "(--verify-timeout comes on top).",
        min=0.1,
    ),
]
DNSServerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--dns-server",
        metavar="ADDRESS[:PORT]",
        help="Ask this DNS server (repeatable) for every name instead of the system's "
        "resolver: MX and SRV look-ups and the address connected to.",
    ),
]
#: ``--plugin``: extra plugins for this run.
PluginOption = Annotated[
    list[str] | None,
    typer.Option(
        "--plugin",
        "-p",
        metavar="MODULE_OR_FILE.py",
        help="Load this plugin too: an importable module or a .py file (repeatable; "
        "also $SMTPDOCTOR_PLUGINS, comma-separated).",
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
    ),
]
#: ``--option``: settings for plugins (``-o`` too, except in ``scan``, where it is --output).
OptionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        "-o",
        metavar="NAME=VALUE",
        help="A setting for a plugin, e.g. -o open-relay.probe=yes (repeatable).",
    ),
]
VerifyIMAPOption = Annotated[
    bool,
    typer.Option(
        "--verify-imap",
        help="Then log in to the recipient's mailbox over IMAP and wait for the message: "
        "delivered or not, how fast, in which folder, and its Authentication-Results.",
    ),
]
IMAPHostOption = Annotated[
    str | None,
    typer.Option(
        metavar="HOST[:PORT]",
        help="The IMAP server for --verify-imap (default: the provider's, or the SMTP host "
        "with smtp. replaced by imap.). Port 993 is IMAPS, any other STARTTLS.",
    ),
]
IMAPUserOption = Annotated[
    str | None,
    typer.Option(
        metavar="USER",
        help="The mailbox to log in to for --verify-imap (default: --user, with its password).",
    ),
]
IMAPPasswordFileOption = Annotated[
    Path | None,
    typer.Option(
        help="Read the IMAP password from this file (else $SMTPDOCTOR_IMAP_PASSWORD, the SMTP "
        "password when the user is the same, or a hidden prompt).",
        dir_okay=False,
    ),
]
VerifyTimeoutOption = Annotated[
    float,
    typer.Option(help="Seconds to wait for the message to arrive (--verify-imap).", min=1.0),
]
