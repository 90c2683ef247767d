"""The import graph of the smtpdoctor package, read from its source with :mod:`ast`.

Every import counts: at the top of a module, inside a function, and under
``if TYPE_CHECKING:``.  ``from smtpdoctor.x import y`` is an import of module
``smtpdoctor.x.y`` when that is a module, and of ``smtpdoctor.x`` otherwise.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "smtpdoctor"


@dataclass(frozen=True)
class ImportGraph:
    """Who imports whom: smtpdoctor modules by name, and the stdlib top-level names each
    module imports (``ssl`` for ``from ssl import SSLContext``)."""

    modules: Mapping[str, Path]
    smtpdoctor: Mapping[str, frozenset[str]]
    stdlib: Mapping[str, frozenset[str]]


@cache
def import_graph() -> ImportGraph:
    """The graph of the smtpdoctor package as it is on disk (read once per test session)."""
    modules = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
    imports = {name: imports_of(name, path, modules) for name, path in modules.items()}
    return ImportGraph(
        modules,
        smtpdoctor={
            name: frozenset(target for target in imported if in_package(target, "smtpdoctor"))
            for name, imported in imports.items()
        },
        stdlib={
            name: frozenset(imported & sys.stdlib_module_names)
            for name, imported in imports.items()
        },
    )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> frozenset[str]:
    """What the source at ``path`` (module ``module``) imports, anywhere in it: the
    smtpdoctor modules among ``modules``, and the top-level names of everything else."""
    return frozenset(
        resolve(dotted, modules) for dotted in imported_names(module, path, modules)
    ) - {module}


def imported_names(module: str, path: Path, modules: Mapping[str, Path]) -> Iterator[str]:
    """Every dotted name ``module`` imports, anywhere in its source: ``a.b`` for
    ``import a.b``, for ``from a import b`` ``a.b`` if that is a smtpdoctor module, else
    ``a``; relative imports are made absolute."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in modules else base


def resolve(dotted: str, modules: Mapping[str, Path]) -> str:
    """The module an imported name stands for: a smtpdoctor module (the name itself, or its
    nearest enclosing package), else the top-level name (``ssl`` for ``ssl.SSLContext``)."""
    if not in_package(dotted, "smtpdoctor"):
        return dotted.partition(".")[0]
    while dotted not in modules:
        dotted = dotted.rpartition(".")[0]
    return dotted


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def strongly_connected_components(graph: Mapping[str, Iterable[str]]) -> list[frozenset[str]]:
    """The sets of modules that reach each other (Tarjan), those of more than one module."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = lowest[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                lowest[node] = min(lowest[node], lowest[successor])
            elif successor in on_stack:
                lowest[node] = min(lowest[node], index[successor])
        if lowest[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def shortest_paths(graph: Mapping[str, Iterable[str]], start: str) -> dict[str, list[str]]:
    """For each module ``start`` reaches, the shortest chain of imports from ``start``."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for successor in sorted(graph.get(node, ())):
                if successor not in paths:
                    paths[successor] = [*paths[node], successor]
                    following.append(successor)
        frontier = following
    return paths


def describe_circle(graph: Mapping[str, Iterable[str]], circle: frozenset[str]) -> str:
    """The modules of one circle, and one concrete loop through them."""
    first = min(circle)
    inside = {node: [n for n in graph.get(node, ()) if n in circle] for node in circle}
    back = next(
        path
        for node, path in sorted(shortest_paths(inside, first).items())
        if first in inside[node]
    )
    return f"  {sorted(circle)}\n    e.g. {' -> '.join([*back, first])}"
