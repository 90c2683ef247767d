"""The domain audit's framework (``DomainDoctor``): domain checks collected from plugins and
refused in words when malformed, run in dependency order (independent ones at once), every
failure of a check a row of the report, never a crash of the audit.

The checks here are small test plugins (modules made on the spot, passed as
``extra_plugins`` with ``builtins=()``); the DNS server is a real one on 127.0.0.1."""

from __future__ import annotations

import _thread
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType

import pytest

from smtpdoctor.core.check import StashKey
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.core.registry import RegistrationError
from smtpdoctor.domain import (
    DomainCheck,
    DomainContext,
    DomainDoctor,
    DomainRequest,
    Finding,
    RegisterDomainCheck,
    SectionResult,
)
from smtpdoctor.domain.doctor import CHECK_CRASHED, NOT_RUN, UNDECLARED_FINDING
from smtpdoctor.model.results import Hint, Outcome, Status
from smtpdoctor.model.words import ExitCode

from tests.domain.domainkit import audit
from tests.targets.dnsserver import DNSServer

ZONE = """
corp.test.        MX   10 mx.corp.test.
corp.test.        TXT  "v=spf1 -all"
mx.corp.test.     A    192.0.2.25
"""
GENEROUS = 10.0

FINE = Finding("passing.fine", Status.PASS, "All is well")
ODD = Finding("passing.odd", Status.WARN, "Something is odd", Hint("Look at it"))
BAD = Finding("passing.bad", Status.FAIL, "Something is wrong", Hint("Fix it"))
SEEN = Finding("passing.seen", Status.INFO, "What an earlier check left")

#: What the ``earlier`` check leaves for the ``later`` one.
LEFT: StashKey[str] = StashKey("tests.left")


class Passing(DomainCheck):
    """Says all is well."""

    id = "passing"
    title = "Passing"
    findings = (FINE, ODD, BAD, SEEN)

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        return [FINE.outcome(f"{ctx.domain} is fine", {"domain": ctx.domain})]


class Second(Passing):
    id = "second"
    title = "Second"


class Crashing(Passing):
    id = "crashing"
    title = "Crashing"

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        raise ValueError("an unexpected record")


class NeedsCrashing(Passing):
    id = "needs-crashing"
    title = "Needs crashing"
    requires = ("crashing",)


class Undeclared(Passing):
    id = "undeclared"
    title = "Undeclared"

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        yield FINE.outcome("this one is declared")
        yield Finding("undeclared.surprise", Status.PASS, "Surprise").outcome("this one is not")


class Silent(Passing):
    id = "silent"
    title = "Silent"

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        return []


class Earlier(Passing):
    id = "earlier"
    title = "Earlier"

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        ctx.stash[LEFT] = "left by earlier"
        return [ODD.outcome("odd, and a note left for later")]


class Later(Passing):
    id = "later"
    title = "Later"
    requires = ("earlier",)

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        earlier = ctx.sections["earlier"]
        return [
            SEEN.outcome(
                "saw what earlier found",
                {"earlier": earlier.status.value, "stash": ctx.stash.get(LEFT)},
            )
        ]


class Mixed(Passing):
    id = "mixed"
    title = "Mixed"

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        return [FINE.outcome("one thing is fine"), ODD.outcome("another is odd")]


class Failing(Passing):
    id = "failing"
    title = "Failing"

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        return [BAD.outcome("it is wrong")]


class Asking(Passing):
    id = "asking"
    title = "Asking"

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        answers = [ctx.dns.query(ctx.domain, rdtype) for rdtype in ("MX", "TXT", "CAA")]
        return [FINE.outcome("asked three questions", {"found": sum(a.found for a in answers)})]


class NotApplicable(Passing):
    id = "not-applicable"
    title = "Not applicable"

    @classmethod
    def applies(cls, request: DomainRequest) -> bool:
        return bool(request.dkim_selectors)


class NeedsNotApplicable(Passing):
    id = "needs-not-applicable"
    title = "Needs not applicable"
    requires = ("not-applicable",)


class OutlivesTheDeadline(Passing):
    id = "outlives"
    title = "Outlives the deadline"

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        while ctx.remaining() > 0:
            time.sleep(ctx.remaining())
        return [FINE.outcome("done, but late")]


class Hangs(Passing):
    id = "hangs"
    title = "Hangs"

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        threading.Event().wait(60)  # a plugin that ignores the deadline
        return [FINE.outcome("far too late")]


class AfterTheDeadline(Passing):
    id = "after-deadline"
    title = "After the deadline"
    requires = ("outlives",)


class Interrupted(Passing):
    id = "interrupted"
    title = "Interrupted"
    requires = ("passing",)

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        _thread.interrupt_main()  # Ctrl-C arrives in the main thread, as a signal does
        time.sleep(5)  # the audit must not wait for this check: its thread is abandoned
        return []


