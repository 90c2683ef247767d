"""Specification of :meth:`Capabilities.from_ehlo`: what a server says it can do."""

from __future__ import annotations

import pytest

from smtpdoctor.protocol import Capabilities, Reply, ReplyParser


def ehlo(*lines: str) -> Capabilities:
    """Parse the EHLO reply made of ``lines`` as it would arrive on the wire."""
    parser = ReplyParser()
    parser.feed(Reply(250, lines).to_wire())
    reply = parser.next_reply()
    assert reply is not None
    return Capabilities.from_ehlo(reply)


GMAIL_AFTER_STARTTLS = (
    "smtp.gmail.com at your service, [1.2.3.4]",
    "SIZE 35882577",
    "8BITMIME",
    "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
    "ENHANCEDSTATUSCODES",
    "PIPELINING",
    "CHUNKING",
    "SMTPUTF8",
)


def test_gmail_ehlo_after_starttls_is_fully_understood() -> None:
    caps = ehlo(*GMAIL_AFTER_STARTTLS)
    assert caps.domain == "smtp.gmail.com"
    assert caps.greeting == "at your service, [1.2.3.4]"
    assert caps.auth_mechanisms == (
        "LOGIN",
        "PLAIN",
        "XOAUTH2",
        "PLAIN-CLIENTTOKEN",
        "OAUTHBEARER",
        "XOAUTH",
    )
    assert caps.size_limit == 35882577
    assert caps.keywords() == (
        "SIZE",
        "8BITMIME",
        "AUTH",
        "ENHANCEDSTATUSCODES",
        "PIPELINING",
        "CHUNKING",
        "SMTPUTF8",
    )
    assert caps.masked == ()


@pytest.mark.parametrize("keyword", ["pipelining", "PIPELINING", "Pipelining", "smtputf8"])
def test_supports_is_case_insensitive(keyword: str) -> None:
    assert ehlo(*GMAIL_AFTER_STARTTLS).supports(keyword)


def test_unadvertised_extension_is_not_supported() -> None:
    """Gmail does not offer STARTTLS again once TLS is up."""
    assert not ehlo(*GMAIL_AFTER_STARTTLS).supports("STARTTLS")


def test_keywords_are_upper_cased_and_parameters_keep_their_case() -> None:
    caps = ehlo("mx.example.com", "x-custom Param Value")
    assert caps.extensions == {"X-CUSTOM": ("Param", "Value")}


def test_old_auth_equals_form_is_merged_with_auth() -> None:
    """Some servers send ``AUTH=LOGIN PLAIN`` for pre-RFC 4954 clients next to ``AUTH``."""
    caps = ehlo("mx.example.com", "AUTH LOGIN PLAIN CRAM-MD5", "AUTH=LOGIN PLAIN")
    assert caps.auth_mechanisms == ("LOGIN", "PLAIN", "CRAM-MD5")
    assert caps.supports("auth")
    assert "AUTH=LOGIN" not in caps.extensions


def test_old_auth_equals_form_alone_is_enough() -> None:
    caps = ehlo("mx.example.com", "AUTH=login plain")
    assert caps.auth_mechanisms == ("LOGIN", "PLAIN")


def test_auth_equals_with_nothing_after_it_adds_no_empty_mechanism() -> None:
    caps = ehlo("mx.example.com", "AUTH=", "AUTH PLAIN")
    assert caps.auth_mechanisms == ("PLAIN",)


def test_no_auth_means_no_mechanisms() -> None:
    assert ehlo("mx.example.com", "PIPELINING").auth_mechanisms == ()


@pytest.mark.parametrize("masked", ["XXXXXXXA", "XXXXXXXB", "XXXXXXXX", "xxxxa"])
def test_masked_lines_from_a_middlebox_are_collected_not_treated_as_extensions(
    masked: str,
) -> None:
    """Cisco "SMTP fixup" overwrites stripped keywords (usually STARTTLS) with X's."""
    caps = ehlo("mx.example.com", "PIPELINING", masked, "8BITMIME")
    assert caps.masked == (masked,)
    assert caps.keywords() == ("PIPELINING", "8BITMIME")
    assert not caps.supports(masked)


@pytest.mark.parametrize("keyword", ["XEXCH50", "X-LINK2STATE", "XCLIENT", "XXX"])
def test_extensions_that_merely_start_with_x_are_not_masked(keyword: str) -> None:
    caps = ehlo("mx.example.com", keyword)
    assert caps.masked == ()
    assert caps.supports(keyword)


def test_size_without_a_number_means_no_fixed_limit() -> None:
    assert ehlo("mx.example.com", "SIZE").size_limit == 0


def test_size_with_a_non_numeric_parameter_means_no_fixed_limit() -> None:
    assert ehlo("mx.example.com", "SIZE unlimited").size_limit == 0


@pytest.mark.parametrize("digits", ["\u00b2", "\u0661\u0662", "\uff11"])
def test_size_with_non_ascii_digits_means_no_fixed_limit_not_a_crash(digits: str) -> None:
    """str.isdigit() accepts "²", which int() refuses: a server's bytes must not crash us."""
    assert ehlo("mx.example.com", f"SIZE {digits}").size_limit == 0


def test_no_size_means_the_limit_is_unknown() -> None:
    assert ehlo("mx.example.com", "PIPELINING").size_limit is None


def test_greeting_line_only_gives_domain_and_no_extensions() -> None:
    caps = ehlo("mx.example.com")
    assert caps.domain == "mx.example.com"
    assert caps.greeting == ""
    assert caps.keywords() == ()


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("!!!", id="punctuation"),
        pytest.param("-DASH-FIRST", id="leading-dash"),
        pytest.param("\ufffd\ufffd", id="replacement-characters"),
        pytest.param("ÜMLAUT", id="non-ascii-keyword"),
        pytest.param("AUTH=", id="auth-equals-alone"),
    ],
)
def test_empty_and_odd_lines_are_ignored_without_crashing(odd: str) -> None:
    caps = ehlo("mx.example.com Hello", odd, "PIPELINING")
    assert caps.supports("PIPELINING")
    assert caps.domain == "mx.example.com"
    assert caps.auth_mechanisms == ()
    assert caps.masked == ()


def test_reply_without_lines_does_not_crash() -> None:
    caps = Capabilities.from_ehlo(Reply(250, ()))
    assert caps.domain == ""
    assert caps.keywords() == ()


def test_extensions_cannot_be_modified() -> None:
    caps = ehlo("mx.example.com", "PIPELINING")
    with pytest.raises(TypeError):
        caps.extensions["STARTTLS"] = ()  # type: ignore[index]
