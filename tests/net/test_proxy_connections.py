"""Checks through a proxy, against real peers on loopback: pproxy (SOCKS4, SOCKS5, HTTP
CONNECT, with and without a login), a rule-following SOCKS5 server for the refusals pproxy
never sends, and scripted proxies that say exactly one thing.  Every failure of the proxy
step is a ``tcp.proxy-…`` finding in words, and the proxy password shows nowhere."""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

import pytest

from smtpdoctor.api import Doctor, Request, SecretSources
from smtpdoctor.delivery.imap import DeliveryError, TLSOptions, find_message
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.lab.scripted import Conversation, ConversationServer
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import Report, Status
from smtpdoctor.model.words import Endpoint, ExitCode, TLSMode
from smtpdoctor.render import render_json
from smtpdoctor.settings.proxy import ProxySpec, parse_proxy
from smtpdoctor.settings.sending import IMAPSecurity, IMAPSettings, SendRequest

from tests.checks.checkkit import MakeServer, RunCheck, hint_titles, row
from tests.loopback import closed_port
from tests.net.conftest import MakePproxy, MakeRuleSocks5
from tests.net.proxykit import (
    http_answering,
    silent,
    socks5_answering,
    socks5_reply,
)
from tests.send.sendkit import FakeIMAP, Folder, message_with, serving

PROXY_USER = "proxyuser"
PROXY_PASSWORD = "pr0xy-s3cret-k9"
#: How the password would look in an HTTP Proxy-Authorization header.
BASIC = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()


def with_password(url: str, password: str = PROXY_PASSWORD) -> ProxySpec:
    return parse_proxy(url).with_password(Secret(password))


def everything_shown(report: Report) -> str:
    """The report as JSON with the transcript, and every row's summary: what a user sees."""
    return render_json(report, transcript=True) + "\n".join(r.summary for r in report.results)


def tcp_details(report: Report) -> dict[str, Any]:
    return dict(row(report, "tcp").outcome.details)


def scripted_proxy(conversation: Conversation) -> ConversationServer:
    server = ConversationServer(conversation, grace=0.0)
    server.start()
    return server


# -- through each kind of proxy, end to end ----------------------------------------------------


@pytest.mark.parametrize("scheme", ["socks5", "socks4", "http"])
def test_a_check_through_each_kind_of_proxy_passes_and_the_tcp_row_names_it(
    scheme: str, make_server: MakeServer, make_pproxy: MakePproxy, run_check: RunCheck
) -> None:
    server = make_server()
    proxy = make_pproxy()
    url = proxy.url(scheme)

    report = run_check(server, proxy=parse_proxy(url))

    assert report.exit_code is ExitCode.OK
    assert row(report, "auth").status is Status.PASS
    tcp = row(report, "tcp")
    assert tcp.summary.startswith(
        f"connected to 127.0.0.1 (IPv4) port {server.port} through {url} in "
    )
    assert tcp_details(report)["path"] == "proxy"
    assert tcp_details(report)["proxy"] == url
    assert tcp_details(report)["address"] == "127.0.0.1"
    (tcp_json,) = [c for c in json.loads(render_json(report))["checks"] if c["id"] == "tcp"]
    assert tcp_json["details"]["path"] == "proxy"


def test_through_socks5h_the_proxy_resolves_the_name_and_no_address_is_claimed(
    make_server: MakeServer, make_pproxy: MakePproxy, run_check: RunCheck
) -> None:
    server = make_server()
    url = make_pproxy().url("socks5h")

    report = run_check(
        ("localhost", server.port),
        proxy=parse_proxy(url),
        tls=TLSMode.STARTTLS,
        ca_data=server.ca_pem,
    )

    assert report.exit_code is ExitCode.OK
    assert row(report, "tcp").summary.startswith(
        f"connected to localhost (resolved by the proxy) port {server.port} through {url} in "
    )
    details = tcp_details(report)
    assert details["resolved_by"] == "proxy"
    assert details["dns_seconds"] == 0
    assert "address" not in details and "family" not in details


