"""The command line: thin typer commands that build a RunConfig, run, render and exit.

Heavy modules (ssl, cryptography, the checks) are imported inside the commands, so that
``smtpdoctor --help`` starts fast.
"""

from __future__ import annotations

import enum
import importlib
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from smtpdoctor._version import __version__

if TYPE_CHECKING:
    from smtpdoctor.config import RunConfig

EXIT_UNKNOWN = 3
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="smtpdoctor",
    help=(
        "Find out why an app, script or mail client cannot send email.\n\n"
        "smtpdoctor speaks SMTP to the server step by step — TCP, 220 greeting, EHLO, "
        "STARTTLS/TLS, certificate, AUTH — and tells you which step fails, why, and what to do.\n\n"
        "Exit codes (Nagios/Icinga compatible): 0 all passed, 1 warnings, 2 a check failed, "
        "3 could not run (bad usage, internal error)."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class TLSChoice(enum.StrEnum):
    auto = "auto"
    starttls = "starttls"
    implicit = "implicit"
    none = "none"


class AuthChoice(enum.StrEnum):
    auto = "auto"
    plain = "plain"
    login = "login"


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"smtpdoctor {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Find out why an app, script or mail client cannot send email."""


@app.command(
    epilog=(
        "Examples:\n\n"
        "  smtpdoctor check smtp.gmail.com --user you@gmail.com   (asks for the password)\n\n"
        "  smtpdoctor check mail.example.com:465 --format json\n\n"
        "  SMTPDOCTOR_PASSWORD=… smtpdoctor check smtp.example.com -u app --transcript"
    )
)
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
        OutputFormat, typer.Option("--format", "-f", help="table for people, json for machines.")
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
        )
    except (ConfigError, TLSError) as exc:
        _fail_usage(str(exc))
    raise typer.Exit(_run_and_show(config, output_format, transcript=transcript))


@app.command()
def demo() -> None:
    """Start a local mail server (STARTTLS + AUTH, throwaway certificate) and check it: once
    with the right password, once with a wrong one. Needs the 'demo' extra (aiosmtpd)."""
    try:
        from smtpdoctor.demo.walkthrough import run_demo
    except ImportError as exc:
        _fail_usage(f"the demo needs aiosmtpd: pip install 'smtpdoctor[demo]' ({exc})")
    raise typer.Exit(run_demo(echo=typer.echo, color=_use_color(), width=_width()))


def _run_and_show(config: RunConfig, output_format: OutputFormat, *, transcript: bool) -> int:
    from smtpdoctor import runner
    from smtpdoctor.plugins import PluginLoadError, make_plugin_manager
    from smtpdoctor.registry import RegistrationError
    from smtpdoctor.render import render_json, render_table, render_transcript

    try:
        report = runner.run(config, make_plugin_manager())
    except (PluginLoadError, RegistrationError) as exc:
        typer.echo(f"smtpdoctor: {exc}", err=True)
        return EXIT_UNKNOWN
    if output_format is OutputFormat.json:
        typer.echo(render_json(report, transcript=transcript))
    else:
        typer.echo(render_table(report, color=_use_color(), width=_width()))
        if transcript:
            typer.echo("\nTranscript (passwords redacted):\n" + render_transcript(report))
    return int(report.exit_code)


def _prompt_for(user: str) -> Callable[[], str] | None:
    if not sys.stdin.isatty():
        return None
    return lambda: str(typer.prompt(f"Password for {user}", hide_input=True))


def _use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _width() -> int:
    return shutil.get_terminal_size((120, 24)).columns


def _fail_usage(message: str) -> NoReturn:
    typer.echo(f"smtpdoctor: {message}", err=True)
    raise typer.Exit(EXIT_UNKNOWN)


def run_app(application: typer.Typer, args: list[str]) -> int:
    """Run ``application`` and return its exit code, mapping usage errors to 3 and Ctrl-C
    to 130 instead of click's 2 and 1."""
    command = typer.main.get_command(application)
    exceptions = _click_exceptions()
    try:
        result = command.main(args=args, prog_name="smtpdoctor", standalone_mode=False)
    except exceptions.UsageError as exc:
        exc.show()
        return EXIT_UNKNOWN
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("\nsmtpdoctor: interrupted", err=True)
        return EXIT_INTERRUPTED
    except exceptions.ClickException as exc:
        exc.show()
        return EXIT_UNKNOWN
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        typer.echo(
            f"smtpdoctor: internal error ({type(exc).__name__}: {exc}); please report it",
            err=True,
        )
        return EXIT_UNKNOWN
    return result if isinstance(result, int) else 0


def _click_exceptions() -> ModuleType:
    """The click exceptions module typer uses (typer >= 0.20 ships its own copy of click)."""
    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:  # pragma: no cover - older typer with the click package
        return importlib.import_module("click.exceptions")
