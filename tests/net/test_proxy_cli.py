"""``--proxy URL`` and ``--proxy-password-file FILE`` on the command line of ``check``, ``send``
and ``scan``: the password from a file or the environment and never from argv, mistakes as
usage errors (exit 3) in words, and the path of the run in its JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.demo.server import LocalSMTPServer

from tests.loopback import closed_port
from tests.net.conftest import MakePproxy

PROXY_USER = "proxyuser"
PROXY_PASSWORD = "pr0xy-s3cret-k9"


@pytest.fixture
def ca_file(smtp_server: LocalSMTPServer, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(smtp_server.ca_pem)
    return path


def tcp_of(out: str) -> dict[str, Any]:
    (tcp,) = [check for check in json.loads(out)["checks"] if check["id"] == "tcp"]
    return dict(tcp)


def check_args(server: LocalSMTPServer, ca_file: Path, url: str, *more: str) -> list[str]:
    """``check 127.0.0.1:PORT --ca-file FILE --proxy URL MORE…``."""
    return ["check", f"127.0.0.1:{server.port}", "--ca-file", str(ca_file), "--proxy", url, *more]


def test_check_goes_through_the_proxy_given_and_its_json_says_so(
    smtp_server: LocalSMTPServer,
    ca_file: Path,
    make_pproxy: MakePproxy,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = make_pproxy().url("socks5")

    code = main(check_args(smtp_server, ca_file, url, "-f", "json"))

    tcp = tcp_of(capsys.readouterr().out)
    assert code == 0
    assert tcp["status"] == "pass"
    assert tcp["details"]["path"] == "proxy"
    assert tcp["details"]["proxy"] == url


def test_the_proxy_password_comes_from_the_environment(
    smtp_server: LocalSMTPServer,
    ca_file: Path,
    make_pproxy: MakePproxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = make_pproxy(login=(PROXY_USER, PROXY_PASSWORD)).url("http", user=PROXY_USER)
    monkeypatch.setenv("SMTPDOCTOR_PROXY_PASSWORD", PROXY_PASSWORD)

    code = main(check_args(smtp_server, ca_file, url, "-f", "json", "--transcript"))

    out = capsys.readouterr().out
    assert code == 0
    assert tcp_of(out)["details"]["proxy"] == url
    assert PROXY_PASSWORD not in out


def test_the_proxy_password_comes_from_a_file(
    smtp_server: LocalSMTPServer,
    ca_file: Path,
    make_pproxy: MakePproxy,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = make_pproxy(login=(PROXY_USER, PROXY_PASSWORD)).url("socks5", user=PROXY_USER)
    password_file = tmp_path / "proxy.password"
    password_file.write_text(PROXY_PASSWORD + "\n")

    code = main(
        check_args(
            smtp_server, ca_file, url, "--proxy-password-file", str(password_file), "-f", "json"
        )
    )

    out = capsys.readouterr().out
    assert code == 0
    assert f"through {url} in " in tcp_of(out)["summary"]
    assert PROXY_PASSWORD not in out


def test_a_wrong_proxy_password_fails_the_check_with_exit_2_in_words(
    make_pproxy: MakePproxy, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = make_pproxy(login=(PROXY_USER, "the-right-one")).url("http", user=PROXY_USER)
    monkeypatch.setenv("SMTPDOCTOR_PROXY_PASSWORD", PROXY_PASSWORD)

    code = main(["check", f"127.0.0.1:{closed_port()}", "--proxy", url, "-f", "json"])

    tcp = tcp_of(capsys.readouterr().out)
    assert code == 2
    assert tcp["finding"] == "tcp.proxy-auth"
    assert tcp["hints"][0]["title"] == "The proxy wants a login, or refused it"


@pytest.mark.parametrize("command", ["check", "send", "scan"])
def test_a_proxy_url_with_a_password_is_a_usage_error_that_does_not_show_it(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"socks5://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:1080"
    args = {
        "check": ["check", "127.0.0.1:2525"],
        "send": ["send", "127.0.0.1:2525", "--from", "a@example.test", "--to", "b@example.test"],
        "scan": ["scan", str(tmp_path / "targets.txt")],
    }[command]
    (tmp_path / "targets.txt").write_text("127.0.0.1:2525\n")

    code = main([*args, "--proxy", url])

    captured = capsys.readouterr()
    assert code == 3
    assert (
        "put the proxy password in $SMTPDOCTOR_PROXY_PASSWORD or --proxy-password-file, not "
        "on the command line" in captured.err
    )
    assert PROXY_PASSWORD not in captured.out + captured.err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--proxy", "socks5://127.0.0.1"], "names no port"),
        (["--proxy", "ssh://127.0.0.1:22"], "the proxy scheme 'ssh' is not one of"),
        (["--proxy", "socks5h://127.0.0.1:1080", "-4"], "-4 cannot apply through a socks5h://"),
        (["--proxy", "socks5://alice@127.0.0.1:1080"], "the proxy user alice needs a password"),
        (["--proxy-password-file", "pw.txt"], "--proxy-password-file is for a proxy"),
    ],
)
def test_a_proxy_mistake_is_a_usage_error_in_words_before_anything_is_sent(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", f"127.0.0.1:{closed_port()}", *args, "-f", "json"])

    captured = capsys.readouterr()
    assert code == 3
    assert said in captured.err
    assert json.loads(captured.out)["error"]["kind"] == "usage"


def test_send_refuses_a_bad_proxy_before_asking_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["send", "127.0.0.1:2525", "--proxy", "socks5h://127.0.0.1:1080", "-6"])

    captured = capsys.readouterr()
    assert code == 3
    assert "-6 cannot apply through a socks5h:// proxy" in captured.err
    assert "Sender address" not in captured.out


def test_scan_sends_every_target_through_the_proxy(
    smtp_server: LocalSMTPServer,
    ca_file: Path,
    make_pproxy: MakePproxy,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = make_pproxy().url("socks4")
    targets = tmp_path / "targets.txt"
    targets.write_text(f"127.0.0.1:{smtp_server.port}\n")

    code = main(["scan", str(targets), "--ca-file", str(ca_file), "--proxy", url])

    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines() if text]
    tcp = line["report"]["checks"][0]
    assert code == 0
    assert tcp["details"]["path"] == "proxy"
    assert tcp["details"]["proxy"] == url


def test_scan_without_the_proxy_password_stops_before_the_first_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("127.0.0.1:2525\n")

    code = main(["scan", str(targets), "--proxy", "http://alice@127.0.0.1:3128"])

    captured = capsys.readouterr()
    assert code == 3
    assert "the proxy user alice needs a password" in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("command", ["check", "send", "scan"])
def test_the_proxy_options_are_in_the_connection_panel_and_say_where_the_password_is(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main([command, "--help"])

    out = capsys.readouterr().out
    panel = out.split("\nConnection & TLS:\n")[1].split("\n\n")[0]
    assert "--proxy URL" in panel
    assert "--proxy-password-file FILE" in panel
    assert "$SMTPDOCTOR_PROXY_PASSWORD" in " ".join(panel.split())


@pytest.mark.parametrize(
    ("proxy", "loaded"),
    [([], "False"), (["--proxy", "socks5://127.0.0.1:{port}"], "True")],
)
def test_python_socks_is_imported_only_by_a_run_through_a_proxy(
    proxy: list[str], loaded: str
) -> None:
    port = closed_port()
    args = ["check", f"127.0.0.1:{port}", "-f", "json", *(a.format(port=port) for a in proxy)]
    probe = (
        "import sys\n"
        "from smtpdoctor.__main__ import main\n"
        f"code = main({args!r})\n"
        "print(code, 'python_socks' in sys.modules, 'smtpdoctor.net.proxy' in sys.modules)\n"
    )

    completed = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )

    assert completed.stdout.split()[-3:] == ["2", loaded, loaded]
