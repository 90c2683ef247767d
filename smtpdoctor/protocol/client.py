"""The client side of an SMTP conversation as a state machine, with no I/O (like h11).

Two tables say everything there is to say about sequencing:

* :data:`SEND` — which command may be sent in which state, and which state then waits for the
  reply;
* :data:`RECEIVE` — for each waiting state, where a positive (2yz), intermediate (3yz) or
  negative (4yz/5yz) reply leads.  :data:`PREVIOUS` means "back to where we were before the
  command" — a refused RCPT leaves the transaction as it was.

A reply the table does not foresee (a ``334`` to ``MAIL``, a reply nobody asked for) is a
:class:`RemoteProtocolError`; a command the table does not allow is a
:class:`LocalProtocolError`.  A ``421`` to anything means the server is closing the channel
(RFC 5321 §3.8) and ends the conversation.
"""

from __future__ import annotations

import enum
from typing import Final

from smtpdoctor.protocol.commands import Command
from smtpdoctor.protocol.errors import LocalProtocolError, RemoteProtocolError
from smtpdoctor.protocol.reply import Reply, ReplyParser


class State(enum.Enum):
    """Where the client is in the conversation."""

    AWAIT_GREETING = "waiting for the greeting"
    GREETED = "greeted"
    REFUSED = "greeting refused"
    AWAIT_HELLO = "waiting for the EHLO/HELO reply"
    READY = "ready"
    AWAIT_STARTTLS = "waiting for the STARTTLS reply"
    TLS_NEGOTIATING = "negotiating TLS"
    AWAIT_AUTH = "waiting for the AUTH reply"
    AUTH_CHALLENGE = "answering an AUTH challenge"
    AWAIT_MAIL = "waiting for the MAIL reply"
    MAIL = "in a mail transaction"
    AWAIT_RCPT = "waiting for the RCPT reply"
    RCPT = "with recipients"
    AWAIT_DATA = "waiting for the DATA reply"
    DATA_CONTENT = "sending the message"
    AWAIT_DATA_END = "waiting for the end-of-data reply"
    AWAIT_RSET = "waiting for the RSET reply"
    AWAIT_NOOP = "waiting for the NOOP reply"
    AWAIT_QUIT = "waiting for the QUIT reply"
    CLOSED = "closed"


class ReplyKind(enum.Enum):
    """The three ways a reply can answer a command."""

    POSITIVE = "2yz"
    INTERMEDIATE = "3yz"
    NEGATIVE = "4yz/5yz"

    @classmethod
    def of(cls, reply: Reply) -> ReplyKind:
        """Classify ``reply`` by its first digit."""
        if reply.is_success:
            return cls.POSITIVE
        if reply.is_intermediate:
            return cls.INTERMEDIATE
        return cls.NEGATIVE


class _Previous:
    def __repr__(self) -> str:
        return "PREVIOUS"


#: In :data:`RECEIVE`, "the state before the command was sent".
PREVIOUS: Final = _Previous()

_S = State
_IN_SESSION = (_S.READY, _S.MAIL, _S.RCPT)

SEND: Final[dict[tuple[State, str], State]] = {
    (_S.GREETED, "EHLO"): _S.AWAIT_HELLO,
    (_S.GREETED, "HELO"): _S.AWAIT_HELLO,
    (_S.READY, "EHLO"): _S.AWAIT_HELLO,
    (_S.READY, "HELO"): _S.AWAIT_HELLO,
    (_S.READY, "STARTTLS"): _S.AWAIT_STARTTLS,
    (_S.READY, "AUTH"): _S.AWAIT_AUTH,
    (_S.AUTH_CHALLENGE, "AUTH-RESPONSE"): _S.AWAIT_AUTH,
    (_S.READY, "MAIL"): _S.AWAIT_MAIL,
    (_S.MAIL, "RCPT"): _S.AWAIT_RCPT,
    (_S.RCPT, "RCPT"): _S.AWAIT_RCPT,
    (_S.RCPT, "DATA"): _S.AWAIT_DATA,
    (_S.DATA_CONTENT, "MESSAGE"): _S.AWAIT_DATA_END,
    **{(state, "RSET"): _S.AWAIT_RSET for state in _IN_SESSION},
    **{(state, "NOOP"): _S.AWAIT_NOOP for state in (_S.GREETED, *_IN_SESSION)},
    **{(state, "QUIT"): _S.AWAIT_QUIT for state in (_S.GREETED, _S.REFUSED, *_IN_SESSION)},
}

_P, _I, _N = ReplyKind.POSITIVE, ReplyKind.INTERMEDIATE, ReplyKind.NEGATIVE

