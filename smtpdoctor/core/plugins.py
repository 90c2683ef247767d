"""Building the plugin manager for a run: builtins, installed and local plugins, nothing global.

Plugins come from four places, loaded in this order:

1. the builtins (:data:`BUILTIN_PLUGINS`), registered by module name through the very hooks
   third parties use;
2. installed distributions that declare an entry point in the ``smtpdoctor`` group — unless
   ``SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD`` is set;
3. local plugins: ``--plugin MODULE_OR_FILE.py`` and ``SMTPDOCTOR_PLUGINS``;
4. plugin objects a program passes in (``extra_plugins``).

Hooks are called through :func:`~smtpdoctor.core.hookcalls.call_each`, each implementation on
its own, in pluggy's order — the builtins first unless another plugin asks to be ``tryfirst``
(:meth:`PluginManager.add_builtins`).  A hook wrapper is refused when its plugin is loaded.

Every failure to load is a :class:`PluginLoadError` whose message names the plugin and the
file or distribution it came from; the command line turns it into exit code 3.
"""

from __future__ import annotations

import enum
import importlib
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pluggy

from smtpdoctor._version import __version__
from smtpdoctor.core import hookspecs
from smtpdoctor.core.hookcalls import call_each, wrapper_refusal
from smtpdoctor.core.registry import CheckRegistry, collect_checks, plugin_origin
from smtpdoctor.model.results import CheckResult

#: The builtin plugins, registered by module name through the same hooks third parties use.
#: Among checks free to run, the one registered first runs first; this order gives
#: tcp, greeting, ehlo, tls, certificate, auth, posture with STARTTLS and
#: tcp, tls, certificate, greeting, ehlo, auth, posture with implicit TLS.
#: (``posture`` needs only ``ehlo`` but must come after ``tls``: keep it after ``tls``.)
BUILTIN_PLUGINS: tuple[str, ...] = (
    "smtpdoctor.checks.tcp",
    "smtpdoctor.checks.tls",
    "smtpdoctor.checks.certificate",
    "smtpdoctor.checks.greeting",
    "smtpdoctor.checks.ehlo",
    "smtpdoctor.checks.auth",
    "smtpdoctor.checks.send",
    "smtpdoctor.checks.delivery",
    "smtpdoctor.checks.authentication",
    "smtpdoctor.checks.posture",
    "smtpdoctor.remedies",
    "smtpdoctor.render",
)

#: Builtins that ``--disable`` may block: the knowledge base's hints.  The check modules are
#: disabled check by check (by id), and the renderers are always needed.
OPTIONAL_BUILTINS = frozenset({"smtpdoctor.remedies"})

ENTRY_POINT_GROUP = "smtpdoctor"
#: Set to 1 (or yes/true/on) to load no installed plugin, like PYTEST_DISABLE_PLUGIN_AUTOLOAD.
AUTOLOAD_ENV = "SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated modules or ``.py`` files to load, like ``--plugin``.
PLUGINS_ENV = "SMTPDOCTOR_PLUGINS"
#: Comma-separated plugin names and check ids not to run, like ``--disable``.
DISABLE_ENV = "SMTPDOCTOR_DISABLE"

_HOOK_PREFIX = "smtpdoctor_"
_FALSE = frozenset({"", "0", "false", "no", "off"})


class PluginLoadError(Exception):
    """A plugin could not be loaded or implements a hook wrongly; the message names it and
    the file or distribution it came from."""


class PluginKind(enum.Enum):
    """Where a plugin came from."""

    BUILTIN = "builtin"
    ENTRY_POINT = "entry point"
    LOCAL = "local"
    """``--plugin`` or ``SMTPDOCTOR_PLUGINS``."""
    OBJECT = "object"
    """Passed in by a program (``extra_plugins``)."""


@dataclass(frozen=True, slots=True)
class PluginSource:
    """What is known about one plugin: its name, where it came from, and its version."""

    name: str
    kind: PluginKind
    origin: str | None
    """The file it was loaded from (a module's ``__file__``), when known."""
    distribution: str | None = None
    """The installed distribution that provides it, for builtins and entry points."""
    version: str | None = None
    """That distribution's version."""


