"""The TOML configuration: validated into a frozen object, every mistake in words with the
file and the key, never a password in the file nor in what is printed back."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.model.words import TLSMode
from smtpdoctor.serve.allowlist import TargetPattern, allowed
from smtpdoctor.serve.config import (
    Defaults,
    ServeConfigError,
    default_config,
    describe_config,
    load_config,
)

from tests.serve.servekit import write_config


def test_a_full_module_is_read_with_every_setting(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not used here")
    (tmp_path / "password").write_text("s3cret")
    path = write_config(
        tmp_path,
        """
        [server]
        allowed_targets = ["*.example.com:587"]
        max_concurrent = 4
        queue_limit = 10
        per_address = 2
        history = 50

        [modules.submission]
        tls = "starttls"
        port = 587
        ca_file = "ca.pem"
        disable = ["posture"]
        options = { "open-relay.probe" = true }
        user = "monitor@example.com"
        password_file = "password"
        send_to = "probe@example.com"
        min_send_interval = 600
        timeout = 5
        deadline = 20
        allowed_targets = ["smtp.example.com"]
        """,
    )

    config = load_config(path, Defaults())

    module = config.modules["submission"]
    assert (config.server.max_concurrent, config.server.queue_limit) == (4, 10)
    assert (config.server.per_address, config.server.history) == (2, 50)
    assert module.tls is TLSMode.STARTTLS and module.port == 587
    assert module.ca_file == tmp_path / "ca.pem"  # relative to the config file
    assert module.disable == ("posture",)
    assert dict(module.options) == {"open-relay.probe": "yes"}
    assert module.login is not None and module.login.password_file == tmp_path / "password"
    assert module.send is not None and module.send.min_interval == 600
    assert module.send.sender is None  # the login user, an address, sends
    assert (module.timeout, module.deadline) == (5, 20)
    assert module.allowed_targets == (TargetPattern("smtp.example.com"),)


def test_the_command_line_gives_the_defaults(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    defaults = Defaults(
        ca_file=ca,
        insecure=True,
        timeout=3,
        deadline=9,
        allowed_targets=(TargetPattern.parse("127.0.0.1"),),
    )
    path = write_config(tmp_path, "[modules.m]\n")

    module = load_config(path, defaults).modules["m"]
    bare = default_config(defaults)

    assert (module.ca_file, module.insecure, module.timeout, module.deadline) == (ca, True, 3, 9)
    assert list(bare.modules) == ["default"]
    assert bare.server.allowed_targets == defaults.allowed_targets


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[modules.m]\npassword = "hunter2"', "modules.m.password: a secret is never written"),
        ("[modules.m]\ntsl = 'none'", "modules.m.tsl: unknown key; known keys:"),
        ("[modules.m]\ntls = 'maybe'", "modules.m.tls: 'maybe' is not one of auto, starttls"),
        ("[modules.m]\nport = 70000", "modules.m.port: must be at least 1 and at most 65535"),
        ("[modules.m]\ntimeout = 0", "modules.m.timeout: must be a positive number"),
        ("[modules.m]\ninsecure = 'yes'", "modules.m.insecure: must be true or false"),
        ("[modules.m]\nuser = 'a@example.com'", "modules.m.user: give exactly one of"),
        ("[modules.m]\npassword_env = 'X'", "modules.m.user: a password source needs the user"),
        ("[modules.m]\nsend_to = 'nobody'", "modules.m.send_to: 'nobody' is not an email"),
        ("[modules.m]\nsend_to = 'a@b.c'", "modules.m.send_from: a test message needs a sender"),
        ("[modules.m]\nmin_send_interval = 5", "modules.m.min_send_interval: only means"),
        ("[modules.m]\nallowed_targets = 'x'", "modules.m.allowed_targets: must be a list"),
        ("[modules.m]\nallowed_targets = ['x:99999']", "the port must be a number from 1"),
        ("[server]\nmax_concurrent = 0\n[modules.m]", "server.max_concurrent: must be at least 1"),
        ("[server]\nlisten = 'x'\n[modules.m]", "server.listen: unknown key"),
        ("[server]\n", "modules: no module: add a [modules.NAME] table"),
        ("[modules.'a b']\n", "modules.a b: a module name is letters"),
        ("[other]\n[modules.m]", "other: unknown table"),
        ("[modules.m\n", "not valid TOML"),
    ],
)
def test_a_mistake_is_named_with_the_file_and_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write_config(tmp_path, text)

    with pytest.raises(ServeConfigError) as raised:
        load_config(path, Defaults())

    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_a_password_variable_must_be_set_where_it_is_checked(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, "[modules.m]\nuser = 'a@example.com'\npassword_env = 'SMTP_PASSWORD'\n"
    )

    with pytest.raises(ServeConfigError, match="SMTP_PASSWORD is not set"):
        load_config(path, Defaults(), {})
    assert load_config(path, Defaults(), {"SMTP_PASSWORD": "x"}).modules["m"].login


def test_an_unreadable_file_is_said_in_words(tmp_path: Path) -> None:
    with pytest.raises(ServeConfigError, match="cannot read the config file"):
        load_config(tmp_path / "missing.toml", Defaults())


def test_the_config_printed_back_names_the_password_source_only(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("hunter2")
    path = write_config(
        tmp_path,
        """
        [modules.file]
        user = "a@example.com"
        password_file = "password"

        [modules.env]
        user = "b@example.com"
        password_env = "SMTP_PASSWORD"
        """,
    )

    shown = describe_config(load_config(path, Defaults(), {"SMTP_PASSWORD": "sesame"}))

    assert shown["modules"]["file"]["password_file"] == str(tmp_path / "password")
    assert shown["modules"]["env"]["password_env"] == "SMTP_PASSWORD"
    assert "hunter2" not in str(shown) and "sesame" not in str(shown)


@pytest.mark.parametrize(
    ("pattern", "target", "expected"),
    [
        ("smtp.example.com", ("smtp.example.com", 587), True),
        ("smtp.example.com", ("SMTP.Example.COM", 25), True),
        ("*.example.com", ("mx1.example.com", 25), True),
        ("*.example.com", ("example.com", 25), False),
        ("*.example.com", ("evil.com", 25), False),
        ("*.example.com:587", ("smtp.example.com", 25), False),
        ("10.0.0.*:25", ("10.0.0.7", 25), True),
        ("[2001:db8::*]:465", ("2001:db8::1", 465), True),
        ("[2001:db8::*]", ("2001:db9::1", 465), False),
    ],
)
def test_a_target_pattern_matches_host_and_port(
    pattern: str, target: tuple[str, int], expected: bool
) -> None:
    assert TargetPattern.parse(pattern).matches(*target) is expected


def test_a_target_must_match_the_server_list_and_the_modules_list() -> None:
    server = (TargetPattern.parse("*.example.com"),)
    module = (TargetPattern.parse("smtp.example.com"),)

    assert allowed("smtp.example.com", 587, server, module)
    assert not allowed("mx.example.com", 587, server, module)
    assert allowed("mx.example.com", 587, server, ())
    assert allowed("smtp.example.com", 587, (), module)
    assert not allowed("smtp.example.com", 587, (), ())
