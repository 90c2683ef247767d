"""For every hook: the order smtpdoctor calls the implementations in, what becomes of a hook
wrapper, and what a failing implementation costs (docs/plugins/hooks.md, "Order and
wrappers").

* pluggy's order holds: ``tryfirst`` implementations first, ``trylast`` ones last, and among
  equals the plugin loaded last is called first (``trylast`` ones: the one loaded first);
* the builtins come before every other plugin that is not ``tryfirst``;
* a wrapper (``wrapper=True`` or ``hookwrapper=True``) is refused when its plugin is loaded,
  with a message that names the plugin and the hook;
* an implementation that raises costs only its own part, and the failure names its plugin.

Each hook is driven the way a run drives it: registrations through ``collect_checks`` and
``collect_renderers``, hints and observers through a whole run against the test server, where
the plugins below answer the refused login (``auth``).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

import pluggy
import pytest

from smtpdoctor import (
    Check,
    CheckContext,
    CheckResult,
    Hint,
    Outcome,
    RegisterCheck,
    Status,
    hookimpl,
)
from smtpdoctor.__main__ import main
from smtpdoctor.core import hookspecs
from smtpdoctor.core.plugins import BUILTIN_PLUGINS, PluginLoadError, make_plugin_manager
from smtpdoctor.core.registry import RegistrationError, collect_checks
from smtpdoctor.domain import (
    DOMAIN_BUILTINS,
    DomainCheck,
    DomainContext,
    RegisterDomainCheck,
    collect_domain_checks,
)
from smtpdoctor.model.results import Report
from smtpdoctor.render import RegisterRenderer, RenderingError, collect_renderers
from smtpdoctor.testing import USER, SMTPTestServer, run_pipeline

from tests.plugins.pluginkit import WritePlugin

pytest_plugins = ["tests.plugins.pluginfixtures"]

#: Stands for whatever the builtins contributed, in a list of contributions in call order.
BUILTINS = "<builtins>"
#: The check whose result the hint and observer plugins below answer: a refused login.
ANSWERED = "auth"

Order = Literal["tryfirst", "trylast"] | None


class Plugin:
    """A third-party plugin object.  pluggy names a plugin by its ``__name__``, as it names
    a module, so messages show ``name``."""

    def __init__(self, name: str, journal: list[str], *, fails: bool) -> None:
        self.__name__ = name
        self.journal = journal
        self.fails = fails

    def called(self) -> None:
        """Write the plugin's name in the journal; then raise, if this plugin is broken."""
        self.journal.append(self.__name__)
        if self.fails:
            raise RuntimeError(f"{self.__name__} is broken")


class MakePlugin(Protocol):
    """Builds a plugin that implements one hook, contributing something named ``name``."""

    def __call__(
        self, name: str, journal: list[str], order: Order = None, *, fails: bool = False
    ) -> Plugin: ...


def registers_a_check(
    name: str, journal: list[str], order: Order = None, *, fails: bool = False
) -> Plugin:
    """A plugin that registers a check whose id is its name."""

    class Named(Check):
        id = name
        title = f"a check of {name}"
        requires = ("greeting",)

        def run(self, ctx: CheckContext) -> Outcome:
            return Outcome(Status.PASS, "registered")

    class RegistersACheck(Plugin):
        @hookimpl(tryfirst=order == "tryfirst", trylast=order == "trylast")
        def smtpdoctor_register_checks(self, register: RegisterCheck) -> None:
            self.called()
            register(Named)

    return RegistersACheck(name, journal, fails=fails)


def registers_a_domain_check(
    name: str, journal: list[str], order: Order = None, *, fails: bool = False
) -> Plugin:
    """A plugin that registers a domain check whose id is its name."""

    class Named(DomainCheck):
        id = name
        title = f"a domain check of {name}"

        def run(self, ctx: DomainContext) -> list[Outcome]:
            return []

    class RegistersADomainCheck(Plugin):
        @hookimpl(tryfirst=order == "tryfirst", trylast=order == "trylast")
        def smtpdoctor_register_domain_checks(self, register: RegisterDomainCheck) -> None:
            self.called()
            register(Named)

    return RegistersADomainCheck(name, journal, fails=fails)


