"""``smtpdoctor plugins`` and ``smtpdoctor checks``: what is installed, and what it provides.

Both load plugins exactly as ``smtpdoctor check`` does (entry points, ``--plugin``,
``SMTPDOCTOR_PLUGINS``, ``--disable``), so they show what a run would use, and both exit 3
with the same message a run would give when a plugin is broken.  Nothing is sent anywhere.
"""

from __future__ import annotations

import enum
import json
import textwrap
from typing import TYPE_CHECKING, Annotated, Any

import typer

from smtpdoctor.cli.common import fail_usage, plugin_selection, terminal_width
from smtpdoctor.cli.help import OUTPUT, choices
from smtpdoctor.cli.options import DisableOption, PluginOption

if TYPE_CHECKING:
    from smtpdoctor.core.plugins import PluginManager, PluginSelection, PluginSource
    from smtpdoctor.core.registry import CheckRegistry, RegisteredCheck
    from smtpdoctor.render import RendererRegistry


class ListFormat(enum.StrEnum):
    """Values of ``--format`` for the listing commands."""

    table = "table"
    json = "json"


ListFormatOption = Annotated[
    ListFormat,
    typer.Option(
        "--format",
        "-f",
        metavar=choices(ListFormat),
        help="table for people, json for machines.",
        rich_help_panel=OUTPUT,
    ),
]


def plugins(
    plugin: PluginOption = None,
    disable: DisableOption = None,
    output_format: ListFormatOption = ListFormat.table,
) -> None:
    """List the plugins a check would load — builtin, installed and local — with their
    distribution, version and file, and the checks, formats and hooks each provides."""
    selection = plugin_selection(plugin, disable)
    manager, checks, renderers = _load(selection)
    rows = [_plugin_row(source, manager, checks, renderers) for source in manager.sources]
    rows += [_blocked_row(source) for source in manager.blocked]
    if output_format is ListFormat.json:
        typer.echo(json.dumps({"autoload": selection.autoload, "plugins": rows}, indent=2))
        return
    from smtpdoctor.render.table import fit_table

    width = terminal_width()
    table = fit_table(
        ["Plugin", "Version", "From", "Provides", "File"],
        [
            [
                row["name"] + (" (disabled)" if row["disabled"] else ""),
                row["version"] or "",
                row["kind"],
                _provides(row),
                row["origin"] or "",
            ]
            for row in rows
        ],
        width,
    )
    typer.echo(table)
    if not selection.autoload:
        typer.echo(
            "\n"
            + textwrap.fill(
                "Installed plugins were not loaded: SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD is set",
                width,
            )
        )


def checks(
    plugin: PluginOption = None,
    disable: DisableOption = None,
    output_format: ListFormatOption = ListFormat.table,
) -> None:
    """List every check a run would know: id, title, the checks it requires, and the plugin
    that registered it."""
    selection = plugin_selection(plugin, disable)
    _, registry, _ = _load(selection)
    rows = [_check_row(entry, selection) for entry in registry.entries]
    if output_format is ListFormat.json:
        typer.echo(json.dumps({"checks": rows}, indent=2))
        return
    from smtpdoctor.render.table import fit_table

    table = fit_table(
        ["Check", "Title", "Requires", "Plugin", "Notes"],
        [
            [row["id"], row["title"], _requires_text(row["requires"]), row["plugin"], _notes(row)]
            for row in rows
        ],
        terminal_width(),
    )
    typer.echo(table)


def _load(selection: PluginSelection) -> tuple[PluginManager, CheckRegistry, RendererRegistry]:
    from smtpdoctor.core.plugins import PluginLoadError, manager_for
    from smtpdoctor.core.registry import RegistrationError, collect_checks
    from smtpdoctor.render import RenderingError, collect_renderers

    try:
        manager = manager_for(selection)
        return manager, collect_checks(manager), collect_renderers(manager)
    except (PluginLoadError, RegistrationError, RenderingError) as exc:
        fail_usage(str(exc))


def _plugin_row(
    source: PluginSource,
    manager: PluginManager,
    registry: CheckRegistry,
    renderers: RendererRegistry,
) -> dict[str, Any]:
    return {
        "name": source.name,
        "kind": source.kind.value,
        "distribution": source.distribution,
        "version": source.version,
        "origin": source.origin,
        "checks": [entry.check.id for entry in registry.entries if entry.plugin == source.name],
        "formats": [info.name for info in renderers if info.plugin == source.name],
        "hooks": list(manager.hooks_of(source.name)),
        "disabled": False,
    }


def _blocked_row(source: PluginSource) -> dict[str, Any]:
    return {
        "name": source.name,
        "kind": source.kind.value,
        "distribution": source.distribution,
        "version": source.version,
        "origin": source.origin,
        "checks": [],
        "formats": [],
        "hooks": [],
        "disabled": True,
    }


def _provides(row: dict[str, Any]) -> str:
    parts: list[str] = []
    if row["checks"]:
        parts.append("checks: " + ", ".join(row["checks"]))
    if row["formats"]:
        parts.append("formats: " + ", ".join(row["formats"]))
    other = [hook for hook in row["hooks"] if hook not in _LISTED_HOOKS]
    if other:
        parts.append("hooks: " + ", ".join(other))
    return "\n".join(parts)


#: Hooks whose contribution the table already shows as checks or formats.
_LISTED_HOOKS = frozenset({"smtpdoctor_register_checks", "smtpdoctor_register_renderers"})


def _check_row(entry: RegisteredCheck, selection: PluginSelection) -> dict[str, Any]:
    from smtpdoctor.core.registry import ESSENTIAL_CHECKS
    from smtpdoctor.model.words import TLSMode
    from smtpdoctor.settings.config import RunConfig

    check = entry.check
    configs = {
        mode.value: RunConfig(host="localhost", tls=mode)
        for mode in (TLSMode.STARTTLS, TLSMode.IMPLICIT, TLSMode.NONE)
    }
    return {
        "id": check.id,
        "title": check.title,
        "requires": {mode: list(check.dependencies(c)) for mode, c in configs.items()},
        "plugin": entry.plugin,
        "origin": entry.origin,
        "essential": check.id in ESSENTIAL_CHECKS,
        "opt_in": not check.applies(configs[TLSMode.STARTTLS.value]),
        "disabled": check.id in selection.disabled,
    }


def _requires_text(requires: dict[str, list[str]]) -> str:
    """``ehlo`` when every TLS mode agrees, else one line per mode."""
    if len({tuple(ids) for ids in requires.values()}) == 1:
        return ", ".join(next(iter(requires.values()))) or "-"
    return "\n".join(f"{mode}: {', '.join(ids) or '-'}" for mode, ids in requires.items())


def _notes(row: dict[str, Any]) -> str:
    notes = [
        text
        for flag, text in (
            ("essential", "always runs"),
            ("opt_in", "opt-in"),
            ("disabled", "disabled"),
        )
        if row[flag]
    ]
    return ", ".join(notes)
