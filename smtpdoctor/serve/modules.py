"""A module and a target make one :class:`~smtpdoctor.api.Request`: the module's TLS mode,
trust, checks, plugins, login and test message, aimed at exactly ``host:port``."""

from __future__ import annotations

from collections.abc import Mapping

from smtpdoctor.api.request import Request, SecretSources, TestMessage
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.model.words import ConfigError
from smtpdoctor.secrets.passwords import PASSWORD_ENV
from smtpdoctor.serve.config import ModuleConfig
from smtpdoctor.settings.config import parse_target


def parse_probe_target(text: str, module: ModuleConfig) -> tuple[str, int]:
    """``HOST[:PORT]`` as host and port, the module's port when none is typed.

    :raises ConfigError: not a server (an email address, control characters, a bad port).
    """
    if not text.strip():
        raise ConfigError("the target is empty: give target=HOST[:PORT]")
    host, port = parse_target(text, default_port=module.port)
    if not host:
        raise ConfigError(f"{text!r}: no host name")
    return host, port


def target_text(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets: the key of a server address."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def plugin_selection(module: ModuleConfig, base: PluginSelection) -> PluginSelection:
    """The plugins a module's runs load: ``base`` (what the command line and the environment
    ask for) and the module's own, without the plugins and checks either disables."""
    return PluginSelection(
        plugins=tuple(dict.fromkeys(base.plugins + module.plugins)),
        disabled=base.disabled | frozenset(module.disable),
        autoload=base.autoload,
    )


def build_request(
    module: ModuleConfig,
    host: str,
    port: int,
    *,
    deadline: float,
    send: bool,
    selection: PluginSelection,
    environ: Mapping[str, str],
) -> Request:
    """The request for one probe of ``host:port`` with ``module``.

    :param deadline: seconds the run may take (the module's, or less for a scrape timeout).
    :param send: whether the module's test message goes out this time.
    :param environ: where a ``password_env`` variable is read, at each probe (so a rotated
        password is used without a reload).
    """
    return Request(
        target_text(host, port),
        user=module.login.user if module.login else None,
        secrets=_secrets(module, environ),
        tls=module.tls,
        ca_file=module.ca_file,
        insecure=module.insecure,
        timeout=min(module.timeout, deadline),
        deadline=deadline,
        family=module.family,
        source_address=module.source_address,
        proxy=module.proxy.display if module.proxy is not None else None,
        send=_message(module) if send else None,
        plugins=selection,
        options=module.options,
    )


def _secrets(module: ModuleConfig, environ: Mapping[str, str]) -> SecretSources:
    """The module's password sources: the login's file or variable, the proxy's file."""
    proxy = module.proxy_password_file
    login = module.login
    if login is None:
        return SecretSources(proxy_password_file=proxy)
    if login.password_file is not None:
        return SecretSources(password_file=login.password_file, proxy_password_file=proxy)
    assert login.password_env is not None  # validated: one of the two
    value = environ.get(login.password_env, "")
    return SecretSources(environ={PASSWORD_ENV: value} if value else {}, proxy_password_file=proxy)


def _message(module: ModuleConfig) -> TestMessage | None:
    if module.send is None:
        return None
    return TestMessage(module.send.to, sender=module.send.sender)
