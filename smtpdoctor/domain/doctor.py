"""The :class:`DomainDoctor`: domain checks collected from the plugins, run in dependency
order (independent checks at once), each row a typed result."""

from __future__ import annotations

import graphlib
import inspect
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import MappingProxyType, ModuleType

import pluggy

from smtpdoctor._version import __version__
from smtpdoctor.core.check import Stash
from smtpdoctor.core.hookcalls import call_each
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.core.registry import ESSENTIAL_CHECKS, RegistrationError
from smtpdoctor.domain.check import DomainCheck, DomainContext
from smtpdoctor.domain.request import DomainRequest
from smtpdoctor.mailauth.dns import DEADLINE_PASSED, DomainDNS
from smtpdoctor.model.domain import DomainReport, SectionResult
from smtpdoctor.model.results import CheckResult, Hint, Outcome, Status

#: The builtin domain checks, registered through the same hook third parties use; among
#: checks free to run, this is the order of the report's sections.
DOMAIN_BUILTINS: tuple[str, ...] = (
    "smtpdoctor.domain.checks.mx",
    "smtpdoctor.domain.checks.smtp",
    "smtpdoctor.domain.checks.mta_sts",
    "smtpdoctor.domain.checks.tls_rpt",
    "smtpdoctor.domain.checks.dane",
    "smtpdoctor.domain.checks.spf",
    "smtpdoctor.domain.checks.dmarc",
    "smtpdoctor.domain.checks.dkim",
    "smtpdoctor.domain.checks.bulk",
)

#: A row a check could not produce: it raised, or returned a finding it does not declare.
CHECK_CRASHED = "domain.check-crashed"
UNDECLARED_FINDING = "domain.undeclared-finding"
#: A check not run because the audit's deadline passed, or a check it needs broke.
NOT_RUN = "domain.not-run"
#: A check ``--disable`` named: its row stays, so a report never hides it was turned off.
DISABLED = "domain.disabled"

_ID = re.compile(r"[a-z][a-z0-9-]*")

#: How many domain checks run at once (each in its own thread).
MAX_CHECKS_AT_ONCE = 4
#: Seconds after the deadline a running check still has to hand in its rows (every check
#: bounds its own steps by the deadline; this covers the last step's return) before the audit
#: ends without it.
DEADLINE_GRACE = 1.0

#: Called as each section finishes (for progress output).
SectionObserver = Callable[[SectionResult], None]


@dataclass(frozen=True, slots=True)
class RegisteredDomainCheck:
    """A domain check class and the plugin that registered it."""

    check: type[DomainCheck]
    plugin: str


