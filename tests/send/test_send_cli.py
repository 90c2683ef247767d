"""``smtpdoctor send`` and ``check --send-to … --verify-imap`` as people type them: the
prompts on a terminal, usage errors without one, the dialogue, the ending, the exit codes."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.cli.send import _ending
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.results import CheckResult, Outcome, Report, Status, Target
from smtpdoctor.model.words import TLSMode

from tests.send.sendkit import PASSWORD, USER, FakeIMAP, serving

BOB = "bob@example.test"


@pytest.fixture
def ca_file(pki: ThrowawayPKI, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(pki.ca_pem)
    return path


@pytest.fixture(autouse=True)
def only_builtin_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed example plugins (a banner policy…) would add rows of their own."""
    monkeypatch.setenv("SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines as they are said, unwrapped (tests/test_command_line.py checks 80 columns)."""
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def no_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMTPDOCTOR_PASSWORD", "SMTPDOCTOR_IMAP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def password_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)
    monkeypatch.delenv("SMTPDOCTOR_IMAP_PASSWORD", raising=False)


def target(server: LocalSMTPServer) -> str:
    return f"{server.host}:{server.port}"


@pytest.mark.usefixtures("password_in_env")
def test_send_shows_the_dialogue_and_ends_with_the_success_line(
    smtp_server: LocalSMTPServer, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["send", target(smtp_server), "--ca-file", str(ca_file), "--from", USER, "--to", BOB]
    command += ["--subject", "Hello from the test", "--body", "It works."]
    code = main(command)

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"Sending from {USER} to {BOB} through 127.0.0.1 port ")
    assert "    C AUTH PLAIN [redacted]" in out
    assert f"    C MAIL FROM:<{USER}> SIZE=" in out
    assert "    S 354 " in out
    assert "send         PASS  accepted for bob@example.test" in out
    [captured] = smtp_server.messages
    token = captured.content.split(b"X-Smtpdoctor-Token: ")[1].split(b"\r\n")[0].decode()
    assert out.rstrip().endswith(
        f"Was successful! 127.0.0.1 accepted the message for {BOB} (token {token}, "
        f"queue id {captured.queue_id})."
    )
    assert b"Subject: Hello from the test [smtpdoctor-" in captured.content
    assert b"\r\n\r\nIt works.\r\n" in captured.content
    assert PASSWORD not in out


@pytest.mark.usefixtures("no_passwords")
def test_without_a_terminal_missing_values_are_a_usage_error_and_nothing_connects(
    smtp_server: LocalSMTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["send", target(smtp_server)])

    err = capsys.readouterr().err
    assert code == 3
    assert "not on a terminal, so nothing can be asked; missing: --from, --to, a password" in err
    assert smtp_server.connections == 0


