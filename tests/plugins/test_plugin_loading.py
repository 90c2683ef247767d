"""Where plugins come from — entry points, --plugin, SMTPDOCTOR_PLUGINS — and how --disable,
SMTPDOCTOR_DISABLE and SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD keep them or their checks out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.core import runner
from smtpdoctor.core.plugins import (
    PluginKind,
    PluginLoadError,
    PluginSelection,
    make_plugin_manager,
    manager_for,
)
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.settings.config import RunConfig
from smtpdoctor.testing import SMTPTestServer

from tests.plugins.pluginkit import InstallDistribution, WritePlugin, check_plugin, rows

pytest_plugins = ["tests.plugins.pluginfixtures"]


def config_for(server: SMTPTestServer, **fields: object) -> RunConfig:
    return RunConfig(
        host=server.host,
        port=server.port,
        tls=TLSMode.STARTTLS,
        ca_data=server.ca_pem,
        timeout=3.0,
        **fields,  # type: ignore[arg-type]
    )


def test_an_installed_distribution_is_loaded_through_its_entry_point(
    install_distribution: InstallDistribution, smtp_test_server: SMTPTestServer
) -> None:
    install_distribution(
        "smtpdoctor-hello",
        "2.3.1",
        {"hello": "smtpdoctor_hello"},
        {"smtpdoctor_hello": check_plugin("hello")},
    )

    manager = make_plugin_manager()
    report = runner.run(config_for(smtp_test_server), manager)

    source = manager.source("hello")
    assert source is not None
    assert source.kind is PluginKind.ENTRY_POINT
    assert (source.distribution, source.version) == ("smtpdoctor-hello", "2.3.1")
    assert source.origin is not None
    assert source.origin.endswith("smtpdoctor_hello.py")
    result = report.result("hello")
    assert result is not None
    assert result.summary == "hello from hello"


def test_the_autoload_switch_loads_no_installed_plugin(
    install_distribution: InstallDistribution,
) -> None:
    install_distribution(
        "smtpdoctor-hello",
        "1.0",
        {"hello": "smtpdoctor_hello"},
        {"smtpdoctor_hello": check_plugin("hello")},
    )

    switched_off = PluginSelection.from_environment({"SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD": "1"})
    left_on = PluginSelection.from_environment({"SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD": "0"})

    assert switched_off.autoload is False
    assert manager_for(switched_off).source("hello") is None
    assert manager_for(left_on).source("hello") is not None


def test_a_plugin_file_is_loaded_with_the_plugin_option(
    write_plugin: WritePlugin, target: str, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_plugin("my_policy", check_plugin("my-policy"))

    code = main(["check", target, "--ca-file", str(ca_file), "--plugin", str(path), "-f", "json"])

    assert rows(capsys.readouterr().out)["my-policy"]["summary"] == "hello from my-policy"
    assert code == 0


def test_a_plugin_module_is_loaded_by_name(
    install_distribution: InstallDistribution,
) -> None:
    install_distribution("unrelated", "1.0", {}, {"policy_module": check_plugin("by-name")})

    manager = make_plugin_manager(plugins=["policy_module"], load_entry_points=False)

    source = manager.source("policy_module")
    assert source is not None
    assert source.kind is PluginKind.LOCAL
    assert "by-name" in runner.collect_checks(manager)


def test_smtpdoctor_plugins_loads_a_comma_separated_list(
    write_plugin: WritePlugin,
    target: str,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = write_plugin("first", check_plugin("first"))
    second = write_plugin("second", check_plugin("second", requires=("first",)))
    monkeypatch.setenv("SMTPDOCTOR_PLUGINS", f"{first}, {second}")

    code = main(["check", target, "--ca-file", str(ca_file), "-f", "json"])

    found = rows(capsys.readouterr().out)
    assert list(found)[-2:] == ["first", "second"]
    assert code == 0


def test_a_disabled_plugin_is_not_even_imported(
    install_distribution: InstallDistribution,
) -> None:
    install_distribution(
        "smtpdoctor-explosive",
        "0.1",
        {"explosive": "smtpdoctor_explosive"},
        {"smtpdoctor_explosive": "raise RuntimeError('imported although disabled')\n"},
    )

    with pytest.raises(PluginLoadError, match="imported although disabled"):
        make_plugin_manager()
    manager = make_plugin_manager(disabled=["explosive"])

    assert manager.source("explosive") is None
    assert [source.name for source in manager.blocked] == ["explosive"]


def test_a_disabled_check_is_a_skip_row_and_what_needs_it_is_skipped(
    target: str, ca_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_DISABLE", "tls")

    code = main(["check", target, "--ca-file", str(ca_file), "-f", "json"])

    found = rows(capsys.readouterr().out)
    assert found["tls"]["status"] == "skip"
    assert found["tls"]["summary"] == "disabled (--disable)"
    assert found["certificate"]["summary"] == "not run: tls was skipped"
    assert found["auth"]["status"] == "skip"
    assert found["ehlo"]["status"] == "pass"
    assert code == 0


@pytest.mark.parametrize("check_id", ["tcp", "greeting", "ehlo"])
def test_the_checks_every_run_needs_cannot_be_disabled(
    check_id: str,
    smtp_test_server: SMTPTestServer,
    target: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["check", target, "--disable", check_id])

    assert code == 3
    assert f"check {check_id!r} cannot be disabled: every run needs it" in capsys.readouterr().err
    assert smtp_test_server.connections == 0


def test_with_implicit_tls_the_handshake_cannot_be_disabled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["check", "127.0.0.1:465", "--disable", "tls"])

    assert code == 3
    assert (
        "check 'tls' cannot be disabled in this run: greeting and ehlo need it (with implicit TLS)"
        in capsys.readouterr().err
    )


def test_disabling_a_name_nobody_has_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "127.0.0.1:2525", "--disable", "certifcate"])

    err = capsys.readouterr().err
    assert code == 3
    assert "cannot disable 'certifcate': no plugin or check has that name" in err
    assert "(checks: auth, authentication, certificate, " in err


def test_a_builtin_check_module_is_disabled_by_its_check_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["check", "127.0.0.1:2525", "--disable", "smtpdoctor.checks.auth"])

    assert code == 3
    assert "disable its check by id instead (--disable auth)" in capsys.readouterr().err


def test_the_knowledge_base_can_be_disabled(smtp_test_server: SMTPTestServer) -> None:
    from smtpdoctor.model.credentials import Credentials, Secret

    wrong = Credentials("alice@example.test", Secret("wrong"))
    config = config_for(smtp_test_server, credentials=wrong)

    with_hints = runner.run(config, make_plugin_manager(load_entry_points=False))
    without = runner.run(
        config, make_plugin_manager(load_entry_points=False, disabled=["smtpdoctor.remedies"])
    )

    assert with_hints.result("auth") is not None
    assert without.result("auth") is not None
    assert with_hints.result("auth").hints  # type: ignore[union-attr]
    assert without.result("auth").status is Status.FAIL  # type: ignore[union-attr]
    assert without.result("auth").hints == ()  # type: ignore[union-attr]


def test_the_renderers_cannot_be_disabled() -> None:
    with pytest.raises(PluginLoadError, match=r"'smtpdoctor\.render' cannot be disabled"):
        make_plugin_manager(disabled=["smtpdoctor.render"], load_entry_points=False)


def test_the_same_plugin_twice_is_an_error(write_plugin: WritePlugin) -> None:
    path = write_plugin("twice", check_plugin("twice"))

    with pytest.raises(PluginLoadError) as raised:
        make_plugin_manager(plugins=[str(path), str(path)], load_entry_points=False)

    assert re.fullmatch(
        r"plugin 'twice' \(.*twice\.py\) is already loaded as plugin 'twice' \(.*twice\.py\): "
        r"load it once",
        str(raised.value),
    )


def test_an_installed_plugin_given_again_by_plugin_says_how_to_load_it_once(
    install_distribution: InstallDistribution,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Not pluggy's ValueError with its whole registry: which plugin, and what to do."""
    install_distribution(
        "smtpdoctor-hello",
        "2.3.1",
        {"hello": "smtpdoctor_hello"},
        {"smtpdoctor_hello": check_plugin("hello")},
    )
    monkeypatch.delenv("SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD", raising=False)

    code = main(["check", "127.0.0.1:1", "--plugin", "smtpdoctor_hello"])

    err = capsys.readouterr().err
    assert code == 3
    assert re.fullmatch(
        r"smtpdoctor: plugin 'smtpdoctor_hello' \(.*smtpdoctor_hello\.py\) is already "
        r"installed as 'hello' \(smtpdoctor-hello 2\.3\.1\): use --disable hello or drop "
        r"--plugin\n",
        err,
    )


