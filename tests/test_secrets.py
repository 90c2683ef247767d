"""No password, in any encoding, in any output: table, JSON, transcript, errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.words import ConfigError
from smtpdoctor.settings.config import RunConfig

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


# -- XOAUTH2 tokens and CRAM-MD5 --------------------------------------------------------------

TOKEN = "ya29.a0AfB_" + "Secr3tT0kenMaterial-_" * 8
WRONG_TOKEN = "ya29.revoked-" + "N0tTheT0kenAnym0re_" * 8


def base64_forms(secret: str) -> Iterator[str]:
    """The secret's base64 at each of the three alignments it can have inside a longer
    blob (AUTH PLAIN, XOAUTH2), without the groups its neighbours change."""
    raw = secret.encode()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        yield encoded[4 if shift else 0 : 4 * ((shift + len(raw)) // 3)]


def token_encodings(user: str, token: str) -> Iterator[str]:
    """Every form an OAuth token takes on the wire or could take in a careless log."""
    yield token
    for raw in (token, f"user={user}\x01auth=Bearer {token}\x01\x01"):
        encoded = base64.b64encode(raw.encode()).decode()
        yield encoded
        yield encoded.rstrip("=")
    yield from base64_forms(token)


def assert_no_token(text: str, *tokens: str) -> None:
    for token in tokens:
        for form in token_encodings(USER, token):
            assert form not in text, f"a form of the token leaked: {form[:4]}…"


@pytest.fixture
def oauth_server(make_server: Callable[..., LocalSMTPServer]) -> LocalSMTPServer:
    return make_server(cram_md5=True, oauth_tokens={USER: TOKEN})


def check_command(server: LocalSMTPServer, tmp_path: Path, *options: str) -> list[str]:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(server.ca_pem)
    return ["check", f"{server.host}:{server.port}", "--ca-file", str(ca_file), *options]


@pytest.mark.parametrize("token", [TOKEN, WRONG_TOKEN])
@pytest.mark.parametrize(
    "output",
    [["--format", "table"], ["--format", "json"], ["--transcript"], ["-f", "json", "--transcript"]],
)
def test_no_output_format_shows_the_oauth_token(
    oauth_server: LocalSMTPServer,
    tmp_path: Path,
    token: str,
    output: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SMTPDOCTOR_PASSWORD", raising=False)
    monkeypatch.setenv("SMTPDOCTOR_OAUTH_TOKEN", token)

    main(check_command(oauth_server, tmp_path, "--user", USER, *output))

    captured = capsys.readouterr()
    assert "with XOAUTH2" in captured.out  # the token really was used
    assert_no_token(captured.out + captured.err, token)


@pytest.mark.parametrize("password", [PASSWORD, WRONG])
@pytest.mark.parametrize(
    "output",
    [["--format", "table"], ["--format", "json"], ["--transcript"], ["-f", "json", "--transcript"]],
)
def test_no_output_format_shows_the_password_or_the_cram_md5_answer(
    oauth_server: LocalSMTPServer,
    tmp_path: Path,
    password: str,
    output: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", password)

    main(
        check_command(
            oauth_server, tmp_path, "--user", USER, "--auth-mechanism", "cram-md5", *output
        )
    )

    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "with CRAM-MD5" in shown
    assert_no_secret(shown, password)
    for form in base64_forms(password):
        assert form not in shown
    # The answer to the challenge lets an attacker guess the password offline: it is secret.
    for challenge in re.findall(r"334 ([A-Za-z0-9+/]+=*)", shown):
        digest = hmac.new(password.encode(), base64.b64decode(challenge), hashlib.md5)
        answer = base64.b64encode(f"{USER} {digest.hexdigest()}".encode()).decode()
        assert answer not in shown
        assert digest.hexdigest() not in shown
    if "--transcript" in output:
        assert re.search(r"334 [A-Za-z0-9+/]+=*", shown)  # the challenge was checked above


def test_a_server_that_breaks_mid_xoauth2_does_not_make_us_echo_the_token(
    scripted: Callable[[list[Any]], Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = scripted(
        [
            b"220 hostile.test ESMTP\r\n",
            "recv",
            b"250-hostile.test\r\n250 AUTH XOAUTH2\r\n",
            "recv",
            f"599 unknown command AUTH XOAUTH2 with {TOKEN}\r\n".encode(),
        ]
    )
    monkeypatch.setenv("SMTPDOCTOR_OAUTH_TOKEN", TOKEN)

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
    assert_no_token(captured.out + captured.err, TOKEN)
    # the token did go to the server, which is the point of --allow-plaintext-auth
    initial = f"user={USER}\x01auth=Bearer {TOKEN}\x01\x01".encode()
    assert (
        f"AUTH XOAUTH2 {base64.b64encode(initial).decode()}" in b"".join(server.received).decode()
    )


def test_an_oauth_token_never_shows_itself_in_the_config() -> None:
    config = RunConfig(
        host="smtp.example.test", credentials=Credentials(USER), oauth_token=Secret(TOKEN)
    )

    assert TOKEN not in repr(config)
    assert TOKEN not in str(config)


def test_a_token_with_a_line_break_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        RunConfig(
            host="smtp.example.test",
            credentials=Credentials(USER),
            oauth_token=Secret("ya29.abc\r\nRCPT TO:<victim@example.test>"),
        )

    assert "ya29" not in str(caught.value)
