"""The test message: validated input, a proper RFC 5322 message, and what MAIL FROM carries."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from smtpdoctor.delivery.message import TOKEN_HEADER, build_message, mail_parameters, new_token
from smtpdoctor.model.words import ConfigError
from smtpdoctor.protocol import Capabilities, Reply
from smtpdoctor.settings.sending import SendRequest, check_address

SENT_AT = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


def capabilities(*lines: str) -> Capabilities:
    return Capabilities.from_ehlo(Reply(250, ("mail.example.test", *lines)))


def test_the_message_has_every_header_rfc_5322_wants_and_the_token_twice() -> None:
    request = SendRequest("alice@example.com", "bob@example.org")

    message = build_message(
        request, token="smtpdoctor-0123456789ab", eight_bit_ok=True, now=SENT_AT
    )

    parsed = email.message_from_bytes(message.content, policy=email.policy.default)
    assert parsed["Date"] == "Mon, 30 Nov 2026 12:00:00 +0000"
    assert parsed["Message-ID"] == "<smtpdoctor-0123456789ab@example.com>"
    assert parsed["From"] == "alice@example.com"
    assert parsed["To"] == "bob@example.org"
    assert parsed["Subject"] == "smtpdoctor test message [smtpdoctor-0123456789ab]"
    assert parsed[TOKEN_HEADER] == "smtpdoctor-0123456789ab"
    assert parsed.get_content_charset() == "utf-8"
    assert "smtpdoctor-0123456789ab" in parsed.get_content()


def test_every_line_ends_in_crlf_and_none_in_a_bare_lf() -> None:
    request = SendRequest("alice@example.com", "bob@example.org", body="one\ntwo\r\nthree\n")

    content = build_message(request, token=new_token(), eight_bit_ok=True).content

    assert content.endswith(b"\r\n")
    assert b"\n" not in content.replace(b"\r\n", b"")


def test_each_message_gets_its_own_token() -> None:
    assert len({new_token() for _ in range(100)}) == 100


def test_a_utf8_body_goes_as_8bit_when_the_server_offers_8bitmime() -> None:
    request = SendRequest("alice@example.com", "bob@example.org", body="Grüße aus Köln")

    message = build_message(request, token=new_token(), eight_bit_ok=True)

    assert message.eight_bit
    assert "Grüße aus Köln".encode() in message.content
    assert mail_parameters(message, capabilities("8BITMIME")) == ("BODY=8BITMIME",)


def test_a_utf8_body_is_encoded_to_7bit_when_8bitmime_is_not_offered() -> None:
    request = SendRequest("alice@example.com", "bob@example.org", body="Grüße aus Köln")

    message = build_message(request, token=new_token(), eight_bit_ok=False)

    assert not message.eight_bit
    assert message.content.isascii()
    parsed = email.message_from_bytes(message.content, policy=email.policy.default)
    assert parsed.get_content().strip() == "Grüße aus Köln"
    assert mail_parameters(message, capabilities()) == ()


def test_a_non_ascii_subject_is_mime_encoded_for_an_ascii_envelope() -> None:
    request = SendRequest("alice@example.com", "bob@example.org", subject="Grüße")

    message = build_message(request, token="smtpdoctor-aaaaaaaaaaaa", eight_bit_ok=True)

    assert b"Subject: =?utf-8?" in message.content
    parsed = email.message_from_bytes(message.content, policy=email.policy.default)
    assert parsed["Subject"] == "Grüße [smtpdoctor-aaaaaaaaaaaa]"


def test_a_non_ascii_address_needs_smtputf8_and_keeps_utf8_headers() -> None:
    request = SendRequest("jörg@exämple.com", "bob@example.org")

    message = build_message(request, token=new_token(), eight_bit_ok=True)

    assert request.needs_smtputf8
    assert message.smtputf8
    assert "From: jörg@exämple.com".encode() in message.content
    assert mail_parameters(message, capabilities("SMTPUTF8", "8BITMIME")) == (
        "BODY=8BITMIME",
        "SMTPUTF8",
    )


def test_size_is_announced_only_when_the_server_offers_size() -> None:
    message = build_message(
        SendRequest("alice@example.com", "bob@example.org"), token=new_token(), eight_bit_ok=False
    )

    assert mail_parameters(message, capabilities("SIZE 35882577")) == (f"SIZE={message.size}",)
    assert mail_parameters(message, capabilities("SIZE")) == (f"SIZE={message.size}",)
    assert mail_parameters(message, capabilities("PIPELINING")) == ()
    assert message.size == len(message.content)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "hello\r\nBcc: victim@example.net"),
        ("subject", "hello\nX-Injected: yes"),
        ("sender", "alice@example.com\r\nRCPT TO:<victim@example.net>"),
        ("recipient", "bob@example.org\nDATA"),
        ("recipient", "bob@example.org\0"),
    ],
)
def test_cr_lf_or_nul_in_a_header_or_an_address_is_refused(field: str, value: str) -> None:
    values = {"sender": "alice@example.com", "recipient": "bob@example.org", "subject": "s"}
    values[field] = value

    with pytest.raises(ConfigError, match=r"contains a (CR|LF|NUL) character"):
        SendRequest(**values)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "alice",
        "@example.com",
        "alice@",
        "alice example@example.com",
        "<alice@example.com>",
        "a@example.com,b@example.com",
        "x" * 250 + "@example.com",
    ],
)
def test_an_address_that_cannot_be_one_envelope_path_is_refused(address: str) -> None:
    with pytest.raises(ConfigError):
        check_address(address, "recipient address")


def test_a_body_with_nul_is_refused() -> None:
    with pytest.raises(ConfigError, match="NUL"):
        SendRequest("alice@example.com", "bob@example.org", body="a\0b")


@pytest.mark.parametrize("separator", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_every_line_break_the_email_package_knows_is_refused_in_the_subject(
    separator: str,
) -> None:
    """Not only CR and LF: str.splitlines() breaks at these too, and the email package
    refuses them — a send that would crash after logging in, if let through."""
    with pytest.raises(ConfigError, match="line-break character"):
        SendRequest("alice@example.com", "bob@example.org", f"hello{separator}Bcc: x@y.test")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Hi =?utf-8?q?=0D=0ABcc:_mallory@example.net=0D=0A?= there"),
        ("subject", "=?utf-8?b?DQpCY2M6IG1hbGxvcnlAZXhhbXBsZS5uZXQ=?="),
        ("sender", "alice@=?utf-8?q?example.com=0D=0ABcc:_mallory?="),
        ("recipient", "=?utf-8?q?bob=0D=0ABcc:_mallory@example.net=0D=0A?=@example.org"),
    ],
)
def test_a_line_break_hidden_in_an_encoded_word_is_refused(field: str, value: str) -> None:
    """The email package decodes =?…?= words; a CR LF inside one became a header of its own."""
    values = {"sender": "alice@example.com", "recipient": "bob@example.org", "subject": "s"}
    values[field] = value

    with pytest.raises(ConfigError, match=f"the {field}"):
        SendRequest(**values)


def test_an_encoded_word_without_a_line_break_is_still_a_subject() -> None:
    request = SendRequest("alice@example.com", "bob@example.org", "=?utf-8?q?caf=C3=A9?= " * 20)

    content = build_message(request, token=new_token(), eight_bit_ok=True).content

    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["Subject"].startswith("cafécafé")  # RFC 2047: the space between goes
    assert [name for name, _ in parsed.items()].count("Subject") == 1
    assert "Bcc" not in parsed
