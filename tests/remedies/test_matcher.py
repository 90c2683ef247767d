"""The matcher: which entry applies to which result, reply and provider, and which tier wins."""

from __future__ import annotations

import pytest

from smtpdoctor.model.results import CheckResult, Hint, Outcome, Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.remedies import HintContext, Match, Remedy, Tier, hints_for, smtpdoctor_hints


def result(
    check_id: str = "auth",
    *,
    finding: str | None = None,
    code: int | None = None,
    enhanced: str | None = None,
    text: str | None = None,
    hints: tuple[Hint, ...] = (),
) -> CheckResult:
    outcome = Outcome(
        Status.FAIL,
        "…",
        finding=finding,
        reply_code=code,
        enhanced_code=enhanced,
        reply_text=text,
    )
    return CheckResult(check_id, "title", outcome, hints)


def at(provider: str | None) -> HintContext:
    return HintContext(
        host="smtp.example.test", port=587, tls_mode=TLSMode.STARTTLS, provider=provider
    )


@pytest.mark.parametrize(
    ("wanted", "seen", "matches"),
    [
        ("5.7.8", "5.7.8", True),
        ("5.7.8", "5.7.80", False),  # Gmail's help pages print 5.7.80; servers send 5.7.8
        ("5.7", "5.7.139", True),
        ("5", "5.1.1", True),
        ("5.7", "4.7.0", False),
        ("5.7.8", None, False),
        ("X.7.8", "4.7.8", True),
        ("X.7.8", "5.7.8", True),
        ("X.7", "5.7.139", True),
        ("X.7.8", "5.7.80", False),
        ("X.1", "2.1.5", False),  # X is a failure class: a success code names no problem
        ("X.1", "5.1.1", True),
        ("x.1.1", "5.1.1", True),
    ],
)
def test_enhanced_codes_match_component_by_component(
    wanted: str, seen: str | None, matches: bool
) -> None:
    assert Match(enhanced=wanted).matches(result(enhanced=seen)) is matches


def test_a_tuple_of_enhanced_codes_matches_any_of_them() -> None:
    match = Match(enhanced=("5.7.8", "5.7.80"))

    assert match.matches(result(enhanced="5.7.8"))
    assert match.matches(result(enhanced="5.7.80"))
    assert not match.matches(result(enhanced="5.7.9"))


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


def test_a_provider_condition_needs_that_provider_in_the_context() -> None:
    match = Match(codes=(535,), provider="yahoo")

    assert match.matches(result(code=535), at("yahoo"))
    assert not match.matches(result(code=535), at("gmail"))
    assert not match.matches(result(code=535), at(None))
    assert not match.matches(result(code=535))


def test_a_tuple_of_providers_matches_any_of_them() -> None:
    match = Match(provider=("yahoo", "aol"))

    assert match.matches(result(), at("aol"))
    assert not match.matches(result(), at("gmail"))


def test_without_a_provider_condition_the_context_does_not_matter() -> None:
    assert Match(codes=(535,)).matches(result(code=535), at("gmail"))
    assert Match(codes=(535,)).matches(result(code=535), None)


def test_only_the_most_specific_tier_that_matches_is_shown() -> None:
    exact, provider, finding, general = (Hint(t) for t in ("exact", "provider", "finding", "rfc"))
    remedies = (
        Remedy(Match(enhanced="X.7.8"), general, Tier.STATUS_CODE),
        Remedy(Match(finding="auth.rejected"), finding, Tier.FINDING),
        Remedy(Match(codes=(535,), provider="gmail"), provider, Tier.PROVIDER),
        Remedy(Match(text="BadCredentials"), exact, Tier.REPLY),
    )
    seen = result(finding="auth.rejected", code=535, enhanced="5.7.8", text="p=BadCredentials")

    assert hints_for(seen, remedies, at("gmail")) == [exact]
    assert hints_for(replace_text(seen, "nope"), remedies, at("gmail")) == [provider]
    assert hints_for(replace_text(seen, "nope"), remedies, at(None)) == [finding]
    assert hints_for(result(enhanced="5.7.8"), remedies) == [general]


def replace_text(seen: CheckResult, text: str) -> CheckResult:
    return result(
        finding=seen.outcome.finding,
        code=seen.outcome.reply_code,
        enhanced=seen.outcome.enhanced_code,
        text=text,
    )


def test_all_matches_of_the_winning_tier_are_shown_in_knowledge_base_order() -> None:
    first, second = Hint("first"), Hint("second")
    remedies = (Remedy(Match(codes=(535,)), first), Remedy(Match(check="auth"), second))

    assert hints_for(result(code=535), remedies) == [first, second]


def test_hints_are_not_repeated() -> None:
    hint = Hint("Same")
    remedies = (Remedy(Match(check="auth"), hint), Remedy(Match(codes=(535,)), hint))

    assert hints_for(result(code=535), remedies) == [hint]


def test_a_hint_the_check_already_gave_is_not_added_again() -> None:
    hint = Hint("Already there")

    assert hints_for(result(hints=(hint,)), (Remedy(Match(), hint),)) == []


def test_no_match_gives_no_hints() -> None:
    assert hints_for(result(code=250), (Remedy(Match(codes=(535,)), Hint("x")),)) == []


def test_the_builtin_hook_answers_with_the_knowledge_base_and_the_provider() -> None:
    refused = result(code=535, enhanced="5.7.0", text="(#AUTH005) Too many bad auth attempts.")

    at_yahoo = smtpdoctor_hints(result=refused, context=at("yahoo"))
    elsewhere = smtpdoctor_hints(result=refused, context=at(None))

    assert [hint.title for hint in at_yahoo] == ["Yahoo and AOL need an app password"]
    assert "Yahoo and AOL need an app password" not in [hint.title for hint in elsewhere]
