"""The hooks smtpdoctor calls; plugins implement them with :data:`smtpdoctor.hookimpl`.

Every hook is called with keyword arguments only.  Builtin checks use these hooks exactly as
third-party plugins do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from smtpdoctor.check import RegisterCheck
    from smtpdoctor.results import CheckResult, Hint

PROJECT = "smtpdoctor"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register check classes for this run.

    Called once per run, before anything is sent.  Call ``register`` with each
    :class:`~smtpdoctor.check.Check` subclass the plugin provides; it raises
    :class:`~smtpdoctor.registry.RegistrationError` for a duplicate or malformed id.

    :param register: adds one check class to the run.
    """


@hookspec
def smtpdoctor_hints(result: CheckResult) -> list[Hint] | None:
    """Contribute remediation hints for a result.

    Called for every WARN, FAIL and ERROR result after the check ran and the built-in knowledge
    base was consulted; the hints returned by all plugins are appended, in call order, to the
    result's hints.

    :param result: the result as produced so far, including the hints found until now.
    :return: hints to add, or ``None`` for none.
    """
