"""Turning what people type into a RunConfig, and refusing what cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.model.words import ConfigError, Endpoint, TLSMode
from smtpdoctor.secrets.passwords import obtain_password
from smtpdoctor.settings.config import (
    NameServer,
    RunConfig,
    parse_probe,
    parse_target,
    split_target,
)


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
        ("host:\u00b2", "is not a port number"),  # "²".isdigit(), but int() refuses it
        ("host:" + "9" * 5000, "is not a port number"),  # int() refuses over 4300 digits
        ("[::1]:\u0665\u0668\u0667", "is not a port number"),  # Arabic-Indic 587
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
        {"timeout": float("nan")},  # NaN compares false with everything: no deadline at all
        {"deadline": float("nan")},
        {"deadline": float("inf")},
    ],
)
def test_impossible_configs_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        RunConfig(host="mx.example", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smtp.gmail.com", ("smtp.gmail.com", None)),
        ("smtp.gmail.com:587", ("smtp.gmail.com", 587)),
        ("alice@gmail.com", ("alice@gmail.com", None)),
        ("alice@gmail.com:465", ("alice@gmail.com", 465)),
        ("[::1]", ("::1", None)),
    ],
)
def test_split_target_says_when_no_port_was_typed(
    text: str, expected: tuple[str, int | None]
) -> None:
    assert split_target(text) == expected


def test_a_run_config_refuses_an_address_as_its_host() -> None:
    with pytest.raises(ConfigError, match="is an email address, not a server"):
        RunConfig(host="alice@gmail.com")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", NameServer("127.0.0.1", 53)),
        ("127.0.0.1:5353", NameServer("127.0.0.1", 5353)),
        ("[::1]:5353", NameServer("::1", 5353)),
        ("::1", NameServer("::1", 53)),
    ],
)
def test_dns_servers_are_addresses_with_an_optional_port(text: str, expected: NameServer) -> None:
    assert NameServer.parse(text) == expected


def test_a_dns_server_must_be_an_address() -> None:
    with pytest.raises(ConfigError, match=r"--dns-server needs an IP address, not 'dns\.google'"):
        NameServer.parse("dns.google")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("587", Endpoint(587, TLSMode.STARTTLS)),
        ("465", Endpoint(465, TLSMode.IMPLICIT)),
        ("2465", Endpoint(2465, TLSMode.IMPLICIT)),
        ("2525/implicit", Endpoint(2525, TLSMode.IMPLICIT)),
        ("465/STARTTLS", Endpoint(465, TLSMode.STARTTLS)),
    ],
)
def test_probe_ports_take_the_usual_mode_unless_told(text: str, expected: Endpoint) -> None:
    assert Endpoint.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "is not a port number"),
        ("\u00b2", "is not a port number"),
        ("587/none", "the mode is implicit or starttls"),
        ("587/ssl", "the mode is implicit or starttls"),
    ],
)
def test_impossible_probes_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_probe(text)


def test_a_probe_without_tls_is_refused_by_the_settings() -> None:
    with pytest.raises(ConfigError, match="a probe speaks STARTTLS or implicit TLS, not none"):
        RunConfig(host="mx.example", probes=(Endpoint(587, TLSMode.NONE),))


def test_the_port_matrix_needs_a_port() -> None:
    with pytest.raises(ConfigError, match="at least one port"):
        RunConfig(host="mx.example", probes=())


def test_a_dns_server_port_must_be_ascii_digits() -> None:
    with pytest.raises(ConfigError, match="is not a port number"):
        NameServer.parse("127.0.0.1:\u00b2")


def test_a_password_file_that_is_not_utf8_is_refused_without_showing_it(tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    password_file.write_bytes(b"se\xffcret\n")

    with pytest.raises(ConfigError, match="is not UTF-8 text") as caught:
        obtain_password(environ={}, password_file=password_file, prompt=None)

    assert "xff" not in str(caught.value)
    assert "position" not in str(caught.value)


@pytest.mark.timeout(30)
def test_a_password_file_that_never_ends_is_refused_without_reading_it_all() -> None:
    with pytest.raises(ConfigError, match="holds more than 65536 bytes"):
        obtain_password(environ={}, password_file=Path("/dev/zero"), prompt=None)
