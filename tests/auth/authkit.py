"""Typed handles and small helpers for the AUTH and posture tests.

The fixtures (``make_server``, ``smtp_server``, ``scripted``, ``run_check``) live in
``tests/conftest.py``; this module names their types for mypy and holds the accounts, byte
strings and look-ups the tests in this directory share.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Protocol

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.results import CheckResult, Report

#: The account the ``make_server`` fixture creates (the same values as tests/conftest.py).
USER = "alice@example.test"
PASSWORD = "correct horse battery staple"
#: An access token shaped like Google's (``ya29.`` and ~180 URL-safe characters).
TOKEN = "ya29.a0AfB_byC" + "Qx7Lm2Nw4Pv8Rt1Ks6Hd9Jf3Gz5Yc0Bq" * 5
WRONG_TOKEN = "ya29.expired-" + "Zt8Yw3Vu1Ts6Rq4Po2Nm9Lk7Ji5Hg0Fe" * 5

RunCheck = Callable[..., Report]
MakeServer = Callable[..., LocalSMTPServer]
#: A script for the ``scripted`` fixture: ``bytes`` to send, ``"recv"``, ``"close"`` or
#: ``("sleep", seconds)``.
Script = list[Any]


class Scripted(Protocol):
    """What a test uses of conftest's ``ScriptedServer``."""

    received: list[bytes]
    connections: int

    @property
    def address(self) -> tuple[str, int]: ...


StartScripted = Callable[[Script], Scripted]

GREETING = b"220 smtp.example.test ESMTP\r\n"
QUIT_ANSWERED: Script = ["recv", b"221 2.0.0 Bye\r\n"]


def b64(text: str | bytes) -> str:
    """Base64 of ``text`` (UTF-8), as a str."""
    raw = text.encode() if isinstance(text, str) else text
    return base64.b64encode(raw).decode()


def ehlo_offering(*mechanisms: str) -> bytes:
    """An EHLO reply without STARTTLS that offers ``AUTH mechanisms``."""
    return (
        b"250-smtp.example.test at your service\r\n250-AUTH "
        + " ".join(mechanisms).encode()
        + b"\r\n250 8BITMIME\r\n"
    )


def auth_server(mechanisms: tuple[str, ...], *exchange: Any) -> Script:
    """A plaintext server offering ``mechanisms``, then playing ``exchange`` (each item
    answers one client line: the AUTH command or a response)."""
    steps: Script = [GREETING, "recv", ehlo_offering(*mechanisms)]
    for answer in exchange:
        steps += ["recv", answer]
    return [*steps, *QUIT_ANSWERED]


def sent_lines(server: Scripted) -> list[str]:
    """Every line the client sent to a scripted server, in order."""
    text = b"".join(server.received).decode("utf-8", errors="replace")
    return text.split("\r\n")[:-1]


def row(report: Report, check_id: str) -> CheckResult:
    """The report's row for ``check_id``; fails the test when there is none."""
    result = report.result(check_id)
    assert result is not None, f"the report has no {check_id!r} row"
    return result


def hint_titles(result: CheckResult) -> list[str]:
    """The titles of the hints a person sees under ``result``."""
    return [hint.title for hint in result.hints]


def transcript_lines(report: Report) -> list[str]:
    """The transcript as ``"C EHLO ..."`` / ``"S 250 ..."`` / ``"* ..."`` strings."""
    return [f"{line.direction} {line.text}" for line in report.transcript]


def client_lines_after_auth(report: Report) -> list[str]:
    """What the client said from its AUTH command until the server's final verdict."""
    lines = transcript_lines(report)
    start = next(i for i, line in enumerate(lines) if line.startswith("C AUTH "))
    exchange = []
    for line in lines[start:]:
        exchange.append(line)
        if line.startswith("S ") and not line.startswith("S 334"):
            break
    return [line for line in exchange if line.startswith("C ")]
