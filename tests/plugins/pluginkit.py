"""Helpers for the plugin-system tests: the fixtures' types (the fixtures are in
``pluginfixtures``, which test modules load with ``pytest_plugins``), plugin sources, and
reading the command line's JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Writes ``source`` (dedented) to ``<name>.py`` in a fresh directory; returns the path.
WritePlugin = Callable[[str, str], Path]
#: Installs a distribution: (name, version, {entry point: module}, {module: source}).
InstallDistribution = Callable[[str, str, dict[str, str], dict[str, str]], None]


def check_plugin(
    check_id: str, *, requires: tuple[str, ...] = ("greeting",), body: str = ""
) -> str:
    """The source of a plugin module that registers one passing check ``check_id``."""
    return f"""
from smtpdoctor import Check, CheckContext, Outcome, RegisterCheck, Status, hookimpl


class Registered(Check):
    id = {check_id!r}
    title = "A check from a plugin"
    requires = {requires!r}

    def run(self, ctx: CheckContext) -> Outcome:
        return Outcome(Status.PASS, "hello from {check_id}")


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    register(Registered)
{body}
"""


def rows(output: str) -> dict[str, dict[str, Any]]:
    """The ``checks`` of a ``--format json`` report, by id."""
    return {row["id"]: row for row in json.loads(output)["checks"]}
