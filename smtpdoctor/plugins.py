"""Building the plugin manager for a run: builtins, installed plugins, and nothing global."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

import pluggy

from smtpdoctor import hookspecs

#: The builtin plugins, registered by module name through the same hooks third parties use.
#: Among checks free to run, the one registered first runs first; this order gives
#: tcp, greeting, ehlo, tls, certificate, auth with STARTTLS and
#: tcp, tls, certificate, greeting, ehlo, auth with implicit TLS.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "smtpdoctor.checks.tcp",
    "smtpdoctor.checks.tls",
    "smtpdoctor.checks.certificate",
    "smtpdoctor.checks.greeting",
    "smtpdoctor.checks.ehlo",
    "smtpdoctor.checks.auth",
    "smtpdoctor.remedies",
)

ENTRY_POINT_GROUP = "smtpdoctor"


class PluginLoadError(Exception):
    """A plugin could not be loaded or implements a hook wrongly; the message names it."""


def make_plugin_manager(
    *, extra_plugins: Iterable[ModuleType | object] = (), load_entry_points: bool = True
) -> pluggy.PluginManager:
    """A fresh :class:`pluggy.PluginManager` with the hookspecs, the builtins, the installed
    plugins (entry-point group ``smtpdoctor``) and ``extra_plugins``, validated.

    Each run gets its own manager, so nothing registered in one run leaks into the next.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    try:
        for name in BUILTIN_PLUGINS:
            manager.register(importlib.import_module(name), name=name)
        if load_entry_points:
            manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for plugin in extra_plugins:
            manager.register(plugin)
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(f"plugin {exc.plugin!r} is not valid: {exc}") from None
    except (ImportError, AttributeError) as exc:
        raise PluginLoadError(f"a plugin could not be loaded: {exc}") from None
    return manager