def test_a_direct_check_says_its_path_is_direct(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    report = run_check(make_server())

    assert tcp_details(report)["path"] == "direct"
    assert "proxy" not in tcp_details(report)


def test_the_server_sees_the_proxy_address_not_this_machine(
    make_server: MakeServer, make_rule_socks5: MakeRuleSocks5, run_check: RunCheck
) -> None:
    server = make_server()
    proxy = make_rule_socks5(host="127.0.0.2")

    report = run_check(
        server,
        proxy=parse_proxy(proxy.url()),
        send=SendRequest("alice@example.test", "bob@example.test"),
    )

    assert row(report, "send").status is Status.PASS
    assert [message.peer[0] for message in server.messages] == ["127.0.0.2"]


@pytest.mark.parametrize("scheme", ["socks5", "http"])
def test_a_proxy_login_works_and_its_password_is_shown_nowhere(
    scheme: str, make_server: MakeServer, make_pproxy: MakePproxy, run_check: RunCheck
) -> None:
    server = make_server()
    proxy = make_pproxy(login=(PROXY_USER, PROXY_PASSWORD))
    url = proxy.url(scheme, user=PROXY_USER)

    report = run_check(server, proxy=with_password(url))

    assert report.exit_code is ExitCode.OK
    assert tcp_details(report)["proxy"] == url
    shown = everything_shown(report)
    assert PROXY_PASSWORD not in shown
    assert BASIC not in shown


# -- the proxy's login ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "said"),
    [
        ("socks5", "closed the connection when it got the user name 'proxyuser' and its "),
        ("http", "refused the user name 'proxyuser' and its password (HTTP 407 Proxy "),
    ],
)
def test_a_wrong_proxy_password_is_a_refused_proxy_login_without_the_password(
    scheme: str, said: str, make_pproxy: MakePproxy, run_check: RunCheck
) -> None:
    proxy = make_pproxy(login=(PROXY_USER, "the-right-one"))

    report = run_check(
        ("127.0.0.1", closed_port()), proxy=with_password(proxy.url(scheme, user=PROXY_USER))
    )

    tcp = row(report, "tcp")
    assert tcp.status is Status.FAIL
    assert tcp.outcome.finding == "tcp.proxy-auth"
    assert said in tcp.summary
    assert "The proxy wants a login, or refused it" in hint_titles(tcp)
    assert PROXY_PASSWORD not in everything_shown(report)
    assert BASIC not in everything_shown(report)


@pytest.mark.parametrize(
    ("scheme", "said"),
    [
        ("socks5", "closed the connection when offered no authentication: it requires a login"),
        ("http", "requires a login (HTTP 407 Proxy Authentication Required), and none was given"),
    ],
)
def test_no_login_for_a_proxy_that_requires_one_is_a_proxy_auth_failure(
    scheme: str, said: str, make_pproxy: MakePproxy, run_check: RunCheck
) -> None:
    proxy = make_pproxy(login=(PROXY_USER, PROXY_PASSWORD))

    report = run_check(("127.0.0.1", closed_port()), proxy=parse_proxy(proxy.url(scheme)))

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-auth"
    assert said in tcp.summary
    assert tcp_details(report)["path"] == "proxy"


@pytest.mark.parametrize(
    ("replies", "login", "said"),
    [
        ([b"\x05\xff"], False, "requires a login, and none was given"),
        ([b"\x05\xff"], True, "accepts none of the authentication methods offered"),
        ([b"\x05\x02", b"\x01\x01"], True, "refused the user name 'proxyuser' and its password"),
    ],
)
def test_a_socks5_proxy_that_answers_the_login_by_the_rfc_is_understood(
    replies: list[bytes], login: bool, said: str, run_check: RunCheck
) -> None:
    proxy = scripted_proxy(socks5_answering(*replies))
    url = f"socks5://{PROXY_USER + '@' if login else ''}127.0.0.1:{proxy.port}"
    try:
        report = run_check(
            ("127.0.0.1", closed_port()), proxy=with_password(url) if login else parse_proxy(url)
        )
    finally:
        proxy.stop()

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-auth"
    assert said in tcp.summary


# -- the proxy itself ---------------------------------------------------------------------------


