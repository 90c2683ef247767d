"""Against a real Haraka 3.3.4 (npm) started on 127.0.0.1 by ``integration/haraka.sh start``:
STARTTLS, auth/flat_file (which offers AUTH in clear to loopback clients), relaying refused
without a login on 10589; the same serving only its leaf certificate on 10590.  Run with
``make integration``; skipped unless ``SMTPDOCTOR_INTEGRATION=1``."""

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
from tests.software.fixtures import HARAKA

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("SMTPDOCTOR_INTEGRATION") != "1",
        reason="needs the Haraka of integration/haraka.sh: run make integration",
    ),
]


@pytest.fixture(scope="module")
def haraka() -> dict[str, Any]:
    return server("haraka")


def test_submission_with_starttls_and_a_login_works_and_names_haraka(
    haraka: dict[str, Any],
) -> None:
    report = run(haraka, credentials=login(haraka))

    assert row(report, "auth").status is Status.PASS
    assert row(report, "certificate").status is Status.PASS
    assert report.software is not None
    assert (report.software.name, report.software.version) == ("Haraka", "3.3.4")
    assert not leaks(report, haraka["password"], haraka["user"])


def test_auth_offered_before_starttls_is_warned_with_harakas_cause(
    haraka: dict[str, Any],
) -> None:
    report = run(haraka)

    posture = row(report, "posture")
    assert posture.status is Status.WARN
    assert posture.outcome.finding == "posture.auth-before-starttls"
    assert [hint.title for hint in posture.hints] == ["Offer AUTH only after STARTTLS"]
    assert "Haraka: auth/flat_file offers AUTH without TLS" in advice(posture)
    assert not any(word in advice(posture) for word in POSTFIX_WORDS)


def test_the_recorded_replies_are_still_what_haraka_says(haraka: dict[str, Any]) -> None:
    report = run(haraka, credentials=login(haraka, "not the password"))

    assert re.search(
        r"220 haraka\.smtpdoctor\.test ESMTP Haraka/3\.3\.4 ready", row(report, "greeting").summary
    )
    auth = row(report, "auth")
    assert auth.outcome.finding == "auth.rejected"
    assert (
        f"{auth.outcome.reply_code} {auth.outcome.reply_text}\r\n".encode() == HARAKA.auth_failure
    )
    assert not leaks(report, "not the password")


def test_relaying_without_a_login_is_refused_and_says_log_in_first(
    haraka: dict[str, Any],
) -> None:
    report = run(haraka, send=SendRequest("alice@smtpdoctor.test", OUTSIDE))

    send = row(report, "send")
    assert send.outcome.finding == "send.relay-denied"
    assert (
        f"{send.outcome.reply_code} {send.outcome.reply_text}\r\n".encode() == HARAKA.relay_refusal
    )
    assert send.hints[0].title == "Log in first: --user ADDRESS"
    assert "rcpt_to.in_host_list" in advice(send)
    assert not any(word in advice(send) for word in POSTFIX_WORDS)


def test_the_leaf_alone_is_an_incomplete_chain_with_harakas_fix(haraka: dict[str, Any]) -> None:
    report = run(haraka, haraka["leaf_port"])

    certificate = row(report, "certificate")
    assert certificate.outcome.finding == "certificate.incomplete-chain"
    shown = advice(certificate)
    assert "Haraka: config/tls_cert.pem" in shown
    assert not any(word in shown for word in POSTFIX_WORDS)
    assert "Exim" not in shown
