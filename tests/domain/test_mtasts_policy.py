"""MTA-STS without the network: the TXT record, the policy file and MX matching, as RFC 8461
§3.1, §3.2 and §4.1 define them."""

from __future__ import annotations

import pytest

from smtpdoctor.domain.mtasts import (
    MAX_AGE_LIMIT,
    Mode,
    RecordError,
    StsRecord,
    mx_matches,
    parse_policy,
    parse_sts_record,
    select_sts_record,
)

GOOD = (
    b"version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\n"
    b"max_age: 604800\r\n"
)


def test_a_well_formed_record_gives_its_id() -> None:
    record = parse_sts_record("v=STSv1; id=20240601T000000;")
    assert record.id == "20240601T000000"


def test_a_record_may_carry_extension_fields_which_are_kept_aside() -> None:
    record = parse_sts_record("v=STSv1 ;id=abc123 ; ext_1=value")
    assert (record.id, record.extensions) == ("abc123", ("ext_1=value",))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("v=STSv1;", "no id= field"),
        ("v=STSv1; id=", "not 1 to 32 letters and digits"),
        ("v=STSv1; id=2024-06-01", "not 1 to 32 letters and digits"),
        ("v=STSv1; id=" + "a" * 33, "not 1 to 32 letters and digits"),
        ("v=STSv1; id=a; id=b", "2 id= fields"),
        ("v=STSv1; id=a; garbage", "not a name=value field"),
    ],
)
def test_a_malformed_record_is_refused_in_words(text: str, words: str) -> None:
    with pytest.raises(RecordError, match=words):
        parse_sts_record(text)


def test_only_records_beginning_with_the_version_count_as_mta_sts_records() -> None:
    texts = ("v=STSv1; id=1", "v=spf1 -all", "v=STSv10; id=2", "V=STSv1; id=3", "v=STSv1")
    assert select_sts_record(texts).records == ("v=STSv1; id=1", "v=STSv1")


def test_the_one_mta_sts_record_among_other_txt_records_is_selected_and_parsed() -> None:
    selection = select_sts_record(("v=spf1 -all", "v=STSv1; id=20240601"))
    assert selection.value == StsRecord("20240601")
    assert not selection.multiple


def test_with_two_mta_sts_records_none_is_selected() -> None:
    selection = select_sts_record(("v=STSv1; id=1", "v=STSv1; id=2"))
    assert (selection.multiple, selection.value) == (True, None)


def test_a_malformed_mta_sts_record_is_not_selected_and_says_why() -> None:
    selection = select_sts_record(("v=STSv1; id=2024-06-01",))
    assert selection.value is None
    assert "not 1 to 32 letters and digits" in selection.error


def test_a_second_version_field_is_refused() -> None:
    with pytest.raises(RecordError, match="two v= fields"):
        parse_sts_record("v=STSv1; id=1; v=STSv1")


def test_a_well_formed_policy_with_crlf_lines_is_valid() -> None:
    parsed = parse_policy(GOOD)
    assert parsed.errors == ()
    assert parsed.policy is not None
    assert parsed.policy.mode is Mode.ENFORCE
    assert parsed.policy.max_age == 604800
    assert parsed.policy.mx == ("mx1.example.com", "*.example.net")
    assert parsed.line_ending == "CRLF"


def test_lf_line_ends_are_as_good_as_crlf() -> None:
    parsed = parse_policy(GOOD.replace(b"\r\n", b"\n"))
    assert parsed.policy is not None
    assert parsed.line_ending == "LF"


def test_unknown_keys_are_ignored_and_named() -> None:
    parsed = parse_policy(GOOD + b"comment_x: hello\r\n")
    assert parsed.policy is not None
    assert parsed.ignored == ("comment_x",)


def test_mode_none_needs_no_mx_line() -> None:
    parsed = parse_policy(b"version: STSv1\nmode: none\nmax_age: 86400\n")
    assert parsed.policy is not None
    assert parsed.policy.mode is Mode.NONE


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"mode: enforce\nmx: a.example.com\nmax_age: 86400\n", "no version line"),
        (b"version: STSv1\nmx: a.example.com\nmax_age: 86400\n", "no mode line"),
        (b"version: STSv1\nmode: enforce\nmx: a.example.com\n", "no max_age line"),
        (b"version: STSv1\nmode: enforce\nmax_age: 86400\n", "no mx line"),
        (b"version: STSv2\nmode: enforce\nmx: a.example.com\nmax_age: 1\n", "not STSv1"),
        (b"version: STSv1\nmode: strict\nmx: a.example.com\nmax_age: 1\n", "not enforce"),
        (
            b"version: STSv1\nmode: enforce\nmode: testing\nmx: a.example.com\nmax_age: 1\n",
            "2 mode",
        ),
        (b"version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: -5\n", "not a number"),
        (
            b"version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: %d\n"
            % (MAX_AGE_LIMIT + 1),
            "over the limit",
        ),
        (b"version: STSv1\nmode: enforce\nmx: a..example.com\nmax_age: 1\n", "not a host name"),
        (b"version: STSv1\nmode: enforce\nmx: mail\nmax_age: 1\n", "not a host name"),
        (b"version: STSv1\nMode: enforce\nmx: a.example.com\nmax_age: 1\n", "lower-case"),
        (b"version: STSv1\n<html>\n", "not 'key: value'"),
        (b"version: STSv1\nmode: enforce\xff\n", "not UTF-8"),
    ],
)
def test_a_broken_policy_is_invalid_and_says_why(body: bytes, words: str) -> None:
    parsed = parse_policy(body)
    assert parsed.policy is None
    assert any(words in error for error in parsed.errors), parsed.errors


def test_a_policy_of_thousands_of_lines_is_read_only_so_far() -> None:
    parsed = parse_policy(GOOD + b"x: y\n" * 5000)
    assert parsed.policy is None
    assert any("only the first 1000" in error for error in parsed.errors)


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("mx1.example.com", "mx1.example.com", True),
        ("MX1.Example.COM", "mx1.example.com.", True),
        ("mx1.example.com", "mx2.example.com", False),
        ("*.example.com", "mx1.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("*.example.com", "badexample.com", False),
    ],
)
def test_an_mx_pattern_matches_the_name_or_exactly_one_leftmost_label(
    pattern: str, host: str, matches: bool
) -> None:
    assert mx_matches(pattern, host) is matches


def test_a_policy_names_the_pattern_an_mx_host_matched() -> None:
    policy = parse_policy(GOOD).policy
    assert policy is not None
    assert policy.pattern_for("relay.example.net") == "*.example.net"
    assert policy.pattern_for("mx2.example.com") is None
