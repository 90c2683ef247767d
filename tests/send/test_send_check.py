"""``send``: MAIL, RCPT, DATA and the message, against aiosmtpd and against servers that
refuse at each step — each refusal with its finding — and never a second copy."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smtpdoctor.checks.send import classify, parse_queue_id
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import ExitCode, TLSMode
from smtpdoctor.protocol import Reply
from smtpdoctor.settings.sending import SendRequest

from tests.send.sendkit import (
    EHLO_PLAIN,
    PASSWORD,
    USER,
    FakeSMTP,
    MakeServer,
    RunCheck,
    row,
    serving,
    transcript_text,
)

BOB = "bob@example.test"

StartFake = Callable[..., FakeSMTP]


@pytest.fixture
def fake_smtp() -> Iterator[StartFake]:
    started: list[Iterator[Any]] = []

    def start(**options: Any) -> FakeSMTP:
        running = serving(FakeSMTP(**options))
        started.append(running)
        server: FakeSMTP = next(running)
        return server

    yield start
    for running in started:
        next(running, None)


def send_through(run_check: RunCheck, fake: FakeSMTP, **fields: Any) -> Any:
    fields.setdefault("send", SendRequest(USER, BOB))
    return run_check(fake.address, password=None, tls=TLSMode.NONE, **fields)


def test_a_message_to_aiosmtpd_is_accepted_once_with_its_queue_id(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, send=SendRequest(USER, BOB))

    result = row(report, "send")
    assert result.status is Status.PASS
    [captured] = smtp_server.messages
    assert captured.mail_from == USER
    assert captured.rcpt_tos == (BOB,)
    assert result.outcome.details["queue_id"] == captured.queue_id
    assert str(result.outcome.details["token"]) in captured.content.decode()
    assert result.summary.startswith(f"accepted for {BOB}: 250 2.0.0 OK: queued as ")
    assert report.exit_code is ExitCode.OK
    assert smtp_server.connections == 1


def test_the_send_row_comes_after_auth_on_the_same_connection(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, send=SendRequest(USER, BOB))

    ids = [result.check_id for result in report.results]
    assert ids.index("send") > ids.index("auth")
    text = transcript_text(report)
    assert text.index("C AUTH PLAIN [redacted]") < text.index(f"C MAIL FROM:<{USER}>")
    assert PASSWORD not in text


def test_without_send_to_there_is_no_send_row_and_nothing_is_sent(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server)

    assert report.result("send") is None
    assert report.result("delivery") is None
    assert smtp_server.messages == []


def test_nothing_is_sent_when_the_login_fails(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, password="wrong", send=SendRequest(USER, BOB))

    result = row(report, "send")
    assert result.status is Status.SKIP
    assert result.summary == "not run: auth failed"
    assert smtp_server.messages == []


def test_a_line_starting_with_a_dot_is_stuffed_on_the_wire_and_arrives_intact(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    body = ".hidden line\n..two dots\n.\nlast line"

    report = run_check(smtp_server, send=SendRequest(USER, BOB, body=body))

    assert row(report, "send").status is Status.PASS
    [captured] = smtp_server.messages
    assert b"\r\n.hidden line\r\n..two dots\r\n.\r\nlast line\r\n" in captured.content


def test_the_wire_carries_the_dots_doubled(run_check: RunCheck, fake_smtp: StartFake) -> None:
    fake = fake_smtp()

    send_through(run_check, fake, send=SendRequest(USER, BOB, body=".hidden\n.\nend"))

    [raw] = fake.raw_messages
    assert b"\r\n..hidden\r\n..\r\nend\r\n" in raw


def test_size_is_sent_with_mail_from_when_offered(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, send=SendRequest(USER, BOB))

    [captured] = smtp_server.messages
    mail = re.search(r"C MAIL FROM:<\S+> SIZE=(\d+)", transcript_text(report))
    assert mail is not None
    assert int(mail[1]) == len(captured.content)


def test_size_is_not_sent_when_not_offered(run_check: RunCheck, fake_smtp: StartFake) -> None:
    fake = fake_smtp(ehlo=b"250-mail.example.test\r\n250 8BITMIME\r\n")

    send_through(run_check, fake)

    [mail] = [command for command in fake.commands if command.startswith("MAIL")]
    assert mail == f"MAIL FROM:<{USER}>"


def test_a_message_over_the_size_limit_is_not_sent(
    run_check: RunCheck, fake_smtp: StartFake
) -> None:
    fake = fake_smtp(ehlo=b"250-mail.example.test\r\n250 SIZE 100\r\n")

    report = send_through(run_check, fake)

    result = row(report, "send")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "send.size-exceeded"
    assert "the server accepts at most 100" in result.summary
    assert "MAIL" not in fake.verbs()


def test_a_non_ascii_address_is_sent_with_smtputf8_when_offered(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, send=SendRequest(USER, "jörg@exämple.test"))

    assert row(report, "send").status is Status.PASS
    assert re.search(r"C MAIL FROM:<\S+> SIZE=\d+ BODY=8BITMIME SMTPUTF8", transcript_text(report))
    [captured] = smtp_server.messages
    assert captured.rcpt_tos == ("jörg@exämple.test",)
    assert "To: jörg@exämple.test".encode() in captured.content


def test_a_non_ascii_address_fails_clearly_when_smtputf8_is_not_offered(
    run_check: RunCheck, fake_smtp: StartFake
) -> None:
    fake = fake_smtp(ehlo=EHLO_PLAIN)

    report = send_through(run_check, fake, send=SendRequest(USER, "jörg@exämple.test"))

    result = row(report, "send")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "send.smtputf8-not-offered"
    assert "does not offer SMTPUTF8" in result.summary
    assert result.hints[0].title == ("This server cannot handle internationalised addresses")
    assert "MAIL" not in fake.verbs()


REFUSALS = [
    # (verb whose reply is replaced, the reply, the finding, words of the summary)
    ("MAIL", b"530 5.7.0 Authentication required\r\n", "send.auth-required", "wants a login"),
    (
        "MAIL",
        b"553 5.7.1 <alice@example.test>: Sender address rejected: not owned by user bob\r\n",
        "send.sender-refused",
        "refused the sender alice@example.test",
    ),
    (
        "MAIL",
        b"552 5.3.4 Message size exceeds fixed limit\r\n",
        "send.size-exceeded",
        "too big",
    ),
    (
        "RCPT",
        b"554 5.7.1 <bob@example.test>: Relay access denied\r\n",
        "send.relay-denied",
        "will not relay to bob@example.test",
    ),
    ("RCPT", b"550 5.7.1 Unable to relay\r\n", "send.relay-denied", "will not relay"),
    (
        "RCPT",
        b"550 5.1.1 <bob@example.test>: Recipient address rejected: User unknown in virtual "
        b"mailbox table\r\n",
        "send.recipient-unknown",
        "does not know the recipient bob@example.test",
    ),
    (
        "RCPT",
        b"550 5.7.606 Access denied, banned sending IP\r\n",
        "send.recipient-refused",
        "refused the recipient",
    ),
    (
        "RCPT",
        b"450 4.2.0 <bob@example.test>: Recipient address rejected: Greylisted, see "
        b"http://postgrey.schweikert.ch/help/example.test.html\r\n",
        "send.greylisted",
        "greylisted",
    ),
    ("RCPT", b"451 4.7.1 Please try again later\r\n", "send.greylisted", "greylisted"),
    (
        "RCPT",
        b"452 4.3.1 Insufficient system storage\r\n",
        "send.temporary-failure",
        "temporary failure at RCPT TO",
    ),
    (
        "DATA",
        b"554 5.5.1 Error: no valid recipients\r\n",
        "send.message-refused",
        "refused the message at DATA",
    ),
]
END_OF_DATA_REFUSALS = [
    (
        b"554 5.2.252 SendAsDenied; alice@example.test not allowed to send as boss@example.test;"
        b" STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied\r\n",
        "send.sender-refused",
    ),
    (
        b"554 Message rejected: Email address is not verified. The following identities failed "
        b"the check in region US-EAST-1: alice@example.test\r\n",
        "send.message-refused",
    ),
    (b"552 5.3.4 Message size exceeds fixed maximum message size\r\n", "send.size-exceeded"),
    (
        b"550 5.7.1 Message rejected as spam by Content Filtering.\r\n",
        "send.message-refused",
    ),
]


@pytest.mark.parametrize(("verb", "reply", "finding", "words"), REFUSALS)
def test_each_refusal_has_its_finding_and_shows_the_servers_words(
    run_check: RunCheck, fake_smtp: StartFake, verb: str, reply: bytes, finding: str, words: str
) -> None:
    fake = fake_smtp(replies={verb: reply})

    report = send_through(run_check, fake)

    result = row(report, "send")
    assert result.status is Status.FAIL
    assert result.outcome.finding == finding
    assert words in result.summary
    assert reply.decode().strip() in result.summary
    assert result.outcome.reply_code == int(reply[:3])
    assert fake.messages == []
    assert fake.verbs()[-1] == "QUIT"
    assert report.exit_code is ExitCode.CRITICAL


@pytest.mark.parametrize(("reply", "finding"), END_OF_DATA_REFUSALS)
def test_a_refusal_after_the_message_has_its_finding(
    run_check: RunCheck, fake_smtp: StartFake, reply: bytes, finding: str
) -> None:
    fake = fake_smtp(end_of_data=reply)

    report = send_through(run_check, fake)

    result = row(report, "send")
    assert result.status is Status.FAIL
    assert result.outcome.finding == finding
    assert result.outcome.details["stage"] == "end of data"
    assert len(fake.messages) == 1


@pytest.mark.parametrize("behaviour", ["close", "silent"])
def test_no_reply_after_the_final_dot_means_status_unknown_and_exactly_one_data(
    run_check: RunCheck, fake_smtp: StartFake, behaviour: str
) -> None:
    fake = fake_smtp(end_of_data=behaviour)

    report = send_through(run_check, fake, timeout=1.0)

    result = row(report, "send")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "send.status-unknown"
    assert result.summary.startswith("delivery status UNKNOWN: the whole message was sent")
    assert "did not send it again" in result.summary
    assert result.hints[0].title == "Find out whether the message arrived before sending it again"
    assert fake.verbs().count("DATA") == 1
    assert len(fake.messages) == 1
    assert fake.connections == 1


def test_a_queue_id_is_read_from_the_forms_servers_use() -> None:
    cases = {
        "2.0.0 Ok: queued as 4ABC123DEF": "4ABC123DEF",
        "OK id=1rXyZa-000Abc-2B": "1rXyZa-000Abc-2B",
        "2.0.0 OK  1701234567 d9443c01a7336-1cfc6b5b1a6si1234567pll.55 - gsmtp": (
            "d9443c01a7336-1cfc6b5b1a6si1234567pll.55"
        ),
        "2.0.0 OK <AM0PR01MB1234.eurprd01.prod.outlook.com> [Hostname=AM0PR01MB1234]": (
            "AM0PR01MB1234.eurprd01.prod.outlook.com"
        ),
        "Ok 0100018c1234abcd-1234abcd-0000-0000-0000-000000000000-000000": (
            "0100018c1234abcd-1234abcd-0000-0000-0000-000000000000-000000"
        ),
        "2.0.0 Message accepted": None,
    }
    for text, expected in cases.items():
        assert parse_queue_id(Reply(250, (text,))) == expected, text


def test_classification_depends_on_the_stage_when_the_words_say_nothing() -> None:
    refusal = Reply(550, ("5.0.0 Rejected",))

    assert classify("MAIL", refusal) == "send.sender-refused"
    assert classify("RCPT", refusal) == "send.recipient-refused"
    assert classify("DATA", refusal) == "send.message-refused"
    assert classify("MESSAGE", refusal) == "send.message-refused"


def test_the_password_never_reaches_the_report_of_a_send(
    smtp_server: LocalSMTPServer, make_server: MakeServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, send=SendRequest(USER, BOB))

    everything = transcript_text(report) + repr(report)
    assert PASSWORD not in everything
