"""Replaying a recording: a scripted server on loopback that greets, answers EHLO and then
refuses the recipient as the recorded software does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from smtpdoctor.model.results import Report
from smtpdoctor.model.words import TLSMode
from smtpdoctor.settings.sending import SendRequest

from tests.software.fixtures import Recording

QUIT_ANSWERED: list[Any] = ["recv", b"221 2.0.0 Bye\r\n"]
OUTSIDE = "someone@outside.example"

Replay = Callable[..., Report]


@pytest.fixture
def replay(make_scripted_server: Any, run_check: Any) -> Replay:
    """``replay(recording, to=None, refusal=None)``: check a scripted server that plays the
    recording in clear (``--tls none``, no login); with ``to``, send to that address and get
    ``refusal`` (the recorded relay refusal by default) to RCPT."""

    def play(
        recording: Recording, *, to: str | None = None, refusal: bytes | None = None
    ) -> Report:
        script: list[Any] = [recording.greeting, "recv", recording.ehlo]
        send = None
        if to is not None:
            script += ["recv", b"250 2.1.0 Ok\r\n", "recv", refusal or recording.relay_refusal]
            send = SendRequest(sender="alice@smtpdoctor.test", recipient=to)
        server = make_scripted_server([*script, *QUIT_ANSWERED])
        report: Report = run_check(server.address, password=None, tls=TLSMode.NONE, send=send)
        return report

    return play
