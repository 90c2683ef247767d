"""smtpdoctor: find out why email cannot be sent — which SMTP step fails, why, what to do.

The names here are the API for plugin authors: write a :class:`Check`, return an
:class:`Outcome`, register it with :data:`hookimpl`.  They are loaded on first use, so that
``smtpdoctor --help`` does not pay for ssl and cryptography.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from smtpdoctor._version import __version__

if TYPE_CHECKING:
    from smtpdoctor.core.check import (
        Check,
        CheckContext,
        RegisterCheck,
        Stash,
        StashKey,
        reply_outcome,
    )
    from smtpdoctor.core.hookspecs import hookimpl
    from smtpdoctor.model.results import CheckResult, Hint, Outcome, Report, Status

_LAZY = {
    "Check": "smtpdoctor.core.check",
    "CheckContext": "smtpdoctor.core.check",
    "RegisterCheck": "smtpdoctor.core.check",
    "Stash": "smtpdoctor.core.check",
    "StashKey": "smtpdoctor.core.check",
    "reply_outcome": "smtpdoctor.core.check",
    "hookimpl": "smtpdoctor.core.hookspecs",
    "CheckResult": "smtpdoctor.model.results",
    "Hint": "smtpdoctor.model.results",
    "Outcome": "smtpdoctor.model.results",
    "Report": "smtpdoctor.model.results",
    "Status": "smtpdoctor.model.results",
}

__all__ = [
    "Check",
    "CheckContext",
    "CheckResult",
    "Hint",
    "Outcome",
    "RegisterCheck",
    "Report",
    "Stash",
    "StashKey",
    "Status",
    "__version__",
    "hookimpl",
    "reply_outcome",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'smtpdoctor' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
