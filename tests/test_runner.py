"""The runner's promises: dependency order, SKIP with reasons, ERROR rows instead of
tracebacks, checks held to the findings they declare, validated registrations, and hints
from the hook."""

from __future__ import annotations

import re
from collections.abc import Callable

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
from smtpdoctor.core import runner
from smtpdoctor.core.check import UNDECLARED_FINDING
from smtpdoctor.core.plugins import PluginLoadError, make_plugin_manager
from smtpdoctor.core.registry import CheckRegistry, RegistrationError
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.words import ExitCode, TLSMode
from smtpdoctor.net.transport import StepTimeout
from smtpdoctor.remedies import HintContext
from smtpdoctor.settings.config import RunConfig


class Crashes(Check):
    id = "crashes"
    title = "A check with a bug"
    requires = ("ehlo",)

    def run(self, ctx: CheckContext) -> Outcome:
        raise ZeroDivisionError("division by zero")


class AfterCrash(Check):
    id = "after-crash"
    title = "Depends on the buggy check"
    requires = ("crashes",)

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "unreachable")


class BannerNamesHost(Check):
    id = "banner-host"
    title = "Banner names the host"
    requires = ("greeting",)

    def run(self, ctx: CheckContext) -> Outcome:
        greeting = ctx.session.greeting
        assert greeting is not None
        if "localhost" in greeting.text:
            return Outcome(Status.PASS, "the banner names the host")
        return Outcome(Status.WARN, "the banner does not name the host", finding="banner.anonymous")


class Plugin:
    """A third-party plugin object, registered like any installed plugin."""

    def __init__(self, *checks: type[Check]) -> None:
        self.checks = checks

    @hookimpl
    def smtpdoctor_register_checks(self, register: RegisterCheck) -> None:
        for check in self.checks:
            register(check)


def config_for(server: LocalSMTPServer) -> RunConfig:
    return RunConfig(
        host=server.host, port=server.port, tls=TLSMode.STARTTLS, ca_data=server.ca_pem, timeout=3
    )


def test_a_third_party_check_runs_after_what_it_requires(smtp_server: LocalSMTPServer) -> None:
    manager = make_plugin_manager(extra_plugins=[Plugin(BannerNamesHost)], load_entry_points=False)

    report = runner.run(config_for(smtp_server), manager)

    ids = [result.check_id for result in report.results]
    assert ids.index("banner-host") > ids.index("greeting")
    result = report.result("banner-host")
    assert result is not None and result.status is Status.PASS


def test_a_crashing_check_is_an_error_row_and_the_rest_still_runs(
    smtp_server: LocalSMTPServer,
) -> None:
    manager = make_plugin_manager(
        extra_plugins=[Plugin(Crashes, AfterCrash)], load_entry_points=False
    )

    report = runner.run(config_for(smtp_server), manager)

    crashed = report.result("crashes")
    assert crashed is not None and crashed.status is Status.ERROR
    assert "ZeroDivisionError: division by zero" in crashed.summary
    assert "not a problem with the server" in crashed.summary
    after = report.result("after-crash")
    assert after is not None and after.status is Status.SKIP
    assert after.summary == "not run: crashes crashed"
    auth = report.result("auth")
    assert auth is not None and auth.status is Status.INFO
    assert report.exit_code is ExitCode.UNKNOWN


class SaysTooLong(Check):
    """Declares one finding; what it returns is set per test."""

    id = "banner-length"
    title = "Banner length"
    requires = ("greeting",)
    findings = ("banner-length.too-long",)
    returns = "banner-length.too-long"

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.WARN, "the banner is 900 characters long", finding=self.returns)


class AfterLength(Check):
    id = "after-length"
    title = "Depends on the banner length"
    requires = ("banner-length",)

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "ran")


class Typo(SaysTooLong):
    returns = "banner-length.too-lnog"


class DeclaresNothing(Check):
    """Written before checks declared their findings: returns whatever it likes."""

    id = "legacy"
    title = "A check from an older plugin"
    requires = ("greeting",)

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.WARN, "something old", finding="legacy.anything")


