"""The pool on loopback, started once for the pool tests (``poolkit.PoolLab``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtpdoctor.api import Doctor
from smtpdoctor.core.plugins import PluginSelection

from tests.pool.poolkit import PoolLab


@pytest.fixture(scope="package")
def lab() -> Iterator[PoolLab]:
    with PoolLab() as running:
        yield running


@pytest.fixture(scope="package")
def doctor() -> Doctor:
    return Doctor(PluginSelection(autoload=False))