def test_a_proxy_where_nothing_listens_is_unreachable_and_named(run_check: RunCheck) -> None:
    port = closed_port()
    url = f"socks5://127.0.0.1:{port}"

    report = run_check(("127.0.0.1", 587), proxy=parse_proxy(url))

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-unreachable"
    assert tcp.summary == (
        f"cannot reach the proxy {url} (127.0.0.1:{port}: connection refused (nothing is "
        "listening on that port))"
    )
    assert "The proxy cannot be reached" in hint_titles(tcp)
    assert report.exit_code is ExitCode.CRITICAL


def test_a_proxy_name_that_does_not_resolve_is_unreachable(
    run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_such_name(host: str, *args: object, **kwargs: object) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)

    report = run_check(
        ("smtp.example.test", 587), proxy=parse_proxy("socks5h://proxy.invalid:1080")
    )

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-unreachable"
    assert tcp.summary == (
        "cannot reach the proxy socks5h://proxy.invalid:1080: the proxy's name does not "
        "resolve: the name proxy.invalid does not exist in DNS"
    )


@pytest.mark.timeout(20)  # the proof that it does not hang: it ends well within this
def test_a_proxy_that_accepts_and_never_answers_is_a_proxy_timeout(run_check: RunCheck) -> None:
    proxy = scripted_proxy(silent)
    try:
        report = run_check(
            ("127.0.0.1", 587), proxy=parse_proxy(f"socks5://127.0.0.1:{proxy.port}"), timeout=0.5
        )
    finally:
        proxy.stop()

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-timeout"
    assert "accepted the connection but did not answer in " in tcp.summary
    assert "(waiting for its handshake)" in tcp.summary


@pytest.mark.timeout(20)
def test_a_proxy_that_never_answers_the_request_says_it_was_waiting_for_the_server(
    run_check: RunCheck,
) -> None:
    def greets_then_falls_silent(peer: Any) -> None:
        peer.read_bytes()
        peer.send(b"\x05\x00")
        peer.read_bytes()
        peer.stay_silent()

    proxy = scripted_proxy(greets_then_falls_silent)
    try:
        report = run_check(
            ("127.0.0.1", 587), proxy=parse_proxy(f"socks5://127.0.0.1:{proxy.port}"), timeout=0.5
        )
    finally:
        proxy.stop()

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-timeout"
    assert "(waiting for the connection to 127.0.0.1:587)" in tcp.summary


@pytest.mark.timeout(20)
def test_a_proxy_that_drips_its_answer_cannot_stretch_the_step_past_its_timeout(
    run_check: RunCheck,
) -> None:
    def drips(peer: Any) -> None:
        peer.read_bytes()
        peer.send(b"\x05\x00")
        peer.read_bytes()
        peer.drip(socks5_reply(0x00), every=0.3)  # each byte in time, the whole far too late

    proxy = scripted_proxy(drips)
    try:
        report = run_check(
            ("127.0.0.1", 587), proxy=parse_proxy(f"socks5://127.0.0.1:{proxy.port}"), timeout=1.0
        )
    finally:
        proxy.stop()

    assert row(report, "tcp").outcome.finding == "tcp.proxy-timeout"


def test_the_greeting_right_behind_an_http_proxys_answer_is_left_for_smtp(
    run_check: RunCheck,
) -> None:
    def connects_and_greets_at_once(peer: Any) -> None:
        while peer.read_line():
            pass
        peer.send(
            b"HTTP/1.1 200 Connection established\r\nProxy-Agent: test\r\n\r\n"
            b"220 mail.example.test ESMTP right behind\r\n"
        )
        peer.expect("EHLO")
        peer.send(b"250 mail.example.test\r\n")
        peer.expect("QUIT")
        peer.send(b"221 2.0.0 Bye\r\n")

    proxy = scripted_proxy(connects_and_greets_at_once)
    try:
        report = run_check(
            ("127.0.0.1", 587),
            proxy=parse_proxy(f"http://127.0.0.1:{proxy.port}"),
            tls=TLSMode.NONE,
            password=None,
        )
    finally:
        proxy.stop()

    greeting = row(report, "greeting")
    assert greeting.status is Status.PASS
    assert "mail.example.test ESMTP right behind" in greeting.summary
    assert row(report, "ehlo").status is Status.PASS