def plugin(
    name: str,
    *checks: object,
    hook: Callable[[RegisterDomainCheck], None] | None = None,
) -> ModuleType:
    """A plugin module ``name`` whose ``smtpdoctor_register_domain_checks`` registers
    ``checks`` (or is ``hook``)."""

    def register_all(register: RegisterDomainCheck) -> None:
        for check in checks:
            register(check)  # type: ignore[arg-type]

    module = ModuleType(name)
    module.__dict__["smtpdoctor_register_domain_checks"] = hookimpl(hook or register_all)
    return module


def doctor(*plugins: ModuleType, builtins: tuple[str, ...] = ()) -> DomainDoctor:
    return DomainDoctor(PluginSelection(autoload=False), builtins=builtins, extra_plugins=plugins)


@pytest.fixture
def dns_server() -> Iterator[DNSServer]:
    with DNSServer(ZONE) as server:
        yield server


# -- sections and rows -----------------------------------------------------------------------


def test_each_check_is_a_section_of_the_rows_it_returned(dns_server: DNSServer) -> None:
    report = audit(dns_server, "Corp.Test.", builtins=(), extra_plugins=[plugin("acme", Passing)])

    (section,) = report.sections
    (row,) = section.rows
    assert report.domain == "corp.test"
    assert (section.check_id, section.title, section.status) == ("passing", "Passing", Status.PASS)
    assert (row.check_id, row.outcome.finding, row.summary) == (
        "passing",
        "passing.fine",
        "corp.test is fine",
    )
    assert dict(row.outcome.details) == {"domain": "corp.test"}
    assert report.exit_code is ExitCode.OK


def test_a_rows_hint_is_its_findings_hint(dns_server: DNSServer) -> None:
    report = audit(dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Mixed)])

    row = report.row("passing.odd")
    assert row is not None
    assert row.hints == (Hint("Look at it"),)
    assert report.row("passing.fine") is not None
    assert report.row("passing.bad") is None


def test_a_section_and_the_report_take_the_worst_row(dns_server: DNSServer) -> None:
    report = audit(dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Mixed)])

    section = report.section("mixed")
    assert section is not None
    assert section.status is Status.WARN
    assert [row.outcome.finding for row in section.problems] == ["passing.odd"]
    assert report.exit_code is ExitCode.WARNING
    assert report.exit_status == 1


def test_a_failure_anywhere_makes_the_audit_critical(dns_server: DNSServer) -> None:
    report = audit(
        dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Mixed, Failing)]
    )

    assert report.exit_code is ExitCode.CRITICAL
    assert [section.status for section in report.sections] == [Status.WARN, Status.FAIL]


def test_an_audit_with_no_checks_has_no_sections_and_is_ok(dns_server: DNSServer) -> None:
    report = audit(dns_server, "corp.test", builtins=())

    assert report.sections == ()
    assert report.exit_code is ExitCode.OK


def test_the_report_counts_the_dns_questions_and_names_who_answered(
    dns_server: DNSServer,
) -> None:
    report = audit(dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Asking)])

    assert report.dns_queries == 3
    assert report.dns_servers == dns_server.address
    assert sorted(dns_server.questions) == [
        ("corp.test.", "CAA"),
        ("corp.test.", "MX"),
        ("corp.test.", "TXT"),
    ]
    row = report.row("passing.fine")
    assert row is not None
    assert row.outcome.details["found"] == 2


def test_a_check_that_does_not_apply_has_no_section_and_does_not_hold_up_others(
    dns_server: DNSServer,
) -> None:
    checks = plugin("acme", NotApplicable, NeedsNotApplicable)

    without = audit(dns_server, "corp.test", builtins=(), extra_plugins=[checks])
    with_selector = audit(
        dns_server, "corp.test", builtins=(), extra_plugins=[checks], dkim_selectors=("s1",)
    )

    assert [section.check_id for section in without.sections] == ["needs-not-applicable"]
    assert [section.check_id for section in with_selector.sections] == [
        "not-applicable",
        "needs-not-applicable",
    ]


def test_each_section_is_handed_to_the_observer_as_it_finishes(dns_server: DNSServer) -> None:
    seen: list[SectionResult] = []
    request = DomainRequest("corp.test", dns_servers=(dns_server.name_server,), timeout=2.0)

    report = doctor(plugin("acme", Earlier, Later)).run(request, observer=seen.append)

    assert [section.check_id for section in seen] == ["earlier", "later"]
    assert tuple(seen) == report.sections


# -- a check's bugs are rows, not crashes ----------------------------------------------------


