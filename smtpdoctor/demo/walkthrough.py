"""``smtpdoctor demo``: a real check against a real (local) server, three times.

A local aiosmtpd server is started on 127.0.0.1 with a throwaway CA and certificate made at
run time; it requires STARTTLS before AUTH.  The full check runs once with the right password
(every row passes), once with a wrong one (``auth`` fails, with its hint), and once more
with a test send, which the server captures; the demo says where the message went.  The password is
random for each demo and never printed; nothing is left on disk.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from smtpdoctor.api import Doctor, Request, SecretSources, TestMessage
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.demo.server import CapturedMessage, LocalSMTPServer
from smtpdoctor.model.credentials import Secret
from smtpdoctor.model.results import Report, Status
from smtpdoctor.model.words import ExitCode, TLSMode
from smtpdoctor.render import render_table

DEMO_USER = "demo@smtpdoctor.test"
DEMO_RECIPIENT = "postmaster@smtpdoctor.test"


def run_demo(*, echo: Callable[[str], None], color: bool = False, width: int = 120) -> int:
    """Run the demo, writing through ``echo``; 0 when all three runs came out as they should."""
    password = secrets.token_urlsafe(16)
    doctor = Doctor(PluginSelection(autoload=False))  # the builtin checks, nothing installed
    with LocalSMTPServer(tls="starttls", users={DEMO_USER: password}) as server:
        echo(
            f"Started a local mail server on {server.host} port {server.port}: STARTTLS is "
            "required before AUTH (PLAIN or LOGIN), and its certificate comes from a CA made "
            "a moment ago that only this demo trusts.\n"
        )
        target = f"{server.host}:{server.port}"
        echo(f"1. smtpdoctor check {target} --user {DEMO_USER}  (right password)\n")
        good = _check(doctor, server, password)
        echo(render_table(good, color=color, width=width))
        echo("\n2. The same with a wrong password\n")
        bad = _check(doctor, server, "not-" + password)
        echo(render_table(bad, color=color, width=width))
        echo(
            f"\nThe server saw {server.connections} TCP connections for these 2 checks — "
            "one each.\n"
        )
        echo(f"3. smtpdoctor check {target} --user {DEMO_USER} --send-to {DEMO_RECIPIENT}\n")
        sent = _check(doctor, server, password, send=TestMessage(DEMO_RECIPIENT, DEMO_USER))
        echo(render_table(sent, color=color, width=width))
        captured = server.messages
        echo("\n" + _where_it_went(captured))
    as_expected = _came_out_right(good, bad) and _sent_once(sent, captured)
    echo(
        "\n"
        + (
            "Demo finished as expected: the first check passed, the second found the wrong "
            "password, the third sent a message the server captured."
            if as_expected
            else "The demo did NOT come out as expected; the tables above say where."
        )
    )
    return 0 if as_expected else int(ExitCode.UNKNOWN)


def _where_it_went(captured: list[CapturedMessage]) -> str:
    if not captured:
        return "The demo server captured no message."
    message = captured[-1]
    subject = next(
        (
            line.split(b":", 1)[1].strip().decode("utf-8", "replace")
            for line in message.content.splitlines()
            if line.lower().startswith(b"subject:")
        ),
        "?",
    )
    return (
        f"The demo server captured it: from {message.mail_from} to "
        f"{', '.join(message.rcpt_tos)}, {len(message.content)} bytes, subject "
        f"{subject!r}, queued as {message.queue_id}. A real server would now deliver it; "
        "--verify-imap then finds it in the mailbox."
    )


def _sent_once(report: Report, captured: list[CapturedMessage]) -> bool:
    send = report.result("send")
    return send is not None and send.status is Status.PASS and len(captured) == 1


def _check(
    doctor: Doctor, server: LocalSMTPServer, password: str, *, send: TestMessage | None = None
) -> Report:
    request = Request(
        f"{server.host}:{server.port}",
        user=DEMO_USER,
        secrets=SecretSources(password=Secret(password)),
        tls=TLSMode.STARTTLS,
        ca_data=server.ca_pem,
        timeout=5.0,
        deadline=30.0,
        send=send,
    )
    return doctor.diagnose(request)


def _came_out_right(good: Report, bad: Report) -> bool:
    auth = bad.result("auth")
    return good.exit_code is ExitCode.OK and auth is not None and auth.status is Status.FAIL
