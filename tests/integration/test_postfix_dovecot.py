"""Against a real Postfix (submission 587 with STARTTLS and Dovecot SASL, implicit TLS on 465,
an MX on 25, and two services misconfigured on purpose: an open relay on 10025 and a greeting
delayed 6 s on 10026) and a real Dovecot (IMAP 143 with STARTTLS, IMAPS 993), started on
127.0.0.1 by ``integration/mailserver.sh start``.  Run with ``make integration`` (root and apt
needed); skipped unless ``SMTPDOCTOR_INTEGRATION=1``.
"""

from __future__ import annotations

import imaplib
import json
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.api import Request, TestMessage, diagnose
from smtpdoctor.core import runner
from smtpdoctor.core.plugins import make_plugin_manager
from smtpdoctor.delivery.imap import TLSOptions, find_message
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import CheckResult, Report, Status
from smtpdoctor.model.words import ExitCode
from smtpdoctor.settings.config import RunConfig
from smtpdoctor.settings.sending import IMAPSecurity, IMAPSettings, SendRequest

from tests.targets.dnsserver import DNSServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("SMTPDOCTOR_INTEGRATION") != "1",
        reason="needs the Postfix + Dovecot of integration/mailserver.sh: run make integration",
    ),
]

STATE = Path(os.environ.get("SMTPDOCTOR_MAILSERVER_DIR", "/var/lib/smtpdoctor-mailserver"))
ALICE = "alice@smtpdoctor.test"
BOB = "bob@smtpdoctor.test"
STRANGER = "stranger@elsewhere.example"
OUTSIDE = "someone@outside.example"


@pytest.fixture(scope="module")
def mailserver() -> dict[str, Any]:
    info: dict[str, Any] = json.loads((STATE / "mailserver.json").read_text())
    return info


def password(mailserver: dict[str, Any], user: str) -> str:
    value: str = mailserver["users"][user]
    return value


def run(mailserver: dict[str, Any], port: int, **fields: Any) -> Report:
    fields.setdefault("timeout", 10.0)
    fields.setdefault("deadline", 60.0)
    config = RunConfig(
        host=mailserver["host"], port=port, ca_file=Path(mailserver["ca_file"]), **fields
    )
    return runner.run(config, make_plugin_manager(load_entry_points=False))


def check(mailserver: dict[str, Any], port: int, **fields: Any) -> Report:
    """``smtpdoctor check HOST:PORT`` as the core API runs it: planned from a request."""
    target = f"{mailserver['host']}:{port}"
    return diagnose(Request(target, ca_file=Path(mailserver["ca_file"]), **fields))


def login(mailserver: dict[str, Any], user: str = ALICE, secret: str | None = None) -> Credentials:
    return Credentials(user, Secret(secret if secret is not None else password(mailserver, user)))


def imap(
    mailserver: dict[str, Any], port: int, user: str = BOB, wait: float = 30.0
) -> IMAPSettings:
    return IMAPSettings(mailserver["host"], port, login(mailserver, user), wait=wait)


def row(report: Report, check_id: str) -> CheckResult:
    result = report.result(check_id)
    assert result is not None, f"no {check_id} row"
    return result


def test_a_message_sent_on_587_with_starttls_and_auth_is_found_over_imaps(
    mailserver: dict[str, Any],
) -> None:
    report = run(
        mailserver,
        587,
        credentials=login(mailserver),
        send=SendRequest(ALICE, BOB, subject="587 to 993"),
        verify=imap(mailserver, 993),
        disabled=frozenset({"authentication"}),  # it would ask DNS about the sender's domain
    )

    assert row(report, "auth").status is Status.PASS
    send = row(report, "send")
    assert send.status is Status.PASS
    assert "Ok: queued as" in send.summary
    assert send.outcome.details["queue_id"]
    delivery = row(report, "delivery")
    assert delivery.status is Status.PASS, delivery.summary
    assert delivery.outcome.details["folder"] == "INBOX"
    assert delivery.outcome.details["imap_security"] == "implicit"
    assert report.exit_code is ExitCode.OK


