"""Specification of :class:`SMTPClient`: which command may be sent when, and where each reply
leads.  The server side is played by feeding reply bytes; nothing touches a network.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from smtpdoctor.protocol import (
    Auth,
    AuthResponse,
    Command,
    Data,
    Ehlo,
    Helo,
    LocalProtocolError,
    MailFrom,
    MessageContent,
    Noop,
    Quit,
    RcptTo,
    RemoteProtocolError,
    Reply,
    Rset,
    SMTPClient,
    StartTLS,
    State,
)
from smtpdoctor.protocol.client import RECEIVE, SEND, ReplyKind

#: One step of a scripted conversation: a command we send, or reply bytes the server sends.
Step = Command | bytes


def server_says(client: SMTPClient, wire: bytes) -> Reply:
    """Feed ``wire`` (exactly one complete reply) and return the reply it makes."""
    client.receive_data(wire)
    reply = client.next_reply()
    assert reply is not None, f"{wire!r} did not complete a reply"
    return reply


def assert_state(client: SMTPClient, expected: State) -> None:
    """Assert the client's state (a function, so that mypy does not narrow ``state``)."""
    assert client.state is expected, f"expected {expected.name}, got {client.state.name}"


def converse(client: SMTPClient, steps: Iterable[Step]) -> None:
    """Play ``steps`` in order: send each command, feed each server reply."""
    for step in steps:
        if isinstance(step, bytes):
            server_says(client, step)
        else:
            client.send(step)


GREETING = b"220 mx.example.com ESMTP\r\n"
EHLO_REPLY = b"250-mx.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"
OK = b"250 2.0.0 Ok\r\n"

#: A scripted way to reach every state from a fresh client.
PATHS: dict[State, tuple[Step, ...]] = {
    State.AWAIT_GREETING: (),
    State.GREETED: (GREETING,),
    State.REFUSED: (b"554 5.7.1 No SMTP service here\r\n",),
    State.AWAIT_HELLO: (GREETING, Ehlo("client.example")),
    State.READY: (GREETING, Ehlo("client.example"), EHLO_REPLY),
}
_READY = PATHS[State.READY]
PATHS |= {
    State.AWAIT_STARTTLS: (*_READY, StartTLS()),
    State.TLS_NEGOTIATING: (*_READY, StartTLS(), b"220 2.0.0 Ready to start TLS\r\n"),
    State.AWAIT_AUTH: (*_READY, Auth("PLAIN", "AGFsaWNlAHNlY3JldA==")),
    State.AUTH_CHALLENGE: (*_READY, Auth("LOGIN"), b"334 VXNlcm5hbWU6\r\n"),
    State.AWAIT_MAIL: (*_READY, MailFrom("alice@example.com")),
    State.MAIL: (*_READY, MailFrom("alice@example.com"), OK),
    State.AWAIT_NOOP: (*_READY, Noop()),
    State.AWAIT_QUIT: (*_READY, Quit()),
    State.CLOSED: (*_READY, Quit(), b"221 2.0.0 Bye\r\n"),
}
PATHS |= {
    State.AWAIT_RCPT: (*PATHS[State.MAIL], RcptTo("bob@example.org")),
    State.RCPT: (*PATHS[State.MAIL], RcptTo("bob@example.org"), OK),
    State.AWAIT_RSET: (*PATHS[State.MAIL], Rset()),
}
PATHS |= {
    State.AWAIT_DATA: (*PATHS[State.RCPT], Data()),
    State.DATA_CONTENT: (*PATHS[State.RCPT], Data(), b"354 End data with <CR><LF>.<CR><LF>\r\n"),
}
PATHS |= {
    State.AWAIT_DATA_END: (
        *PATHS[State.DATA_CONTENT],
        MessageContent(b"Subject: hi\r\n\r\nhi\r\n"),
    ),
}


def client_in(state: State) -> SMTPClient:
    """A client brought to ``state`` by a real conversation."""
    client = SMTPClient()
    converse(client, PATHS[state])
    assert_state(client, state)
    return client


#: One command of every verb the state machine knows.
ONE_OF_EACH: tuple[Command, ...] = (
    Ehlo("client.example"),
    Helo("client.example"),
    StartTLS(),
    Auth("PLAIN", "AGFsaWNlAHNlY3JldA=="),
    AuthResponse("c2VjcmV0"),
    MailFrom("alice@example.com"),
    RcptTo("bob@example.org"),
    Data(),
    MessageContent(b"hi\r\n"),
    Rset(),
    Noop(),
    Quit(),
)

