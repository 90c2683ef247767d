"""The world provider table end to end: an address at a provider names it and how it was
recognised, a custom domain is recognised by its MX, and a refused login at a provider that
needs a switch tells the user which switch, where — over real loopback servers, with every
name answered by the test DNS server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.testing import ScriptedServer

from tests.targets.dnsserver import DNSServer

HANG_GUARD = 60
PASSWORD = "not-the-authorization-code"
QQ_REFUSAL = (
    b"535 Login Fail. Please enter your authorization code to login. More information in "
    b"http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256\r\n"
)
PLAIN_EHLO = b"250-smtp.example.test\r\n250 AUTH PLAIN LOGIN\r\n"
QUIT = ["recv", b"221 Bye\r\n"]

StartScripted = Callable[[list[Any]], ScriptedServer]


def refusing(banner: bytes, refusal: bytes) -> list[Any]:
    """A server that greets with ``banner``, offers AUTH and refuses the login."""
    return [b"220 " + banner + b"\r\n", "recv", PLAIN_EHLO, "recv", refusal, *QUIT]


@pytest.fixture
def dns() -> Iterator[Callable[[str], DNSServer]]:
    servers: list[DNSServer] = []

    def start(zone: str) -> DNSServer:
        server = DNSServer(zone)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def run_json(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    code = main([*arguments, "--format", "json", "--timeout", "5"])
    return code, json.loads(capsys.readouterr().out)


def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in document["checks"]}


@pytest.fixture
def with_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)


@pytest.mark.timeout(HANG_GUARD)
@pytest.mark.usefixtures("with_password")
def test_a_qq_address_names_qq_mail_and_a_refused_login_says_which_switch_and_where(
    scripted: StartScripted, dns: Callable[[str], DNSServer], capsys: pytest.CaptureFixture[str]
) -> None:
    server = scripted(
        refusing(b"newxmesmtplogicsvrszc5.qq.com XMail Esmtp QQ Mail Server.", QQ_REFUSAL)
    )
    dns_server = dns("qq.com. MX 10 mx3.qq.com.\nsmtp.qq.com. A 127.0.0.1")
    _, port = server.address

    code, document = run_json(
        [
            "check",
            f"you@qq.com:{port}",
            "--dns-server",
            dns_server.address,
            "--tls",
            "none",
            "--allow-plaintext-auth",
        ],
        capsys,
    )

    assert code == 2
    assert document["provider"] == {
        "id": "qq",
        "name": "QQ Mail",
        "recognised_by": {"clue": "mail-domain", "seen": "qq.com"},
    }
    assert rows(document)["target"]["details"]["provider_recognised_by"] == (
        "recognised by mail domain qq.com"
    )
    auth = rows(document)["auth"]
    assert auth["status"] == "fail"
    hint = auth["hints"][0]
    assert hint["title"] == "QQ Mail: the password given is not an authorization code"
    steps = " ".join(hint["steps"])
    assert "Settings (设置) → Account (账户)" in steps
    assert "Generate authorization code" in steps
    assert "not the QQ password" in steps
    assert PASSWORD not in json.dumps(document)


@pytest.mark.timeout(HANG_GUARD)
@pytest.mark.usefixtures("with_password")
def test_a_generic_refusal_at_qq_still_names_the_authorization_code_switch(
    scripted: StartScripted, dns: Callable[[str], DNSServer], capsys: pytest.CaptureFixture[str]
) -> None:
    server = scripted(refusing(b"smtp.qq.com ESMTP", b"535 Error: authentication failed\r\n"))
    dns_server = dns("smtp.qq.com. A 127.0.0.1")
    _, port = server.address

    _, document = run_json(
        [
            "check",
            f"you@qq.com:{port}",
            "--dns-server",
            dns_server.address,
            "--tls",
            "none",
            "--allow-plaintext-auth",
        ],
        capsys,
    )

    titles = [hint["title"] for hint in rows(document)["auth"]["hints"]]
    assert titles == ["QQ Mail needs the SMTP service and an authorization code (授权码)"]


@pytest.mark.timeout(HANG_GUARD)
def test_a_custom_domain_is_recognised_by_its_mx_and_the_report_says_so(
    scripted: StartScripted, dns: Callable[[str], DNSServer], capsys: pytest.CaptureFixture[str]
) -> None:
    server = scripted([b"220 mail.example.test ESMTP\r\n", "recv", PLAIN_EHLO, *QUIT])
    dns_server = dns(
        "shop.test. MX 10 mx00.ionos.de.\n"
        "smtp.ionos.com. A 127.0.0.1\n"
        "a.root-servers.net. A 198.41.0.4"
    )
    _, port = server.address

    _, document = run_json(
        ["check", f"alice@shop.test:{port}", "--dns-server", dns_server.address, "--tls", "none"],
        capsys,
    )

    assert document["provider"]["id"] == "ionos"
    assert document["provider"]["recognised_by"] == {"clue": "mx", "seen": "mx00.ionos.de"}
    target = rows(document)["target"]
    assert target["details"]["provider_recognised_by"] == "recognised by MX mx00.ionos.de"


@pytest.mark.timeout(HANG_GUARD)
def test_the_table_heading_names_the_provider_and_the_clue(
    scripted: StartScripted, dns: Callable[[str], DNSServer], capsys: pytest.CaptureFixture[str]
) -> None:
    server = scripted([b"220 mail.example.test ESMTP\r\n", "recv", PLAIN_EHLO, *QUIT])
    dns_server = dns("shop.test. MX 5 aspmx1.migadu.com.\nsmtp.migadu.com. A 127.0.0.1")
    _, port = server.address

    main(["check", f"alice@shop.test:{port}", "--dns-server", dns_server.address, "--tls", "none"])

    assert "Provider: Migadu (recognised by MX aspmx1.migadu.com)" in capsys.readouterr().out


@pytest.mark.timeout(HANG_GUARD)
@pytest.mark.parametrize(
    ("banner", "title", "where"),
    [
        (
            b"gmx.net (mrgmx004) Nemesis ESMTP Service ready",
            "GMX: allow POP3/IMAP access, and log in with the full address",
            "https://hilfe.gmx.net/pop-imap/einschalten.html",
        ),
        (
            b"web.de (mrweb005) Nemesis ESMTP Service ready",
            "WEB.DE: allow POP3/IMAP access, and log in with the part before the @",
            "https://hilfe.web.de/pop-imap/einschalten.html",
        ),
    ],
)
def test_gmx_and_webde_refusals_say_to_allow_pop3_imap_access_in_the_web_settings(
    banner: bytes,
    title: str,
    where: str,
    scripted: StartScripted,
    run_check: Callable[..., Any],
) -> None:
    server = scripted(refusing(banner, b"535 Authentication credentials invalid\r\n"))

    report = run_check(server.address, tls=TLSMode.NONE, allow_plaintext_auth=True)

    auth = report.result("auth")
    assert auth is not None and auth.status is Status.FAIL
    assert [hint.title for hint in auth.hints] == [title]
    assert "allow POP3/IMAP access" in auth.hints[0].steps[0]
    assert auth.hints[0].url == where


@pytest.mark.timeout(HANG_GUARD)
def test_163_says_client_authorization_is_off_when_the_login_gets_no_permission(
    scripted: StartScripted, run_check: Callable[..., Any]
) -> None:
    server = scripted(
        refusing(
            b"smtp.163.com Anti-spam GT for Coremail System", b"550 User has no permission\r\n"
        )
    )

    report = run_check(server.address, tls=TLSMode.NONE, allow_plaintext_auth=True)

    auth = report.result("auth")
    assert auth is not None
    assert [hint.title for hint in auth.hints] == [
        "NetEase 163 Mail: client authorization is off for this mailbox"
    ]
    assert any("POP3/SMTP/IMAP" in step for step in auth.hints[0].steps)
    assert any("client authorization code" in step for step in auth.hints[0].steps)
    assert report.provider == "netease163"


@pytest.mark.timeout(HANG_GUARD)
def test_the_certificate_names_recognise_the_provider(
    make_server: Callable[..., Any], run_check: Callable[..., Any]
) -> None:
    from smtpdoctor.lab.pki import make_pki

    pki = make_pki(hostnames=["localhost", "mail.strato.de"])
    server = make_server(pki=pki, hostname="localhost")

    report = run_check(server, password=None)

    assert report.provider == "strato"
    assert report.provider_clue is not None
    assert report.provider_clue.describe().startswith("recognised by certificate name ")
