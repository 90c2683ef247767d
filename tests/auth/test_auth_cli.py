"""The command line's login options: ``--auth-mechanism`` and the three token sources, end
to end against aiosmtpd, with their usage errors (exit code 3)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.demo.server import LocalSMTPServer

from tests.auth.authkit import PASSWORD, TOKEN, USER, MakeServer


@pytest.fixture
def oauth_server(make_server: MakeServer) -> LocalSMTPServer:
    """STARTTLS, then AUTH with PLAIN, LOGIN, CRAM-MD5 (password) and XOAUTH2 (token)."""
    return make_server(cram_md5=True, oauth_tokens={USER: TOKEN})


@pytest.fixture
def no_secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMTPDOCTOR_PASSWORD", raising=False)
    monkeypatch.delenv("SMTPDOCTOR_OAUTH_TOKEN", raising=False)


def check(server: LocalSMTPServer, tmp_path: Path, *options: str) -> int:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(server.ca_pem)
    return main(
        ["check", f"{server.host}:{server.port}", "--ca-file", str(ca_file), "-f", "json", *options]
    )


def auth_row(out: str) -> dict[str, object]:
    document = json.loads(out)
    return next(row for row in document["checks"] if row["id"] == "auth")


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_a_token_from_the_environment_logs_in_without_asking_for_a_password(
    oauth_server: LocalSMTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_OAUTH_TOKEN", TOKEN)

    code = check(oauth_server, tmp_path, "--user", USER)

    out = capsys.readouterr().out
    assert code == 0
    assert (
        auth_row(out)["summary"] == f"logged in as {USER} with XOAUTH2 (AUTH only after STARTTLS)"
    )
    assert TOKEN not in out
    assert oauth_server.auth_attempts == [(USER, True)]


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_a_token_from_a_file_logs_in(
    oauth_server: LocalSMTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")

    code = check(oauth_server, tmp_path, "--user", USER, "--oauth-token-file", str(token_file))

    assert code == 0
    assert auth_row(capsys.readouterr().out)["details"]["mechanism"] == "XOAUTH2"  # type: ignore[index]


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_a_token_from_a_command_logs_in(
    oauth_server: LocalSMTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = shlex.join([sys.executable, "-c", f"print({TOKEN!r})"])

    code = check(
        oauth_server, tmp_path, "--user", USER, "--oauth-token-command", command, "--transcript"
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "C AUTH XOAUTH2 [redacted]" in {
        f"{t['direction']} {t['text']}" for t in json.loads(out)["transcript"]
    }
    assert TOKEN not in out


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_a_failing_token_command_is_a_usage_error_that_quotes_its_stderr(
    oauth_server: LocalSMTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = shlex.join(
        [sys.executable, "-c", "import sys; sys.exit('refresh token revoked; log in again')"]
    )

    code = check(oauth_server, tmp_path, "--user", USER, "--oauth-token-command", command)

    captured = capsys.readouterr()
    assert code == 3
    assert captured.err == (
        f"smtpdoctor: the token command {sys.executable!r} failed (exit status 1): "
        "refresh token revoked; log in again\n"
    )
    assert oauth_server.connections == 0  # nothing was tried without a token


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_auto_with_a_token_and_a_password_falls_back_to_plain_where_xoauth2_is_missing(
    make_server: MakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = make_server()
    monkeypatch.setenv("SMTPDOCTOR_OAUTH_TOKEN", TOKEN)
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)

    code = check(server, tmp_path, "--user", USER)

    assert code == 0
    assert auth_row(capsys.readouterr().out)["details"]["mechanism"] == "PLAIN"  # type: ignore[index]


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_cram_md5_can_be_asked_for_by_name(
    oauth_server: LocalSMTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)

    code = check(oauth_server, tmp_path, "--user", USER, "--auth-mechanism", "cram-md5")

    assert code == 0
    assert auth_row(capsys.readouterr().out)["details"]["mechanism"] == "CRAM-MD5"  # type: ignore[index]


@pytest.mark.usefixtures("no_secrets_in_environment")
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--oauth-token-file", "token.txt"],
            "an OAuth token needs the user it belongs to (--user)",
        ),
        (
            ["--user", USER, "--auth-mechanism", "xoauth2"],
            "--auth-mechanism xoauth2 needs an OAuth token: set $SMTPDOCTOR_OAUTH_TOKEN, or "
            "use --oauth-token-file or --oauth-token-command",
        ),
        (
            ["--user", USER, "--oauth-token-file", "a", "--oauth-token-command", "b"],
            "give either --oauth-token-file or --oauth-token-command, not both",
        ),
        (
            ["--user", USER],
            "--user needs a password: set SMTPDOCTOR_PASSWORD, use --password-file, or run on "
            "a terminal to be asked for it",
        ),
    ],
    ids=["token-without-user", "xoauth2-without-token", "two-token-sources", "no-secret"],
)
def test_a_login_that_cannot_work_is_a_usage_error_before_connecting(
    options: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "127.0.0.1:2525", *options])

    assert code == 3
    assert capsys.readouterr().err == f"smtpdoctor: {message}\n"


def test_the_help_lists_every_mechanism_and_the_token_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["check", "--help"])

    out = capsys.readouterr().out
    assert code == 0
    for text in ("cram-md5", "xoauth2", "--oauth-token-file", "--oauth-token-command"):
        assert text in out