@pytest.mark.usefixtures("password_in_env")
def test_a_wrong_password_ends_with_the_diagnosis_table_of_the_failing_step(
    smtp_server: LocalSMTPServer,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", "not the password")

    code = main(
        ["send", target(smtp_server), "--ca-file", str(ca_file), "--from", USER, "--to", BOB]
    )

    out = capsys.readouterr().out
    assert code == 2
    assert "Was successful" not in out
    ending = out.split("    S 221 ")[-1]
    assert re.search(r"auth +FAIL", ending)
    assert "The user name or password is wrong" in ending
    assert "FAILED: 1 fail" in ending
    assert smtp_server.messages == []


@pytest.mark.usefixtures("password_in_env")
def test_send_json_is_one_document_with_the_transcript(
    smtp_server: LocalSMTPServer, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["send", target(smtp_server), "--ca-file", str(ca_file), "--from", USER, "--to", BOB]
    command += ["--format", "json"]
    code = main(command)

    document = json.loads(capsys.readouterr().out)
    assert code == 0
    send = next(check for check in document["checks"] if check["id"] == "send")
    assert send["status"] == "pass"
    assert send["details"]["queue_id"] == smtp_server.messages[0].queue_id
    assert any(line["text"].startswith("MAIL FROM:") for line in document["transcript"])


@pytest.mark.parametrize(
    "arguments",
    [
        ["--send-to", "bob@example.test\r\nRCPT TO:<victim@example.net>"],
        ["--send-to", BOB, "--from", "alice@example.test\nDATA"],
    ],
)
@pytest.mark.usefixtures("password_in_env")
def test_header_injection_in_check_is_refused_before_connecting(
    smtp_server: LocalSMTPServer,
    ca_file: Path,
    arguments: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["check", target(smtp_server), "--ca-file", str(ca_file), "-u", USER, *arguments])

    assert code == 3
    assert "character, which could inject a header or command" in capsys.readouterr().err
    assert smtp_server.connections == 0


@pytest.mark.usefixtures("password_in_env")
def test_header_injection_in_the_subject_of_send_is_refused_before_connecting(
    smtp_server: LocalSMTPServer, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["send", target(smtp_server), "--ca-file", str(ca_file), "--from", USER, "--to", BOB]
    command += ["--subject", "hi\r\nBcc: victim@example.net"]
    code = main(command)

    assert code == 3
    assert "the subject contains a CR character" in capsys.readouterr().err
    assert smtp_server.connections == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--verify-imap"], "--from and --verify-imap need a test message: add --send-to"),
        (["--send-to", BOB], "--send-to needs a sender: give --from ADDRESS"),
        (["--send-to", BOB, "--from", USER, "--verify-imap"], "--verify-imap needs a mailbox"),
    ],
)
@pytest.mark.usefixtures("no_passwords")
def test_send_options_that_cannot_work_are_usage_errors(
    smtp_server: LocalSMTPServer,
    arguments: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["check", target(smtp_server), *arguments])

    assert code == 3
    assert message in capsys.readouterr().err
    assert smtp_server.connections == 0


@pytest.fixture
def imap_for(pki: ThrowawayPKI) -> Iterator[Any]:
    running: list[Iterator[Any]] = []

    def start(server: LocalSMTPServer) -> FakeIMAP:
        fake = FakeIMAP(
            pki,
            implicit_tls=False,
            users={USER: PASSWORD},
            feed=lambda: [message.content for message in server.messages],
        )
        started = serving(fake)
        running.append(started)
        imap: FakeIMAP = next(started)
        return imap

    yield start
    for started in running:
        next(started, None)


@pytest.mark.usefixtures("password_in_env")
def test_check_send_to_verify_imap_proves_delivery_with_the_same_login(
    smtp_server: LocalSMTPServer, ca_file: Path, imap_for: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    imap = imap_for(smtp_server)

    command = [
        "check",
        target(smtp_server),
        "--ca-file",
        str(ca_file),
        "-u",
        USER,
        "--send-to",
        USER,
    ]
    command += ["--verify-imap", "--imap-host", f"127.0.0.1:{imap.port}", "--verify-timeout", "10"]
    command += ["--disable", "authentication"]  # it would ask DNS about the sender's domain
    command += ["--format", "json"]
    code = main(command)

    document = json.loads(capsys.readouterr().out)
    assert code == 0
    delivery = next(check for check in document["checks"] if check["id"] == "delivery")
    assert delivery["status"] == "pass"
    assert delivery["details"]["imap_security"] == "starttls"
    assert delivery["details"]["folder"] == "INBOX"
    assert imap.commands.index("STARTTLS") < imap.commands.index("LOGIN")


@pytest.mark.usefixtures("password_in_env")
def test_an_imap_user_of_its_own_needs_its_own_password(
    smtp_server: LocalSMTPServer, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = [
        "check",
        target(smtp_server),
        "--ca-file",
        str(ca_file),
        "-u",
        USER,
        "--send-to",
        BOB,
    ]
    command += ["--verify-imap", "--imap-user", BOB]
    code = main(command)

    assert code == 3
    assert "--verify-imap needs the IMAP password: set SMTPDOCTOR_IMAP_PASSWORD" in (
        capsys.readouterr().err
    )
    assert smtp_server.connections == 0


def test_on_a_terminal_send_asks_for_each_value_and_hides_the_password(
    smtp_server: LocalSMTPServer, ca_file: Path
) -> None:
    """The original flow, through a real pseudo-terminal."""
    controller, terminal = pty.openpty()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMTPDOCTOR_")}
    env["SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    command = [sys.executable, "-m", "smtpdoctor", "send", target(smtp_server)]
    command += ["--ca-file", str(ca_file)]
    with subprocess.Popen(
        command, stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True
    ) as process:
        os.close(terminal)
        seen = answer(controller, b"Sender address: ", USER)
        seen += answer(controller, f"Password for {USER}: ".encode(), PASSWORD)
        seen += answer(controller, b"Destination address: ", "bob.example.test")
        seen += answer(controller, b"Destination address: ", BOB)
        seen += answer(controller, b"Subject [smtpdoctor test message]: ", "Typed at a terminal")
        seen += answer(controller, b"Body (Enter: a short test text): ", "Hello, world.")
        seen += read_until(controller, b"Was successful!")
        seen += read_until(controller, b").")
        process.wait(timeout=20)
    os.close(controller)

    assert process.returncode == 0, seen.decode(errors="replace")
    assert b"is not an email address" in seen
    assert b"C AUTH PLAIN [redacted]" in seen
    assert PASSWORD.encode() not in seen
    [captured] = smtp_server.messages
    assert captured.rcpt_tos == (BOB,)
    assert b"Subject: Typed at a terminal [smtpdoctor-" in captured.content
    assert b"Hello, world." in captured.content


def test_on_a_terminal_a_wrong_plugin_path_is_exit_3_before_anything_is_asked(
    smtp_server: LocalSMTPServer, tmp_path: Path
) -> None:
    """Plugins load before the first question: no password is typed for a run that cannot
    start."""
    controller, terminal = pty.openpty()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMTPDOCTOR_")}
    env["SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    missing = tmp_path / "no_such_plugin.py"
    command = [sys.executable, "-m", "smtpdoctor", "send", target(smtp_server)]
    command += ["--plugin", str(missing)]
    with subprocess.Popen(
        command, stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True
    ) as process:
        os.close(terminal)
        process.wait(timeout=20)
        seen = read_to_end(controller)
    os.close(controller)

    assert process.returncode == 3, seen.decode(errors="replace")
    assert f"plugin file '{missing}' does not exist".encode() in seen
    assert b"Sender address" not in seen
    assert b"Password" not in seen
    assert smtp_server.connections == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--plugin", "no_such_module_anywhere"], "could not be imported"),
        (["--disable", "no-such-check"], "cannot disable 'no-such-check'"),
    ],
)
@pytest.mark.usefixtures("no_passwords")
def test_plugins_are_checked_before_the_first_prompt(
    smtp_server: LocalSMTPServer,
    arguments: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_questions(label: str, **_: object) -> str:
        raise AssertionError(f"asked {label!r} before the plugins were loaded")

    monkeypatch.setattr("smtpdoctor.cli.send.interactive", lambda: True)
    monkeypatch.setattr("typer.prompt", no_questions)

    code = main(["send", target(smtp_server), *arguments])

    assert code == 3
    assert message in capsys.readouterr().err
    assert smtp_server.connections == 0


def answer(fd: int, prompt: bytes, text: str) -> bytes:
    seen = read_until(fd, prompt)
    os.write(fd, text.encode() + b"\n")
    return seen


def read_until(fd: int, marker: bytes, timeout: float = 20.0) -> bytes:
    """Read from a pty until ``marker`` shows up (or the hang guard passes, then fail)."""
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {marker!r}; got {data!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            data += chunk
    return data


def read_to_end(fd: int) -> bytes:
    """What is left to read from a pty whose other side is closed."""
    data = b""
    while select.select([fd], [], [], 5.0)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's other side is gone
            break
        if not chunk:
            break
        data += chunk
    return data


def test_the_ending_line_escapes_server_text_it_quotes() -> None:
    """A delivery summary carries IMAP text (a folder name) the SMTP reply parser never saw."""
    delivered = CheckResult(
        "delivery",
        "Delivery (IMAP)",
        Outcome(Status.PASS, "delivered to \x1b]0;owned\x07INBOX within 0.1 s"),
    )
    report = Report(
        target=Target("smtp.example.test", 587, TLSMode.STARTTLS),
        results=(delivered,),
        started_at=datetime(2026, 11, 30, tzinfo=UTC),
        duration=0.1,
        tool_version="9.9.9",
    )

    ending = _ending(report, width=120)

    assert "\x1b" not in ending and "\x07" not in ending
    assert "Delivered: delivered to \\x1b]0;owned\\x07INBOX within 0.1 s." in ending
