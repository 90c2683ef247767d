"""No secret escapes: one test runs every output path with a known password and OAuth token
and looks for them — and every encoding they take on the wire — in everything it captured.

Output paths: the table, JSON and Nagios formats, each with ``--transcript``; right and wrong
passwords with PLAIN and LOGIN; XOAUTH2 with a refused token; every error path (refused
port, silent server, protocol error in the middle of AUTH, a server that echoes the
credentials, a refused certificate, ``--insecure``, a crash inside AUTH, an internal error,
Ctrl-C, usage errors); the demo; and all logging, at DEBUG, of smtpdoctor and of the
in-process servers.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.core import runner
from smtpdoctor.demo import walkthrough
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import make_pki
from smtpdoctor.net.session import Session
from smtpdoctor.net.transport import Transport

from tests.hostile.hostile_server import (
    EHLO_STARTTLS_AUTH,
    ConversationServer,
    Peer,
    greet,
    hostile,
    tls_context,
)
from tests.loopback import closed_port

pytestmark = pytest.mark.timeout(120)

USER = "alice@example.test"
PASSWORD = "Tr0ub4dor&3 correct-horse"
WRONG = "wrong-Pa55word-42"
TOKEN = "ya29.a0AfH6SMBx-known-test-token_0123456789"
READY = b"220 2.0.0 Ready to start TLS\r\n"

MakeServer = Callable[..., LocalSMTPServer]


def _b64(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


def forms(secret: str) -> set[str]:
    """Every form ``secret`` takes on the wire, whole and cut out of a longer base64 blob."""
    found = {secret}
    for blob in (
        secret,
        f"\0{USER}\0{secret}",
        f"{USER}\0{USER}\0{secret}",
        f"user={USER}\x01auth=Bearer {secret}\x01\x01",
    ):
        found |= {_b64(blob), _b64(blob).rstrip("=")}
    raw = secret.encode()
    for shift in (1, 2):  # the secret's own base64 digits, wherever it sits in a blob
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        found.add(encoded[4 : 4 * ((shift + len(raw)) // 3)])
    return found


class Outputs:
    """What the user (or a log) saw, path by path."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self.seen: dict[str, str] = {}

    def cli(self, path: str, *args: str) -> str:
        """Run ``smtpdoctor ARGS`` in process; keep stdout and stderr under ``path``."""
        code = main(list(args))
        captured = self._capsys.readouterr()
        text = f"exit {code}\n{captured.out}\n{captured.err}"
        self.seen[path] = text
        return text


#: What a server does with an AUTH line it received.
AuthHandler = Callable[[Peer, str], None]


def conversation_with_auth(context: ssl.SSLContext, auth: AuthHandler) -> Callable[[Peer], None]:
    """STARTTLS, EHLO offering XOAUTH2 PLAIN LOGIN, then ``auth`` if the client logs in."""

    def converse(peer: Peer) -> None:
        greet(peer, ehlo=EHLO_STARTTLS_AUTH)
        peer.expect("STARTTLS")
        peer.send(READY)
        peer.start_tls(context)
        peer.expect("EHLO")
        peer.send(b"250-mail.example.test\r\n250 AUTH XOAUTH2 PLAIN LOGIN\r\n")
        line = peer.read_line()
        if line.startswith("AUTH"):
            auth(peer, line)
            line = peer.read_line()
        if line == "QUIT":
            peer.send(b"221 2.0.0 Bye\r\n")

    return converse


def refuses_token(peer: Peer, line: str) -> None:
    error = json.dumps({"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"})
    peer.send(b"334 " + base64.b64encode(error.encode()) + b"\r\n")
    peer.read_line()
    peer.send(b"535 5.7.8 Username and Password not accepted\r\n")


def echoes(peer: Peer, line: str) -> None:
    peer.send(f"500 5.5.1 Unrecognized command: {line}\r\n".encode())


def garbage_mid_auth(peer: Peer, line: str) -> None:
    peer.send(b"this is not SMTP\r\n")


@pytest.fixture
def ca_file(tmp_path: Path) -> tuple[Path, ssl.SSLContext, str]:
    pki = make_pki()
    path = tmp_path / "ca.pem"
    path.write_text(pki.ca_pem)
    return path, tls_context(pki), pki.ca_pem