def registers_a_format(
    name: str, journal: list[str], order: Order = None, *, fails: bool = False
) -> Plugin:
    """A plugin that registers an output format called by its name."""

    class RegistersAFormat(Plugin):
        @hookimpl(tryfirst=order == "tryfirst", trylast=order == "trylast")
        def smtpdoctor_register_renderers(self, register: RegisterRenderer) -> None:
            self.called()
            register(name, lambda report, options: name)

    return RegistersAFormat(name, journal, fails=fails)


def gives_a_hint(
    name: str, journal: list[str], order: Order = None, *, fails: bool = False
) -> Plugin:
    """A plugin that answers the refused login with a hint titled by its name."""

    class GivesAHint(Plugin):
        @hookimpl(tryfirst=order == "tryfirst", trylast=order == "trylast")
        def smtpdoctor_hints(self, result: CheckResult) -> list[Hint] | None:
            if result.check_id != ANSWERED:
                return None
            self.called()
            return [Hint(name)]

    return GivesAHint(name, journal, fails=fails)


def observes_results(
    name: str, journal: list[str], order: Order = None, *, fails: bool = False
) -> Plugin:
    """A plugin that observes the refused login's result (and writes its name down)."""

    class ObservesResults(Plugin):
        @hookimpl(tryfirst=order == "tryfirst", trylast=order == "trylast")
        def smtpdoctor_result(self, result: CheckResult) -> None:
            if result.check_id == ANSWERED:
                self.called()

    return ObservesResults(name, journal, fails=fails)


def in_order(contributions: Iterable[str]) -> list[str]:
    """``contributions``, each run of the builtins' shown as one :data:`BUILTINS`."""
    shown: list[str] = []
    for contribution in contributions:
        if contribution != BUILTINS or shown[-1:] != [BUILTINS]:
            shown.append(contribution)
    return shown


def refused_login(server: SMTPTestServer, plugins: list[Plugin]) -> Report:
    """A whole run with ``plugins`` loaded after the builtins, in which the login fails."""
    return run_pipeline(server, plugins=plugins, user=USER, password="wrong")


def checks_registered(server: SMTPTestServer, plugins: list[Plugin]) -> list[str]:
    registry = collect_checks(make_plugin_manager(extra_plugins=plugins, load_entry_points=False))
    return in_order(
        BUILTINS if entry.plugin in BUILTIN_PLUGINS else entry.check.id
        for entry in registry.entries
    )


def domain_checks_registered(server: SMTPTestServer, plugins: list[Plugin]) -> list[str]:
    manager = make_plugin_manager(
        extra_builtins=DOMAIN_BUILTINS, extra_plugins=plugins, load_entry_points=False
    )
    return in_order(
        BUILTINS if entry.plugin in DOMAIN_BUILTINS else entry.check.id
        for entry in collect_domain_checks(manager)
    )


def formats_registered(server: SMTPTestServer, plugins: list[Plugin]) -> list[str]:
    manager = make_plugin_manager(extra_plugins=plugins, load_entry_points=False)
    return in_order(
        BUILTINS if info.plugin in BUILTIN_PLUGINS else info.name
        for info in collect_renderers(manager)
    )


def hints_added(server: SMTPTestServer, plugins: list[Plugin]) -> list[str]:
    result = refused_login(server, plugins).result(ANSWERED)
    assert result is not None
    added = result.hints[len(result.outcome.hints) :]  # after the check's own
    names = {plugin.__name__ for plugin in plugins}
    return in_order(hint.title if hint.title in names else BUILTINS for hint in added)


def results_observed(server: SMTPTestServer, plugins: list[Plugin]) -> list[str]:
    """The observers' journal: who saw the refused login's result, in order."""
    refused_login(server, plugins)
    return plugins[0].journal if plugins else []


def registering_checks_fails(server: SMTPTestServer, plugins: list[Plugin]) -> str:
    with pytest.raises(RegistrationError) as refused:
        checks_registered(server, plugins)
    return str(refused.value)


def registering_domain_checks_fails(server: SMTPTestServer, plugins: list[Plugin]) -> str:
    with pytest.raises(RegistrationError) as refused:
        domain_checks_registered(server, plugins)
    return str(refused.value)


def registering_formats_fails(server: SMTPTestServer, plugins: list[Plugin]) -> str:
    with pytest.raises(RenderingError) as refused:
        formats_registered(server, plugins)
    return str(refused.value)


def failed_hints(server: SMTPTestServer, plugins: list[Plugin]) -> str:
    result = refused_login(server, plugins).result(ANSWERED)
    assert result is not None
    return "\n".join(hint.title for hint in result.hints if "plugin failed" in hint.title)


