"""``greeting``: the server's first words, and what it means when they are not a 220."""

from __future__ import annotations

import math
import time

import pytest

from smtpdoctor.api import Request, diagnose
from smtpdoctor.checks import greeting
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import DEFAULT_SLOW_GREETING, ConfigError, ExitCode, TLSMode
from smtpdoctor.settings.config import RunConfig

from tests.checks.checkkit import (
    GREETING,
    QUIT_ANSWERED,
    MakeServer,
    RunCheck,
    StartScripted,
    hint_titles,
    row,
)

HANG_MARGIN = 3.0


def test_a_220_banner_passes_and_is_kept_in_the_details(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(hostname="mail.example.test", ident="ExampleMTA 1.0")

    report = run_check(server, password=None)

    result = row(report, "greeting")
    assert result.status is Status.PASS
    assert result.outcome.finding is None
    assert result.summary.startswith("220 mail.example.test ExampleMTA 1.0 (after ")
    assert result.summary.endswith(" ms)")
    assert result.outcome.details["banner"] == "mail.example.test ExampleMTA 1.0"
    assert result.outcome.reply_code == 220


def test_a_421_greeting_fails_as_busy_quoting_the_server(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([b"421 4.7.0 mx.example.test Too many connections, try later\r\n", "recv"])

    report = run_check(server.address, password=None)

    result = row(report, "greeting")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "greeting.busy"
    assert result.summary == (
        "the server is not accepting connections right now: "
        "421 4.7.0 mx.example.test Too many connections, try later"
    )
    assert "The server is busy or limiting connections" in hint_titles(result)
    assert report.exit_code is ExitCode.CRITICAL


def test_a_554_greeting_fails_as_refused_quoting_the_server(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [b"554 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen\r\n", *QUIT_ANSWERED]
    )

    report = run_check(server.address, password=None)

    result = row(report, "greeting")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "greeting.refused"
    assert result.summary.startswith("the server refuses to talk to this client: 554 5.7.1 ")
    assert "blocked using zen" in result.summary
    assert result.outcome.enhanced_code == "5.7.1"
    assert "The server refuses this client's address" in hint_titles(result)


def test_a_silent_server_fails_as_silent_within_the_timeout(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([])

    started = time.monotonic()
    report = run_check(server.address, password=None, timeout=1.0)
    elapsed = time.monotonic() - started

    result = row(report, "greeting")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "greeting.silent"
    assert result.summary == "connected, but the server said nothing for 1 s"
    assert "The server accepted the connection but did not greet" in hint_titles(result)
    assert elapsed < 1.0 + HANG_MARGIN  # hang guard, not a benchmark


def test_silence_on_an_implicit_tls_port_suggests_implicit_tls(
    scripted: StartScripted, run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 465 cannot be bound in a test: the silent server's random port is declared an
    # implicit-TLS port instead, and --tls starttls is forced as a user might.
    server = scripted([])
    port = server.address[1]
    monkeypatch.setattr(greeting, "IMPLICIT_TLS_PORTS", frozenset({port}))

    report = run_check(server.address, password=None, timeout=1.0, tls=TLSMode.STARTTLS)

    result = row(report, "greeting")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "greeting.silent-implicit-tls-port"
    assert f"port {port} usually expects TLS from the first byte" in result.summary
    assert "This port expects TLS from the first byte" in hint_titles(result)


@pytest.mark.parametrize(
    ("banner", "service"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", "an SSH server"),
        (b"HTTP/1.1 400 Bad Request\r\n", "a web server"),
        (b"+OK Dovecot ready.\r\n", "a POP3 server"),
        (b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", "an IMAP server"),
    ],
    ids=["ssh", "http", "pop3", "imap"],
)
def test_another_service_on_the_port_is_named(
    banner: bytes, service: str, scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([banner, "recv"])

    report = run_check(server.address, password=None)

    result = row(report, "greeting")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "greeting.other-protocol"
    assert result.summary == f"this port is answered by {service}, not by a mail server"
    assert result.outcome.details == {"other_protocol": service}
    assert "Another service runs on this port" in hint_titles(result)


def test_garbage_instead_of_a_greeting_fails_as_not_smtp(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([b"hello? who is there\r\n", "recv"])

    report = run_check(server.address, password=None)

    result = row(report, "greeting")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "greeting.not-smtp"
    assert result.summary.startswith("this does not look like an SMTP server: ")
    assert "hello? who is there" in result.summary


def test_a_server_that_hangs_up_without_a_greeting_fails_as_connection_lost(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(["close"])

    report = run_check(server.address, password=None)

    result = row(report, "greeting")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "greeting.connection-lost"
    assert result.summary == (
        "connection lost: the server closed the connection while we waited for the greeting"
    )
    assert row(report, "ehlo").summary == "not run: greeting failed"


def test_a_success_code_other_than_220_is_a_warning(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([b"250 mail.example.test hello\r\n", "recv", "close"])

    report = run_check(server.address, password=None, timeout=1.0)

    result = row(report, "greeting")
    assert result.status is Status.WARN
    assert result.outcome.finding == "greeting.unexpected-code"
    assert result.summary == "greeting with code 250 instead of 220: 250 mail.example.test hello"


# -- a greeting that comes late (a tarpit) ------------------------------------------------------

#: Longer than the thresholds below: the greeting is sure to come after them.
LATE = 0.5
#: What follows the greeting: a reply to EHLO, and one to QUIT.
SESSION = ["recv", b"250 mail.example.test\r\n", *QUIT_ANSWERED]


def test_a_greeting_later_than_the_threshold_is_a_warning_naming_tarpits(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([("sleep", LATE), GREETING, *SESSION])

    report = run_check(server.address, password=None, tls=TLSMode.NONE, slow_greeting=0.1)

    result = row(report, "greeting")
    assert result.status is Status.WARN
    assert result.outcome.finding == "greeting.delayed"
    assert result.summary.startswith("220 mail.example.test ESMTP ready, but only after ")
    assert "(more than 0.1 s): the server delays its greeting" in result.summary
    assert result.outcome.details["warn_seconds"] == 0.1
    assert result.outcome.reply_code == 220
    assert "The server holds back its greeting (a tarpit)" in hint_titles(result)
    assert report.exit_code is ExitCode.WARNING


def test_a_late_greeting_still_lets_the_session_go_on(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([("sleep", LATE), GREETING, *SESSION])

    report = run_check(server.address, password=None, tls=TLSMode.NONE, slow_greeting=0.1)

    assert row(report, "greeting").status is Status.WARN
    assert row(report, "ehlo").status is Status.PASS


def test_a_greeting_within_the_default_threshold_passes(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([GREETING, *SESSION])

    report = run_check(server.address, password=None, tls=TLSMode.NONE)

    result = row(report, "greeting")
    assert result.status is Status.PASS
    assert result.outcome.finding is None
    assert result.outcome.details["warn_seconds"] == DEFAULT_SLOW_GREETING


def test_the_threshold_is_a_setting_of_the_request(scripted: StartScripted) -> None:
    server = scripted([("sleep", LATE), GREETING, *SESSION])
    host, port = server.address

    report = diagnose(Request(f"{host}:{port}", tls=TLSMode.NONE, slow_greeting=0.1))

    assert row(report, "greeting").outcome.finding == "greeting.delayed"


def test_the_default_threshold_is_five_seconds() -> None:
    assert Request("mail.example.test:25").slow_greeting == 5.0
    assert RunConfig(host="mail.example.test").slow_greeting == 5.0


@pytest.mark.parametrize("seconds", [0.0, -1.0, math.inf, math.nan])
def test_a_threshold_that_is_not_a_positive_number_is_refused(seconds: float) -> None:
    with pytest.raises(ConfigError, match="--slow-greeting must be a positive number of seconds"):
        Request("mail.example.test:25", slow_greeting=seconds)
    with pytest.raises(ConfigError, match="--slow-greeting must be a positive number of seconds"):
        RunConfig(host="mail.example.test", slow_greeting=seconds)
