"""A pool survey (``check --all-addresses``) as text: table, JSON, Nagios — and Prometheus,
through :mod:`smtpdoctor.render.pool_prometheus`.

Everything shown derives from the :class:`~smtpdoctor.pool.PoolReport`: one row per member
(what :class:`~smtpdoctor.pool.facts.MemberFacts` read from its report), the comparison rows
with their hints, and every member's full report in the JSON.  Plugins' formats render one
report, not a pool, so a survey is shown in the builtin formats only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from smtpdoctor.core.hooks import RenderOptions
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import CheckResult, Hint, Status
from smtpdoctor.model.words import ConfigError, ExitCode
from smtpdoctor.pool import NotChecked, PoolMember, PoolReport
from smtpdoctor.pool.facts import MemberFacts
from smtpdoctor.protocol.safetext import safe_data
from smtpdoctor.render.json import report_to_dict
from smtpdoctor.render.nagios import STATES
from smtpdoctor.render.table import VERDICTS, fit_table, render_transcript, shown, wrapped

__all__ = ["POOL_FORMATS", "pool_to_dict", "render_pool", "require_pool_format"]

SCHEMA = "https://smtpdoctor.dev/schema/pool"
SCHEMA_VERSION = 1
#: The formats a survey can be shown in.
POOL_FORMATS = ("table", "json", "nagios", "prometheus")
_MEMBER_HEADERS = (
    "Address",
    "IPv",
    "Reach",
    "Greeting name",
    "STARTTLS",
    "TLS",
    "Certificate",
    "AUTH",
    "Status",
)
#: Hex characters of a fingerprint shown in the table (``3F:2A:9C:1E``).
_SHORT_FINGERPRINT = 11


def require_pool_format(output_format: str) -> None:
    """Raise :class:`ConfigError` unless a survey can be shown in ``output_format``: a front
    door calls this before anything is sent."""
    if output_format not in POOL_FORMATS:
        raise ConfigError(
            f"--all-addresses shows its comparison as {', '.join(POOL_FORMATS[:-1])} or "
            f"{POOL_FORMATS[-1]}, not {output_format!r} (a plugin's format shows one report)"
        )


def render_pool(pool: PoolReport, output_format: str, options: RenderOptions) -> str:
    """``pool`` in ``output_format`` (one of :data:`POOL_FORMATS`).

    :raises ConfigError: another format.
    """
    require_pool_format(output_format)
    if output_format == "prometheus":
        from smtpdoctor.render.pool_prometheus import render_pool_prometheus

        return render_pool_prometheus(pool)
    renderers: dict[str, Callable[[PoolReport, RenderOptions], str]] = {
        "table": _table,
        "json": lambda pool, options: render_pool_json(pool, transcript=options.transcript),
        "nagios": lambda pool, options: render_pool_nagios(pool),
    }
    return renderers[output_format](pool, options)


# -- table ------------------------------------------------------------------------------------


def render_pool_table(pool: PoolReport, *, width: int = 120, transcript: bool = False) -> str:
    """The members side by side (one row each, fitting ``width`` as every table does), the
    comparison rows with their hints, what was not checked, and a verdict line; each member's
    transcript after it when asked for."""
    parts = [wrapped(_heading(pool), width)]
    if pool.members:
        rows = [_member_row(member) for member in pool.members]
        parts += ["", fit_table(_MEMBER_HEADERS, rows, width)]
    comparison = [[row.status.name, _seen(row), _what_to_do(row.hints)] for row in pool.comparison]
    parts += ["", fit_table(("Status", "What we saw", "What to do"), comparison, width)]
    if pool.not_checked:
        parts += ["", wrapped(_not_checked(pool.not_checked), width, indent="  ")]
    parts += ["", wrapped(_verdict(pool), width)]
    if transcript:
        for member in pool.members:
            parts += [
                "",
                f"Transcript of {member.address} (passwords redacted):",
                render_transcript(member.report),
            ]
    return "\n".join(parts)


def _table(pool: PoolReport, options: RenderOptions) -> str:
    return render_pool_table(pool, width=options.width, transcript=options.transcript)


def _heading(pool: PoolReport) -> str:
    heading = (
        f"smtpdoctor {pool.tool_version} — every address of {shown(pool.host)} port "
        f"{pool.port} ({pool.tls_mode}) — {pool.started_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    if pool.verification_disabled:
        heading += "\nWARNING: certificate verification is OFF (--insecure)"
    return heading


def _member_row(member: PoolMember) -> list[str]:
    facts = member.facts
    return [
        member.address,
        str(member.family),
        facts.reach,
        shown(facts.greeting_name) if facts.greeting_name is not None else "-",
        _yes_no(facts.starttls),
        facts.tls_version.removeprefix("TLSv") if facts.tls_version is not None else "-",
        _certificate(facts),
        " ".join(facts.auth) if facts.auth else ("none" if facts.auth == () else "-"),
        "\n".join([VERDICTS[facts.verdict], *facts.problems]),
    ]


def _certificate(facts: MemberFacts) -> str:
    if facts.fingerprint is None:
        return "-"
    lines = [facts.fingerprint[:_SHORT_FINGERPRINT]]
    if facts.not_after is not None and facts.days_left is not None:
        lines.append(f"{facts.not_after} ({facts.days_left} d)")
    return "\n".join(lines)


def _seen(row: CheckResult) -> str:
    """The summary, under the finding's id when there is one."""
    finding = row.outcome.finding
    return f"{finding}:\n{shown(row.summary)}" if finding else shown(row.summary)


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "no"