class DomainDoctor:
    """Audits domains: made once (plugins loaded), used for many :class:`DomainRequest`."""

    def __init__(
        self,
        plugins: PluginSelection | None = None,
        *,
        extra_plugins: Iterable[ModuleType | object] = (),
        builtins: Sequence[str] = DOMAIN_BUILTINS,
    ) -> None:
        """Load the SMTP checks (for the port-25 probes) and the domain checks.

        :param builtins: the builtin domain check modules (every one by default).
        :raises PluginLoadError: a plugin cannot be loaded.
        :raises RegistrationError: a plugin registered a malformed or duplicate domain check.
        """
        from smtpdoctor.api.doctor import Doctor

        selection = plugins or PluginSelection()
        self.doctor = Doctor(
            selection,
            extra_builtins=builtins,
            extra_plugins=extra_plugins,
            more_check_ids=lambda manager: (e.check.id for e in collect_domain_checks(manager)),
        )
        #: What ``--disable`` named: domain checks keep a SKIP row; the ids of ``check``'s
        #: own checks are skipped in the port-25 probes (:attr:`DomainContext.disabled`).
        self.disabled = frozenset(selection.disabled)
        for check_id in ESSENTIAL_CHECKS:
            if check_id in self.disabled:
                raise RegistrationError(
                    f"check {check_id!r} cannot be disabled: every port-25 probe needs it "
                    "(--no-smtp skips the probes)"
                )
        checks = collect_domain_checks(self.doctor.manager)
        builtin_rank = {name: rank for rank, name in enumerate(builtins)}
        #: In section order: the builtins as listed, then the plugins' in pluggy's order.
        self.checks = tuple(
            sorted(checks, key=lambda entry: builtin_rank.get(entry.plugin, len(builtin_rank)))
        )

    def run(
        self, request: DomainRequest, *, observer: SectionObserver | None = None
    ) -> DomainReport:
        """Audit ``request.domain``: every applicable check, independent ones at once, none
        past the deadline.  Ctrl-C returns the sections finished so far, marked interrupted."""
        started_at = datetime.now(UTC)
        start = time.monotonic()
        deadline_at = start + request.deadline
        dns = DomainDNS(request.dns_servers, timeout=request.timeout, deadline_at=deadline_at)
        checks = {
            entry.check.id: entry.check for entry in self.checks if entry.check.applies(request)
        }
        order = list(checks)
        done: dict[str, SectionResult] = {}
        stash = Stash()
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for check_id, check in checks.items():
            sorter.add(check_id, *(needed for needed in check.requires if needed in checks))
        sorter.prepare()
        finished: queue.Queue[SectionResult] = queue.Queue()
        ready: list[str] = []
        running: dict[str, float] = {}  # check id -> when it started
        interrupted = False

        def finish(section: SectionResult) -> None:
            done[section.check_id] = section
            running.pop(section.check_id, None)
            sorter.done(section.check_id)
            if observer is not None:
                observer(section)

        try:
            while sorter.is_active():
                ready += [c for c in sorter.get_ready() if c not in running and c not in done]
                while ready and len(running) < MAX_CHECKS_AT_ONCE:
                    check = checks[ready.pop(0)]
                    broken = _broken(check, done)
                    ctx = DomainContext(
                        request,
                        dns,
                        deadline_at,
                        MappingProxyType(dict(done)),
                        stash,
                        self.doctor,
                        self.disabled,
                    )
                    running[check.id] = time.monotonic()
                    _start(check, ctx, broken, finished)
                wait = deadline_at + DEADLINE_GRACE - time.monotonic()
                try:
                    section = finished.get(timeout=max(wait, 0.0))
                except queue.Empty:  # past the deadline: what still runs is abandoned
                    for check_id, started in list(running.items()):
                        finish(_overran(checks[check_id], request, started))
                    for check_id in ready:
                        finish(_overran(checks[check_id], request, None))
                    ready.clear()
                else:
                    if section.check_id not in done:  # not one abandoned at the deadline
                        finish(section)
        except KeyboardInterrupt:
            interrupted = True
        return DomainReport(
            domain=request.name,
            sections=tuple(done[check_id] for check_id in order if check_id in done),
            started_at=started_at,
            duration=time.monotonic() - start,
            tool_version=__version__,
            dns_servers=dns.servers,
            dns_queries=dns.queries,
            interrupted=interrupted,
        )


def _broken(check: type[DomainCheck], done: dict[str, SectionResult]) -> list[str]:
    """The checks ``check`` requires that crashed (a bug): it is not run after them."""
    return [
        needed
        for needed in check.requires
        if needed in done and done[needed].row(CHECK_CRASHED) is not None
    ]


def _start(
    check: type[DomainCheck],
    ctx: DomainContext,
    broken: list[str],
    finished: queue.Queue[SectionResult],
) -> None:
    """Run one check in a daemon thread that puts its section on ``finished``: an audit never
    waits for a check past its deadline, and the process never waits for one at exit."""
    thread = threading.Thread(
        target=lambda: finished.put(_run_one(check, ctx, broken)),
        name=f"smtpdoctor-domain-{check.id}",
        daemon=True,
    )
    thread.start()


def _overran(
    check: type[DomainCheck], request: DomainRequest, started: float | None
) -> SectionResult:
    """The section of a check that did not finish (or start) by the audit's deadline."""
    said = "did not finish" if started is not None else "not run"
    outcome = Outcome(
        Status.SKIP,
        f"{said}: the audit's deadline ({request.deadline:g} s) passed",
        finding=NOT_RUN,
    )
    duration = time.monotonic() - started if started is not None else 0.0
    return SectionResult(
        check.id, check.title, (CheckResult(check.id, check.title, outcome),), duration
    )


def _run_one(check: type[DomainCheck], ctx: DomainContext, broken: list[str]) -> SectionResult:
    """One check's section: its rows, or one row saying why it has none."""
    start = time.monotonic()
    if check.id in ctx.disabled:
        outcomes: list[Outcome] = [
            Outcome(Status.SKIP, f"disabled (--disable {check.id})", finding=DISABLED)
        ]
    elif broken:
        outcomes = [
            Outcome(
                Status.SKIP,
                f"not run: {', '.join(broken)} broke (a bug, see its row)",
                finding=NOT_RUN,
            )
        ]
    elif ctx.remaining() <= 0:
        outcomes = [
            Outcome(
                Status.SKIP,
                f"not run: the audit's deadline ({ctx.request.deadline:g} s) passed",
                finding=NOT_RUN,
            )
        ]
    else:
        cut_before = ctx.dns.cut_by_deadline
        outcomes = _outcomes(check, ctx)
        if ctx.dns.cut_by_deadline > cut_before:
            outcomes = _unfinished(outcomes, ctx)
    rows = tuple(
        CheckResult(check.id, check.title, outcome, hints=outcome.hints) for outcome in outcomes
    )
    return SectionResult(check.id, check.title, rows, time.monotonic() - start)


