"""The survey: the same run against every address of the name, then the comparison.

Politely: one member after the other by default (at most :data:`~smtpdoctor.pool.limits.
MAX_CONCURRENCY` at once when asked), at most :attr:`PoolLimits.members` of them, each with
the run's own ``--timeout`` and ``--deadline``, and the survey as a whole under a deadline of
its own — no member starts after it, and a member's deadline is cut to what is left.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

from smtpdoctor._version import __version__
from smtpdoctor.core.hooks import HintContext
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import CheckResult, Hint, Report
from smtpdoctor.model.words import ConfigError
from smtpdoctor.pool.addresses import Address, NoAddresses, addresses_of, is_address_literal
from smtpdoctor.pool.compare import compare, no_addresses
from smtpdoctor.pool.limits import PoolLimits
from smtpdoctor.pool.report import NotChecked, PoolMember, PoolReport
from smtpdoctor.settings.config import RunConfig

#: Runs the checks against one member: the run's settings with :attr:`RunConfig.address`
#: set (``Doctor.run`` of the plan with that configuration).
RunMember = Callable[[RunConfig], Report]
#: The hints for a comparison row (``smtpdoctor_hints``, as the runner asks for them).
Hints = Callable[[CheckResult, HintContext], tuple[Hint, ...]]

DEADLINE_PASSED = "the survey's deadline passed"
INTERRUPTED = "interrupted (Ctrl-C)"


def survey(
    config: RunConfig,
    run_member: RunMember,
    *,
    hints: Hints | None = None,
    limits: PoolLimits | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PoolReport:
    """Check every address of ``config.host`` with ``run_member`` and compare the members.

    Never raises for what the servers or DNS do: a name without an address is a
    ``pool.no-addresses`` row, an unreachable member a row of its own report.

    :param hints: adds the knowledge base's and plugins' hints to the comparison's WARN and
        FAIL rows; without it they have none.
    :param clock: the monotonic clock the survey's deadline is measured with.
    :raises ConfigError: ``config`` sends a test message (one message goes to one server),
        or goes through a ``socks5h`` proxy (which resolves the name itself).
    """
    check_survey(config.send is not None, config.proxy.display if config.proxy else None)
    limits = limits or PoolLimits()
    started, started_at = clock(), datetime.now(UTC)
    deadline_at = started + limits.deadline_for(config.deadline)
    unresolved: CheckResult | None = None
    try:
        found = addresses_of(config)
    except NoAddresses as error:
        found, unresolved = (), no_addresses(config.host, str(error))
    chosen = found[: limits.members]
    over = f"over the limit of {plural(limits.members, 'member')}"
    checked = _check_all(chosen, config, run_member, limits.concurrency, deadline_at, clock)
    members = tuple(item for item in checked if isinstance(item, PoolMember))
    not_checked = (
        *(item for item in checked if isinstance(item, NotChecked)),
        *(NotChecked(a.address, a.family, over) for a in found[limits.members :]),
    )
    comparison = (
        (unresolved,)
        if unresolved is not None
        else compare(members, host=config.host, literal=is_address_literal(config.host))
    )
    if hints is not None:
        context = HintContext(
            host=config.host,
            port=config.port,
            tls_mode=config.tls_mode,
            provider=next((m.report.provider for m in members if m.report.provider), None),
        )
        comparison = tuple(_with_hints(row, hints, context) for row in comparison)
    return PoolReport(
        host=config.host,
        port=config.port,
        tls_mode=config.tls_mode,
        members=members,
        not_checked=not_checked,
        comparison=comparison,
        started_at=started_at,
        duration=clock() - started,
        tool_version=__version__,
        addresses=len(found),
        interrupted=any(m.report.interrupted for m in members),
    )


def check_survey(sends: bool, proxy: str | None) -> None:
    """Raise :class:`ConfigError` when a survey cannot be made: it would send a test message
    (one message goes to one server), or go through a ``socks5h`` proxy ``proxy`` (a URL),
    which resolves the name and chooses the address itself."""
    if sends:
        raise ConfigError(
            "--all-addresses sends no test message: a message goes to one server, not to "
            "every address of a name (drop --send-to, or send without --all-addresses)"
        )
    if proxy is not None and proxy.lower().startswith("socks5h://"):
        raise ConfigError(
            "--all-addresses cannot go through a socks5h:// proxy: the proxy resolves the "
            "name and chooses the address; use socks5:// to resolve it here and check every "
            "address through the proxy"
        )


def _check_all(
    addresses: Sequence[Address],
    config: RunConfig,
    run_member: RunMember,
    concurrency: int,
    deadline_at: float,
    clock: Callable[[], float],
) -> list[PoolMember | NotChecked]:
    """Each address checked (or not, and why), in the order given."""

    def check(address: Address) -> PoolMember | NotChecked:
        left = deadline_at - clock()
        if left <= 0:
            return NotChecked(address.address, address.family, DEADLINE_PASSED)
        member = replace(config, address=address.address, deadline=min(config.deadline, left))
        return PoolMember(address.address, address.family, run_member(member))

    if concurrency > 1:
        with ThreadPoolExecutor(concurrency, thread_name_prefix="smtpdoctor-pool") as pool:
            return list(pool.map(check, addresses))
    checked: list[PoolMember | NotChecked] = []
    interrupted = False
    for address in addresses:
        if interrupted:  # Ctrl-C ended the last member's run: the user wants out
            checked.append(NotChecked(address.address, address.family, INTERRUPTED))
            continue
        item = check(address)
        interrupted = isinstance(item, PoolMember) and item.report.interrupted
        checked.append(item)
    return checked


def _with_hints(row: CheckResult, hints: Hints, context: HintContext) -> CheckResult:
    if not row.status.is_problem:
        return row
    extra = tuple(hint for hint in hints(row, context) if hint not in row.hints)
    return replace(row, hints=row.hints + extra) if extra else row