def test_an_http_proxy_given_as_socks5_is_said_to_be_another_kind(run_check: RunCheck) -> None:
    proxy = scripted_proxy(socks5_answering(b"HTTP/1.1 400 Bad Request\r\n\r\n"))
    try:
        report = run_check(
            ("127.0.0.1", 587), proxy=parse_proxy(f"socks5://127.0.0.1:{proxy.port}")
        )
    finally:
        proxy.stop()

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-error"
    assert "does not answer as a socks5 proxy" in tcp.summary
    assert "The proxy failed" in hint_titles(tcp)


@pytest.mark.parametrize(
    "answer",
    [
        b"220 mail.example.test ESMTP\r\n",  # an SMTP server given as the proxy
        b"foo 200 bar\r\n\r\n",  # "200" in the right place, but no HTTP
    ],
)
def test_an_answer_that_is_no_http_is_named_at_once_and_opens_no_tunnel(
    answer: bytes, run_check: RunCheck
) -> None:
    def answers(peer: Any) -> None:
        peer.send(answer)

    proxy = scripted_proxy(answers)
    try:
        report = run_check(("127.0.0.1", 587), proxy=parse_proxy(f"http://127.0.0.1:{proxy.port}"))
    finally:
        proxy.stop()

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-error"
    assert "the proxy does not answer as an HTTP proxy (its answer begins " in tcp.summary
    assert row(report, "greeting").status is Status.SKIP


def test_the_proxy_words_are_escaped_and_stripped_of_the_login(run_check: RunCheck) -> None:
    status = f"HTTP/1.1 407 no {PROXY_USER}:{PROXY_PASSWORD} \x1b[2J or {BASIC}".encode()
    proxy = scripted_proxy(http_answering(status))
    try:
        report = run_check(
            ("127.0.0.1", 587),
            proxy=with_password(f"http://{PROXY_USER}@127.0.0.1:{proxy.port}"),
        )
    finally:
        proxy.stop()

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-auth"
    assert "\\x1b[2J" in tcp.summary
    assert PROXY_PASSWORD not in everything_shown(report)
    assert BASIC not in everything_shown(report)


# -- the proxy and the destination --------------------------------------------------------------


def test_a_socks5_proxy_whose_rules_refuse_the_port_is_a_proxy_refusal(
    make_server: MakeServer, make_rule_socks5: MakeRuleSocks5, run_check: RunCheck
) -> None:
    server = make_server()
    proxy = make_rule_socks5(allowed_ports=frozenset({465}))

    report = run_check(server, proxy=parse_proxy(proxy.url()))

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-refused"
    assert tcp.summary == (
        f"the proxy {proxy.url()} refused to connect to 127.0.0.1:{server.port} (SOCKS reply "
        "0x02: connection not allowed by its rules)"
    )
    assert "The proxy does not allow this destination" in hint_titles(tcp)


def test_a_closed_port_behind_a_socks5_proxy_is_refused_with_its_reply_code(
    make_rule_socks5: MakeRuleSocks5, run_check: RunCheck
) -> None:
    proxy = make_rule_socks5()
    port = closed_port()

    report = run_check(("127.0.0.1", port), proxy=parse_proxy(proxy.url()))

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-refused"
    assert "(SOCKS reply 0x05: connection refused (by the server, or a firewall" in tcp.summary
    assert proxy.requests == [f"127.0.0.1:{port}"]


