"""smtpdoctor.testing: the test server speaks real SMTP, TLS and AUTH; the helpers run one
check or the pipeline; the pytest plugin hands the fixtures to any test suite."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable

import pytest

from smtpdoctor import Check, CheckContext, Outcome, RegisterCheck, Status, hookimpl
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.words import TLSMode
from smtpdoctor.testing import (
    PASSWORD,
    USER,
    ReceivedMessage,
    ScriptedServer,
    SMTPTestServer,
    run_check,
    run_pipeline,
)

MakeServer = Callable[..., SMTPTestServer]

pytest_plugins = ["pytester"]


class Dialogue:
    """A bare client for the test server: send a line, read a whole reply."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def reply(self) -> list[str]:
        lines: list[str] = []
        while True:
            while b"\r\n" not in self.buffer:
                data = self.sock.recv(4096)
                assert data, "the server closed the connection"
                self.buffer += data
            raw, _, self.buffer = self.buffer.partition(b"\r\n")
            line = raw.decode()
            lines.append(line)
            if line[3:4] != "-":
                return lines

    def send(self, line: str) -> list[str]:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()


def connect(server: SMTPTestServer) -> Dialogue:
    sock = socket.create_connection(server.address, timeout=5)
    return Dialogue(sock)


def test_the_test_server_speaks_starttls_then_auth(smtp_test_server: SMTPTestServer) -> None:
    client = connect(smtp_test_server)
    try:
        greeting = client.reply()
        before = client.send("EHLO client.test")
        assert client.send("STARTTLS") == ["220 2.0.0 Ready to start TLS"]
        context = ssl.create_default_context(cadata=smtp_test_server.ca_pem)
        client.sock = context.wrap_socket(client.sock, server_hostname="127.0.0.1")
        after = client.send("EHLO client.test")
        refused = client.send("AUTH PLAIN AHdyb25nAHdyb25n")
        accepted = client.send("AUTH LOGIN")
        client.send("YWxpY2VAZXhhbXBsZS50ZXN0")  # alice@example.test
        login = client.send("Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ==")
    finally:
        client.sock.close()

    assert greeting == ["220 mail.example.test ESMTP ready"]
    assert "250-STARTTLS" in before
    assert not any("AUTH" in line for line in before)
    assert "250-AUTH PLAIN LOGIN" in after
    assert refused == ["535 5.7.8 Authentication credentials invalid"]
    assert accepted == ["334 VXNlcm5hbWU6"]
    assert login == ["235 2.7.0 Authentication successful"]
    assert smtp_test_server.auth_attempts == [("wrong", False), (USER, True)]
    assert "AUTH PLAIN [redacted]" in smtp_test_server.commands
    assert all("Y29ycmVjdC" not in command for command in smtp_test_server.commands)


def test_the_test_server_keeps_the_messages_it_accepts(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(tls="none")
    client = connect(server)
    try:
        client.reply()
        client.send("HELO client.test")
        client.send("MAIL FROM:<a@example.test> SIZE=20")
        client.send("RCPT TO:<b@example.test>")
        assert client.send("DATA")[0].startswith("354")
        queued = client.send("Subject: hi\r\n\r\n..dot-stuffed\r\n.")
        client.send("QUIT")
    finally:
        client.sock.close()

    assert queued == ["250 2.0.0 Ok: queued"]
    assert server.messages == [
        ReceivedMessage(
            "a@example.test", ("b@example.test",), b"Subject: hi\r\n\r\n.dot-stuffed\r\n"
        )
    ]
    assert server.verbs == ["HELO", "MAIL", "RCPT", "DATA", "QUIT"]


def test_scripted_replies_replace_the_normal_ones(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(
        greeting="220-mx.example.test ESMTP\n220 second line",
        replies={"RCPT": "550 5.1.1 no such user", "EHLO": "250-mx\n250 SIZE 5"},
    )
    client = connect(server)
    try:
        greeting = client.reply()
        ehlo = client.send("EHLO c")
        client.send("MAIL FROM:<a@b.test>")
        rcpt = client.send("RCPT TO:<x@y.test>")
    finally:
        client.sock.close()

    assert greeting == ["220-mx.example.test ESMTP", "220 second line"]
    assert ehlo == ["250-mx", "250 SIZE 5"]
    assert rcpt == ["550 5.1.1 no such user"]


def test_run_pipeline_returns_the_whole_report(smtp_test_server: SMTPTestServer) -> None:
    report = run_pipeline(smtp_test_server, user=USER, password=PASSWORD)

    assert [result.status for result in report.results[:6]] == [Status.PASS] * 6
    assert report.result("auth") is not None
    assert smtp_test_server.connections == 1


def test_run_check_runs_only_what_the_check_needs(smtp_test_server: SMTPTestServer) -> None:
    result = run_check(smtp_test_server, "ehlo")

    assert result.status is Status.PASS
    assert result.check_id == "ehlo"
    assert "STARTTLS" not in smtp_test_server.verbs


def test_run_check_with_implicit_tls(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(tls="implicit")

    result = run_check(server, "certificate")

    assert result.status is Status.PASS


def test_run_check_knows_the_demo_server_too(make_server: Callable[..., LocalSMTPServer]) -> None:
    server = make_server()

    result = run_check(server, "auth", user="alice@example.test", password=PASSWORD)

    assert result.status is Status.PASS


def test_run_check_works_with_a_scripted_server(
    make_scripted_server: Callable[[list[object]], ScriptedServer],
) -> None:
    server = make_scripted_server([b"554 5.7.1 go away\r\n"])

    result = run_check(server.address, "greeting", tls=TLSMode.NONE)

    assert result.status is Status.FAIL
    assert result.outcome.finding == "greeting.refused"


def test_run_check_refuses_an_unknown_check(smtp_test_server: SMTPTestServer) -> None:
    with pytest.raises(LookupError, match="no plugin registers a check 'nope'; known: auth, "):
        run_check(smtp_test_server, "nope")


class Hello(Check):
    id = "hello"
    title = "Says hello"
    requires = ("greeting",)

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "hello")


class HelloPlugin:
    @hookimpl
    def smtpdoctor_register_checks(self, register: RegisterCheck) -> None:
        register(Hello)


def test_run_check_takes_plugin_objects(smtp_test_server: SMTPTestServer) -> None:
    result = run_check(smtp_test_server, "hello", plugins=[HelloPlugin()])

    assert result.summary == "hello"


def test_any_test_suite_gets_the_fixtures_from_the_installed_pytest_plugin(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        from smtpdoctor import Status
        from smtpdoctor.testing import run_check

        def test_greeting(make_smtp_server):
            server = make_smtp_server(greeting="220 mx.example.org ESMTP")
            assert run_check(server, "greeting").status is Status.PASS

        def test_raw(make_scripted_server, smtpdoctor_pki, smtp_test_server):
            assert make_scripted_server([b"220 x\\r\\n"]).port > 0
            assert smtpdoctor_pki.ca_pem.startswith("-----BEGIN CERTIFICATE-----")
            assert smtp_test_server.port > 0
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)


def test_the_pytest_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_needs_it(make_smtp_server):\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:smtpdoctor")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'make_smtp_server' not found*"])
