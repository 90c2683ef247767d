"""The command line: thin typer commands that build a request, run it, render and exit.

One module per command; shared plumbing lives in :mod:`smtpdoctor.cli.common`.  A command's
module is imported, and its click command built, only when that command runs (or when the
top-level ``--help`` lists them all), so ``smtpdoctor check`` pays for nothing but ``check``.
Heavy modules (ssl, cryptography, the checks) are imported inside the commands.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from smtpdoctor._version import __version__
from smtpdoctor.model.words import ExitCode, FailureKind


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """Where a sub-command lives: ``function`` in ``module``, with the module's ``EPILOG``
    (examples shown under its ``--help``) when ``has_epilog``; ``summary`` is the line
    ``smtpdoctor --help`` lists it with (the start of the function's docstring, a test
    makes sure), so that listing the commands imports none of them."""

    module: str
    function: str
    summary: str
    has_epilog: bool = False


#: The sub-commands, in the order ``smtpdoctor --help`` lists them.
COMMANDS: dict[str, CommandSpec] = {
    "check": CommandSpec(
        "smtpdoctor.cli.check", "check", "Check a mail server for sending", has_epilog=True
    ),
    "demo": CommandSpec("smtpdoctor.cli.demo", "demo", "Start a local mail server and check it"),
    "send": CommandSpec(
        "smtpdoctor.cli.send", "send", "Send one message, logging in first", has_epilog=True
    ),
    "domain": CommandSpec(
        "smtpdoctor.cli.domain",
        "domain",
        "Audit a domain's mail security and deliverability",
        has_epilog=True,
    ),
    "scan": CommandSpec("smtpdoctor.cli.scan", "scan", "Check many mail servers", has_epilog=True),
    "serve": CommandSpec(
        "smtpdoctor.cli.serve",
        "serve",
        "Serve SMTP probes to Prometheus, as blackbox_exporter does",
        has_epilog=True,
    ),
    "plugins": CommandSpec(
        "smtpdoctor.cli.plugins", "plugins", "List the plugins a check would load"
    ),
    "checks": CommandSpec("smtpdoctor.cli.plugins", "checks", "List every check a run would know"),
    "providers": CommandSpec(
        "smtpdoctor.cli.providers",
        "providers",
        "List the providers smtpdoctor knows, with every fact's source",
    ),
}


def build_command(name: str, spec: CommandSpec) -> Any:
    """Import ``spec``'s module and turn its function into a click command called ``name``."""
    from smtpdoctor.cli.help import HelpfulCommand

    module = importlib.import_module(spec.module)
    single = typer.Typer(add_completion=False, rich_markup_mode=None)
    epilog = module.EPILOG if spec.has_epilog else None
    single.command(name=name, epilog=epilog, cls=HelpfulCommand)(getattr(module, spec.function))
    return typer.main.get_command(single)


class LazyCommands(Mapping[str, Any]):
    """The group's commands by name; each is built on first use, then kept."""

    def __init__(self, specs: Mapping[str, CommandSpec]) -> None:
        self._specs = specs
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = build_command(name, self._specs[name])
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)


class LazyGroup(TyperGroup):
    """A typer group whose sub-commands come from :data:`COMMANDS`, built lazily."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(COMMANDS)  # type: ignore[assignment]

    def list_commands(self, ctx: Any) -> list[str]:
        """The command names, without building the commands."""
        return list(COMMANDS)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The commands and their summaries, without importing or building any of them."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, spec.summary) for name, spec in COMMANDS.items()])


app = typer.Typer(
    name="smtpdoctor",
    cls=LazyGroup,
    help=(
        "Find out why an app, script or mail client cannot send email.\n\n"
        "smtpdoctor speaks SMTP to the server step by step — TCP, 220 greeting, EHLO, "
        "STARTTLS/TLS, certificate, AUTH — and tells you which step fails, why, and what to do.\n\n"
        "Exit codes (Nagios/Icinga compatible): 0 all passed, 1 warnings, 2 a check failed, "
        "3 could not run (bad usage, internal error)."
    ),
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
    to 130 instead of click's 2 and 1.

    When the command line asked ``check`` or ``send`` for ``--format nagios`` or ``json``, a
    failure the command never got to handle (an unknown option, a bad value) is also printed
    in that format on standard output (:func:`~smtpdoctor.render.failures.render_failure`).
    """
    command = typer.main.get_command(application)
    exceptions = _click_exceptions()
    try:
        result = command.main(args=args, prog_name="smtpdoctor", standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("\nsmtpdoctor: interrupted", err=True)
        _show_failure(args, "interrupted", FailureKind.INTERRUPTED, ExitCode.INTERRUPTED)
        return ExitCode.INTERRUPTED
    except exceptions.ClickException as exc:  # a UsageError is one
        exc.show()
        _show_failure(args, exc.format_message(), FailureKind.USAGE, ExitCode.UNKNOWN)
        return ExitCode.UNKNOWN
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        from smtpdoctor.api import failure_of

        failure = failure_of(exc)
        typer.echo(f"smtpdoctor: {failure.message}", err=True)
        _show_failure(args, failure.message, failure.kind, failure.exit_code)
        return failure.exit_code
    return result if isinstance(result, int) else 0


#: The commands whose ``--format`` a failure is printed in (those that run a diagnosis).
_REPORT_COMMANDS = frozenset({"check", "send"})


def requested_format(args: list[str]) -> str | None:
    """The ``--format`` a ``check`` or ``send`` command line asks for, read from ``args``
    before (or whether or not) click can parse them; ``None`` for other commands or without
    one.  Accepts ``--format F``, ``--format=F``, ``-f F`` and ``-fF``; the last one wins, as in
    click, and nothing after ``--`` is an option."""
    if not args or args[0] not in _REPORT_COMMANDS:
        return None
    found = None
    words = iter(args[1:])
    for word in words:
        if word == "--":
            break
        if word in ("--format", "-f"):
            found = next(words, None)
        elif word.startswith("--format="):
            found = word.removeprefix("--format=")
        elif word.startswith("-f") and len(word) > 2:
            found = word.removeprefix("-f")
    return found


def _show_failure(args: list[str], message: str, kind: FailureKind, exit_code: int) -> None:
    """Print the failure on standard output in the format ``args`` asked for, if any."""
    from smtpdoctor.render.failures import render_failure

    document = render_failure(requested_format(args), message, kind, exit_code)
    if document is not None:
        typer.echo(document)


def _click_exceptions() -> ModuleType:
    """The click exceptions module typer uses (typer >= 0.20 ships its own copy of click)."""
    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:  # pragma: no cover - older typer with the click package
        return importlib.import_module("click.exceptions")
