"""``docs/domain.md`` lists every finding of every builtin domain check with its hint."""

from __future__ import annotations

from tests.domain.domaindoc import BEGIN, END, PAGE, render


def test_the_finding_catalogue_in_docs_domain_md_is_current() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert BEGIN in page and END in page
    assert render(page) == page, (
        "docs/domain.md is out of date: run .venv/bin/python tests/domain/domaindoc.py"
    )
