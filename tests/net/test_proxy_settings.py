"""``--proxy URL``: what a proxy URL may say, where its password comes from, and that the
password shows itself nowhere — not in a repr, a str, a message, nor as base64."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from smtpdoctor.api import Request, SecretSources, plan
from smtpdoctor.api.planning import read_proxy
from smtpdoctor.model.credentials import Secret
from smtpdoctor.model.words import ConfigError
from smtpdoctor.settings.config import RunConfig
from smtpdoctor.settings.proxy import ProxyScheme, ProxySpec, check_proxy_family, parse_proxy

PROXY_PASSWORD = "proxy-pass-9f3k"
TARGET = "127.0.0.1:2525"


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "user"),
    [
        ("socks5://proxy.example:1080", ProxyScheme.SOCKS5, "proxy.example", 1080, None),
        ("socks5h://127.0.0.1:9050", ProxyScheme.SOCKS5H, "127.0.0.1", 9050, None),
        ("socks4://10.0.0.8:1080", ProxyScheme.SOCKS4, "10.0.0.8", 1080, None),
        ("http://proxy.example:3128", ProxyScheme.HTTP, "proxy.example", 3128, None),
        ("HTTP://proxy.example:3128/", ProxyScheme.HTTP, "proxy.example", 3128, None),
        ("socks5://alice@proxy.example:1080", ProxyScheme.SOCKS5, "proxy.example", 1080, "alice"),
        ("socks5://a%40b@[2001:db8::8]:1080", ProxyScheme.SOCKS5, "2001:db8::8", 1080, "a@b"),
    ],
)
def test_a_proxy_url_gives_the_scheme_host_port_and_user(
    url: str, scheme: ProxyScheme, host: str, port: int, user: str | None
) -> None:
    proxy = parse_proxy(url)

    assert (proxy.scheme, proxy.host, proxy.port, proxy.username) == (scheme, host, port, user)
    assert proxy.password is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("socks5://proxy.example:1080", "socks5://proxy.example:1080"),
        ("socks5://alice@proxy.example:1080", "socks5://alice@proxy.example:1080"),
        ("socks5h://[2001:db8::8]:1080", "socks5h://[2001:db8::8]:1080"),
        ("socks5://a%40b@proxy.example:1080", "socks5://a%40b@proxy.example:1080"),
    ],
)
def test_the_display_form_is_a_url_that_parses_back_to_the_same_proxy(url: str, shown: str) -> None:
    proxy = parse_proxy(url)

    assert proxy.display == str(proxy) == shown
    assert parse_proxy(proxy.display) == proxy


@pytest.mark.parametrize(
    "url",
    [
        f"socks5://alice:{PROXY_PASSWORD}@proxy.example:1080",
        f"http://alice:{PROXY_PASSWORD}@proxy.example:3128",
        f"ftp://alice:{PROXY_PASSWORD}@proxy.example:21",  # before the scheme is even looked at
        f"socks5://alice:{PROXY_PASSWORD}@proxy.example:notaport/path",
        # characters that end a URL's authority elsewhere are common in passwords
        "socks5://alice:hunter#22@proxy.example:1080",
        "socks5://alice:s3cr/et@proxy.example:1080",
        "http://alice:pa?ss@proxy.example:3128",
    ],
)
def test_a_url_with_a_password_is_refused_without_showing_it(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_proxy(url)

    assert str(refused.value) == (
        "the proxy URL contains a password: put the proxy password in "
        "$SMTPDOCTOR_PROXY_PASSWORD or --proxy-password-file, not on the command line"
    )
    password = url.partition("alice:")[2].rpartition("@")[0]
    assert password not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("proxy.example:1080", "write the proxy as a URL, e.g. socks5://proxy.example:1080"),
        ("socks6://proxy.example:1080", "the proxy scheme 'socks6' is not one of socks4://"),
        ("https://proxy.example:443", "a proxy spoken to over TLS (https://) is not supported"),
        ("socks5://:1080", "names no host: write socks5://HOST:PORT"),
        ("socks5://proxy.example", "names no port: write socks5://proxy.example:PORT"),
        ("socks5://proxy.example:0", "names no port"),
        ("socks5://proxy.example:65536", "the port is not a number from 1 to 65535"),
        ("socks5://proxy.example:10x", "the port is not a number from 1 to 65535"),
        ("socks5://proxy.example:1080/x", "nothing may follow the port"),
        ("socks5://proxy.example:1080?x=1", "nothing may follow the port"),
        ("socks5://proxy\x1b.example:1080", "control characters"),
        ("socks5://al%0Dice@proxy.example:1080", "must be printable ASCII"),
        ("http://al%3Aice@proxy.example:1080", "contains a ':'"),
    ],
)
def test_a_bad_proxy_url_is_refused_in_words(url: str, said: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(said)):
        parse_proxy(url)


def test_the_password_never_shows_in_a_repr_a_str_or_the_display_form() -> None:
    proxy = parse_proxy("socks5://alice@proxy.example:1080").with_password(Secret(PROXY_PASSWORD))

    shown = " ".join((repr(proxy), str(proxy), proxy.display))
    config = RunConfig("smtp.example.com", proxy=proxy)

    assert PROXY_PASSWORD not in shown
    assert PROXY_PASSWORD not in repr(config) + str(config)
    assert proxy.password is not None and proxy.password.reveal() == PROXY_PASSWORD


def test_the_proxy_password_is_one_of_the_secrets_the_redactor_knows() -> None:
    proxy = parse_proxy("http://alice@proxy.example:3128").with_password(Secret(PROXY_PASSWORD))

    assert PROXY_PASSWORD in RunConfig("smtp.example.com", proxy=proxy).secrets()
    sources = SecretSources(
        proxy_password=Secret("from-a-program"),
        environ={"SMTPDOCTOR_PROXY_PASSWORD": "from-the-environment"},
    )
    assert {"from-a-program", "from-the-environment"} <= set(sources.known())


@pytest.mark.parametrize(
    ("proxy", "password", "said"),
    [
        ("socks4://alice@proxy.example:1080", PROXY_PASSWORD, "SOCKS4 has no passwords"),
        ("socks5://alice@proxy.example:1080", "pässwörd-9f3k", "printable ASCII"),
        ("socks5://alice@proxy.example:1080", "9f3k" * 64, "longer than 255 characters"),
        ("socks5://alice@proxy.example:1080", "line\nbreak-9f3k", "printable ASCII"),
        ("socks5://proxy.example:1080", PROXY_PASSWORD, "needs a user name in the URL"),
    ],
)
def test_a_password_the_proxy_protocols_cannot_carry_is_refused_without_showing_it(
    proxy: str, password: str, said: str
) -> None:
    spec = parse_proxy(proxy)

    with pytest.raises(ConfigError, match=said) as refused:
        ProxySpec(spec.scheme, spec.host, spec.port, spec.username, Secret(password))

    assert password not in str(refused.value)


def test_an_empty_proxy_password_is_refused() -> None:
    with pytest.raises(ConfigError, match="the proxy password is empty"):
        parse_proxy("socks5://alice@proxy.example:1080").with_password(Secret(""))


@pytest.mark.parametrize(
    ("url", "family", "said"),
    [
        ("socks5h://proxy.example:1080", 4, "-4 cannot apply through a socks5h:// proxy"),
        ("socks5h://proxy.example:1080", 6, "-6 cannot apply through a socks5h:// proxy"),
        ("socks4://proxy.example:1080", 6, "-6 cannot go through a SOCKS4 proxy"),
    ],
)
def test_an_ip_version_the_proxy_cannot_keep_to_is_a_usage_error(
    url: str, family: int, said: str
) -> None:
    with pytest.raises(ConfigError, match=said):
        check_proxy_family(parse_proxy(url), family)
    with pytest.raises(ConfigError, match=said):
        Request(TARGET, proxy=url, family=family)


def test_ipv4_through_socks4_and_either_version_through_socks5_are_fine() -> None:
    check_proxy_family(parse_proxy("socks4://proxy.example:1080"), 4)
    request = Request(TARGET, proxy="socks5://proxy.example:1080", family=6)

    assert request.family == 6


# -- where the password comes from -------------------------------------------------------------


def proxy_of(request: Request) -> ProxySpec:
    proxy = read_proxy(request)
    assert proxy is not None
    return proxy


def password_of(request: Request) -> str:
    password = proxy_of(request).password
    assert password is not None
    return password.reveal()


def test_without_a_user_in_the_url_no_password_is_read() -> None:
    def never(prompt: str) -> str:
        raise AssertionError(f"asked {prompt!r}")

    request = Request(
        TARGET,
        proxy="socks5://proxy.example:1080",
        secrets=SecretSources(environ={"SMTPDOCTOR_PROXY_PASSWORD": PROXY_PASSWORD}, ask=never),
    )

    assert proxy_of(request).password is None


def test_the_password_is_the_value_given_before_the_file_and_the_environment(
    tmp_path: Path,
) -> None:
    file = tmp_path / "proxy.password"
    file.write_text("from-the-file\n")
    url = "socks5://alice@proxy.example:1080"
    environ = {"SMTPDOCTOR_PROXY_PASSWORD": "from-the-environment"}

    by_value = SecretSources(
        proxy_password=Secret("from-a-program"), proxy_password_file=file, environ=environ
    )
    by_file = SecretSources(proxy_password_file=file, environ=environ)
    by_environment = SecretSources(environ=environ)

    assert password_of(Request(TARGET, proxy=url, secrets=by_value)) == "from-a-program"
    assert password_of(Request(TARGET, proxy=url, secrets=by_file)) == "from-the-file"
    assert password_of(Request(TARGET, proxy=url, secrets=by_environment)) == (
        "from-the-environment"
    )


def test_a_person_is_asked_for_the_password_last_naming_the_user_and_the_proxy() -> None:
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return PROXY_PASSWORD

    request = Request(
        TARGET, proxy="http://alice@proxy.example:3128", secrets=SecretSources(ask=ask)
    )

    assert password_of(request) == PROXY_PASSWORD
    assert asked == ["Password for alice at the proxy http://alice@proxy.example:3128"]


def test_a_proxy_user_without_a_password_anywhere_is_a_usage_error_that_says_how() -> None:
    request = Request(TARGET, proxy="socks5://alice@proxy.example:1080")

    with pytest.raises(ConfigError) as refused:
        plan(request)

    assert str(refused.value) == (
        "the proxy user alice needs a password: set SMTPDOCTOR_PROXY_PASSWORD, use "
        "--proxy-password-file, or run on a terminal to be asked for it"
    )


@pytest.mark.parametrize(
    ("proxy", "said"),
    [
        (None, "--proxy-password-file is for a proxy: add --proxy URL"),
        ("socks5://proxy.example:1080", "name the user in the URL"),
        ("socks4://alice@proxy.example:1080", "SOCKS4 has no passwords"),
    ],
)
def test_a_proxy_password_file_without_a_proxy_login_is_a_usage_error(
    proxy: str | None, said: str, tmp_path: Path
) -> None:
    file = tmp_path / "proxy.password"
    file.write_text(PROXY_PASSWORD)

    with pytest.raises(ConfigError, match=said):
        read_proxy(Request(TARGET, proxy=proxy, secrets=SecretSources(proxy_password_file=file)))


def test_an_unreadable_password_file_is_said_without_its_content(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.password"
    request = Request(
        TARGET,
        proxy="socks5://alice@proxy.example:1080",
        secrets=SecretSources(proxy_password_file=missing),
    )

    with pytest.raises(ConfigError, match=r"cannot read the password file .*nowhere\.password"):
        read_proxy(request)


def test_the_plan_carries_the_proxy_with_its_password_into_the_run_config() -> None:
    request = Request(
        TARGET,
        proxy="socks5://alice@proxy.example:1080",
        secrets=SecretSources(environ={"SMTPDOCTOR_PROXY_PASSWORD": PROXY_PASSWORD}),
    )

    planned = plan(request)

    assert planned.config.proxy == ProxySpec(
        ProxyScheme.SOCKS5, "proxy.example", 1080, "alice", Secret(PROXY_PASSWORD)
    )
    assert PROXY_PASSWORD not in repr(planned)
    assert base64.b64encode(f"alice:{PROXY_PASSWORD}".encode()).decode() not in repr(planned)


def test_a_run_that_logs_in_nowhere_takes_only_the_proxy_password_from_the_environment() -> None:
    environ = {"SMTPDOCTOR_PROXY_PASSWORD": PROXY_PASSWORD, "SMTPDOCTOR_PASSWORD": "mailbox"}

    sources = SecretSources.proxy_only(None, environ)

    assert sources.known() == (PROXY_PASSWORD,)
    assert sources.environ == {"SMTPDOCTOR_PROXY_PASSWORD": PROXY_PASSWORD}
