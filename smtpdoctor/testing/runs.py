"""Running smtpdoctor against test servers: one check, or the whole pipeline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from smtpdoctor.model.results import CheckResult, Report
    from smtpdoctor.settings.config import RunConfig


class Endpoint(Protocol):
    """Anything with a loopback ``host`` and ``port``: :class:`ScriptedServer`, ..."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


class TLSEndpoint(Endpoint, Protocol):
    """A server that also says how it does TLS and which CA to trust:
    :class:`SMTPTestServer`, any :class:`smtpdoctor.lab.smtpserver.LocalSMTPServer`."""

    @property
    def tls(self) -> str: ...

    @property
    def ca_pem(self) -> str: ...


Server = TLSEndpoint | Endpoint | tuple[str, int]
Plugins = Iterable[ModuleType | object]


def run_pipeline(
    server: Server,
    *,
    plugins: Plugins = (),
    user: str | None = None,
    password: str | None = None,
    **fields: Any,
) -> Report:
    """Run every check — the builtins and ``plugins`` — against ``server``; the report.

    :param server: a test server (its TLS mode is used and its CA trusted) or ``(host, port)``.
    :param plugins: plugin modules or objects to load; installed plugins are not loaded.
    :param user: log in as this user (with ``password``); without it no login is tried.
    :param fields: any other :class:`~smtpdoctor.settings.config.RunConfig` field (``options=``,
        ``disabled=``, ``tls=``, ...); ``timeout`` defaults to 3 s, ``deadline`` to 20 s.
    """
    from smtpdoctor.core import runner
    from smtpdoctor.core.plugins import make_plugin_manager

    config = _config(server, user=user, password=password, fields=fields)
    manager = make_plugin_manager(extra_plugins=plugins, load_entry_points=False)
    return runner.run(config, manager)


def run_check(
    server: Server,
    check_id: str,
    *,
    plugins: Plugins = (),
    user: str | None = None,
    password: str | None = None,
    **fields: Any,
) -> CheckResult:
    """Run the check ``check_id`` and only what it needs (its ``requires``, and the
    connection, greeting and EHLO every run has) against ``server``; its result.

    Parameters as for :func:`run_pipeline`.  Raises :class:`LookupError` when no loaded
    plugin registers ``check_id``, or when the check does not take part in the run (an
    opt-in check that was not opted in).
    """
    from smtpdoctor.core import runner
    from smtpdoctor.core.plugins import make_plugin_manager
    from smtpdoctor.core.registry import ESSENTIAL_CHECKS, collect_checks

    manager = make_plugin_manager(extra_plugins=plugins, load_entry_points=False)
    registry = collect_checks(manager)
    known = sorted(entry.check.id for entry in registry.entries)
    if check_id not in known:
        raise LookupError(f"no plugin registers a check {check_id!r}; known: {', '.join(known)}")
    config = _config(server, user=user, password=password, fields=fields)
    needed = registry.needed_by((check_id, *ESSENTIAL_CHECKS), config)
    others = frozenset(known) - needed
    report = runner.run(replace(config, disabled=config.disabled | others), manager)
    result = report.result(check_id)
    if result is None:
        raise LookupError(f"check {check_id!r} did not take part in this run (is it opt-in?)")
    return result


def _config(
    server: Server, *, user: str | None, password: str | None, fields: dict[str, Any]
) -> RunConfig:
    from smtpdoctor.model.credentials import Credentials, Secret
    from smtpdoctor.model.words import TLSMode
    from smtpdoctor.settings.config import RunConfig

    if isinstance(server, tuple):
        host, port = server
    else:
        host, port = server.host, server.port
        tls = getattr(server, "tls", None)
        if isinstance(tls, str):
            fields.setdefault("tls", TLSMode(tls))
            if tls != "none":
                fields.setdefault("ca_data", cast(TLSEndpoint, server).ca_pem)
    if user is not None:
        if password is None:
            raise ValueError("give the password with the user")
        fields.setdefault("credentials", Credentials(user, Secret(password)))
    fields.setdefault("timeout", 3.0)
    fields.setdefault("deadline", 20.0)
    return RunConfig(host=host, port=port, **fields)
