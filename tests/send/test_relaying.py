"""Whose mail is it: the rules ``send`` applies before it calls a server an open relay
(:mod:`smtpdoctor.checks.relaying`), without a server.  When in doubt, a recipient is the
server's own: a wrong "open relay" on an ordinary MX is worse than a missed one."""

from __future__ import annotations

import pytest

from smtpdoctor.checks.relaying import (
    OutsideRecipient,
    ServerNames,
    announced_names,
    domain_of,
    outside_recipient,
    related,
    served_here,
    site_of,
)

MX = ServerNames(host="127.0.0.1", announced=("mail.smtpdoctor.test",))
STRANGER = "stranger@elsewhere.example"


@pytest.mark.parametrize(
    ("name", "site"),
    [
        ("mail.smtpdoctor.test", "smtpdoctor.test"),
        ("mx1.eu.example.com", "eu.example.com"),
        ("example.com", "example.com"),
        ("localhost", "localhost"),
        ("mail.example.co.uk", "example.co.uk"),
        ("example.co.uk", "example.co.uk"),
        ("smtp.example.com.au", "example.com.au"),
        ("Mail.Example.COM.", "example.com"),
        ("mail.exämple.test", "xn--exmple-cua.test"),
    ],
)
def test_a_host_names_site_is_the_name_without_its_first_label(name: str, site: str) -> None:
    assert site_of(name) == site


@pytest.mark.parametrize(
    "name", ["127.0.0.1", "::1", "[192.0.2.1]", "[IPv6:2001:db8::1]", "not a name", "", "-x-.com"]
)
def test_addresses_and_what_is_no_host_name_have_no_site(name: str) -> None:
    assert site_of(name) is None


@pytest.mark.parametrize(
    ("domain", "site", "expected"),
    [
        ("example.com", "example.com", True),
        ("lists.example.com", "example.com", True),
        ("example.com", "eu.example.com", True),
        ("com", "example.com", False),
        ("example.org", "example.com", False),
        ("badexample.com", "example.com", False),
        ("example.com.evil.test", "example.com", False),
    ],
)
def test_a_domain_is_related_to_a_site_it_equals_or_that_contains_the_other(
    domain: str, site: str, expected: bool
) -> None:
    assert related(domain, site) is expected


def test_a_recipient_outside_the_senders_and_the_servers_domains_is_outside() -> None:
    assert outside_recipient("alice@smtpdoctor.test", "someone@outside.example", MX) == (
        OutsideRecipient("outside.example", ("smtpdoctor.test",))
    )


def test_the_description_names_both_sides() -> None:
    outside = OutsideRecipient("outside.example", ("smtpdoctor.test", "example.net"))

    assert outside.describe() == (
        "outside.example is neither the sender's domain nor the server's "
        "(smtpdoctor.test, example.net)"
    )


@pytest.mark.parametrize(
    "recipient",
    [
        "bob@smtpdoctor.test",
        "bob@Lists.SmtpDoctor.test.",
        "bob@mail.smtpdoctor.test",
    ],
)
def test_the_servers_own_domain_is_never_outside(recipient: str) -> None:
    assert outside_recipient(STRANGER, recipient, MX) is None


def test_the_senders_own_domain_is_never_outside() -> None:
    assert outside_recipient("alice@Customer.example", "bob@customer.EXAMPLE", MX) is None


def test_the_host_typed_and_the_mail_domain_checked_are_the_servers_own() -> None:
    typed = ServerNames(host="smtp.provider.example")
    checked = ServerNames(host="127.0.0.1", mail_domain="customer.example")

    assert outside_recipient(STRANGER, "bob@provider.example", typed) is None
    assert outside_recipient(STRANGER, "bob@customer.example", checked) is None
    assert outside_recipient(STRANGER, "bob@customer.example", typed) is not None


def test_an_internationalised_recipient_matches_the_servers_ascii_name() -> None:
    server = ServerNames(host="mail.xn--exmple-cua.test")

    assert outside_recipient(STRANGER, "jörg@exämple.test", server) is None


@pytest.mark.parametrize("recipient", ["bob@[192.0.2.1]", "postmaster", "@example.com"])
def test_a_recipient_without_a_domain_name_cannot_be_told_and_is_not_outside(
    recipient: str,
) -> None:
    assert outside_recipient(STRANGER, recipient, MX) is None


def test_a_server_that_names_no_domain_has_none_of_its_own() -> None:
    nameless = ServerNames(host="127.0.0.1", announced=("[127.0.0.1]",))

    assert nameless.domains() == ()
    assert outside_recipient(STRANGER, "bob@example.test", nameless) == OutsideRecipient(
        "example.test", ()
    )


def test_the_announced_names_are_the_first_word_of_each_greeting_and_ehlo_text() -> None:
    texts = ["mail.example.test ESMTP Postfix", None, "", "mail.example.test", "mx.example.test"]

    assert announced_names(texts) == ("mail.example.test", "mx.example.test")


def test_the_domain_of_an_address_is_normalised() -> None:
    assert domain_of("Bob@Example.COM.") == "example.com"
    assert domain_of("bob@[IPv6:2001:db8::1]") is None


# -- a domain whose mail goes to this server ---------------------------------------------------

HOSTER = ServerNames(
    host="mx.hoster.example", announced=("mx.hoster.example",), address="192.0.2.7"
)


@pytest.mark.parametrize(
    ("exchangers", "found"),
    [
        ([("mx2.hoster.example", ["198.51.100.1"])], "mx2.hoster.example"),
        ([("in.customer.example", ["192.0.2.7"])], "in.customer.example"),
        ([("mx.other.example", []), ("mx.hoster.example", [])], "mx.hoster.example"),
        ([("mx.other.example", ["198.51.100.1"])], None),
        ([], None),
    ],
    ids=["named like the server", "its address", "a backup MX", "elsewhere", "no MX"],
)
def test_a_domain_is_served_here_when_an_mx_of_it_is_this_server(
    exchangers: list[tuple[str, list[str]]], found: str | None
) -> None:
    assert served_here(exchangers, HOSTER) == found


def test_without_a_known_address_only_the_names_tell() -> None:
    unconnected = ServerNames(host="mx.hoster.example")

    assert served_here([("in.customer.example", ["192.0.2.7"])], unconnected) is None


def test_an_outside_recipient_says_where_its_mail_goes_or_why_that_is_unknown() -> None:
    plain = OutsideRecipient("outside.example", ("hoster.example",))

    assert plain.describe() == (
        "outside.example is neither the sender's domain nor the server's (hoster.example)"
    )
    assert (
        OutsideRecipient("outside.example", ("hoster.example",), exchangers=("mx.outside.example",))
        .describe()
        .endswith(", and its mail goes to mx.outside.example, not here")
    )
    assert (
        OutsideRecipient(
            "outside.example", ("hoster.example",), dns_note="its MX: no such name (NXDOMAIN)"
        )
        .describe()
        .endswith("(hoster.example); its MX: no such name (NXDOMAIN)")
    )
