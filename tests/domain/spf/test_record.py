"""Reading SPF records (RFC 7208 §4.5, §4.6, §5, §6, §12) and macros (§7), without DNS."""

from __future__ import annotations

import ipaddress

import pytest

from smtpdoctor.mailauth.spf import (
    Kind,
    MacroSyntaxError,
    Qualifier,
    SPFSyntaxError,
    is_spf_record,
    parse_macro_string,
    parse_record,
)
from smtpdoctor.mailauth.spf.macros import expand
from smtpdoctor.mailauth.spf.record import MAX_RECORD_CHARS, MAX_TERMS


@pytest.mark.parametrize("text", ["v=spf1", "v=spf1 -all", "V=SpF1 mx", "v=spf1 "])
def test_a_record_is_v_spf1_alone_or_followed_by_a_space(text: str) -> None:
    assert is_spf_record(text)


@pytest.mark.parametrize("text", ["v=spf10", "v=spf1mx", "v=spf1\t-all", "spf1 -all", ""])
def test_anything_else_is_not_an_spf_record(text: str) -> None:
    assert not is_spf_record(text)


def test_a_record_is_read_into_typed_terms_in_order() -> None:
    record = parse_record(
        "v=spf1 ip4:192.0.2.0/24 ip6:2001:DB8::/32 a mx:mail.example.com/24//64 "
        "-ptr ?exists:%{i}.bl.example.com include:_spf.example.net ~all "
        "exp=why.example.com redirect=other.example.com note=x"
    )

    kinds = [term.kind for term in record.mechanisms]
    assert kinds == [
        Kind.IP4,
        Kind.IP6,
        Kind.A,
        Kind.MX,
        Kind.PTR,
        Kind.EXISTS,
        Kind.INCLUDE,
        Kind.ALL,
    ]
    mx = record.mechanisms[3]
    assert (mx.cidr4, mx.cidr6) == (24, 64)
    assert mx.target is not None and mx.target.literal == "mail.example.com"
    assert record.mechanisms[1].network == ipaddress.ip_network("2001:db8::/32")
    assert record.mechanisms[4].qualifier is Qualifier.FAIL
    assert record.mechanisms[5].target is not None and record.mechanisms[5].target.literal is None
    assert record.all is not None and record.all.qualifier is Qualifier.SOFTFAIL
    assert record.redirect is not None and record.redirect.literal == "other.example.com"
    assert [m.name for m in record.modifiers] == ["note"]


def test_the_terms_that_ask_dns_are_counted() -> None:
    record = parse_record(
        "v=spf1 a mx ptr exists:x.example.com include:y.example.com "
        "ip4:192.0.2.1 redirect=z.example.com"
    )

    assert record.lookup_terms == 6


def test_mechanism_and_modifier_names_are_case_insensitive() -> None:
    record = parse_record("v=spf1 IP4:192.0.2.1 Include:x.example.com -ALL Redirect=y.example.com")

    assert [t.kind for t in record.mechanisms] == [Kind.IP4, Kind.INCLUDE, Kind.ALL]
    assert record.redirect is not None


def test_several_spaces_and_a_trailing_space_are_allowed() -> None:
    assert len(parse_record("v=spf1  a   -all ").mechanisms) == 2


@pytest.mark.parametrize(
    ("text", "term", "why"),
    [
        ("v=spf1 ip4:192.0.2.300", "ip4:192.0.2.300", "not an IPv4 address"),
        ("v=spf1 ip4:192.0.2", "ip4:192.0.2", "not an IPv4 address"),
        ("v=spf1 ip4:192.0.02.1", "ip4:192.0.02.1", "no leading zeros"),
        ("v=spf1 ip4:192.0.2.1/33", "ip4:192.0.2.1/33", "0 to 32"),
        ("v=spf1 ip4:192.0.2.1/032", "ip4:192.0.2.1/032", "no leading zeros"),
        ("v=spf1 ip4:mail.example.com", "ip4:mail.example.com", "not an IPv4 address"),
        ("v=spf1 ip6:2001:db8::/129", "ip6:2001:db8::/129", "0 to 128"),
        ("v=spf1 ip6::CAFE::BABE", "ip6::CAFE::BABE", "not an IPv6 address"),
        ("v=spf1 ip4", "ip4", "needs an address"),
        ("v=spf1 a:192.0.2.1", "a:192.0.2.1", "write ip4:192.0.2.1"),
        ("v=spf1 a:localhost", "a:localhost", "at least two labels"),
        ("v=spf1 a/24/64", "a/24/64", "optional :domain"),
        ("v=spf1 a//129", "a//129", "0 to 128"),
        ("v=spf1 mx:example.com:8080", "mx:example.com:8080", "is not a domain"),
        ("v=spf1 include", "include", "needs a domain"),
        ("v=spf1 include:", "include:", "the domain is empty"),
        ("v=spf1 ptr/24", "ptr/24", "no prefix length"),
        ("v=spf1 -all.", "-all.", "unknown mechanism 'all.'"),
        ("v=spf1 -all:x", "-all:x", "takes no domain"),
        ("v=spf1 allow", "allow", "unknown mechanism"),
        ("v=spf1 redirect:x.example.com", "redirect:x.example.com", "unknown mechanism"),
        ("v=spf1 =all", "=all", "unknown mechanism"),
        ("v=spf1 1up=foo", "1up=foo", "unknown mechanism"),
        ("v=spf1 redirect=a.example redirect=b.example", "redirect=b.example", "only once"),
        ("v=spf1 exp=", "exp=", "the domain is empty"),
        ("v=spf1 exp=-all", "exp=-all", "is not a domain"),
        ("v=spf1 foo=%abc", "foo=%abc", "a % must be followed by"),
        ("v=spf1 a:ctrl.example.com\rptr", "a:ctrl.example.com\rptr", "'\\r' is not allowed"),
        ("v=spf1 a:\u00e9.example.com", "a:\u00e9.example.com", "not allowed"),
    ],
)
def test_a_syntax_error_names_the_term_and_why(text: str, term: str, why: str) -> None:
    with pytest.raises(SPFSyntaxError) as raised:
        parse_record(text)

    assert raised.value.term == term
    assert why in raised.value.reason
    assert repr(term) in str(raised.value)


