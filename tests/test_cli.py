"""The command line: what people type, what they see, and the exit codes monitors read."""

from __future__ import annotations

import importlib
import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.cli import COMMANDS
from smtpdoctor.demo.server import LocalSMTPServer

from tests.loopback import closed_port

PASSWORD = "correct horse battery staple"  # the conftest user's password
USER = "alice@example.test"


@pytest.fixture
def ca_file(smtp_server: LocalSMTPServer, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(smtp_server.ca_pem)
    return path


def target(server: LocalSMTPServer) -> str:
    return f"{server.host}:{server.port}"


def test_a_passing_check_prints_the_table_and_exits_0(
    smtp_server: LocalSMTPServer, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", target(smtp_server), "--ca-file", str(ca_file)])

    out = capsys.readouterr().out
    assert code == 0
    for check_id in ("tcp", "greeting", "ehlo", "tls", "certificate", "auth", "posture"):
        assert check_id in out
    assert "OK: 6 pass, 1 info" in out


def test_the_password_comes_from_the_environment(
    smtp_server: LocalSMTPServer,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)

    code = main(["check", target(smtp_server), "--ca-file", str(ca_file), "--user", USER])

    assert code == 0
    assert f"logged in as {USER} with PLAIN" in capsys.readouterr().out


def test_the_password_comes_from_a_file(
    smtp_server: LocalSMTPServer, ca_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\nanything after the first line is ignored\n")

    code = main(
        [
            "check",
            target(smtp_server),
            "--ca-file",
            str(ca_file),
            "-u",
            USER,
            "--password-file",
            str(password_file),
        ]
    )

    assert code == 0
    assert "logged in" in capsys.readouterr().out


def test_a_wrong_password_exits_2_with_the_hint(
    smtp_server: LocalSMTPServer,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", "wrong")

    code = main(["check", target(smtp_server), "--ca-file", str(ca_file), "--user", USER])

    out = capsys.readouterr().out
    assert code == 2
    assert "535 5.7.8" in out
    assert "The user name or password is wrong" in out


def test_without_a_terminal_a_missing_password_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SMTPDOCTOR_PASSWORD", raising=False)

    code = main(["check", "127.0.0.1:2525", "--user", USER])

    assert code == 3
    assert "set SMTPDOCTOR_PASSWORD, use --password-file" in capsys.readouterr().err


def test_json_output_is_a_versioned_document(
    smtp_server: LocalSMTPServer, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", target(smtp_server), "--ca-file", str(ca_file), "--format", "json"])

    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["schema_version"] == 1
    assert document["exit_code"] == 0
    assert document["target"] == {
        "host": smtp_server.host,
        "port": smtp_server.port,
        "tls_mode": "starttls",
    }
    assert [check["id"] for check in document["checks"]] == [
        "tcp",
        "greeting",
        "ehlo",
        "tls",
        "certificate",
        "auth",
        "posture",
    ]
    assert "transcript" not in document


#: What a plain ``check --format json`` has no use for: the other commands, the table's
#: tabulate, a test message's email package, IMAP, DNS discovery.  Start-up time is most of a
#: check's wall time, so a module only loads when the run needs it.
NOT_NEEDED_BY_A_JSON_CHECK = (
    "smtpdoctor.cli.scan",
    "smtpdoctor.cli.plugins",
    "smtpdoctor.cli.demo",
    "smtpdoctor.scan",
    "smtpdoctor.delivery.imap",
    "smtpdoctor.delivery.message",
    "tabulate",
    "imaplib",
    "email.message",
    "dns",
)


def test_a_json_check_imports_only_what_it_uses(
    smtp_server: LocalSMTPServer, ca_file: Path
) -> None:
    probe = (
        "import sys, contextlib, io\n"
        "from smtpdoctor.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['check', {target(smtp_server)!r}, '--ca-file', {str(ca_file)!r}, "
        "'--format', 'json'])\n"
        f"print(code, [m for m in {NOT_NEEDED_BY_A_JSON_CHECK!r} if m in sys.modules])\n"
    )
    environment = {**os.environ, "SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD": "1"}

    completed = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=environment,
    )

    assert completed.stdout.split() == ["0", "[]"]


def test_json_carries_the_transcript_on_request(
    smtp_server: LocalSMTPServer, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", target(smtp_server), "--ca-file", str(ca_file), "-f", "json", "--transcript"])

    document = json.loads(capsys.readouterr().out)
    lines = [(line["direction"], line["text"]) for line in document["transcript"]]
    assert ("C", "STARTTLS") in lines


def test_transcript_follows_the_table(
    smtp_server: LocalSMTPServer, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", target(smtp_server), "--ca-file", str(ca_file), "--transcript"])

    out = capsys.readouterr().out
    assert "Transcript (passwords redacted):" in out
    assert " C EHLO " in out


def test_an_untrusted_certificate_fails_without_ca_file(
    smtp_server: LocalSMTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", target(smtp_server)])

    assert code == 2
    assert "certificate refused" in capsys.readouterr().out


def test_insecure_says_so_in_the_heading(
    smtp_server: LocalSMTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", target(smtp_server), "--insecure"])

    out = capsys.readouterr().out
    assert code == 1  # the certificate row warns that nothing was verified
    assert "certificate verification is OFF (--insecure)" in out
    assert "NOT verified (--insecure)" in out


def test_a_refused_port_exits_2_in_words(
    closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", f"127.0.0.1:{closed_port}"])

    assert code == 2
    assert "nothing is listening there" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check"], "Missing argument"),
        (["check", "host", "--bogus"], "No such option"),
        (["check", "host:99999"], "is not a port number"),
        (["check", "host:\u00b2"], "is not a port number"),
        (["check", "host", "--probe-port", "\u00b2"], "is not a port number"),
        (["check", "host:25", "--timeout", "nan"], "must be positive numbers"),
        (["check", "host\r\nRCPT TO:<x>"], "contains a CR character"),
        (["check", "@gmail.com"], "is not an email address"),
        (["check", "host", "--tls", "sometimes"], "Invalid value"),
        (["check", "host", "--timeout", "0"], "Invalid value"),
        (["check", "host", "--helo-name", "a b"], "is not a HELO name"),
        (["chek", "host"], "No such command 'chek'. Did you mean 'check', 'checks'?"),
        (["--bogus"], "No such option"),
    ],
)
def test_usage_errors_exit_3_not_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(argv)

    assert code == 3
    assert message in capsys.readouterr().err


def test_help_teaches_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--help"])

    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "0 all passed, 1 warnings, 2 a check failed, 3 could not run" in out


def test_help_lists_every_command_in_order_with_its_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["--help"])

    rows = capsys.readouterr().out.split("Commands:")[1].strip().splitlines()
    names = [row.split()[0] for row in rows if not row.startswith("   ")]
    expected = [
        "check", "demo", "send", "domain", "scan", "serve", "plugins", "checks", "providers"
    ]  # fmt: skip
    assert names == list(COMMANDS) == expected
    assert "Check a mail server for sending" in rows[0]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_listed_summary_is_said_by_the_commands_own_docstring(name: str) -> None:
    # the listing reads COMMANDS, not the commands (which it does not import): each summary
    # must be the docstring's words, in its order (words may be left out, none added)
    spec = COMMANDS[name]
    docstring = getattr(importlib.import_module(spec.module), spec.function).__doc__
    words = iter(word.strip(",.:;()") for word in docstring.split())

    assert all(word.strip(",") in words for word in spec.summary.split()), spec.summary


def test_listing_the_commands_imports_none_of_them() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LISTING_IMPORTS], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


LISTING_IMPORTS = """
import contextlib, io, sys
from smtpdoctor.__main__ import main
with contextlib.redirect_stdout(io.StringIO()):
    main(["--help"])
print(*sorted(m for m in sys.modules if m.startswith("smtpdoctor.cli.") and m not in (
    "smtpdoctor.cli.common",)))
"""


def test_demo_help_says_it_checks_three_times(capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "--help"])

    out = " ".join(capsys.readouterr().out.split())
    assert (
        "check it three times: with the right password, with a wrong one, and with a test "
        "message, which the server keeps" in out
    )
    assert "once with" not in out


def test_check_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--help"])

    out = capsys.readouterr().out
    for option in ("--user", "--password-file", "--tls", "--ca-file", "--insecure", "--format"):
        assert option in out
    assert "--password " not in out  # never on argv


def test_the_console_script_and_python_m_agree_on_the_version() -> None:
    module = subprocess.run(
        [sys.executable, "-m", "smtpdoctor", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    script = subprocess.run(
        [str(Path(sys.executable).with_name("smtpdoctor")), "--version"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert module.stdout == script.stdout
    assert module.stdout.startswith("smtpdoctor ")


def test_the_demo_passes_then_shows_the_wrong_password(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo"])

    out = capsys.readouterr().out
    assert code == 0
    assert "OK: 7 pass" in out
    assert "The user name or password is wrong" in out
    assert "The server saw 2 TCP connections for these 2 checks" in out


def test_a_plaintext_server_with_none_tls_reports_the_skip(
    make_server: Callable[..., LocalSMTPServer], capsys: pytest.CaptureFixture[str]
) -> None:
    server = make_server(tls="none", users={})

    code = main(["check", target(server), "--tls", "none"])

    out = capsys.readouterr().out
    assert code == 0
    assert "not attempted (--tls none)" in out


@pytest.fixture(name="closed_port")
def a_closed_port() -> int:
    return closed_port()


def test_on_a_terminal_the_password_is_asked_for_without_echo(
    smtp_server: LocalSMTPServer, ca_file: Path
) -> None:
    """A real pseudo-terminal: the prompt appears, the typed password is not echoed back."""
    controller, terminal = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key != "SMTPDOCTOR_PASSWORD"}
    command = [sys.executable, "-m", "smtpdoctor", "check", target(smtp_server)]
    command += ["--ca-file", str(ca_file), "--user", USER]
    with subprocess.Popen(
        command, stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True
    ) as process:
        os.close(terminal)
        seen = read_until(controller, b"Password for alice@example.test: ")
        os.write(controller, PASSWORD.encode() + b"\n")
        seen += read_until(controller, b"(exit code")
        process.wait(timeout=20)
    os.close(controller)

    assert process.returncode == 0
    assert b"logged in as alice@example.test with PLAIN" in seen
    assert PASSWORD.encode() not in seen


def read_until(fd: int, marker: bytes, timeout: float = 20.0) -> bytes:
    """Read from a pty until ``marker`` shows up (or the timeout passes, then fail)."""
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {marker!r}; got {data!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the other side closed the terminal
                break
            data += chunk
    return data
