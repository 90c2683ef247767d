"""``smtpdoctor serve`` modules with ``proxy``, ``proxy_password_file``, ``ip_family`` and
``source_address``: validated when the file is loaded, with the command line's rules, shown
without the password, and used by every probe of the module."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.serve.config import Defaults, ServeConfigError, describe_config, load_config
from smtpdoctor.serve.modules import build_request
from smtpdoctor.settings.proxy import parse_proxy
from smtpdoctor.testing import SMTPTestServer

from tests.net.conftest import MakePproxy
from tests.serve.servekit import RunningServe, series, start_serve, value, write_config

PROXY_PASSWORD = "pr0xy-s3cret-k9"


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "proxy.password"
    path.write_text(PROXY_PASSWORD + "\n")
    return path


def module_config(tmp_path: Path, keys: str) -> Path:
    return write_config(tmp_path, f"[modules.submission]\n{keys}\n")


def test_a_module_reads_the_proxy_its_password_file_the_ip_version_and_source_address(
    tmp_path: Path, password_file: Path
) -> None:
    path = module_config(
        tmp_path,
        'proxy = "socks5://monitor@proxy.example:1080"\n'
        'proxy_password_file = "proxy.password"\n'
        "ip_family = 4\n"
        'source_address = "127.0.0.1"',
    )

    module = load_config(path, Defaults()).modules["submission"]

    assert module.proxy == parse_proxy("socks5://monitor@proxy.example:1080")
    assert module.proxy_password_file == password_file  # relative to the config file
    assert (module.family, module.source_address) == (4, "127.0.0.1")


def test_the_configuration_shown_names_the_proxy_and_its_file_never_the_password(
    tmp_path: Path, password_file: Path
) -> None:
    path = module_config(
        tmp_path,
        f'proxy = "http://monitor@proxy.example:3128"\nproxy_password_file = "{password_file}"',
    )

    shown = describe_config(load_config(path, Defaults()))["modules"]["submission"]

    assert shown["proxy"] == "http://monitor@proxy.example:3128"
    assert shown["proxy_password_file"] == str(password_file)
    assert (shown["ip_family"], shown["source_address"]) == (None, None)
    assert PROXY_PASSWORD not in str(shown)


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        (
            f'proxy = "socks5://monitor:{PROXY_PASSWORD}@proxy.example:1080"',
            "modules.submission.proxy: the proxy URL contains a password: put the proxy "
            "password in $SMTPDOCTOR_PROXY_PASSWORD or --proxy-password-file",
        ),
        (
            'proxy = "socks5://monitor@proxy.example:1080"',
            "modules.submission.proxy: the proxy user monitor needs proxy_password_file",
        ),
        (
            'proxy_password_file = "proxy.password"',
            "modules.submission.proxy_password_file: only means something with proxy",
        ),
        (
            'proxy = "socks5://proxy.example:1080"\nproxy_password_file = "proxy.password"',
            "modules.submission.proxy_password_file: needs a user in the proxy URL",
        ),
        (
            f'proxy_password = "{PROXY_PASSWORD}"',
            "modules.submission.proxy_password: a secret is never written in the config file",
        ),
        ('proxy = "socks5://proxy.example"', "modules.submission.proxy: --proxy"),
        (
            'proxy = "socks5h://proxy.example:1080"\nip_family = 6',
            "modules.submission.proxy: -6 cannot apply through a socks5h:// proxy",
        ),
        ("ip_family = 5", "modules.submission.ip_family: must be 4 (IPv4) or 6 (IPv6)"),
        (
            'source_address = "not-an-address"',
            "modules.submission.source_address: --source-address 'not-an-address' is not an "
            "IP address",
        ),
        (
            'source_address = "::1"\nip_family = 4',
            "modules.submission.source_address: --source-address ::1 is an IPv6 address",
        ),
    ],
)
def test_a_mistake_is_named_with_the_key_and_never_shows_the_password(
    keys: str, said: str, tmp_path: Path, password_file: Path
) -> None:
    path = module_config(tmp_path, keys)

    with pytest.raises(ServeConfigError) as refused:
        load_config(path, Defaults())

    assert said in str(refused.value)
    assert PROXY_PASSWORD not in str(refused.value)


def test_a_probe_request_carries_the_modules_path_settings(
    tmp_path: Path, password_file: Path
) -> None:
    path = module_config(
        tmp_path,
        f'proxy = "socks5://monitor@proxy.example:1080"\nproxy_password_file = "{password_file}"'
        '\nip_family = 6\nsource_address = "::1"',
    )
    module = load_config(path, Defaults()).modules["submission"]

    request = build_request(
        module,
        "smtp.example.com",
        587,
        deadline=10.0,
        send=False,
        selection=PluginSelection(),
        environ={},
    )

    assert request.proxy == "socks5://monitor@proxy.example:1080"
    assert request.secrets.proxy_password_file == password_file
    assert (request.family, request.source_address) == (6, "::1")


@pytest.fixture
def serve_through_proxy(
    tmp_path: Path,
    password_file: Path,
    smtp_test_server: SMTPTestServer,
    make_pproxy: MakePproxy,
) -> Iterator[RunningServe]:
    proxy = make_pproxy(login=("monitor", PROXY_PASSWORD))
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(smtp_test_server.ca_pem)
    config = write_config(
        tmp_path,
        f"""
        [server]
        allowed_targets = ["127.0.0.1:{smtp_test_server.port}"]

        [modules.proxied]
        ca_file = "{ca_file}"
        proxy = "{proxy.url("socks5", user="monitor")}"
        proxy_password_file = "{password_file}"
        timeout = 5
        deadline = 20
        """,
    )
    running = start_serve(config)
    yield running
    running.stop()


def test_a_probe_goes_through_the_modules_proxy_and_no_page_shows_its_password(
    serve_through_proxy: RunningServe, smtp_test_server: SMTPTestServer
) -> None:
    target = f"127.0.0.1:{smtp_test_server.port}"

    metrics = serve_through_proxy.get(f"/probe?target={target}&module=proxied")
    debug = serve_through_proxy.get(f"/probe?target={target}&module=proxied&debug=true")

    assert value(series(metrics.text), "probe_success") == 1
    assert "through socks5://monitor@127.0.0.1:" in debug.text
    basic = base64.b64encode(f"monitor:{PROXY_PASSWORD}".encode()).decode()
    for page in (metrics.text, debug.text, serve_through_proxy.get("/config").text):
        assert PROXY_PASSWORD not in page
        assert basic not in page
