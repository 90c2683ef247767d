"""The provider table: look-ups by id, mail domain, MX host, and detection of the server."""

from __future__ import annotations

import re

import pytest

from smtpdoctor.discovery.providers import (
    PROVIDERS,
    USERNAME_ADDRESS,
    USERNAME_LOCAL_PART,
    Provider,
    closest_submission_host,
    detect_provider,
    provider_by_id,
    provider_for_mail_domain,
    provider_for_mx,
)
from smtpdoctor.model.words import Endpoint, TLSMode

EXPECTED_IDS = {
    "gmail",
    "microsoft365",
    "outlook",
    "yahoo",
    "aol",
    "icloud",
    "zoho",
    "fastmail",
    "proton-bridge",
    "gmx",
    "webde",
    "ses",
    "sendgrid",
    "mailgun",
    "postmark",
    "brevo",
    "mailjet",
}


def provider(provider_id: str) -> Provider:
    found = provider_by_id(provider_id)
    assert found is not None, provider_id
    return found


def found_id(found: Provider | None) -> str | None:
    return found.id if found is not None else None


# -- the table itself ------------------------------------------------------------------------


def test_the_table_holds_every_provider_of_the_reference_once() -> None:
    ids = [p.id for p in PROVIDERS]

    assert set(ids) >= EXPECTED_IDS
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("entry", PROVIDERS, ids=lambda p: p.id)
def test_every_entry_is_well_formed(entry: Provider) -> None:
    assert entry.name
    assert entry.submission_host
    assert entry.tls in (TLSMode.IMPLICIT, TLSMode.STARTTLS)
    assert all(e.tls in (TLSMode.IMPLICIT, TLSMode.STARTTLS) for e in entry.endpoints)
    assert len(set(entry.endpoints)) == len(entry.endpoints), "an endpoint is listed twice"
    assert entry.auth_note
    for pattern in entry.banner_patterns:
        re.compile(pattern)
    for name in (*entry.mail_domains, *entry.mx_suffixes, *entry.host_suffixes):
        assert name == name.lower().strip(".")
    assert entry.docs_url is None or entry.docs_url.startswith("https://")


def test_mail_domains_belong_to_one_provider_only() -> None:
    domains = [domain for p in PROVIDERS for domain in p.mail_domains]

    assert len(domains) == len(set(domains))


@pytest.mark.parametrize(
    ("provider_id", "host", "port", "tls"),
    [
        ("gmail", "smtp.gmail.com", 465, TLSMode.IMPLICIT),
        ("microsoft365", "smtp.office365.com", 587, TLSMode.STARTTLS),
        ("outlook", "smtp-mail.outlook.com", 587, TLSMode.STARTTLS),
        ("yahoo", "smtp.mail.yahoo.com", 465, TLSMode.IMPLICIT),
        ("icloud", "smtp.mail.me.com", 587, TLSMode.STARTTLS),
        ("fastmail", "smtp.fastmail.com", 465, TLSMode.IMPLICIT),
        ("proton-bridge", "127.0.0.1", 1025, TLSMode.STARTTLS),
        ("gmx", "mail.gmx.net", 465, TLSMode.IMPLICIT),
        ("webde", "smtp.web.de", 465, TLSMode.IMPLICIT),
        ("sendgrid", "smtp.sendgrid.net", 465, TLSMode.IMPLICIT),
        ("postmark", "smtp.postmarkapp.com", 587, TLSMode.STARTTLS),
        ("brevo", "smtp-relay.brevo.com", 465, TLSMode.IMPLICIT),
        ("mailjet", "in-v3.mailjet.com", 587, TLSMode.STARTTLS),
    ],
)
def test_the_recommended_endpoint_prefers_implicit_tls_where_offered(
    provider_id: str, host: str, port: int, tls: str
) -> None:
    entry = provider(provider_id)

    assert (entry.submission_host_for(), entry.port, entry.tls) == (host, port, tls)
    if any(e.tls == TLSMode.IMPLICIT for e in entry.endpoints):
        assert entry.tls == TLSMode.IMPLICIT or entry.id == "icloud"


def test_postmark_has_no_implicit_tls_port() -> None:
    assert all(e.tls == TLSMode.STARTTLS for e in provider("postmark").endpoints)


def test_icloud_keeps_the_disputed_port_465_out_of_the_endpoints() -> None:
    icloud = provider("icloud")

    assert Endpoint(465, TLSMode.IMPLICIT) not in icloud.endpoints
    assert any("465" in note for note in icloud.notes)


