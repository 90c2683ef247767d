"""The fleet engine behind ``smtpdoctor scan``: many servers, checked at once, politely.

Each target — a server, or an email address whose submission server is found as ``smtpdoctor
check`` finds it — gets the same pipeline as ``smtpdoctor check`` (one connection, the builtin
checks and any plugins; one plugin manager serves the whole scan).  The engine adds what a
fleet needs:

* **bounded concurrency** — at most ``concurrency`` targets in flight;
* **politeness** — at most ``per_address`` connections to one server address at a time (one by
  default), and when a server answers ``421`` or another ``4xx`` at the greeting or EHLO (it
  is throttling us), that address is left alone for ``retry_delay`` seconds (doubling each
  time) before the target is tried again, up to ``retries`` times;
* **streaming** — every result is handed to the caller as soon as it is known, in the order the
  targets finish, never the order they were given;
* **sharding** — :class:`Shard` splits a target list into N disjoint parts by a stable hash of
  the host name, so N machines (or a Kubernetes Indexed Job) cover every target exactly once.

The engine runs each check in a worker thread (the checks use blocking sockets under
deadlines) and does all its bookkeeping on the caller's thread, so callbacks never race.
"""

from __future__ import annotations

import hashlib
import ipaddress
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pluggy

from smtpdoctor.config import DEFAULT_PORT, ConfigError, RunConfig, parse_target
from smtpdoctor.results import ExitCode, Report

if TYPE_CHECKING:
    from smtpdoctor.truststore import TrustStore

RECORD_SCHEMA = "https://smtpdoctor.dev/schema/scan-record"
RECORD_SCHEMA_VERSION = 1
#: The environment variable Kubernetes sets in each pod of an Indexed Job (0 … N-1).
SHARD_INDEX_VARIABLE = "JOB_COMPLETION_INDEX"
#: Reply codes that mean "not now, you are too many / too fast" when they come at the start.
THROTTLE_CHECKS = frozenset({"greeting", "ehlo"})


class ScanInputError(ValueError):
    """The target list or a scan option cannot be used; the message says why."""


