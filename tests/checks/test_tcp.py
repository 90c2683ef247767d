"""``tcp``: resolve the name and connect, telling DNS failure, refusal and timeout apart.

Every test talks to a real peer on loopback (or to a port where nothing listens).  DNS is
never asked: name look-ups are answered by a fake ``getaddrinfo``.
"""

from __future__ import annotations

import socket
import time
from typing import Any, NoReturn

import pytest

from smtpdoctor.checks import tcp
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import ExitCode

from tests.checks.checkkit import (
    MakeServer,
    RunCheck,
    hint_titles,
    row,
    unresponsive_port,
)
from tests.loopback import closed_port

#: Generous slack for hang guards: the run must end near its timeout, not "eventually".
HANG_MARGIN = 3.0


def resolver_failing_with(code: int, message: str) -> Any:
    """A stand-in for ``socket.getaddrinfo`` that fails like the system resolver."""

    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> NoReturn:
        raise socket.gaierror(code, message)

    return getaddrinfo


def test_a_listening_server_passes_and_names_the_address_connected_to(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server()

    report = run_check(server, password=None)

    result = row(report, "tcp")
    assert result.status is Status.PASS
    assert result.outcome.finding is None
    assert result.summary.startswith(f"connected to 127.0.0.1 (IPv4) port {server.port} in ")
    assert result.summary.endswith(" ms")
    assert result.outcome.details["address"] == "127.0.0.1"
    assert result.outcome.details["port"] == server.port


def test_a_closed_port_fails_as_refused_and_exits_2(run_check: RunCheck) -> None:
    port = closed_port()

    report = run_check(("127.0.0.1", port), password=None)

    result = row(report, "tcp")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tcp.refused"
    assert result.summary == (
        f"127.0.0.1 refused the connection on port {port}: nothing is listening there"
    )
    assert result.outcome.details["attempts"] == (
        f"127.0.0.1:{port}: connection refused (nothing is listening on that port)",
    )
    assert "Nothing listens on that port" in hint_titles(result)
    assert report.exit_code is ExitCode.CRITICAL


def test_a_refused_connection_skips_every_later_check_naming_tcp(run_check: RunCheck) -> None:
    report = run_check(("127.0.0.1", closed_port()))

    later = [result for result in report.results if result.check_id != "tcp"]
    assert later
    for result in later:
        assert result.status is Status.SKIP
        assert result.summary == "not run: tcp failed"


def test_a_port_that_drops_connection_attempts_fails_as_a_timeout_within_the_timeout(
    run_check: RunCheck,
) -> None:
    with unresponsive_port() as port:
        started = time.monotonic()
        report = run_check(("127.0.0.1", port), password=None, timeout=1.0)
        elapsed = time.monotonic() - started

    result = row(report, "tcp")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tcp.timeout"
    assert result.summary.startswith(f"no answer from 127.0.0.1 on port {port} before the timeout")
    assert "firewall is silently dropping" in result.summary
    assert "A firewall drops the connection" in hint_titles(result)
    assert report.exit_code is ExitCode.CRITICAL
    assert elapsed < 1.0 + HANG_MARGIN  # hang guard, not a benchmark


def test_a_timeout_on_a_commonly_blocked_port_blames_outgoing_port_25_blocking(
    run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 25 itself cannot be bound in a test, so the loopback port stands in for it.
    with unresponsive_port() as port:
        monkeypatch.setattr(tcp, "COMMONLY_BLOCKED_PORTS", frozenset({port}))
        report = run_check(("127.0.0.1", port), password=None, timeout=1.0)

    result = row(report, "tcp")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tcp.timeout-port-25"
    assert "Outgoing port 25 is probably blocked on your side" in hint_titles(result)


def resolver_knowing_only(known: str, *, asked: list[str]) -> Any:
    """A stand-in for ``socket.getaddrinfo`` that knows ``known`` (as a documentation address,
    never connected to) and answers every other name as not existing; notes each name asked."""

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[Any]:
        asked.append(host)
        if host != known:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", port))]

    return getaddrinfo


def test_a_name_that_does_not_exist_fails_as_nxdomain(
    run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        socket, "getaddrinfo", resolver_knowing_only(tcp.WELL_KNOWN_NAME, asked=asked)
    )

    report = run_check(("smtp.example.invalid", 587), password=None)

    result = row(report, "tcp")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tcp.dns-nxdomain"
    assert result.summary == "DNS: the name smtp.example.invalid does not exist in DNS"
    assert result.outcome.details == {"host": "smtp.example.invalid", "port": 587}
    assert "The host name does not exist" in hint_titles(result)
    assert report.exit_code is ExitCode.CRITICAL
    assert asked == ["smtp.example.invalid", tcp.WELL_KNOWN_NAME]


def test_a_mistyped_provider_host_is_answered_with_the_provider_host(
    run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", resolver_knowing_only(tcp.WELL_KNOWN_NAME, asked=[]))

    report = run_check(("smtp.gmial.com", 587), password=None)

    result = row(report, "tcp")
    assert result.outcome.finding == "tcp.dns-nxdomain"
    assert result.summary.endswith(" — did you mean smtp.gmail.com?")
    assert result.outcome.details["suggestion"] == "smtp.gmail.com"


def test_a_resolver_that_knows_no_name_at_all_is_blamed_instead_of_the_name(
    run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", resolver_knowing_only("", asked=asked))

    report = run_check(("smtp.gmail.com", 587), password=None)

    result = row(report, "tcp")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tcp.dns-broken"
    assert "your DNS (the system's resolver) answers NXDOMAIN for everything" in result.summary
    assert "did you mean" not in result.summary
    assert hint_titles(result) == ["Your DNS resolves no names at all"]
    assert report.exit_code is ExitCode.CRITICAL
    assert asked == ["smtp.gmail.com", tcp.WELL_KNOWN_NAME]


def test_a_resolver_that_fails_temporarily_is_not_mistaken_for_a_missing_name(
    run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        resolver_failing_with(socket.EAI_AGAIN, "Temporary failure in name resolution"),
    )

    report = run_check(("smtp.example.invalid", 587), password=None)

    result = row(report, "tcp")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tcp.dns-temporary"
    assert "failed temporarily" in result.summary
    assert "Your DNS resolver did not answer" in hint_titles(result)


def test_a_name_without_address_records_fails_as_no_address(
    run_check: RunCheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        resolver_failing_with(socket.EAI_NODATA, "No address associated with hostname"),
    )

    report = run_check(("example.invalid", 587), password=None)

    result = row(report, "tcp")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tcp.dns-no-address"
    assert result.summary == "DNS: example.invalid exists but has no address records"
    assert "The name exists but has no address" in hint_titles(result)


def test_a_malformed_host_name_is_reported_as_invalid_not_as_a_dns_timeout(
    run_check: RunCheck,
) -> None:
    # getaddrinfo refuses "smtp..example.com" while IDNA-encoding it: no DNS query is made.
    report = run_check(("smtp..example.com", 587), password=None)

    result = row(report, "tcp")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tcp.dns-invalid"
    assert "'smtp..example.com' is not a valid host name" in result.summary