def test_no_output_path_shows_the_password_or_the_token_in_any_encoding(
    make_server: MakeServer,
    ca_file: tuple[Path, ssl.SSLContext, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    ca_path, context, _ = ca_file
    out = Outputs(capsys)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)

    # -- every format, PLAIN and LOGIN, right and wrong password, against aiosmtpd -------------
    server = make_server(users={USER: PASSWORD})
    target = f"{server.host}:{server.port}"
    trusted = ("--ca-file", str(server_ca(server, tmp_path)))
    for password in (PASSWORD, WRONG):
        monkeypatch.setenv("SMTPDOCTOR_PASSWORD", password)
        for mechanism in ("plain", "login"):
            for fmt in ("table", "json", "nagios", "prometheus"):
                text = out.cli(
                    f"{fmt}/{mechanism}/{'right' if password == PASSWORD else 'wrong'}",
                    *("check", target, "-u", USER, "--auth-mechanism", mechanism),
                    *(*trusted, "-f", fmt, "--transcript"),
                )
                assert text.startswith("exit 0" if password == PASSWORD else "exit 2"), text
    assert server.auth_attempts  # the logins really happened
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)

    # -- XOAUTH2: a refused token, in every format ---------------------------------------------
    monkeypatch.setenv("SMTPDOCTOR_OAUTH_TOKEN", TOKEN)
    with hostile(conversation_with_auth(context, refuses_token)) as xoauth:
        for fmt in ("table", "json", "nagios", "prometheus"):
            text = out.cli(
                f"xoauth2/{fmt}",
                *("check", address(xoauth), "-u", USER, "--ca-file", str(ca_path)),
                *("-f", fmt, "--transcript"),
            )
            assert ("smtpdoctor_auth_success 0.0" if fmt == "prometheus" else "XOAUTH2") in text
    assert any(_b64(f"user={USER}\x01auth=Bearer {TOKEN}\x01\x01") in line for line in xoauth.lines)
    monkeypatch.delenv("SMTPDOCTOR_OAUTH_TOKEN")

    # -- error paths -------------------------------------------------------------------------------
    plain_args = ("--tls", "none", "--allow-plaintext-auth", "--timeout", "1", "--transcript")
    text = out.cli("refused-port", "check", f"127.0.0.1:{closed_port()}", "-u", USER, *plain_args)
    assert "refused the connection" in text, text
    with hostile(lambda peer: peer.stay_silent()) as silent:
        text = out.cli("silent", "check", address(silent), "-u", USER, *plain_args)
        assert "the server said nothing" in text, text
    with hostile(plaintext_auth(garbage_mid_auth)) as broken:
        text = out.cli("protocol-error", "check", address(broken), "-u", USER, *plain_args)
        assert "the server broke the SMTP protocol" in text
    with hostile(conversation_with_auth(context, echoes)) as echo:
        for fmt in ("table", "json"):
            out.cli(
                f"echo/{fmt}",
                *("check", address(echo), "-u", USER, "--ca-file", str(ca_path), "-f", fmt),
                "--transcript",
            )
    assert sum(line.startswith("AUTH ") for line in echo.lines) == 2  # echoed back, twice
    self_signed = tls_context(make_pki(self_signed=True))
    with hostile(conversation_with_auth(self_signed, echoes)) as refused:
        text = out.cli("certificate", "check", address(refused), "-u", USER, "--transcript")
        assert "certificate refused" in text
    expired = tls_context(make_pki(not_after=make_pki_expiry()))
    with hostile(conversation_with_auth(expired, echoes)) as insecure:
        out.cli("insecure", "check", address(insecure), "-u", USER, "--insecure", "--transcript")
    assert any(line.startswith("AUTH ") for line in insecure.lines)  # --insecure logs in

    # a crash while the secret is in scope: the transport quotes what it could not send
    sendall = Transport.sendall

    def careless(self: Transport, data: bytes, **kwargs: Any) -> None:
        if data.startswith(b"AUTH"):
            raise RuntimeError(f"cannot send {data!r} for {PASSWORD}")
        sendall(self, data, **kwargs)

    with monkeypatch.context() as patch, hostile(conversation_with_auth(context, echoes)) as crash:
        patch.setattr(Transport, "sendall", careless)
        text = out.cli(
            "crash", "check", address(crash), "-u", USER, "--ca-file", str(ca_path), "-f", "json"
        )
        assert "the check crashed" in text

    # an internal error that escapes the run with the secret in its message
    def broken_runner(config: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"unexpected state, password={PASSWORD}")

    with monkeypatch.context() as patch:
        patch.setattr(runner, "run", broken_runner)
        text = out.cli("internal-error", "check", "127.0.0.1:9", "-u", USER)
        assert "internal error" in text

    # Ctrl-C while waiting for the answer to AUTH
    read_reply = Session.read_reply

    def interrupted(self: Session, what: str) -> Any:
        if what == "the reply to AUTH":
            raise KeyboardInterrupt
        return read_reply(self, what)

    with monkeypatch.context() as patch, hostile(conversation_with_auth(context, echoes)) as ctrl_c:
        patch.setattr(Session, "read_reply", interrupted)
        text = out.cli(
            "ctrl-c",
            "check",
            address(ctrl_c),
            "-u",
            USER,
            "--ca-file",
            str(ca_path),
            "--transcript",
        )
        assert text.startswith("exit 130")

    # usage errors with the secrets in the environment
    for path, extra in (("usage/option", "--no-such-option"), ("usage/format", "-fno-such")):
        assert out.cli(path, "check", "127.0.0.1:25", "-u", USER, extra).startswith("exit 3")
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", f"{PASSWORD}\nRCPT TO:<x@example.net>")
    text = out.cli("usage/password-with-lf", "check", "127.0.0.1:25", "-u", USER)
    assert "the password contains a LF character" in text
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)

    # -- the demo, with its password made known --------------------------------------------------
    monkeypatch.setattr(walkthrough, "secrets", SimpleNamespace(token_urlsafe=lambda n: PASSWORD))
    text = out.cli("demo", "demo")
    assert "logged in" in text

    # -- and all the logging of the whole test ---------------------------------------------------
    out.seen["logging"] = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''} {record.args!r}"
        for record in caplog.records
    )

    leaks = [
        f"{path}: {secret_name} as {form[:5]}…"
        for path, text in out.seen.items()
        for secret_name, secret in (
            ("password", PASSWORD),
            ("wrong password", WRONG),
            ("token", TOKEN),
        )
        for form in forms(secret)
        if form in text
    ]
    assert not leaks, leaks
    assert len(out.seen) >= 30


def server_ca(server: LocalSMTPServer, tmp_path: Path) -> Path:
    path = tmp_path / "server-ca.pem"
    path.write_text(server.ca_pem)
    return path


def address(server: ConversationServer) -> str:
    host, port = server.address
    return f"{host}:{port}"


def make_pki_expiry() -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(days=2)


def plaintext_auth(auth: AuthHandler) -> Callable[[Peer], None]:
    def converse(peer: Peer) -> None:
        greet(peer, ehlo=b"250-mail.example.test\r\n250 AUTH PLAIN LOGIN\r\n")
        auth(peer, peer.expect("AUTH"))

    return converse