# -- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanTarget:
    """One line of the list: a server (``host``, ``port``), or an email address (``mailbox``,
    whose submission server is looked up as ``smtpdoctor check`` does).  ``key`` names the
    target in the output and is what ``--resume`` matches on."""

    host: str
    """The server, or the address's mail domain."""
    port: int | None
    """Always set for a server; for an address, only when the line gave one."""
    mailbox: str | None = None

    @property
    def key(self) -> str:
        """``host:port`` (IPv6 in brackets) for a server; the address (``:port`` when given)
        for an address."""
        if self.mailbox is not None:
            return self.mailbox if self.port is None else f"{self.mailbox}:{self.port}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def is_address(self) -> bool:
        """Whether the line was an email address rather than a server."""
        return self.mailbox is not None


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line of the target list that is not a target, and why."""

    number: int
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class TargetList:
    """The targets of a list, in order and without repeats, and the lines that were refused."""

    targets: tuple[ScanTarget, ...]
    bad_lines: tuple[BadLine, ...]


def parse_targets(lines: Iterable[str], *, default_port: int = DEFAULT_PORT) -> TargetList:
    """Read ``host``, ``host:port``, ``[v6]:port`` or ``user@domain`` lines; blank lines and
    ``#`` comments are ignored, a target given twice is kept once, and unusable lines are
    listed, not raised.  A bare name is always a server here (a scan does not guess whether
    ``example.com`` means a mail domain: write an address at it for that)."""
    seen: dict[str, ScanTarget] = {}
    bad: list[BadLine] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            target = _parse_line(text, default_port)
        except ConfigError as exc:
            bad.append(BadLine(number, text, str(exc)))
            continue
        seen.setdefault(target.key, target)
    return TargetList(tuple(seen.values()), tuple(bad))


def _parse_line(text: str, default_port: int) -> ScanTarget:
    if "@" in text:
        from smtpdoctor.targets import parse_typed

        typed = parse_typed(text)
        assert typed.address is not None  # an "@" makes it an address or a ConfigError
        return ScanTarget(typed.name, typed.port, typed.address.lower())
    host, port = parse_target(text, default_port=default_port)
    RunConfig(host=host, port=port)  # the same validation a run applies
    return ScanTarget(host.lower().rstrip(".") or host, port)


@dataclass(frozen=True, slots=True)
class Shard:
    """Part ``index`` (0-based) of ``count`` disjoint parts of a target list."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ScanInputError(
                f"shard {self.index}/{self.count}: need 0 <= K < N (K counts from 0)"
            )

    @classmethod
    def parse(cls, text: str, environ: Mapping[str, str]) -> Shard:
        """``K/N``, or just ``N`` to take K from ``$JOB_COMPLETION_INDEX`` (as in a
        Kubernetes Indexed Job, where every pod runs the same command)."""
        index_text, slash, count_text = text.strip().rpartition("/")
        if not slash:
            index_text = environ.get(SHARD_INDEX_VARIABLE, "")
            if not index_text:
                raise ScanInputError(
                    f"--shard {text}: give K/N, or set {SHARD_INDEX_VARIABLE} to K"
                )
        if not (index_text.strip().isdigit() and count_text.strip().isdigit()):
            raise ScanInputError(f"--shard {text}: expected K/N with whole numbers, like 0/4")
        return cls(int(index_text), int(count_text))

    def holds(self, target: ScanTarget) -> bool:
        """Whether ``target`` belongs to this shard.

        By the host name, not the line: every port of one server lands in the same shard (so
        the per-address limit holds across the fleet), and the split does not change when
        the list is reordered or grows.
        """
        if self.count == 1:
            return True
        digest = hashlib.sha256(target.host.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index


def completed_targets(records: Iterable[str]) -> set[str]:
    """The targets already recorded in JSON Lines output (for ``--resume``).  Lines that are
    not complete records — such as the last one of a scan that was killed mid-write — are
    ignored, so their targets are checked again."""
    import json

    done: set[str] = set()
    for line in records:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("schema") == RECORD_SCHEMA:
            target = record.get("target")
            if isinstance(target, str):
                done.add(target)
    return done


# -- options and results ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How a scan runs.  ``template`` carries the per-run settings (TLS mode, timeouts,
    CA, HELO name, DNS servers…); its host and port are replaced by each target's, and its
    port is the one used for an address whose server has no known port."""

    template: RunConfig = field(default_factory=lambda: RunConfig(host="template.invalid"))
    concurrency: int = 10
    per_address: int = 1
    retries: int = 2
    retry_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ScanInputError("--concurrency must be at least 1")
        if self.per_address < 1:
            raise ScanInputError("--per-address must be at least 1")
        if self.retries < 0:
            raise ScanInputError("--retries cannot be negative")
        if self.retry_delay < 0:
            raise ScanInputError("--retry-delay cannot be negative")


@dataclass(frozen=True, slots=True)
class ScanResult:
    """How one target went: the report of its last attempt (or why there is none)."""

    target: ScanTarget
    address: str | None
    """The server address the politeness limit counted this target under."""
    attempts: int
    report: Report | None
    error: str | None = None
    """Why the target could not be checked at all (only when ``report`` is None)."""
    throttled: bool = False
    """The server was still refusing us for now when the retries ran out."""

    @property
    def exit_code(self) -> ExitCode:
        """The target's verdict as a monitoring exit code (UNKNOWN without a report)."""
        return self.report.exit_code if self.report is not None else ExitCode.UNKNOWN

    def to_record(self) -> dict[str, Any]:
        """The JSON Lines record for this target (the report in ``smtpdoctor check``'s
        JSON shape under ``report``)."""
        from smtpdoctor.render.json import report_to_dict

        return {
            "schema": RECORD_SCHEMA,
            "schema_version": RECORD_SCHEMA_VERSION,
            "target": self.target.key,
            "address": self.address,
            "attempts": self.attempts,
            "throttled": self.throttled,
            "status": self.exit_code.name.lower(),
            "exit_code": int(self.exit_code),
            "error": self.error,
            "report": report_to_dict(self.report) if self.report is not None else None,
        }


def is_throttled(report: Report) -> bool:
    """Whether the server told us to come back later: ``421`` anywhere, or any ``4xx`` to
    the greeting or EHLO (greylisting, "too many connections from your IP")."""
    for result in report.results:
        code = result.outcome.reply_code
        if code == 421 or (
            code is not None and 400 <= code < 500 and result.check_id in THROTTLE_CHECKS
        ):
            return True
    return False


# -- the engine ------------------------------------------------------------------------------

RunTarget = Callable[[RunConfig], Report]
Place = Callable[[ScanTarget, RunConfig], RunConfig]
Resolve = Callable[[str, int, float], str | None]
ResultCallback = Callable[[ScanResult], None]


@dataclass(slots=True)
class _Job:
    target: ScanTarget
    config: RunConfig | None = None
    address: str | None = None
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class _Placed:
    """What the preparation of a job found: the run to do and the politeness key, or why the
    target cannot be checked."""

    config: RunConfig | None
    address: str | None
    error: str | None = None


def place_target(target: ScanTarget, template: RunConfig) -> RunConfig:
    """The run for ``target``: a server as it was written; an address at the server its
    mail domain leads to (provider table, DNS), as ``smtpdoctor check`` finds it, with the
    ``target`` row in front.  When that gives no port, ``template.port`` is used: a scan
    never probes the port matrix, which would open several connections to one server."""
    if target.mailbox is None:
        assert target.port is not None  # servers always have one
        return replace(template, host=target.host, port=target.port)
    from smtpdoctor.targets import Typed, locate, plan_run

    local_part = target.mailbox.rpartition("@")[0]
    typed = Typed(target.key, target.host, target.port, local_part)
    located = locate(typed, replace(template, host=target.host))
    if located.port is None:
        located = replace(located, port=template.port)
    assert located.port is not None
    return plan_run(located, replace(template, host=located.host, port=located.port))


