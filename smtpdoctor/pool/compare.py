"""The comparison of a pool's members: one row per attribute on which they differ.

Members are compared on what a client meets when DNS sends it to one of them: whether it
answers, the name it greets with, STARTTLS, the TLS version, the certificate (fingerprint
and expiry) and the AUTH mechanisms — and, when all of that agrees, whether their checks end
alike.  Each difference is a ``pool.*`` finding (WARN: clients that land on the odd member
fail now and then, which is the hardest failure to track down; INFO for the greeting name,
which often names each node on purpose).  When they agree, one PASS row says so.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import CheckResult, DetailValue, Outcome, Status
from smtpdoctor.model.words import ExitCode
from smtpdoctor.pool.facts import MemberFacts
from smtpdoctor.pool.report import PoolMember

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

#: The comparison rows' id and title, as renderers and hint plugins see them.
POOL_ROW = "pool"
POOL_TITLE = "Pool members compared"

UNREACHABLE_MEMBERS = "pool.unreachable-members"
GREETING_DIFFERS = "pool.greeting-differs"
STARTTLS_DIFFERS = "pool.starttls-differs"
TLS_DIFFERS = "pool.tls-differs"
CERTIFICATE_DIFFERS = "pool.certificate-differs"
AUTH_DIFFERS = "pool.auth-differs"
VERDICTS_DIFFER = "pool.verdicts-differ"
NO_ADDRESSES = "pool.no-addresses"
#: Every finding a comparison row can carry.
FINDINGS = (
    UNREACHABLE_MEMBERS,
    GREETING_DIFFERS,
    STARTTLS_DIFFERS,
    TLS_DIFFERS,
    CERTIFICATE_DIFFERS,
    AUTH_DIFFERS,
    VERDICTS_DIFFER,
    NO_ADDRESSES,
)
#: A certificate with fewer days left than this is said to be "expiring", not "valid until".
_SOON_DAYS = 30
#: Hex characters of a fingerprint shown in words (``3F:2A:9C:1E``).
_SHORT_FINGERPRINT = 11
_VERDICT_WORDS = {
    ExitCode.OK: "OK",
    ExitCode.WARNING: "WARNING",
    ExitCode.CRITICAL: "FAILED",
    ExitCode.UNKNOWN: "UNKNOWN",
}

Value = TypeVar("Value", bound=Hashable)
#: ``(address, facts)`` of each member, in the members' order.
Seen = Sequence[tuple[str, MemberFacts]]


def compare(members: Sequence[PoolMember], *, host: str, literal: bool) -> tuple[CheckResult, ...]:
    """The comparison rows of ``members`` of ``host`` (``literal``: the host is an IP address
    literal, so there is one member by definition)."""
    seen = [(member.address, member.facts) for member in members]
    if len(seen) < 2:
        return (_nothing_to_compare(host, seen, literal=literal),)
    reached = [(address, facts) for address, facts in seen if facts.reachable]
    rows = [row for row in (_unreachable(seen, reached),) if row is not None]
    if not reached:
        summary = f"none of the {len(seen)} pool members could be reached: nothing to compare"
        return (*rows, _row(Status.INFO, summary))
    rows += [
        row
        for row in (
            _starttls(reached),
            _tls(reached),
            _certificate(reached),
            _auth(reached),
        )
        if row is not None
    ]
    if not rows:
        rows += [row for row in (_verdicts(reached),) if row is not None]
    greeting = _greeting(reached)
    if not any(row.status.is_problem for row in rows):
        rows.insert(0, _agreement(seen, reached, greeting_differs=greeting is not None))
    if greeting is not None:
        rows.append(greeting)
    return tuple(rows)


def no_addresses(host: str, reason: str) -> CheckResult:
    """The one row of a survey that found no address to check: ``reason`` says why."""
    return _row(Status.FAIL, f"no address of {host} to check: {reason}", finding=NO_ADDRESSES)


# -- the attributes ----------------------------------------------------------------------------


def _unreachable(seen: Seen, reached: Seen) -> CheckResult | None:
    down = [(address, facts) for address, facts in seen if not facts.reachable]
    if not down or not reached:
        return None
    answer = "answers" if len(reached) == 1 else "answer"
    summary = (
        f"{len(down)} of {len(seen)} pool members cannot be reached: "
        + ", ".join(f"{address} ({facts.reach})" for address, facts in down)
        + f"; {_addresses(reached)} {answer}"
    )
    details: dict[str, DetailValue] = {
        "unreachable": tuple(address for address, _ in down),
        "reachable": tuple(address for address, _ in reached),
    }
    return _row(Status.WARN, summary, finding=UNREACHABLE_MEMBERS, details=details)


def _starttls(reached: Seen) -> CheckResult | None:
    def words(offered: bool, many: bool) -> str:
        if offered:
            return "offer STARTTLS" if many else "offers STARTTLS"
        return "do not offer STARTTLS" if many else "does not offer STARTTLS"

    groups = _groups(reached, lambda facts: facts.starttls, first=lambda offered: offered)
    return _difference(STARTTLS_DIFFERS, groups, len(reached), words)


def _tls(reached: Seen) -> CheckResult | None:
    def words(version: str, many: bool) -> str:
        return f"negotiate{'' if many else 's'} {version}"

    groups = _groups(reached, lambda facts: facts.tls_version, first=lambda version: version)
    return _difference(TLS_DIFFERS, groups, len(reached), words)


def _certificate(reached: Seen) -> CheckResult | None:
    """The certificates served, the one expiring first named first."""
    expiry = {
        facts.fingerprint: (facts.days_left, facts.not_after)
        for _, facts in reached
        if facts.fingerprint is not None
    }
    groups = _groups(
        reached,
        lambda facts: facts.fingerprint,
        first=lambda fingerprint: _days(expiry[fingerprint][0]),
    )

    def words(fingerprint: str, many: bool) -> str:
        days_left, not_after = expiry[fingerprint]
        which = "the certificate" if fingerprint == groups[0][0] else "one"
        short = fingerprint[:_SHORT_FINGERPRINT]
        verb = "serve" if many else "serves"
        return f"{verb} {which} {_expiry(days_left, not_after)} (SHA-256 {short}…)"

    return _difference(CERTIFICATE_DIFFERS, groups, len(reached), words)


def _auth(reached: Seen) -> CheckResult | None:
    def words(mechanisms: tuple[str, ...], many: bool) -> str:
        offered = f"AUTH {' '.join(mechanisms)}" if mechanisms else "no AUTH"
        return f"offer{'' if many else 's'} {offered}"

    groups = _groups(reached, lambda facts: facts.auth, first=lambda mechanisms: 0)
    return _difference(AUTH_DIFFERS, groups, len(reached), words)


def _greeting(reached: Seen) -> CheckResult | None:
    def words(name: str, many: bool) -> str:
        return f"greet{'' if many else 's'} as {name}"

    groups = _groups(reached, lambda facts: facts.greeting_name, first=lambda name: 0)
    row = _difference(GREETING_DIFFERS, groups, len(reached), words)
    if row is None:
        return None
    summary = (
        f"{row.summary} — normal when each node names itself; a client that checks the "
        "greeting against the name it connected to sees a different one on each"
    )
    return _row(Status.INFO, summary, finding=GREETING_DIFFERS, details=row.outcome.details)


def _verdicts(reached: Seen) -> CheckResult | None:
    """Members that look alike but whose checks end differently (a login that works on one
    node only): worth a row only when no attribute explains it."""
    problems = {address: facts.problems for address, facts in reached}

    def words(verdict: ExitCode, many: bool) -> str:
        return f"end{'' if many else 's'} {_VERDICT_WORDS.get(verdict, verdict.name)}"

    def label(address: str) -> str:
        checks = problems[address]
        return f"{address} ({', '.join(checks)})" if checks else address

    groups = _groups(reached, lambda facts: facts.verdict, first=lambda verdict: -int(verdict))
    row = _difference(VERDICTS_DIFFER, groups, len(reached), words, label=label)
    if row is None:
        return None
    return _row(
        Status.WARN,
        f"the members look alike, but their checks end differently: {row.summary}",
        finding=VERDICTS_DIFFER,
        details=row.outcome.details,
    )


def _agreement(seen: Seen, reached: Seen, *, greeting_differs: bool) -> CheckResult:
    """The PASS row: what the members have in common, in words."""
    facts = reached[0][1]
    shared = ["all answer" if len(reached) == len(seen) else f"{len(reached)} answer"]
    if facts.greeting_name is not None and not greeting_differs:
        shared.append(f"greet as {facts.greeting_name}")
    if facts.starttls is not None:
        shared.append("offer STARTTLS" if facts.starttls else "offer no STARTTLS")
    if facts.tls_version is not None:
        shared.append(f"negotiate {facts.tls_version}")
    if facts.fingerprint is not None:
        shared.append(f"serve one certificate, {_expiry(facts.days_left, facts.not_after)}")
    if facts.auth is not None:
        shared.append(f"offer AUTH {' '.join(facts.auth)}" if facts.auth else "offer no AUTH")
    what = "everything else" if greeting_differs else "everything compared"
    return _row(
        Status.PASS,
        f"{plural(len(seen), 'pool member')} agree on {what}: {', '.join(shared)}",
    )


def _nothing_to_compare(host: str, seen: Seen, *, literal: bool) -> CheckResult:
    if literal:
        summary = f"{host} is an address, not a name: one member, nothing to compare"
    elif seen:
        summary = f"{host} has one address ({seen[0][0]}): nothing to compare"
    else:
        summary = "no member was checked: nothing to compare"
    return _row(Status.INFO, summary)


# -- words ------------------------------------------------------------------------------------


def _groups(
    seen: Seen,
    value: Callable[[MemberFacts], Value | None],
    *,
    first: Callable[[Value], SupportsRichComparison],
) -> list[tuple[Value, list[str]]]:
    """The members that have a ``value``, grouped by it: the groups ordered by ``first``
    (what to name first: the problem), then largest first, then as the members come."""
    grouped: dict[Value, list[str]] = {}
    for address, facts in seen:
        found = value(facts)
        if found is not None:
            grouped.setdefault(found, []).append(address)
    return sorted(grouped.items(), key=lambda item: (first(item[0]), -len(item[1])))


def _difference(
    finding: str,
    groups: list[tuple[Value, list[str]]],
    total: int,
    words: Callable[[Value, bool], str],
    *,
    label: Callable[[str], str] = str,
) -> CheckResult | None:
    """A WARN row naming each group of a difference — ``2 of 3 pool members serve …:
    127.0.0.2, 127.0.0.3; 1 of 3 serves …: 127.0.0.4`` — or None when there is one group."""
    if len(groups) < 2:
        return None
    parts = [
        f"{len(addresses)} of {total}{' pool members' if index == 0 else ''} "
        f"{words(value, len(addresses) > 1)}: {', '.join(label(a) for a in addresses)}"
        for index, (value, addresses) in enumerate(groups)
    ]
    return _row(
        Status.WARN, "; ".join(parts), finding=finding, details={"groups": _group_details(groups)}
    )


def _group_details(groups: Sequence[tuple[object, list[str]]]) -> tuple[str, ...]:
    """Each group as ``VALUE: address, address`` (for JSON and plugins)."""
    return tuple(f"{_value_text(value)}: {', '.join(addresses)}" for value, addresses in groups)


def _value_text(value: object) -> str:
    if isinstance(value, tuple):
        return " ".join(str(item) for item in value) or "none"
    if isinstance(value, ExitCode):
        return value.name.lower()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _expiry(days_left: int | None, not_after: str | None) -> str:
    if days_left is None or not_after is None:
        return "of unknown validity"
    if days_left < 0:
        return f"expired since {not_after}"
    if days_left < _SOON_DAYS:
        return f"expiring in {plural(days_left, 'day')}, on {not_after}"
    return f"valid until {not_after}"


def _days(days_left: int | None) -> int:
    """Days left as a sort key: an unknown expiry last."""
    return days_left if days_left is not None else 1 << 30


def _addresses(seen: Seen) -> str:
    return ", ".join(address for address, _ in seen)


def _row(
    status: Status,
    summary: str,
    *,
    finding: str | None = None,
    details: Mapping[str, DetailValue] | None = None,
) -> CheckResult:
    return CheckResult(
        POOL_ROW, POOL_TITLE, Outcome(status, summary, details=details or {}, finding=finding)
    )
