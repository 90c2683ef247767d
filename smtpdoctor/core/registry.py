"""Which checks a run has, who registered them, and an order that honours every ``requires``."""

from __future__ import annotations

import graphlib
import inspect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial

import pluggy

from smtpdoctor.core.check import CHECK_ID, Check, RegisterCheck
from smtpdoctor.core.hookcalls import call_each
from smtpdoctor.settings.config import RunConfig

#: Checks no run can do without: nothing can be said about a server without a connection, its
#: greeting and its extensions.  Whatever these need in a run (with implicit TLS, the ``tls``
#: handshake comes before the greeting) cannot be disabled either.
ESSENTIAL_CHECKS: tuple[str, ...] = ("tcp", "greeting", "ehlo")


class RegistrationError(Exception):
    """A plugin registered something malformed: a bad or duplicate id, an unknown or cyclic
    dependency, or its registration hook raised.  The message names the check, the plugin
    and the file it came from."""


@dataclass(frozen=True, slots=True)
class RegisteredCheck:
    """A check class and the plugin that registered it."""

    check: type[Check]
    plugin: str
    """The plugin's name (``smtpdoctor.checks.tcp``, an entry-point name, a file's stem)."""
    origin: str | None
    """Where the plugin lives: a file path, or ``None`` when unknown."""

    @property
    def where(self) -> str:
        """``plugin 'name' (path/to/file.py)``, for messages."""
        return _where(self.plugin, self.origin)


