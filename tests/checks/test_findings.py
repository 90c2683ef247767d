"""Every builtin check declares, as data, each finding it can return — and returns no other.

The runner holds every run to the declaration (``tests/test_runner.py``); these tests read the
source, so that a finding no test happens to provoke is held to the list as well.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from smtpdoctor.core.check import (
    CHECK_CRASHED,
    UNDECLARED_FINDING,
    Check,
    CheckContext,
    StepFailure,
    findings_of,
)
from smtpdoctor.discovery import matrix, targets
from smtpdoctor.model.results import Outcome, Status

from tests.findingkit import PREAMBLE_FINDINGS, builtin_checks, findings_by_row

ROOT = Path(__file__).resolve().parents[2]
BUILTINS = builtin_checks()
#: A finding id: ``<row id>.<what>``, lower-case letters, digits and hyphens.
FINDING_ID = re.compile(r"([a-z][a-z0-9-]*)\.[a-z0-9-]+")
#: The start of an f-string that builds a finding id: ``f"tcp.dns-{kind}"``.
FINDING_START = re.compile(r"([a-z][a-z0-9-]*)\.[a-z0-9-]*")
#: Modules whose findings a check passes on (an exception's ``finding``), by check id.
PASSED_ON = {
    "auth": ("smtpdoctor.protocol.sasl",),
    "delivery": ("smtpdoctor.delivery.imap",),
}


def source_of(module: str) -> Path:
    """The file of ``module``."""
    path = importlib.import_module(module).__file__
    assert path is not None
    return Path(path)


def modules_of(check: type[Check]) -> tuple[str, ...]:
    """The modules a check's findings are written in: its own, and those it passes on."""
    return (check.__module__, *PASSED_ON.get(check.id, ()))


#: Every module that writes findings of a builtin row.
SOURCES = sorted(
    {source_of(module) for check in BUILTINS for module in modules_of(check)}
    | {source_of(matrix.__name__), source_of(targets.__name__)}
)


def finding_literals(path: Path) -> list[str]:
    """The string literals in ``path`` that are finding ids of a builtin row."""
    rows = findings_by_row()
    return [
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (match := FINDING_ID.fullmatch(node.value)) is not None
        and match.group(1) in rows
    ]


def built_at_run_time(path: Path) -> list[str]:
    """The f-strings in ``path`` that start like a finding id of a builtin row."""
    rows = findings_by_row()
    built: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.JoinedStr) or not node.values:
            continue
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            match = FINDING_START.fullmatch(first.value)
            if match is not None and match.group(1) in rows:
                built.append(ast.unparse(node))
    return built


def label(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("check", BUILTINS, ids=lambda check: check.id)
def test_every_builtin_check_declares_its_findings_under_its_own_id(check: type[Check]) -> None:
    assert check.findings, f"{check.id} declares no findings"
    assert len(set(check.findings)) == len(check.findings), "a finding is declared twice"
    for finding in check.findings:
        match = FINDING_ID.fullmatch(finding)
        assert match is not None, f"{finding!r} is not a finding id"
        assert match.group(1) == check.id


@pytest.mark.parametrize("row", sorted(PREAMBLE_FINDINGS))
def test_the_rows_before_the_checks_declare_their_findings_under_their_own_id(row: str) -> None:
    declared = PREAMBLE_FINDINGS[row]

    assert declared
    assert len(set(declared)) == len(declared)
    assert all(finding.startswith(f"{row}.") for finding in declared)


@pytest.mark.parametrize("path", SOURCES, ids=label)
def test_every_finding_in_the_source_is_declared_by_its_row(path: Path) -> None:
    rows = findings_by_row()
    for finding in finding_literals(path):
        row = finding.partition(".")[0]
        assert finding in rows[row], f"{label(path)} uses {finding!r}, which {row} does not declare"


@pytest.mark.parametrize("path", SOURCES, ids=label)
def test_no_finding_is_built_at_run_time(path: Path) -> None:
    assert built_at_run_time(path) == [], "use a declared constant (a mapping to declared ids)"


@pytest.mark.parametrize("check", BUILTINS, ids=lambda check: check.id)
def test_every_declared_finding_is_returned_somewhere_in_the_checks_source(
    check: type[Check],
) -> None:
    written = {
        finding for module in modules_of(check) for finding in finding_literals(source_of(module))
    }

    assert set(check.findings) <= written, "a declared finding that no code returns"


@pytest.mark.parametrize("row", sorted(PREAMBLE_FINDINGS))
def test_every_finding_of_the_rows_before_the_checks_is_returned_somewhere(row: str) -> None:
    written = {
        finding
        for module in (matrix.__name__, targets.__name__)
        for finding in finding_literals(source_of(module))
    }

    assert set(PREAMBLE_FINDINGS[row]) <= written


class Declares(Check):
    id = "declares"
    title = "A check that declares its findings"
    findings = ("declares.one", "declares.timeout")

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "never run")


class DeclaresNothing(Check):
    id = "silent-one"
    title = "A check written before findings were declared"

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "never run")


def test_the_findings_of_a_check_are_its_own_then_the_runners_without_repeats() -> None:
    assert findings_of(Declares) == (
        "declares.one",
        "declares.timeout",
        "declares.connection-lost",
        "declares.network-error",
        "declares.protocol-error",
        CHECK_CRASHED,
        UNDECLARED_FINDING,
    )


def test_a_check_that_declares_nothing_has_only_the_runners_findings() -> None:
    assert findings_of(DeclaresNothing) == (
        *(f"silent-one.{failure}" for failure in StepFailure),
        CHECK_CRASHED,
        UNDECLARED_FINDING,
    )