def _what_to_do(hints: tuple[Hint, ...]) -> str:
    blocks: list[str] = []
    for hint in hints:
        lines = [shown(hint.title), *(f"- {shown(step)}" for step in hint.steps)]
        if hint.url:
            lines.append(shown(hint.url))
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _not_checked(not_checked: tuple[NotChecked, ...]) -> str:
    by_reason: dict[str, list[str]] = {}
    for item in not_checked:
        by_reason.setdefault(item.reason, []).append(item.address)
    return "\n".join(
        f"Not checked ({reason}): {', '.join(addresses)}" for reason, addresses in by_reason.items()
    )


def _verdict(pool: PoolReport) -> str:
    verdict = (
        "INTERRUPTED (Ctrl-C), partial survey" if pool.interrupted else VERDICTS[pool.exit_code]
    )
    differences = [row.outcome.finding for row in pool.problems if row.outcome.finding]
    found = f", {plural(len(differences), 'difference')} ({', '.join(differences)})"
    return (
        f"{verdict}: {_checked(pool)}{found if differences else ''} in {pool.duration:.2f} s "
        f"(exit code {pool.exit_status}); each member's full report: --format json"
    )


def _checked(pool: PoolReport) -> str:
    checked = plural(len(pool.members), "member")
    if pool.addresses == len(pool.members):
        return f"{checked} checked"
    return f"{checked} of {plural(pool.addresses, 'address', 'addresses')} checked"


# -- JSON -------------------------------------------------------------------------------------


def render_pool_json(pool: PoolReport, *, transcript: bool = False) -> str:
    """The survey as an indented JSON document (each member's transcript when asked)."""
    return json.dumps(pool_to_dict(pool, transcript=transcript), indent=2, ensure_ascii=False)


def pool_to_dict(pool: PoolReport, *, transcript: bool = False) -> dict[str, Any]:
    """The survey as plain JSON-compatible data, every string made safe to show: each
    member's address, IP version, facts and full report (the ``report`` schema), what was not
    checked, and the comparison rows."""
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "smtpdoctor", "version": pool.tool_version},
        "target": {"host": pool.host, "port": pool.port, "tls_mode": pool.tls_mode},
        "started_at": pool.started_at.isoformat(),
        "duration_seconds": round(pool.duration, 6),
        "exit_code": pool.exit_status,
        "status": "interrupted" if pool.interrupted else pool.exit_code.name.lower(),
        "interrupted": pool.interrupted,
        "certificate_verification": not pool.verification_disabled,
        "addresses": pool.addresses,
        "members": [_member(member, transcript=transcript) for member in pool.members],
        "not_checked": [
            {"address": item.address, "family": item.family, "reason": item.reason}
            for item in pool.not_checked
        ],
        "comparison": [_comparison_row(row) for row in pool.comparison],
    }
    return safe_data(document)


