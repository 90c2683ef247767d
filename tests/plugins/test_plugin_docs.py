"""The examples in docs/plugins/ work: each is loaded as a plugin file and run."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.core import hookspecs
from smtpdoctor.testing import SMTPTestServer

from tests.plugins.pluginkit import WritePlugin, rows

pytest_plugins = ["tests.plugins.pluginfixtures"]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins"
HOOKS = sorted(
    name
    for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("smtpdoctor_")
)
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def hook_example(hook: str) -> str:
    """The Python example in the hook's section of hooks.md."""
    section = (DOCS / "hooks.md").read_text().split(f"### `{hook}(", 1)[1].split("\n### ", 1)[0]
    blocks = PYTHON_BLOCK.findall(section)
    assert len(blocks) == 1, f"the {hook} section needs exactly one Python example"
    return str(blocks[0])


@pytest.fixture
def run_with(
    make_smtp_server: Callable[..., SMTPTestServer],
    write_plugin: WritePlugin,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., tuple[int, str, str]]:
    """Run ``smtpdoctor check`` with the given example sources as plugin files."""

    def run(*sources: str, args: tuple[str, ...] = (), **server: object) -> tuple[int, str, str]:
        smtp = make_smtp_server(**server)
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text(smtp.ca_pem)
        plugins: list[str] = []
        for index, source in enumerate(sources):
            plugins += ["--plugin", str(write_plugin(f"example_{index}", source))]
        code = main(["check", f"127.0.0.1:{smtp.port}", "--ca-file", str(ca_file), *plugins, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_section_has_one_example(hook: str) -> None:
    assert hook in hook_example(hook)


def test_the_register_checks_example(run_with: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = run_with(hook_example("smtpdoctor_register_checks"), args=("-f", "json"))

    assert rows(out)["pipelining"]["summary"] == "PIPELINING is offered"
    assert code == 0


def test_the_register_renderers_example(run_with: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = run_with(hook_example("smtpdoctor_register_renderers"), args=("-f", "csv"))

    lines = out.splitlines()
    assert lines[0] == "check,status,summary"
    assert lines[1].startswith("tcp,pass,connected to 127.0.0.1 (IPv4) port ")
    assert lines[2].startswith("greeting,pass,220 mail.example.test ESMTP ready")
    assert code == 0


def test_the_hints_example_with_the_check_from_the_index(
    run_with: Callable[..., tuple[int, str, str]],
) -> None:
    index_check = PYTHON_BLOCK.findall((DOCS / "index.md").read_text())[0]

    code, out, _ = run_with(
        index_check,
        hook_example("smtpdoctor_hints"),
        args=("-f", "json"),
        greeting="220 mail.example.test ESMTP Postfix",
    )

    row = rows(out)["banner-hides-software"]
    assert row["status"] == "warn"
    assert [hint["title"] for hint in row["hints"]] == ["Hide the software name"]
    assert code == 1


def test_the_result_observer_example(run_with: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = run_with(hook_example("smtpdoctor_result"))

    assert err.splitlines()[:3] == ["tcp: PASS", "greeting: PASS", "ehlo: PASS"]
    assert code == 0
