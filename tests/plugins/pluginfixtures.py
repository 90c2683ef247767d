"""Fixtures for the plugin-system tests: plugin files, installed distributions, a CA file.

Test modules load this with ``pytest_plugins = ["tests.plugins.pluginfixtures"]``; its types
are in ``tests.plugins.pluginkit``.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpdoctor.testing import SMTPTestServer

from tests.plugins.pluginkit import InstallDistribution, WritePlugin


@pytest.fixture
def write_plugin(tmp_path: Path) -> WritePlugin:
    directory = tmp_path / "local-plugins"
    directory.mkdir()

    def write(name: str, source: str) -> Path:
        path = directory / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        return path

    return write


@pytest.fixture
def install_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InstallDistribution]:
    """Make distributions "installed": a dist-info with entry points, on sys.path, the way
    pip leaves them; the modules are forgotten again after the test."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def install(
        name: str, version: str, entry_points: dict[str, str], sources: dict[str, str]
    ) -> None:
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        lines = ["[smtpdoctor]", *(f"{ep} = {target}" for ep, target in entry_points.items())]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for module, source in sources.items():
            (site / f"{module}.py").write_text(textwrap.dedent(source))
            modules.append(module)
        importlib.invalidate_caches()

    yield install
    for module in modules:
        sys.modules.pop(module, None)


@pytest.fixture
def ca_file(smtp_test_server: SMTPTestServer, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(smtp_test_server.ca_pem)
    return path


@pytest.fixture
def target(smtp_test_server: SMTPTestServer) -> str:
    return f"127.0.0.1:{smtp_test_server.port}"


@pytest.fixture(autouse=True)
def _forget_local_plugin_modules() -> Iterator[None]:
    """Plugin files are imported under their stem; forget them after each test."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        module = sys.modules[name]
        if "local-plugins" in str(getattr(module, "__file__", "") or ""):
            del sys.modules[name]
