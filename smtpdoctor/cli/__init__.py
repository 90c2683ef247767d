"""The command line: thin typer commands that build a RunConfig, run, render and exit.

One module per command; shared plumbing lives in :mod:`smtpdoctor.cli.common`.  Heavy modules
(ssl, cryptography, the checks) are imported inside the commands, so that
``smtpdoctor --help`` starts fast.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Annotated

import typer

from smtpdoctor._version import __version__
from smtpdoctor.cli import check, demo, plugins, scan, send
from smtpdoctor.cli.common import EXIT_INTERRUPTED, EXIT_UNKNOWN

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
app.command(name="check", epilog=check.EPILOG)(check.check)
app.command(name="demo")(demo.demo)
app.command(name="send", epilog=send.EPILOG)(send.send)
app.command(name="scan", epilog=scan.EPILOG)(scan.scan)
app.command(name="plugins")(plugins.plugins)
app.command(name="checks")(plugins.checks)


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
