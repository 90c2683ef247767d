"""Relay refusals read right across implementations: each software's own refusal of a
recipient in another domain is ``send.relay-denied``, "no such user" stays what it is, and a
client that did not log in to a server that offers AUTH is told to log in first."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from smtpdoctor.model.results import Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.settings.sending import SendRequest

from tests.software.conftest import OUTSIDE, Replay
from tests.software.fixtures import EXIM, HARAKA, OPENSMTPD, RECORDINGS, Recording, wire

LOG_IN_FIRST = "Log in first: --user ADDRESS"


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda r: r.software)
def test_each_softwares_refusal_of_an_outside_recipient_is_a_relay_refusal(
    recording: Recording, replay: Replay
) -> None:
    report = replay(recording, to=OUTSIDE)

    send = report.result("send")
    assert send is not None
    assert send.status is Status.FAIL
    assert send.outcome.finding == "send.relay-denied"
    assert send.summary.startswith(f"the server will not relay to {OUTSIDE} for this client")


@pytest.mark.parametrize("recording", [EXIM, HARAKA, OPENSMTPD], ids=lambda r: r.software)
def test_a_relay_refusal_without_a_login_from_a_server_offering_auth_says_log_in_first(
    recording: Recording, replay: Replay
) -> None:
    ehlo_offers_auth = b"AUTH" in recording.ehlo
    report = replay(recording, to=OUTSIDE)

    send = report.result("send")
    assert send is not None
    titles = [hint.title for hint in send.hints]
    assert (LOG_IN_FIRST in titles) is ehlo_offers_auth
    if ehlo_offers_auth:
        assert titles[0] == LOG_IN_FIRST  # the check's own hint comes first
        assert "--user ADDRESS" in send.hints[0].steps[0]


def test_exim_offers_auth_only_after_starttls_so_in_clear_nothing_says_log_in(
    replay: Replay,
) -> None:
    report = replay(EXIM, to=OUTSIDE)

    send = report.result("send")
    assert send is not None
    assert LOG_IN_FIRST not in [hint.title for hint in send.hints]
    assert "The server does not relay for this client" in [hint.title for hint in send.hints]


def test_opensmtpds_invalid_recipient_in_its_own_domain_is_no_such_user(replay: Replay) -> None:
    report = replay(
        OPENSMTPD,
        to="nobody@smtpdoctor.test",
        refusal=wire(550, "Invalid recipient: <nobody@smtpdoctor.test>"),
    )

    send = report.result("send")
    assert send is not None
    assert send.outcome.finding == "send.recipient-unknown"
    assert LOG_IN_FIRST not in [hint.title for hint in send.hints]


def test_opensmtpds_invalid_recipient_for_another_domain_is_a_relay_refusal(
    replay: Replay,
) -> None:
    report = replay(OPENSMTPD, to=OUTSIDE)

    send = report.result("send")
    assert send is not None
    assert send.outcome.finding == "send.relay-denied"
    assert report.software is not None and report.software.id == "opensmtpd"


def test_the_same_words_from_an_unknown_server_are_not_read_as_relaying(
    make_scripted_server: Any, run_check: Any
) -> None:

    server = make_scripted_server(
        [
            b"220 mail.example.test ESMTP\r\n",
            "recv",
            b"250-mail.example.test\r\n250 8BITMIME\r\n",
            "recv",
            b"250 Ok\r\n",
            "recv",
            b"550 Invalid recipient\r\n",
            "recv",
            b"221 Bye\r\n",
        ]
    )

    report = run_check(
        server.address,
        password=None,
        tls=TLSMode.NONE,
        send=SendRequest(sender="alice@smtpdoctor.test", recipient=OUTSIDE),
    )

    send = report.result("send")
    assert send is not None
    assert send.outcome.finding == "send.recipient-unknown"


def test_qmails_rcpthosts_refusal_is_a_relay_refusal(replay: Replay) -> None:
    report = replay(
        EXIM,
        to=OUTSIDE,
        refusal=wire(553, "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"),
    )

    send = report.result("send")
    assert send is not None
    assert send.outcome.finding == "send.relay-denied"


#: A greeting that names no software.
PLAIN_GREETING = wire(220, "mail.example.test ESMTP")


def test_opensmtpds_words_from_a_server_not_known_as_opensmtpd_are_no_relay_refusal(
    replay: Replay,
) -> None:
    unknown = replace(OPENSMTPD, greeting=PLAIN_GREETING)

    report = replay(unknown, to=OUTSIDE, refusal=wire(550, f"Invalid recipient: <{OUTSIDE}>"))

    send = report.result("send")
    assert send is not None
    assert send.outcome.finding == "send.recipient-unknown"


def test_postfixs_unknown_user_in_the_relay_recipient_table_is_an_unknown_recipient(
    replay: Replay,
) -> None:
    recipient = "nobody@example.test"  # the server's own domain
    refusal = wire(
        550,
        f"5.1.1 <{recipient}>: Recipient address rejected: User unknown in relay recipient table",
    )

    report = replay(replace(HARAKA, greeting=PLAIN_GREETING), to=recipient, refusal=refusal)

    send = report.result("send")
    assert send is not None
    assert send.outcome.finding == "send.recipient-unknown"
    assert LOG_IN_FIRST not in [hint.title for hint in send.hints]


def test_a_refusal_that_names_the_software_brings_that_softwares_advice_to_its_own_row(
    replay: Replay,
) -> None:
    refusal = wire(554, f"5.7.1 <{OUTSIDE}>: Relay access denied")

    report = replay(
        replace(EXIM, greeting=PLAIN_GREETING, ehlo=wire(250, "mail.example.test")),
        to=OUTSIDE,
        refusal=refusal,
    )

    send = report.result("send")
    assert send is not None
    assert send.outcome.finding == "send.relay-denied"
    assert report.software is not None and report.software.id == "postfix"
    steps = " ".join(step for hint in send.hints for step in hint.steps)
    assert "smtpd_relay_restrictions" in steps
