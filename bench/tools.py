"""The three clients compared, each told to do the same transaction: connect, EHLO, STARTTLS,
EHLO, AUTH, QUIT, verifying the certificate where the tool can.

Passwords never go on a command line (other users could read them in ``ps``): smtpdoctor and
swaks read theirs from the environment, check_smtp from an ``--extra-opts`` file only the
benchmark can read.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Run

CHECK_SMTP = "/usr/lib/nagios/plugins/check_smtp"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a client connects and how it logs in."""

    host: str
    port: int
    user: str
    password: str
    ca_file: Path


def exited_zero(run: Run) -> bool:
    """Success for swaks and check_smtp: exit status 0."""
    return run.returncode == 0


def logged_in(run: Run) -> bool:
    """Success for smtpdoctor: the ``auth`` check passed (the exit status may be 1 when an
    unrelated check warns, say about the banner)."""
    if run.returncode not in (0, 1):
        return False
    try:
        checks = json.loads(run.stdout)["checks"]
    except (ValueError, KeyError, TypeError):
        return False
    return any(c.get("id") == "auth" and c.get("status") == "pass" for c in checks)


@dataclass(frozen=True, slots=True)
class Tool:
    """One client: its name, how to run the transaction, and how to tell it worked."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    succeeded: Callable[[Run], bool] = exited_zero


def smtpdoctor_bin() -> str:
    """The smtpdoctor to measure: ``$SMTPDOCTOR_BENCH_BIN`` (``bench/run.sh`` sets it to a
    release install), else the one next to this Python (the project's venv), else PATH's."""
    chosen = os.environ.get("SMTPDOCTOR_BENCH_BIN")
    if chosen:
        return chosen
    here = Path(sys.executable).with_name("smtpdoctor")
    return str(here) if here.exists() else (shutil.which("smtpdoctor") or "smtpdoctor")


def transaction_tools(endpoint: Endpoint, workdir: Path) -> list[Tool]:
    """smtpdoctor, swaks and check_smtp, each set up for the same login against ``endpoint``."""
    base = dict(os.environ)
    target = f"{endpoint.host}:{endpoint.port}"
    smtpdoctor = Tool(
        "smtpdoctor",
        (
            smtpdoctor_bin(),
            "check",
            target,
            "--user",
            endpoint.user,
            "--tls",
            "starttls",
            "--ca-file",
            str(endpoint.ca_file),
            "--format",
            "json",
        ),
        {**base, "SMTPDOCTOR_PASSWORD": endpoint.password},
        logged_in,
    )
    swaks = Tool(
        "swaks",
        (
            "swaks",
            "--server",
            target,
            "--to",
            "bench@example.test",
            "--quit-after",
            "AUTH",
            "-tls",
            "--tls-verify",
            "--tls-ca-path",
            str(endpoint.ca_file),
            "--auth",
            "PLAIN",
            "--auth-user",
            endpoint.user,
            "--silent",
            "2",
        ),
        {**base, "SWAKS_OPT_auth_password": endpoint.password},
    )
    opts = workdir / "check_smtp.ini"
    opts.touch(mode=0o600)
    opts.write_text(f"[check_smtp]\nauthpass={endpoint.password}\n")
    check_smtp = Tool(
        "check_smtp",
        (
            CHECK_SMTP,
            "-H",
            endpoint.host,
            "-p",
            str(endpoint.port),
            "-S",
            "-A",
            "LOGIN",
            "-U",
            endpoint.user,
            f"--extra-opts=check_smtp@{opts}",
        ),
        base,
    )
    return [smtpdoctor, swaks, check_smtp]


def swaks_fleet_argv(ca_file: Path) -> list[str]:
    """swaks for one fleet target (the target is appended by ``xargs``): the same work as
    ``smtpdoctor scan`` does per target — STARTTLS, verified, EHLO again, then QUIT."""
    return [
        "swaks",
        "--to",
        "bench@example.test",
        "--quit-after",
        "AUTH",
        "-tls",
        "--tls-verify",
        "--tls-ca-path",
        str(ca_file),
        "--silent",
        "2",
        "--server",
    ]
