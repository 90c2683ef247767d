"""Property-based fuzzing of the sans-IO core: the reply parser, the client state machine, the
EHLO reader and the command encoder.

Every byte from the network is hostile, every argument from the command line may be too.
These properties say what holds for *any* input: the parser gives the same replies however
the stream is split, raises nothing but :class:`RemoteProtocolError`, buffers no more than
its cap and never hands out text a terminal would obey; the encoder puts exactly one line on
the wire or refuses with :class:`LocalProtocolError`, and never shows a secret.

The normal run tries ``SMTPDOCTOR_FUZZ_EXAMPLES`` (default 60) examples per property, to stay
fast; a long campaign sets it high once, e.g. ``SMTPDOCTOR_FUZZ_EXAMPLES=20000``.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtpdoctor.protocol import (
    REDACTED,
    Auth,
    AuthResponse,
    Capabilities,
    Command,
    Data,
    Ehlo,
    EnhancedStatus,
    Helo,
    LocalProtocolError,
    MailFrom,
    MessageContent,
    Noop,
    ProtocolError,
    Quit,
    RcptTo,
    RemoteProtocolError,
    Reply,
    ReplyParser,
    Rset,
    SMTPClient,
    StartTLS,
)

EXAMPLES = int(os.environ.get("SMTPDOCTOR_FUZZ_EXAMPLES", "60"))
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Small caps, so that random input reaches them.
LINE_CAP = 64
LINES_CAP = 6
#: Characters that must never reach a terminal from a server.
UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# -- strategies --------------------------------------------------------------------------------

#: Pieces that are almost SMTP, so that random streams reach deep into the parser.
near_smtp = st.lists(
    st.one_of(
        st.sampled_from(
            [b"250", b"220", b"334", b"421", b"550", b"199", b"600", b"-", b" ", b"\r", b"\n"]
        ),
        st.sampled_from([b"\r\n", b"5.7.8 ", b"\xff", b"\xc2\x9b", b"\x1b[2J", b"\x00", b"x" * 70]),
        st.binary(max_size=12),
    ),
    max_size=40,
).map(b"".join)
streams = st.one_of(st.binary(max_size=600), near_smtp)


def cuts(data: bytes) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(min_value=0, max_value=len(data)), max_size=20)


Outcome = tuple[tuple[Reply, ...], bool]


def parse(data: bytes, points: Sequence[int]) -> tuple[Outcome, ReplyParser, int]:
    """Feed ``data`` cut at ``points``, draining after every feed, as an I/O layer does.

    Returns (replies, whether it ended in an error), the parser, and the largest chunk fed.
    """
    parser = ReplyParser(max_line_length=LINE_CAP, max_reply_lines=LINES_CAP)
    bounds = sorted({0, len(data), *points})
    replies: list[Reply] = []
    largest = 0
    try:
        for start, end in itertools.pairwise(bounds):
            largest = max(largest, end - start)
            parser.feed(data[start:end])
            while (reply := parser.next_reply()) is not None:
                replies.append(reply)
    except RemoteProtocolError:
        return (tuple(replies), True), parser, largest
    return (tuple(replies), False), parser, largest


# -- the reply parser --------------------------------------------------------------------------


@fuzz
@given(data=streams, draw=st.data())
def test_any_split_of_the_stream_gives_the_same_replies_or_the_same_refusal(
    data: bytes, draw: st.DataObject
) -> None:
    (whole, whole_failed), _, _ = parse(data, [])
    (split, split_failed), _, _ = parse(data, draw.draw(cuts(data), label="cuts"))
    assert split_failed == whole_failed
    if not whole_failed:
        assert split == whole


@fuzz
@given(data=streams, draw=st.data())
def test_arbitrary_bytes_raise_nothing_but_the_protocol_error_and_stay_bounded(
    data: bytes, draw: st.DataObject
) -> None:
    (replies, _), parser, largest = parse(data, draw.draw(cuts(data), label="cuts"))
    assert all(200 <= reply.code <= 599 for reply in replies)
    assert all(1 <= len(reply.lines) <= LINES_CAP for reply in replies)
    # drained after every feed, the parser holds at most a pending line (the cap and its CR)
    # plus the chunk just fed
    assert parser.peak_buffered_bytes <= LINE_CAP + 1 + largest


@fuzz
@given(data=streams)
def test_a_pending_line_never_outgrows_the_cap_plus_one_chunk(data: bytes) -> None:
    """Fed in 16-byte chunks, as from a network, the parser holds at most the cap, a CR and
    one chunk — whatever the server sends."""
    parser = ReplyParser(max_line_length=LINE_CAP, max_reply_lines=LINES_CAP)
    chunk = 16
    try:
        for start in range(0, len(data), chunk):
            parser.feed(data[start : start + chunk])
            while parser.next_reply() is not None:
                pass
    except RemoteProtocolError:
        pass
    assert parser.peak_buffered_bytes <= LINE_CAP + 1 + chunk


@fuzz
@given(data=streams)
def test_reply_text_never_carries_characters_a_terminal_would_obey(data: bytes) -> None:
    (replies, _), _, _ = parse(data, [])
    for reply in replies:
        for line in reply.lines:
            assert not UNSAFE.search(line), reply


@fuzz
@given(
    replies=st.lists(
        st.builds(
            Reply,
            code=st.integers(min_value=200, max_value=599),
            lines=st.lists(
                st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=50),
                min_size=1,
                max_size=LINES_CAP,
            ).map(tuple),
        ),
        max_size=5,
    ),
    draw=st.data(),
)
def test_well_formed_replies_survive_any_split_unchanged(
    replies: list[Reply], draw: st.DataObject
) -> None:
    wire = b"".join(reply.to_wire() for reply in replies)
    (parsed, failed), _, _ = parse(wire, draw.draw(cuts(wire), label="cuts"))
    assert not failed
    assert list(parsed) == replies


@fuzz
@given(text=st.text(max_size=80))
def test_an_enhanced_status_is_read_or_ignored_never_raised(text: str) -> None:
    status = EnhancedStatus.parse(text)
    if status is not None:
        assert status.klass in (2, 4, 5)
        assert text.startswith(str(status))


@fuzz
@given(
    code=st.integers(min_value=200, max_value=299),
    lines=st.lists(st.text(max_size=60), min_size=1, max_size=10),
)
def test_any_ehlo_reply_gives_capabilities_never_an_exception(code: int, lines: list[str]) -> None:
    caps = Capabilities.from_ehlo(Reply(code, tuple(lines)))
    assert all(mechanism == mechanism.upper() for mechanism in caps.auth_mechanisms)
    assert caps.size_limit is None or caps.size_limit >= 0
    assert all(caps.supports(keyword) for keyword in caps.keywords())


# -- the client state machine ------------------------------------------------------------------

COMMANDS: tuple[Command, ...] = (
    Ehlo("client.example"),
    Helo("client.example"),
    StartTLS(),
    Auth("PLAIN", "AGFsaWNlAHNlY3JldA=="),
    Auth("LOGIN"),
    AuthResponse("c2VjcmV0"),
    MailFrom("alice@example.com"),
    RcptTo("bob@example.org"),
    Data(),
    MessageContent(b"Subject: hi\r\n\r\n.hello\r\n"),
    Rset(),
    Noop(),
    Quit(),
)

actions = st.lists(
    st.one_of(
        st.sampled_from(COMMANDS),
        streams,
        st.just("reply"),
        st.just("tls"),
    ),
    max_size=30,
)


@fuzz
@given(steps=actions)
def test_any_conversation_raises_only_protocol_errors(steps: list[Command | bytes | str]) -> None:
    """Whatever the server sends and whatever a check asks to send, in any order, the client
    raises only LocalProtocolError (our misuse) or RemoteProtocolError (the server's)."""
    client = SMTPClient(ReplyParser(max_line_length=LINE_CAP, max_reply_lines=LINES_CAP))
    for step in steps:
        try:
            if isinstance(step, Command):
                data = client.send(step)
                assert data.endswith(b"\r\n")
            elif isinstance(step, bytes):
                client.receive_data(step)
            elif step == "reply":
                client.next_reply()
            else:
                client.tls_established()
        except ProtocolError:
            continue


# -- the command encoder -----------------------------------------------------------------------

anything = st.text(max_size=40) | st.sampled_from(["a\rb", "a\nb", "a\0b", "x\r\nRSET", ""])
FORBIDDEN = ("\r", "\n", "\0")

BUILDERS: dict[str, Callable[[str], Command]] = {
    "EHLO": Ehlo,
    "HELO": Helo,
    "AUTH mechanism": lambda value: Auth(value),
    "AUTH initial response": lambda value: Auth("PLAIN", value),
    "AUTH response": AuthResponse,
    "MAIL FROM": MailFrom,
    "MAIL parameter": lambda value: MailFrom("a@example.com", (value,)),
    "RCPT TO": RcptTo,
    "RCPT parameter": lambda value: RcptTo("b@example.org", (value,)),
}


@pytest.mark.parametrize("argument", list(BUILDERS))
@fuzz
@given(value=anything)
def test_a_command_puts_exactly_one_line_on_the_wire_or_is_refused(
    argument: str, value: str
) -> None:
    command = BUILDERS[argument](value)
    try:
        wire = command.encode()
    except LocalProtocolError:
        return
    assert not any(char in value for char in FORBIDDEN)
    assert wire.endswith(b"\r\n")
    line = wire[:-2]
    assert b"\r" not in line
    assert b"\n" not in line
    assert b"\0" not in line
    assert line.decode("utf-8") == command.line()


@pytest.mark.parametrize("argument", list(BUILDERS))
@fuzz
@given(value=anything)
def test_a_line_break_or_nul_in_any_argument_is_always_refused(argument: str, value: str) -> None:
    smuggled = value + "\r\nRCPT TO:<victim@example.net>"
    with pytest.raises(LocalProtocolError):
        BUILDERS[argument](smuggled).encode()


secrets = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=8, max_size=40)


