"""Counts and sizes in words: ``1 target``, never ``1 targets``; ``500 B``, never ``0 MB``."""

from __future__ import annotations

import pytest

from smtpdoctor.model.quantities import byte_size, plural


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 targets"), (1, "1 target"), (2, "2 targets"), (1000, "1000 targets")],
)
def test_a_count_takes_the_singular_only_for_exactly_one(count: int, expected: str) -> None:
    assert plural(count, "target") == expected


def test_an_irregular_noun_gives_its_own_plural() -> None:
    assert plural(1, "address", "addresses") == "1 address"
    assert plural(3, "address", "addresses") == "3 addresses"


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (1, "1 B"),
        (500, "500 B"),
        (999, "999 B"),
        (1000, "1 KB"),
        (1500, "1.5 KB"),
        (10_240, "10 KB"),
        (999_999, "1 MB"),
        (10_485_760, "10 MB"),
        (33_554_432, "34 MB"),
        (35_882_577, "36 MB"),
        (157_286_400, "157 MB"),
        (1_500_000_000, "1.5 GB"),
        (2_000_000_000_000, "2 TB"),
    ],
)
def test_a_size_is_shown_in_a_unit_that_keeps_its_first_digits(size: int, expected: str) -> None:
    assert byte_size(size) == expected


@pytest.mark.parametrize("size", [1, 49, 499, 500, 501_000, 999_999_999])
def test_a_size_above_zero_never_reads_as_zero(size: int) -> None:
    assert not byte_size(size).startswith("0")
