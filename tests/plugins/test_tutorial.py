"""The plugin tutorial works as written: its code, taken from docs/plugins/tutorial.md into a
fresh directory, loads with --plugin, passes its own tests, installs with pip and runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.testing import SMTPTestServer

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "plugins" / "tutorial.md"
FILE_BLOCK = re.compile(r"^```\w+ file=(\S+)\n(.*?)^```$", re.S | re.M)
MakeServer = Callable[..., SMTPTestServer]
#: pip, building with the setuptools already installed and fetching nothing
PIP_OFFLINE = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
PIP_OFFLINE += ["--no-build-isolation"]


def tutorial_files() -> dict[str, str]:
    """Each file the tutorial shows, as its last version (a later block replaces the file)."""
    return dict(FILE_BLOCK.findall(TUTORIAL.read_text()))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh directory holding exactly the tutorial's files."""
    root = tmp_path / "smtpdoctor-size-policy"
    for name, text in tutorial_files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def ca_file(server: SMTPTestServer, directory: Path) -> Path:
    path = directory / "ca.pem"
    path.write_text(server.ca_pem)
    return path


def test_the_tutorial_shows_the_plugin_its_tests_and_its_packaging() -> None:
    assert sorted(tutorial_files()) == [
        "pyproject.toml",
        "size_policy.py",
        "tests/test_size_policy.py",
    ]


def test_the_plugin_file_runs_with_the_plugin_option(
    project: Path, make_smtp_server: MakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server = make_smtp_server(extensions=["SIZE 10240000"])
    args = ["check", f"127.0.0.1:{server.port}", "--ca-file", str(ca_file(server, project))]

    code = main([*args, "--plugin", str(project / "size_policy.py"), "--format", "json"])

    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)["checks"]}
    assert rows["size-limit"]["status"] == "fail"
    assert rows["size-limit"]["summary"] == (
        "the server takes messages up to 10.2 MB; our policy is 25 MB"
    )
    assert (
        rows["size-limit"]["hints"][0]["title"] == "Raise the message size limit to 25 MB or more"
    )
    assert code == 2


def test_the_tutorials_own_tests_pass(project: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "4 passed" in completed.stdout


def test_the_package_installs_with_pip_and_every_run_loads_it(
    project: Path, tmp_path: Path, make_smtp_server: MakeServer
) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [*PIP_OFFLINE, "--target", str(site), str(project)],
        capture_output=True,
        timeout=300,
        check=True,
    )
    (project / "size_policy.py").unlink()  # only the installed copy remains
    server = make_smtp_server(extensions=["SIZE 35882577"])
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMTPDOCTOR_")}
    env["PYTHONPATH"] = str(site)

    def smtpdoctor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "smtpdoctor", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    plugins = json.loads(smtpdoctor("plugins", "--format", "json").stdout)["plugins"]
    check = smtpdoctor(
        "check",
        f"127.0.0.1:{server.port}",
        "--ca-file",
        str(ca_file(server, tmp_path)),
        "-f",
        "json",
    )

    installed = next(plugin for plugin in plugins if plugin["name"] == "size-policy")
    assert installed["distribution"] == "smtpdoctor-size-policy"
    assert installed["version"] == "0.1.0"
    assert installed["kind"] == "entry point"
    assert installed["checks"] == ["size-limit"]
    rows = {row["id"]: row for row in json.loads(check.stdout)["checks"]}
    assert rows["size-limit"]["status"] == "pass"
    assert rows["size-limit"]["summary"] == "the server takes messages up to 35.9 MB"
