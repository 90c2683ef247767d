"""A real ``serve`` on loopback for tests: the aiohttp app on a free port, in a thread of its
own, spoken to over real HTTP; and the config files and parsed expositions tests need."""

from __future__ import annotations

import asyncio
import textwrap
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.serve.app import make_app
from smtpdoctor.serve.config import Defaults
from smtpdoctor.serve.service import ConfigSource, ServeService

#: Every wait in these tests is bounded by this many seconds.
LIMIT = 30.0


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers and body as text."""

    status: int
    headers: Mapping[str, str]
    text: str


class RunningServe:
    """``serve``'s app on 127.0.0.1, a free port, served by an event loop in a thread."""

    def __init__(self, service: ServeService) -> None:
        self.service = service
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(make_app(service), access_log=None)
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def start(self) -> None:
        self._thread.start()
        self._call(self._start())

    async def _start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        self._call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(LIMIT)
        self._loop.close()
        self.service.close()

    def in_loop(self, function: Callable[[], object]) -> None:
        """Run ``function`` on the server's event loop (as a signal handler would) and wait."""

        async def call() -> None:
            function()

        self._call(call())

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(LIMIT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers)

    def post(self, path: str) -> Reply:
        return self.request("POST", path)

    def request(self, method: str, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        url = self.url + path  # always http://127.0.0.1:PORT/...
        request = urllib.request.Request(url, method=method, headers=headers or {})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=LIMIT) as response:  # noqa: S310
                body = response.read().decode("utf-8")
                return Reply(response.status, dict(response.headers), body)
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read().decode("utf-8"))


def start_serve(
    config: Path | None = None,
    *,
    defaults: Defaults | None = None,
    environ: Mapping[str, str] | None = None,
) -> RunningServe:
    """A started :class:`RunningServe` with the config file ``config`` (or the defaults)."""
    service = ServeService(
        ConfigSource(config, defaults or Defaults()),
        base=PluginSelection(autoload=False),
        environ=environ or {},
    )
    running = RunningServe(service)
    running.start()
    return running


def write_config(tmp_path: Path, text: str, name: str = "serve.toml") -> Path:
    """Write a TOML config (dedented) into ``tmp_path``."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


Series = dict[str, dict[frozenset[tuple[str, str]], float]]


def series(text: str) -> Series:
    """An exposition parsed by prometheus_client's own parser: sample name → labels → value."""
    parsed: Series = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            parsed.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return parsed


def value(parsed: Series, name: str, **labels: str) -> float | None:
    """The value of ``name`` with exactly ``labels``, None when absent."""
    return parsed.get(name, {}).get(frozenset(labels.items()))


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait (at most :data:`LIMIT` seconds) until ``condition()`` holds."""
    import time

    give_up = time.monotonic() + LIMIT
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


class InBackground:
    """An HTTP request in a thread of its own, for probes that must overlap."""

    def __init__(self, serve: RunningServe, path: str, headers: Mapping[str, str] | None = None):
        self.reply: Reply | None = None
        self._thread = threading.Thread(target=self._run, args=(serve, path, headers))
        self._thread.start()

    def _run(self, serve: RunningServe, path: str, headers: Mapping[str, str] | None) -> None:
        self.reply = serve.get(path, headers)

    def result(self) -> Reply:
        self._thread.join(LIMIT)
        assert self.reply is not None, "the request did not finish"
        return self.reply
