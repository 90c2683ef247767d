"""Target lists, shards and resume bookkeeping: pure functions, no network."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtpdoctor.api import Request
from smtpdoctor.model.words import Endpoint, TLSMode
from smtpdoctor.scan import (
    RECORD_SCHEMA,
    ScanInputError,
    ScanOptions,
    ScanTarget,
    Shard,
    completed_targets,
    parse_targets,
    place_target,
)


def test_lines_may_be_host_host_port_or_bracketed_ipv6() -> None:
    parsed = parse_targets(
        ["mx.example.test", "smtp.example.test:465", "[2001:db8::1]:25", "192.0.2.7:2525"],
        default_port=25,
    )

    assert [t.key for t in parsed.targets] == [
        "mx.example.test:25",
        "smtp.example.test:465",
        "[2001:db8::1]:25",
        "192.0.2.7:2525",
    ]
    assert parsed.bad_lines == ()


def test_blank_lines_comments_and_repeats_are_skipped() -> None:
    parsed = parse_targets(
        ["# fleet", "", "  mx.example.test  # primary", "MX.example.test.", "mx.example.test:587"]
    )

    assert [t.key for t in parsed.targets] == ["mx.example.test:587"]


def test_unusable_lines_are_listed_with_their_line_number_and_the_rest_kept() -> None:
    parsed = parse_targets(["ok.example.test", "bad host", "x.example.test:99999", "a@b"])

    assert [t.key for t in parsed.targets] == ["ok.example.test:587"]
    assert [(bad.number, bad.text) for bad in parsed.bad_lines] == [
        (2, "bad host"),
        (3, "x.example.test:99999"),
        (4, "a@b"),
    ]
    assert "not a port number" in parsed.bad_lines[1].reason


def test_an_email_address_is_a_target_whose_server_is_found_later() -> None:
    parsed = parse_targets(["Alice@Example.TEST", "bob@example.test:465", "alice@example.test"])

    assert [(t.key, t.host, t.port, t.is_address) for t in parsed.targets] == [
        ("alice@example.test", "example.test", None, True),
        ("bob@example.test:465", "example.test", 465, True),
    ]


hosts = st.lists(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}\.example\.test", fullmatch=True),
    min_size=1,
    max_size=60,
    unique=True,
)


@given(hosts=hosts, count=st.integers(min_value=1, max_value=9))
def test_shards_cover_every_target_exactly_once(hosts: list[str], count: int) -> None:
    targets = [ScanTarget(host, port) for host in hosts for port in (25, 587)]

    owners = {t: [k for k in range(count) if Shard(k, count).holds(t)] for t in targets}

    assert all(len(shards) == 1 for shards in owners.values())


def test_every_port_of_one_host_lands_in_the_same_shard() -> None:
    for count in (2, 3, 7):
        shards = {
            next(k for k in range(count) if Shard(k, count).holds(ScanTarget("mx.test", port)))
            for port in (25, 465, 587, 2525)
        }
        assert len(shards) == 1


def test_a_large_list_is_split_roughly_evenly() -> None:
    targets = [ScanTarget(f"mx{n}.example.test", 25) for n in range(4000)]

    sizes = [sum(Shard(k, 4).holds(t) for t in targets) for k in range(4)]

    assert sum(sizes) == 4000
    assert min(sizes) > 850


def test_shard_k_of_n_is_parsed_and_k_may_come_from_the_indexed_job() -> None:
    assert Shard.parse("2/5", {}) == Shard(2, 5)
    assert Shard.parse("5", {"JOB_COMPLETION_INDEX": "3"}) == Shard(3, 5)
    assert Shard.parse("1/2", {"JOB_COMPLETION_INDEX": "0"}) == Shard(1, 2)


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        ("4", {}, "JOB_COMPLETION_INDEX"),
        ("5/5", {}, "0 <= K < N"),
        ("1/0", {}, "0 <= K < N"),
        ("a/b", {}, "whole numbers"),
        ("-1/3", {}, "whole numbers"),
        ("\u00b2/4", {}, "whole numbers"),  # a digit to str.isdigit(), not to int()
        ("4", {"JOB_COMPLETION_INDEX": "\u00b9"}, "whole numbers"),
    ],
)
def test_a_bad_shard_is_refused_with_the_reason(
    text: str, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ScanInputError, match=message):
        Shard.parse(text, environ)


def test_resume_reads_the_targets_of_complete_records_only() -> None:
    done = json.dumps({"schema": RECORD_SCHEMA, "target": "a.example.test:25"})
    other = json.dumps({"schema": "something else", "target": "b.example.test:25"})
    cut_short = json.dumps({"schema": RECORD_SCHEMA, "target": "c.example.test:25"})[:-9]

    assert completed_targets([done, other, "", "not json", cut_short]) == {"a.example.test:25"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("concurrency", 0), ("per_address", 0), ("retries", -1), ("retry_delay", -0.5)],
)
def test_scan_options_refuse_impossible_values(field: str, value: float) -> None:
    with pytest.raises(ScanInputError):
        ScanOptions(**{field: value})  # type: ignore[arg-type]


def test_an_address_at_a_known_provider_leads_to_its_submission_server() -> None:
    template = Request("template.invalid", port=25)

    plan = place_target(ScanTarget("gmail.com", None, "alice@gmail.com"), template)

    assert (plan.host, plan.endpoint) == ("smtp.gmail.com", Endpoint(465, TLSMode.IMPLICIT))
    assert [row.check_id for row in plan.preamble] == ["target"]


def test_a_server_line_is_checked_as_written() -> None:
    template = Request("template.invalid", port=587, timeout=4.0)

    plan = place_target(ScanTarget("mx.example.test", 2525), template)
    config = plan.config

    assert (config.host, config.port, config.timeout, plan.preamble) == (
        "mx.example.test",
        2525,
        4.0,
        (),
    )
