"""``smtpdoctor check HOST[:PORT]``."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from smtpdoctor.cli.common import OutputFormat, fail_usage, run_and_show

EPILOG = (
    "Examples:\n\n"
    "  smtpdoctor check smtp.gmail.com --user you@gmail.com   (asks for the password)\n\n"
    "  smtpdoctor check mail.example.com:465 --format json\n\n"
    "  SMTPDOCTOR_PASSWORD=… smtpdoctor check smtp.example.com -u app --transcript"
)


class TLSChoice(enum.StrEnum):
    """Values of --tls."""

    auto = "auto"
    starttls = "starttls"
    implicit = "implicit"
    none = "none"


class AuthChoice(enum.StrEnum):
    """Values of --auth-mechanism."""

    auto = "auto"
    plain = "plain"
    login = "login"


def check(
    target: Annotated[
        str,
        typer.Argument(
            metavar="HOST[:PORT]",
            help="The mail server to check, e.g. smtp.gmail.com or mail.example.com:465 "
            "(default port 587). IPv6: [2001:db8::1]:587.",
            show_default=False,
        ),
    ],
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            help="Log in as this user. The password comes from --password-file, "
            "$SMTPDOCTOR_PASSWORD, or a hidden prompt — never from the command line.",
        ),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option(help="Read the password from this file (first line).", dir_okay=False),
    ] = None,
    tls: Annotated[
        TLSChoice,
        typer.Option(
            help="How to encrypt: implicit TLS on 465, STARTTLS elsewhere (auto), or force one.",
        ),
    ] = TLSChoice.auto,
    auth_mechanism: Annotated[
        AuthChoice,
        typer.Option(help="SASL mechanism for --user: PLAIN when offered (auto), or LOGIN."),
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
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            help="table for people, json for machines, nagios for Nagios/Icinga "
            "(one status line with perfdata).",
        ),
    ] = OutputFormat.table,
    transcript: Annotated[
        bool,
        typer.Option(
            "--transcript", help="Also show the SMTP conversation (passwords are redacted)."
        ),
    ] = False,
) -> None:
    """Check a mail server for sending: connection, greeting, EHLO, TLS, certificate, AUTH."""
    from smtpdoctor.config import (
        AuthMechanism,
        ConfigError,
        Credentials,
        RunConfig,
        TLSMode,
        parse_target,
    )
    from smtpdoctor.passwords import obtain_password
    from smtpdoctor.transport import TLSError, client_context

    try:
        host, port = parse_target(target)
        if ca_file is not None:
            client_context(verify=True, ca_file=str(ca_file), ca_data=None)
        credentials = None
        if user is not None:
            password = obtain_password(
                environ=os.environ, password_file=password_file, prompt=_prompt_for(user)
            )
            credentials = Credentials(user, password)
        config = RunConfig(
            host=host,
            port=port,
            tls=TLSMode(tls.value),
            helo_name=helo_name,
            timeout=timeout,
            deadline=deadline,
            ca_file=ca_file,
            insecure=insecure,
            credentials=credentials,
            auth_mechanism=AuthMechanism(auth_mechanism.value),
            allow_plaintext_auth=allow_plaintext_auth,
            cert_warn_days=cert_warn_days,
            cert_crit_days=cert_crit_days,
        )
    except (ConfigError, TLSError) as exc:
        fail_usage(str(exc))
    raise typer.Exit(run_and_show(config, output_format, transcript=transcript))


def _prompt_for(user: str) -> Callable[[], str] | None:
    if not sys.stdin.isatty():
        return None
    return lambda: str(typer.prompt(f"Password for {user}", hide_input=True))
