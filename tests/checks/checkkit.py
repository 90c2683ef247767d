"""Typed handles on the fixtures of ``tests/conftest.py`` and small helpers for check tests.

The fixtures themselves (``make_server``, ``smtp_server``, ``scripted``, ``run_check``) live
in ``tests/conftest.py``; this module only names their types for mypy and offers the few
byte strings and look-ups every check test needs.
"""

from __future__ import annotations

import contextlib
import select
import socket
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.results import CheckResult, Report

#: The account the ``make_server`` fixture creates (the same values as tests/conftest.py).
USER = "alice@example.test"
PASSWORD = "correct horse battery staple"

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

#: A greeting, an EHLO reply offering STARTTLS, and the end of a polite session.
GREETING = b"220 mail.example.test ESMTP ready\r\n"
EHLO_WITH_STARTTLS = b"250-mail.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
QUIT_ANSWERED: Script = ["recv", b"221 2.0.0 Bye\r\n"]


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


@contextlib.contextmanager
def unresponsive_port() -> Iterator[int]:
    """A loopback port where connection attempts get no answer at all, as behind a firewall
    that drops packets.

    The listener has ``listen(0)`` and never accepts; one connection fills its accept queue
    and two more wait in SYN retransmission, after which Linux drops every further SYN.
    Skips the test on a network stack that answers anyway.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port: int = listener.getsockname()[1]
        fillers.append(socket.create_connection(("127.0.0.1", port), timeout=2.0))
        for _ in range(2):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            fillers.append(filler)
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        _, answered, _ = select.select([], fillers[1:], [], 0.1)
        if answered:
            pytest.skip("this network stack answers SYNs beyond a full accept queue")
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
