"""Specification of :class:`ReplyParser`: bytes in, :class:`Reply` values out, in any chunking.

Every case is fed three ways — whole, byte by byte, and cut at points Hypothesis chooses — and
must give the same result each time: a sans-IO parser may not care how the network split the
bytes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtpdoctor.protocol import EnhancedStatus, RemoteProtocolError, Reply, ReplyParser
from smtpdoctor.protocol.reply import DEFAULT_MAX_LINE_LENGTH

# --------------------------------------------------------------------------------------------
# Feeding helpers
# --------------------------------------------------------------------------------------------


def feed_in_chunks(parser: ReplyParser, data: bytes, chunks: Sequence[int]) -> list[Reply]:
    """Feed ``data`` cut at the offsets in ``chunks``, draining replies after every feed.

    This is what an I/O layer does: feed whatever ``recv`` returned, then take replies until
    the parser says it needs more.  Offsets may be unsorted, repeated or out of range.
    """
    cuts = sorted({min(max(cut, 0), len(data)) for cut in chunks} | {0, len(data)})
    replies: list[Reply] = []
    for start, end in itertools.pairwise(cuts):
        parser.feed(data[start:end])
        while (reply := parser.next_reply()) is not None:
            replies.append(reply)
    return replies


#: A feeding style: given the bytes to feed, a strategy for the split points to use.
FeedStyle = Callable[[bytes], st.SearchStrategy[list[int]]]


def whole(data: bytes) -> st.SearchStrategy[list[int]]:
    """All bytes in one ``feed()`` call."""
    return st.just([])


def byte_by_byte(data: bytes) -> st.SearchStrategy[list[int]]:
    """One ``feed()`` call per byte."""
    return st.just(list(range(1, len(data))))


def random_splits(data: bytes) -> st.SearchStrategy[list[int]]:
    """Cut at points Hypothesis picks (and shrinks, when a cut breaks the parser)."""
    return st.lists(st.integers(min_value=0, max_value=len(data)))


feed_styles = pytest.mark.parametrize("style", [whole, byte_by_byte, random_splits])


def parse(style: FeedStyle, draw: st.DataObject, data: bytes, **caps: int) -> list[Reply]:
    """Feed ``data`` to a fresh parser in ``style`` and return every complete reply."""
    chunks = draw.draw(style(data), label="split points")
    return feed_in_chunks(ReplyParser(**caps), data, chunks)


def parse_one(style: FeedStyle, draw: st.DataObject, data: bytes) -> Reply:
    """Like :func:`parse` for bytes that hold exactly one reply."""
    replies = parse(style, draw, data)
    assert len(replies) == 1, replies
    return replies[0]


# --------------------------------------------------------------------------------------------
# Well-formed replies
# --------------------------------------------------------------------------------------------


@feed_styles
@given(draw=st.data())
def test_single_line_reply(style: FeedStyle, draw: st.DataObject) -> None:
    reply = parse_one(style, draw, b"220 mx.example.com ESMTP Postfix\r\n")
    assert reply == Reply(220, ("mx.example.com ESMTP Postfix",))
    assert reply.text == "mx.example.com ESMTP Postfix"
    assert reply.summary() == "220 mx.example.com ESMTP Postfix"


@feed_styles
@given(draw=st.data())
def test_multi_line_ehlo_reply_is_one_reply_with_one_entry_per_line(
    style: FeedStyle, draw: st.DataObject
) -> None:
    wire = (
        b"250-mx.example.com Hello client.example [192.0.2.1]\r\n"
        b"250-SIZE 52428800\r\n"
        b"250-PIPELINING\r\n"
        b"250 STARTTLS\r\n"
    )
    reply = parse_one(style, draw, wire)
    assert reply.code == 250
    assert reply.lines == (
        "mx.example.com Hello client.example [192.0.2.1]",
        "SIZE 52428800",
        "PIPELINING",
        "STARTTLS",
    )


@feed_styles
@given(draw=st.data())
def test_bare_code_without_text_is_a_reply_with_one_empty_line(
    style: FeedStyle, draw: st.DataObject
) -> None:
    reply = parse_one(style, draw, b"250\r\n")
    assert reply == Reply(250, ("",))
    assert reply.message == ""
    assert reply.summary() == "250"


@feed_styles
@given(draw=st.data())
def test_bare_lf_line_endings_are_accepted(style: FeedStyle, draw: st.DataObject) -> None:
    """Broken servers end lines with LF alone; a doctor must still read them."""
    reply = parse_one(style, draw, b"250-first\n250-second\r\n250 last\n")
    assert reply == Reply(250, ("first", "second", "last"))


@feed_styles
@given(draw=st.data())
def test_enhanced_status_code_is_split_from_the_message(
    style: FeedStyle, draw: st.DataObject
) -> None:
    reply = parse_one(style, draw, b"535 5.7.8 Bad credentials\r\n")
    assert reply.enhanced == EnhancedStatus(5, 7, 8)
    assert str(reply.enhanced) == "5.7.8"
    assert reply.message == "Bad credentials"
    assert reply.is_permanent


@feed_styles
@given(draw=st.data())
def test_enhanced_status_whose_class_disagrees_with_the_code_is_ignored(
    style: FeedStyle, draw: st.DataObject
) -> None:
    reply = parse_one(style, draw, b"250 5.7.8 x\r\n")
    assert reply.enhanced is None
    assert reply.message == "5.7.8 x"


@feed_styles
@given(draw=st.data())
def test_enhanced_status_with_a_two_digit_detail_is_parsed(
    style: FeedStyle, draw: st.DataObject
) -> None:
    """Gmail-style ``5.7.80``: subject 7, detail 80 — not detail 8 followed by junk."""
    reply = parse_one(style, draw, b"535 5.7.80 Username and Password not accepted\r\n")
    assert reply.enhanced == EnhancedStatus(klass=5, subject=7, detail=80)
    assert reply.message == "Username and Password not accepted"


@feed_styles
@given(draw=st.data())
def test_two_replies_in_one_stream_come_out_in_order(style: FeedStyle, draw: st.DataObject) -> None:
    replies = parse(style, draw, b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n")
    assert replies == [Reply(250, ("2.1.0 Ok",)), Reply(250, ("2.1.5 Ok",))]


def test_two_replies_in_one_chunk_are_returned_one_per_call() -> None:
    parser = ReplyParser()
    parser.feed(b"250 first\r\n354 second\r\n")
    assert parser.next_reply() == Reply(250, ("first",))
    assert parser.next_reply() == Reply(354, ("second",))
    assert parser.next_reply() is None
    assert not parser.in_reply


@feed_styles
@given(draw=st.data())
def test_non_utf8_bytes_are_replaced_not_raised(style: FeedStyle, draw: st.DataObject) -> None:
    reply = parse_one(style, draw, b"550-caf\xc3\xa9 \xff\xfe\r\n550 Latin-1 caf\xe9\r\n")
    assert reply.lines == ("café \ufffd\ufffd", "Latin-1 caf\ufffd")


@feed_styles
@given(draw=st.data())
def test_a_line_of_exactly_the_maximum_length_is_accepted(
    style: FeedStyle, draw: st.DataObject
) -> None:
    """The cap counts the line without its CRLF, whichever chunk the CR arrives in."""
    line = b"250 " + b"x" * 60
    replies = parse(style, draw, line + b"\r\n", max_line_length=len(line))
    assert replies == [Reply(250, ("x" * 60,))]


def test_partial_reply_is_reported_as_in_progress() -> None:
    parser = ReplyParser()
    parser.feed(b"250-first\r\n250 sec")
    assert parser.next_reply() is None
    assert parser.in_reply
    assert parser.buffered_bytes == len(b"250 sec")


def test_completed_reply_leaves_nothing_in_progress() -> None:
    parser = ReplyParser()
    parser.feed(b"250-first\r\n250 sec")
    assert parser.next_reply() is None
    parser.feed(b"ond\r\n")
    assert parser.next_reply() == Reply(250, ("first", "second"))
    assert not parser.in_reply
    assert parser.buffered_bytes == 0


# --------------------------------------------------------------------------------------------
# Malformed replies: RemoteProtocolError, and nothing else
# --------------------------------------------------------------------------------------------


@feed_styles
@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(b"25 ok\r\n", id="two-digit-code"),
        pytest.param(b"2500 ok\r\n", id="four-digit-code"),
        pytest.param(b"2500\r\n", id="four-digit-code-alone"),
        pytest.param(b"150 ok\r\n", id="code-starting-with-1"),
        pytest.param(b"600 ok\r\n", id="code-starting-with-6"),
        pytest.param(b"799 ok\r\n", id="code-starting-with-7"),
        pytest.param(b"800 ok\r\n", id="code-starting-with-8"),
        pytest.param(b"999 ok\r\n", id="code-starting-with-9"),
        pytest.param(b"SSH-2.0-OpenSSH_9.6\r\n", id="ssh-banner"),
        pytest.param(b"HTTP/1.1 400 Bad Request\r\n", id="http-response"),
        pytest.param(b"\r\n", id="empty-line"),
        pytest.param(b"250_ok\r\n", id="bad-separator"),
        pytest.param(b"250-one\r\n251 two\r\n", id="code-changes-mid-reply"),
        pytest.param(b"250-one\r\n550-two\r\n550 three\r\n", id="class-changes-mid-reply"),
    ],
)
@given(draw=st.data())
def test_malformed_reply_raises_remote_protocol_error(
    style: FeedStyle, wire: bytes, draw: st.DataObject
) -> None:
    with pytest.raises(RemoteProtocolError):
        parse(style, draw, wire)


def test_inconsistent_codes_error_names_both_codes() -> None:
    parser = ReplyParser()
    parser.feed(b"250-one\r\n251 two\r\n")
    with pytest.raises(RemoteProtocolError, match=r"250.*251"):
        parser.next_reply()


def test_garbage_error_shows_what_was_received() -> None:
    parser = ReplyParser()
    parser.feed(b"SSH-2.0-OpenSSH_9.6\r\n")
    with pytest.raises(RemoteProtocolError, match=re.escape("SSH-2.0-OpenSSH_9.6")):
        parser.next_reply()


@feed_styles
@given(draw=st.data())
def test_unterminated_line_longer_than_the_cap_raises(
    style: FeedStyle, draw: st.DataObject
) -> None:
    with pytest.raises(RemoteProtocolError, match="longer than 64 bytes"):
        parse(style, draw, b"250 " + b"x" * 100, max_line_length=64)


@feed_styles
@given(draw=st.data())
def test_terminated_line_longer_than_the_cap_raises(style: FeedStyle, draw: st.DataObject) -> None:
    with pytest.raises(RemoteProtocolError, match="longer than 64 bytes"):
        parse(style, draw, b"250 " + b"x" * 61 + b"\r\n", max_line_length=64)


def _feed_endless_line(parser: ReplyParser, chunk: int) -> int:
    """Feed up to 1 MiB with no line ending, ``chunk`` bytes per ``feed()``.

    Return how many of those bytes went in before ``feed()`` itself refused them, checking on
    the way that the buffer never held more than the cap plus one chunk of the endless line.
    """
    already = parser.buffered_bytes
    fed = 0
    with pytest.raises(RemoteProtocolError, match="without a line ending"):  # noqa: PT012
        while fed < 1024 * 1024:
            parser.feed(b"x" * chunk)
            fed += chunk
            assert parser.buffered_bytes - already <= DEFAULT_MAX_LINE_LENGTH + chunk
    return fed


def test_endless_line_is_refused_during_feed_before_buffering_more_than_cap_plus_one_chunk() -> (
    None
):
    """A server that never sends a line ending cannot make the parser buffer without bound."""
    chunk = 4096
    fed = _feed_endless_line(ReplyParser(), chunk)
    assert fed <= DEFAULT_MAX_LINE_LENGTH + chunk


def test_endless_line_after_an_undrained_reply_is_still_refused() -> None:
    """The cap applies to the pending line, even when complete lines sit in the buffer."""
    chunk = 4096
    parser = ReplyParser()
    parser.feed(b"250 ok\r\n")  # complete, but the caller has not asked for it yet
    fed = _feed_endless_line(parser, chunk)
    assert fed <= DEFAULT_MAX_LINE_LENGTH + chunk


@feed_styles
@given(draw=st.data())
def test_reply_with_too_many_lines_raises(style: FeedStyle, draw: st.DataObject) -> None:
    wire = b"250-x\r\n" * 10 + b"250 end\r\n"
    with pytest.raises(RemoteProtocolError, match="10 lines"):
        parse(style, draw, wire, max_reply_lines=10)


@feed_styles
@given(draw=st.data())
def test_reply_with_exactly_the_maximum_number_of_lines_is_accepted(
    style: FeedStyle, draw: st.DataObject
) -> None:
    wire = b"250-x\r\n" * 9 + b"250 end\r\n"
    replies = parse(style, draw, wire, max_reply_lines=10)
    assert [len(reply.lines) for reply in replies] == [10]


def test_parser_stays_poisoned_after_an_error() -> None:
    parser = ReplyParser()
    parser.feed(b"HTTP/1.1 400 Bad Request\r\n")
    with pytest.raises(RemoteProtocolError) as first:
        parser.next_reply()
    for _ in range(2):
        with pytest.raises(RemoteProtocolError) as again:
            parser.feed(b"250 ok\r\n")
        assert str(again.value) == str(first.value)
        with pytest.raises(RemoteProtocolError) as again:
            parser.next_reply()
        assert str(again.value) == str(first.value)


def test_parser_stays_poisoned_after_a_line_length_error_in_feed() -> None:
    parser = ReplyParser(max_line_length=8)
    with pytest.raises(RemoteProtocolError):
        parser.feed(b"250 " + b"x" * 20)
    assert parser.buffered_bytes == 0
    with pytest.raises(RemoteProtocolError):
        parser.feed(b"\r\n250 ok\r\n")
    with pytest.raises(RemoteProtocolError):
        parser.next_reply()


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

printable_line = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E))

valid_reply = st.builds(
    Reply,
    code=st.integers(min_value=200, max_value=599),
    lines=st.lists(printable_line, min_size=1, max_size=5).map(tuple),
)


@given(replies=st.lists(valid_reply, max_size=6), draw=st.data())
def test_serialised_replies_parse_back_identically_at_any_split(
    replies: list[Reply], draw: st.DataObject
) -> None:
    wire = b"".join(reply.to_wire() for reply in replies)
    assert parse(random_splits, draw, wire) == replies


#: Bytes that are almost SMTP, so arbitrary input reaches deep into the parser.
near_smtp = st.lists(
    st.one_of(
        st.sampled_from(
            [b"250", b"354", b"421", b"550", b"199", b"-", b" ", b"\r", b"\n", b"\r\n"]
        ),
        st.sampled_from([b"5.7.8", b"\xff", b"\xc3", b"\x00", b"x" * 40]),
        st.binary(max_size=8),
    )
).map(b"".join)


@given(data=st.one_of(st.binary(), near_smtp), draw=st.data())
def test_arbitrary_bytes_raise_nothing_but_remote_protocol_error(
    data: bytes, draw: st.DataObject
) -> None:
    parser = ReplyParser(max_line_length=64, max_reply_lines=4)
    chunks = draw.draw(random_splits(data), label="split points")
    try:
        replies = feed_in_chunks(parser, data, chunks)
    except RemoteProtocolError:
        return
    assert all(200 <= reply.code <= 599 for reply in replies)
    assert parser.buffered_bytes <= 64 + 1  # at most one pending line (and its CR)
