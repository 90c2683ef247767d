"""The bounded HTTPS GET client, against a real HTTPS server on loopback: what it accepts,
and every way a policy host can fail it, each named."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from smtpdoctor.domain.https import (
    MAX_CHUNK_LINE,
    MAX_HEADER_BYTES,
    MAX_HEADER_LINES,
    MAX_INTERIM,
    FailureKind,
    FetchOptions,
    HTTPSFailure,
    HTTPSResponse,
    fetch,
)
from smtpdoctor.net.resolver import DNSClient

from tests.domain.httpskit import POLICY_HOST, HTTPSServer, Reply
from tests.targets.dnsserver import DNSServer

ZONE = f"""
{POLICY_HOST}.  A  127.0.0.1
"""
POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 604800\r\n"
PATH = "/.well-known/mta-sts.txt"


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DNSServer]:
    with DNSServer(ZONE) as server:
        yield server


@pytest.fixture
def server() -> Iterator[HTTPSServer]:
    with HTTPSServer(Reply(body=POLICY)) as https:
        yield https


def get(
    server: HTTPSServer, dns_server: DNSServer, host: str = POLICY_HOST, **options: object
) -> HTTPSResponse | HTTPSFailure:
    client = DNSClient((dns_server.name_server,), timeout=2.0)
    settings: dict[str, object] = {
        "timeout": 2.0,
        "deadline_at": time.monotonic() + 10,
        "port": server.port,
        "ca_file": server.ca_file,
        "resolve": client.resolve_for_connect,
    }
    settings.update(options)
    return fetch(host, PATH, FetchOptions(**settings))  # type: ignore[arg-type]


def failure(result: HTTPSResponse | HTTPSFailure) -> HTTPSFailure:
    assert isinstance(result, HTTPSFailure), result
    return result


def response(result: HTTPSResponse | HTTPSFailure) -> HTTPSResponse:
    assert isinstance(result, HTTPSResponse), result
    return result


def test_a_policy_with_a_content_length_is_fetched_whole(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    fetched = response(get(server, dns_server))
    assert (fetched.status, fetched.body) == (200, POLICY)
    assert fetched.peer == f"127.0.0.1:{server.port}"
    assert fetched.header("Content-Type") == "text/plain"


def test_the_request_is_http_1_1_with_host_and_connection_close(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    get(server, dns_server)
    (request,) = server.requests
    lines = request.decode("ascii").split("\r\n")
    assert lines[0] == f"GET {PATH} HTTP/1.1"
    assert f"Host: {POLICY_HOST}:{server.port}" in lines
    assert "Connection: close" in lines


@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
def test_a_chunked_body_is_reassembled(
    server: HTTPSServer, dns_server: DNSServer, chunk_size: int
) -> None:
    server.reply = Reply(body=POLICY, framing="chunked", chunk_size=chunk_size)
    fetched = response(get(server, dns_server))
    assert fetched.body == POLICY
    assert fetched.chunked


def test_a_body_without_length_ends_when_the_server_closes(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(body=POLICY, framing="close")
    assert response(get(server, dns_server)).body == POLICY


def test_a_media_type_with_parameters_is_text_plain(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(body=POLICY, headers=(("Content-Type", "Text/Plain; charset=utf-8"),))
    assert response(get(server, dns_server)).body == POLICY


def test_a_redirect_is_not_followed_and_names_its_location(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(
        status=301, reason="Moved Permanently", headers=(("Location", "https://www.example.test/"),)
    )
    failed = failure(get(server, dns_server))
    assert failed.kind is FailureKind.REDIRECT
    assert failed.location == "https://www.example.test/"
    assert "301 Moved Permanently" in failed.explanation
    assert "https://www.example.test/" in failed.explanation
    assert len(server.requests) == 1


def test_a_status_other_than_200_is_a_failure_naming_it(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(status=404, reason="Not Found", body=b"<h1>no</h1>")
    failed = failure(get(server, dns_server))
    assert (failed.kind, failed.status) == (FailureKind.STATUS, 404)
    assert "404 Not Found" in failed.explanation


def test_a_policy_served_as_html_is_refused(server: HTTPSServer, dns_server: DNSServer) -> None:
    server.reply = Reply(body=POLICY, headers=(("Content-Type", "text/html"),))
    failed = failure(get(server, dns_server))
    assert (failed.kind, failed.content_type) == (FailureKind.CONTENT_TYPE, "text/html")


def test_a_policy_without_content_type_is_refused(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(body=POLICY, headers=())
    assert failure(get(server, dns_server)).kind is FailureKind.CONTENT_TYPE


@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
def test_a_body_over_the_limit_is_refused_without_reading_it_all(
    server: HTTPSServer, dns_server: DNSServer, framing: str
) -> None:
    server.reply = Reply(body=b"x" * 200_000, framing=framing, chunk_size=8192)
    failed = failure(get(server, dns_server, max_body=65536))
    assert failed.kind is FailureKind.TOO_BIG
    assert "65536 bytes" in failed.explanation


def test_a_server_that_drips_its_response_runs_out_of_time(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(body=POLICY, drip=0.05)
    failed = failure(get(server, dns_server, timeout=0.5))
    assert failed.kind is FailureKind.TIMEOUT


def test_a_certificate_for_another_name_is_refused_with_the_reason(
    dns_server: DNSServer,
) -> None:
    with HTTPSServer(Reply(body=POLICY), names=("www.example.test",)) as other:
        failed = failure(get(other, dns_server))
    assert failed.kind is FailureKind.CERTIFICATE
    assert POLICY_HOST in failed.explanation
    assert "mismatch" in failed.explanation.lower()
    assert other.requests == []


def test_a_certificate_from_an_unknown_ca_is_refused(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    failed = failure(get(server, dns_server, ca_file=None))
    assert failed.kind is FailureKind.CERTIFICATE
    assert "certificate" in failed.explanation


def test_a_name_that_does_not_resolve_is_a_dns_failure(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    failed = failure(get(server, dns_server, host="mta-sts.missing.test"))
    assert failed.kind is FailureKind.DNS
    assert "NXDOMAIN" in failed.explanation


def test_a_closed_port_is_a_connect_failure(dns_server: DNSServer) -> None:
    with HTTPSServer() as gone:
        port = gone.port
    failed = failure(get(gone, dns_server, port=port, ca_file=None))
    assert failed.kind is FailureKind.CONNECT
    assert "refused" in failed.explanation


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", "not HTTP/1.x"),
        (b"HTTP/1.1 200 OK\r\nContent-Type text/plain\r\n\r\n", "not 'Name: value'"),
        (b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 100 + b"\r\n", "more than 64 lines"),
        (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n", "over 32 KiB"),
        (b"HTTP/1.1 200 OK" + b"!" * 9000 + b"\r\n\r\n", "status line is over 8192 bytes"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"zz\r\n",
            "not hexadecimal",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
            b"Content-Length: 6\r\n\r\nhello!",
            "conflicting Content-Length",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip\r\n\r\n",
            "unsupported Transfer-Encoding",
        ),
    ],
)
def test_a_malformed_response_is_a_protocol_failure_in_words(
    server: HTTPSServer, dns_server: DNSServer, raw: bytes, words: str
) -> None:
    server.reply = Reply(raw=raw)
    failed = failure(get(server, dns_server))
    assert failed.kind is FailureKind.PROTOCOL
    assert words in failed.explanation


def test_a_body_cut_short_is_a_closed_connection(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(
        raw=b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nshort"
    )
    failed = failure(get(server, dns_server))
    assert failed.kind is FailureKind.CLOSED
    assert "5 of 100 bytes" in failed.explanation


def test_an_interim_response_is_skipped(server: HTTPSServer, dns_server: DNSServer) -> None:
    server.reply = Reply(
        raw=b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
    )
    assert response(get(server, dns_server)).body == b"ok"


def test_only_the_address_family_asked_for_is_used(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    failed = failure(get(server, dns_server, family=6))
    assert failed.kind is FailureKind.DNS
    assert "no IPv6 address" in failed.explanation


# -- the limits: each accepted up to its value, refused one past it ---------------------------

OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"


def head_of(size: int) -> bytes:
    """The headers of a 200 response with body ``ok``, padded with one ``X-Pad`` field so
    that the header block (after the status line, its empty line included) is ``size``
    bytes."""
    fixed = len(OK_HEAD) - len(b"HTTP/1.1 200 OK\r\n") + len(b"X-Pad: \r\n") + len(b"\r\n")
    return OK_HEAD + b"X-Pad: " + b"p" * (size - fixed) + b"\r\n\r\nok"


def test_a_header_block_of_exactly_the_byte_limit_is_read(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(raw=head_of(MAX_HEADER_BYTES))
    fetched = response(get(server, dns_server))
    assert fetched.body == b"ok"
    assert len(fetched.header("X-Pad") or "") > 32000


def test_a_header_block_one_byte_over_the_limit_is_refused(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(raw=head_of(MAX_HEADER_BYTES + 1))
    failed = failure(get(server, dns_server))
    assert failed.kind is FailureKind.PROTOCOL
    assert "the header block is over 32 KiB" in failed.explanation


def many_fields(count: int) -> bytes:
    """A 200 response whose header block has ``count`` lines (three of them needed)."""
    padding = b"".join(b"X-F%d: v\r\n" % index for index in range(count - 2))
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        + padding
        + (b"Content-Length: 2\r\n\r\nok")
    )


def test_a_header_block_of_exactly_the_line_limit_is_read(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(raw=many_fields(MAX_HEADER_LINES))
    fetched = response(get(server, dns_server))
    assert len(fetched.headers) == MAX_HEADER_LINES


def test_a_header_block_one_line_over_the_limit_is_refused(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(raw=many_fields(MAX_HEADER_LINES + 1))
    failed = failure(get(server, dns_server))
    assert failed.kind is FailureKind.PROTOCOL
    assert f"more than {MAX_HEADER_LINES} lines" in failed.explanation


def interim(count: int) -> bytes:
    return b"HTTP/1.1 102 Processing\r\n\r\n" * count + OK_HEAD + b"\r\nok"


def test_up_to_the_limit_of_interim_responses_are_skipped(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(raw=interim(MAX_INTERIM))
    assert response(get(server, dns_server)).body == b"ok"


def test_one_interim_response_over_the_limit_is_refused(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(raw=interim(MAX_INTERIM + 1))
    failed = failure(get(server, dns_server))
    assert failed.kind is FailureKind.PROTOCOL
    assert f"more than {MAX_INTERIM} interim (1xx) responses" in failed.explanation


def chunk_line_of(size: int) -> bytes:
    """A chunked 200 response whose first chunk-size line (a chunk extension padding it,
    CRLF included) is ``size`` bytes."""
    line = b"2;x=" + b"e" * (size - len(b"2;x=\r\n")) + b"\r\n"
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        + line
        + b"ok\r\n0\r\n\r\n"
    )


def test_a_chunk_size_line_of_exactly_the_limit_is_read(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(raw=chunk_line_of(MAX_CHUNK_LINE))
    assert response(get(server, dns_server)).body == b"ok"


def test_a_chunk_size_line_one_byte_over_the_limit_is_refused(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(raw=chunk_line_of(MAX_CHUNK_LINE + 1))
    failed = failure(get(server, dns_server))
    assert failed.kind is FailureKind.PROTOCOL
    assert f"a chunk size line is over {MAX_CHUNK_LINE} bytes" in failed.explanation


def test_a_folded_header_line_is_joined_to_its_field_with_one_space(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(
        raw=b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Note: first\r\n"
        b" \t second\r\n\tthird\r\nContent-Length: 2\r\n\r\nok"
    )
    fetched = response(get(server, dns_server))
    assert fetched.header("x-note") == "first second third"
    assert fetched.body == b"ok"


def test_a_folded_line_before_any_field_is_refused(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    server.reply = Reply(raw=b"HTTP/1.1 200 OK\r\n folded: x\r\n" + OK_HEAD[17:] + b"\r\nok")
    failed = failure(get(server, dns_server))
    assert failed.kind is FailureKind.PROTOCOL
    assert "not 'Name: value'" in failed.explanation


def test_a_trailer_block_is_bounded_like_the_headers(
    server: HTTPSServer, dns_server: DNSServer
) -> None:
    trailers = b"".join(b"X-T%d: v\r\n" % index for index in range(MAX_HEADER_LINES + 1))
    server.reply = Reply(
        raw=b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nok\r\n0\r\n" + trailers + b"\r\n"
    )
    failed = failure(get(server, dns_server))
    assert failed.kind is FailureKind.PROTOCOL
    assert f"the trailer block has more than {MAX_HEADER_LINES} lines" in failed.explanation
