"""Each hook, implemented by a plugin and seen to work; builtins use the same hooks."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdoctor import (
    Check,
    CheckContext,
    CheckResult,
    Hint,
    Outcome,
    RegisterCheck,
    Report,
    Status,
    hookimpl,
)
from smtpdoctor.__main__ import main
from smtpdoctor.core.plugins import BUILTIN_PLUGINS, make_plugin_manager
from smtpdoctor.core.registry import collect_checks
from smtpdoctor.remedies import HintContext
from smtpdoctor.render import RegisterRenderer, RenderOptions, collect_renderers
from smtpdoctor.testing import PASSWORD, USER, SMTPTestServer, run_check, run_pipeline

from tests.plugins.pluginkit import WritePlugin

pytest_plugins = ["tests.plugins.pluginfixtures"]


def test_every_builtin_check_is_registered_through_the_public_hook() -> None:
    manager = make_plugin_manager(load_entry_points=False)
    implementations = manager.hook.smtpdoctor_register_checks.get_hookimpls()

    registry = collect_checks(manager)

    assert registry.entries, "no checks at all"
    for entry in registry.entries:
        assert entry.plugin in BUILTIN_PLUGINS
        module = importlib.import_module(entry.plugin)
        assert entry.check.__module__ == module.__name__
    registering = {implementation.plugin_name for implementation in implementations}
    assert registering == {entry.plugin for entry in registry.entries}
    assert [entry.check.id for entry in registry.entries][:3] == ["tcp", "tls", "certificate"]


class Pipelining(Check):
    id = "pipelining"
    title = "PIPELINING offered"
    requires = ("ehlo",)

    def run(self, ctx: CheckContext) -> Outcome:
        caps = ctx.session.capabilities
        assert caps is not None
        if caps.supports("PIPELINING"):
            return Outcome(Status.PASS, "PIPELINING is offered")
        return Outcome(Status.WARN, "no PIPELINING", finding="pipelining.missing")


class ChecksPlugin:
    @hookimpl
    def smtpdoctor_register_checks(self, register: RegisterCheck) -> None:
        register(Pipelining)


def test_a_registered_check_runs_in_order_against_the_server(
    make_smtp_server: Callable[..., SMTPTestServer],
) -> None:
    offering = make_smtp_server(extensions=["PIPELINING"])
    missing = make_smtp_server(extensions=["8BITMIME"])

    report = run_pipeline(offering, plugins=[ChecksPlugin()])
    warned = run_check(missing, "pipelining", plugins=[ChecksPlugin()])

    ids = [result.check_id for result in report.results]
    assert ids.index("pipelining") > ids.index("ehlo")
    assert report.result("pipelining") is not None
    assert warned.status is Status.WARN


def render_csv(report: Report, options: RenderOptions) -> str:
    lines = [f"{r.check_id},{r.status.value}" for r in report.results]
    if options.transcript:
        lines.append(f"transcript,{len(report.transcript)} lines")
    return "\n".join(lines)


class CsvPlugin:
    @hookimpl
    def smtpdoctor_register_renderers(self, register: RegisterRenderer) -> None:
        register("csv", render_csv, description="one line per check")


def test_a_registered_format_is_offered_and_used(
    smtp_test_server: SMTPTestServer,
    write_plugin: WritePlugin,
    target: str,
    ca_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    renderers = collect_renderers(
        make_plugin_manager(extra_plugins=[CsvPlugin()], load_entry_points=False)
    )
    path = write_plugin(
        "csv_format",
        """
        from smtpdoctor import hookimpl

        def render(report, options):
            return "\\n".join(f"{r.check_id},{r.status.value}" for r in report.results)

        @hookimpl
        def smtpdoctor_register_renderers(register):
            register("csv", render, description="one line per check")
        """,
    )

    code = main(
        ["check", target, "--ca-file", str(ca_file), "--plugin", str(path), "--format", "csv"]
    )

    assert renderers.names == ("table", "json", "nagios", "prometheus", "csv")
    assert [info.plugin for info in renderers][-1].isdigit()  # an object plugin's name
    assert capsys.readouterr().out.splitlines()[:3] == ["tcp,pass", "greeting,pass", "ehlo,pass"]
    assert code == 0
    report = run_pipeline(smtp_test_server)
    assert renderers.render("csv", report, RenderOptions(transcript=True)).endswith(" lines")


class HintsPlugin:
    def __init__(self) -> None:
        self.contexts: list[HintContext] = []

    @hookimpl
    def smtpdoctor_hints(self, result: CheckResult, context: HintContext) -> list[Hint] | None:
        self.contexts.append(context)
        if result.check_id == "auth" and result.outcome.reply_code == 535:
            return [Hint("Ask the mail admin to reset the password", ("Call extension 42.",))]
        return None


def test_plugins_add_hints_after_the_knowledge_base(smtp_test_server: SMTPTestServer) -> None:
    plugin = HintsPlugin()

    report = run_pipeline(smtp_test_server, plugins=[plugin], user=USER, password="wrong")

    auth = report.result("auth")
    assert auth is not None
    assert auth.status is Status.FAIL
    titles = [hint.title for hint in auth.hints]
    assert titles[-1] == "Ask the mail admin to reset the password"
    assert len(titles) > 1  # the knowledge base spoke first
    assert plugin.contexts[-1].port == smtp_test_server.port
    assert plugin.contexts[-1].host == "127.0.0.1"


class ResultPlugin:
    def __init__(self) -> None:
        self.seen: list[CheckResult] = []

    @hookimpl
    def smtpdoctor_result(self, result: CheckResult) -> None:
        self.seen.append(result)


def test_observers_see_each_final_result_in_order(smtp_test_server: SMTPTestServer) -> None:
    plugin = ResultPlugin()

    report = run_pipeline(smtp_test_server, plugins=[plugin], user=USER, password=PASSWORD)

    assert plugin.seen == list(report.results)
    assert [result.check_id for result in plugin.seen][:3] == ["tcp", "greeting", "ehlo"]


def test_every_check_class_in_the_builtin_modules_is_registered_by_its_module() -> None:
    registry = collect_checks(make_plugin_manager(load_entry_points=False))
    registered = {entry.check: entry.plugin for entry in registry.entries}
    check_modules = [name for name in BUILTIN_PLUGINS if name.startswith("smtpdoctor.checks.")]

    defined = {
        value: name
        for name in check_modules
        for value in vars(importlib.import_module(name)).values()
        if inspect.isclass(value)
        and issubclass(value, Check)
        and value.__module__ == name
        and not inspect.isabstract(value)
    }

    assert defined == registered
