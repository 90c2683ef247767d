"""``smtpdoctor serve``: the Prometheus probe endpoint and status page (docs/serve.md).

A thin adapter: the options become the configuration's defaults, :mod:`smtpdoctor.serve`
does the rest.  aiohttp (the ``serve`` extra) and prometheus_client are imported only here,
inside the command, never by ``smtpdoctor --help`` or ``check``.
"""

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smtpdoctor.cli.common import fail_usage, plugin_selection
from smtpdoctor.cli.help import CONNECTION
from smtpdoctor.cli.options import (
    CAFileOption,
    DisableOption,
    InsecureOption,
    PluginOption,
    TimeoutOption,
)

if TYPE_CHECKING:
    from smtpdoctor.serve.service import ConfigSource

#: The help panel of the server's own options.
SERVE = "Serve"
#: Where ``serve`` listens unless told otherwise: loopback only.
DEFAULT_LISTEN = "127.0.0.1:9125"

EPILOG = (
    "Examples:\n\n"
    "  smtpdoctor serve --allow 'smtp.example.com'   (one module, 'default', from the options)"
    "\n\n"
    "  curl 'http://127.0.0.1:9125/probe?target=smtp.example.com:587&module=default'\n\n"
    "  smtpdoctor serve --config /etc/smtpdoctor/serve.toml\n\n"
    "  smtpdoctor serve --config serve.toml --check-config   (validate, print, exit)\n\n"
    "  kill -HUP $(pidof smtpdoctor)   (or POST /-/reload: read the config file again)\n\n"
    "Open http://127.0.0.1:9125/ for the recent probes; /metrics has the server's own "
    "metrics. Targets must match an allowed pattern (--allow or allowed_targets). "
    "docs/serve.md has the config file's keys and the Prometheus scrape config."
)


def serve(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="The TOML file with [server] limits and [modules.NAME] (docs/serve.md). "
            "Without it, one module called 'default' is made from the options below.",
            dir_okay=False,
            rich_help_panel=SERVE,
        ),
    ] = None,
    listen: Annotated[
        str,
        typer.Option(
            "--listen",
            metavar="HOST:PORT",
            help="Where to listen ([::1]:PORT for IPv6; port 0: any free port). "
            "Only this machine can connect unless you give another address.",
            rich_help_panel=SERVE,
        ),
    ] = DEFAULT_LISTEN,
    allow: Annotated[
        list[str] | None,
        typer.Option(
            "--allow",
            metavar="PATTERN",
            help="Allow probing targets that match this pattern: smtp.example.com, "
            "*.example.com, *.example.com:587, [2001:db8::*] (repeatable; added to the "
            "config's allowed_targets). Nothing is allowed by default.",
            rich_help_panel=SERVE,
        ),
    ] = None,
    check_config: Annotated[
        bool,
        typer.Option(
            "--check-config",
            help="Validate the configuration, print it (without secrets: only password file "
            "paths and variable names) and exit.",
            rich_help_panel=SERVE,
        ),
    ] = False,
    ca_file: CAFileOption = None,
    insecure: InsecureOption = False,
    timeout: TimeoutOption = 10.0,
    deadline: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Seconds one probe may take, for modules that do not say; a shorter "
            "Prometheus scrape timeout (less 0.5 s) wins.",
            min=0.1,
            rich_help_panel=CONNECTION,
        ),
    ] = 30.0,
    plugin: PluginOption = None,
    disable: DisableOption = None,
) -> None:
    """Serve SMTP probes to Prometheus, as blackbox_exporter does, with a status page:
    GET /probe?target=HOST[:PORT]&module=NAME runs one check and answers in the Prometheus
    text format; / shows the recent probes."""
    from smtpdoctor.model.words import ConfigError
    from smtpdoctor.serve.allowlist import TargetPattern
    from smtpdoctor.serve.config import Defaults, describe_config, parse_listen
    from smtpdoctor.serve.service import ConfigSource

    try:
        host, port = parse_listen(listen)
        defaults = Defaults(
            ca_file=ca_file,
            insecure=insecure,
            timeout=timeout,
            deadline=deadline,
            allowed_targets=tuple(TargetPattern.parse(text) for text in allow or ()),
        )
        source = ConfigSource(config, defaults)
        loaded = source.load(os.environ)
    except ConfigError as exc:
        fail_usage(str(exc))
    if check_config:
        typer.echo(json.dumps(describe_config(loaded), indent=2))
        return
    _run(source, host, port, plugin, disable)


def _run(
    source: "ConfigSource",
    host: str,
    port: int,
    plugin: list[str] | None,
    disable: list[str] | None,
) -> None:
    import asyncio

    from smtpdoctor.api import failure_of
    from smtpdoctor.serve.service import ServeService

    try:
        from smtpdoctor.serve.app import serve_forever
    except ImportError as exc:
        fail_usage(f"serve needs aiohttp: pip install 'smtpdoctor[serve]' ({exc})")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    log = logging.getLogger("smtpdoctor.serve")
    try:
        service = ServeService(source, base=plugin_selection(plugin, disable))
    except Exception as exc:  # noqa: BLE001 - a bad config or plugin: in words, exit 3
        fail_usage(failure_of(exc).message)
    try:
        asyncio.run(
            serve_forever(
                service, host, port, listening=lambda url: log.info("listening on %s", url)
            )
        )
    except OSError as exc:
        fail_usage(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
