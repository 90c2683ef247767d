"""Running smtpdoctor against a hostile server, and reading what the user is told.

Each scenario test starts a :class:`~smtpdoctor.lab.scripted.ConversationServer`, runs the
whole pipeline against it with :func:`check`, and asserts three things: which check (stage)
failed, its verdict (both checked by :func:`failure`), and the sentence the user sees for it.
``HANG_GUARD`` is the generous limit for one scenario: a scenario that runs into it is a
hang, not a slow machine.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from smtpdoctor.core import runner
from smtpdoctor.core.plugins import make_plugin_manager
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import CheckResult, Report, Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.settings.config import RunConfig

from tests.hostile.hostile_server import ConversationServer

USER: Final = "alice@example.test"
PASSWORD: Final = "correct horse battery staple"
#: The --timeout scenarios run with: short, so that the suite stays fast.
TIMEOUT: Final = 1.0
#: Seconds after which a scenario counts as hung (many times its own timeouts).
HANG_GUARD: Final = 15
hang_guard = pytest.mark.timeout(HANG_GUARD)


def check(server: ConversationServer, *, password: str | None = None, **fields: Any) -> Report:
    """Run every builtin check against ``server`` (STARTTLS, ``--timeout 1`` by default)
    and return the report; ``password`` logs in as :data:`USER`."""
    host, port = server.address
    if password is not None:
        fields.setdefault("credentials", Credentials(USER, Secret(password)))
    fields.setdefault("tls", TLSMode.STARTTLS)
    fields.setdefault("timeout", TIMEOUT)
    fields.setdefault("deadline", 10.0)
    config = RunConfig(host=host, port=port, **fields)
    return runner.run(config, make_plugin_manager(load_entry_points=False))


def row(report: Report, check_id: str) -> CheckResult:
    """The report's row for ``check_id``."""
    result = report.result(check_id)
    assert result is not None, f"the report has no {check_id!r} row"
    return result


def first_problem(report: Report) -> CheckResult:
    """The first row that is not PASS, INFO or SKIP: the stage that failed."""
    problems = [result for result in report.results if result.status.is_problem]
    assert problems, f"no check found a problem: {[(r.check_id, r.status) for r in report.results]}"
    return problems[0]


def failure(report: Report, finding: str) -> CheckResult:
    """The stage that failed, after checking that it is a FAIL with ``finding``, raised by
    the check the finding is named after (``"greeting.busy"``: the ``greeting`` check)."""
    failed = first_problem(report)
    seen = (failed.check_id, failed.status, failed.outcome.finding)
    expected = (finding.split(".", 1)[0], Status.FAIL, finding)
    assert seen == expected, f"expected {expected}, got {seen}: {failed.summary}"
    return failed


def skipped_after(report: Report, check_id: str) -> list[str]:
    """The ids of the SKIP rows that come after ``check_id``."""
    ids = [result.check_id for result in report.results]
    later = report.results[ids.index(check_id) + 1 :]
    return [result.check_id for result in later if result.status is Status.SKIP]


def hint_titles(result: CheckResult) -> list[str]:
    """The titles of the hints shown under ``result``."""
    return [hint.title for hint in result.hints]