class TimesOut(SaysTooLong):
    def run(self, ctx: CheckContext) -> Outcome:
        raise StepTimeout("no reply to NOOP within 3 s")


def run_with(server: LocalSMTPServer, *checks: type[Check]) -> Report:
    manager = make_plugin_manager(extra_plugins=[Plugin(*checks)], load_entry_points=False)
    return runner.run(config_for(server), manager)


def test_a_check_returning_a_declared_finding_keeps_its_verdict(
    smtp_server: LocalSMTPServer,
) -> None:
    report = run_with(smtp_server, SaysTooLong)

    result = report.result("banner-length")
    assert result is not None and result.status is Status.WARN
    assert result.outcome.finding == "banner-length.too-long"


def test_a_check_returning_a_finding_it_does_not_declare_is_an_error_row_naming_it(
    smtp_server: LocalSMTPServer,
) -> None:
    report = run_with(smtp_server, Typo, AfterLength)

    result = report.result("banner-length")
    assert result is not None and result.status is Status.ERROR
    assert result.outcome.finding == UNDECLARED_FINDING
    assert "the finding 'banner-length.too-lnog', which is not in its declared" in result.summary
    assert "not a problem with the server" in result.summary
    assert "WARN: the banner is 900 characters long" in result.summary
    assert dict(result.outcome.details) == {
        "undeclared_finding": "banner-length.too-lnog",
        "declared_findings": ("banner-length.too-long",),
        "reported_status": "warn",
        "reported_summary": "the banner is 900 characters long",
    }
    after = report.result("after-length")
    assert after is not None and after.status is Status.SKIP
    auth = report.result("auth")
    assert auth is not None and auth.status is Status.INFO
    assert report.exit_code is ExitCode.UNKNOWN


def test_a_check_that_declares_no_findings_may_return_any(smtp_server: LocalSMTPServer) -> None:
    report = run_with(smtp_server, DeclaresNothing)

    result = report.result("legacy")
    assert result is not None and result.status is Status.WARN
    assert result.outcome.finding == "legacy.anything"


def test_the_runners_own_findings_need_no_declaration(smtp_server: LocalSMTPServer) -> None:
    report = run_with(smtp_server, TimesOut)

    result = report.result("banner-length")
    assert result is not None and result.status is Status.FAIL
    assert result.outcome.finding == "banner-length.timeout"


def test_plugins_add_hints_to_problems(smtp_server: LocalSMTPServer) -> None:
    contexts: list[HintContext] = []

    class HintPlugin:
        @hookimpl
        def smtpdoctor_hints(self, result: CheckResult, context: HintContext) -> list[Hint] | None:
            contexts.append(context)
            if result.outcome.finding == "banner.anonymous":
                return [Hint("Put the host name in the banner", ("smtpd_banner = $myhostname",))]
            return None

    class BannerHidesHost(BannerNamesHost):
        id = "banner-hides"

        def run(self, ctx: CheckContext) -> Outcome:
            return Outcome(Status.WARN, "anonymous banner", finding="banner.anonymous")

    manager = make_plugin_manager(
        extra_plugins=[Plugin(BannerHidesHost), HintPlugin()], load_entry_points=False
    )

    report = runner.run(config_for(smtp_server), manager)

    result = report.result("banner-hides")
    assert result is not None
    assert [hint.title for hint in result.hints] == ["Put the host name in the banner"]
    assert contexts[-1].host == smtp_server.host
    assert contexts[-1].port == smtp_server.port
    assert contexts[-1].provider is None  # a local aiosmtpd server is nobody's


def test_results_stream_to_an_observer_in_order(smtp_server: LocalSMTPServer) -> None:
    seen: list[str] = []

    runner.run(
        config_for(smtp_server),
        make_plugin_manager(load_entry_points=False),
        on_result=lambda result: seen.append(result.check_id),
    )

    assert seen == ["tcp", "greeting", "ehlo", "tls", "certificate", "auth", "posture"]


class Twin(Check):
    id = "tcp"
    title = "Another tcp"

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "")


