"""``smtpdoctor serve`` on the command line: a thin command that validates, prints the
config without secrets, and refuses a bad one in words."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main

from tests.serve.servekit import write_config


def test_check_config_prints_the_config_without_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "password").write_text("hunter2")
    config = write_config(
        tmp_path,
        """
        [modules.submission]
        user = "monitor@example.com"
        password_file = "password"
        """,
    )

    code = main(["serve", "--config", str(config), "--check-config", "--allow", "*.example.com"])

    out = capsys.readouterr().out
    assert code == 0
    shown = json.loads(out)
    assert shown["modules"]["submission"]["password_file"] == str(tmp_path / "password")
    assert shown["server"]["allowed_targets"] == ["*.example.com"]
    assert "hunter2" not in out


def test_a_bad_config_is_exit_3_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, '[modules.m]\npassword = "hunter2"\n')

    code = main(["serve", "--config", str(config)])

    err = capsys.readouterr().err
    assert code == 3
    assert f"smtpdoctor: {config}: modules.m.password: a secret is never written" in err
    assert "hunter2" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "9125"], "--listen '9125': give HOST:PORT"),
        (["--listen", "127.0.0.1:99999"], "'99999' is not a port number (0-65535)"),
        (["--listen", "127.0.0.1:" + "9" * 5000], "is not a port number (0-65535)"),
        (["--listen", "127.0.0.1:²"], "'²' is not a port number (0-65535)"),
        (["--listen", "alice@127.0.0.1:25"], "give HOST:PORT"),
        (["--allow", "host:port"], "the port must be a number from 1 to 65535"),
        (["--allow", "host:" + "9" * 5000], "the port must be a number from 1 to 65535"),
    ],
    ids=[
        "no host",
        "port too big",
        "5000 digits",
        "not ASCII",
        "an address",
        "allow word",
        "allow 5000 digits",
    ],
)
def test_bad_options_are_exit_3_in_words(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", *args, "--check-config"])

    assert code == 3
    assert message in capsys.readouterr().err


def test_without_aiohttp_it_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # import aiohttp raises ImportError
    monkeypatch.delitem(sys.modules, "smtpdoctor.serve.app", raising=False)

    code = main(["serve", "--allow", "127.0.0.1"])

    assert code == 3
    assert "pip install 'smtpdoctor[serve]'" in capsys.readouterr().err


def test_help_teaches_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Usage: smtpdoctor serve [OPTIONS]"
    assert "Examples:" in out and "/probe?target=" in out and "--check-config" in out


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"], ["check", "--help"]])
def test_help_imports_neither_aiohttp_nor_prometheus_client(args: list[str]) -> None:
    probe = (
        "import sys; from smtpdoctor.__main__ import main; main(sys.argv[1:]); "
        "print([m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'prometheus_client')])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60
    )

    assert result.stdout.splitlines()[-1] == "[]"
