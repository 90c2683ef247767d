"""Specification of :func:`sniff`: the first bytes of a port in, the service they name out."""

from __future__ import annotations

import pytest

from smtpdoctor.protocol import RemoteProtocolError, ReplyParser
from smtpdoctor.protocol.sniff import OTHER_PROTOCOLS, OtherProtocol, sniff


@pytest.mark.parametrize(
    ("first_bytes", "service"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", "an SSH server"),
        (b"HTTP/1.1 400 Bad Request\r\n", "a web server"),
        (b"HTTP/1.0 200 OK\r\n", "a web server"),
        (b"+OK Dovecot ready.\r\n", "a POP3 server"),
        (b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", "an IMAP server"),
        (b"220-FileZilla Server 1.8.0\r\n", "an FTP server"),
        (b"\x16\x03\x03\x00\x2a\x02", "a TLS server"),
        (b"\x15\x03\x01\x00\x02\x02\x46", "a TLS server (it answered with a TLS alert)"),
    ],
    ids=["ssh", "http-1.1", "http-1.0", "pop3", "imap", "ftp", "tls-handshake", "tls-alert"],
)
def test_the_first_bytes_of_another_service_name_it(first_bytes: bytes, service: str) -> None:
    assert sniff(first_bytes) == service


@pytest.mark.parametrize("other", OTHER_PROTOCOLS, ids=lambda other: other.name)
def test_the_prefix_alone_is_enough(other: OtherProtocol) -> None:
    assert sniff(other.prefix) == other.name


@pytest.mark.parametrize("other", OTHER_PROTOCOLS, ids=lambda other: other.name)
def test_a_prefix_cut_short_names_nothing(other: OtherProtocol) -> None:
    assert sniff(other.prefix[:-1]) is None


@pytest.mark.parametrize(
    "first_bytes",
    [
        b"",
        b"220 mail.example.com ESMTP Postfix\r\n",
        b"220-mail.example.com ESMTP\r\n",
        b"554 5.7.1 No SMTP service here\r\n",
        b"hello? who is there\r\n",
        b" SSH-2.0-OpenSSH_9.6\r\n",
        b"\r\n* OK ready\r\n",
        b"http/1.1 400 Bad Request\r\n",
        b"\x17\x03\x03\x00\x10",
    ],
    ids=[
        "nothing",
        "smtp-greeting",
        "smtp-multiline",
        "smtp-refusal",
        "garbage",
        "leading-space",
        "leading-blank-line",
        "lower-case-http",
        "tls-application-data",
    ],
)
def test_anything_else_names_no_service(first_bytes: bytes) -> None:
    assert sniff(first_bytes) is None


@pytest.mark.parametrize(
    ("received", "service"),
    [
        (b"* OK IMAP4rev1 ready\r\n", "an IMAP server"),
        (b"SSH-2.0-OpenSSH_9.6p1", "an SSH server"),  # no line ending yet: the parser sniffs
        (b"\x16\x03\x03\x00\x4a\x02\x00\x00\x46\x03\x03" + bytes(8), "a TLS server"),  # ServerHello
    ],
    ids=["whole-line", "partial-line", "binary"],
)
def test_the_reply_parser_hands_over_enough_bytes_to_sniff(received: bytes, service: str) -> None:
    parser = ReplyParser()
    parser.feed(received)

    with pytest.raises(RemoteProtocolError) as raised:
        parser.next_reply()

    assert sniff(raised.value.data) == service
