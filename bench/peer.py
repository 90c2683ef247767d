"""The server the transaction benchmark talks to: a real Postfix (submission on 587, STARTTLS,
SASL through Dovecot) started by ``integration/mailserver.sh``, or smtpdoctor's aiosmtpd demo
server when Postfix cannot be had."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.measure import readline_within
from bench.tools import Endpoint

ROOT = Path(__file__).resolve().parent.parent
MAILSERVER = ROOT / "integration" / "mailserver.sh"
MAILSERVER_STATE = Path(
    os.environ.get("SMTPDOCTOR_MAILSERVER_DIR", "/var/lib/smtpdoctor-mailserver")
)
START_TIMEOUT = 600.0  # the first start installs Postfix and Dovecot with apt-get
PEER_START_TIMEOUT = 60.0  # the aiosmtpd fallback: a Python process and a throwaway CA


@dataclass(frozen=True, slots=True)
class Peer:
    """A running server and a short description of it for the results."""

    endpoint: Endpoint
    description: str


@contextmanager
def postfix_peer() -> Iterator[Peer]:
    """Postfix on 127.0.0.1:587 via ``integration/mailserver.sh``; stopped afterwards only if
    this benchmark started it (someone else's running server is left as it was)."""
    was_running = _mailserver("status").returncode == 0
    if not was_running:
        started = _mailserver("start", timeout=START_TIMEOUT)
        if started.returncode != 0:
            raise RuntimeError(f"integration/mailserver.sh start failed:\n{started.stderr[-2000:]}")
    try:
        info = json.loads((MAILSERVER_STATE / "mailserver.json").read_text())
        user, password = sorted(info["users"].items())[0]
        version = subprocess.run(
            ["postconf", "-h", "mail_version"],  # noqa: S607 - installed by mailserver.sh
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        endpoint = Endpoint(
            host=info["host"],
            port=int(info["ports"]["submission"]),
            user=user,
            password=password,
            ca_file=Path(info["ca_file"]),
        )
        yield Peer(endpoint, f"Postfix {version} (submission 587, STARTTLS, Dovecot SASL)")
    finally:
        if not was_running:
            _mailserver("stop")


@contextmanager
def aiosmtpd_peer(workdir: Path) -> Iterator[Peer]:
    """smtpdoctor's demo server (aiosmtpd) in a child process: STARTTLS required, then AUTH."""
    password = secrets.token_urlsafe(16)
    ca_file = workdir / "aiosmtpd-ca.pem"
    server = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "bench.aiosmtpd_peer", "bench@example.test", str(ca_file)],
        env={**os.environ, "BENCH_PASSWORD": password},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        line = readline_within(server, PEER_START_TIMEOUT).strip()
        if not line.isdecimal():
            raise RuntimeError(f"the aiosmtpd peer did not start: {line!r}")
        port = int(line)
        endpoint = Endpoint("127.0.0.1", port, "bench@example.test", password, ca_file)
        yield Peer(endpoint, "aiosmtpd (smtpdoctor's demo server; Postfix was not available)")
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def postfix_available() -> bool:
    """Whether ``integration/mailserver.sh`` exists and we are root (it installs packages)."""
    return MAILSERVER.exists() and os.geteuid() == 0


def _mailserver(action: str, *, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own script
        ["bash", str(MAILSERVER), action],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
