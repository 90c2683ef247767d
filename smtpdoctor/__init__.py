"""smtpdoctor: find out why email cannot be sent — which SMTP step fails, why, what to do.

The names here are the public API, in two parts:

* **running a diagnosis** (``docs/api.md``): a :class:`Request` says what to check, a
  :class:`Doctor` plans it (:class:`Plan`) and runs it into a :class:`Report`;
  :func:`diagnose` does all of that once;
* **writing a plugin** (``docs/plugins/``): write a :class:`Check`, return an
  :class:`Outcome`, register it with :data:`hookimpl`; ``ctx.config`` is the
  :class:`RunConfig` of the run.

They are loaded on first use, so that ``smtpdoctor --help`` does not pay for ssl and
cryptography.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from smtpdoctor._version import __version__

if TYPE_CHECKING:
    from smtpdoctor.api import (
        Doctor,
        MailboxCheck,
        Observer,
        Plan,
        Purpose,
        Request,
        SecretSources,
        TestMessage,
        diagnose,
    )
    from smtpdoctor.core.check import (
        Check,
        CheckContext,
        RegisterCheck,
        Stash,
        StashKey,
        reply_outcome,
    )
    from smtpdoctor.core.hookspecs import hookimpl
    from smtpdoctor.model.credentials import Credentials, Secret
    from smtpdoctor.model.results import CheckResult, DetailValue, Hint, Outcome, Report, Status
    from smtpdoctor.model.words import AuthMechanism, ConfigError, Endpoint, ExitCode, TLSMode
    from smtpdoctor.settings.config import NameServer, RunConfig

_LAZY = {
    # running a diagnosis
    "Doctor": "smtpdoctor.api",
    "MailboxCheck": "smtpdoctor.api",
    "Observer": "smtpdoctor.api",
    "Plan": "smtpdoctor.api",
    "Purpose": "smtpdoctor.api",
    "Request": "smtpdoctor.api",
    "SecretSources": "smtpdoctor.api",
    "TestMessage": "smtpdoctor.api",
    "diagnose": "smtpdoctor.api",
    # writing a plugin
    "Check": "smtpdoctor.core.check",
    "CheckContext": "smtpdoctor.core.check",
    "RegisterCheck": "smtpdoctor.core.check",
    "Stash": "smtpdoctor.core.check",
    "StashKey": "smtpdoctor.core.check",
    "reply_outcome": "smtpdoctor.core.check",
    "hookimpl": "smtpdoctor.core.hookspecs",
    "AuthMechanism": "smtpdoctor.model.words",
    "NameServer": "smtpdoctor.settings.config",
    "RunConfig": "smtpdoctor.settings.config",
    # the shared words and results
    "ConfigError": "smtpdoctor.model.words",
    "Endpoint": "smtpdoctor.model.words",
    "ExitCode": "smtpdoctor.model.words",
    "TLSMode": "smtpdoctor.model.words",
    "Credentials": "smtpdoctor.model.credentials",
    "Secret": "smtpdoctor.model.credentials",
    "CheckResult": "smtpdoctor.model.results",
    "DetailValue": "smtpdoctor.model.results",
    "Hint": "smtpdoctor.model.results",
    "Outcome": "smtpdoctor.model.results",
    "Report": "smtpdoctor.model.results",
    "Status": "smtpdoctor.model.results",
}

__all__ = [
    "AuthMechanism",
    "Check",
    "CheckContext",
    "CheckResult",
    "ConfigError",
    "Credentials",
    "DetailValue",
    "Doctor",
    "Endpoint",
    "ExitCode",
    "Hint",
    "MailboxCheck",
    "NameServer",
    "Observer",
    "Outcome",
    "Plan",
    "Purpose",
    "RegisterCheck",
    "Report",
    "Request",
    "RunConfig",
    "Secret",
    "SecretSources",
    "Stash",
    "StashKey",
    "Status",
    "TLSMode",
    "TestMessage",
    "__version__",
    "diagnose",
    "hookimpl",
    "reply_outcome",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'smtpdoctor' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