#: A reply of each kind, for the RECEIVE table.
REPLY_OF_KIND = {
    ReplyKind.POSITIVE: b"250 2.0.0 Ok\r\n",
    ReplyKind.INTERMEDIATE: b"354 go ahead\r\n",
    ReplyKind.NEGATIVE: b"550 5.0.0 No\r\n",
}


def test_every_state_is_reachable_by_a_real_conversation() -> None:
    assert set(PATHS) == set(State)
    for state in State:
        assert client_in(state).state is state


def test_every_verb_in_the_send_table_has_a_sample_command() -> None:
    assert {verb for _, verb in SEND} == {command.verb for command in ONE_OF_EACH}


# --------------------------------------------------------------------------------------------
# Whole conversations
# --------------------------------------------------------------------------------------------


def test_happy_conversation_with_starttls_and_auth_plain() -> None:
    client = SMTPClient()
    assert_state(client, State.AWAIT_GREETING)

    script: list[tuple[Step, State]] = [
        (GREETING, State.GREETED),
        (Ehlo("client.example"), State.AWAIT_HELLO),
        (EHLO_REPLY, State.READY),
        (StartTLS(), State.AWAIT_STARTTLS),
        (b"220 2.0.0 Ready to start TLS\r\n", State.TLS_NEGOTIATING),
    ]
    for step, expected in script:
        converse(client, [step])
        assert_state(client, expected)

    client.tls_established()
    assert_state(client, State.GREETED)

    script = [
        (Ehlo("client.example"), State.AWAIT_HELLO),
        (b"250-mx.example.com\r\n250 AUTH PLAIN LOGIN\r\n", State.READY),
        (Auth("PLAIN", "AGFsaWNlAHNlY3JldA=="), State.AWAIT_AUTH),
        (b"235 2.7.0 Authentication successful\r\n", State.READY),
        (MailFrom("alice@example.com", ("SIZE=20",)), State.AWAIT_MAIL),
        (b"250 2.1.0 Ok\r\n", State.MAIL),
        (RcptTo("bob@example.org"), State.AWAIT_RCPT),
        (b"250 2.1.5 Ok\r\n", State.RCPT),
        (Data(), State.AWAIT_DATA),
        (b"354 End data with <CR><LF>.<CR><LF>\r\n", State.DATA_CONTENT),
        (MessageContent(b"Subject: hi\r\n\r\nhi\r\n"), State.AWAIT_DATA_END),
        (b"250 2.0.0 Ok: queued as 4ABC\r\n", State.READY),
        (Quit(), State.AWAIT_QUIT),
        (b"221 2.0.0 Bye\r\n", State.CLOSED),
    ]
    for step, expected in script:
        converse(client, [step])
        assert_state(client, expected)


def test_send_returns_the_encoded_command() -> None:
    client = client_in(State.GREETED)
    assert client.send(Ehlo("client.example")) == b"EHLO client.example\r\n"


def test_next_reply_returns_the_reply_that_moved_the_state() -> None:
    client = client_in(State.AWAIT_MAIL)
    reply = server_says(client, b"250 2.1.0 Sender ok\r\n")
    assert reply == Reply(250, ("2.1.0 Sender ok",))


def test_auth_login_answers_two_challenges() -> None:
    client = client_in(State.READY)
    client.send(Auth("LOGIN"))
    assert_state(client, State.AWAIT_AUTH)
    server_says(client, b"334 VXNlcm5hbWU6\r\n")
    assert_state(client, State.AUTH_CHALLENGE)
    client.send(AuthResponse("YWxpY2U=", sensitive=False))
    assert_state(client, State.AWAIT_AUTH)
    server_says(client, b"334 UGFzc3dvcmQ6\r\n")
    assert_state(client, State.AUTH_CHALLENGE)
    client.send(AuthResponse("c2VjcmV0"))
    assert_state(client, State.AWAIT_AUTH)
    server_says(client, b"235 2.7.0 Authentication successful\r\n")
    assert_state(client, State.READY)


def test_failed_auth_returns_to_ready() -> None:
    client = client_in(State.AWAIT_AUTH)
    server_says(client, b"535 5.7.8 Bad credentials\r\n")
    assert_state(client, State.READY)