def test_a_check_that_raises_is_an_error_row_and_the_others_still_run(
    dns_server: DNSServer,
) -> None:
    report = audit(
        dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Crashing, Second)]
    )

    crashed = report.row(CHECK_CRASHED)
    assert crashed is not None
    assert crashed.check_id == "crashing"
    assert crashed.status is Status.ERROR
    assert "ValueError: an unexpected record" in crashed.summary
    assert crashed.hints[0].title.startswith("Report this bug")
    second = report.section("second")
    assert second is not None
    assert second.status is Status.PASS
    assert report.exit_code is ExitCode.UNKNOWN


def test_a_check_that_needs_a_crashed_one_is_not_run_and_says_why(dns_server: DNSServer) -> None:
    report = audit(
        dns_server,
        "corp.test",
        builtins=(),
        extra_plugins=[plugin("acme", Crashing, NeedsCrashing)],
    )

    section = report.section("needs-crashing")
    assert section is not None
    (row,) = section.rows
    assert (row.status, row.outcome.finding) == (Status.SKIP, NOT_RUN)
    assert row.summary == "not run: crashing broke (a bug, see its row)"


def test_a_finding_the_check_does_not_declare_is_an_error_row(dns_server: DNSServer) -> None:
    report = audit(dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Undeclared)])

    section = report.section("undeclared")
    assert section is not None
    assert [(row.status, row.outcome.finding) for row in section.rows] == [
        (Status.PASS, "passing.fine"),
        (Status.ERROR, UNDECLARED_FINDING),
    ]
    assert "'undeclared.surprise', which it does not declare" in section.rows[1].summary
    assert section.rows[1].summary.endswith("this one is not")


def test_a_check_that_returns_no_row_is_an_error_row(dns_server: DNSServer) -> None:
    report = audit(dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Silent)])

    (row,) = report.rows
    assert (row.check_id, row.status, row.outcome.finding) == (
        "silent",
        Status.ERROR,
        UNDECLARED_FINDING,
    )
    assert row.summary == "the check returned no row (a bug)"


# -- order, sharing and time -----------------------------------------------------------------


def test_a_check_runs_after_those_it_requires_and_sees_their_section_and_stash(
    dns_server: DNSServer,
) -> None:
    # ``later`` is registered first: only ``requires`` puts it second.
    report = audit(
        dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Later, Earlier)]
    )

    row = report.row("passing.seen")
    assert row is not None
    assert dict(row.outcome.details) == {"earlier": "warn", "stash": "left by earlier"}


@pytest.mark.timeout(2 * GENEROUS)
def test_checks_that_need_nothing_of_each_other_run_at_once(dns_server: DNSServer) -> None:
    # Each waits until the other is running too: run one after the other, both would break.
    both_running = threading.Barrier(2)

    class Left(Passing):
        id = "left"
        title = "Left"

        def run(self, ctx: DomainContext) -> Iterable[Outcome]:
            both_running.wait(timeout=GENEROUS)
            return [FINE.outcome("met right")]

    class Right(Left):
        id = "right"
        title = "Right"

    report = audit(
        dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Left, Right)]
    )

    assert [(section.check_id, section.status) for section in report.sections] == [
        ("left", Status.PASS),
        ("right", Status.PASS),
    ]


def test_a_check_due_after_the_deadline_is_not_run_and_says_why(dns_server: DNSServer) -> None:
    report = audit(
        dns_server,
        "corp.test",
        builtins=(),
        extra_plugins=[plugin("acme", OutlivesTheDeadline, AfterTheDeadline)],
        deadline=0.3,
    )

    late = report.section("after-deadline")
    assert late is not None
    (row,) = late.rows
    assert (row.status, row.outcome.finding) == (Status.SKIP, NOT_RUN)
    assert row.summary == "not run: the audit's deadline (0.3 s) passed"
    outlived = report.section("outlives")
    assert outlived is not None
    assert outlived.status is Status.PASS


def test_a_check_still_running_after_the_deadline_is_abandoned_and_says_so(
    dns_server: DNSServer,
) -> None:
    report = audit(
        dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Hangs)], deadline=0.2
    )

    (row,) = report.rows
    assert (row.check_id, row.status, row.outcome.finding) == ("hangs", Status.SKIP, NOT_RUN)
    assert row.summary == "did not finish: the audit's deadline (0.2 s) passed"


def test_ctrl_c_returns_the_sections_finished_so_far_marked_interrupted(
    dns_server: DNSServer,
) -> None:
    report = audit(
        dns_server, "corp.test", builtins=(), extra_plugins=[plugin("acme", Passing, Interrupted)]
    )

    assert report.interrupted
    assert [section.check_id for section in report.sections] == ["passing"]
    assert report.exit_status == ExitCode.INTERRUPTED


