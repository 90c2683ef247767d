"""Forwarding for the modules that moved into layer packages in 0.2: ``smtpdoctor.config``,
``smtpdoctor.results``, ``smtpdoctor.check`` and ``smtpdoctor.hookspecs`` still work for one
release, with a :class:`DeprecationWarning` that names the new place."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping


def forward(
    old: str, *new: str, renamed: Mapping[str, tuple[str, str]] | None = None
) -> Callable[[str], object]:
    """A module ``__getattr__`` for the old module ``old``: each name is looked up in the
    modules ``new``, in order, with a warning that says where to import it from now;
    ``renamed`` maps an old name to the module and name it has now."""

    def __getattr__(name: str) -> object:
        if renamed is not None and name in renamed:
            module_name, new_name = renamed[name]
            warnings.warn(
                f"{old}.{name} is now {module_name}.{new_name}; {old} goes away in the next "
                "release",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(importlib.import_module(module_name), new_name)
        for module_name in new:
            module = importlib.import_module(module_name)
            if hasattr(module, name):
                warnings.warn(
                    f"{old}.{name} moved: import it from smtpdoctor (the names plugins use) "
                    f"or {module_name}; {old} goes away in the next release",
                    DeprecationWarning,
                    stacklevel=2,
                )
                return getattr(module, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    return __getattr__
