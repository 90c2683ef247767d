"""Turning what people type into a RunConfig, and refusing what cannot work."""

from __future__ import annotations

import pytest

from smtpdoctor.config import ConfigError, RunConfig, TLSMode, parse_target


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smtp.gmail.com", ("smtp.gmail.com", 587)),
        ("smtp.gmail.com:465", ("smtp.gmail.com", 465)),
        ("127.0.0.1:25", ("127.0.0.1", 25)),
        ("[::1]:2525", ("::1", 2525)),
        ("[2001:db8::1]", ("2001:db8::1", 587)),
        ("2001:db8::1", ("2001:db8::1", 587)),
        ("  mail.example.com  ", ("mail.example.com", 587)),
    ],
)
def test_targets_people_type(text: str, expected: tuple[str, int]) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("host:", "is not a port number"),
        ("host:0", "is not a port number"),
        ("host:smtp", "is not a port number"),
        ("[::1", "missing ']'"),
        ("[::1]x", "expected ':PORT'"),
        ("2001:db8::zz", "write an IPv6 address with a port as [ADDRESS]:PORT"),
        (":25", "the host name is empty"),
        ("bob@example.com", "is an email address"),
        ("host\nQUIT", "contains a LF character"),
        ("host\0", "contains a NUL character"),
    ],
)
def test_bad_targets_are_refused_in_words(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_target(text)


@pytest.mark.parametrize(
    ("port", "mode"),
    [
        (465, TLSMode.IMPLICIT),
        (2465, TLSMode.IMPLICIT),
        (587, TLSMode.STARTTLS),
        (25, TLSMode.STARTTLS),
    ],
)
def test_auto_tls_is_implicit_on_465_and_starttls_elsewhere(port: int, mode: TLSMode) -> None:
    assert RunConfig(host="mx.example", port=port).tls_mode is mode


def test_an_explicit_tls_mode_wins_over_the_port() -> None:
    assert RunConfig(host="mx.example", port=465, tls=TLSMode.STARTTLS).tls_mode is TLSMode.STARTTLS


def test_submission_ports_are_known() -> None:
    assert RunConfig(host="mx.example", port=587).is_submission_port
    assert RunConfig(host="mx.example", port=465).is_submission_port
    assert not RunConfig(host="mx.example", port=25).is_submission_port


@pytest.mark.parametrize(
    "fields",
    [
        {"port": 70000},
        {"helo_name": "two words"},
        {"helo_name": "name\r\nMAIL FROM:<x>"},
        {"timeout": 0},
        {"deadline": -1},
    ],
)
def test_impossible_configs_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        RunConfig(host="mx.example", **fields)  # type: ignore[arg-type]