@fuzz
@given(secret=secrets, mechanism=st.sampled_from(["PLAIN", "LOGIN", "XOAUTH2", "CRAM-MD5"]))
def test_secrets_never_show_in_the_transcript_or_repr(secret: str, mechanism: str) -> None:
    auth = Auth(mechanism, secret)
    response = AuthResponse(secret)
    assert auth.for_transcript() == f"AUTH {mechanism} {REDACTED}"
    assert response.for_transcript() == REDACTED
    assert repr(auth) == f"Auth(mechanism={mechanism!r})"
    assert repr(response) == "AuthResponse(sensitive=True)"


@fuzz
@given(secret=secrets.map(lambda s: s[:4] + "\r\n" + s[4:]))
def test_a_refused_secret_is_not_quoted_in_the_error(secret: str) -> None:
    for command in (Auth("PLAIN", secret), AuthResponse(secret)):
        with pytest.raises(LocalProtocolError) as refused:
            command.encode()
        assert secret not in str(refused.value)
        assert secret[4:] not in str(refused.value)


@fuzz
@given(content=st.binary(max_size=300))
def test_message_content_is_dot_stuffed_and_ends_exactly_once(content: bytes) -> None:
    wire = MessageContent(content).encode()
    assert wire.endswith(b".\r\n")
    body = wire[: -len(b".\r\n")]
    lines = body.split(b"\r\n")
    assert lines[-1] == b""
    for line in lines[:-1]:
        assert b"\r" not in line
        assert b"\n" not in line
        assert line != b"."  # a lone dot would end the message early
    unstuffed = b"\n".join(line[1:] if line.startswith(b".") else line for line in lines[:-1])
    normalised = content.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    assert unstuffed == normalised.removesuffix(b"\n")