RECEIVE: Final[dict[State, dict[ReplyKind, State | _Previous]]] = {
    _S.AWAIT_GREETING: {_P: _S.GREETED, _N: _S.REFUSED},
    _S.AWAIT_HELLO: {_P: _S.READY, _N: PREVIOUS},
    _S.AWAIT_STARTTLS: {_P: _S.TLS_NEGOTIATING, _N: PREVIOUS},
    _S.AWAIT_AUTH: {_P: _S.READY, _I: _S.AUTH_CHALLENGE, _N: _S.READY},
    _S.AWAIT_MAIL: {_P: _S.MAIL, _N: PREVIOUS},
    _S.AWAIT_RCPT: {_P: _S.RCPT, _N: PREVIOUS},
    _S.AWAIT_DATA: {_I: _S.DATA_CONTENT, _N: PREVIOUS},
    _S.AWAIT_DATA_END: {_P: _S.READY, _N: _S.READY},
    _S.AWAIT_RSET: {_P: _S.READY, _N: PREVIOUS},
    _S.AWAIT_NOOP: {_P: PREVIOUS, _N: PREVIOUS},
    _S.AWAIT_QUIT: {_P: _S.CLOSED, _N: _S.CLOSED},
}


class SMTPClient:
    """Sans-IO SMTP client: turns commands into bytes and bytes into replies, in order.

    Typical use by an I/O layer::

        client = SMTPClient()
        while (reply := client.next_reply()) is None:
            client.receive_data(sock.recv(4096))     # the greeting
        sock.sendall(client.send(Ehlo("me.example")))
    """

    def __init__(self, parser: ReplyParser | None = None) -> None:
        self._parser = parser or ReplyParser()
        self._state = State.AWAIT_GREETING
        self._before: State = State.AWAIT_GREETING
        self._waiting_for: str = "greeting"

    @property
    def state(self) -> State:
        """The current :class:`State`."""
        return self._state

    @property
    def buffered_bytes(self) -> int:
        """Bytes received but not yet part of a complete reply."""
        return self._parser.buffered_bytes

    @property
    def peak_buffered_bytes(self) -> int:
        """The most bytes the parser ever held at once."""
        return self._parser.peak_buffered_bytes

    def can_send(self, verb: str) -> bool:
        """Whether a command with this verb may be sent now: the state allows it and the
        server has sent nothing unanswered (see :meth:`send`)."""
        return (self._state, verb) in SEND and not self._parser.in_reply

    def send(self, command: Command) -> bytes:
        """Validate that ``command`` may be sent now and return its bytes.

        Raises :class:`RemoteProtocolError` when the server has sent anything since its last
        reply: we never pipeline, so those bytes answer no command, and taking them as the
        reply to this one would let whoever sent them speak for the server (response
        injection).
        """
        target = SEND.get((self._state, command.verb))
        if target is None:
            raise LocalProtocolError(f"cannot send {command.verb} while {self._state.value}")
        if self._parser.in_reply:
            raise RemoteProtocolError(
                f"the server sent data nobody asked for before our {command.verb} "
                "(a server answers each command once, and only when asked)"
            )
        data = command.encode()
        self._before, self._state, self._waiting_for = self._state, target, command.verb
        return data

    def receive_data(self, data: bytes) -> None:
        """Feed bytes received from the server."""
        if self._state is State.TLS_NEGOTIATING:
            raise RemoteProtocolError(
                "the server sent plaintext after agreeing to STARTTLS, before the TLS handshake"
            )
        self._parser.feed(data)

    def next_reply(self) -> Reply | None:
        """Return the next complete reply and advance the state, or ``None`` for "need data"."""
        reply = self._parser.next_reply()
        if reply is None:
            return None
        if reply.code == 421:  # may come unsolicited, too (RFC 5321 §3.8)
            self._state = State.CLOSED
            return reply
        moves = RECEIVE.get(self._state)
        if moves is None:
            raise RemoteProtocolError(
                f"the server sent a reply nobody asked for ({reply.summary()!r})"
            )
        target = moves.get(ReplyKind.of(reply))
        if target is None:
            raise RemoteProtocolError(
                f"the server answered {self._waiting_for} with {reply.summary()!r}, "
                "a reply SMTP does not allow there"
            )
        self._state = self._before if isinstance(target, _Previous) else target
        if self._state is State.TLS_NEGOTIATING and self._parser.in_reply:
            raise RemoteProtocolError(
                "the server sent more data right after agreeing to STARTTLS; whoever sent it "
                "could inject commands into the encrypted session (STARTTLS injection)"
            )
        return reply

    def tls_established(self) -> None:
        """Record that the TLS handshake after STARTTLS succeeded: EHLO must be sent again."""
        if self._state is not State.TLS_NEGOTIATING:
            raise LocalProtocolError(f"no STARTTLS was accepted (state: {self._state.value})")
        self._state = State.GREETED

    def connection_closed(self) -> None:
        """Record that the connection is gone."""
        self._state = State.CLOSED
