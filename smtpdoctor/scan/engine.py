"""The engine of a scan: bounded concurrency, politeness per server address, retries of
throttled servers, results streamed in finishing order.  See :mod:`smtpdoctor.scan`."""

from __future__ import annotations

import ipaddress
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from smtpdoctor.api.planning import Plan, plan
from smtpdoctor.api.request import Request
from smtpdoctor.model.results import Report
from smtpdoctor.model.words import ConfigError
from smtpdoctor.scan.records import ScanResult, is_throttled
from smtpdoctor.scan.targets import ScanInputError, ScanTarget

if TYPE_CHECKING:
    from smtpdoctor.api.doctor import Doctor
    from smtpdoctor.settings.config import RunConfig


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How a scan runs.  ``template`` is the request every target shares (TLS mode, timeouts,
    CA, HELO name, DNS servers, plugins…); its target is replaced by each target's, and its
    port is the one used for an address whose server has no known port."""

    template: Request = field(default_factory=lambda: Request("template.invalid", port=587))
    concurrency: int = 10
    per_address: int = 1
    retries: int = 2
    retry_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.template.port is None:
            raise ScanInputError("a scan needs a port for the targets that give none (--port)")
        if self.concurrency < 1:
            raise ScanInputError("--concurrency must be at least 1")
        if self.per_address < 1:
            raise ScanInputError("--per-address must be at least 1")
        if self.retries < 0:
            raise ScanInputError("--retries cannot be negative")
        if self.retry_delay < 0:
            raise ScanInputError("--retry-delay cannot be negative")


RunTarget = Callable[[Plan], Report]
Place = Callable[[ScanTarget, Request], Plan]
Resolve = Callable[["RunConfig"], str | None]
ResultCallback = Callable[[ScanResult], None]


@dataclass(slots=True)
class _Job:
    target: ScanTarget
    plan: Plan | None = None
    address: str | None = None
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class _Placed:
    """What the preparation of a job found: the run to do and the politeness key, or why the
    target cannot be checked."""

    plan: Plan | None
    address: str | None
    error: str | None = None


def place_target(target: ScanTarget, template: Request) -> Plan:
    """The plan for ``target``: a server as it was written; an address at the server its
    mail domain leads to (provider table, DNS), as ``smtpdoctor check`` finds it, with the
    ``target`` row in front.  When that gives no port, ``template.port`` is used: a scan
    never probes the port matrix, which would open several connections to one server."""
    return plan(replace(template, target=target.key))


def resolve_address(config: RunConfig) -> str | None:
    """The address the check of ``config`` will most likely connect to — the first one of
    its IP version (``-4``/``-6``, or the version of ``--source-address``), asked of the
    resolver the check asks (``--dns-server`` or the system's) — or None when there is none
    (the check then reports why itself)."""
    import socket

    from smtpdoctor.net.session import resolver_for
    from smtpdoctor.net.transport import TransportError, resolve

    lookup = resolver_for(config) or resolve
    try:
        pairs = lookup(config.host, config.port, deadline_at=time.monotonic() + config.timeout)
    except TransportError:
        return None
    version = (
        ipaddress.ip_address(config.source_address).version
        if config.source_address is not None
        else config.family
    )
    if version is not None:
        wanted = socket.AF_INET6 if version == 6 else socket.AF_INET
        pairs = [pair for pair in pairs if pair[0] == wanted]
    return pairs[0][1][0] if pairs else None


def pipeline_runner(doctor: Doctor) -> RunTarget:
    """Run the full check pipeline with one :class:`~smtpdoctor.api.Doctor` shared by the
    whole scan: its plugins are loaded once (hooks are only read while running, so threads
    can share them) and its trust store is loaded once for every target."""
    return doctor.run


class Scanner:
    """Checks a list of targets with bounded concurrency, one connection per server address
    at a time, retrying throttled servers later.  See :mod:`smtpdoctor.scan`."""

    def __init__(
        self,
        options: ScanOptions,
        run_target: RunTarget,
        *,
        place: Place = place_target,
        resolve: Resolve = resolve_address,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._options = options
        self._run_target = run_target
        self._place = place
        self._resolve = resolve
        self._clock = clock

    def run(self, targets: Iterable[ScanTarget], on_result: ResultCallback) -> None:
        """Check every target; ``on_result`` is called on this thread as each one finishes."""
        _Scan(self, list(targets), on_result).run()

    def _prepare(self, job: _Job) -> _Placed:
        """Find the server of a target and its address (in a worker thread)."""
        try:
            placed = self._place(job.target, self._options.template)
        except ConfigError as exc:
            return _Placed(None, None, error=str(exc))
        config = placed.config
        try:
            return _Placed(placed, str(ipaddress.ip_address(config.host)))
        except ValueError:
            pass
        try:
            address = self._resolve(config)
        except Exception:  # noqa: BLE001 - the check itself will report the lookup failure
            address = None
        return _Placed(placed, address if address is not None else f"unresolved:{config.host}")

    def _check(self, job: _Job) -> ScanResult:
        """One attempt at one target (in a worker thread)."""
        assert job.plan is not None
        report = self._run_target(job.plan)
        return ScanResult(job.target, job.address, job.attempts, report)


def _internal(exc: Exception) -> str:
    return f"internal error ({type(exc).__name__}: {exc}); please report it"


class _Workers:
    """Daemon threads running jobs; results come back on a queue to the caller's thread.

    Daemon threads, unlike ``ThreadPoolExecutor``'s, do not hold the process when the scan is
    interrupted: checks under way are simply dropped, as ``smtpdoctor check`` drops its
    connection on Ctrl-C.
    """

    def __init__(self, count: int) -> None:
        self._tasks: queue.SimpleQueue[tuple[str, _Job, Callable[[_Job], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._done: queue.SimpleQueue[tuple[str, _Job, Any]] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"smtpdoctor-scan-{n}", daemon=True)
            for n in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, kind: str, job: _Job, work: Callable[[_Job], Any]) -> None:
        self._tasks.put((kind, job, work))

    def next_done(self, timeout: float | None) -> tuple[str, _Job, Any] | None:
        """The next finished job, or None when ``timeout`` passed first."""
        try:
            return self._done.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self) -> None:
        for _ in self._threads:
            self._tasks.put(None)

    def _work(self) -> None:
        while (task := self._tasks.get()) is not None:
            kind, job, work = task
            try:
                outcome = work(job)
            except Exception as exc:  # noqa: BLE001 - one broken target must not stop a fleet
                outcome = exc
            self._done.put((kind, job, outcome))


class _Scan:
    """The state of one :meth:`Scanner.run`; only the caller's thread touches it."""

    def __init__(self, scanner: Scanner, targets: list[ScanTarget], on_result: ResultCallback):
        self.scanner = scanner
        self.options = scanner._options
        self.clock = scanner._clock
        self.on_result = on_result
        self.unresolved: deque[_Job] = deque(_Job(target) for target in targets)
        self.queues: dict[str, deque[_Job]] = {}
        self.ready: dict[str, None] = {}  # addresses with queued jobs and a free slot, in order
        self.busy: dict[str, int] = {}
        self.cooling: dict[str, float] = {}  # address -> when it may be contacted again
        self.in_flight = 0

    def run(self) -> None:
        if not self.unresolved:
            return
        workers = _Workers(min(self.options.concurrency, len(self.unresolved)))
        try:
            while self.unresolved or self.queues or self.in_flight:
                self._wake_cooled()
                self._launch(workers)
                done = workers.next_done(self._until_next_wake())
                if done is not None:
                    self.in_flight -= 1
                    self._finished(*done)
        finally:
            workers.stop()

    # -- scheduling ------------------------------------------------------------------------

    def _launch(self, workers: _Workers) -> None:
        limit = self.options.concurrency
        while self.in_flight < limit and (self.ready or self.unresolved):
            if self.ready:
                address = next(iter(self.ready))
                del self.ready[address]
                if not self._can_start(address):
                    continue
                job = self.queues[address].popleft()
                job.attempts += 1
                self.busy[address] = self.busy.get(address, 0) + 1
                workers.submit("check", job, self.scanner._check)
                if self._can_start(address):
                    self.ready[address] = None
            else:
                workers.submit("prepare", self.unresolved.popleft(), self.scanner._prepare)
            self.in_flight += 1

    def _can_start(self, address: str) -> bool:
        return (
            bool(self.queues.get(address))
            and self.busy.get(address, 0) < self.options.per_address
            and address not in self.cooling
            and address not in self.ready
        )

    def _enqueue(self, address: str, job: _Job, *, first: bool = False) -> None:
        waiting = self.queues.setdefault(address, deque())
        if first:
            waiting.appendleft(job)
        else:
            waiting.append(job)
        if self._can_start(address):
            self.ready[address] = None

    def _wake_cooled(self) -> None:
        now = self.clock()
        for address, until in list(self.cooling.items()):
            if until <= now:
                del self.cooling[address]
                if self._can_start(address):
                    self.ready[address] = None

    def _until_next_wake(self) -> float | None:
        if not self.cooling:
            return None
        wait = min(self.cooling.values()) - self.clock()
        return min(max(0.0, wait), threading.TIMEOUT_MAX)  # a huge --retries must not raise

    # -- completions -----------------------------------------------------------------------

    def _finished(self, kind: str, job: _Job, outcome: Any) -> None:
        if isinstance(outcome, Exception):  # a crash in smtpdoctor or a plugin
            error = _internal(outcome)
            if kind == "prepare":
                outcome = _Placed(None, None, error=error)
            else:
                outcome = ScanResult(job.target, job.address, job.attempts, None, error=error)
        if kind == "prepare":
            placed: _Placed = outcome
            if placed.plan is None or placed.address is None:
                self.on_result(ScanResult(job.target, None, 0, None, error=placed.error))
                return
            job.plan, job.address = placed.plan, placed.address
            self._enqueue(placed.address, job)
            return
        address = job.address
        assert address is not None
        self.busy[address] -= 1
        result: ScanResult = outcome
        report = result.report
        if report is not None and is_throttled(report):
            if job.attempts <= self.options.retries:
                self._back_off(address, job.attempts)
                self._enqueue(address, job, first=True)
                return
            result = replace(result, throttled=True)
        if not self.queues.get(address):
            self.queues.pop(address, None)
        elif self._can_start(address):
            self.ready[address] = None
        self.on_result(result)

    def _back_off(self, address: str, attempts: int) -> None:
        """Leave a throttling server alone for a while: ``retry_delay`` after a target's first
        attempt, twice as long after each further one.  The doubling is the target's, not the
        address's: many targets on one throttling server must not double it without end."""
        delay = self.options.retry_delay * 2.0 ** min(attempts - 1, 64)
        until = self.clock() + delay
        self.cooling[address] = max(until, self.cooling.get(address, until))