def test_a_message_sent_on_465_with_implicit_tls_is_found_over_imap_starttls(
    mailserver: dict[str, Any],
) -> None:
    report = run(
        mailserver,
        465,
        credentials=login(mailserver),
        send=SendRequest(ALICE, BOB, subject="465 to 143", body="Grüße über 465.\n.dot line"),
        verify=imap(mailserver, 143),
    )

    assert row(report, "tls").summary.startswith("implicit TLS: ")
    assert row(report, "send").status is Status.PASS
    delivery = row(report, "delivery")
    assert delivery.status is Status.PASS, delivery.summary
    assert delivery.outcome.details["imap_security"] == "starttls"


def test_a_wrong_password_is_refused_by_dovecot_sasl_and_nothing_is_sent(
    mailserver: dict[str, Any],
) -> None:
    report = run(
        mailserver,
        587,
        credentials=login(mailserver, secret="not-the-password"),
        send=SendRequest(ALICE, BOB),
    )

    auth = row(report, "auth")
    assert auth.status is Status.FAIL
    assert auth.outcome.finding == "auth.rejected"
    assert auth.outcome.reply_code == 535
    assert row(report, "send").summary == "not run: auth failed"


def test_an_unauthenticated_client_cannot_relay_to_an_outside_domain(
    mailserver: dict[str, Any],
) -> None:
    report = run(mailserver, 25, send=SendRequest(ALICE, "someone@outside.example"))

    send = row(report, "send")
    assert send.status is Status.FAIL
    assert send.outcome.finding == "send.relay-denied"
    assert send.outcome.reply_code == 554
    assert "Relay access denied" in send.summary


def test_even_a_logged_in_user_cannot_relay_off_this_machine(mailserver: dict[str, Any]) -> None:
    report = run(
        mailserver,
        587,
        credentials=login(mailserver),
        send=SendRequest(ALICE, "someone@outside.example"),
    )

    send = row(report, "send")
    assert send.outcome.finding == "send.relay-denied"
    assert "Relay access denied" in send.summary


def test_an_unknown_recipient_is_named_as_such(mailserver: dict[str, Any]) -> None:
    report = run(
        mailserver,
        587,
        credentials=login(mailserver),
        send=SendRequest(ALICE, "nobody@smtpdoctor.test"),
    )

    send = row(report, "send")
    assert send.status is Status.FAIL
    assert send.outcome.finding == "send.recipient-unknown"
    assert send.outcome.enhanced_code == "5.1.1"
    assert "User unknown" in send.summary


def test_sending_as_someone_else_is_a_refused_sender(mailserver: dict[str, Any]) -> None:
    report = run(mailserver, 587, credentials=login(mailserver), send=SendRequest(BOB, ALICE))

    send = row(report, "send")
    assert send.status is Status.FAIL
    assert send.outcome.finding == "send.sender-refused"
    assert "not owned by user alice@smtpdoctor.test" in send.summary


def test_a_wrong_imap_password_is_a_refused_login(mailserver: dict[str, Any]) -> None:
    settings = IMAPSettings(
        mailserver["host"], 993, login(mailserver, BOB, secret="wrong"), wait=5.0
    )

    report = run(
        mailserver,
        587,
        credentials=login(mailserver),
        send=SendRequest(ALICE, BOB),
        verify=settings,
    )

    delivery = row(report, "delivery")
    assert delivery.status is Status.FAIL
    assert delivery.outcome.finding == "delivery.imap-login-refused"
    assert "wrong" not in delivery.summary


