"""The knowledge base matcher: which hint applies to which finding and reply."""

from __future__ import annotations

import pytest

from smtpdoctor.remedies import Match, Remedy, hints_for
from smtpdoctor.remedies.knowledge import KNOWLEDGE_BASE
from smtpdoctor.results import CheckResult, Hint, Outcome, Status


def result(
    check_id: str = "auth",
    *,
    finding: str | None = None,
    code: int | None = None,
    enhanced: str | None = None,
    text: str | None = None,
) -> CheckResult:
    outcome = Outcome(
        Status.FAIL,
        "…",
        finding=finding,
        reply_code=code,
        enhanced_code=enhanced,
        reply_text=text,
    )
    return CheckResult(check_id, "title", outcome)


@pytest.mark.parametrize(
    ("wanted", "seen", "matches"),
    [
        ("5.7.8", "5.7.8", True),
        ("5.7.8", "5.7.80", False),  # Gmail's help pages print 5.7.80; servers send 5.7.8
        ("5.7", "5.7.139", True),
        ("5", "5.1.1", True),
        ("5.7", "4.7.0", False),
        ("5.7.8", None, False),
    ],
)
def test_enhanced_codes_match_component_by_component(
    wanted: str, seen: str | None, matches: bool
) -> None:
    assert Match(enhanced=wanted).matches(result(enhanced=seen)) is matches


def test_a_finding_ending_in_a_dot_matches_the_whole_family() -> None:
    assert Match(finding="tls.").matches(result(finding="tls.starttls-refused"))
    assert not Match(finding="tls").matches(result(finding="tls.starttls-refused"))
    assert not Match(finding="tls.").matches(result(finding=None))


def test_text_is_a_case_insensitive_search() -> None:
    match = Match(text=r"badcredentials")

    assert match.matches(result(text="535-5.7.8 https://support.google.com/mail/?p=BadCredentials"))
    assert not match.matches(result(text="535 5.7.8 Authentication credentials invalid"))


def test_every_condition_must_hold() -> None:
    match = Match(check="auth", codes=(535,), enhanced="5.7.8")

    assert match.matches(result(code=535, enhanced="5.7.8"))
    assert not match.matches(result("tls", code=535, enhanced="5.7.8"))
    assert not match.matches(result(code=534, enhanced="5.7.8"))


def test_hints_are_not_repeated() -> None:
    hint = Hint("Same")
    remedies = (Remedy(Match(check="auth"), hint), Remedy(Match(codes=(535,)), hint))

    assert hints_for(result(code=535), remedies) == [hint]


def test_gmail_bad_credentials_gets_the_app_password_hint_and_the_generic_one() -> None:
    gmail = result(
        finding="auth.rejected",
        code=535,
        enhanced="5.7.8",
        text="5.7.8 Username and Password not accepted. For more information, go to\n"
        "5.7.8  https://support.google.com/mail/?p=BadCredentials",
    )

    titles = [hint.title for hint in hints_for(gmail, KNOWLEDGE_BASE)]

    assert titles == ["Gmail refused the password", "The user name or password is wrong"]


def test_the_knowledge_base_gives_no_obsolete_google_advice() -> None:
    for remedy in KNOWLEDGE_BASE:
        text = " ".join((remedy.hint.title, *remedy.hint.steps)).lower()
        assert "less secure app" not in text
        assert "enable imap" not in text


def test_every_remedy_names_a_fix() -> None:
    for remedy in KNOWLEDGE_BASE:
        assert remedy.hint.title
        assert remedy.hint.steps, remedy.hint.title
