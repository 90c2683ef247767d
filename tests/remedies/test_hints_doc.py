"""``docs/hints.md`` shows every hint of the knowledge base, exactly as the data says."""

from __future__ import annotations

from smtpdoctor.remedies.knowledge import KNOWLEDGE_BASE

from tests.remedies.hintsdoc import PAGE, render


def test_the_hints_page_is_generated_from_the_knowledge_base() -> None:
    assert PAGE.read_text() == render(), (
        "docs/hints.md is out of date: run .venv/bin/python tests/remedies/hintsdoc.py"
    )


def test_the_page_shows_every_hint_with_its_steps() -> None:
    page = render()
    for remedy in KNOWLEDGE_BASE:
        assert f"### {remedy.hint.title}\n" in page
        for step in remedy.hint.steps:
            assert f"- {step}\n" in page