def test_a_message_in_dovecots_junk_folder_is_found_there(mailserver: dict[str, Any]) -> None:
    token = f"smtpdoctor-{int(time.time() * 1000):012x}"[-23:]
    message = (
        f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: junk test [{token}]\r\n"
        f"X-Smtpdoctor-Token: {token}\r\n\r\nbody\r\n"
    ).encode()
    context = ssl.create_default_context(cafile=mailserver["ca_file"])
    with imaplib.IMAP4_SSL(mailserver["host"], 993, ssl_context=context, timeout=10) as client:
        client.login(BOB, password(mailserver, BOB))
        status, _ = client.append("Junk", None, None, message)
        assert status == "OK"

    found = find_message(
        IMAPSettings(
            mailserver["host"], 993, login(mailserver, BOB), wait=5.0, tls=IMAPSecurity.IMPLICIT
        ),
        token=token,
        accepted_at=time.monotonic(),
        tls=TLSOptions(ca_file=mailserver["ca_file"]),
        step_timeout=10.0,
    )

    assert found is not None
    assert (found.folder, found.junk) == ("Junk", True)


def test_smtpdoctor_send_on_the_command_line_sends_through_postfix(
    mailserver: dict[str, Any],
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMTPDOCTOR_")}
    env["SMTPDOCTOR_PASSWORD"] = password(mailserver, ALICE)
    env["SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    command = [sys.executable, "-m", "smtpdoctor", "send", f"{mailserver['host']}:587"]
    command += ["--ca-file", mailserver["ca_file"], "--from", ALICE, "--to", BOB]
    command += ["--verify-imap", "--imap-host", f"{mailserver['host']}:993"]
    env["SMTPDOCTOR_IMAP_PASSWORD"] = password(mailserver, BOB)
    command += ["--imap-user", BOB]

    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )

    # this Postfix does not DKIM-sign: the authentication row warns, so the exit code is 1
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Was successful! 127.0.0.1 accepted the message for bob@smtpdoctor.test" in done.stdout
    assert "Delivered: delivered to INBOX within" in done.stdout
    assert "the message carries no DKIM signature" in done.stdout
    assert password(mailserver, ALICE) not in done.stdout


# -- misconfigurations that used to pass silently ----------------------------------------------


def test_an_open_relay_is_named_when_it_takes_mail_from_a_stranger_to_an_outside_domain(
    mailserver: dict[str, Any],
) -> None:
    zone = "outside.example. MX 10 mx.outside.example.\nmx.outside.example. A 192.0.2.25\n"
    with DNSServer(zone) as dns:  # where outside.example's mail goes: not to this Postfix
        report = check(
            mailserver,
            mailserver["ports"]["open_relay"],
            send=TestMessage(OUTSIDE, sender=STRANGER),
            dns_servers=(dns.name_server,),
        )

    send = row(report, "send")
    assert send.status is Status.FAIL
    assert send.outcome.finding == "send.open-relay"
    assert send.summary.startswith("OPEN RELAY: the server took a message for outside.example ")
    assert "Ok: queued as" in send.summary
    assert (
        "outside.example is neither the sender's domain nor the server's (smtpdoctor.test), "
        "and its mail goes to mx.outside.example, not here" in send.summary
    )
    assert "Close the open relay: relay only for logged-in users and your networks" in [
        hint.title for hint in send.hints
    ]
    assert report.exit_code is ExitCode.CRITICAL


@pytest.mark.parametrize("sender", [STRANGER, ALICE], ids=["from a stranger", "from inside"])
def test_the_mx_taking_mail_for_its_own_domain_is_no_open_relay(
    mailserver: dict[str, Any], sender: str
) -> None:
    report = check(mailserver, 25, send=TestMessage(BOB, sender=sender))

    send = row(report, "send")
    assert send.status is Status.PASS, send.summary
    assert send.outcome.finding is None
    assert "Ok: queued as" in send.summary


def test_a_greeting_held_back_by_a_tarpit_is_a_warning(mailserver: dict[str, Any]) -> None:
    report = check(mailserver, mailserver["ports"]["slow_greeting"])

    greeting = row(report, "greeting")
    assert greeting.status is Status.WARN
    assert greeting.outcome.finding == "greeting.delayed"
    assert greeting.summary.startswith("220 mail.smtpdoctor.test ESMTP Postfix")
    assert "(more than 5 s): the server delays its greeting" in greeting.summary
    assert "The server holds back its greeting (a tarpit)" in [
        hint.title for hint in greeting.hints
    ]
    assert row(report, "ehlo").status is Status.PASS
