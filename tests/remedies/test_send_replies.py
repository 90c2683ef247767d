"""End to end through the ``send`` check: a scripted server on loopback greets like a provider
and refuses MAIL FROM with that provider's real reply; the ``send`` row must carry the hint."""

from __future__ import annotations

import pytest

from smtpdoctor.model.results import Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.settings.sending import SendRequest

from tests.remedies.hintcases import (
    OTHER_REPLY_CASES,
    QUIT_ANSWERED,
    ReplyCase,
    RunCheck,
    StartScripted,
)

SEND_CASES = [case for case in OTHER_REPLY_CASES if case.check == "send"]


@pytest.mark.parametrize("case", SEND_CASES, ids=lambda case: case.name)
def test_a_refused_message_shows_the_hint_for_that_reply(
    case: ReplyCase, scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [
            f"220 {case.banner}\r\n".encode(),
            "recv",
            b"250-mail.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
            "recv",
            case.reply,
            *QUIT_ANSWERED,
        ]
    )

    report = run_check(
        server.address,
        password=None,
        tls=TLSMode.NONE,
        send=SendRequest(sender="alice@example.test", recipient="bob@example.org"),
    )

    send = report.result("send")
    assert send is not None
    assert send.status is Status.FAIL
    own = len(send.outcome.hints)  # hints the send check gives itself come first
    assert [hint.title for hint in send.hints[own:]] == list(case.expected)