@pytest.mark.parametrize(
    ("conversation", "finding", "said"),
    [
        (
            socks5_answering(b"\x05\x00", socks5_reply(0x04)),
            "tcp.proxy-destination-unreachable",
            "could not reach 127.0.0.1:587 (SOCKS reply 0x04: host unreachable)",
        ),
        (
            socks5_answering(b"\x05\x00", socks5_reply(0x01)),
            "tcp.proxy-error",
            "failed to connect to 127.0.0.1:587 (SOCKS reply 0x01: a general SOCKS server",
        ),
    ],
)
def test_what_a_socks5_proxy_says_of_the_destination_is_its_finding(
    conversation: Conversation, finding: str, said: str, run_check: RunCheck
) -> None:
    proxy = scripted_proxy(conversation)
    try:
        report = run_check(
            ("127.0.0.1", 587), proxy=parse_proxy(f"socks5://127.0.0.1:{proxy.port}")
        )
    finally:
        proxy.stop()

    assert row(report, "tcp").outcome.finding == finding
    assert said in row(report, "tcp").summary


@pytest.mark.parametrize(
    ("status", "finding", "said"),
    [
        (
            b"HTTP/1.1 403 Forbidden",
            "tcp.proxy-refused",
            "refused to connect to 127.0.0.1:587 (HTTP 403 Forbidden): its rules do not allow",
        ),
        (
            b"HTTP/1.0 502 Bad Gateway",
            "tcp.proxy-destination-unreachable",
            "could not reach 127.0.0.1:587 (HTTP 502 Bad Gateway)",
        ),
        (
            b"HTTP/1.1 500 Internal Server Error",
            "tcp.proxy-error",
            "answered the request for 127.0.0.1:587 with HTTP 500 Internal Server Error",
        ),
    ],
)
def test_what_an_http_proxy_answers_to_connect_is_its_finding(
    status: bytes, finding: str, said: str, run_check: RunCheck
) -> None:
    proxy = scripted_proxy(http_answering(status))
    try:
        report = run_check(("127.0.0.1", 587), proxy=parse_proxy(f"http://127.0.0.1:{proxy.port}"))
    finally:
        proxy.stop()

    assert row(report, "tcp").outcome.finding == finding
    assert said in row(report, "tcp").summary