def failed_observers(server: SMTPTestServer, plugins: list[Plugin]) -> str:
    report = refused_login(server, plugins)
    notes = [line.text for line in report.transcript if line.direction == "*"]
    return "\n".join(note for note in notes if "failed to observe" in note)


#: Loads plugins, drives the hook as a run does, and says what came out (see each field).
Drive = Callable[[SMTPTestServer, list[Plugin]], list[str]]


@dataclass(frozen=True, slots=True, repr=False)
class HookUnderTest:
    """One hook, a plugin that implements it, and how a run shows the hook's effects."""

    name: str
    plugin: MakePlugin
    contributions: Drive
    """Who contributed, in the order the run shows: the plugins' names and :data:`BUILTINS`."""
    failure: Callable[[SMTPTestServer, list[Plugin]], str]
    """Where a run shows that an implementation failed: an error message, a hint, a note."""
    failure_named: str
    """What that says when the plugin ``broken`` raised ``RuntimeError("broken is broken")``."""
    builtins_implement_it: bool

    def __repr__(self) -> str:
        return self.name


HOOKS = [
    HookUnderTest(
        "smtpdoctor_register_checks",
        registers_a_check,
        checks_registered,
        registering_checks_fails,
        "failed while registering its checks: RuntimeError: broken is broken",
        builtins_implement_it=True,
    ),
    HookUnderTest(
        "smtpdoctor_register_domain_checks",
        registers_a_domain_check,
        domain_checks_registered,
        registering_domain_checks_fails,
        "plugin 'broken' failed while registering its domain checks: RuntimeError: broken is "
        "broken",
        builtins_implement_it=True,
    ),
    HookUnderTest(
        "smtpdoctor_register_renderers",
        registers_a_format,
        formats_registered,
        registering_formats_fails,
        "plugin 'broken' failed while registering its renderers: RuntimeError: broken is broken",
        builtins_implement_it=True,
    ),
    HookUnderTest(
        "smtpdoctor_hints",
        gives_a_hint,
        hints_added,
        failed_hints,
        "(a hint plugin failed: broken raised RuntimeError)",
        builtins_implement_it=True,
    ),
    HookUnderTest(
        "smtpdoctor_result",
        observes_results,
        results_observed,
        failed_observers,
        "plugin 'broken' failed to observe auth: RuntimeError: broken is broken",
        builtins_implement_it=False,
    ),
]

every_hook = pytest.mark.parametrize("hook", HOOKS, ids=str)


def test_every_hook_of_the_hookspecs_is_specified_here() -> None:
    specified = {name for name in vars(hookspecs) if name.startswith("smtpdoctor_")}

    assert {hook.name for hook in HOOKS} == specified


@every_hook
def test_tryfirst_comes_first_and_trylast_last_whatever_the_load_order(
    hook: HookUnderTest, smtp_test_server: SMTPTestServer
) -> None:
    journal: list[str] = []
    plugins = [
        hook.plugin("late", journal, "trylast"),
        hook.plugin("plain", journal),
        hook.plugin("early", journal, "tryfirst"),
    ]

    contributions = hook.contributions(smtp_test_server, plugins)

    assert [c for c in contributions if c != BUILTINS] == ["early", "plain", "late"]
    assert journal == ["early", "plain", "late"]


@every_hook
def test_among_equals_the_plugin_loaded_last_is_called_first(
    hook: HookUnderTest, smtp_test_server: SMTPTestServer
) -> None:
    """pluggy's order, exactly: last in, first called — except among ``trylast``
    implementations, which pluggy calls in load order."""
    journal: list[str] = []
    plugins = [
        hook.plugin("first-1", journal, "tryfirst"),
        hook.plugin("last-1", journal, "trylast"),
        hook.plugin("plain-1", journal),
        hook.plugin("plain-2", journal),
        hook.plugin("last-2", journal, "trylast"),
        hook.plugin("first-2", journal, "tryfirst"),
    ]

    contributions = hook.contributions(smtp_test_server, plugins)

    expected = ["first-2", "first-1", "plain-2", "plain-1", "last-1", "last-2"]
    assert [c for c in contributions if c != BUILTINS] == expected
    assert journal == expected


