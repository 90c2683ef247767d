"""The configuration of ``smtpdoctor serve``: modules and server limits from a TOML file.

The file is blackbox_exporter-like: a ``[server]`` table with the global limits and allowed
targets, and one ``[modules.NAME]`` table per way of probing (TLS mode, port, trust,
credentials, an opt-in test message, time limits).  :func:`load_config` reads and validates
it into a frozen :class:`ServeConfig`; every mistake is a :class:`ServeConfigError` that names
the file and the key.  A password is never written in the file: a module names the file or
the environment variable that holds it, and :func:`describe_config` — what ``--check-config``
and ``GET /config`` show — prints only those names.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from smtpdoctor.model.words import DEFAULT_PORT, ConfigError, TLSMode
from smtpdoctor.serve.allowlist import TargetPattern
from smtpdoctor.settings.proxy import ProxySpec, check_proxy_family, parse_proxy

#: The module a probe uses when the request names none.
DEFAULT_MODULE = "default"
#: Seconds between two test messages to one target, unless a module says otherwise.
DEFAULT_SEND_INTERVAL = 3600.0
#: A config file larger than this is refused unread (it is a few kilobytes at most).
MAX_CONFIG_BYTES = 1024 * 1024

_SERVER_KEYS = frozenset(
    {"allowed_targets", "max_concurrent", "queue_limit", "per_address", "history"}
)
_MODULE_KEYS = frozenset(
    {
        "tls",
        "port",
        "ca_file",
        "insecure",
        "disable",
        "plugins",
        "options",
        "user",
        "password_file",
        "password_env",
        "send_to",
        "send_from",
        "min_send_interval",
        "timeout",
        "deadline",
        "allowed_targets",
        "proxy",
        "proxy_password_file",
        "ip_family",
        "source_address",
    }
)
#: Keys that would put a secret in the file: refused, with the way to do it instead.
_SECRET_KEYS = frozenset({"password", "pass", "secret", "token", "oauth_token", "proxy_password"})


class ServeConfigError(ConfigError):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Defaults:
    """What ``serve``'s command line sets for every module that does not say otherwise."""

    ca_file: Path | None = None
    insecure: bool = False
    timeout: float = 10.0
    deadline: float = 30.0
    allowed_targets: tuple[TargetPattern, ...] = ()
    """``--allow`` patterns, added to the file's ``[server] allowed_targets``."""


@dataclass(frozen=True, slots=True)
class Login:
    """Who a module logs in as, and where the password is read from at each probe."""

    user: str
    password_file: Path | None = None
    password_env: str | None = None


@dataclass(frozen=True, slots=True)
class Sending:
    """The opt-in test message of a module, at most one per target every ``min_interval``."""

    to: str
    sender: str | None = None
    min_interval: float = DEFAULT_SEND_INTERVAL


