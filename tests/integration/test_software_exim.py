"""Against a real Exim 4.96 (Debian 12's package files, not installed; its own configuration,
spool and logs) started on 127.0.0.1 by ``integration/exim.sh start``: a submission service
with STARTTLS and AUTH only after it on 10587, the same serving only its leaf certificate on
10588.  Run with ``make integration``; skipped unless ``SMTPDOCTOR_INTEGRATION=1``."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from smtpdoctor.model.results import Status
from smtpdoctor.settings.sending import SendRequest

from tests.integration.softwarekit import (
    OUTSIDE,
    POSTFIX_WORDS,
    advice,
    leaks,
    login,
    row,
    run,
    server,
)
from tests.software.fixtures import EXIM

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("SMTPDOCTOR_INTEGRATION") != "1",
        reason="needs the Exim of integration/exim.sh: run make integration",
    ),
]


@pytest.fixture(scope="module")
def exim() -> dict[str, Any]:
    return server("exim")


def test_submission_with_starttls_and_a_login_passes_and_names_exim(exim: dict[str, Any]) -> None:
    report = run(exim, credentials=login(exim))

    assert [r.check_id for r in report.results if r.status is not Status.PASS] == []
    assert report.software is not None
    assert (report.software.name, report.software.version) == ("Exim", "4.96")
    assert report.software.evidence == "greeting: ESMTP Exim 4.96"
    assert "(AUTH only after STARTTLS)" in row(report, "auth").summary
    assert not leaks(report, exim["password"], exim["user"])


def test_the_recorded_replies_are_still_what_exim_says(exim: dict[str, Any]) -> None:
    report = run(exim, credentials=login(exim, "not the password"))

    greeting = row(report, "greeting").summary
    assert re.search(r"220 exim\.smtpdoctor\.test ESMTP Exim 4\.96 ", greeting)
    auth = row(report, "auth")
    assert auth.outcome.finding == "auth.rejected"
    assert f"{auth.outcome.reply_code} {auth.outcome.reply_text}\r\n".encode() == EXIM.auth_failure
    assert not leaks(report, "not the password", exim["user"])


def test_relaying_without_a_login_is_refused_and_says_log_in_first(exim: dict[str, Any]) -> None:
    report = run(exim, send=SendRequest("alice@smtpdoctor.test", OUTSIDE))

    send = row(report, "send")
    assert send.outcome.finding == "send.relay-denied"
    assert f"{send.outcome.reply_code} {send.outcome.reply_text}\r\n".encode() == EXIM.relay_refusal
    titles = [hint.title for hint in send.hints]
    assert titles[0] == "Log in first: --user ADDRESS"
    assert "acl_check_rcpt" in advice(send)
    assert not any(word in advice(send) for word in POSTFIX_WORDS)


def test_a_logged_in_user_may_send_to_its_own_domain(exim: dict[str, Any]) -> None:
    report = run(
        exim,
        credentials=login(exim),
        send=SendRequest("alice@smtpdoctor.test", "bob@smtpdoctor.test"),
    )

    # Exim has no routers here: it takes the message and never delivers it anywhere
    assert row(report, "send").status is Status.PASS, row(report, "send").summary


def test_the_leaf_alone_is_an_incomplete_chain_with_exims_fix(exim: dict[str, Any]) -> None:
    report = run(exim, exim["leaf_port"])

    certificate = row(report, "certificate")
    assert certificate.outcome.finding == "certificate.incomplete-chain"
    assert "probably does not send its intermediate certificate" in certificate.summary
    shown = advice(certificate)
    assert "Exim: tls_certificate must name a file" in shown
    assert not any(word in shown for word in POSTFIX_WORDS)
    assert "Haraka" not in shown
