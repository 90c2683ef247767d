"""Runs the checks of one run, in dependency order, over one shared session.

The runner owns the rules every check gets for free:

* a check whose dependency did not pass is SKIP, with the reason;
* a network failure or a protocol violation that escapes a check is a FAIL for that check,
  worded for a person — the server broke something;
* any other exception is an ERROR row — smtpdoctor or a plugin broke something — never a
  traceback, and the remaining checks still run;
* after the run's deadline nothing more is sent;
* the session is always closed (politely, with QUIT, when possible).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

import pluggy

from smtpdoctor._version import __version__
from smtpdoctor.check import Check, CheckContext, Stash
from smtpdoctor.config import RunConfig
from smtpdoctor.protocol import RemoteProtocolError
from smtpdoctor.registry import CheckRegistry
from smtpdoctor.results import CheckResult, Hint, Outcome, Report, Status, Target
from smtpdoctor.session import NotConnected, Session
from smtpdoctor.transport import ConnectionClosed, StepTimeout, TransportError

#: Dependency verdicts that let dependent checks run.
SATISFIED = frozenset({Status.PASS, Status.WARN, Status.INFO})

ResultObserver = Callable[[CheckResult], None]


def collect_checks(manager: pluggy.PluginManager) -> CheckRegistry:
    """Ask every plugin, in the order plugins were loaded (builtins first), to register its
    checks.  (A plain hook call would go last-registered-first, pluggy's order for hooks.)"""
    registry = CheckRegistry()
    for implementation in manager.hook.smtpdoctor_register_checks.get_hookimpls():
        arguments = {"register": registry.register}
        implementation.function(*(arguments[name] for name in implementation.argnames))
    return registry


def run(
    config: RunConfig,
    manager: pluggy.PluginManager,
    *,
    on_result: ResultObserver | None = None,
    session: Session | None = None,
) -> Report:
    """Run every registered check against ``config``'s server and return the report.

    Raises :class:`~smtpdoctor.registry.RegistrationError` before connecting if the checks do
    not form a valid plan; everything that happens after that is reported, not raised.
    """
    plan = collect_checks(manager).ordered(config)
    session = session or Session(config)
    started_at = datetime.now(UTC)
    results: dict[str, CheckResult] = {}
    context = CheckContext(config, session, MappingProxyType(results), Stash())
    try:
        for check in plan:
            result = _with_hints(_run_one(check, context, results), manager)
            results[check.id] = result
            if on_result is not None:
                on_result(result)
    finally:
        session.close()
    return Report(
        target=Target(config.host, config.port, config.tls_mode.value),
        results=tuple(results.values()),
        started_at=started_at,
        duration=session.elapsed(),
        tool_version=__version__,
        verification_disabled=config.insecure,
        transcript=session.transcript,
    )


def _run_one(
    check: type[Check], context: CheckContext, results: dict[str, CheckResult]
) -> CheckResult:
    blockers = [
        _root_cause(dep, results)
        for dep in check.dependencies(context.config)
        if results[dep].status not in SATISFIED
    ]
    if blockers:
        roots = dict.fromkeys(blockers)  # ordered, without repeats
        reasons = " and ".join(f"{dep} {_verb(results[dep].status)}" for dep in roots)
        return _result(
            check,
            Outcome(Status.SKIP, f"not run: {reasons}", details={"blocked_by": tuple(roots)}),
            0.0,
        )
    if context.session.deadline_passed:
        return _result(
            check,
            Outcome(
                Status.SKIP, f"not run: the run's deadline ({context.config.deadline:g} s) passed"
            ),
            0.0,
        )
    start = time.monotonic()
    try:
        outcome = check().run(context)
    except NotConnected:
        outcome = Outcome(Status.SKIP, "not run: an earlier step ended the connection")
    except StepTimeout as exc:
        outcome = Outcome(
            Status.FAIL,
            f"timed out: {exc}",
            finding=f"{check.id}.timeout",
            details={"error": str(exc)},
        )
    except ConnectionClosed as exc:
        outcome = Outcome(
            Status.FAIL, f"connection lost: {exc}", finding=f"{check.id}.connection-lost"
        )
    except TransportError as exc:
        outcome = Outcome(Status.FAIL, f"network error: {exc}", finding=f"{check.id}.network-error")
    except RemoteProtocolError as exc:
        outcome = Outcome(
            Status.FAIL,
            f"the server broke the SMTP protocol: {exc}",
            finding=f"{check.id}.protocol-error",
        )
    except Exception as exc:  # noqa: BLE001 - a broken check must not stop the run
        outcome = Outcome(
            Status.ERROR,
            f"the check crashed ({type(exc).__name__}: {exc}); this is a bug in "
            f"{check.__module__}, not a problem with the server",
            finding="check.crashed",
        )
    return _result(check, outcome, time.monotonic() - start)


def _with_hints(result: CheckResult, manager: pluggy.PluginManager) -> CheckResult:
    """Add the hints of the knowledge base and of plugins to a WARN, FAIL or ERROR result."""
    if not result.status.is_problem:
        return result
    try:
        contributed = manager.hook.smtpdoctor_hints(result=result)
    except Exception as exc:  # noqa: BLE001 - a broken hint plugin must not hide the result
        contributed = [[Hint(f"(a hint plugin failed: {type(exc).__name__}: {exc})")]]
    extra = tuple(hint for hints in contributed for hint in hints or () if hint not in result.hints)
    if not extra:
        return result
    return replace(result, hints=result.hints + extra)


def _result(check: type[Check], outcome: Outcome, duration: float) -> CheckResult:
    return CheckResult(check.id, check.title, outcome, outcome.hints, round(duration, 6))


def _root_cause(check_id: str, results: dict[str, CheckResult]) -> str:
    """The check whose failure made ``check_id`` not pass: itself, or what blocked it."""
    blocked_by = results[check_id].outcome.details.get("blocked_by")
    if results[check_id].status is Status.SKIP and isinstance(blocked_by, tuple) and blocked_by:
        return str(blocked_by[0])
    return check_id


def _verb(status: Status) -> str:
    return {
        Status.FAIL: "failed",
        Status.SKIP: "was skipped",
        Status.ERROR: "crashed",
    }.get(status, status.value)