def _no_options() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ModuleConfig:
    """One way of probing a target (``[modules.NAME]``)."""

    name: str
    tls: TLSMode = TLSMode.AUTO
    port: int = DEFAULT_PORT
    """The port for a target that names none."""
    ca_file: Path | None = None
    insecure: bool = False
    disable: tuple[str, ...] = ()
    """Check ids (and plugin names) not to run."""
    plugins: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=_no_options)
    login: Login | None = None
    send: Sending | None = None
    timeout: float = 10.0
    deadline: float = 30.0
    allowed_targets: tuple[TargetPattern, ...] = ()
    """Patterns a target must also match for this module; empty: the server's alone."""
    proxy: ProxySpec | None = None
    """The proxy every connection of a probe goes through (without its password: that is
    read from :attr:`proxy_password_file` at each probe); None: direct."""
    proxy_password_file: Path | None = None
    family: int | None = None
    """Connect over this IP version only (``ip_family``, 4 or 6); None: both."""
    source_address: str | None = None
    """The local address every connection of a probe is made from; None: the system's
    choice."""


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Limits and the allow-list that hold for every module (``[server]``)."""

    allowed_targets: tuple[TargetPattern, ...] = ()
    """Targets that may be probed at all; empty: none (every probe is refused)."""
    max_concurrent: int = 8
    queue_limit: int = 32
    """Probes that may wait for a free slot; one more is refused at once (HTTP 503)."""
    per_address: int = 1
    """Connections to one server address (``host:port``) at a time."""
    history: int = 100
    """Recent probes kept for the status page."""


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """The whole, validated configuration of a running ``serve``."""

    server: ServerSettings
    modules: Mapping[str, ModuleConfig]
    source: Path | None = None
    """The file it was read from; None when it came from the command line alone."""

    def module(self, name: str) -> ModuleConfig | None:
        """The module called ``name``, if there is one."""
        return self.modules.get(name)


def parse_listen(text: str) -> tuple[str, int]:
    """``--listen``: ``HOST:PORT`` or ``[V6]:PORT`` as host and port (0: any free port).

    :raises ConfigError: for anything else, in words.
    """
    from smtpdoctor.settings.config import split_target

    example = "give HOST:PORT, e.g. 127.0.0.1:9125"
    try:
        host, port = split_target(text, lowest_port=0)
    except ConfigError as exc:
        raise ConfigError(f"--listen {exc}; {example}") from None
    if port is None or "@" in host:
        raise ConfigError(f"--listen {text!r}: {example}")
    return host, port


def default_config(defaults: Defaults) -> ServeConfig:
    """The configuration without a file: one module, :data:`DEFAULT_MODULE`, from
    ``defaults``, and the ``--allow`` patterns as the allow-list."""
    module = _module(DEFAULT_MODULE, {}, defaults, _Where(None, f"modules.{DEFAULT_MODULE}"))
    return ServeConfig(
        server=ServerSettings(allowed_targets=defaults.allowed_targets),
        modules=MappingProxyType({DEFAULT_MODULE: module}),
    )


def load_config(
    path: Path, defaults: Defaults, environ: Mapping[str, str] | None = None
) -> ServeConfig:
    """Read and validate the TOML file ``path``.

    :param defaults: the command line's settings, for what a module leaves out.
    :param environ: where a module's ``password_env`` must be set; None: not checked.
    :raises ServeConfigError: the file cannot be read or is not valid (in words, with the
        file and the key).
    """
    document = _read(path)
    server_table = _table(document.get("server", {}), _Where(path, "server"))
    _known_keys(server_table, _SERVER_KEYS, _Where(path, "server"))
    for key in document:
        if key not in ("server", "modules"):
            raise _Where(path, key).error("unknown table; the file has [server] and [modules.NAME]")
    server = _server(server_table, defaults, _Where(path, "server"))
    modules_table = _table(document.get("modules", {}), _Where(path, "modules"))
    if not modules_table:
        raise _Where(path, "modules").error("no module: add a [modules.NAME] table")
    modules: dict[str, ModuleConfig] = {}
    for name, table in modules_table.items():
        where = _Where(path, f"modules.{name}")
        if not name or not all(c.isalnum() or c in "-_." for c in name):
            raise where.error("a module name is letters, digits, '-', '_' and '.'")
        modules[name] = _module(name, _table(table, where), defaults, where, environ)
    return ServeConfig(server=server, modules=MappingProxyType(modules), source=path)


def describe_config(config: ServeConfig) -> dict[str, Any]:
    """The configuration as plain data for people: every setting, and for a password only
    where it is read from (the file's path or the variable's name) — never a secret."""
    return {
        "source": str(config.source) if config.source else None,
        "server": {
            "allowed_targets": [str(p) for p in config.server.allowed_targets],
            "max_concurrent": config.server.max_concurrent,
            "queue_limit": config.server.queue_limit,
            "per_address": config.server.per_address,
            "history": config.server.history,
        },
        "modules": {name: _describe_module(m) for name, m in config.modules.items()},
    }


def _describe_module(module: ModuleConfig) -> dict[str, Any]:
    login = module.login
    send = module.send
    return {
        "tls": module.tls.value,
        "port": module.port,
        "ca_file": str(module.ca_file) if module.ca_file else None,
        "insecure": module.insecure,
        "disable": list(module.disable),
        "plugins": list(module.plugins),
        "options": dict(module.options),
        "user": login.user if login else None,
        "password_file": str(login.password_file) if login and login.password_file else None,
        "password_env": login.password_env if login else None,
        "send_to": send.to if send else None,
        "send_from": send.sender if send else None,
        "min_send_interval": send.min_interval if send else None,
        "timeout": module.timeout,
        "deadline": module.deadline,
        "allowed_targets": [str(p) for p in module.allowed_targets],
        "proxy": module.proxy.display if module.proxy else None,
        "proxy_password_file": str(module.proxy_password_file)
        if module.proxy_password_file
        else None,
        "ip_family": module.family,
        "source_address": module.source_address,
    }


# -- reading and checking ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Where:
    """A place in the file, for messages: ``serve.toml: modules.smtp.port: ...``."""

    path: Path | None
    key: str

    def at(self, key: str) -> _Where:
        return _Where(self.path, f"{self.key}.{key}")

    def error(self, message: str) -> ServeConfigError:
        place = f"{self.path}: {self.key}" if self.path else self.key
        return ServeConfigError(f"{place}: {message}")


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ServeConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ServeConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes: not a config file")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ServeConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ServeConfigError(f"{path}: not valid TOML: {exc}") from None


def _table(value: object, where: _Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.error("must be a table")
    return value


def _known_keys(table: Mapping[str, Any], known: frozenset[str], where: _Where) -> None:
    for key in table:
        if key in _SECRET_KEYS:
            raise where.at(key).error(
                "a secret is never written in the config file; "
                "use password_file (a file only the server can read) or password_env"
            )
        if key not in known:
            raise where.at(key).error(f"unknown key; known keys: {', '.join(sorted(known))}")


def _server(table: Mapping[str, Any], defaults: Defaults, where: _Where) -> ServerSettings:
    patterns = _patterns(table.get("allowed_targets", []), where.at("allowed_targets"))
    return ServerSettings(
        allowed_targets=tuple(dict.fromkeys(patterns + defaults.allowed_targets)),
        max_concurrent=_integer(table, "max_concurrent", 8, where, minimum=1),
        queue_limit=_integer(table, "queue_limit", 32, where, minimum=0),
        per_address=_integer(table, "per_address", 1, where, minimum=1),
        history=_integer(table, "history", 100, where, minimum=1),
    )


def _module(
    name: str,
    table: Mapping[str, Any],
    defaults: Defaults,
    where: _Where,
    environ: Mapping[str, str] | None = None,
) -> ModuleConfig:
    _known_keys(table, _MODULE_KEYS, where)
    tls_text = _string(table, "tls", TLSMode.AUTO.value, where)
    try:
        tls = TLSMode(tls_text)
    except ValueError:
        choices = ", ".join(mode.value for mode in TLSMode)
        raise where.at("tls").error(f"{tls_text!r} is not one of {choices}") from None
    insecure = _boolean(table, "insecure", defaults.insecure, where)
    ca_file = _path(table, "ca_file", where) or defaults.ca_file
    if ca_file is not None and not ca_file.is_file():
        raise where.at("ca_file").error(f"{ca_file} is not a file")
    options = _table(table.get("options", {}), where.at("options"))
    for key, value in options.items():
        if not isinstance(value, str | int | float | bool):
            raise where.at(f"options.{key}").error("must be a string, number or boolean")
    timeout = _seconds(table, "timeout", defaults.timeout, where)
    deadline = _seconds(table, "deadline", defaults.deadline, where)
    family, source_address = _path_settings(table, where)
    proxy, proxy_password_file = _proxy(table, family, where)
    return ModuleConfig(
        name=name,
        tls=tls,
        port=_integer(table, "port", DEFAULT_PORT, where, minimum=1, maximum=65535),
        ca_file=ca_file,
        insecure=insecure,
        disable=_strings(table, "disable", where),
        plugins=_strings(table, "plugins", where),
        options=MappingProxyType({k: _option_text(v) for k, v in options.items()}),
        login=_login(table, where, environ),
        send=_sending(table, where),
        timeout=min(timeout, deadline),
        deadline=deadline,
        allowed_targets=_patterns(table.get("allowed_targets", []), where.at("allowed_targets")),
        proxy=proxy,
        proxy_password_file=proxy_password_file,
        family=family,
        source_address=source_address,
    )


def _path_settings(table: Mapping[str, Any], where: _Where) -> tuple[int | None, str | None]:
    """``ip_family`` (4 or 6) and ``source_address``, checked as ``-4``/``-6`` and
    ``--source-address`` are."""
    from smtpdoctor.settings.config import check_source_address

    family = table.get("ip_family")
    if family is not None and (isinstance(family, bool) or family not in (4, 6)):
        raise where.at("ip_family").error("must be 4 (IPv4) or 6 (IPv6)")
    source_address = _optional_string(table, "source_address", where)
    try:
        check_source_address(source_address, family)
    except ConfigError as exc:
        raise where.at("source_address").error(str(exc)) from None
    return family, source_address


def _proxy(
    table: Mapping[str, Any], family: int | None, where: _Where
) -> tuple[ProxySpec | None, Path | None]:
    """``proxy`` (a URL without a password, as ``--proxy``) and ``proxy_password_file``,
    which a proxy URL with a user name needs, and only it."""
    text = _optional_string(table, "proxy", where)
    password_file = _path(table, "proxy_password_file", where)
    if text is None:
        if password_file is not None:
            raise where.at("proxy_password_file").error("only means something with proxy")
        return None, None
    try:
        proxy = parse_proxy(text)
        check_proxy_family(proxy, family)
    except ConfigError as exc:
        raise where.at("proxy").error(str(exc)) from None
    if not proxy.wants_password:
        if password_file is not None:
            raise where.at("proxy_password_file").error(
                "needs a user in the proxy URL (socks5://USER@HOST:PORT)"
            )
        return proxy, None
    if password_file is None:
        raise where.at("proxy").error(
            f"the proxy user {proxy.username} needs proxy_password_file (a file only the "
            "server can read)"
        )
    if not password_file.is_file():
        raise where.at("proxy_password_file").error(f"{password_file} is not a file")
    return proxy, password_file


def _login(
    table: Mapping[str, Any], where: _Where, environ: Mapping[str, str] | None
) -> Login | None:
    user = _optional_string(table, "user", where)
    password_file = _path(table, "password_file", where)
    password_env = _optional_string(table, "password_env", where)
    if user is None:
        if password_file is not None or password_env is not None:
            raise where.at("user").error("a password source needs the user it belongs to")
        return None
    if (password_file is None) == (password_env is None):
        raise where.at("user").error("give exactly one of password_file and password_env")
    if password_file is not None and not password_file.is_file():
        raise where.at("password_file").error(f"{password_file} is not a file")
    if password_env is not None and environ is not None and not environ.get(password_env):
        raise where.at("password_env").error(f"the environment variable {password_env} is not set")
    return Login(user, password_file, password_env)


def _sending(table: Mapping[str, Any], where: _Where) -> Sending | None:
    to = _optional_string(table, "send_to", where)
    sender = _optional_string(table, "send_from", where)
    interval = _seconds(table, "min_send_interval", DEFAULT_SEND_INTERVAL, where)
    if to is None:
        for key in ("send_from", "min_send_interval"):
            if key in table:
                raise where.at(key).error("only means something with send_to")
        return None
    if "@" not in to:
        raise where.at("send_to").error(f"{to!r} is not an email address")
    if sender is None and "@" not in (table.get("user") or ""):
        raise where.at("send_from").error("a test message needs a sender: give send_from")
    return Sending(to, sender, interval)


def _patterns(value: object, where: _Where) -> tuple[TargetPattern, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise where.error('must be a list of patterns, e.g. ["*.example.com", "10.0.0.5:25"]')
    try:
        return tuple(TargetPattern.parse(item) for item in value)
    except ConfigError as exc:
        raise where.error(str(exc)) from None


def _option_text(value: str | float | bool) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _string(table: Mapping[str, Any], key: str, default: str, where: _Where) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise where.at(key).error("must be a non-empty string")
    return value.strip()


def _optional_string(table: Mapping[str, Any], key: str, where: _Where) -> str | None:
    if key not in table:
        return None
    return _string(table, key, "", where)


def _strings(table: Mapping[str, Any], key: str, where: _Where) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise where.at(key).error("must be a list of names")
    return tuple(value)


def _path(table: Mapping[str, Any], key: str, where: _Where) -> Path | None:
    text = _optional_string(table, key, where)
    if text is None:
        return None
    path = Path(text).expanduser()
    if not path.is_absolute() and where.path is not None:
        path = where.path.parent / path  # relative to the config file, not the working dir
    return path


def _boolean(table: Mapping[str, Any], key: str, default: bool, where: _Where) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise where.at(key).error("must be true or false")
    return value


def _integer(
    table: Mapping[str, Any],
    key: str,
    default: int,
    where: _Where,
    *,
    minimum: int,
    maximum: int | None = None,
) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.at(key).error("must be a whole number")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise where.at(key).error(f"must be at least {minimum}{upper}")
    return value


def _seconds(table: Mapping[str, Any], key: str, default: float, where: _Where) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.at(key).error("must be a number of seconds")
    if not 0 < value < float("inf"):
        raise where.at(key).error("must be a positive number of seconds")
    return float(value)