def test_reply_split_across_chunks_moves_the_state_only_when_complete() -> None:
    client = client_in(State.AWAIT_HELLO)
    for byte in EHLO_REPLY[:-1]:
        client.receive_data(bytes([byte]))
        assert client.next_reply() is None
        assert_state(client, State.AWAIT_HELLO)
    client.receive_data(EHLO_REPLY[-1:])
    assert client.next_reply() is not None
    assert_state(client, State.READY)
    assert client.buffered_bytes == 0


# --------------------------------------------------------------------------------------------
# Negative replies: where they lead
# --------------------------------------------------------------------------------------------


def test_refused_first_rcpt_returns_to_mail() -> None:
    client = client_in(State.AWAIT_RCPT)
    server_says(client, b"550 5.1.1 No such user\r\n")
    assert_state(client, State.MAIL)


def test_refused_rcpt_after_an_accepted_one_returns_to_rcpt() -> None:
    client = client_in(State.RCPT)
    client.send(RcptTo("nobody@example.org"))
    server_says(client, b"550 5.1.1 No such user\r\n")
    assert_state(client, State.RCPT)


def test_refused_ehlo_allows_helo_instead() -> None:
    client = client_in(State.AWAIT_HELLO)
    server_says(client, b"502 5.5.1 Command not implemented\r\n")
    assert_state(client, State.GREETED)
    client.send(Helo("client.example"))
    server_says(client, b"250 mx.example.com\r\n")
    assert_state(client, State.READY)


def test_refused_starttls_returns_to_ready() -> None:
    client = client_in(State.AWAIT_STARTTLS)
    server_says(client, b"454 4.7.0 TLS not available\r\n")
    assert_state(client, State.READY)


def test_refused_mail_returns_to_ready() -> None:
    client = client_in(State.AWAIT_MAIL)
    server_says(client, b"553 5.7.1 Sender rejected\r\n")
    assert_state(client, State.READY)


def test_refused_data_keeps_the_recipients() -> None:
    client = client_in(State.AWAIT_DATA)
    server_says(client, b"554 5.5.1 No valid recipients\r\n")
    assert_state(client, State.RCPT)


def test_rejected_message_ends_the_transaction() -> None:
    client = client_in(State.AWAIT_DATA_END)
    server_says(client, b"550 5.7.1 Message content rejected\r\n")
    assert_state(client, State.READY)


def test_rset_ends_the_transaction() -> None:
    client = client_in(State.RCPT)
    client.send(Rset())
    server_says(client, OK)
    assert_state(client, State.READY)


@pytest.mark.parametrize("state", [State.GREETED, State.READY, State.MAIL, State.RCPT])
@pytest.mark.parametrize("wire", [OK, b"502 5.5.1 Not implemented\r\n"], ids=["250", "502"])
def test_noop_leaves_the_state_as_it_was(state: State, wire: bytes) -> None:
    client = client_in(state)
    client.send(Noop())
    server_says(client, wire)
    assert_state(client, state)


@pytest.mark.parametrize("wire", [b"221 2.0.0 Bye\r\n", b"500 5.5.1 What?\r\n"])
def test_any_reply_to_quit_closes(wire: bytes) -> None:
    client = client_in(State.AWAIT_QUIT)
    server_says(client, wire)
    assert_state(client, State.CLOSED)


# --------------------------------------------------------------------------------------------
# 421: the server is closing the channel
# --------------------------------------------------------------------------------------------

#: Every state in which reply bytes may be fed (TLS_NEGOTIATING refuses all plaintext).
RECEIVING_STATES = [state for state in State if state not in (State.TLS_NEGOTIATING, State.CLOSED)]


@pytest.mark.parametrize("state", RECEIVING_STATES, ids=lambda state: state.name)
def test_421_at_any_point_closes_the_conversation(state: State) -> None:
    """RFC 5321 §3.8: 421 may answer any command, or come unsolicited before shutting down."""
    client = client_in(state)
    reply = server_says(client, b"421 4.4.2 mx.example.com Timeout, closing connection\r\n")
    assert reply.code == 421
    assert_state(client, State.CLOSED)


def test_multi_line_421_closes_too() -> None:
    client = client_in(State.AWAIT_MAIL)
    server_says(client, b"421-4.7.0 Too many errors\r\n421 4.7.0 Closing\r\n")
    assert_state(client, State.CLOSED)


