"""Through real proxies to the real Postfix and Dovecot: Dante (SOCKS5, without and with a
user name and password) and tinyproxy (HTTP CONNECT, port 465 only), started on loopback by
``integration/proxies.sh start`` next to ``integration/mailserver.sh``.  Each proxy connects
out from an address of its own (127.0.0.5, .6, .7), so the mail server's log proves that the
connection came through it.  Run with ``make integration``; skipped unless
``SMTPDOCTOR_INTEGRATION=1``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.api import MailboxCheck, Request, SecretSources, TestMessage, diagnose
from smtpdoctor.model.credentials import Secret
from smtpdoctor.model.results import CheckResult, Report, Status
from smtpdoctor.model.words import Endpoint, ExitCode, TLSMode

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("SMTPDOCTOR_INTEGRATION") != "1",
        reason="needs integration/mailserver.sh and integration/proxies.sh: run make integration",
    ),
]

STATE = Path(os.environ.get("SMTPDOCTOR_MAILSERVER_DIR", "/var/lib/smtpdoctor-mailserver"))
ALICE = "alice@smtpdoctor.test"
BOB = "bob@smtpdoctor.test"


@pytest.fixture(scope="module")
def mailserver() -> dict[str, Any]:
    info: dict[str, Any] = json.loads((STATE / "mailserver.json").read_text())
    return info


@pytest.fixture(scope="module")
def proxies() -> dict[str, Any]:
    info: dict[str, Any] = json.loads((STATE / "proxies" / "proxies.json").read_text())
    return info


class Log:
    """A log file, read from where it ended when the test began."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._start = path.stat().st_size

    def new_lines(self) -> list[str]:
        with self._path.open("rb") as file:
            file.seek(self._start)
            return file.read().decode("utf-8", "replace").splitlines()


@pytest.fixture
def postfix_log(mailserver: dict[str, Any]) -> Log:
    return Log(Path(mailserver["logs"]["postfix"]))


@pytest.fixture
def dovecot_log(mailserver: dict[str, Any]) -> Log:
    return Log(Path(mailserver["logs"]["dovecot"]))


def check(mailserver: dict[str, Any], target: str, proxy: str, **fields: Any) -> Report:
    """``smtpdoctor check TARGET --proxy PROXY --ca-file …`` through the core API."""
    return diagnose(
        Request(target, proxy=proxy, ca_file=Path(mailserver["ca_file"]), timeout=10.0, **fields)
    )


def as_alice(mailserver: dict[str, Any], proxy_password: str | None = None) -> dict[str, Any]:
    """The fields of a request logging in as alice (and to the proxy, with a password)."""
    environ = {"SMTPDOCTOR_PROXY_PASSWORD": proxy_password} if proxy_password else {}
    return {
        "user": ALICE,
        "secrets": SecretSources(
            password=Secret(mailserver["users"][ALICE]),
            imap_password=Secret(mailserver["users"][BOB]),
            environ=environ,
        ),
    }


def row(report: Report, check_id: str) -> CheckResult:
    result = report.result(check_id)
    assert result is not None, f"no {check_id} row"
    return result


def connections_from(log: Log, service: str) -> list[str]:
    """The client addresses of the connections ``service`` (``submission``) logged."""
    marker = f"postfix/{service}/smtpd["
    return [
        line.rsplit("[", 1)[1].rstrip("]")
        for line in log.new_lines()
        if marker in line and ": connect from " in line
    ]


def test_a_check_through_dante_passes_and_postfix_sees_the_proxy_as_the_client(
    mailserver: dict[str, Any], proxies: dict[str, Any], postfix_log: Log
) -> None:
    url = proxies["socks5"]["url"]

    report = check(mailserver, "127.0.0.1:587", url, **as_alice(mailserver))

    assert report.exit_code is ExitCode.OK, [r.summary for r in report.results]
    assert row(report, "auth").status is Status.PASS
    assert f"port 587 through {url} in " in row(report, "tcp").summary
    assert connections_from(postfix_log, "submission") == [proxies["socks5"]["address"]]


def test_a_check_through_dante_with_its_login_passes_and_the_password_shows_nowhere(
    mailserver: dict[str, Any], proxies: dict[str, Any], postfix_log: Log
) -> None:
    login = proxies["socks5_login"]

    report = check(
        mailserver, "127.0.0.1:587", login["url"], **as_alice(mailserver, login["password"])
    )

    assert report.exit_code is ExitCode.OK, [r.summary for r in report.results]
    assert row(report, "tcp").outcome.details["proxy"] == login["url"]
    assert connections_from(postfix_log, "submission") == [login["address"]]
    shown = " ".join(r.summary for r in report.results) + str(report.transcript)
    assert login["password"] not in shown