def test_a_syntax_error_after_a_matching_term_is_still_an_error() -> None:
    with pytest.raises(SPFSyntaxError):
        parse_record("v=spf1 -all moo")


def test_unknown_modifiers_are_kept_and_may_repeat() -> None:
    record = parse_record("v=spf1 default=pass moo.cow-far_out=man:dog/cat default=+ -all")

    assert [m.name for m in record.modifiers] == ["default", "moo.cow-far_out", "default"]


def test_a_huge_record_is_refused_before_it_is_read() -> None:
    with pytest.raises(SPFSyntaxError, match=f"at most {MAX_RECORD_CHARS}"):
        parse_record("v=spf1 " + "a " * MAX_RECORD_CHARS)


def test_too_many_terms_are_refused() -> None:
    with pytest.raises(SPFSyntaxError, match=f"at most {MAX_TERMS}"):
        parse_record("v=spf1" + " a" * (MAX_TERMS + 1))


def test_a_domain_spec_may_end_in_a_macro_or_a_top_label_with_a_hyphen() -> None:
    record = parse_record("v=spf1 exists:%{i}._spf.%{d2} a:foo.example.xn--zckzah a:x.%{d}")

    assert len(record.mechanisms) == 3


# -- macros (§7) -------------------------------------------------------------------------------

#: RFC 7208 §7.4: sender strong-bad@email.example.com, IP 192.0.2.3.
RFC_VALUES = {
    "s": "strong-bad@email.example.com",
    "o": "email.example.com",
    "d": "email.example.com",
    "l": "strong-bad",
    "i": "192.0.2.3",
    "v": "in-addr",
    "h": "mx.example.org",
}


@pytest.mark.parametrize(
    ("macro", "expansion"),
    [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ],
)
def test_macros_expand_as_rfc_7208_section_7_4_shows(macro: str, expansion: str) -> None:
    assert expand(parse_macro_string(macro), RFC_VALUES.__getitem__) == expansion


def test_upper_case_macros_are_url_escaped() -> None:
    values = {"l": "~jack&jill=up-a_b3.c"}

    assert expand(parse_macro_string("l=%{L}"), values.__getitem__) == "l=~jack%26jill%3Dup-a_b3.c"


def test_escapes_give_percent_space_and_url_space() -> None:
    text = expand(parse_macro_string("a%%b%_c%-d"), RFC_VALUES.__getitem__)

    assert text == "a%b c%20d"


def test_several_delimiters_split_a_value() -> None:
    values = {"l": "foo-bar+zip+quux"}

    assert expand(parse_macro_string("%{l2r+-}"), values.__getitem__) == "bar.foo"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("%{x}", "not one of"),
        ("%{c}", "not one of"),
        ("%{d0}", "must not be zero"),
        ("%{d", "never closed"),
        ("%(ir)", "must be followed by"),
        ("foo%", "must be followed by"),
        ("%{d2q}", "is not a macro"),
        ("a b", "' ' is not allowed"),
    ],
)
def test_a_bad_macro_string_says_why(text: str, why: str) -> None:
    with pytest.raises(MacroSyntaxError, match=why):
        parse_macro_string(text)


def test_an_explanation_may_use_spaces_and_the_letters_c_r_t() -> None:
    text = parse_macro_string("%{c} is not one of %{d}'s senders (%{r}, %{t})", explanation=True)

    assert [piece.letter for piece in text.pieces if not isinstance(piece, str)] == [
        "c",
        "d",
        "r",
        "t",
    ]


def test_nothing_after_the_first_all_is_evaluated_or_counted() -> None:
    record = parse_record("v=spf1 a -all mx include:x.example.com ?all redirect=y.example.com")

    assert [term.text for term in record.evaluated] == ["a", "-all"]
    assert [term.text for term in record.after_all] == ["mx", "include:x.example.com", "?all"]
    assert record.lookup_terms == 1  # a; redirect is ignored when there is an all (§6.1)


def test_a_record_without_all_is_evaluated_whole() -> None:
    record = parse_record("v=spf1 a mx redirect=y.example.com")

    assert len(record.evaluated) == 2
    assert record.after_all == ()
    assert record.lookup_terms == 3