def test_builtin_sections_come_in_their_listed_order_and_plugin_sections_after(
    dns_server: DNSServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "builtin_first", plugin("builtin_first", Passing))
    monkeypatch.setitem(sys.modules, "builtin_second", plugin("builtin_second", Second))

    report = audit(
        dns_server,
        "corp.test",
        builtins=("builtin_first", "builtin_second"),
        extra_plugins=[plugin("acme", Mixed)],
    )

    assert [section.check_id for section in report.sections] == ["passing", "second", "mixed"]


# -- registration refused in words ----------------------------------------------------------


class BadId(Passing):
    id = "Bad_Id"


class NoTitle(DomainCheck):
    id = "no-title"

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        return []


class NoRun(DomainCheck):
    id = "no-run"
    title = "No run"


class NeedsNobody(Passing):
    id = "needs-nobody"
    requires = ("nobody",)


def test_a_malformed_id_is_refused_naming_the_plugin() -> None:
    with pytest.raises(RegistrationError) as refused:
        doctor(plugin("acme", BadId))

    assert str(refused.value) == (
        "plugin 'acme': BadId: id must be lower-case letters, digits and hyphens, got 'Bad_Id'"
    )


@pytest.mark.parametrize("check", [NoTitle, NoRun])
def test_a_check_without_a_title_or_run_is_refused_naming_the_plugin(
    check: type[DomainCheck],
) -> None:
    with pytest.raises(RegistrationError, match=r"^plugin 'acme': No(Title|Run): .*title and run"):
        doctor(plugin("acme", check))


@pytest.mark.parametrize("thing", [Outcome, print, "passing", Passing()])
def test_something_that_is_not_a_domain_check_class_is_refused_naming_the_plugin(
    thing: object,
) -> None:
    with pytest.raises(RegistrationError, match=r"^plugin 'acme': .* is not a DomainCheck"):
        doctor(plugin("acme", thing))


def test_two_checks_with_one_id_are_refused_naming_both_plugins() -> None:
    with pytest.raises(RegistrationError) as refused:
        doctor(plugin("acme", Passing), plugin("zenith", Passing))

    message = str(refused.value)
    assert message.startswith("domain check id 'passing' is registered twice: by plugin ")
    assert "'acme'" in message
    assert "'zenith'" in message


def test_requiring_a_check_nobody_registers_is_refused_naming_the_plugin() -> None:
    with pytest.raises(RegistrationError) as refused:
        doctor(plugin("acme", NeedsNobody))

    assert str(refused.value) == (
        "plugin 'acme': domain check 'needs-nobody' requires 'nobody', which no plugin registers"
    )


def test_a_registration_hook_that_raises_is_refused_naming_the_plugin() -> None:
    def broken(register: RegisterDomainCheck) -> None:
        raise RuntimeError("the configuration file is missing")

    with pytest.raises(RegistrationError) as refused:
        doctor(plugin("acme", hook=broken))

    assert str(refused.value) == (
        "plugin 'acme' failed while registering its domain checks: RuntimeError: "
        "the configuration file is missing"
    )


def test_a_registered_check_is_listed_with_its_plugin() -> None:
    registered = doctor(plugin("acme", Earlier, Later)).checks

    assert [(entry.check, entry.plugin) for entry in registered] == [
        (Earlier, "acme"),
        (Later, "acme"),
    ]


SLOW = Finding("slow.failed", Status.FAIL, "A look-up failed", Hint("Fix the name servers"))
ANSWERED = Finding("slow.answered", Status.PASS, "Answered")


class AsksASlowName(DomainCheck):
    id = "slow"
    title = "Asks a slow name"
    findings = (SLOW, ANSWERED)

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        fast = ctx.dns.query(ctx.domain, "TXT")
        slow = ctx.dns.query(f"slow.{ctx.domain}", "TXT")
        return [
            ANSWERED.outcome(f"TXT {ctx.domain}: {fast.describe()}"),
            SLOW.outcome(f"TXT slow.{ctx.domain}: {slow.explanation}"),
        ]


def test_a_look_up_the_deadline_cut_short_is_not_blamed_on_the_domain() -> None:
    zone = 'corp.test. TXT "hello"\nslow.corp.test. TXT "late"'
    with DNSServer(zone, delay={"slow.corp.test.": 3.0}) as server:
        report = audit(
            server,
            "corp.test",
            builtins=(),
            extra_plugins=[plugin("acme", AsksASlowName)],
            timeout=5.0,
            deadline=0.5,
        )

    answered, cut, unfinished = report.rows
    assert answered.status is Status.PASS
    assert (cut.status, cut.hints) == (Status.SKIP, ())
    assert cut.summary == "TXT slow.corp.test: not answered: the run's deadline passed (--deadline)"
    assert unfinished.status is Status.SKIP
    assert unfinished.summary.startswith("not finished: the audit's deadline (0.5 s) passed")
    assert report.exit_code == ExitCode.OK