@dataclass(frozen=True, slots=True)
class PluginSelection:
    """Which plugins a run loads: what the command line and the environment asked for."""

    plugins: tuple[str, ...] = ()
    """Modules and ``.py`` files to load, in order (``--plugin`` and ``SMTPDOCTOR_PLUGINS``)."""
    disabled: frozenset[str] = frozenset()
    """Plugin names and check ids not to run (``--disable`` and ``SMTPDOCTOR_DISABLE``)."""
    autoload: bool = True
    """Whether installed plugins (entry points) are loaded."""

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str],
        *,
        plugins: Iterable[str] = (),
        disabled: Iterable[str] = (),
    ) -> PluginSelection:
        """Combine command-line values with ``SMTPDOCTOR_PLUGINS``, ``SMTPDOCTOR_DISABLE`` and
        ``SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD``.  Every value may be a comma-separated list."""
        return cls(
            plugins=tuple(dict.fromkeys(_split([environ.get(PLUGINS_ENV, ""), *plugins]))),
            disabled=frozenset(_split([environ.get(DISABLE_ENV, ""), *disabled])),
            autoload=environ.get(AUTOLOAD_ENV, "").strip().lower() in _FALSE,
        )


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, plus where each plugin came from and which were blocked.

    Like pytest, a function or method named ``smtpdoctor_*`` counts as a hook implementation
    even without :data:`~smtpdoctor.hookimpl`, so that a misspelled one is reported as an
    unknown hook instead of being silently ignored.  An implementation of a smtpdoctor hook
    marked ``wrapper=True`` or ``hookwrapper=True`` is refused: smtpdoctor runs no wrappers.
    """

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self._sources: dict[str, PluginSource] = {}
        self._blocked: dict[str, PluginSource] = {}
        self._builtins: tuple[object, ...] = ()

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        options = super().parse_hookimpl_opts(plugin, name)
        if options is None and name.startswith(_HOOK_PREFIX):
            try:
                attribute = inspect.getattr_static(plugin, name)
            except AttributeError:
                return None
            if isinstance(attribute, staticmethod | classmethod) or inspect.isroutine(attribute):
                options = pluggy.HookimplOpts(
                    wrapper=False,
                    hookwrapper=False,
                    optionalhook=False,
                    tryfirst=False,
                    trylast=False,
                    specname=None,
                )
        return None if options is None else self._as_called(plugin, name, options)

    def _as_called(
        self, plugin: object, name: str, options: pluggy.HookimplOpts
    ) -> pluggy.HookimplOpts:
        """``options`` as smtpdoctor calls the implementation: a wrapper of one of its hooks is
        refused (an unknown hook is :meth:`check_unknown_hooks`'s to report), and a builtin's
        implementation counts as ``tryfirst``."""
        hook_name = options.get("specname") or name
        caller = getattr(self.hook, hook_name, None)
        specified = caller is not None and caller.has_spec()
        refusal = wrapper_refusal(hook_name, options) if specified else None
        if refusal is not None:
            raise pluggy.PluginValidationError(plugin, refusal)
        if any(plugin is builtin for builtin in self._builtins):
            options = options.copy()  # not the marker's own dict: that is the function's
            options["tryfirst"] = True
        return options

    def add_builtins(self, builtins: Sequence[tuple[ModuleType, PluginSource]]) -> None:
        """Register the builtin plugins so that every hook calls them in the given order, and
        before any other plugin that does not ask to be ``tryfirst``.

        pluggy calls ``tryfirst`` implementations first and, among equals, the plugin
        registered last first; so the builtins' implementations count as ``tryfirst`` and
        are registered last to first.  :attr:`sources` still lists them in the given order.
        Raises :class:`PluginLoadError` as :meth:`add` does.
        """
        self._builtins = tuple(module for module, _ in builtins)
        for module, source in reversed(builtins):
            self.add(module, source)
        names = [source.name for _, source in builtins]
        self._sources = _in_order(names, self._sources)
        self._blocked = _in_order(names, self._blocked)

    def add(self, plugin: object, source: PluginSource) -> None:
        """Register ``plugin`` under ``source.name``; a blocked name is remembered, not
        registered.  Raises :class:`PluginLoadError` when the plugin is not valid."""
        if self.is_blocked(source.name):
            self._blocked[source.name] = source
            return
        twice = self._loaded_already(plugin, source)
        if twice is not None:
            raise PluginLoadError(twice)
        try:
            self.register(plugin, name=source.name)
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(f"{_where(source)} is not valid: {exc}") from None
        self._sources[source.name] = source

    def _loaded_already(self, plugin: object, source: PluginSource) -> str | None:
        """Why ``plugin`` cannot be registered as ``source.name`` — it is registered already,
        or another plugin has that name — in words, instead of pluggy's ``ValueError`` that
        dumps its whole registry; None when it can be."""
        registered_as = self.get_name(plugin)
        name = registered_as or source.name
        if registered_as is None and name not in self._sources:
            return None
        other = self._sources[name]
        same = registered_as is not None or (
            other.origin is not None and other.origin == source.origin
        )
        if other.kind is PluginKind.ENTRY_POINT:
            installed = f"{name!r} ({other.distribution} {other.version})"
            said = (
                f"is already installed as {installed}"
                if same
                else f"has the name of the installed plugin {installed}"
            )
            advice = f"use --disable {name} or drop --plugin"
        elif other.kind is PluginKind.BUILTIN:
            said = f"is the builtin plugin {name!r}, loaded already"
            advice = "drop --plugin"
        else:
            said = (
                f"is already loaded as {_where(other)}"
                if same
                else f"has the same name as {_where(other)}"
            )
            advice = "load it once" if same else "rename one of them"
        return f"{_where(source)} {said}: {advice}"

    def source(self, name: str) -> PluginSource | None:
        """Where the plugin registered as ``name`` came from."""
        return self._sources.get(name)

    @property
    def sources(self) -> tuple[PluginSource, ...]:
        """Every registered plugin, in load order."""
        return tuple(self._sources.values())

    @property
    def blocked(self) -> tuple[PluginSource, ...]:
        """Plugins that were found but not loaded because they are disabled."""
        return tuple(self._blocked.values())

    def hooks_of(self, name: str) -> tuple[str, ...]:
        """The hooks the plugin registered as ``name`` implements, sorted."""
        plugin = self.get_plugin(name)
        callers = self.get_hookcallers(plugin) if plugin is not None else None
        return tuple(sorted(caller.name for caller in callers or ()))

    def check_unknown_hooks(self) -> None:
        """Refuse implementations of hooks that do not exist (a typo, an outdated plugin)."""
        known = [name for name in vars(hookspecs) if name.startswith(_HOOK_PREFIX)]
        for hook_name, caller in sorted(vars(self.hook).items()):
            if not isinstance(caller, pluggy.HookCaller) or caller.spec is not None:
                continue
            for implementation in caller.get_hookimpls():
                if implementation.optionalhook:
                    continue
                source = self._sources[implementation.plugin_name]
                import difflib  # only to word this error

                close = difflib.get_close_matches(hook_name, known, n=1)
                suggestion = f"; did you mean {close[0]!r}?" if close else ""
                raise PluginLoadError(
                    f"{_where(source)} implements {hook_name!r}, which is not a smtpdoctor "
                    f"hook{suggestion}"
                )


def make_plugin_manager(
    *,
    extra_builtins: Sequence[str] = (),
    extra_plugins: Iterable[ModuleType | object] = (),
    plugins: Iterable[str] = (),
    disabled: Iterable[str] = (),
    load_entry_points: bool = True,
    more_check_ids: Callable[[PluginManager], Iterable[str]] | None = None,
) -> PluginManager:
    """A fresh, validated :class:`PluginManager` for one run.

    :param extra_builtins: more builtin modules, registered (and called) after
        :data:`BUILTIN_PLUGINS` as builtins are — the domain checks of ``smtpdoctor domain``.
    :param extra_plugins: plugin modules or objects to register after all others.
    :param plugins: module names or ``.py`` file paths to load (``--plugin``).
    :param disabled: plugin names not to load and check ids not to run (``--disable``);
        a name that is neither is an error, and so is a builtin check module (disable its
        check by id instead).
    :param load_entry_points: whether installed plugins (group ``smtpdoctor``) are loaded.
    :param more_check_ids: the ids of other kinds of checks the plugins registered, which
        ``disabled`` may name too (``smtpdoctor domain`` passes its domain checks' ids).
    :raises PluginLoadError: naming the plugin and its file or distribution.

    Each run gets its own manager, so nothing registered in one run leaks into the next.
    """
    disabled = frozenset(disabled)
    manager = PluginManager()
    for name in disabled:
        manager.set_blocked(name)
    builtins: list[tuple[ModuleType, PluginSource]] = []
    for name in (*BUILTIN_PLUGINS, *extra_builtins):
        module = importlib.import_module(name)
        source = PluginSource(
            name, PluginKind.BUILTIN, plugin_origin(module), "smtpdoctor", __version__
        )
        if name in disabled and name not in OPTIONAL_BUILTINS:
            raise PluginLoadError(_why_builtin_stays(name))
        builtins.append((module, source))
    manager.add_builtins(builtins)
    if load_entry_points:
        _load_entry_points(manager)
    for spec in plugins:
        module, source = _load_local(spec)
        manager.add(module, source)
    for plugin in extra_plugins:
        name = manager.get_canonical_name(plugin)
        manager.add(plugin, PluginSource(name, PluginKind.OBJECT, plugin_origin(plugin)))
    manager.check_unknown_hooks()
    if disabled:
        more = frozenset(more_check_ids(manager)) if more_check_ids is not None else frozenset()
        _refuse_unknown_names(manager, collect_checks(manager), disabled, more)
    return manager


def manager_for(selection: PluginSelection) -> PluginManager:
    """The plugin manager a :class:`PluginSelection` asks for."""
    return make_plugin_manager(
        plugins=selection.plugins,
        disabled=selection.disabled,
        load_entry_points=selection.autoload,
    )


def notify_result(manager: pluggy.PluginManager, result: CheckResult) -> list[str]:
    """Call every ``smtpdoctor_result`` implementation with ``result``, in pluggy's order.

    Each is called on its own, so one that raises neither stops the others nor the run;
    the returned list says which failed and how, for the transcript.
    """
    arguments = {"result": result}
    return [
        f"plugin {answer.plugin_name!r} failed to observe {result.check_id}: "
        f"{type(answer.error).__name__}: {answer.error}"
        for answer in call_each(manager.hook.smtpdoctor_result, lambda _: arguments)
        if answer.error is not None
    ]


def _load_entry_points(manager: PluginManager) -> None:
    import importlib.metadata  # ~30 ms (it imports the email package): only when autoloading

    for distribution in importlib.metadata.distributions():
        for entry_point in distribution.entry_points:
            if entry_point.group != ENTRY_POINT_GROUP:
                continue
            dist_name = distribution.metadata["Name"]
            source = PluginSource(
                entry_point.name,
                PluginKind.ENTRY_POINT,
                entry_point.value,
                dist_name,
                distribution.version,
            )
            if manager.is_blocked(entry_point.name):
                manager.add(None, source)  # remembered as blocked, never imported
                continue
            other = manager.source(entry_point.name)
            if other is not None and other.distribution == dist_name:
                continue  # the same distribution seen twice on sys.path
            try:
                plugin = entry_point.load()
            except Exception as exc:  # noqa: BLE001 - any import failure is the plugin's
                raise PluginLoadError(
                    f"{_where(source)} failed to load: {_describe(exc)}"
                ) from None
            manager.add(plugin, replace_origin(source, plugin))


def replace_origin(source: PluginSource, plugin: object) -> PluginSource:
    """``source`` with the file ``plugin`` was loaded from, when that is known."""
    origin = plugin_origin(plugin)
    if origin is None:
        return source
    return PluginSource(source.name, source.kind, origin, source.distribution, source.version)


def _load_local(spec: str) -> tuple[ModuleType, PluginSource]:
    """Import ``spec``, a module name or a path to a ``.py`` file."""
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        try:
            path = Path(spec).expanduser()
        except RuntimeError as exc:  # ~user/… for a user without a home directory
            raise PluginLoadError(f"plugin file {spec!r}: {exc}") from None
        return _load_file(path)
    source = PluginSource(spec, PluginKind.LOCAL, None)
    try:
        module = importlib.import_module(spec)
    except Exception as exc:  # noqa: BLE001 - any import failure is the plugin's
        raise PluginLoadError(f"{_where(source)} could not be imported: {_describe(exc)}") from None
    return module, replace_origin(source, module)


def _load_file(path: Path) -> tuple[ModuleType, PluginSource]:
    name = path.stem
    source = PluginSource(name, PluginKind.LOCAL, str(path))
    try:
        found = path.is_file()
    except OSError as exc:  # a name too long, a directory that cannot be read…
        raise PluginLoadError(f"plugin file {str(path)!r}: {exc.strerror or exc}") from None
    if not found:
        raise PluginLoadError(f"plugin file {str(path)!r} does not exist")
    if not name.isidentifier():
        raise PluginLoadError(
            f"plugin file {str(path)!r}: {name!r} is not a Python module name; rename the file "
            "(letters, digits and underscores)"
        )
    existing = sys.modules.get(name)
    resolved = path.resolve()
    if existing is not None and _module_file(existing) != resolved:
        raise PluginLoadError(
            f"plugin file {str(path)!r} has the same name as the module {name!r} "
            f"({getattr(existing, '__file__', None) or 'builtin'}); rename the file"
        )
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise PluginLoadError(f"plugin file {str(path)!r} cannot be imported as Python")
    module = importlib.util.module_from_spec(module_spec)
    # In sys.modules while it runs, as for any import: dataclasses and typing look it up.
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - any failure on import is the plugin's
        del sys.modules[name]
        raise PluginLoadError(f"{_where(source)} could not be loaded: {_describe(exc)}") from None
    return module, source


def _module_file(module: ModuleType) -> Path | None:
    file = getattr(module, "__file__", None)
    return Path(file).resolve() if file else None


def _refuse_unknown_names(
    manager: PluginManager,
    registry: CheckRegistry,
    disabled: frozenset[str],
    more_check_ids: frozenset[str] = frozenset(),
) -> None:
    plugins = {source.name for source in (*manager.sources, *manager.blocked)}
    checks = {entry.check.id for entry in registry.entries} | more_check_ids
    unknown = sorted(disabled - plugins - checks)
    if unknown:
        raise PluginLoadError(
            f"cannot disable {', '.join(repr(name) for name in unknown)}: no plugin or check "
            f"has that name (checks: {', '.join(sorted(checks))}; "
            "`smtpdoctor plugins` lists the plugins)"
        )


def _in_order(names: Sequence[str], entries: dict[str, PluginSource]) -> dict[str, PluginSource]:
    """``entries``, those named in ``names`` first and in that order."""
    return {name: entries[name] for name in names if name in entries} | entries


def _why_builtin_stays(name: str) -> str:
    if name.startswith("smtpdoctor.checks."):
        check_id = name.rsplit(".", 1)[1]
        return (
            f"the builtin plugin {name!r} cannot be disabled as a whole; disable its check by "
            f"id instead (--disable {check_id})"
        )
    return f"the builtin plugin {name!r} cannot be disabled: every run needs it"


def _where(source: PluginSource) -> str:
    where = f"plugin {source.name!r}"
    details = [
        part
        for part in (
            f"{source.distribution} {source.version}"
            if source.kind is PluginKind.ENTRY_POINT
            else None,
            source.origin,
        )
        if part
    ]
    return where + (f" ({', '.join(details)})" if details else "")


def _describe(exc: BaseException) -> str:
    """``SyntaxError: invalid syntax (plugin.py, line 3)`` or ``NameError: … at file:line``."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SyntaxError):
        return text
    frames = traceback.extract_tb(exc.__traceback__)
    outside_importlib = [f for f in frames if "importlib" not in f.filename]
    if outside_importlib:
        last = outside_importlib[-1]
        text += f" (at {last.filename}, line {last.lineno})"
    return text


def _split(values: Iterable[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]