def test_an_extra_plugin_object_given_again_by_plugin_is_named_not_dumped(
    write_plugin: WritePlugin,
) -> None:
    path = write_plugin("again", check_plugin("again"))
    first = make_plugin_manager(plugins=[str(path)], load_entry_points=False)
    module = first.get_plugin("again")

    with pytest.raises(PluginLoadError) as raised:
        make_plugin_manager(extra_plugins=[module], plugins=[str(path)], load_entry_points=False)

    message = str(raised.value)
    assert "is already loaded as plugin 'again'" in message
    assert "_name2plugin" not in message and "\n" not in message


def test_a_plugin_file_may_not_hide_a_module(write_plugin: WritePlugin) -> None:
    path = write_plugin("json", check_plugin("json-check"))

    with pytest.raises(PluginLoadError, match="has the same name as the module 'json'"):
        make_plugin_manager(plugins=[str(path)], load_entry_points=False)


def test_a_plugin_file_needs_a_module_name(write_plugin: WritePlugin) -> None:
    path = write_plugin("my-policy", check_plugin("dashes"))

    with pytest.raises(PluginLoadError, match="'my-policy' is not a Python module name"):
        make_plugin_manager(plugins=[str(path)], load_entry_points=False)


def test_the_selection_combines_the_environment_and_the_command_line() -> None:
    selection = PluginSelection.from_environment(
        {"SMTPDOCTOR_PLUGINS": "a.py, b", "SMTPDOCTOR_DISABLE": "x,y"},
        plugins=["b", "c.py"],
        disabled=["z, x"],
    )

    assert selection.plugins == ("a.py", "b", "c.py")
    assert selection.disabled == frozenset({"x", "y", "z"})
    assert selection.autoload is True


def test_plugin_options_reach_the_checks(
    write_plugin: WritePlugin, target: str, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_plugin(
        "echo_option",
        check_plugin("echo-option").replace(
            'Outcome(Status.PASS, "hello from echo-option")',
            'Outcome(Status.PASS, "greeting=" + ctx.config.options.get("echo.greeting", "-"))',
        ),
    )
    args = ["check", target, "--ca-file", str(ca_file), "--plugin", str(path), "-f", "json"]

    code = main([*args, "-o", "echo.greeting=hi there", "--option", "other=1"])

    assert rows(capsys.readouterr().out)["echo-option"]["summary"] == "greeting=hi there"
    assert code == 0


def test_an_option_without_a_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "127.0.0.1:2525", "-o", "open-relay.probe"])

    assert code == 3
    assert "--option 'open-relay.probe': write it as NAME=VALUE" in capsys.readouterr().err
