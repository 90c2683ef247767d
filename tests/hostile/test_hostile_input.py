"""Hostile input: a CR, LF or NUL in anything that ends up on the wire — the target, the host
name, the HELO name, the user name, the password — is refused with a clear usage error
before a single byte is sent (the server sees no connection at all)."""

from __future__ import annotations

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.words import ConfigError
from smtpdoctor.settings.config import RunConfig

from tests.hostile.hostile_server import ConversationServer, Peer, hostile
from tests.hostile.scenario import PASSWORD, USER, hang_guard

pytestmark = hang_guard

CONTROL = {"\r": "CR", "\n": "LF", "\0": "NUL"}
controls = pytest.mark.parametrize("char", list(CONTROL), ids=list(CONTROL.values()))


def listening(peer: Peer) -> None:
    peer.stay_silent()


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    assert captured.out == ""  # no report: nothing ran
    return code, captured.err


def assert_untouched(server: ConversationServer) -> None:
    assert server.connections == 0
    assert server.received == b""


@controls
def test_a_control_character_in_the_target_is_a_usage_error(
    char: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with hostile(listening) as server:
        target = f"127.0.0.1{char}RSET:{server.port}"
        code, err = run_cli(["check", target], capsys)

    assert code == 3
    assert err == f"smtpdoctor: the target contains a {CONTROL[char]} character: {target!r}\n"
    assert_untouched(server)


@controls
def test_a_control_character_in_the_helo_name_is_a_usage_error(
    char: str, capsys: pytest.CaptureFixture[str]
) -> None:
    helo = f"client.example{char}RCPT TO:<victim@example.net>"
    with hostile(listening) as server:
        code, err = run_cli(["check", f"127.0.0.1:{server.port}", "--helo-name", helo], capsys)

    assert code == 3
    assert err == f"smtpdoctor: the HELO name contains a {CONTROL[char]} character: {helo!r}\n"
    assert_untouched(server)


@controls
def test_a_control_character_in_the_user_name_is_a_usage_error(
    char: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)
    user = f"alice{char}MAIL FROM:<spoof@example.net>"
    with hostile(listening) as server:
        code, err = run_cli(["check", f"127.0.0.1:{server.port}", "--user", user], capsys)

    assert code == 3
    assert err == f"smtpdoctor: the user name contains a {CONTROL[char]} character: {user!r}\n"
    assert_untouched(server)


@pytest.mark.parametrize("char", ["\r", "\n"], ids=["CR", "LF"])
def test_a_control_character_in_the_password_is_refused_without_showing_it(
    char: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", f"hunter2{char}RCPT TO:<victim@example.net>")
    with hostile(listening) as server:
        code, err = run_cli(["check", f"127.0.0.1:{server.port}", "--user", USER], capsys)

    assert code == 3
    assert err == f"smtpdoctor: the password contains a {CONTROL[char]} character\n"
    assert "hunter2" not in err
    assert_untouched(server)


@controls
def test_the_api_refuses_control_characters_in_host_helo_and_user_names(char: str) -> None:
    """The same rules hold for code that builds a RunConfig itself (plugins, scripts)."""
    with pytest.raises(ConfigError, match=f"the host name contains a {CONTROL[char]}"):
        RunConfig(host=f"mail.example.com{char}x")
    with pytest.raises(ConfigError, match=f"the HELO name contains a {CONTROL[char]}"):
        RunConfig(host="mail.example.com", helo_name=f"me{char}x")
    with pytest.raises(ConfigError, match=f"the user name contains a {CONTROL[char]}"):
        Credentials(f"alice{char}x", Secret(PASSWORD))
