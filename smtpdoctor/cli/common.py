"""Plumbing shared by the commands: exit codes, usage errors, terminal facts, running and
rendering a check."""

from __future__ import annotations

import enum
import os
import shutil
import sys
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from smtpdoctor.config import RunConfig

EXIT_UNKNOWN = 3
EXIT_INTERRUPTED = 130


class OutputFormat(enum.StrEnum):
    """How a report is printed."""

    table = "table"
    json = "json"
    nagios = "nagios"


def fail_usage(message: str) -> NoReturn:
    """Print ``message`` as a usage error and exit with 3."""
    typer.echo(f"smtpdoctor: {message}", err=True)
    raise typer.Exit(EXIT_UNKNOWN)


def use_color() -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def terminal_width() -> int:
    """The terminal's width, or 120 columns when there is none."""
    return shutil.get_terminal_size((120, 24)).columns


def run_and_show(config: RunConfig, output_format: OutputFormat, *, transcript: bool) -> int:
    """Run every check against ``config``, print the report, return the exit code."""
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
    elif output_format is OutputFormat.nagios:
        from smtpdoctor.render.nagios import render_nagios

        typer.echo(render_nagios(report))
    else:
        typer.echo(render_table(report, color=use_color(), width=terminal_width()))
        if transcript:
            typer.echo("\nTranscript (passwords redacted):\n" + render_transcript(report))
    return int(report.exit_code)
