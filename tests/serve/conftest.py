"""Fixtures for the tests of ``smtpdoctor serve``: a running serve, stopped after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.testing import SMTPTestServer

from tests.serve.servekit import RunningServe, start_serve


@pytest.fixture
def make_serve() -> Iterator[Callable[..., RunningServe]]:
    """Start ``serve``s (arguments as :func:`start_serve`); all are stopped after the test."""
    started: list[RunningServe] = []

    def start(*args: Any, **kwargs: Any) -> RunningServe:
        running = start_serve(*args, **kwargs)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def ca_file(tmp_path: Path, smtp_test_server: SMTPTestServer) -> Path:
    """The test servers' throwaway CA, as a PEM file a module can trust."""
    path = tmp_path / "ca.pem"
    path.write_text(smtp_test_server.ca_pem, encoding="utf-8")
    return path
