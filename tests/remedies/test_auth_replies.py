"""End to end: a scripted server on loopback greets like a provider's server, refuses the login
with that provider's real reply, and the ``auth`` row must carry exactly the right hint."""

from __future__ import annotations

import pytest

from smtpdoctor.discovery.providers import detect_provider
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import TLSMode

from tests.remedies.hintcases import AUTH_CASES, QUIT_ANSWERED, ReplyCase, RunCheck, StartScripted

PLAYABLE = [case for case in AUTH_CASES if case.playable]


def script_for(case: ReplyCase) -> list[object]:
    """Greeting, EHLO with AUTH, then the case's reply to AUTH PLAIN, then QUIT."""
    return [
        f"220 {case.banner}\r\n".encode(),
        "recv",
        b"250-mail.example.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n",
        "recv",
        case.reply,
        *QUIT_ANSWERED,
    ]


def test_most_auth_cases_are_played_end_to_end() -> None:
    assert len(PLAYABLE) >= len(AUTH_CASES) - 2


@pytest.mark.parametrize("case", PLAYABLE, ids=lambda case: case.name)
def test_a_refused_login_shows_the_hint_for_that_reply(
    case: ReplyCase, scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(script_for(case))

    report = run_check(server.address, user=case.user, tls=TLSMode.NONE, allow_plaintext_auth=True)

    auth = report.result("auth")
    assert auth is not None
    assert auth.status is Status.FAIL
    assert [hint.title for hint in auth.hints] == list(case.expected)
    expected_provider = detect_provider(host=case.host, banner=case.banner, username=case.user)
    assert report.provider == (expected_provider.id if expected_provider else None)