def test_proton_keeps_the_unconfirmed_public_host_out_of_the_fields() -> None:
    proton = provider("proton-bridge")

    assert proton.submission_host == "127.0.0.1"
    assert not any("protonmail.ch" in suffix for suffix in proton.host_suffixes)
    assert any("smtp.protonmail.ch" in note and "unconfirmed" in note for note in proton.notes)


def test_ses_names_its_host_by_region() -> None:
    ses = provider("ses")

    assert ses.host_is_template
    assert ses.submission_host_for() is None
    assert ses.submission_host_for("EU-West-1") == "email-smtp.eu-west-1.amazonaws.com"
    assert Endpoint(2587, TLSMode.STARTTLS) in ses.endpoints
    assert Endpoint(2465, TLSMode.IMPLICIT) in ses.endpoints


# -- user names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider_id", "address", "username"),
    [
        ("gmail", "alice@gmail.com", "alice@gmail.com"),
        ("icloud", "alice@icloud.com", "alice@icloud.com"),
        ("gmx", "alice@gmx.de", "alice@gmx.de"),
        ("webde", "alice@web.de", "alice"),
        ("sendgrid", "alice@example.com", "apikey"),
        ("postmark", "alice@example.com", None),
        ("ses", "alice@example.com", None),
        ("brevo", "alice@example.com", None),
    ],
)
def test_the_user_name_follows_the_providers_rule(
    provider_id: str, address: str, username: str | None
) -> None:
    assert provider(provider_id).username_for(address) == username


def test_user_name_kinds_are_spelled_as_documented() -> None:
    assert provider("gmail").username == USERNAME_ADDRESS
    assert provider("webde").username == USERNAME_LOCAL_PART
    assert provider("sendgrid").username == "apikey"


# -- look-ups ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("gmail", "gmail"), (" SES ", "ses"), ("proton-bridge", "proton-bridge"), ("hotmail", None)],
)
def test_provider_by_id(text: str, expected: str | None) -> None:
    assert found_id(provider_by_id(text)) == expected


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("gmail.com", "gmail"),
        ("googlemail.com", "gmail"),
        ("GMail.COM.", "gmail"),
        ("alice@gmail.com", "gmail"),
        ("hotmail.co.uk", "outlook"),
        ("outlook.com", "outlook"),
        ("live.com", "outlook"),
        ("yahoo.com", "yahoo"),
        ("aol.com", "aol"),
        ("me.com", "icloud"),
        ("icloud.com", "icloud"),
        ("zohomail.com", "zoho"),
        ("fastmail.com", "fastmail"),
        ("proton.me", "proton-bridge"),
        ("gmx.de", "gmx"),
        ("web.de", "webde"),
        ("example.com", None),
        ("mail.gmail.com", None),
    ],
)
def test_provider_for_mail_domain(domain: str, expected: str | None) -> None:
    assert found_id(provider_for_mail_domain(domain)) == expected


@pytest.mark.parametrize(
    ("mx", "expected"),
    [
        ("aspmx.l.google.com", "gmail"),
        ("alt1.aspmx.l.google.com.", "gmail"),
        ("example-com.mail.protection.outlook.com", "microsoft365"),
        ("eur.olc.protection.outlook.com", "outlook"),
        ("mta5.am0.yahoodns.net", "yahoo"),
        ("mx-aol.mail.gm0.yahoodns.net", "aol"),
        ("mx01.mail.icloud.com", "icloud"),
        ("mx.zoho.eu", "zoho"),
        ("in1-smtp.messagingengine.com", "fastmail"),
        ("mail.protonmail.ch", "proton-bridge"),
        ("mx00.emig.gmx.net", "gmx"),
        ("mx-ha03.web.de", "webde"),
        ("mxa.mailgun.org", "mailgun"),
        ("mx.example.com", None),
        ("notgoogle.com", None),
    ],
)
def test_provider_for_mx_uses_the_longest_whole_label_suffix(mx: str, expected: str | None) -> None:
    assert found_id(provider_for_mx(mx)) == expected


