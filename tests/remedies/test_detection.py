"""Provider detection in a real run: the server on loopback says who it is in its greeting or
EHLO reply, the report names the provider, and hints (builtin and plugins) get to know it."""

from __future__ import annotations

from smtpdoctor import hookimpl
from smtpdoctor.core import runner
from smtpdoctor.core.plugins import make_plugin_manager
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import CheckResult, Hint, Status
from smtpdoctor.model.software import Software
from smtpdoctor.model.words import TLSMode
from smtpdoctor.remedies import HintContext
from smtpdoctor.render.json import report_to_dict
from smtpdoctor.render.table import render_table
from smtpdoctor.settings.config import RunConfig

from tests.loopback import closed_port
from tests.remedies.hintcases import QUIT_ANSWERED, RunCheck, StartScripted

GMAIL_GREETING = b"220 smtp.gmail.com ESMTP a640c23a62f3a-a7f2a4c0a8fsm1 - gsmtp\r\n"
GMAIL_EHLO = (
    b"250-smtp.gmail.com at your service, [127.0.0.1]\r\n250-SIZE 35882577\r\n"
    b"250-8BITMIME\r\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n"
    b"250 SMTPUTF8\r\n"
)


def test_a_gmail_banner_on_loopback_names_the_provider_in_table_and_json(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted([GMAIL_GREETING, "recv", GMAIL_EHLO, *QUIT_ANSWERED])

    report = run_check(server.address, password=None, tls=TLSMode.NONE)

    assert report.provider == "gmail"
    heading = render_table(report).splitlines()[:3]
    assert (
        "Provider: Gmail / Google Workspace (recognised by EHLO domain smtp.gmail.com)" in heading
    )
    assert report_to_dict(report)["provider"] == {
        "id": "gmail",
        "name": "Gmail / Google Workspace",
        "recognised_by": {"clue": "ehlo-domain", "seen": "smtp.gmail.com"},
    }


def test_the_ehlo_domain_names_the_provider_when_the_banner_does_not(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [
            b"220 127.0.0.1 ESMTP ready\r\n",
            "recv",
            b"250-smtp.fastmail.com\r\n250 AUTH PLAIN LOGIN\r\n",
            *QUIT_ANSWERED,
        ]
    )

    report = run_check(server.address, password=None, tls=TLSMode.NONE)

    assert report.provider == "fastmail"


def test_an_unknown_server_names_no_provider(scripted: StartScripted, run_check: RunCheck) -> None:
    server = scripted(
        [
            b"220 mail.example.test ESMTP Postfix\r\n",
            "recv",
            b"250-mail.example.test\r\n250 AUTH PLAIN LOGIN\r\n",
            *QUIT_ANSWERED,
        ]
    )

    report = run_check(server.address, password=None, tls=TLSMode.NONE)

    assert report.provider is None
    assert report_to_dict(report)["provider"] is None
    assert "Provider:" not in render_table(report)


def test_a_proton_login_on_a_closed_loopback_port_says_bridge_is_not_running(
    run_check: RunCheck,
) -> None:
    report = run_check(("127.0.0.1", closed_port()), user="alice@proton.me")

    tcp = report.result("tcp")
    assert tcp is not None and tcp.status is Status.FAIL
    assert tcp.outcome.finding == "tcp.refused"
    assert [hint.title for hint in tcp.hints] == ["Proton Mail Bridge is not listening here"]
    assert report.provider == "proton-bridge"


def test_hint_plugins_receive_the_context_with_the_provider(scripted: StartScripted) -> None:
    seen: list[HintContext] = []

    class Recorder:
        @hookimpl
        def smtpdoctor_hints(self, result: CheckResult, context: HintContext) -> list[Hint]:
            seen.append(context)
            if context.provider == "gmail" and result.check_id == "auth":
                return [Hint("Plugin: Gmail login advice", ("from a plugin",))]
            return []

    server = scripted(
        [
            GMAIL_GREETING,
            "recv",
            GMAIL_EHLO,
            "recv",
            b"535 5.7.8 Authentication failed - gsmtp\r\n",
            *QUIT_ANSWERED,
        ]
    )
    host, port = server.address
    config = RunConfig(
        host=host,
        port=port,
        tls=TLSMode.NONE,
        allow_plaintext_auth=True,
        credentials=Credentials("alice@gmail.com", Secret("app password here")),
        timeout=3.0,
        deadline=20.0,
    )
    manager = make_plugin_manager(extra_plugins=[Recorder()], load_entry_points=False)

    report = runner.run(config, manager)

    auth = report.result("auth")
    assert auth is not None
    assert [hint.title for hint in auth.hints] == [
        "Gmail refused the password",
        "Plugin: Gmail login advice",
    ]
    assert seen[-1] == HintContext(
        host="127.0.0.1",
        port=port,
        tls_mode=TLSMode.NONE,
        provider="gmail",
        banner="smtp.gmail.com ESMTP a640c23a62f3a-a7f2a4c0a8fsm1 - gsmtp",
        ehlo_domain="smtp.gmail.com",
        software=Software("Google (Gmail) front end", None, "greeting: gsmtp", "google"),
    )
