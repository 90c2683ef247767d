"""Hints for the comparison rows, from the knowledge base and plugins alike.

The comparison rows are no check's, so the runner never sees them; they get their hints
through the same ``smtpdoctor_hints`` hook, each implementation called on its own (a broken
hint plugin costs only its own hints, and says so).
"""

from __future__ import annotations

from typing import cast

import pluggy

from smtpdoctor.core.hookcalls import call_each
from smtpdoctor.core.hooks import HintContext
from smtpdoctor.model.results import CheckResult, Hint


def plugin_hints(
    manager: pluggy.PluginManager, result: CheckResult, context: HintContext
) -> tuple[Hint, ...]:
    """What the ``smtpdoctor_hints`` implementations of ``manager`` say about ``result``, in
    pluggy's order, without repeats."""
    arguments = {"result": result, "context": context}
    found: list[Hint] = []
    for answer in call_each(manager.hook.smtpdoctor_hints, lambda _: arguments):
        hints = cast("list[Hint] | None", answer.value)
        if answer.error is not None:
            error = type(answer.error).__name__
            hints = [Hint(f"(a hint plugin failed: {answer.plugin_name} raised {error})")]
        found += [hint for hint in hints or () if hint not in found]
    return tuple(found)