# -- detection of the server being checked ------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("smtp.gmail.com", "gmail"),
        ("smtp-relay.gmail.com", "gmail"),
        ("smtp.office365.com", "microsoft365"),
        ("smtp-legacy.office365.com", "microsoft365"),
        ("smtp-mail.outlook.com", "outlook"),
        ("smtp.mail.yahoo.com", "yahoo"),
        ("smtp.aol.com", "aol"),
        ("smtp.mail.me.com", "icloud"),
        ("smtppro.zoho.eu", "zoho"),
        ("smtp.fastmail.com", "fastmail"),
        ("mail.gmx.net", "gmx"),
        ("smtp.web.de", "webde"),
        ("email-smtp.us-east-1.amazonaws.com", "ses"),
        ("smtp.sendgrid.net", "sendgrid"),
        ("smtp.eu.mailgun.org", "mailgun"),
        ("smtp-broadcasts.postmarkapp.com", "postmark"),
        ("smtp-relay.brevo.com", "brevo"),
        ("in-v3.mailjet.com", "mailjet"),
        ("ec2-198-51-100-7.compute-1.amazonaws.com", None),
        ("mail.example.com", None),
        ("127.0.0.1", None),
    ],
)
def test_detection_from_the_host_name(host: str, expected: str | None) -> None:
    assert found_id(detect_provider(host=host)) == expected


@pytest.mark.parametrize(
    "mx",
    [
        "alt1.aspmx.l.google.com",
        "example-com.mail.protection.outlook.com",
        "eur.olc.protection.outlook.com",
        "mta5.am0.yahoodns.net",
        "mx-aol.mail.gm0.yahoodns.net",
        "mx01.mail.icloud.com",
        "mx.zoho.eu",
        "in1-smtp.messagingengine.com",
        "mx00.emig.gmx.net",
        "mx-ha03.web.de",
        "mxa.mailgun.org",
    ],
)
def test_checking_an_mx_host_directly_names_the_same_provider_as_the_mx_lookup(mx: str) -> None:
    assert found_id(detect_provider(host=mx)) == found_id(provider_for_mx(mx))


@pytest.mark.parametrize(
    ("banner", "expected"),
    [
        ("smtp.gmail.com ESMTP a640c23a62f3a-a7f2 - gsmtp", "gmail"),
        ("mx.google.com ESMTP 5b1f17b1804b1 - gsmtp", "gmail"),
        (
            "BN9PR03CA0123.outlook.office365.com Microsoft ESMTP MAIL Service ready at Mon",
            "microsoft365",
        ),
        ("email-smtp.amazonaws.com ESMTP SimpleEmailService-d-ABC123", "ses"),
        ("smtp.mail.yahoo.com ESMTP ready", "yahoo"),
        ("mail.example.com ESMTP Postfix", None),
        ("", None),
    ],
)
def test_detection_from_the_banner_when_the_host_is_an_address(
    banner: str, expected: str | None
) -> None:
    assert found_id(detect_provider(host="127.0.0.1", banner=banner)) == expected


def test_detection_from_the_ehlo_domain() -> None:
    assert found_id(detect_provider(host="::1", ehlo_domain="smtp.fastmail.com")) == "fastmail"
    assert found_id(detect_provider(host="[::1]", ehlo_domain="mail.example.com")) is None


def test_the_host_name_outweighs_what_the_server_says() -> None:
    found = detect_provider(
        host="smtp.office365.com", banner="smtp.gmail.com ESMTP - gsmtp", ehlo_domain="gmail.com"
    )

    assert found_id(found) == "microsoft365"


def test_the_ehlo_domain_outweighs_the_banner() -> None:
    found = detect_provider(
        host="127.0.0.1", banner="smtp.gmail.com ESMTP - gsmtp", ehlo_domain="smtp.fastmail.com"
    )

    assert found_id(found) == "fastmail"


def test_proton_bridge_is_recognised_by_a_proton_login_on_loopback() -> None:
    assert found_id(detect_provider(host="127.0.0.1", username="alice@proton.me")) == (
        "proton-bridge"
    )
    assert detect_provider(host="mail.example.com", username="alice@proton.me") is None
    assert detect_provider(host="127.0.0.1", username="alice@gmail.com") is None


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("smtp.gmial.com", "smtp.gmail.com"),
        ("SMTP.GMAIL.CO.", "smtp.gmail.com"),
        ("smtp.office356.com", "smtp.office365.com"),
        ("smtp.gmail.com", None),  # a provider's host itself: never another one instead
        ("smtp.mail.me.com", None),
        ("example.com", None),
        ("smtp.example.com", None),
    ],
)
def test_a_mistyped_provider_host_suggests_the_host(name: str, suggestion: str | None) -> None:
    assert closest_submission_host(name) == suggestion
