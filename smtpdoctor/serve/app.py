"""The HTTP front door of ``serve``: aiohttp routes over a :class:`ServeService`.

=====================  ==============================================================
``GET /probe``         ``?target=HOST[:PORT]&module=NAME``: one probe, Prometheus text;
                       ``&debug=true``: the human report and redacted transcript
``GET /metrics``       the server's own metrics
``GET /``              the status page: the recent probes
``GET /probes/ID``     one recent probe: its report and redacted transcript
``GET /config``        the configuration in force, without secrets (JSON)
``POST /-/reload``     read the configuration file again (as SIGHUP does)
``GET /-/healthy``     ``OK`` while the server runs
=====================  ==============================================================

Each handler parses, asks the service, and renders; the rules live in
:mod:`smtpdoctor.serve.prober`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web

from smtpdoctor.serve.config import describe_config
from smtpdoctor.serve.exposition import probe_debug_text, probe_exposition
from smtpdoctor.serve.metrics import EXPOSITION_TYPE
from smtpdoctor.serve.pages import SECURITY_HEADERS, probe_page, status_page
from smtpdoctor.serve.prober import Overloaded, ProbeRefused
from smtpdoctor.serve.service import ServeService

LOG = logging.getLogger("smtpdoctor.serve")

SERVICE = web.AppKey("service", ServeService)
#: The largest request body read (the endpoints take none): 64 KiB.
CLIENT_MAX_SIZE = 64 * 1024
#: Seconds an idle keep-alive connection is kept open.
KEEPALIVE_TIMEOUT = 15.0
#: Prometheus' header with the scrape timeout, in seconds.
SCRAPE_TIMEOUT_HEADER = "X-Prometheus-Scrape-Timeout-Seconds"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_app(service: ServeService) -> web.Application:
    """The aiohttp application serving ``service``."""
    app = web.Application(client_max_size=CLIENT_MAX_SIZE, middlewares=[_security_headers])
    app[SERVICE] = service
    app.router.add_get("/", _status)
    app.router.add_get("/probe", _probe)
    app.router.add_get(r"/probes/{id:\d{1,18}}", _one_probe)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/config", _config)
    app.router.add_post("/-/reload", _reload)
    app.router.add_get("/-/healthy", _healthy)
    return app


async def serve_forever(
    service: ServeService, host: str, port: int, *, listening: Callable[[str], None]
) -> None:
    """Serve on ``host:port`` until SIGINT or SIGTERM; SIGHUP reloads the configuration.

    :param listening: called with the URL once the socket listens (port 0 gives the one
        the system chose).
    """
    runner = web.AppRunner(make_app(service), access_log=None, keepalive_timeout=KEEPALIVE_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        listening(f"http://{shown}:{bound_port}/")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, service.reload)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        await stop.wait()
        LOG.info("stopping")
    finally:
        await runner.cleanup()
        service.close()


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.update(SECURITY_HEADERS)
    return response


async def _probe(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    query = request.query
    debug = query.get("debug", "").lower() in ("true", "1", "yes")
    try:
        record = await service.prober.probe(
            query.get("target", ""), query.get("module"), _scrape_timeout(request)
        )
    except ProbeRefused as exc:
        status = 403 if exc.forbidden else 400
        return web.Response(status=status, text=f"{exc}\n")
    except Overloaded as exc:
        return web.Response(status=503, text=f"{exc}\n", headers={"Retry-After": "1"})
    if debug:
        return web.Response(text=probe_debug_text(record))
    body = probe_exposition(record).encode("utf-8")
    return web.Response(body=body, headers={"Content-Type": EXPOSITION_TYPE})


def _scrape_timeout(request: web.Request) -> float | None:
    """The scrape timeout Prometheus sent; NaN (refused by the prober) when unreadable."""
    text = request.headers.get(SCRAPE_TIMEOUT_HEADER)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return float("nan")


async def _metrics(request: web.Request) -> web.Response:
    body = request.app[SERVICE].metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": EXPOSITION_TYPE})


async def _status(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    page = status_page(service.prober.recent, service.config, service.last_reload.error)
    return web.Response(text=page, content_type="text/html")


async def _one_probe(request: web.Request) -> web.Response:
    record = request.app[SERVICE].prober.recent.get(int(request.match_info["id"]))
    if record is None:
        return web.Response(status=404, text="no such probe (only the recent ones are kept)\n")
    return web.Response(text=probe_page(record), content_type="text/html")


async def _config(request: web.Request) -> web.Response:
    document = describe_config(request.app[SERVICE].config)
    return web.Response(text=json.dumps(document, indent=2) + "\n", content_type="application/json")


async def _reload(request: web.Request) -> web.Response:
    status = request.app[SERVICE].reload()
    if not status.ok:
        return web.Response(status=500, text=f"config not reloaded: {status.error}\n")
    return web.Response(text="config reloaded\n")


async def _healthy(request: web.Request) -> web.Response:
    return web.Response(text="OK\n")