def resolve_address(host: str, port: int, timeout: float) -> str | None:
    """The first address ``host`` resolves to, or None when it does not resolve (the check
    then reports the DNS failure itself)."""
    from smtpdoctor.transport import TransportError, resolve

    try:
        pairs = resolve(host, port, deadline_at=time.monotonic() + timeout)
    except TransportError:
        return None
    return pairs[0][1][0] if pairs else None


def pipeline_runner(
    manager: pluggy.PluginManager, trust_store: TrustStore | None = None
) -> RunTarget:
    """Run the full check pipeline with one plugin manager shared by the whole scan (its
    hooks are only read while running, so threads can share it) and, when given, one trust
    store (loaded once for the scan instead of once per target)."""
    from smtpdoctor import runner
    from smtpdoctor.session import Session

    def run_one(config: RunConfig) -> Report:
        session = Session(config, trust_store=trust_store)
        return runner.run(config, manager, session=session)

    return run_one


class Scanner:
    """Checks a list of targets with bounded concurrency, one connection per server address
    at a time, retrying throttled servers later.  See the module documentation."""

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
            config = self._place(job.target, self._options.template)
        except ConfigError as exc:
            return _Placed(None, None, error=str(exc))
        try:
            return _Placed(config, str(ipaddress.ip_address(config.host)))
        except ValueError:
            pass
        try:
            address = self._resolve(config.host, config.port, config.timeout)
        except Exception:  # noqa: BLE001 - the check itself will report the lookup failure
            address = None
        return _Placed(config, address if address is not None else f"unresolved:{config.host}")

    def _check(self, job: _Job) -> ScanResult:
        """One attempt at one target (in a worker thread)."""
        assert job.config is not None
        report = self._run_target(job.config)
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
        self.backoff: dict[str, float] = {}
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
        return max(0.0, min(self.cooling.values()) - self.clock())

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
            if placed.config is None or placed.address is None:
                self.on_result(ScanResult(job.target, None, 0, None, error=placed.error))
                return
            job.config, job.address = placed.config, placed.address
            self._enqueue(placed.address, job)
            return
        address = job.address
        assert address is not None
        self.busy[address] -= 1
        result: ScanResult = outcome
        report = result.report
        if report is not None and is_throttled(report):
            if job.attempts <= self.options.retries:
                self._back_off(address)
                self._enqueue(address, job, first=True)
                return
            result = replace(result, throttled=True)
        else:
            self.backoff.pop(address, None)
        if not self.queues.get(address):
            self.queues.pop(address, None)
        elif self._can_start(address):
            self.ready[address] = None
        self.on_result(result)

    def _back_off(self, address: str) -> None:
        """Leave a throttling server alone for a while, twice as long each time."""
        delay = self.backoff.get(address, self.options.retry_delay / 2) * 2
        self.backoff[address] = delay
        self.cooling[address] = self.clock() + delay


# -- the tally -------------------------------------------------------------------------------


@dataclass(slots=True)
class ScanTally:
    """Counts for the summary at the end of a scan: targets per verdict, how many were still
    throttled, and which findings came up most."""

    by_status: dict[ExitCode, int] = field(default_factory=lambda: dict.fromkeys(ExitCode, 0))
    findings: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    retried: int = 0

    @property
    def total(self) -> int:
        """Targets counted so far."""
        return sum(self.by_status.values())

    def add(self, result: ScanResult) -> None:
        """Count one finished target."""
        self.by_status[result.exit_code] += 1
        self.throttled += result.throttled
        self.retried += result.attempts > 1
        if result.report is None:
            self.findings["scan.not-checked"] = self.findings.get("scan.not-checked", 0) + 1
            return
        for check in result.report.results:
            finding = check.outcome.finding
            if finding is not None and check.status.is_problem:
                self.findings[finding] = self.findings.get(finding, 0) + 1

    def top_findings(self, limit: int = 10) -> list[tuple[str, int]]:
        """The most frequent findings, most frequent first (ties by name)."""
        return sorted(self.findings.items(), key=lambda item: (-item[1], item[0]))[:limit]

    @property
    def exit_code(self) -> ExitCode:
        """The scan's exit code: CRITICAL if any target failed, else UNKNOWN if any could not
        be checked, else WARNING if any warned, else OK (as for a single report)."""
        for code in (ExitCode.CRITICAL, ExitCode.UNKNOWN, ExitCode.WARNING):
            if self.by_status[code]:
                return code
        return ExitCode.OK