def _unfinished(outcomes: list[Outcome], ctx: DomainContext) -> list[Outcome]:
    """The rows of a check the deadline cut short: a row whose problem is a look-up the
    deadline ended says nothing about the domain — it becomes SKIP, without its hint — and a
    last row says the check did not finish."""
    kept = [
        replace(outcome, status=Status.SKIP, hints=())
        if outcome.status.is_problem and DEADLINE_PASSED in outcome.summary
        else outcome
        for outcome in outcomes
    ]
    unfinished = Outcome(
        Status.SKIP,
        f"not finished: the audit's deadline ({ctx.request.deadline:g} s) passed while this "
        "check ran, and it cut DNS questions short; run again with a longer --deadline",
        finding=NOT_RUN,
    )
    return [*kept, unfinished]


def _outcomes(check: type[DomainCheck], ctx: DomainContext) -> list[Outcome]:
    try:
        outcomes = list(check().run(ctx))
    except Exception as exc:  # noqa: BLE001 - a broken check is reported, never fatal
        return [
            Outcome(
                Status.ERROR,
                f"the check crashed: {type(exc).__name__}: {exc} (a bug in smtpdoctor or "
                "the plugin; please report it)",
                finding=CHECK_CRASHED,
                hints=(Hint("Report this bug with the command you ran (--format json helps)"),),
            )
        ]
    declared = {finding.id for finding in check.findings}
    checked: list[Outcome] = []
    for outcome in outcomes:
        if outcome.finding not in declared:
            outcome = Outcome(
                Status.ERROR,
                f"the check returned finding {outcome.finding!r}, which it does not declare "
                f"(a bug): {outcome.summary}",
                finding=UNDECLARED_FINDING,
            )
        checked.append(outcome)
    if not checked:
        return [
            Outcome(
                Status.ERROR,
                "the check returned no row (a bug)",
                finding=UNDECLARED_FINDING,
            )
        ]
    return checked


def collect_domain_checks(manager: pluggy.PluginManager) -> tuple[RegisteredDomainCheck, ...]:
    """Every domain check the plugins of ``manager`` register, in registration order.

    :raises RegistrationError: a malformed check, a duplicate id, an unknown ``requires`` or
        a registration hook that raised — naming the plugin.
    """
    found: dict[str, RegisteredDomainCheck] = {}
    hook = manager.hook.smtpdoctor_register_domain_checks
    current = [""]

    def register(check: type[DomainCheck]) -> None:
        plugin = current[0]
        if not (inspect.isclass(check) and issubclass(check, DomainCheck)):
            raise RegistrationError(f"plugin {plugin!r}: {check!r} is not a DomainCheck subclass")
        check_id = getattr(check, "id", None)
        if not isinstance(check_id, str) or not _ID.fullmatch(check_id):
            raise RegistrationError(
                f"plugin {plugin!r}: {check.__qualname__}: id must be lower-case letters, "
                f"digits and hyphens, got {check_id!r}"
            )
        if inspect.isabstract(check) or not isinstance(getattr(check, "title", None), str):
            raise RegistrationError(
                f"plugin {plugin!r}: {check.__qualname__}: a domain check needs a title and run()"
            )
        if check_id in found:
            raise RegistrationError(
                f"domain check id {check_id!r} is registered twice: by plugin {plugin!r} and "
                f"by plugin {found[check_id].plugin!r}"
            )
        found[check_id] = RegisteredDomainCheck(check, plugin)

    def arguments(implementation: pluggy.HookImpl) -> dict[str, object]:
        current[0] = implementation.plugin_name
        return {"register": register}

    for answer in call_each(hook, arguments):
        if answer.error is not None:
            if isinstance(answer.error, RegistrationError):
                raise answer.error
            raise RegistrationError(
                f"plugin {answer.plugin_name!r} failed while registering its domain checks: "
                f"{type(answer.error).__name__}: {answer.error}"
            )
    for entry in found.values():
        unknown = [needed for needed in entry.check.requires if needed not in found]
        if unknown:
            raise RegistrationError(
                f"plugin {entry.plugin!r}: domain check {entry.check.id!r} requires "
                f"{', '.join(map(repr, unknown))}, which no plugin registers"
            )
    return tuple(found.values())