def test_the_next_address_is_asked_for_when_the_proxy_refuses_one(
    make_server: MakeServer,
    make_rule_socks5: MakeRuleSocks5,
    run_check: RunCheck,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = make_server()
    proxy = make_rule_socks5()
    real = socket.getaddrinfo

    def two_addresses(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "mail.example.test":
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.3", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)  # 127.0.0.3: nothing listens

    report = run_check(
        ("mail.example.test", server.port),
        proxy=parse_proxy(proxy.url()),
        tls=TLSMode.STARTTLS,
        insecure=True,
    )

    tcp = row(report, "tcp")
    assert tcp.status is Status.PASS
    assert tcp.summary.startswith(
        f"connected to mail.example.test (127.0.0.1, IPv4) port {server.port} through "
    )
    assert proxy.requests == [f"127.0.0.3:{server.port}", f"127.0.0.1:{server.port}"]
    (failed,) = tcp_details(report)["failed_attempts"]
    assert failed.startswith(f"127.0.0.3:{server.port}: the proxy ")


def test_a_socks4_proxy_cannot_carry_an_ipv6_address(run_check: RunCheck) -> None:
    report = run_check(("::1", 587), proxy=parse_proxy(f"socks4://127.0.0.1:{closed_port()}"))

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.no-address-in-family"
    assert "a SOCKS4 proxy carries IPv4 addresses only (socks5:// carries both)" in tcp.summary


def test_the_source_address_is_that_of_the_connection_to_the_proxy(
    make_server: MakeServer, make_pproxy: MakePproxy, run_check: RunCheck
) -> None:
    server = make_server()
    proxy = make_pproxy()

    report = run_check(server, proxy=parse_proxy(proxy.url("socks5")), source_address="127.0.0.1")

    assert tcp_details(report)["source_address"] == "127.0.0.1"
    assert " from 127.0.0.1 in " in row(report, "tcp").summary


# -- the port matrix and IMAP go through the proxy too ------------------------------------------


def test_the_port_matrix_goes_through_the_proxy_and_shows_the_ports_it_refuses(
    make_server: MakeServer, make_rule_socks5: MakeRuleSocks5
) -> None:
    allowed, refused = make_server(), make_server()
    proxy = make_rule_socks5(allowed_ports=frozenset({allowed.port}))
    probes = (Endpoint(refused.port, TLSMode.STARTTLS), Endpoint(allowed.port, TLSMode.STARTTLS))

    report = Doctor().diagnose(
        Request("127.0.0.1", probes=probes, proxy=proxy.url(), ca_data=allowed.ca_pem)
    )

    ports = row(report, "ports")
    assert f"{refused.port} STARTTLS: refused by the proxy" in ports.summary
    assert f"Using {allowed.port} STARTTLS" in ports.summary
    assert ports.outcome.details["path"] == "proxy"
    assert ports.outcome.details["proxy"] == proxy.url()
    assert row(report, "tcp").status is Status.PASS
    assert report.target.port == allowed.port


def test_a_proxy_that_fails_for_every_probe_skips_the_matrix_and_fails_tcp() -> None:
    url = f"socks5://127.0.0.1:{closed_port()}"
    probes = (Endpoint(closed_port(), TLSMode.STARTTLS), Endpoint(closed_port(), TLSMode.IMPLICIT))

    report = Doctor().diagnose(Request("127.0.0.1", probes=probes, proxy=url, timeout=3.0))

    ports = row(report, "ports")
    assert ports.status is Status.SKIP
    assert ports.outcome.finding == "ports.proxy-failed"
    assert ports.summary == f"not probed: the proxy {url} failed (the tcp row says why)"
    assert row(report, "tcp").outcome.finding == "tcp.proxy-unreachable"


def test_a_proxy_user_password_from_the_environment_reaches_the_run(
    make_server: MakeServer, make_pproxy: MakePproxy
) -> None:
    server = make_server()
    proxy = make_pproxy(login=(PROXY_USER, PROXY_PASSWORD))

    report = Doctor().diagnose(
        Request(
            f"127.0.0.1:{server.port}",
            proxy=proxy.url("socks5", user=PROXY_USER),
            secrets=SecretSources(environ={"SMTPDOCTOR_PROXY_PASSWORD": PROXY_PASSWORD}),
            ca_data=server.ca_pem,
        )
    )

    assert report.exit_code is ExitCode.OK
    assert PROXY_PASSWORD not in everything_shown(report)


@pytest.fixture
def imap(pki: ThrowawayPKI) -> Any:
    token_message = message_with("smtpdoctor-0123456789ab")
    running = serving(
        FakeIMAP(
            pki,
            implicit_tls=True,
            users={"alice@example.test": "imap pass"},
            folders={"INBOX": Folder(messages=[token_message])},
        )
    )
    yield next(running)
    next(running, None)


def test_the_imap_connection_of_verify_imap_goes_through_the_proxy(
    imap: FakeIMAP, pki: ThrowawayPKI, make_rule_socks5: MakeRuleSocks5
) -> None:
    proxy = make_rule_socks5()
    settings = IMAPSettings(
        "127.0.0.1",
        imap.port,
        Credentials("alice@example.test", Secret("imap pass")),
        wait=5.0,
        tls=IMAPSecurity.IMPLICIT,
    )

    found = find_message(
        settings,
        token="smtpdoctor-0123456789ab",
        accepted_at=0.0,
        tls=TLSOptions(ca_data=pki.ca_pem),
        step_timeout=3.0,
        proxy=parse_proxy(proxy.url()),
    )

    assert found is not None and found.folder == "INBOX"
    assert proxy.requests == [f"127.0.0.1:{imap.port}"]


def test_an_imap_connection_whose_proxy_fails_says_why(pki: ThrowawayPKI) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    settings = IMAPSettings(
        "127.0.0.1", 993, Credentials("alice@example.test", Secret("imap pass")), wait=1.0
    )

    with pytest.raises(DeliveryError) as failed:
        find_message(
            settings,
            token="smtpdoctor-0123456789ab",
            accepted_at=0.0,
            tls=TLSOptions(ca_data=pki.ca_pem),
            step_timeout=3.0,
            proxy=parse_proxy(url),
        )

    assert failed.value.finding == "delivery.imap-unreachable"
    assert str(failed.value).startswith(
        f"could not reach the IMAP server at 127.0.0.1 port 993: cannot reach the proxy {url}"
    )
