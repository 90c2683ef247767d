"""The example plugins in plugins/ are complete, separately installable distributions, and
`make test` installs each and runs its tests."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(path for path in (ROOT / "plugins").iterdir() if path.is_dir())


def test_there_are_the_two_examples() -> None:
    assert [path.name for path in EXAMPLES] == [
        "smtpdoctor-banner-policy",
        "smtpdoctor-open-relay",
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_each_example_is_a_distribution_with_an_entry_point_readme_and_tests(
    example: Path,
) -> None:
    project = tomllib.loads((example / "pyproject.toml").read_text())["project"]
    (entry_point,) = project["entry-points"]["smtpdoctor"].values()
    module = example / "src" / entry_point / "__init__.py"

    assert project["name"] == example.name
    assert any(dependency.startswith("smtpdoctor") for dependency in project["dependencies"])
    assert module.is_file()
    assert (example / "src" / entry_point / "py.typed").is_file()
    assert "## Development" in (example / "README.md").read_text()
    assert list((example / "tests").glob("test_*.py"))


def test_make_test_installs_every_example_and_runs_its_tests() -> None:
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"^PLUGINS := (.*)$", makefile, re.M)

    assert listed is not None
    assert listed.group(1).split() == [f"plugins/{path.name}" for path in EXAMPLES]
    assert re.search(r"^test: .*\bplugins-test\b", makefile, re.M)
    assert "pip install" in makefile.split("$(PLUGINS_STAMP):", 1)[1]