@pytest.mark.parametrize("hook", [h for h in HOOKS if h.builtins_implement_it], ids=str)
def test_the_builtins_come_before_every_plugin_that_is_not_tryfirst(
    hook: HookUnderTest, smtp_test_server: SMTPTestServer
) -> None:
    """The builtins are loaded first; what they contribute comes first too (their checks run
    in their order, their formats are listed first, the knowledge base's hints lead), unless
    a plugin asks to be ``tryfirst``."""
    journal: list[str] = []
    plugins = [
        hook.plugin("late", journal, "trylast"),
        hook.plugin("plain", journal),
        hook.plugin("early", journal, "tryfirst"),
    ]

    assert hook.contributions(smtp_test_server, []) == [BUILTINS]
    assert hook.contributions(smtp_test_server, plugins) == ["early", BUILTINS, "plain", "late"]


def test_no_builtin_observes_results() -> None:
    """So for ``smtpdoctor_result`` there is no builtin to come first."""
    manager = make_plugin_manager(load_entry_points=False)

    assert manager.hook.smtpdoctor_result.get_hookimpls() == []


def around() -> Iterator[None]:
    """The body of a hook wrapper: before the other implementations, then after them."""
    yield


WRAPPER_STYLES = {
    "wrapper": hookimpl(wrapper=True),  # new style
    "hookwrapper": hookimpl(hookwrapper=True),  # old style
}


def wrapping(hook: str, style: str) -> types.ModuleType:
    """A plugin module named ``wrapping`` whose implementation of ``hook`` is a wrapper."""
    module = types.ModuleType("wrapping")
    setattr(module, hook, WRAPPER_STYLES[style](around))
    return module


@every_hook
@pytest.mark.parametrize("style", sorted(WRAPPER_STYLES))
def test_a_wrapper_is_refused_when_its_plugin_is_loaded_naming_the_plugin_and_the_hook(
    hook: HookUnderTest, style: str
) -> None:
    with pytest.raises(PluginLoadError) as refused:
        make_plugin_manager(extra_plugins=[wrapping(hook.name, style)], load_entry_points=False)

    assert str(refused.value).startswith(
        f"plugin 'wrapping' is not valid: {hook.name} is a hook wrapper ({style}=True), "
        "and smtpdoctor runs none"
    )


def test_a_plugin_file_with_a_wrapper_stops_the_command_naming_plugin_file_and_hook(
    write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_plugin(
        "hint_filter",
        """
        from smtpdoctor import hookimpl

        @hookimpl(wrapper=True)
        def smtpdoctor_hints(result):
            hints = yield
            return [hint for hint in hints if hint]
        """,
    )

    code = main(["checks", "--plugin", str(path)])

    assert code == 3
    assert (
        f"plugin 'hint_filter' ({path}) is not valid: smtpdoctor_hints is a hook wrapper "
        "(wrapper=True)"
    ) in capsys.readouterr().err


def test_a_wrapper_in_a_manager_built_without_smtpdoctor_is_refused_when_the_hook_is_called() -> (
    None
):
    """Even a bare pluggy manager never has a wrapper silently skipped: the call is refused,
    naming the plugin and the hook, before any implementation runs."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(wrapping("smtpdoctor_register_checks", "wrapper"))

    with pytest.raises(pluggy.PluginValidationError) as refused:
        collect_checks(manager)

    assert str(refused.value).startswith(
        "plugin 'wrapping': smtpdoctor_register_checks is a hook wrapper (wrapper=True)"
    )


@every_hook
def test_a_failing_implementation_costs_only_its_own_part_and_is_named(
    hook: HookUnderTest, smtp_test_server: SMTPTestServer
) -> None:
    journal: list[str] = []
    plugins = [
        hook.plugin("sound-1", journal),
        hook.plugin("broken", journal, fails=True),
        hook.plugin("sound-2", journal),
    ]

    failure = hook.failure(smtp_test_server, plugins)

    assert hook.failure_named in failure
    assert journal == ["sound-2", "broken", "sound-1"]  # the one after it was still called


def test_a_failing_hint_plugin_keeps_the_hints_of_the_others_in_their_place(
    smtp_test_server: SMTPTestServer,
) -> None:
    journal: list[str] = []
    plugins = [
        gives_a_hint("sound-1", journal),
        gives_a_hint("broken", journal, fails=True),
        gives_a_hint("sound-2", journal),
    ]

    result = refused_login(smtp_test_server, plugins).result(ANSWERED)

    assert result is not None
    titles = [hint.title for hint in result.hints]
    assert titles[-3:] == [
        "sound-2",
        "(a hint plugin failed: broken raised RuntimeError)",
        "sound-1",
    ]
