"""The hooks smtpdoctor calls; plugins implement them with :data:`smtpdoctor.hookimpl`.

Every hook is called with keyword arguments only, so an implementation may accept just the
parameters it needs.  Builtin checks, renderers and hints use these hooks exactly as
third-party plugins do.  The reference with an example per hook is ``docs/plugins/hooks.md``;
its section "Order and wrappers" says in which order implementations are called (pluggy's,
the builtins first unless a plugin is ``tryfirst``), that each is called on its own, and why
hook wrappers are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from smtpdoctor.core.hooks import PROJECT, hookimpl, hookspec

if TYPE_CHECKING:
    from smtpdoctor.core.check import RegisterCheck
    from smtpdoctor.core.hooks import HintContext, RegisterRenderer
    from smtpdoctor.model.results import CheckResult, Hint

__all__ = [
    "PROJECT",
    "hookimpl",
    "hookspec",
    "smtpdoctor_hints",
    "smtpdoctor_register_checks",
    "smtpdoctor_register_domain_checks",
    "smtpdoctor_register_renderers",
    "smtpdoctor_result",
]


@hookspec
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register check classes for this run.

    Called once per run, before anything is sent, for each plugin in pluggy's order (builtins
    first, unless a plugin is ``tryfirst``).  Call ``register`` with each
    :class:`~smtpdoctor.core.check.Check` subclass the plugin provides; it raises
    :class:`~smtpdoctor.core.registry.RegistrationError` for a malformed or duplicate id, and
    the run stops with exit code 3 and a message naming the plugin.

    :param register: adds one check class to the run.
    """


@hookspec
def smtpdoctor_register_renderers(register: RegisterRenderer) -> None:
    """Register output formats, the names ``--format`` accepts.

    Called once when a report is about to be shown.  Call
    ``register(name, renderer, description=...)`` for each format; a renderer is a pure
    function ``(report, options) -> str`` that does no I/O.  A name already taken is an error.

    :param register: adds one named renderer.
    """


@hookspec
def smtpdoctor_hints(result: CheckResult, context: HintContext) -> list[Hint] | None:
    """Contribute remediation hints for a result.

    Called for every WARN, FAIL and ERROR result after the check ran; the builtin knowledge
    base answers through this hook too.  The hints returned by all plugins are appended, in
    call order, to the result's hints.

    :param result: the result as produced so far, including the check's own hints.
    :param context: the server and who runs it (:class:`~smtpdoctor.remedies.HintContext`:
        host, port, TLS mode, the detected provider id or ``None``, the banner and the EHLO
        domain), so a hint can depend on the provider.
    :return: hints to add, or ``None`` for none.
    """


@hookspec
def smtpdoctor_result(result: CheckResult) -> None:
    """Observe each result as soon as it is final (its hints included), in check order.

    For progress displays, streaming and metrics.  The return value is ignored; an exception
    raised here is noted in the transcript and the run goes on.

    :param result: the finished result of one check.
    """


@hookspec
def smtpdoctor_register_domain_checks(register: Callable[[type[Any]], None]) -> None:
    """Register domain checks: sections of ``smtpdoctor domain DOMAIN``.

    Called once per audit, for each plugin in pluggy's order (the builtins — ``mx``, ``smtp``,
    ``mta-sts``, ``tls-rpt``, ``dane``, ``spf``, ``dmarc``, ``dkim``, ``bulk-senders`` —
    first).  Call ``register`` with each :class:`~smtpdoctor.domain.DomainCheck` subclass;
    a malformed or duplicate id stops the audit with exit code 3 and a message naming the
    plugin.

    :param register: adds one domain check class to the audit
        (``smtpdoctor.domain.RegisterDomainCheck``; typed loosely here because the engine
        sits below the domain audit and does not import it).
    """
