"""The docs keep up with the code: every hook, finding and hint is documented."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from smtpdoctor.core import hookspecs
from smtpdoctor.core.check import CHECK_CRASHED, UNDECLARED_FINDING, StepFailure
from smtpdoctor.remedies.knowledge import KNOWLEDGE_BASE

from tests.findingkit import PREAMBLE_FINDINGS, builtin_checks

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
HOOKS = sorted(
    name
    for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("smtpdoctor_")
)
#: Each finding a builtin check or a row before the checks declares, with the row's id.
DECLARED = sorted(
    {(check.id, finding) for check in builtin_checks() for finding in check.findings}
    | {(row, finding) for row, findings in PREAMBLE_FINDINGS.items() for finding in findings}
)


def section_of(row: str) -> str:
    """The section of docs/checks.md about the check (or row) ``row``."""
    sections = (DOCS / "checks.md").read_text().split("\n## ")
    found = [section for section in sections if f"`{row}`" in section.partition("\n")[0]]
    assert len(found) == 1, f"docs/checks.md needs one section headed with `{row}`"
    return found[0]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_reference_section(hook: str) -> None:
    assert f"### `{hook}(" in (DOCS / "plugins" / "hooks.md").read_text()


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_exercised_by_a_test(hook: str) -> None:
    tests = [
        path
        for path in (ROOT / "tests").rglob("test_*.py")
        if path.name != "test_docs.py" and f"def {hook}(" in path.read_text()
    ]
    assert tests, f"no test implements {hook}"


@pytest.mark.parametrize(("row", "finding"), DECLARED, ids=[finding for _, finding in DECLARED])
def test_every_declared_finding_is_documented_in_its_checks_section(row: str, finding: str) -> None:
    assert f"`{finding}`" in section_of(row)


@pytest.mark.parametrize(
    "finding",
    [f"<check>.{failure}" for failure in StepFailure] + [CHECK_CRASHED, UNDECLARED_FINDING],
)
def test_every_finding_the_runner_gives_any_check_is_documented(finding: str) -> None:
    assert f"| `{finding}` |" in (DOCS / "checks.md").read_text()


@pytest.mark.parametrize("title", sorted({remedy.hint.title for remedy in KNOWLEDGE_BASE}))
def test_every_hint_is_documented(title: str) -> None:
    assert title in (DOCS / "checks.md").read_text()
    assert f"### {title}\n" in (DOCS / "hints.md").read_text()


def test_the_readme_quick_start_is_the_two_make_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]

    commands = [line.split("#")[0].strip() for line in quick_start.splitlines()]
    assert [c for c in commands if c.startswith("make")] == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
