"""`smtpdoctor plugins` and `smtpdoctor checks`: what a run would load, table and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor._version import __version__

from tests.plugins.pluginkit import InstallDistribution, WritePlugin, check_plugin

pytest_plugins = ["tests.plugins.pluginfixtures"]


def listed(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict[str, Any]]:
    """Run ``smtpdoctor plugins|checks --format json ...``; the entries by name or id."""
    code = main([*args, "--format", "json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    if args[0] == "plugins":
        return {plugin["name"]: plugin for plugin in document["plugins"]}
    return {check["id"]: check for check in document["checks"]}


def test_plugins_lists_the_builtins_with_version_file_and_what_they_provide(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plugins = listed(capsys, "plugins")

    tcp = plugins["smtpdoctor.checks.tcp"]
    assert tcp["kind"] == "builtin"
    assert (tcp["distribution"], tcp["version"]) == ("smtpdoctor", __version__)
    assert tcp["origin"].endswith("smtpdoctor/checks/tcp.py")
    assert tcp["checks"] == ["tcp"]
    assert tcp["hooks"] == ["smtpdoctor_register_checks"]
    assert plugins["smtpdoctor.render"]["formats"] == ["table", "json", "nagios", "prometheus"]
    assert plugins["smtpdoctor.remedies"]["hooks"] == ["smtpdoctor_hints"]


def test_plugins_shows_installed_local_and_disabled_plugins(
    install_distribution: InstallDistribution,
    write_plugin: WritePlugin,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD")
    install_distribution(
        "smtpdoctor-hello",
        "4.2",
        {"hello": "smtpdoctor_hello"},
        {"smtpdoctor_hello": check_plugin("hello")},
    )
    install_distribution(
        "smtpdoctor-other",
        "1.0",
        {"other": "smtpdoctor_other"},
        {"smtpdoctor_other": check_plugin("other")},
    )
    local = write_plugin("mine", check_plugin("mine"))

    plugins = listed(capsys, "plugins", "--plugin", str(local), "--disable", "other")

    assert plugins["hello"]["kind"] == "entry point"
    assert (plugins["hello"]["distribution"], plugins["hello"]["version"]) == (
        "smtpdoctor-hello",
        "4.2",
    )
    assert plugins["hello"]["checks"] == ["hello"]
    assert plugins["mine"]["kind"] == "local"
    assert plugins["mine"]["origin"] == str(local)
    assert plugins["other"]["disabled"] is True
    assert plugins["other"]["checks"] == []


def test_plugins_as_a_table(write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]) -> None:
    local = write_plugin("mine", check_plugin("mine"))

    code = main(["plugins", "--plugin", str(local)])

    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].split() == ["Plugin", "Version", "From", "Provides", "File"]
    assert "formats: table, json, nagios," in out  # the cell wraps before "prometheus"
    assert "checks: mine" in out
    assert "Installed plugins were not loaded: SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD is set" in out


def test_checks_lists_id_title_requirements_and_plugin(
    write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    local = write_plugin("mine", check_plugin("mine", requires=("ehlo",)))

    checks = listed(capsys, "checks", "--plugin", str(local), "--disable", "certificate")

    assert checks["tls"]["requires"] == {
        "starttls": ["ehlo"],
        "implicit": ["tcp"],
        "none": ["ehlo"],
    }
    assert checks["tls"]["plugin"] == "smtpdoctor.checks.tls"
    assert checks["tcp"]["essential"] is True
    assert checks["certificate"]["disabled"] is True
    assert checks["mine"] == {
        "id": "mine",
        "title": "A check from a plugin",
        "requires": {"starttls": ["ehlo"], "implicit": ["ehlo"], "none": ["ehlo"]},
        "plugin": "mine",
        "origin": str(local),
        "essential": False,
        "opt_in": False,
        "disabled": False,
    }


def test_checks_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["checks", "--disable", "auth"])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].split() == ["Check", "Title", "Requires", "Plugin", "Notes"]
    tcp = next(line for line in lines if line.startswith("tcp "))
    auth = next(line for line in lines if line.startswith("auth "))
    assert tcp.split()[-2:] == ["always", "runs"]
    assert auth.endswith("disabled")
    assert any("implicit: tcp" in line for line in lines)


def test_a_broken_plugin_makes_the_listings_exit_3_too(
    write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_plugin("broken", "raise ValueError('nope')\n")

    codes = [main([command, "--plugin", str(path)]) for command in ("plugins", "checks")]

    assert codes == [3, 3]
    assert capsys.readouterr().err.count("plugin 'broken'") == 2


def test_help_lists_the_commands_without_loading_plugins_or_ssl() -> None:
    probe = (
        "import sys\n"
        "from smtpdoctor.__main__ import main\n"
        "code = main(['--help'])\n"
        "heavy = [m for m in ('ssl', 'cryptography', 'dns', 'pluggy', 'smtpdoctor.core.plugins') "
        "if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )

    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )

    assert "plugins" in completed.stdout
    assert "checks" in completed.stdout
    assert "HEAVY []" in completed.stdout
