"""The test message meets a hostile server: relaying denied at RCPT, greylisting, a 552 after
the whole message was sent, a hang-up before the verdict — and subject and addresses that
try to smuggle a header or a command."""

from __future__ import annotations

import ssl
from collections.abc import Callable

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.words import ConfigError
from smtpdoctor.settings.sending import SendRequest

from tests.hostile.hostile_server import EHLO_STARTTLS, Peer, greet, hostile, tls_context
from tests.hostile.scenario import check, failure, hang_guard

pytestmark = hang_guard

SENDER = "alice@example.test"
RECIPIENT = "bob@elsewhere.example"
#: A recipient in the server's own domain: taking it without a login is no relaying.
LOCAL_RECIPIENT = "bob@example.test"
READY = b"220 2.0.0 Ready to start TLS\r\n"
EHLO_IN_TLS = b"250-mail.example.test\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"


def up_to_mail(peer: Peer, context: ssl.SSLContext) -> None:
    """Greeting, STARTTLS, EHLO in TLS, and a MAIL FROM the server accepts."""
    greet(peer, ehlo=EHLO_STARTTLS)
    peer.expect("STARTTLS")
    peer.send(READY)
    peer.start_tls(context)
    peer.expect("EHLO")
    peer.send(EHLO_IN_TLS)
    peer.expect("MAIL")
    peer.send(b"250 2.1.0 Ok\r\n")


def read_message(peer: Peer) -> list[str]:
    """The message lines after 354, up to the lone dot."""
    lines: list[str] = []
    while (line := peer.read_line()) != ".":
        lines.append(line)
    return lines


def sending(context: ssl.SSLContext, rest: Callable[[Peer], None]) -> Callable[[Peer], None]:
    def converse(peer: Peer) -> None:
        up_to_mail(peer, context)
        rest(peer)

    return converse


@pytest.mark.parametrize(
    ("reply", "finding", "summary"),
    [
        pytest.param(
            b"554 5.7.1 <bob@elsewhere.example>: Relay access denied",
            "send.relay-denied",
            f"the server will not relay to {RECIPIENT} for this client: 554 5.7.1 "
            "<bob@elsewhere.example>: Relay access denied",
            id="relay-denied",
        ),
        pytest.param(
            b"451 4.7.1 <bob@elsewhere.example>: Recipient address rejected: Greylisted, "
            b"see https://postgrey.schweikert.ch/help/example.html",
            "send.greylisted",
            "greylisted: the server wants us to come back later (451 4.7.1 "
            "<bob@elsewhere.example>: Recipient address rejected: Greylisted, see "
            "https://postgrey.schweikert.ch/help/example.html); smtpdoctor does not retry by "
            "itself, so run it again in a few minutes",
            id="greylisted",
        ),
    ],
)
def test_a_recipient_refused_at_rcpt_fails_the_send_quoting_the_server(
    reply: bytes, finding: str, summary: str, pki: ThrowawayPKI
) -> None:
    def refuses_recipient(peer: Peer) -> None:
        peer.expect("RCPT")
        peer.send(reply + b"\r\n")
        peer.answer_quit()

    with hostile(sending(tls_context(pki), refuses_recipient)) as server:
        report = check(server, ca_data=pki.ca_pem, send=SendRequest(SENDER, RECIPIENT))

    failed = failure(report, finding)
    assert failed.summary == summary
    assert "DATA" not in server.commands


def test_a_552_after_the_whole_message_fails_the_send_as_too_big(pki: ThrowawayPKI) -> None:
    def too_big_after_all(peer: Peer) -> None:
        peer.expect("RCPT")
        peer.send(b"250 2.1.5 Ok\r\n")
        peer.expect("DATA")
        peer.send(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        read_message(peer)
        peer.send(b"552 5.3.4 Error: message file too big\r\n")
        peer.answer_quit()

    with hostile(sending(tls_context(pki), too_big_after_all)) as server:
        report = check(server, ca_data=pki.ca_pem, send=SendRequest(SENDER, LOCAL_RECIPIENT))

    failed = failure(report, "send.size-exceeded")
    assert failed.summary == (
        "the server refused the message as too big: 552 5.3.4 Error: message file too big"
    )
    assert server.commands.count("DATA") == 1  # sent once, never again


def test_a_hang_up_after_the_whole_message_leaves_delivery_unknown_and_sends_nothing_again(
    pki: ThrowawayPKI,
) -> None:
    def hangs_up_at_the_end(peer: Peer) -> None:
        peer.expect("RCPT")
        peer.send(b"250 2.1.5 Ok\r\n")
        peer.expect("DATA")
        peer.send(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        read_message(peer)
        peer.close()

    with hostile(sending(tls_context(pki), hangs_up_at_the_end)) as server:
        report = check(server, ca_data=pki.ca_pem, send=SendRequest(SENDER, RECIPIENT))

    failed = failure(report, "send.status-unknown")
    assert failed.summary.startswith(
        "delivery status UNKNOWN: the whole message was sent, but no reply came back"
    )
    assert server.connections == 1


CONTROL = {"\r": "CR", "\n": "LF", "\0": "NUL"}


@pytest.mark.parametrize("char", list(CONTROL), ids=list(CONTROL.values()))
@pytest.mark.parametrize(
    ("option", "what"),
    [("--from", "user name"), ("--to", "recipient address"), ("--subject", "subject")],
)
def test_a_control_character_in_an_address_or_the_subject_is_refused_before_sending(
    option: str,
    what: str,
    char: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--from`` is also the login name of ``smtpdoctor send``, checked first as such."""
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", "correct horse battery staple")
    values = {"--from": SENDER, "--to": RECIPIENT, "--subject": "hello"}
    values[option] += f"{char}Bcc: victim@example.net"
    with hostile(lambda peer: peer.stay_silent()) as server:
        host, port = server.address
        code = main(["send", f"{host}:{port}", *(item for pair in values.items() for item in pair)])

    captured = capsys.readouterr()
    assert code == 3
    assert captured.out == ""
    assert captured.err.startswith(f"smtpdoctor: the {what} contains a {CONTROL[char]} character")
    assert server.connections == 0


@pytest.mark.parametrize("char", list(CONTROL), ids=list(CONTROL.values()))
@pytest.mark.parametrize("field", ["sender", "recipient", "subject"])
def test_the_api_refuses_control_characters_in_addresses_and_the_subject(
    field: str, char: str
) -> None:
    values = {"sender": SENDER, "recipient": RECIPIENT, "subject": "hello"}
    values[field] += f"{char}Bcc: victim@example.net"
    with pytest.raises(ConfigError, match=f"contains a {CONTROL[char]} character"):
        SendRequest(values["sender"], values["recipient"], values["subject"])
