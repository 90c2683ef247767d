"""The findings smtpdoctor declares: each builtin check's, the runner's, and those of the rows
shown before the checks — the one list that the docs, the knowledge base and the checks' own
source are held to (``tests/test_docs.py``, ``tests/remedies/test_coverage.py``,
``tests/checks/test_findings.py``).

It lives at the top of ``tests/`` (like ``loopback.py``): tests of several directories use it."""

from __future__ import annotations

from collections.abc import Mapping

from smtpdoctor.core.check import Check, findings_of
from smtpdoctor.core.plugins import make_plugin_manager
from smtpdoctor.core.registry import collect_checks
from smtpdoctor.discovery.matrix import PORTS_FINDINGS
from smtpdoctor.discovery.targets import TARGET_FINDINGS
from smtpdoctor.pool.compare import FINDINGS as POOL_FINDINGS

#: The rows before the checks (they are no checks): their id and the findings they declare.
PREAMBLE_FINDINGS: Mapping[str, tuple[str, ...]] = {
    "target": TARGET_FINDINGS,
    "ports": PORTS_FINDINGS,
}


def builtin_checks() -> list[type[Check]]:
    """The builtin checks, registered through the public hook as in every run."""
    return list(collect_checks(make_plugin_manager(load_entry_points=False)))


def findings_by_row() -> dict[str, tuple[str, ...]]:
    """Every finding a row of a builtin check, of the preamble or of a pool survey's
    comparison (``--all-addresses``: no check either) can carry, by the row's id: for a
    check, those it declares and the runner's (:func:`findings_of`)."""
    found = {check.id: findings_of(check) for check in builtin_checks()}
    return {**found, **PREAMBLE_FINDINGS, "pool": POOL_FINDINGS}


def all_findings() -> list[str]:
    """Every finding of :func:`findings_by_row`, once each, sorted."""
    return sorted({finding for row in findings_by_row().values() for finding in row})
