"""Runs probes through the core API, within the server's limits.

One :class:`Prober` per server.  For each ``/probe`` it checks the request (module, target,
allow-list), admits it or refuses it at once when the queue is full, waits for a free slot —
at most ``per_address`` connections to one ``host:port`` and ``max_concurrent`` probes in
all — then runs :meth:`smtpdoctor.api.Doctor.diagnose` in a bounded thread pool, with the
deadline the scrape allows.  The waiting happens on the event loop, so a waiting probe holds
no thread; the whole probe, waiting included, ends by its deadline.

The Doctors (plugins loaded, trust stores shared) are made once per configuration and reused
by every probe; :meth:`Prober.reconfigure` makes the new ones before it swaps them in, so a
configuration whose plugins cannot load leaves the running one untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from smtpdoctor.model.words import ConfigError, ExitCode
from smtpdoctor.serve.allowlist import allowed
from smtpdoctor.serve.config import DEFAULT_MODULE, ModuleConfig, ServeConfig
from smtpdoctor.serve.history import ProbeRecord, RecentProbes
from smtpdoctor.serve.metrics import ServeMetrics
from smtpdoctor.serve.modules import (
    build_request,
    parse_probe_target,
    plugin_selection,
    target_text,
)
from smtpdoctor.serve.sendgate import SendGate

if TYPE_CHECKING:
    from smtpdoctor.api import Doctor
    from smtpdoctor.core.plugins import PluginSelection
    from smtpdoctor.model.results import Report

LOG = logging.getLogger("smtpdoctor.serve")

#: Seconds taken off Prometheus' scrape timeout, so the answer arrives before it gives up.
DEFAULT_MARGIN = 0.5
#: A run needs at least this many seconds; with less left after waiting it is not started.
MIN_RUN = 0.1


class ProbeRefused(Exception):
    """A probe that is not run: a bad request (``forbidden`` False, HTTP 400) or a target
    the allow-list does not allow (``forbidden`` True, HTTP 403).  The message says why."""

    def __init__(self, message: str, *, forbidden: bool = False) -> None:
        super().__init__(message)
        self.forbidden = forbidden


class Overloaded(Exception):
    """The queue is full: the probe is refused at once (HTTP 503), not queued."""


def probe_deadline(module_deadline: float, scrape_timeout: float | None, margin: float) -> float:
    """The seconds a probe may take: the module's deadline, shortened to the scrape timeout
    less ``margin`` (or half the timeout, when it is shorter than twice the margin).

    :raises ConfigError: a scrape timeout that is not a positive number.
    """
    if scrape_timeout is None:
        return module_deadline
    if not 0 < scrape_timeout < math.inf:
        raise ConfigError("X-Prometheus-Scrape-Timeout-Seconds must be a positive number")
    allowed_by_scrape = max(scrape_timeout - margin, scrape_timeout / 2)
    return min(module_deadline, allowed_by_scrape)


@dataclass(slots=True)
class _AddressSlot:
    semaphore: asyncio.Semaphore
    users: int = 0


@dataclass(slots=True)
class _Runtime:
    """What one configuration needs to run probes: its Doctors, thread pool and slots."""

    config: ServeConfig
    doctors: Mapping[str, Doctor]
    selections: Mapping[str, PluginSelection]
    executor: ThreadPoolExecutor
    slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.config.server.max_concurrent)


class Prober:
    """Runs probes for one server; see the module's description.  Its coroutines run on one
    event loop; the runs themselves on its threads.

    :param base: the plugins every module loads (the command line's and the environment's).
    :param environ: where modules' ``password_env`` variables are read, at each probe.
    :param margin: seconds taken off a scrape timeout.
    """

    def __init__(
        self,
        config: ServeConfig,
        *,
        metrics: ServeMetrics,
        base: PluginSelection,
        environ: Mapping[str, str],
        margin: float = DEFAULT_MARGIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from smtpdoctor.net.truststore import TrustStores

        self.metrics = metrics
        self._base = base
        self._environ = environ
        self._margin = margin
        self._clock = clock
        self._trust_stores = TrustStores()
        self._sends = SendGate(clock)
        self._addresses: dict[str, _AddressSlot] = {}
        self._admitted = 0
        self._waiting_for_address = 0
        self._runtime = self._make_runtime(config)
        self.recent = RecentProbes(config.server.history)

    @property
    def config(self) -> ServeConfig:
        """The configuration in force."""
        return self._runtime.config

    @property
    def waiting_for_address(self) -> int:
        """Probes waiting because their server address has ``per_address`` connections."""
        return self._waiting_for_address

    def reconfigure(self, config: ServeConfig) -> None:
        """Use ``config`` for the probes that start from now on (running ones finish with the
        old one).

        :raises PluginLoadError: a module's plugin cannot be loaded; the old configuration
            stays in force.
        :raises RegistrationError: a module's checks do not fit together; likewise.
        """
        runtime = self._make_runtime(config)
        old, self._runtime = self._runtime, runtime
        self.recent.resize(config.server.history)
        old.executor.shutdown(wait=False)

    def close(self) -> None:
        """Let running probes finish and stop the threads."""
        self._runtime.executor.shutdown(wait=True, cancel_futures=True)

    async def probe(
        self, target: str, module_name: str | None, scrape_timeout: float | None = None
    ) -> ProbeRecord:
        """Probe ``target`` with the module ``module_name`` (:data:`DEFAULT_MODULE` if None).

        :param scrape_timeout: Prometheus' ``X-Prometheus-Scrape-Timeout-Seconds``, if sent.
        :raises ProbeRefused: a bad request or a target that is not allowed (counted
            ``rejected``).
        :raises Overloaded: the queue is full (counted ``overloaded``).
        """
        runtime = self._runtime
        name = module_name or DEFAULT_MODULE
        module = runtime.config.module(name)
        if module is None:
            known = ", ".join(sorted(runtime.config.modules))
            raise self._refused("", f"unknown module {name!r}; the modules are: {known}")
        try:
            host, port = parse_probe_target(target, module)
            deadline = probe_deadline(module.deadline, scrape_timeout, self._margin)
        except ConfigError as exc:
            raise self._refused(name, str(exc)) from None
        server = runtime.config.server
        key = target_text(host, port)
        if not allowed(host, port, server.allowed_targets, module.allowed_targets):
            message = (
                f"target {key} is not allowed for module {name!r}: "
                "add a matching pattern to allowed_targets"
            )
            raise self._refused(name, message, forbidden=True)
        if self._admitted >= server.max_concurrent + server.queue_limit:
            self.metrics.count(name, "overloaded")
            LOG.warning("probe target=%r module=%s result=overloaded", key, name)
            raise Overloaded(
                f"too many probes: {self._admitted} running or waiting (max_concurrent "
                f"{server.max_concurrent} + queue_limit {server.queue_limit}); try again later"
            )
        self._admitted += 1
        self.metrics.admitted()
        try:
            record = await self._run_admitted(runtime, module, host, port, deadline)
        finally:
            self._admitted -= 1
            self.metrics.finished()
        self.metrics.count(name, record.result)
        self.metrics.observe(name, record.duration)
        self.recent.add(record)
        LOG.info(
            "probe target=%r module=%s result=%s duration=%.3fs",
            key,
            name,
            record.result,
            record.duration,
        )
        return record

    # -- one admitted probe ----------------------------------------------------------------

    async def _run_admitted(
        self, runtime: _Runtime, module: ModuleConfig, host: str, port: int, deadline: float
    ) -> ProbeRecord:
        key = target_text(host, port)
        started_at = datetime.now(UTC)
        started = self._clock()

        def record(report: Report | None, notes: tuple[str, ...]) -> ProbeRecord:
            success = report is not None and report.exit_code in (ExitCode.OK, ExitCode.WARNING)
            return ProbeRecord(
                id=self.recent.next_id(),
                target=key,
                module=module.name,
                result="success" if success else "failure",
                started=started_at,
                duration=self._clock() - started,
                report=report,
                notes=notes,
            )

        per_address = runtime.config.server.per_address
        async with contextlib.AsyncExitStack() as slots:
            try:
                async with asyncio.timeout(deadline):
                    await slots.enter_async_context(self._address_slot(key, per_address))
                    await slots.enter_async_context(runtime.slots)
            except TimeoutError:
                return record(None, (_no_slot(key, deadline, per_address),))
            left = deadline - (self._clock() - started)
            if left < MIN_RUN:
                return record(None, (_no_slot(key, deadline, per_address),))
            notes: tuple[str, ...] = ()
            send = False
            if module.send is not None:
                since = self._sends.claim(module.name, key, module.send.min_interval)
                send = since is None
                if since is not None:
                    notes = (_send_skipped(key, since, module.send.min_interval),)
            loop = asyncio.get_running_loop()
            report, failed = await loop.run_in_executor(
                runtime.executor, self._run, runtime, module, host, port, left, send
            )
            return record(report, notes + failed)

    @contextlib.asynccontextmanager
    async def _address_slot(self, key: str, limit: int) -> AsyncIterator[None]:
        """Hold one of the ``limit`` connections to ``key``; the table forgets an address
        nobody uses."""
        slot = self._addresses.get(key)
        if slot is None:
            slot = self._addresses[key] = _AddressSlot(asyncio.Semaphore(limit))
        slot.users += 1
        try:
            if slot.semaphore.locked():
                self._waiting_for_address += 1
                try:
                    await slot.semaphore.acquire()
                finally:
                    self._waiting_for_address -= 1
            else:
                await slot.semaphore.acquire()
            try:
                yield
            finally:
                slot.semaphore.release()
        finally:
            slot.users -= 1
            if slot.users == 0:
                del self._addresses[key]

    def _run(
        self,
        runtime: _Runtime,
        module: ModuleConfig,
        host: str,
        port: int,
        deadline: float,
        send: bool,
    ) -> tuple[Report | None, tuple[str, ...]]:
        """One run, on a pool thread: the report, or why there is none (in words without
        secrets)."""
        from smtpdoctor.api import failure_of

        secrets: tuple[str, ...] = ()
        try:
            request = build_request(
                module,
                host,
                port,
                deadline=deadline,
                send=send,
                selection=runtime.selections[module.name],
                environ=self._environ,
            )
            secrets = request.secrets.known()
            return runtime.doctors[module.name].diagnose(request), ()
        except Exception as exc:  # noqa: BLE001 - said in words on the page, never raised
            return None, (f"not run: {failure_of(exc, secrets).message}",)

    # -- helpers -----------------------------------------------------------------------------

    def _refused(self, module: str, message: str, *, forbidden: bool = False) -> ProbeRefused:
        self.metrics.count(module, "rejected")
        LOG.warning("probe refused module=%s: %s", module or "-", message)
        return ProbeRefused(message, forbidden=forbidden)

    def _make_runtime(self, config: ServeConfig) -> _Runtime:
        from smtpdoctor.api import Doctor

        selections = {
            name: plugin_selection(module, self._base) for name, module in config.modules.items()
        }
        made: dict[PluginSelection, Doctor] = {}
        for selection in selections.values():
            if selection not in made:
                made[selection] = Doctor(selection, trust_stores=self._trust_stores)
        return _Runtime(
            config=config,
            doctors={name: made[selection] for name, selection in selections.items()},
            selections=selections,
            executor=ThreadPoolExecutor(
                max_workers=config.server.max_concurrent, thread_name_prefix="smtpdoctor-probe"
            ),
        )


def _no_slot(key: str, deadline: float, per_address: int) -> str:
    return (
        f"not run: no free slot within the deadline ({deadline:.1f} s) — other probes held "
        f"the {per_address} connection(s) allowed to {key}, or every probe slot; "
        "no connection was made"
    )


def _send_skipped(key: str, since: float, interval: float) -> str:
    return (
        f"test message not sent: one went to {key} {since:.0f} s ago, and this module sends "
        f"at most one every {interval:g} s (min_send_interval)"
    )
