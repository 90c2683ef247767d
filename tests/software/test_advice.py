"""Advice per software: a hint that names a setting names the recognised software's own,
never another's; with unknown software it names none."""

from __future__ import annotations

import re

import pytest

from smtpdoctor.model.results import CheckResult, Hint, Outcome, Status
from smtpdoctor.model.software import Software
from smtpdoctor.model.words import TLSMode
from smtpdoctor.remedies import HintContext, hints_for
from smtpdoctor.remedies.knowledge import KNOWLEDGE_BASE
from smtpdoctor.software import PRODUCTS

from tests.software.conftest import OUTSIDE, Replay
from tests.software.fixtures import HARAKA, NOT_POSTFIX, Recording

#: What only Postfix advice says: its parameters, its tools and files, its name.
POSTFIX_WORDS = re.compile(
    r"\bPostfix\b|\bsmtpd_\w+|\bpostconf\b|\bpostscreen|\bmaster\.cf\b|\bmain\.cf\b|"
    r"\bmynetworks\b|\bmessage_size_limit\b.*\b10240000\b"
)
#: The findings whose hints name settings.
SETTING_FINDINGS = (
    "certificate.incomplete-chain",
    "tls.starttls-not-offered",
    "tls.outdated-version",
    "tls.protocol-version",
    "tls.no-common-cipher",
    "tls.client-certificate-required",
    "tls.server-internal-error",
    "tls.reset",
    "greeting.delayed",
    "posture.auth-before-starttls",
    "posture.plaintext-auth",
    "send.open-relay",
    "send.relay-denied",
)


def software(id_: str) -> Software:
    product = PRODUCTS[id_]
    return Software(product.name, None, "test", product.id, product.family)


def hints(finding: str, running: Software | None, *, encrypted: bool = False) -> list[Hint]:
    result = CheckResult(finding.split(".")[0], "title", Outcome(Status.FAIL, "…", finding=finding))
    context = HintContext(
        host="mail.example.test",
        port=587,
        tls_mode=TLSMode.STARTTLS,
        software=running,
        encrypted=encrypted,
    )
    return hints_for(result, KNOWLEDGE_BASE, context)


def words(found: list[Hint]) -> str:
    return " ".join(" ".join((hint.title, *hint.steps)) for hint in found)


@pytest.mark.parametrize(
    ("software_id", "setting"),
    [
        ("postfix", "smtpd_tls_chain_files"),
        ("exim", "tls_certificate"),
        ("cpanel", "tls_certificate"),
        ("haraka", "config/tls_cert.pem"),
        ("exchange", "Intermediate Certification Authorities"),
        ("sendmail", "confSERVER_CERT"),
        ("opensmtpd", "pki NAME cert"),
    ],
)
def test_an_incomplete_chain_names_the_recognised_softwares_setting(
    software_id: str, setting: str
) -> None:
    shown = words(hints("certificate.incomplete-chain", software(software_id)))

    assert setting in shown
    assert "--ca-file" in shown  # the private-CA case, after the missing intermediate


@pytest.mark.parametrize("finding", SETTING_FINDINGS)
def test_with_unknown_software_no_hint_names_a_products_settings(finding: str) -> None:
    shown = words(hints(finding, None))

    for product in PRODUCTS.values():
        assert f"{product.name}:" not in shown, f"{finding} names {product.name}"
    assert not POSTFIX_WORDS.search(shown)


@pytest.mark.parametrize("finding", SETTING_FINDINGS)
@pytest.mark.parametrize("software_id", sorted(set(PRODUCTS) - {"postfix"}))
def test_no_hint_suggests_a_postfix_setting_to_other_software(
    finding: str, software_id: str
) -> None:
    shown = words(hints(finding, software(software_id)))

    assert not POSTFIX_WORDS.search(shown), f"{finding} for {software_id}: {shown}"


@pytest.mark.parametrize("recording", NOT_POSTFIX, ids=lambda r: r.software)
def test_no_postfix_setting_is_suggested_to_any_recorded_server(
    recording: Recording, replay: Replay
) -> None:
    report = replay(recording, to=OUTSIDE)

    shown = words([hint for result in report.results for hint in result.hints])
    assert report.software is not None and report.software.id == recording.software
    assert not POSTFIX_WORDS.search(shown)


def test_harakas_auth_before_starttls_gets_its_hint_with_harakas_cause(replay: Replay) -> None:
    report = replay(HARAKA)

    posture = report.result("posture")
    assert posture is not None
    assert posture.status is Status.WARN
    assert posture.outcome.finding == "posture.auth-before-starttls"
    assert [hint.title for hint in posture.hints] == ["Offer AUTH only after STARTTLS"]
    assert "Haraka: auth/flat_file offers AUTH without TLS" in " ".join(posture.hints[0].steps)


def test_no_auth_after_starttls_does_not_send_you_looking_after_starttls() -> None:
    after_tls = words(hints("auth.not-offered", software("exim"), encrypted=True))
    in_clear = words(hints("auth.not-offered", None))

    assert "not even inside TLS" in after_tls
    assert "whether AUTH appears only after STARTTLS" not in after_tls
    assert "Exim: an authenticator" in after_tls
    assert "whether AUTH appears only after STARTTLS" in in_clear


def test_relay_rules_are_named_per_software() -> None:
    assert "acl_check_rcpt" in words(hints("send.relay-denied", software("exim")))
    assert "permit_sasl_authenticated" in words(hints("send.relay-denied", software("postfix")))
    assert "match auth from any" in words(hints("send.relay-denied", software("opensmtpd")))
    assert "smtpd_relay" not in words(hints("send.relay-denied", software("haraka")))