class NeedsGhost(Check):
    id = "needs-ghost"
    title = "Requires a check nobody registered"
    requires = ("ghost",)

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "")


class ChickenCheck(Check):
    id = "chicken"
    title = "Chicken"
    requires = ("egg",)

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "")


class EggCheck(Check):
    id = "egg"
    title = "Egg"
    requires = ("chicken",)

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "")


class BadId(Check):
    id = "Bad Id"
    title = "Bad id"

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "")


class FindingsAsOneString(Check):
    id = "one-string"
    title = "Findings written as a string, not a tuple"
    findings = "one-string.found"  # type: ignore[assignment]  # ("x") is a string

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "")


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ((Twin,), "check id 'tcp' is registered twice"),
        ((NeedsGhost,), "requires unknown check(s): 'ghost'"),
        ((ChickenCheck, EggCheck), "cycle"),
        ((BadId,), "id must be lower-case letters, digits and hyphens"),
        ((FindingsAsOneString,), "findings must be a tuple of finding ids, got 'one-string"),
    ],
)
def test_malformed_registrations_are_refused_before_connecting(
    checks: tuple[type[Check], ...], message: str
) -> None:
    manager = make_plugin_manager(extra_plugins=[Plugin(*checks)], load_entry_points=False)
    config = RunConfig(host="127.0.0.1", port=9)

    with pytest.raises(RegistrationError, match=re.escape(message)):
        runner.run(config, manager)


def test_registering_something_that_is_not_a_check_is_refused() -> None:
    registry = CheckRegistry()

    with pytest.raises(RegistrationError, match=r"is not a subclass of smtpdoctor\.Check"):
        registry.register(dict)  # type: ignore[arg-type]


def test_a_misspelled_hook_implementation_is_an_error() -> None:
    class Typo:
        @hookimpl
        def smtpdoctor_register_chekcs(self, register: RegisterCheck) -> None:
            """Misspelled: pluggy must not silently ignore it."""

    with pytest.raises(PluginLoadError, match="smtpdoctor_register_chekcs"):
        make_plugin_manager(extra_plugins=[Typo()], load_entry_points=False)


def test_builtin_checks_are_registered_through_the_public_hook() -> None:
    manager = make_plugin_manager(load_entry_points=False)
    callers = manager.hook.smtpdoctor_register_checks.get_hookimpls()

    names = {impl.plugin_name for impl in callers}

    assert names == {
        "smtpdoctor.checks.tcp",
        "smtpdoctor.checks.tls",
        "smtpdoctor.checks.greeting",
        "smtpdoctor.checks.ehlo",
        "smtpdoctor.checks.certificate",
        "smtpdoctor.checks.auth",
        "smtpdoctor.checks.posture",
        "smtpdoctor.checks.send",
        "smtpdoctor.checks.delivery",
        "smtpdoctor.checks.authentication",
    }


def test_a_plugin_of_one_plugin_manager_does_not_leak_into_another() -> None:
    with_plugin = make_plugin_manager(
        extra_plugins=[Plugin(BannerNamesHost)], load_entry_points=False
    )
    plain = make_plugin_manager(load_entry_points=False)

    assert "banner-host" not in runner.collect_checks(plain)
    assert len(runner.collect_checks(plain)) == 10
    assert len(runner.collect_checks(with_plugin)) == 11


def test_a_greeting_cut_short_by_the_run_deadline_says_so(
    scripted: Callable[[list[object]], object],
) -> None:
    server = scripted([("sleep", 5.0)])  # connects, then never greets
    address = server.address  # type: ignore[attr-defined]
    config = RunConfig(host=address[0], port=address[1], timeout=5.0, deadline=0.5)

    report = runner.run(config, make_plugin_manager(load_entry_points=False))

    greeting = report.result("greeting")
    assert greeting is not None and greeting.status is Status.FAIL
    # the 0.5 s deadline, not the 5 s timeout, ended the wait: the row must not claim 5 s
    assert greeting.summary == (
        "connected, but the server said nothing before the run's deadline (0.5 s)"
    )
