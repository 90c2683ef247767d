"""Plumbing shared by the commands: the one execute path, usage errors, terminal facts.

Every command that runs a diagnosis goes through :func:`execute`: one place that loads the
plugins, plans, runs, renders, and maps what went wrong (a usage error, a broken plugin,
Ctrl-C, a bug) to words without secrets and to an exit code.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from smtpdoctor.model.words import ExitCode, FailureKind

if TYPE_CHECKING:
    from smtpdoctor.api import Doctor, Observer, Plan, Request
    from smtpdoctor.core.plugins import PluginSelection
    from smtpdoctor.model.results import Report


def fail_usage(message: str) -> NoReturn:
    """Print ``message`` as a usage error and exit with 3."""
    typer.echo(f"smtpdoctor: {message}", err=True)
    raise typer.Exit(ExitCode.UNKNOWN)


def use_color() -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def terminal_width() -> int:
    """The terminal's width, or 120 columns when there is none."""
    return shutil.get_terminal_size((120, 24)).columns


def interactive() -> bool:
    """Whether a person is at a terminal to be asked (standard input is one)."""
    return sys.stdin.isatty()


def hidden_prompt(label: str) -> str:
    """Ask for a secret on the terminal, without echoing what is typed."""
    return str(typer.prompt(label, hide_input=True))


def plugin_selection(plugins: list[str] | None, disable: list[str] | None) -> PluginSelection:
    """What ``--plugin``, ``--disable`` and the environment ask to load."""
    from smtpdoctor.core.plugins import PluginSelection

    return PluginSelection.from_environment(
        os.environ, plugins=plugins or (), disabled=disable or ()
    )


def execute(
    make_request: Callable[[], Request],
    *,
    output_format: str,
    transcript: bool = False,
    announce: Callable[[Plan], None] | None = None,
    observer: Observer | None = None,
    show: Callable[[Doctor, Report], str] | None = None,
    prepare: Callable[[], Doctor] | None = None,
    output: Path | None = None,
) -> int:
    """Run one diagnosis for a command and print it; the exit code.

    A request for every address of the server's name (``Request.all_addresses``) is run by
    :meth:`~smtpdoctor.api.Doctor.survey` instead of ``run`` and shown by
    :func:`~smtpdoctor.render.pool.render_pool` (builtin formats only).

    :param make_request: builds the request from the options (it may ask a person for
        values); a :class:`~smtpdoctor.model.words.ConfigError` it raises is a usage error.
    :param output_format: the ``--format``, checked once the plugins are loaded — a broken
        plugin or an unknown format is exit code 3 before anything is sent.
    :param announce: called with the plan before the run starts (``send``'s first line).
    :param observer: called as each check finishes (``send``'s live dialogue).
    :param show: turns the report into the text to print; by default the renderer of
        ``output_format``.
    :param prepare: makes the Doctor (loads the plugins) *before* ``make_request`` is called,
        so that a broken plugin is exit code 3 before a person is asked anything (``send``);
        by default the Doctor is made for the request (:meth:`Doctor.for_request`).
    :param output: write the text to this file, atomically, instead of standard output
        (``--output``); failing to is exit code 3.

    :returns: the report's exit status (130 when Ctrl-C ended the run), or 3 when it could
        not run or the output could not be written.
    """
    from smtpdoctor.api import Doctor, SecretSources
    from smtpdoctor.render import RenderOptions

    secrets: tuple[str, ...] = ()
    try:
        doctor: Doctor | None = None
        if prepare is not None:  # no request yet: the secrets in the environment are known
            secrets = SecretSources(environ=os.environ).known()
            doctor = prepare()
        request = make_request()
        secrets = request.secrets.known()
        if doctor is None:
            doctor = Doctor.for_request(request)
        doctor.require_format(output_format)
        if request.all_addresses:
            from smtpdoctor.render.pool import require_pool_format

            require_pool_format(output_format)
        plan = doctor.plan(request)
        secrets = request.secrets.known() + plan.config.secrets()
        if announce is not None:
            announce(plan)
        options = RenderOptions(color=use_color(), width=terminal_width(), transcript=transcript)
        if request.all_addresses:
            from smtpdoctor.render.pool import render_pool

            pool = doctor.survey(plan)
            status, shown = pool.exit_status, render_pool(pool, output_format, options)
        else:
            report = doctor.run(plan, observer=observer)
            status = report.exit_status
            if show is not None:
                shown = show(doctor, report)
            else:
                shown = doctor.render(report, output_format, options)
    except (typer.Exit, typer.Abort):
        raise  # the command line's own endings (a usage error printed, Ctrl-D at a prompt)
    except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 - words, never a traceback
        return show_failure(error, output_format=output_format, output=output, secrets=secrets)
    return status if emit(shown, output) else int(ExitCode.UNKNOWN)


def show_failure(
    error: BaseException,
    *,
    output_format: str,
    output: Path | None,
    secrets: tuple[str, ...] = (),
    render: Callable[[str, str, FailureKind, int], str | None] | None = None,
) -> int:
    """Say why a run could not be carried out — in words without ``secrets`` on standard
    error, and as ``output_format``'s failure document (``render``, by default
    :func:`~smtpdoctor.render.failures.render_failure`) where a monitor reads it; the exit
    code (3 also when the document cannot be written)."""
    from smtpdoctor.api import failure_of
    from smtpdoctor.render.failures import render_failure

    failure = failure_of(error, secrets)
    interrupted = failure.exit_code is ExitCode.INTERRUPTED
    typer.echo(f"{chr(10) if interrupted else ''}smtpdoctor: {failure.message}", err=True)
    document = (render or render_failure)(
        output_format, failure.message, failure.kind, failure.exit_code
    )
    if document is not None and not emit(document, output):
        return int(ExitCode.UNKNOWN)
    return int(failure.exit_code)


def emit(text: str, output: Path | None) -> bool:
    """Print ``text``, or write it to ``output`` atomically (ending in one newline, as
    printed); whether that worked — when it did not, the reason is on standard error."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return True
    from smtpdoctor.api.output import OutputError, write_atomically

    try:
        write_atomically(output, text if text.endswith("\n") else text + "\n")
    except OutputError as error:
        typer.echo(f"smtpdoctor: {error}", err=True)
        return False
    return True
