"""What ``smtpdoctor domain`` is asked (``DomainRequest``): the domain as typed becomes the one
every check uses, and whatever cannot be audited is refused in words, before any look-up."""

from __future__ import annotations

import pytest

from smtpdoctor.domain import DomainRequest, normalise_domain
from smtpdoctor.domain.request import DEFAULT_MAX_EXCHANGERS
from smtpdoctor.model.words import ConfigError
from smtpdoctor.settings.config import NameServer

# -- the domain as every check uses it -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("  example.com\t", "example.com"),
        ("mail.example.co.uk", "mail.example.co.uk"),
        ("Bücher.Example.", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("straße.de", "xn--strae-oqa.de"),
    ],
)
def test_the_domain_is_lower_case_ascii_without_the_final_dot(typed: str, name: str) -> None:
    assert normalise_domain(typed) == name
    assert DomainRequest(typed).name == name


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("alice@example.com", "example.com"),
        ("Alice.Smith@Mail.Example.COM", "mail.example.com"),
        ("jörg@Bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_an_address_gives_its_domain(typed: str, name: str) -> None:
    assert DomainRequest(typed).name == name


def test_the_request_keeps_the_domain_as_typed() -> None:
    request = DomainRequest("Bücher.Example.")

    assert request.domain == "Bücher.Example."
    assert request.name == "xn--bcher-kva.example"


def test_the_defaults_audit_everything_on_the_internet_ports() -> None:
    request = DomainRequest("example.com")

    assert request.smtp
    assert (request.smtp_port, request.https_port) == (25, 443)
    assert request.max_exchangers == DEFAULT_MAX_EXCHANGERS
    assert request.dns_servers == ()


def test_a_request_is_frozen() -> None:
    request = DomainRequest("example.com", dns_servers=(NameServer("127.0.0.1", 5353),))

    with pytest.raises(AttributeError):
        request.domain = "example.org"  # type: ignore[misc]


# -- refusals, in words ----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["192.0.2.1", "2001:db8::1", "[2001:db8::1]", "bob@[192.0.2.1]"])
def test_an_ip_address_is_refused_and_check_is_suggested(typed: str) -> None:
    with pytest.raises(ConfigError, match="is an IP address; a mail domain is a name") as refused:
        DomainRequest(typed)

    assert "smtpdoctor check" in str(refused.value)


@pytest.mark.parametrize("typed", ["https://example.com", "smtp://mail.example.com:25"])
def test_a_url_is_refused(typed: str) -> None:
    with pytest.raises(ConfigError, match="is a URL; give the mail domain alone"):
        DomainRequest(typed)


@pytest.mark.parametrize("typed", ["localhost", "com.", "Bücher"])
def test_a_name_without_a_dot_is_refused_with_an_example(typed: str) -> None:
    with pytest.raises(ConfigError, match=r"has no dot: give the full mail domain, such as"):
        DomainRequest(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "exa mple.com",
        "example.com/path",
        "example..com",
        ".example.com",
        "x" * 64 + ".com",
        "ex!ample.com",
        "_dmarc.example.com",
        "-foo.example.com",
        "xn--zz.example.com",
        "example.com..",
    ],
)
def test_a_name_with_bad_labels_is_refused(typed: str) -> None:
    with pytest.raises(ConfigError, match="is not a valid domain name"):
        DomainRequest(typed)


def test_a_name_of_253_characters_is_accepted_and_254_refused() -> None:
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 characters
    too_long = "e" + longest

    assert DomainRequest(longest).name == longest
    with pytest.raises(ConfigError, match="is not a valid domain name"):
        DomainRequest(too_long)


@pytest.mark.parametrize("typed", ["", "   ", "\t"])
def test_no_domain_at_all_is_refused_with_an_example(typed: str) -> None:
    with pytest.raises(ConfigError, match=r"give a domain to audit, such as example\.com"):
        DomainRequest(typed)


@pytest.mark.parametrize("address", ["mail.example.com", "192.0.2.300", "2001:db8::g"])
def test_a_sending_ip_that_is_not_an_address_is_refused(address: str) -> None:
    with pytest.raises(
        ConfigError, match="--sending-ip needs an IPv4 or IPv6 address, not "
    ) as refused:
        DomainRequest("example.com", sending_ips=("192.0.2.1", address))

    assert repr(address) in str(refused.value)


def test_sending_ips_of_both_versions_are_accepted() -> None:
    request = DomainRequest("example.com", sending_ips=("192.0.2.1", "2001:db8::25"))

    assert request.sending_ips == ("192.0.2.1", "2001:db8::25")


@pytest.mark.parametrize("field", ["timeout", "deadline"])
@pytest.mark.parametrize("seconds", [0, -1.5])
def test_a_timeout_or_deadline_that_is_not_positive_is_refused(field: str, seconds: float) -> None:
    with pytest.raises(ConfigError, match="must be positive numbers of seconds"):
        DomainRequest("example.com", **{field: seconds})  # type: ignore[arg-type]


def test_probing_no_exchanger_at_all_is_refused() -> None:
    with pytest.raises(ConfigError, match="--max-mx must be at least 1"):
        DomainRequest("example.com", max_exchangers=0)


def test_a_source_address_of_the_other_ip_version_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"is an IPv6 address, but the run is limited to IPv4"):
        DomainRequest("example.com", family=4, source_address="::1")


def test_an_unknown_address_family_is_refused() -> None:
    with pytest.raises(ConfigError, match="the address family is 4"):
        DomainRequest("example.com", family=5)


def test_a_dkim_selector_that_is_not_dns_labels_is_refused() -> None:
    with pytest.raises(ConfigError, match="--dkim-selector: 'a b' is not a DKIM selector"):
        DomainRequest("example.com", dkim_selectors=("a b",))