def test_dante_refuses_a_wrong_proxy_password_as_a_proxy_login_failure(
    mailserver: dict[str, Any], proxies: dict[str, Any], postfix_log: Log
) -> None:
    login = proxies["socks5_login"]

    report = check(mailserver, "127.0.0.1:587", login["url"], **as_alice(mailserver, "wrong"))

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-auth"
    assert "refused the user name 'smtpdoctor-proxy' and its password" in tcp.summary
    assert connections_from(postfix_log, "submission") == []  # it never got there


def test_dante_asks_for_a_login_that_was_not_given(
    mailserver: dict[str, Any], proxies: dict[str, Any]
) -> None:
    url = f"socks5://{proxies['socks5_login']['address']}:1080"

    report = check(mailserver, "127.0.0.1:587", url)

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-auth"
    assert "requires a login, and none was given" in tcp.summary


def test_through_socks5h_dante_resolves_the_servers_name(
    mailserver: dict[str, Any], proxies: dict[str, Any], postfix_log: Log
) -> None:
    url = proxies["socks5"]["url"].replace("socks5://", "socks5h://")

    report = check(mailserver, "localhost:587", url, **as_alice(mailserver))

    assert report.exit_code is ExitCode.OK, [r.summary for r in report.results]
    assert "connected to localhost (resolved by the proxy) port 587 through" in (
        row(report, "tcp").summary
    )
    assert connections_from(postfix_log, "submission") == [proxies["socks5"]["address"]]


def test_tinyproxy_refuses_connect_to_587_as_a_proxy_refusal(
    mailserver: dict[str, Any], proxies: dict[str, Any], postfix_log: Log
) -> None:
    url = proxies["http"]["url"]

    report = check(mailserver, "127.0.0.1:587", url, **as_alice(mailserver))

    tcp = row(report, "tcp")
    assert tcp.outcome.finding == "tcp.proxy-refused"
    assert tcp.summary == (
        f"the proxy {url} refused to connect to 127.0.0.1:587 (HTTP 403 Access violation): "
        "its rules do not allow that destination or port"
    )
    assert "The proxy does not allow this destination" in [h.title for h in tcp.hints]
    assert connections_from(postfix_log, "submission") == []


def test_tinyproxy_lets_implicit_tls_on_465_through(
    mailserver: dict[str, Any], proxies: dict[str, Any], postfix_log: Log
) -> None:
    report = check(mailserver, "127.0.0.1:465", proxies["http"]["url"], **as_alice(mailserver))

    assert report.exit_code is ExitCode.OK, [r.summary for r in report.results]
    assert row(report, "tls").status is Status.PASS
    assert connections_from(postfix_log, "smtps") == [proxies["http"]["address"]]


def test_the_port_matrix_through_tinyproxy_finds_the_one_port_it_allows(
    mailserver: dict[str, Any], proxies: dict[str, Any]
) -> None:
    probes = (Endpoint(587, TLSMode.STARTTLS), Endpoint(465, TLSMode.IMPLICIT))

    report = check(mailserver, "127.0.0.1", proxies["http"]["url"], probes=probes)

    ports = row(report, "ports")
    assert "587 STARTTLS: refused by the proxy" in ports.summary
    assert "Using 465 implicit TLS" in ports.summary
    assert report.target.port == 465


def test_a_message_sent_and_found_over_imap_both_through_dante(
    mailserver: dict[str, Any], proxies: dict[str, Any], postfix_log: Log, dovecot_log: Log
) -> None:
    address = proxies["socks5"]["address"]

    report = check(
        mailserver,
        "127.0.0.1:587",
        proxies["socks5"]["url"],
        send=TestMessage(BOB),
        verify=MailboxCheck("127.0.0.1:993", BOB, wait=30.0),
        **as_alice(mailserver),
    )

    assert row(report, "send").status is Status.PASS, row(report, "send").summary
    delivery = row(report, "delivery")
    assert delivery.status is Status.PASS, delivery.summary
    assert delivery.outcome.details["path"] == "proxy"
    assert connections_from(postfix_log, "submission") == [address]
    assert any(f"rip={address}," in line and BOB in line for line in dovecot_log.new_lines())
