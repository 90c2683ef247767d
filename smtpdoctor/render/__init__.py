"""Renderers: pure functions from a :class:`~smtpdoctor.model.results.Report` to text.

No renderer does I/O or decides anything; everything they show is in the report.  The
formats ``--format`` accepts come from the ``smtpdoctor_register_renderers`` hook: this
package registers ``table``, ``json``, ``nagios`` and ``prometheus`` through it, as a plugin
would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import pluggy

from smtpdoctor.core.hookcalls import call_each
from smtpdoctor.core.hooks import RegisterRenderer, Renderer, RenderOptions, hookimpl
from smtpdoctor.model.results import Report
from smtpdoctor.render.json import render_json, render_json_failure, report_to_dict
from smtpdoctor.render.nagios import render_nagios, render_nagios_failure
from smtpdoctor.render.table import render_table, render_transcript

__all__ = [
    "RegisterRenderer",
    "RenderOptions",
    "Renderer",
    "RendererInfo",
    "RendererRegistry",
    "RenderingError",
    "collect_renderers",
    "render_json",
    "render_json_failure",
    "render_nagios",
    "render_nagios_failure",
    "render_table",
    "render_transcript",
    "report_to_dict",
]

#: A format name: lower-case letters, digits and hyphens, like a check id (``"json"``).
_FORMAT_NAME = re.compile(r"[a-z][a-z0-9-]*")


class RenderingError(Exception):
    """A renderer was registered wrongly (a bad or taken name), or a format is unknown."""


@dataclass(frozen=True, slots=True)
class RendererInfo:
    """One output format: its name, the function, a one-line description, its plugin."""

    name: str
    renderer: Renderer
    description: str
    plugin: str


class RendererRegistry:
    """The output formats of one run, in registration order (builtins first)."""

    def __init__(self) -> None:
        self._renderers: dict[str, RendererInfo] = {}

    def register(
        self, name: str, renderer: Renderer, *, description: str = "", plugin: str = "?"
    ) -> None:
        """Add ``renderer`` as format ``name``; raises :class:`RenderingError` for a name that
        is not lower-case letters, digits and hyphens, or is taken."""
        if not isinstance(name, str) or not _FORMAT_NAME.fullmatch(name):
            raise RenderingError(
                f"plugin {plugin!r}: a format name must be lower-case letters, digits and "
                f"hyphens, got {name!r}"
            )
        if not callable(renderer):
            raise RenderingError(f"plugin {plugin!r}: the renderer for {name!r} is not callable")
        if name in self._renderers:
            raise RenderingError(
                f"format {name!r} is registered twice: by plugin {plugin!r} and by plugin "
                f"{self._renderers[name].plugin!r}"
            )
        self._renderers[name] = RendererInfo(name, renderer, description, plugin)

    def __iter__(self) -> Iterator[RendererInfo]:
        return iter(self._renderers.values())

    @property
    def names(self) -> tuple[str, ...]:
        """The format names, in registration order."""
        return tuple(self._renderers)

    def render(self, name: str, report: Report, options: RenderOptions) -> str:
        """``report`` in format ``name``; raises :class:`RenderingError` for an unknown name."""
        info = self._renderers.get(name)
        if info is None:
            raise RenderingError(
                f"unknown format {name!r}; choose one of: {', '.join(self._renderers)}"
            )
        return info.renderer(report, options)


def collect_renderers(manager: pluggy.PluginManager) -> RendererRegistry:
    """Ask every plugin, in pluggy's order (builtins first, unless a plugin is ``tryfirst``),
    to register its renderers.

    Every plugin is asked even when one fails; then the first failure, in call order, is
    raised as a :class:`RenderingError` naming the plugin.
    """
    registry = RendererRegistry()

    def arguments(implementation: pluggy.HookImpl) -> dict[str, object]:
        return {"register": partial(registry.register, plugin=implementation.plugin_name)}

    for answer in call_each(manager.hook.smtpdoctor_register_renderers, arguments):
        if isinstance(answer.error, RenderingError):
            raise answer.error
        if answer.error is not None:  # a broken plugin is a clear error, not a crash
            raise RenderingError(
                f"plugin {answer.plugin_name!r} failed while registering its renderers: "
                f"{type(answer.error).__name__}: {answer.error}"
            ) from None
    return registry


def table_format(report: Report, options: RenderOptions) -> str:
    """The table for people, followed by the transcript when asked for."""
    text = render_table(report, color=options.color, width=options.width)
    if options.transcript:
        text += "\n\nTranscript (passwords redacted):\n" + render_transcript(report)
    return text


def json_format(report: Report, options: RenderOptions) -> str:
    """The versioned JSON document, with the transcript when asked for."""
    return render_json(report, transcript=options.transcript)


def nagios_format(report: Report, options: RenderOptions) -> str:
    """The monitoring-plugin status line with perfdata, then the long output."""
    return render_nagios(report)


def prometheus_format(report: Report, options: RenderOptions) -> str:
    """The report's metrics in the Prometheus text format (node_exporter's textfile
    collector reads them); ``prometheus_client`` is loaded only now."""
    from smtpdoctor.render.prometheus import render_prometheus

    return render_prometheus(report, options)


@hookimpl
def smtpdoctor_register_renderers(register: RegisterRenderer) -> None:
    """The builtin formats, registered through the public hook."""
    register("table", table_format, description="a table for people, one row per check")
    register("json", json_format, description="a versioned JSON document for machines")
    register(
        "nagios",
        nagios_format,
        description="one Nagios/Icinga status line with perfdata, then the long output",
    )
    register(
        "prometheus",
        prometheus_format,
        description="Prometheus metrics (text format), for node_exporter's textfile collector",
    )
