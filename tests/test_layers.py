"""The layering rule of ``docs/architecture.md``, checked on the source: arrows point down only.

The import graph (``tests/importgraph.py``) holds every import of a smtpdoctor module — at
the top of a module, inside a function, and under ``if TYPE_CHECKING:`` alike: a circle that
only type checkers see is still a circle.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.importgraph import (
    ROOT,
    describe_circle,
    import_graph,
    imports_of,
    in_package,
    shortest_paths,
    strongly_connected_components,
)

#: What a renderer must never load, however indirectly: the network layer, the runner, and
#: the standard library's sockets and TLS.
RENDERERS_NEVER_REACH = ("smtpdoctor.net", "smtpdoctor.core.runner")
RENDERERS_NEVER_REACH_STDLIB = frozenset({"ssl", "socket"})

#: The bottom layers: shared words and the sans-IO protocol.  They may import each other and
#: the standard library, nothing else of smtpdoctor.
BOTTOM_LAYERS = ("smtpdoctor.model", "smtpdoctor.protocol")


def test_the_graph_counts_every_import_wherever_it_is(tmp_path: Path) -> None:
    source = tmp_path / "example.py"
    source.write_text(
        textwrap.dedent(
            """
            from typing import TYPE_CHECKING
            import ssl
            from smtpdoctor.render import table
            from smtpdoctor.model.results import Report

            if TYPE_CHECKING:
                from smtpdoctor.net.session import Session

            def later():
                import smtpdoctor.core.runner
                from . import not_a_module
                from .json import render_json
            """
        )
    )

    assert imports_of("smtpdoctor.render.example", source, import_graph().modules) == {
        "typing",
        "ssl",
        "smtpdoctor.render.table",
        "smtpdoctor.model.results",
        "smtpdoctor.net.session",
        "smtpdoctor.core.runner",
        "smtpdoctor.render",
        "smtpdoctor.render.json",
    }


def test_no_module_imports_itself_through_a_circle() -> None:
    graph = import_graph()
    circles = strongly_connected_components(graph.smtpdoctor)
    assert not circles, "import circles:\n" + "\n".join(
        describe_circle(graph.smtpdoctor, circle) for circle in circles
    )


def renderer_modules() -> list[str]:
    return sorted(name for name in import_graph().modules if in_package(name, "smtpdoctor.render"))


@pytest.mark.parametrize("renderer", renderer_modules())
def test_a_renderer_never_reaches_the_network_or_the_runner(renderer: str) -> None:
    graph = import_graph()
    paths = shortest_paths(graph.smtpdoctor, renderer)
    forbidden = [
        " -> ".join(path)
        for module, path in sorted(paths.items())
        if any(in_package(module, banned) for banned in RENDERERS_NEVER_REACH)
    ]
    assert not forbidden, f"{renderer} reaches:\n" + "\n".join(forbidden)


@pytest.mark.parametrize("renderer", renderer_modules())
def test_a_renderer_never_reaches_sockets_or_tls(renderer: str) -> None:
    graph = import_graph()
    paths = shortest_paths(graph.smtpdoctor, renderer)
    forbidden = [
        " -> ".join([*path, stdlib])
        for module, path in sorted(paths.items())
        for stdlib in sorted(graph.stdlib[module] & RENDERERS_NEVER_REACH_STDLIB)
    ]
    assert not forbidden, f"{renderer} reaches:\n" + "\n".join(forbidden)


@pytest.mark.parametrize("renderer", renderer_modules())
def test_importing_a_renderer_loads_neither_sockets_nor_tls(renderer: str) -> None:
    """The same, as Python does it: parent packages and third-party libraries included."""
    probe = f"import sys, {renderer}; print('\\n'.join(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()

    forbidden = [
        module
        for module in loaded
        if module in RENDERERS_NEVER_REACH_STDLIB
        or any(in_package(module, banned) for banned in RENDERERS_NEVER_REACH)
    ]
    assert not forbidden, f"import {renderer} loads {sorted(forbidden)}"


#: The layers of docs/architecture.md, top to bottom: a module may import its own package and
#: the packages of the layers below its own, never a layer above nor a neighbour in its layer.
#: ``smtpdoctor`` is the package's ``__init__``; ``config``, ``results``, ``check`` and
#: ``hookspecs`` are the deprecated forwarding modules; ``_moved`` (the forwarding) and
#: ``_version`` import only the standard library, at the bottom.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("smtpdoctor", "__main__", "config", "results", "check", "hookspecs"),
    ("cli",),
    ("scan", "demo", "testing", "serve"),
    ("domain",),
    ("api",),
    ("render", "remedies"),
    ("pool",),
    ("checks",),
    ("core",),
    ("delivery",),
    ("mailauth",),
    ("discovery",),
    ("net",),
    ("secrets", "lab"),
    ("software",),
    ("settings",),
    ("model",),
    ("protocol",),
    ("_moved", "_version"),
)


def package_of(module: str) -> str:
    """``smtpdoctor.net.session`` -> ``net``; the package's own ``__init__`` -> ``smtpdoctor``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "smtpdoctor"


def layer_of(module: str) -> int:
    package = package_of(module)
    for depth, layer in enumerate(LAYERS):
        if package in layer:
            return depth
    raise AssertionError(f"{module}: package {package!r} is in no layer of LAYERS")


def test_every_package_has_its_layer() -> None:
    for module in import_graph().modules:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(import_graph().modules))
def test_a_module_imports_only_its_own_package_and_the_layers_below(module: str) -> None:
    own = package_of(module)
    upward = sorted(
        name
        for name in import_graph().smtpdoctor[module]
        if package_of(name) != own and layer_of(name) <= layer_of(module)
    )
    assert not upward, f"{module} (layer {layer_of(module)}) imports {upward}"
