"""Any terminal (issue 12): every table fits ``COLUMNS`` down to 80, and output to a stream
that is not UTF-8 degrades to ASCII instead of crashing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.testing import PASSWORD, USER, SMTPTestServer

from tests.scan.fleetkit import running_fleet

WIDTHS = (80, 120)


@pytest.fixture
def server(make_smtp_server: Callable[..., SMTPTestServer]) -> SMTPTestServer:
    return make_smtp_server()


@pytest.fixture
def ca_file(server: SMTPTestServer, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(server.ca_pem)
    return path


def failing_check(server: SMTPTestServer, ca_file: Path) -> list[str]:
    """A check whose login fails, so that the table shows hints."""
    return ["check", f"{server.host}:{server.port}", "--ca-file", str(ca_file), "--user", USER]


def longest_line(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("width", WIDTHS)
def test_check_fits_the_terminal_hints_and_all(
    width: int,
    server: SMTPTestServer,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", "wrong")

    code = main(failing_check(server, ca_file))

    out = capsys.readouterr().out
    assert code == 2
    assert "password is wrong" in out
    assert longest_line(out) <= width


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", ["plugins", "checks"])
def test_the_listings_fit_the_terminal(
    command: str, width: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))

    code = main([command])

    out = capsys.readouterr().out
    assert code == 0
    assert "tcp" in out
    assert longest_line(out) <= width


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("password", [PASSWORD, "wrong"], ids=["sent", "login-refused"])
def test_send_fits_the_terminal_dialogue_and_ending(
    width: int,
    password: str,
    server: SMTPTestServer,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", password)
    recipient = "someone.with.a.rather.long.name@mailboxes.of.a.long.domain.example.test"
    command = ["send", f"{server.host}:{server.port}", "--ca-file", str(ca_file)]
    command += ["--from", USER, "--to", recipient, "--subject", "A subject " * 12, "--body", "Hi"]

    code = main(command)

    out = capsys.readouterr().out
    assert code == (0 if password == PASSWORD else 2)
    assert ("Was successful!" in out) is (password == PASSWORD)
    assert "    C EHLO " in out
    assert longest_line(out) <= width


def test_scan_fits_the_terminal_progress_and_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    with running_fleet() as fleet:
        servers = [fleet.start(f"127.0.0.{n}") for n in (2, 3)]
        targets = tmp_path / "targets.txt"
        targets.write_text("".join(f"{s.target}\n" for s in servers) + "127.0.0.4:1\n")
        output = tmp_path / "results.jsonl"

        code = main(["scan", str(targets), "--output", str(output), "--progress", "--tls", "none"])

    captured = capsys.readouterr()
    assert code == 2
    assert "3 targets in" in captured.out
    assert "] 3/3 " in captured.err
    assert longest_line(captured.out) <= 80
    assert max(len(line) for line in captured.err.replace("\r", "\n").splitlines()) <= 80


def test_wider_terminals_use_the_room(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    main(["plugins"])
    narrow = capsys.readouterr().out
    monkeypatch.setenv("COLUMNS", "300")
    main(["plugins"])
    wide = capsys.readouterr().out

    assert longest_line(wide) > 80
    assert len(wide.splitlines()) < len(narrow.splitlines())


ENCODINGS = [
    {"PYTHONIOENCODING": "cp1252"},
    {"PYTHONIOENCODING": "latin-1"},
    {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0"},
]


def run_cli(args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONIOENCODING", "PYTHONUTF8", "LANG", "LANGUAGE"}
        and not key.startswith("LC_")
    }
    env.update(environment, SMTPDOCTOR_PASSWORD="wrong", COLUMNS="80")
    return subprocess.run(
        [sys.executable, "-m", "smtpdoctor", *args], capture_output=True, env=env, timeout=60
    )


def assert_no_crash(result: subprocess.CompletedProcess[bytes]) -> None:
    both = result.stdout + result.stderr
    assert b"UnicodeEncodeError" not in both
    assert b"smtpdoctor: internal error" not in both
    assert b"Traceback" not in both


@pytest.mark.parametrize("environment", ENCODINGS, ids=["cp1252", "latin-1", "C-locale"])
@pytest.mark.parametrize("args", [["--help"], ["check", "--help"]], ids=["help", "check-help"])
def test_help_survives_any_encoding(args: list[str], environment: dict[str, str]) -> None:
    result = run_cli(args, environment)

    assert_no_crash(result)
    assert result.returncode == 0
    assert b"Usage:" in result.stdout


@pytest.mark.parametrize("environment", ENCODINGS, ids=["cp1252", "latin-1", "C-locale"])
def test_a_real_check_survives_any_encoding(
    environment: dict[str, str], server: SMTPTestServer, ca_file: Path
) -> None:
    result = run_cli(failing_check(server, ca_file), environment)

    assert_no_crash(result)
    assert result.returncode == 2
    assert b"535" in result.stdout


def test_what_latin_1_cannot_hold_is_written_as_ascii(
    server: SMTPTestServer, ca_file: Path
) -> None:
    result = run_cli(failing_check(server, ca_file), {"PYTHONIOENCODING": "latin-1"})

    heading = result.stdout.decode("latin-1").splitlines()[0]
    assert f" - {server.host} port {server.port} (starttls) - " in heading
