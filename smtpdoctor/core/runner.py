"""Runs the checks of one run, in dependency order, over one shared session.

The runner owns the rules every check gets for free:

* a check whose dependency did not pass is SKIP, with the reason;
* a network failure or a protocol violation that escapes a check is a FAIL for that check,
  worded for a person — the server broke something;
* any other exception is an ERROR row — smtpdoctor or a plugin broke something — never a
  traceback, and the remaining checks still run;
* after the run's deadline nothing more is sent;
* Ctrl-C ends the run with the report of what finished, marked ``interrupted``, the rest
  SKIP;
* no secret of the run (password, token, in any encoding) is in a result or the transcript;
* the session is always closed (politely, with QUIT, when possible).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import cast

import pluggy

from smtpdoctor._version import __version__
from smtpdoctor.core.check import (
    CHECK_CRASHED,
    UNDECLARED_FINDING,
    Check,
    CheckContext,
    Stash,
    StepFailure,
    findings_of,
)
from smtpdoctor.core.hintcontext import hint_context, recognition, server_software
from smtpdoctor.core.hookcalls import call_each
from smtpdoctor.core.hooks import HintContext
from smtpdoctor.core.plugins import notify_result
from smtpdoctor.core.registry import collect_checks as collect_checks  # re-exported
from smtpdoctor.discovery.providers import Recognition
from smtpdoctor.model.results import CheckResult, Hint, Outcome, Report, Status, Target
from smtpdoctor.net.session import NotConnected, Session
from smtpdoctor.net.transport import ConnectionClosed, StepTimeout, TransportError
from smtpdoctor.protocol import RemoteProtocolError
from smtpdoctor.secrets.redaction import Redactor
from smtpdoctor.settings.config import RunConfig

#: Dependency verdicts that let dependent checks run.
SATISFIED = frozenset({Status.PASS, Status.WARN, Status.INFO})

ResultObserver = Callable[[CheckResult], None]


def run(
    config: RunConfig,
    manager: pluggy.PluginManager,
    *,
    preamble: tuple[CheckResult, ...] = (),
    on_result: ResultObserver | None = None,
    session: Session | None = None,
    recognised: Recognition | None = None,
) -> Report:
    """Run every registered check against ``config``'s server and return the report.

    ``preamble`` holds the rows found before connecting (the ``target`` and ``ports`` rows of
    :class:`~smtpdoctor.api.Plan`); they come first in the report, and checks see them, and
    their time counts in the report's duration: the run took that long, not only the session.
    ``recognised`` is the provider planning found (by the typed address's mail domain or the
    typed domain's MX); without it the run recognises the provider by what it sees.

    Raises :class:`~smtpdoctor.core.registry.RegistrationError` before connecting if the checks do
    not form a valid plan; everything that happens after that is reported, not raised.
    """
    plan = collect_checks(manager).ordered(config)
    session = session or Session(config)
    if config.verifies_certificates:
        session.trust_store.prepare()  # loads alongside the first round trips
    started_at = datetime.now(UTC)
    results: dict[str, CheckResult] = {}
    for earlier in preamble:  # found before connecting: the target's source, the ports
        results[earlier.check_id] = earlier
    context = CheckContext(config, session, MappingProxyType(results), Stash())
    redactor = Redactor(config.secrets())
    interrupted = False
    try:
        for check in plan:
            # redacted before hint plugins see it: they get no secret either
            result = _with_hints(
                redactor.result(_run_one(check, context, results)),
                manager,
                # the row's own reply counts too: it may be what names the software
                lambda row: hint_context(
                    config, session, {**results, row.check_id: row}, recognised
                ),
            )
            results[check.id] = result
            for failure in notify_result(manager, result):
                session.note(failure)
            if on_result is not None:
                on_result(result)
    except KeyboardInterrupt:
        interrupted = True
        _skip_unfinished(plan, results)
    finally:
        session.close(polite=not interrupted)
        session.trust_store.settle()
    found = recognition(config, session, results, recognised)
    return Report(
        target=Target(config.host, config.port, config.tls_mode),
        results=tuple(results.values()),
        started_at=started_at,
        duration=sum(earlier.duration for earlier in preamble) + session.elapsed(),
        tool_version=__version__,
        verification_disabled=config.insecure,
        transcript=redactor.transcript(session.transcript),
        provider=found.provider.id if found is not None else None,
        provider_clue=found.clue if found is not None else None,
        software=server_software(session, results),
        environment=config.environment,
        interrupted=interrupted,
    )


def _skip_unfinished(plan: list[type[Check]], results: dict[str, CheckResult]) -> None:
    """After Ctrl-C: the check that was running and every later one become SKIP rows."""
    unfinished = [check for check in plan if check.id not in results]
    for position, check in enumerate(unfinished):
        summary = "not run: interrupted (Ctrl-C)"
        if position == 0:
            summary = "interrupted (Ctrl-C) before it finished"
        results[check.id] = _result(check, Outcome(Status.SKIP, summary), 0.0)


def _run_one(
    check: type[Check], context: CheckContext, results: dict[str, CheckResult]
) -> CheckResult:
    blockers = [
        _root_cause(dep, results)
        for dep in check.dependencies(context.config)
        if results[dep].status not in SATISFIED
    ]
    if check.id in context.config.disabled:
        return _result(check, Outcome(Status.SKIP, "disabled (--disable)"), 0.0)
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
            finding=StepFailure.TIMEOUT.finding(check),
            details={"error": str(exc)},
        )
    except ConnectionClosed as exc:
        outcome = Outcome(
            Status.FAIL,
            f"connection lost: {exc}",
            finding=StepFailure.CONNECTION_LOST.finding(check),
        )
    except TransportError as exc:
        outcome = Outcome(
            Status.FAIL,
            f"network error: {exc}",
            finding=StepFailure.NETWORK_ERROR.finding(check),
        )
    except RemoteProtocolError as exc:
        outcome = Outcome(
            Status.FAIL,
            f"the server broke the SMTP protocol: {exc}",
            finding=StepFailure.PROTOCOL_ERROR.finding(check),
        )
    except Exception as exc:  # noqa: BLE001 - a broken check must not stop the run
        outcome = Outcome(
            Status.ERROR,
            f"the check crashed ({type(exc).__name__}: {exc}); this is a bug in "
            f"{check.__module__}, not a problem with the server",
            finding=CHECK_CRASHED,
        )
    else:
        outcome = _as_declared(check, outcome)
    return _result(check, outcome, time.monotonic() - start)


def _as_declared(check: type[Check], outcome: Outcome) -> Outcome:
    """``outcome`` as ``check`` returned it — unless the check declares its findings and this
    one is not among them: that is a bug in the check (its docs, the knowledge base and
    monitoring cannot know the finding), shown as an ERROR row naming the finding, with the
    check's own verdict kept in the summary and the details.  A check that declares no
    findings may return any."""
    finding = outcome.finding
    if not check.findings or finding is None or finding in findings_of(check):
        return outcome
    verdict = outcome.status.value.upper()
    return Outcome(
        Status.ERROR,
        f"the check returned the finding {finding!r}, which is not in its declared findings; "
        f"this is a bug in {check.__module__}, not a problem with the server (its verdict "
        f"was {verdict}: {outcome.summary})",
        details={
            "undeclared_finding": finding,
            "declared_findings": check.findings,
            "reported_status": outcome.status.value,
            "reported_summary": outcome.summary,
        },
        finding=UNDECLARED_FINDING,
    )


def _with_hints(
    result: CheckResult,
    manager: pluggy.PluginManager,
    context: Callable[[CheckResult], HintContext],
) -> CheckResult:
    """Add the hints of the knowledge base and of plugins to a WARN, FAIL or ERROR result;
    ``context(result)`` tells them the server, its software and its provider (built only for
    such results: a passing run never pays for provider detection more than once).

    Each implementation is called on its own, in pluggy's order (the builtin knowledge base
    first, unless a plugin is ``tryfirst``), so a broken hint plugin costs only its own hints.
    """
    if not result.status.is_problem:
        return result
    arguments = {"result": result, "context": context(result)}
    extra: list[Hint] = []
    for answer in call_each(manager.hook.smtpdoctor_hints, lambda _: arguments):
        hints = cast("list[Hint] | None", answer.value)
        if answer.error is not None:  # a broken hint plugin must not hide the result
            error = type(answer.error).__name__
            hints = [Hint(f"(a hint plugin failed: {answer.plugin_name} raised {error})")]
        extra += [hint for hint in hints or () if hint not in result.hints and hint not in extra]
    if not extra:
        return result
    return replace(result, hints=result.hints + tuple(extra))


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
