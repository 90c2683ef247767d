"""The table itself: big enough, every fact sourced and dated, its page current, its age
shown, and ``smtpdoctor providers`` listing it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.discovery.providers import PROVIDERS, Kind, Provider
from smtpdoctor.remedies.knowledge.providers import CHECKED_ON, STALE_AFTER_DAYS, aged

from tests.providers.providersdoc import PAGE, render


def test_the_table_holds_at_least_45_entries_across_kinds_and_regions() -> None:
    assert len(PROVIDERS) >= 45
    assert {p.kind for p in PROVIDERS} == set(Kind)
    mailbox_regions = {p.region for p in PROVIDERS if p.kind is Kind.MAILBOX}
    assert {"Europe", "Asia", "Americas", "Oceania"} <= mailbox_regions


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.id)
def test_every_fact_an_entry_states_has_a_source_and_a_date(provider: Provider) -> None:
    for fact in provider.facts():
        sources = provider.sources_for(fact)
        assert sources, f"{provider.id}: no source for its {fact.value}"
        for source in sources:
            assert source.url.startswith(("https://", "http://")), source
            assert isinstance(source.checked, date)
            assert source.checked <= date.today()


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.id)
def test_a_switch_and_a_refusal_carry_their_own_words(provider: Provider) -> None:
    for switch in provider.switches:
        assert switch.name and switch.where
    for refusal in provider.refusals:
        assert refusal.check in ("auth", "send")
        assert refusal.example.startswith(str(refusal.code))


def test_docs_providers_md_is_generated_from_the_table() -> None:
    assert PAGE.read_text() == render(), (
        "docs/providers.md is out of date: run .venv/bin/python tests/providers/providersdoc.py"
    )


def test_a_hint_checked_long_ago_says_when_and_a_fresh_one_does_not() -> None:
    hint, checked = next(iter(CHECKED_ON.items()))

    fresh = aged(hint, checked + timedelta(days=STALE_AFTER_DAYS))
    stale = aged(hint, checked + timedelta(days=STALE_AFTER_DAYS + 1))

    assert fresh == hint
    assert stale.title == hint.title
    assert stale.steps[-1].startswith(f"These facts were checked on {checked.isoformat()}")


def test_the_providers_command_lists_the_table_fitted_to_the_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")

    main(["providers"])

    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "QQ Mail" in out and "SparkPost" in out and "Strato" in out


def test_the_providers_command_filters_by_name_domain_or_host(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["providers", "163.com", "--format", "json"])

    document = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in document["providers"]] == ["netease163"]


def test_the_providers_json_carries_every_fact_with_its_source_and_date(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["providers", "qq", "--format", "json"])

    (qq,) = json.loads(capsys.readouterr().out)["providers"]
    assert qq["credential"] == "authorization code"
    assert qq["endpoints"] == [{"port": 465, "tls": "implicit"}]
    assert qq["refusals"][0]["code"] == 535
    assert qq["checked"] == "2026-12-03"
    assert {source["fact"] for source in qq["sources"]} >= {
        "endpoints",
        "username",
        "credential",
        "switches",
        "refusals",
    }
    assert all(source["url"] and source["checked"] for source in qq["sources"])


def test_a_name_nothing_matches_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    main(["providers", "no-such-provider"])

    assert capsys.readouterr().out.strip() == "No provider matches."
