"""Specification of the SMTP commands: exact wire bytes, refusal of smuggled line breaks,
secrets kept out of transcripts, ``repr`` and error messages, and DATA dot-stuffing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtpdoctor.protocol import (
    REDACTED,
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
    Rset,
    StartTLS,
)

SECRET = "AGFsaWNlAGNvcnJlY3QtaG9yc2U="  # base64 of "\0alice\0correct-horse"

# --------------------------------------------------------------------------------------------
# Exact bytes on the wire
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "wire"),
    [
        pytest.param(Ehlo("client.example"), b"EHLO client.example\r\n", id="EHLO"),
        pytest.param(Ehlo("[192.0.2.1]"), b"EHLO [192.0.2.1]\r\n", id="EHLO-address-literal"),
        pytest.param(Helo("client.example"), b"HELO client.example\r\n", id="HELO"),
        pytest.param(StartTLS(), b"STARTTLS\r\n", id="STARTTLS"),
        pytest.param(Auth("LOGIN"), b"AUTH LOGIN\r\n", id="AUTH-without-initial-response"),
        pytest.param(Auth("plain"), b"AUTH PLAIN\r\n", id="AUTH-mechanism-upper-cased"),
        pytest.param(Auth("PLAIN", SECRET), f"AUTH PLAIN {SECRET}\r\n".encode(), id="AUTH-ir"),
        pytest.param(Auth("EXTERNAL", ""), b"AUTH EXTERNAL =\r\n", id="AUTH-empty-ir-is-="),
        pytest.param(AuthResponse(SECRET), f"{SECRET}\r\n".encode(), id="AuthResponse"),
        pytest.param(AuthResponse("*"), b"*\r\n", id="AuthResponse-cancel"),
        pytest.param(
            MailFrom("alice@example.com"), b"MAIL FROM:<alice@example.com>\r\n", id="MAIL"
        ),
        pytest.param(MailFrom(""), b"MAIL FROM:<>\r\n", id="MAIL-null-sender"),
        pytest.param(
            MailFrom("alice@example.com", ("SIZE=123", "BODY=8BITMIME")),
            b"MAIL FROM:<alice@example.com> SIZE=123 BODY=8BITMIME\r\n",
            id="MAIL-with-parameters",
        ),
        pytest.param(MailFrom("", ("SIZE=0",)), b"MAIL FROM:<> SIZE=0\r\n", id="MAIL-null-size"),
        pytest.param(RcptTo("bob@example.org"), b"RCPT TO:<bob@example.org>\r\n", id="RCPT"),
        pytest.param(
            RcptTo("bob@example.org", ("NOTIFY=NEVER",)),
            b"RCPT TO:<bob@example.org> NOTIFY=NEVER\r\n",
            id="RCPT-with-parameters",
        ),
        pytest.param(Data(), b"DATA\r\n", id="DATA"),
        pytest.param(Rset(), b"RSET\r\n", id="RSET"),
        pytest.param(Noop(), b"NOOP\r\n", id="NOOP"),
        pytest.param(Quit(), b"QUIT\r\n", id="QUIT"),
    ],
)
def test_command_encodes_to_exact_bytes(command: Command, wire: bytes) -> None:
    assert command.encode() == wire


@pytest.mark.parametrize(
    ("command", "verb"),
    [
        (Ehlo("a"), "EHLO"),
        (Helo("a"), "HELO"),
        (StartTLS(), "STARTTLS"),
        (Auth("PLAIN"), "AUTH"),
        (AuthResponse("x"), "AUTH-RESPONSE"),
        (MailFrom(""), "MAIL"),
        (RcptTo("b@c"), "RCPT"),
        (Data(), "DATA"),
        (MessageContent(b""), "MESSAGE"),
        (Rset(), "RSET"),
        (Noop(), "NOOP"),
        (Quit(), "QUIT"),
    ],
)
def test_every_command_names_its_verb_for_the_state_machine(command: Command, verb: str) -> None:
    assert command.verb == verb


def test_non_secret_commands_show_their_line_in_the_transcript() -> None:
    assert Ehlo("client.example").for_transcript() == "EHLO client.example"
    assert MailFrom("", ("SIZE=123",)).for_transcript() == "MAIL FROM:<> SIZE=123"
    assert RcptTo("bob@example.org").for_transcript() == "RCPT TO:<bob@example.org>"
    assert Quit().for_transcript() == "QUIT"


# --------------------------------------------------------------------------------------------
# CR, LF and NUL can never reach the wire
# --------------------------------------------------------------------------------------------

#: Build a command with ``value`` in one of its arguments.
CommandWith = Callable[[str], Command]

ARGUMENT_SLOTS: dict[str, CommandWith] = {
    "EHLO-domain": lambda value: Ehlo(f"client{value}.example"),
    "HELO-domain": lambda value: Helo(f"client{value}.example"),
    "AUTH-mechanism": lambda value: Auth(f"PLAIN{value}"),
    "AUTH-initial-response": lambda value: Auth("PLAIN", f"abc{value}def"),
    "AuthResponse": lambda value: AuthResponse(f"abc{value}def"),
    "AuthResponse-not-sensitive": lambda value: AuthResponse(f"abc{value}", sensitive=False),
    "MAIL-address": lambda value: MailFrom(f"alice{value}@example.com"),
    "MAIL-parameter": lambda value: MailFrom("alice@example.com", (f"SIZE=1{value}",)),
    "RCPT-address": lambda value: RcptTo(f"bob{value}@example.org"),
    "RCPT-parameter": lambda value: RcptTo("bob@example.org", (f"NOTIFY={value}NEVER",)),
}

FORBIDDEN = {
    "CR": "\r",
    "LF": "\n",
    "NUL": "\0",
    "CRLF": "\r\n",
    "smuggled-command": "\r\nRCPT TO:<victim@example.net>\r\n",
}


@pytest.mark.parametrize("slot", ARGUMENT_SLOTS.values(), ids=ARGUMENT_SLOTS.keys())
@pytest.mark.parametrize("char", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_line_breaks_and_nul_in_any_argument_are_refused_before_encoding(
    slot: CommandWith, char: str
) -> None:
    command = slot(char)
    with pytest.raises(LocalProtocolError):
        command.encode()


@pytest.mark.parametrize(
    ("char", "name"), [("\r", "CR"), ("\n", "LF"), ("\0", "NUL")], ids=["CR", "LF", "NUL"]
)
def test_refusal_names_the_argument_and_the_character(char: str, name: str) -> None:
    with pytest.raises(LocalProtocolError, match=rf"EHLO name contains a {name} character"):
        Ehlo(f"client{char}.example").encode()


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(Auth("PLAIN", f"{SECRET}\r\nQUIT"), id="AUTH-initial-response"),
        pytest.param(AuthResponse(f"{SECRET}\n"), id="AuthResponse"),
        pytest.param(AuthResponse(f"{SECRET}\0"), id="AuthResponse-NUL"),
    ],
)
def test_refusal_of_a_secret_argument_does_not_reveal_the_secret(command: Command) -> None:
    with pytest.raises(LocalProtocolError) as excinfo:
        command.encode()
    assert SECRET not in str(excinfo.value)
    assert SECRET not in repr(excinfo.value)


def test_auth_transcript_of_an_invalid_secret_raises_without_revealing_it() -> None:
    with pytest.raises(LocalProtocolError) as excinfo:
        Auth("PLAIN", f"{SECRET}\r\n").for_transcript()
    assert SECRET not in str(excinfo.value)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(Ehlo(""), id="empty-EHLO"),
        pytest.param(Ehlo("two words"), id="EHLO-with-space"),
        pytest.param(Auth(""), id="empty-AUTH-mechanism"),
        pytest.param(MailFrom("a b@example.com"), id="MAIL-space"),
        pytest.param(MailFrom("<alice@example.com>"), id="MAIL-angle-brackets"),
        pytest.param(MailFrom("a@b", ("SIZE=1 BODY=7BIT",)), id="MAIL-parameter-with-space"),
        pytest.param(RcptTo(""), id="RCPT-empty"),
        pytest.param(RcptTo("bob@example.org>"), id="RCPT-angle-bracket"),
    ],
)
def test_malformed_arguments_are_refused(command: Command) -> None:
    with pytest.raises(LocalProtocolError):
        command.encode()


# --------------------------------------------------------------------------------------------
# Secrets stay out of transcripts and reprs
# --------------------------------------------------------------------------------------------


def test_auth_initial_response_is_redacted_in_the_transcript() -> None:
    shown = Auth("plain", SECRET).for_transcript()
    assert shown == f"AUTH PLAIN {REDACTED}"
    assert SECRET not in shown
    assert REDACTED == "[redacted]"


def test_auth_empty_initial_response_is_redacted_too() -> None:
    assert Auth("EXTERNAL", "").for_transcript() == "AUTH EXTERNAL [redacted]"


def test_auth_without_initial_response_has_nothing_to_redact() -> None:
    assert Auth("login").for_transcript() == "AUTH LOGIN"


def test_auth_response_is_redacted_in_the_transcript() -> None:
    shown = AuthResponse(SECRET).for_transcript()
    assert shown == "[redacted]"
    assert SECRET not in shown


def test_auth_response_marked_not_sensitive_is_shown() -> None:
    """E.g. the username line of AUTH LOGIN, when the caller chooses to show it."""
    assert AuthResponse("YWxpY2U=", sensitive=False).for_transcript() == "YWxpY2U="


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(Auth("PLAIN", SECRET), id="Auth"),
        pytest.param(AuthResponse(SECRET), id="AuthResponse"),
        pytest.param(MessageContent(f"Subject: hi\r\n\r\n{SECRET}\r\n".encode()), id="Message"),
    ],
)
def test_repr_never_contains_the_secret(command: Command) -> None:
    assert SECRET not in repr(command)
    assert SECRET not in str(command)


def test_message_content_transcript_shows_only_its_size() -> None:
    content = f"Subject: hi\r\n\r\n{SECRET}\r\n".encode()
    shown = MessageContent(content).for_transcript()
    assert shown == f"<message, {len(content)} bytes>"


# --------------------------------------------------------------------------------------------
# DATA content: CRLF normalisation, dot-stuffing, termination
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "wire"),
    [
        pytest.param(b"Hello\r\n", b"Hello\r\n.\r\n", id="one-line"),
        pytest.param(b"Hello", b"Hello\r\n.\r\n", id="last-line-without-newline"),
        pytest.param(b"", b".\r\n", id="empty-message"),
        pytest.param(b"a\r\n\r\nb\r\n", b"a\r\n\r\nb\r\n.\r\n", id="blank-line-kept"),
        pytest.param(b"a\n\n", b"a\r\n\r\n.\r\n", id="trailing-blank-line-kept"),
        pytest.param(b".\r\n", b"..\r\n.\r\n", id="lone-dot-line-stuffed"),
        pytest.param(b".hidden\r\n", b"..hidden\r\n.\r\n", id="leading-dot-stuffed"),
        pytest.param(b"..two\r\n", b"...two\r\n.\r\n", id="two-dots-get-a-third"),
        pytest.param(b"a.b\r\n.\r\nc", b"a.b\r\n..\r\nc\r\n.\r\n", id="only-leading-dots"),
        pytest.param(b"a\nb\n", b"a\r\nb\r\n.\r\n", id="bare-LF-normalised"),
        pytest.param(b"a\rb\r", b"a\r\nb\r\n.\r\n", id="bare-CR-normalised"),
        pytest.param(b"a\r\r\nb", b"a\r\n\r\nb\r\n.\r\n", id="CR-before-CRLF"),
        pytest.param(b"a\n\rb", b"a\r\n\r\nb\r\n.\r\n", id="LF-then-CR"),
        pytest.param(b"x\n.\n.", b"x\r\n..\r\n..\r\n.\r\n", id="bare-LF-then-dots"),
    ],
)
def test_message_content_is_normalised_stuffed_and_terminated(content: bytes, wire: bytes) -> None:
    assert MessageContent(content).encode() == wire


def test_message_whose_last_line_is_a_dot_without_newline_cannot_end_the_data_early() -> None:
    encoded = MessageContent(b"Subject: x\r\n\r\n.").encode()
    assert encoded == b"Subject: x\r\n\r\n..\r\n.\r\n"
    assert encoded.count(b"\r\n.\r\n") == 1


def _crlf_lines(content: bytes) -> list[bytes]:
    """The lines of ``content`` with CRLF, bare CR and bare LF all counting as a line ending."""
    lines = re.split(rb"\r\n|\r|\n", content)
    if lines[-1] == b"":
        lines.pop()
    return lines


def _unstuff(encoded: bytes) -> list[bytes]:
    """What a receiving server does with DATA content (RFC 5321 §4.5.2)."""
    assert encoded.endswith(b".\r\n")
    body = encoded[: -len(b".\r\n")]
    if not body:
        return []
    assert body.endswith(b"\r\n")
    lines = body[: -len(b"\r\n")].split(b"\r\n")
    return [line[1:] if line.startswith(b"..") else line for line in lines]


message_bytes = st.one_of(
    st.binary(),
    st.lists(st.sampled_from([b".", b"..", b"\r", b"\n", b"\r\n", b"a", b" ", b"\0", b"\xff"])).map(
        b"".join
    ),
)


@given(content=message_bytes)
def test_unstuffing_the_encoded_message_gives_back_the_normalised_lines(content: bytes) -> None:
    encoded = MessageContent(content).encode()
    assert _unstuff(encoded) == _crlf_lines(content)


@given(content=message_bytes)
def test_encoded_message_has_only_crlf_line_endings_and_one_terminator(content: bytes) -> None:
    encoded = MessageContent(content).encode()
    assert encoded.replace(b"\r\n", b"").count(b"\r") == 0
    assert encoded.replace(b"\r\n", b"").count(b"\n") == 0
    assert encoded == b".\r\n" or encoded.endswith(b"\r\n.\r\n")
    lines = encoded.split(b"\r\n")
    assert lines[-2:] == [b".", b""]
    assert b"." not in lines[:-2], "a lone dot before the end would end the message early"