def test_421_greeting_closes_rather_than_refuses() -> None:
    client = client_in(State.AWAIT_GREETING)
    server_says(client, b"421 4.3.2 Service not available\r\n")
    assert_state(client, State.CLOSED)


# --------------------------------------------------------------------------------------------
# Refused greeting
# --------------------------------------------------------------------------------------------


def test_554_greeting_refuses_the_session() -> None:
    client = client_in(State.AWAIT_GREETING)
    server_says(client, b"554 5.7.1 Go away\r\n")
    assert_state(client, State.REFUSED)


@pytest.mark.parametrize(
    "command",
    [command for command in ONE_OF_EACH if command.verb != "QUIT"],
    ids=lambda command: command.verb,
)
def test_after_a_refused_greeting_only_quit_may_be_sent(command: Command) -> None:
    client = client_in(State.REFUSED)
    with pytest.raises(LocalProtocolError):
        client.send(command)
    assert_state(client, State.REFUSED)


def test_after_a_refused_greeting_quit_closes() -> None:
    client = client_in(State.REFUSED)
    assert client.send(Quit()) == b"QUIT\r\n"
    server_says(client, b"221 Bye\r\n")
    assert_state(client, State.CLOSED)


# --------------------------------------------------------------------------------------------
# Our mistakes: LocalProtocolError, nothing sent, state unchanged
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "command"),
    [
        pytest.param(State.GREETED, MailFrom("alice@example.com"), id="MAIL-before-EHLO"),
        pytest.param(State.AWAIT_GREETING, Ehlo("client.example"), id="EHLO-before-greeting"),
        pytest.param(State.MAIL, Data(), id="DATA-before-RCPT"),
        pytest.param(State.READY, RcptTo("bob@example.org"), id="RCPT-before-MAIL"),
        pytest.param(State.AWAIT_MAIL, RcptTo("bob@example.org"), id="RCPT-before-MAIL-reply"),
        pytest.param(State.RCPT, MessageContent(b"hi"), id="content-before-354"),
        pytest.param(State.READY, AuthResponse("c2VjcmV0"), id="AuthResponse-unasked"),
        pytest.param(State.MAIL, StartTLS(), id="STARTTLS-in-transaction"),
        pytest.param(State.CLOSED, Quit(), id="QUIT-after-close"),
    ],
)
def test_command_out_of_sequence_is_refused(state: State, command: Command) -> None:
    client = client_in(state)
    with pytest.raises(LocalProtocolError, match=f"cannot send {command.verb}"):
        client.send(command)
    assert_state(client, state)


def _state_verb_pairs(*, allowed: bool) -> list[tuple[State, Command]]:
    return [
        (state, command)
        for state in State
        for command in ONE_OF_EACH
        if ((state, command.verb) in SEND) is allowed
    ]


@pytest.mark.parametrize(
    ("state", "command"),
    _state_verb_pairs(allowed=False),
    ids=lambda value: value.name if isinstance(value, State) else value.verb,
)
def test_every_state_verb_pair_not_in_the_send_table_is_refused(
    state: State, command: Command
) -> None:
    client = client_in(state)
    with pytest.raises(LocalProtocolError):
        client.send(command)
    assert_state(client, state)


@pytest.mark.parametrize(
    ("state", "command"),
    _state_verb_pairs(allowed=True),
    ids=lambda value: value.name if isinstance(value, State) else value.verb,
)
def test_every_state_verb_pair_in_the_send_table_is_sent_and_awaits_its_reply(
    state: State, command: Command
) -> None:
    client = client_in(state)
    assert client.send(command) == command.encode()
    assert client.state is SEND[state, command.verb]


def test_command_that_fails_to_encode_leaves_the_state_unchanged() -> None:
    client = client_in(State.GREETED)
    with pytest.raises(LocalProtocolError):
        client.send(Ehlo("client.example\r\nMAIL FROM:<x@y>"))
    assert_state(client, State.GREETED)
    client.send(Ehlo("client.example"))
    assert_state(client, State.AWAIT_HELLO)


def test_tls_established_without_an_accepted_starttls_is_refused() -> None:
    client = client_in(State.AWAIT_STARTTLS)
    with pytest.raises(LocalProtocolError):
        client.tls_established()
    assert_state(client, State.AWAIT_STARTTLS)


@pytest.mark.parametrize("state", list(State), ids=lambda state: state.name)
def test_connection_closed_closes_from_any_state(state: State) -> None:
    client = client_in(state)
    client.connection_closed()
    assert_state(client, State.CLOSED)