class CheckRegistry:
    """The checks registered for one run, in registration order."""

    def __init__(self) -> None:
        self._checks: dict[str, RegisteredCheck] = {}

    def register(
        self, check: type[Check], *, plugin: str = "(unnamed plugin)", origin: str | None = None
    ) -> None:
        """Add ``check``, registered by ``plugin`` (from ``origin``); raises
        :class:`RegistrationError` if it is not a well-formed check or its id is taken."""
        where = _where(plugin, origin)
        if not (inspect.isclass(check) and issubclass(check, Check)):
            raise RegistrationError(f"{where}: {check!r} is not a subclass of smtpdoctor.Check")
        name = f"{check.__module__}.{check.__qualname__}"
        check_id = getattr(check, "id", None)
        if not isinstance(check_id, str) or not CHECK_ID.fullmatch(check_id):
            raise RegistrationError(
                f"{where}: {name}: id must be lower-case letters, digits and hyphens, "
                f"got {check_id!r}"
            )
        if not isinstance(getattr(check, "title", None), str):
            raise RegistrationError(f"{where}: {name}: a check needs a title")
        if inspect.isabstract(check):
            raise RegistrationError(f"{where}: {name}: a check must implement run()")
        findings = getattr(check, "findings", ())
        if not isinstance(findings, tuple) or not all(isinstance(f, str) for f in findings):
            raise RegistrationError(
                f"{where}: {name}: findings must be a tuple of finding ids, got {findings!r}"
            )
        if check_id in self._checks:
            other = self._checks[check_id]
            raise RegistrationError(
                f"check id {check_id!r} is registered twice: by {where} and by {other.where}"
            )
        self._checks[check_id] = RegisteredCheck(check, plugin, origin)

    def registrar(self, plugin: str, origin: str | None) -> RegisterCheck:
        """The ``register`` callable handed to ``plugin``'s registration hook."""
        return partial(self.register, plugin=plugin, origin=origin)

    def __iter__(self) -> Iterator[type[Check]]:
        return (entry.check for entry in self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    @property
    def entries(self) -> tuple[RegisteredCheck, ...]:
        """Every registered check with its plugin, in registration order."""
        return tuple(self._checks.values())

    def ordered(self, config: RunConfig) -> list[type[Check]]:
        """The checks in an order where each comes after all it depends on.

        Among checks free to run, registration order is kept, so the table reads in the order
        the hook called the plugins (builtins first).  A check that does not
        :meth:`~smtpdoctor.core.check.Check.applies` to the run is left out, and so is every check
        that depends on it.  Raises :class:`RegistrationError` for an unknown
        or cyclic dependency, and for a check in ``config.disabled`` the run cannot do without.
        """
        graph = self._graph(config)
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            plugins = ", ".join(
                dict.fromkeys(self._checks[check_id].where for check_id in exc.args[1])
            )
            raise RegistrationError(
                f"checks depend on each other in a cycle: {cycle} (from {plugins})"
            ) from None
        self._refuse_disabling_essentials(config)
        placed: dict[str, None] = {}
        while len(placed) < len(graph):
            # the first check, in registration order, whose dependencies are all placed
            check_id = next(
                c for c, deps in graph.items() if c not in placed and all(d in placed for d in deps)
            )
            placed[check_id] = None
        left_out: set[str] = set()
        for check_id in placed:  # dependencies first, so leaving out cascades
            check = self._checks[check_id].check
            if not check.applies(config) or left_out.intersection(graph[check_id]):
                left_out.add(check_id)
        return [self._checks[check_id].check for check_id in placed if check_id not in left_out]

    def needed_by(self, check_ids: Iterable[str], config: RunConfig) -> frozenset[str]:
        """``check_ids`` and everything they depend on in this run, transitively."""
        graph = self._graph(config)
        needed: set[str] = set()
        pending = [check_id for check_id in check_ids if check_id in graph]
        while pending:
            check_id = pending.pop()
            if check_id not in needed:
                needed.add(check_id)
                pending.extend(graph[check_id])
        return frozenset(needed)

    def essential(self, config: RunConfig) -> frozenset[str]:
        """The checks this run cannot do without: :data:`ESSENTIAL_CHECKS` and what they need."""
        return self.needed_by(ESSENTIAL_CHECKS, config)

    def _graph(self, config: RunConfig) -> dict[str, tuple[str, ...]]:
        graph: dict[str, tuple[str, ...]] = {}
        for check_id, entry in self._checks.items():
            dependencies = entry.check.dependencies(config)
            unknown = [d for d in dependencies if d not in self._checks]
            if unknown:
                raise RegistrationError(
                    f"check {check_id!r} from {entry.where} requires unknown check(s): "
                    + ", ".join(repr(u) for u in unknown)
                )
            graph[check_id] = dependencies
        return graph

    def _refuse_disabling_essentials(self, config: RunConfig) -> None:
        for check_id in ESSENTIAL_CHECKS:
            if check_id in config.disabled:
                raise RegistrationError(
                    f"check {check_id!r} cannot be disabled: every run needs it"
                )
        needed = sorted(config.disabled & self.essential(config))
        if needed:
            check_id = needed[0]
            users = [e for e in ESSENTIAL_CHECKS if check_id in self.needed_by((e,), config)]
            raise RegistrationError(
                f"check {check_id!r} cannot be disabled in this run: "
                f"{' and '.join(users)} need{'s' if len(users) == 1 else ''} it "
                f"(with {config.tls_mode.value} TLS)"
            )


def collect_checks(manager: pluggy.PluginManager) -> CheckRegistry:
    """Ask every plugin, in pluggy's order (builtins first, unless a plugin is ``tryfirst``),
    to register its checks.

    Each plugin gets a ``register`` that remembers it, so that ``smtpdoctor checks`` can say
    who registered what, and errors name the plugin and its file.  Every plugin is asked even
    when one fails; then the first failure, in call order, is raised as a
    :class:`RegistrationError`.
    """
    registry = CheckRegistry()

    def arguments(implementation: pluggy.HookImpl) -> dict[str, object]:
        origin = plugin_origin(implementation.plugin)
        return {"register": registry.registrar(implementation.plugin_name, origin)}

    for answer in call_each(manager.hook.smtpdoctor_register_checks, arguments):
        if isinstance(answer.error, RegistrationError):
            raise answer.error
        if answer.error is not None:  # a broken plugin is a clear error, not a crash
            raise RegistrationError(
                f"{_where(answer.plugin_name, plugin_origin(answer.plugin))} failed while "
                f"registering its checks: {type(answer.error).__name__}: {answer.error}"
            ) from None
    return registry


def plugin_origin(plugin: object) -> str | None:
    """The file a plugin (a module, a class or an instance) was defined in, if known."""
    target = plugin if inspect.ismodule(plugin) or inspect.isclass(plugin) else type(plugin)
    try:
        return inspect.getfile(target)
    except (TypeError, OSError):
        return None


def _where(plugin: str, origin: str | None) -> str:
    return f"plugin {plugin!r}" + (f" ({origin})" if origin else "")
