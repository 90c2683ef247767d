"""Plumbing shared by the commands: exit codes, usage errors, terminal facts, running and
rendering a check."""

from __future__ import annotations

import enum
import os
import shutil
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from smtpdoctor.core.config import RunConfig
    from smtpdoctor.core.plugins import PluginSelection

EXIT_UNKNOWN = 3
EXIT_INTERRUPTED = 130


class TLSChoice(enum.StrEnum):
    """Values of ``--tls`` (the values of :class:`~smtpdoctor.core.config.TLSMode`)."""

    auto = "auto"
    starttls = "starttls"
    implicit = "implicit"
    none = "none"


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


#: ``--option``: settings for plugins.
OptionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        "-o",
        metavar="NAME=VALUE",
        help="A setting for a plugin, e.g. -o open-relay.probe=yes (repeatable).",
    ),
]


def plugin_options(values: list[str] | None) -> dict[str, str]:
    """``--option NAME=VALUE`` values as a mapping; a value without ``=`` is a usage error."""
    options: dict[str, str] = {}
    for value in values or ():
        name, equals, setting = value.partition("=")
        if not equals or not name.strip():
            fail_usage(f"--option {value!r}: write it as NAME=VALUE, e.g. open-relay.probe=yes")
        options[name.strip()] = setting.strip()
    return options


def plugin_selection(plugins: list[str] | None, disable: list[str] | None) -> PluginSelection:
    """What ``--plugin``, ``--disable`` and the environment ask to load."""
    from smtpdoctor.core.plugins import PluginSelection

    return PluginSelection.from_environment(
        os.environ, plugins=plugins or (), disabled=disable or ()
    )


def run_and_show(
    config: RunConfig, output_format: str, *, transcript: bool, selection: PluginSelection
) -> int:
    """Load the plugins ``selection`` asks for, run every check against ``config``, print
    the report in ``output_format``, return the exit code.  A broken plugin, a bad
    registration or an unknown format is exit code 3, before anything is sent."""
    from smtpdoctor.core import runner
    from smtpdoctor.core.plugins import PluginLoadError, manager_for
    from smtpdoctor.core.registry import RegistrationError
    from smtpdoctor.net.session import Session
    from smtpdoctor.net.truststore import TrustStore
    from smtpdoctor.render import RenderingError, RenderOptions, collect_renderers
    from smtpdoctor.secrets.redaction import Redactor

    trust_store = TrustStore.for_config(config)
    if config.verifies_certificates:
        trust_store.prepare()  # OpenSSL loads it while the plugins load
    try:
        manager = manager_for(selection)
        renderers = collect_renderers(manager)
        if output_format not in renderers.names:
            raise RenderingError(
                f"unknown format {output_format!r}; choose one of: {', '.join(renderers.names)}"
            )
        report = runner.run(config, manager, session=Session(config, trust_store=trust_store))
        options = RenderOptions(color=use_color(), width=terminal_width(), transcript=transcript)
        shown = renderers.render(output_format, report, options)
    except (PluginLoadError, RegistrationError, RenderingError) as exc:
        typer.echo(f"smtpdoctor: {Redactor.for_run(config).text(str(exc))}", err=True)
        return EXIT_UNKNOWN
    except Exception as exc:  # noqa: BLE001 - a bug: say so, without a traceback or a secret
        message = Redactor.for_run(config).text(f"{type(exc).__name__}: {exc}")
        typer.echo(f"smtpdoctor: internal error ({message}); please report it", err=True)
        return EXIT_UNKNOWN
    finally:
        trust_store.settle()  # a plugin that failed to load ends the run before the runner
    typer.echo(shown)
    return report.exit_status
