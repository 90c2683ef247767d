"""The front doors (``check``, ``send``, ``scan``) share one execute path: the same Ctrl-C
ending, the same redaction of errors, the same exit codes — and they hold no run policy."""

from __future__ import annotations

import ast
import base64
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.testing import SMTPTestServer

USER = "alice@example.test"
PASSWORD = "Sw0rdfish-2026"
CLI = Path(__file__).parents[2] / "smtpdoctor" / "cli"
#: What a front door may not import: the policy and the machinery live below the API.
POLICY_MODULES = (
    "smtpdoctor.discovery",
    "smtpdoctor.net",
    "smtpdoctor.core.runner",
    "smtpdoctor.secrets.tokens",
    "smtpdoctor.delivery.imap",
)


@pytest.fixture
def server() -> Iterator[SMTPTestServer]:
    with SMTPTestServer(users={USER: PASSWORD}) as running:
        yield running


@pytest.fixture
def ca_file(server: SMTPTestServer, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(server.ca_pem, encoding="ascii")
    return path


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SMTPDOCTOR_PLUGINS", "SMTPDOCTOR_DISABLE", "SMTPDOCTOR_OAUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)
    return monkeypatch


def plugin_file(tmp_path: Path, source: str) -> Path:
    """A plugin file with a module name of its own (plugins are imported by file name)."""
    path = tmp_path / f"front_door_{abs(hash(tmp_path))}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def send_command(server: SMTPTestServer, ca_file: Path) -> list[str]:
    return [
        "send",
        f"{server.host}:{server.port}",
        "--from",
        USER,
        "--to",
        "bob@example.test",
        "--ca-file",
        str(ca_file),
    ]


STOPS_AFTER_THE_SEND = """
    from smtpdoctor import Check, Outcome, hookimpl

    class PressesCtrlC(Check):
        id = "presses-ctrl-c"
        title = "Ctrl-C"
        requires = ("send",)

        def run(self, ctx):
            raise KeyboardInterrupt

    @hookimpl
    def smtpdoctor_register_checks(register):
        register(PressesCtrlC)
"""


def test_ctrl_c_during_send_ends_with_the_partial_report_and_exit_130(
    server: SMTPTestServer,
    ca_file: Path,
    tmp_path: Path,
    clean_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clean_environment.setenv("SMTPDOCTOR_PLUGINS", str(plugin_file(tmp_path, STOPS_AFTER_THE_SEND)))

    code = main(send_command(server, ca_file))

    out = capsys.readouterr().out
    assert code == 130
    assert "Was successful!" in out  # what finished before Ctrl-C is reported
    assert "Interrupted (Ctrl-C): presses-ctrl-c did not finish." in out
    assert len(server.messages) == 1


def test_ctrl_c_during_check_ends_the_same_way(
    server: SMTPTestServer,
    ca_file: Path,
    tmp_path: Path,
    clean_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plugin = plugin_file(tmp_path, STOPS_AFTER_THE_SEND)
    command = ["check", f"{server.host}:{server.port}", "-u", USER, "--ca-file", str(ca_file)]

    code = main([*command, "--send-to", "bob@example.test", "--plugin", str(plugin)])

    out = capsys.readouterr().out
    assert code == 130
    assert "interrupted (Ctrl-C) before it finished" in out


LEAKS_THE_PASSWORD = """
    import base64, os

    secret = os.environ["SMTPDOCTOR_PASSWORD"]
    raise RuntimeError("cannot start: " + secret + " " + base64.b64encode(secret.encode()).decode())
"""


@pytest.mark.parametrize("command", ["check", "send"])
def test_a_broken_plugin_never_shows_the_password_whichever_the_front_door(
    command: str,
    server: SMTPTestServer,
    ca_file: Path,
    tmp_path: Path,
    clean_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clean_environment.setenv("SMTPDOCTOR_PLUGINS", str(plugin_file(tmp_path, LEAKS_THE_PASSWORD)))
    argv = send_command(server, ca_file)
    if command == "check":
        argv = ["check", f"{server.host}:{server.port}", "-u", USER, "--ca-file", str(ca_file)]

    code = main(argv)

    err = capsys.readouterr().err
    assert code == 3
    assert "cannot start: [redacted]" in err
    assert PASSWORD not in err
    assert base64.b64encode(PASSWORD.encode()).decode() not in err
    assert server.connections == 0  # refused before anything was sent


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "alice@", "--format", "json"],
        ["send", "alice@example.test", "--from", USER, "--to", USER],
        ["scan", "-", "--ca-file", "/nonexistent/ca.pem"],
    ],
)
def test_every_front_door_says_a_usage_error_the_same_way(
    argv: list[str], clean_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(argv)

    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith(("smtpdoctor: ", "Usage: "))
    assert "Traceback" not in err


@pytest.mark.parametrize("module", sorted(CLI.glob("*.py")), ids=lambda path: path.name)
def test_a_front_door_imports_no_run_policy(module: Path) -> None:
    """Which server, which port, who logs in, how to connect: decided below the API."""
    imported = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)

    assert not {name for name in imported if name.startswith(POLICY_MODULES)}
