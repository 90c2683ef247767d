"""No password, in any encoding, in any output: table, JSON, transcript, errors."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.config import ConfigError, Credentials, Secret
from smtpdoctor.demo.server import LocalSMTPServer

USER = "alice@example.test"
PASSWORD = "correct horse battery staple"
WRONG = "Tr0ub4dor&3-wrong"


def encodings(user: str, password: str) -> Iterator[str]:
    """Every form the password takes on the wire or could take in a careless log."""
    yield password
    for raw in (password, f"\0{user}\0{password}", f"{user}\0{user}\0{password}"):
        encoded = base64.b64encode(raw.encode()).decode()
        yield encoded
        yield encoded.rstrip("=")


def assert_no_secret(text: str, *passwords: str) -> None:
    for password in passwords:
        for form in encodings(USER, password):
            assert form not in text, f"a form of the password leaked: {form[:4]}…"


@pytest.fixture
def ca_file(smtp_server: LocalSMTPServer, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(smtp_server.ca_pem)
    return path


@pytest.mark.parametrize("password", [PASSWORD, WRONG])
@pytest.mark.parametrize("mechanism", ["plain", "login"])
@pytest.mark.parametrize(
    "output",
    [["--format", "table"], ["--format", "json"], ["--transcript"], ["-f", "json", "--transcript"]],
)
def test_no_output_format_shows_the_password(
    smtp_server: LocalSMTPServer,
    ca_file: Path,
    password: str,
    mechanism: str,
    output: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", password)

    main(
        [
            "check",
            f"{smtp_server.host}:{smtp_server.port}",
            "--ca-file",
            str(ca_file),
            "--user",
            USER,
            "--auth-mechanism",
            mechanism,
            *output,
        ]
    )

    captured = capsys.readouterr()
    assert "logged in" in captured.out or "refused" in captured.out  # auth really ran
    assert_no_secret(captured.out + captured.err, password)


def test_a_server_that_breaks_mid_auth_does_not_make_us_echo_the_password(
    scripted: Callable[[list[Any]], Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = scripted(
        [
            b"220 hostile.test ESMTP\r\n",
            "recv",
            b"250-hostile.test\r\n250 AUTH PLAIN LOGIN\r\n",
            "recv",
            b"this is not an SMTP reply\r\n",
        ]
    )
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)

    code = main(
        [
            "check",
            f"{server.host}:{server.port}",
            "--tls",
            "none",
            "--allow-plaintext-auth",
            "--user",
            USER,
            "--transcript",
            "--timeout",
            "1",
        ]
    )

    captured = capsys.readouterr()
    assert code == 2
    assert "the server broke the SMTP protocol" in captured.out
    assert_no_secret(captured.out + captured.err, PASSWORD)
    # and the password did go to the server, which is the point of --allow-plaintext-auth
    sent = b"".join(server.received).decode()
    assert base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode() in sent


def test_a_password_with_a_line_break_is_refused_without_showing_it() -> None:
    secret = "hunter2\r\nRCPT TO:<victim@example.test>"

    with pytest.raises(ConfigError) as caught:
        Credentials(USER, Secret(secret))

    assert "hunter2" not in str(caught.value)
    assert "CR" in str(caught.value)


def test_a_secret_never_shows_itself() -> None:
    secret = Secret(PASSWORD)
    credentials = Credentials(USER, secret)

    for shown in (str(secret), repr(secret), repr(credentials), f"{credentials}"):
        assert PASSWORD not in shown
    assert secret.reveal() == PASSWORD
