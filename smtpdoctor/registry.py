"""Which checks a run has, validated, in an order that honours every ``requires``."""

from __future__ import annotations

import graphlib
import inspect
from collections.abc import Iterator

from smtpdoctor.check import CHECK_ID, Check
from smtpdoctor.config import RunConfig


class RegistrationError(Exception):
    """A plugin registered something malformed: a bad or duplicate id, an unknown or cyclic
    dependency.  The message names the check and the module it came from."""


class CheckRegistry:
    """The checks registered for one run, in registration order."""

    def __init__(self) -> None:
        self._checks: dict[str, type[Check]] = {}

    def register(self, check: type[Check]) -> None:
        """Add ``check``; raises :class:`RegistrationError` if it is not a well-formed check."""
        if not (inspect.isclass(check) and issubclass(check, Check)):
            raise RegistrationError(f"{check!r} is not a subclass of smtpdoctor.Check")
        origin = f"{check.__module__}.{check.__qualname__}"
        check_id = getattr(check, "id", None)
        if not isinstance(check_id, str) or not CHECK_ID.fullmatch(check_id):
            raise RegistrationError(
                f"{origin}: id must be lower-case letters, digits and hyphens, got {check_id!r}"
            )
        if not isinstance(getattr(check, "title", None), str):
            raise RegistrationError(f"{origin}: a check needs a title")
        if inspect.isabstract(check):
            raise RegistrationError(f"{origin}: a check must implement run()")
        if check_id in self._checks:
            other = self._checks[check_id]
            raise RegistrationError(
                f"check id {check_id!r} is registered twice: by {origin} and by "
                f"{other.__module__}.{other.__qualname__}"
            )
        self._checks[check_id] = check

    def __iter__(self) -> Iterator[type[Check]]:
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    def ordered(self, config: RunConfig) -> list[type[Check]]:
        """The checks in an order where each comes after all it depends on.

        Among checks free to run, registration order is kept, so the table reads in the order
        plugins were loaded (builtins first).
        """
        graph: dict[str, tuple[str, ...]] = {}
        for check_id, check in self._checks.items():
            dependencies = check.dependencies(config)
            unknown = [d for d in dependencies if d not in self._checks]
            if unknown:
                raise RegistrationError(
                    f"check {check_id!r} ({check.__module__}) requires unknown check(s): "
                    + ", ".join(repr(u) for u in unknown)
                )
            graph[check_id] = dependencies
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            raise RegistrationError(f"checks depend on each other in a cycle: {cycle}") from None
        placed: dict[str, None] = {}
        while len(placed) < len(graph):
            # the first check, in registration order, whose dependencies are all placed
            check_id = next(
                c for c, deps in graph.items() if c not in placed and all(d in placed for d in deps)
            )
            placed[check_id] = None
        return [self._checks[check_id] for check_id in placed]
