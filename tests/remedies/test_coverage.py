"""The knowledge base as a whole: every entry is proven by a real reply, every provider has
hints, every finding it answers is one a check declares, and no hint gives advice that no
longer works."""

from __future__ import annotations

import re

import pytest

from smtpdoctor.core.check import reply_outcome
from smtpdoctor.discovery.providers import PROVIDERS
from smtpdoctor.model.results import CheckResult, Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.remedies import HintContext, Remedy, hints_for
from smtpdoctor.remedies.knowledge import KNOWLEDGE_BASE, SECTIONS

from tests.findingkit import all_findings, findings_by_row
from tests.remedies.hintcases import ALL_CASES, parse, remedies_answering

ANSWERED = [remedy for case in ALL_CASES for remedy in remedies_answering(case)]
ON_FINDINGS = [remedy for remedy in KNOWLEDGE_BASE if remedy.match.finding is not None]


def label(remedy: Remedy) -> str:
    return f"{KNOWLEDGE_BASE.index(remedy)}-{remedy.hint.title}"


def words(remedy: Remedy) -> str:
    hint = remedy.hint
    return " ".join((hint.title, *hint.steps, hint.url or "")).lower()


@pytest.mark.parametrize("remedy", KNOWLEDGE_BASE, ids=label)
def test_every_entry_answers_a_case_of_the_table(remedy: Remedy) -> None:
    assert any(answer is remedy for answer in ANSWERED), "no case in hintcases.py shows it"


@pytest.mark.parametrize("remedy", ON_FINDINGS, ids=label)
def test_every_finding_an_entry_answers_is_declared_by_a_check(remedy: Remedy) -> None:
    wanted, check = remedy.match.finding, remedy.match.check
    assert wanted is not None
    possible = findings_by_row().get(check, ()) if check is not None else all_findings()

    if wanted.endswith("."):  # a prefix: "tls." answers every tls finding
        assert any(finding.startswith(wanted) for finding in possible)
    else:
        assert wanted in possible, f"no check declares {wanted!r}: this hint can never show"


@pytest.mark.parametrize("provider", [p.id for p in PROVIDERS])
def test_every_provider_has_a_section_of_hints(provider: str) -> None:
    sections = [section for section in SECTIONS if provider in section.providers]

    assert len(sections) == 1
    assert sections[0].remedies


def test_matches_name_only_known_providers() -> None:
    known = {p.id for p in PROVIDERS}
    for remedy in KNOWLEDGE_BASE:
        wanted = remedy.match.provider
        named = (wanted,) if isinstance(wanted, str) else wanted or ()
        assert set(named) <= known, remedy.hint.title


@pytest.mark.parametrize("remedy", KNOWLEDGE_BASE, ids=label)
def test_no_entry_gives_obsolete_google_advice(remedy: Remedy) -> None:
    text = words(remedy)

    assert "less secure app" not in text
    assert not re.search(r"\benabl\w* (the )?imap\b|\bimap (access )?(toggle|switch)", text)


@pytest.mark.parametrize("remedy", KNOWLEDGE_BASE, ids=label)
def test_every_entry_is_a_one_line_title_with_concrete_steps(remedy: Remedy) -> None:
    hint = remedy.hint

    assert hint.title and "\n" not in hint.title and len(hint.title) <= 80
    assert hint.steps
    assert all(step.strip() for step in hint.steps)
    assert hint.url is None or hint.url.startswith("https://")


def test_hint_titles_name_one_fix_each() -> None:
    hints_by_title: dict[str, object] = {}
    for remedy in KNOWLEDGE_BASE:
        earlier = hints_by_title.setdefault(remedy.hint.title, remedy.hint)
        assert earlier == remedy.hint, f"two different hints are titled {remedy.hint.title!r}"


def test_regular_expressions_compile() -> None:
    for remedy in KNOWLEDGE_BASE:
        if remedy.match.text is not None:
            re.compile(remedy.match.text)


def example_reply(remedy: Remedy) -> bytes | None:
    example = remedy.example
    if example is None or not re.match(r"\d{3}[ -]", example):
        return None
    return example.replace("\n", "\r\n").encode() + b"\r\n"


REPLY_EXAMPLES = [remedy for remedy in KNOWLEDGE_BASE if example_reply(remedy) is not None]


@pytest.mark.parametrize("remedy", REPLY_EXAMPLES, ids=label)
def test_the_reply_shown_in_the_docs_triggers_its_own_entry(remedy: Remedy) -> None:
    reply = parse(example_reply(remedy) or b"")
    match = remedy.match
    provider = match.provider if isinstance(match.provider, str) else (match.provider or (None,))[0]
    check = match.check or (match.finding.split(".")[0] if match.finding else "send")
    seen = CheckResult(
        check,
        "title",
        reply_outcome(Status.FAIL, "…", reply, finding=match.finding),
    )
    context = HintContext(
        host="mail.example.test", port=587, tls_mode=TLSMode.STARTTLS, provider=provider
    )

    assert remedy.hint in hints_for(seen, KNOWLEDGE_BASE, context)