def _member(member: PoolMember, *, transcript: bool) -> dict[str, Any]:
    facts = member.facts
    return {
        "address": member.address,
        "family": member.family,
        "facts": {
            "reachable": facts.reachable,
            "reach": facts.reach,
            "greeting_name": facts.greeting_name,
            "starttls": facts.starttls,
            "tls_version": facts.tls_version,
            "certificate_sha256": facts.fingerprint,
            "certificate_not_after": facts.not_after,
            "certificate_days_left": facts.days_left,
            "auth_mechanisms": list(facts.auth) if facts.auth is not None else None,
            "status": facts.verdict.name.lower(),
            "problems": list(facts.problems),
        },
        "report": report_to_dict(member.report, transcript=transcript),
    }


def _comparison_row(row: CheckResult) -> dict[str, Any]:
    return {
        "id": row.check_id,
        "title": row.title,
        "status": row.status.value,
        "summary": row.summary,
        "finding": row.outcome.finding,
        "details": {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in row.outcome.details.items()
        },
        "hints": [
            {"title": hint.title, "steps": list(hint.steps), "url": hint.url} for hint in row.hints
        ],
    }


# -- Nagios -----------------------------------------------------------------------------------


def render_pool_nagios(pool: PoolReport) -> str:
    """One status line — the worst state, ``N members`` and what differs first — with
    perfdata (per member: its time and its certificate's days left), then the long output:
    every comparison row that is a problem and every member row that is not PASS."""
    state = "UNKNOWN" if pool.interrupted else STATES[pool.exit_code]
    target = f"{_one_line(pool.host)}:{pool.port}"
    lines = [f"SMTP {state} - {target}: {_headline(pool)} | {_perfdata(pool)}"]
    lines += [
        f"{row.status.name} {row.outcome.finding or row.check_id}: {_one_line(row.summary)}"
        for row in pool.problems
    ]
    lines += [
        f"{member.address} {row.status.name} {row.check_id}: {_one_line(row.summary)}"
        for member in pool.members
        for row in member.report.results
        if row.status is not Status.PASS
    ]
    if pool.not_checked:
        lines.append(_one_line(_not_checked(pool.not_checked)))
    return "\n".join(lines)


def _headline(pool: PoolReport) -> str:
    members = plural(len(pool.members), "member")
    problems = pool.problems
    if problems:
        first = problems[0]
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        differ = plural(len(problems), "difference")
        return f"{members}, {differ}: {_one_line(first.summary)}{more}"
    agree = any(row.status is Status.PASS for row in pool.comparison)
    said = f"{members} agree" if agree else _one_line(pool.comparison[0].summary)
    worst = max(pool.members, key=lambda m: _rank(m.report.exit_code), default=None)
    if worst is None or worst.report.exit_code is ExitCode.OK:
        return f"{said}; all OK in {pool.duration:.3f} s"
    row = next(r for r in worst.report.results if r.status.is_problem)
    return f"{said}; {worst.address} {row.check_id}: {_one_line(row.summary)}"


def _rank(code: ExitCode) -> int:
    """Worse first, as :func:`~smtpdoctor.model.results.exit_code_for` ranks them."""
    return {ExitCode.OK: 0, ExitCode.WARNING: 1, ExitCode.UNKNOWN: 2}.get(code, 3)


def _perfdata(pool: PoolReport) -> str:
    differences = len(pool.problems)
    items = [
        f"time={pool.duration:.6f}s;;;0;",
        f"members={len(pool.members)};;;0;{pool.addresses}",
        f"differences={differences};0;;0;",
    ]
    for member in pool.members:
        items.append(f"'time_{member.address}'={member.report.duration:.6f}s;;;0;")
        facts = member.facts
        if facts.days_left is not None:
            certificate = member.report.result("certificate")
            details = certificate.outcome.details if certificate is not None else {}
            warn, crit = details.get("warn_days"), details.get("crit_days")
            thresholds = ";".join(f"{t}:" if isinstance(t, int) else "" for t in (warn, crit))
            items.append(f"'cert_days_left_{member.address}'={facts.days_left};{thresholds};;")
    return " ".join(items)


def _one_line(text: str) -> str:
    """One line without ``|`` (which would start perfdata), escaped for a terminal."""
    return " ".join(shown(text).split()).replace("|", "/")