# --------------------------------------------------------------------------------------------
# The server's mistakes: RemoteProtocolError
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "wire"),
    [
        pytest.param(State.AWAIT_MAIL, b"334 VXNlcm5hbWU6\r\n", id="334-to-MAIL"),
        pytest.param(State.AWAIT_HELLO, b"354 go ahead\r\n", id="354-to-EHLO"),
        pytest.param(State.AWAIT_DATA, b"250 Ok\r\n", id="250-to-DATA"),
        pytest.param(State.AWAIT_DATA_END, b"354 again?\r\n", id="354-to-message"),
        pytest.param(State.AWAIT_GREETING, b"354 hi\r\n", id="354-greeting"),
    ],
)
def test_reply_kind_smtp_does_not_allow_there_is_a_remote_error(state: State, wire: bytes) -> None:
    client = client_in(state)
    client.receive_data(wire)
    with pytest.raises(RemoteProtocolError, match="does not allow"):
        client.next_reply()


@pytest.mark.parametrize(
    ("state", "kind"),
    [(state, kind) for state, moves in RECEIVE.items() for kind in ReplyKind if kind not in moves],
    ids=lambda value: value.name,
)
def test_every_reply_kind_not_in_the_receive_table_is_a_remote_error(
    state: State, kind: ReplyKind
) -> None:
    client = client_in(state)
    client.receive_data(REPLY_OF_KIND[kind])
    with pytest.raises(RemoteProtocolError):
        client.next_reply()


@pytest.mark.parametrize(
    "state",
    [state for state in RECEIVING_STATES if state not in RECEIVE],
    ids=lambda state: state.name,
)
def test_unsolicited_reply_is_a_remote_error(state: State) -> None:
    client = client_in(state)
    client.receive_data(b"250 2.0.0 Surprise\r\n")
    with pytest.raises(RemoteProtocolError, match="nobody asked for"):
        client.next_reply()


def test_unsolicited_reply_in_ready_is_a_remote_error() -> None:
    client = client_in(State.READY)
    client.receive_data(b"250 2.0.0 Ok\r\n")
    with pytest.raises(RemoteProtocolError, match=r"nobody asked for \('250 2.0.0 Ok'\)"):
        client.next_reply()


def test_malformed_reply_is_a_remote_error() -> None:
    client = client_in(State.AWAIT_GREETING)
    client.receive_data(b"SSH-2.0-OpenSSH_9.6\r\n")
    with pytest.raises(RemoteProtocolError):
        client.next_reply()


# --------------------------------------------------------------------------------------------
# STARTTLS: nothing may arrive between the 220 and the TLS handshake
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(b"250-injected\r\n250 AUTH PLAIN\r\n", id="complete-reply"),
        pytest.param(b"250 ", id="partial-line"),
        pytest.param(b"\x16\x03\x01", id="a-few-bytes"),
    ],
)
def test_starttls_reply_followed_by_more_bytes_is_an_injection(extra: bytes) -> None:
    """Bytes after the 220 were sent in plaintext; they would be read as if inside TLS."""
    client = client_in(State.AWAIT_STARTTLS)
    client.receive_data(b"220 2.0.0 Ready to start TLS\r\n" + extra)
    with pytest.raises(RemoteProtocolError, match="injection"):
        client.next_reply()


def test_starttls_reply_alone_is_not_an_injection() -> None:
    client = client_in(State.AWAIT_STARTTLS)
    for byte in b"220 2.0.0 Ready to start TLS\r\n":
        client.receive_data(bytes([byte]))
        client.next_reply()
    assert_state(client, State.TLS_NEGOTIATING)


def test_data_received_while_negotiating_tls_is_a_remote_error() -> None:
    client = client_in(State.TLS_NEGOTIATING)
    with pytest.raises(RemoteProtocolError, match="STARTTLS"):
        client.receive_data(b"250 2.0.0 Ok\r\n")


def test_after_tls_is_established_the_client_must_greet_again() -> None:
    client = client_in(State.TLS_NEGOTIATING)
    client.tls_established()
    assert_state(client, State.GREETED)
    with pytest.raises(LocalProtocolError):
        client.send(MailFrom("alice@example.com"))
    client.send(Ehlo("client.example"))
    assert_state(client, State.AWAIT_HELLO)
