"""A broken plugin is a clear message that names it and its file, exit code 3, before a byte
is sent; a check that crashes is an ERROR row while every other check still runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdoctor import CheckResult, hookimpl
from smtpdoctor.__main__ import main
from smtpdoctor.core import runner
from smtpdoctor.core.plugins import make_plugin_manager
from smtpdoctor.core.registry import RegistrationError
from smtpdoctor.model.words import TLSMode
from smtpdoctor.settings.config import RunConfig
from smtpdoctor.testing import SMTPTestServer, run_pipeline

from tests.plugins.pluginkit import InstallDistribution, WritePlugin, check_plugin, rows

pytest_plugins = ["tests.plugins.pluginfixtures"]

#: Runs ``smtpdoctor check`` with extra arguments and returns stderr, after asserting exit 3.
Refused = Callable[..., str]


@pytest.fixture
def refused(
    smtp_test_server: SMTPTestServer, target: str, capsys: pytest.CaptureFixture[str]
) -> Refused:
    """Run ``smtpdoctor check`` with extra arguments; assert it stopped with exit code 3
    before connecting, and return what it printed on stderr."""

    def run(*args: str) -> str:
        code = main(["check", target, *args])
        err = capsys.readouterr().err
        assert code == 3, err
        assert smtp_test_server.connections == 0
        assert "Traceback" not in err
        return err

    return run


def test_a_plugin_that_fails_on_import_is_named_with_file_and_line(
    write_plugin: WritePlugin, refused: Refused
) -> None:
    path = write_plugin("broken", "import os\n\nundefined_name\n")

    err = refused("--plugin", str(path))

    assert f"plugin 'broken' ({path}) could not be loaded" in err
    assert "NameError: name 'undefined_name' is not defined" in err
    assert f"(at {path}, line 3)" in err


def test_a_syntax_error_names_the_file(write_plugin: WritePlugin, refused: Refused) -> None:
    path = write_plugin("typo", "def oops(:\n    pass\n")

    err = refused("--plugin", str(path))

    assert f"plugin 'typo' ({path}) could not be loaded: SyntaxError" in err
    assert "line 1" in err


def test_a_missing_plugin_file_or_module_is_named(tmp_path: Path, refused: Refused) -> None:
    missing = refused("--plugin", str(tmp_path / "nowhere.py"))
    unknown = refused("--plugin", "no_such_plugin_module")

    assert f"plugin file '{tmp_path / 'nowhere.py'}' does not exist" in missing
    assert "plugin 'no_such_plugin_module' could not be imported: ModuleNotFoundError" in unknown


def test_a_plugin_path_that_cannot_even_be_looked_at_is_named(
    tmp_path: Path, refused: Refused
) -> None:
    too_long = refused("--plugin", str(tmp_path / ("x" * 300 + ".py")))
    no_home = refused("--plugin", "~no-such-user-smtpdoctor/policy.py")

    assert "File name too long" in too_long
    assert "plugin file '~no-such-user-smtpdoctor/policy.py'" in no_home


def test_an_entry_point_that_fails_names_its_distribution(
    install_distribution: InstallDistribution,
    refused: Refused,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD")
    install_distribution(
        "smtpdoctor-shaky",
        "0.9",
        {"shaky": "smtpdoctor_shaky"},
        {"smtpdoctor_shaky": "import smtpdoctor_missing_dependency\n"},
    )

    err = refused()

    assert (
        "plugin 'shaky' (smtpdoctor-shaky 0.9, smtpdoctor_shaky) failed to load: "
        "ModuleNotFoundError: No module named 'smtpdoctor_missing_dependency'"
    ) in err


def test_a_duplicate_check_id_names_both_plugins_and_files(
    write_plugin: WritePlugin, refused: Refused
) -> None:
    first = write_plugin("first_policy", check_plugin("policy"))
    second = write_plugin("second_policy", check_plugin("policy"))

    err = refused("--plugin", str(first), "--plugin", str(second))

    # pluggy calls the plugin loaded last first: the first one's register() is refused
    assert (
        f"check id 'policy' is registered twice: by plugin 'first_policy' ({first}) "
        f"and by plugin 'second_policy' ({second})"
    ) in err


def test_a_plugin_taking_a_builtin_id_is_refused(
    write_plugin: WritePlugin, refused: Refused
) -> None:
    path = write_plugin("impostor", check_plugin("auth"))

    err = refused("--plugin", str(path))

    assert f"check id 'auth' is registered twice: by plugin 'impostor' ({path})" in err


def test_an_unknown_requirement_names_the_check_plugin_and_file(
    write_plugin: WritePlugin, refused: Refused
) -> None:
    path = write_plugin("needy", check_plugin("needy", requires=("ghost",)))

    err = refused("--plugin", str(path))

    assert f"check 'needy' from plugin 'needy' ({path}) requires unknown check(s): 'ghost'" in err


def test_a_cycle_names_the_checks_and_their_plugins(
    write_plugin: WritePlugin, refused: Refused
) -> None:
    chicken = write_plugin("chicken", check_plugin("chicken", requires=("egg",)))
    egg = write_plugin("egg", check_plugin("egg", requires=("chicken",)))

    err = refused("--plugin", str(chicken), "--plugin", str(egg))

    assert "checks depend on each other in a cycle: " in err
    assert str(chicken) in err
    assert str(egg) in err


def test_a_registration_hook_that_raises_is_named(
    write_plugin: WritePlugin, refused: Refused
) -> None:
    path = write_plugin(
        "raising",
        """
        from smtpdoctor import hookimpl

        @hookimpl
        def smtpdoctor_register_checks(register):
            raise KeyError("config")
        """,
    )

    err = refused("--plugin", str(path))

    assert f"plugin 'raising' ({path}) failed while registering its checks: KeyError" in err


@pytest.mark.parametrize("marker", ["@hookimpl\n", ""])
def test_a_misspelled_hook_is_an_error_with_a_suggestion(
    marker: str, write_plugin: WritePlugin, refused: Refused
) -> None:
    path = write_plugin(
        "speller",
        f"from smtpdoctor import hookimpl\n\n{marker}def smtpdoctor_register_chekcs(register):\n"
        "    pass\n",
    )

    err = refused("--plugin", str(path))

    assert (
        f"plugin 'speller' ({path}) implements 'smtpdoctor_register_chekcs', which is not a "
        "smtpdoctor hook; did you mean 'smtpdoctor_register_checks'?"
    ) in err


def test_an_optional_hook_of_a_newer_smtpdoctor_is_allowed(write_plugin: WritePlugin) -> None:
    path = write_plugin(
        "future",
        """
        from smtpdoctor import hookimpl

        @hookimpl(optionalhook=True)
        def smtpdoctor_from_the_future(thing):
            pass
        """,
    )

    manager = make_plugin_manager(plugins=[str(path)], load_entry_points=False)

    assert manager.source("future") is not None


def test_a_hook_parameter_that_does_not_exist_is_an_error(
    write_plugin: WritePlugin, refused: Refused
) -> None:
    path = write_plugin(
        "wrong_arguments",
        """
        from smtpdoctor import hookimpl

        @hookimpl
        def smtpdoctor_result(result, verdict):
            pass
        """,
    )

    err = refused("--plugin", str(path))

    assert f"plugin 'wrong_arguments' ({path}) is not valid" in err
    assert "verdict" in err


def test_a_crashing_check_is_an_error_row_and_every_other_check_reports(
    write_plugin: WritePlugin, target: str, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_plugin(
        "crashy",
        check_plugin("crashy").replace('return Outcome(Status.PASS, "hello from crashy")', "1 / 0"),
    )

    code = main(["check", target, "--ca-file", str(ca_file), "--plugin", str(path), "-f", "json"])

    found = rows(capsys.readouterr().out)
    assert found["crashy"]["status"] == "error"
    assert found["crashy"]["finding"] == "check.crashed"
    assert "ZeroDivisionError" in found["crashy"]["summary"]
    assert "this is a bug in crashy, not a problem with the server" in found["crashy"]["summary"]
    for check_id in ("tcp", "greeting", "ehlo", "tls", "certificate"):
        assert found[check_id]["status"] == "pass"
    assert code == 3


class BrokenObserver:
    @hookimpl
    def smtpdoctor_result(self, result: CheckResult) -> None:
        raise RuntimeError(f"observer down at {result.check_id}")


class CountingObserver:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def smtpdoctor_result(self, result: CheckResult) -> None:
        self.seen.append(result.check_id)


def test_a_failing_observer_is_noted_and_the_run_and_other_observers_go_on(
    smtp_test_server: SMTPTestServer,
) -> None:
    counting = CountingObserver()

    report = run_pipeline(smtp_test_server, plugins=[BrokenObserver(), counting])

    assert counting.seen == [result.check_id for result in report.results]
    notes = [line.text for line in report.transcript if line.direction == "*"]
    assert any(
        "failed to observe tcp: RuntimeError: observer down at tcp" in note for note in notes
    )
    assert report.exit_code == 0


def test_a_duplicate_format_name_is_refused(
    write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_plugin(
        "second_json",
        """
        from smtpdoctor import hookimpl

        @hookimpl
        def smtpdoctor_register_renderers(register):
            register("json", lambda report, options: "{}")
        """,
    )

    code = main(["checks", "--plugin", str(path)])

    assert code == 3
    assert (
        "format 'json' is registered twice: by plugin 'second_json' and by plugin "
        "'smtpdoctor.render'"
    ) in capsys.readouterr().err


def test_an_unknown_format_is_refused_before_connecting(
    smtp_test_server: SMTPTestServer, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", target, "--format", "yaml"])

    assert code == 3
    assert (
        "unknown format 'yaml'; choose one of: table, json, nagios, prometheus"
        in capsys.readouterr().err
    )
    assert smtp_test_server.connections == 0


def test_registration_errors_are_found_before_the_runner_connects(
    write_plugin: WritePlugin, smtp_test_server: SMTPTestServer
) -> None:
    path = write_plugin("needy_again", check_plugin("needy-again", requires=("ghost",)))
    manager = make_plugin_manager(plugins=[str(path)], load_entry_points=False)
    config = RunConfig(host="127.0.0.1", port=smtp_test_server.port, tls=TLSMode.NONE)

    with pytest.raises(RegistrationError, match="requires unknown check"):
        runner.run(config, manager)
    assert smtp_test_server.connections == 0
