"""The probe endpoint benchmark: one Postfix submission port (587, STARTTLS) probed side by
side, in one run, by Debian's ``prometheus-blackbox-exporter`` (its usual STARTTLS ``tcp``
module), by ``smtpdoctor serve`` and by a process per check (``smtpdoctor check … -f nagios``,
as Nagios runs it), with 1, 10 and 50 probes at a time.

Each contender gets the same closed loop: N client threads, each starting its next probe as
soon as its last one answered. Latency is client-side (HTTP request to the last byte of the
answer, or process start to exit); CPU is the endpoint process's user + system time from
/proc/PID/stat before and after (for the process per check: the children's, from
``os.times()``), divided by the probes. The load is split into rounds and the contenders
alternate within each round, the order rotating, so that a drift of the machine hits all alike.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.exporter import (
    Exporter,
    children_cpu_seconds,
    cpu_seconds,
    free_port,
    get,
    probe_succeeded,
    running,
)
from bench.measure import timed
from bench.tools import Endpoint, smtpdoctor_bin

BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
#: What Prometheus would send with a 10 s scrape timeout; every contender gets 10 s.
SCRAPE_TIMEOUT = 10.0
#: The client's own limit on one probe: the scrape timeout and a margin.
CLIENT_TIMEOUT = SCRAPE_TIMEOUT + 5.0
#: How long a process per check may run: Nagios's default ``service_check_timeout``.
NAGIOS_TIMEOUT = 60.0
#: Probes each contender runs, uncounted, before the first round (caches, lazy imports).
WARM_UP = 3

#: The blackbox module people copy for SMTP STARTTLS (blackbox_exporter's example.yml), with
#: one change: Postfix lists STARTTLS in the middle of its EHLO reply (``250-STARTTLS``),
#: which the usual ``^250 STARTTLS`` never matches, so the pattern takes either separator.
#: The ``tcp`` prober matches line by line: after that line it sends STARTTLS while the rest
#: of the EHLO reply is still unread, and the next ``expect: ^220`` skips over it; a server
#: that does not pipeline, or puts STARTTLS last, or greets in several lines, trips a module
#: written for another server. The probe is TCP, the greeting, STARTTLS and the handshake
#: (certificate verified against the CA), EHLO again, and QUIT.
BLACKBOX_MODULE = "smtp_starttls"
BLACKBOX_CONFIG = """\
modules:
  smtp_starttls:
    prober: tcp
    timeout: {timeout:g}s
    tcp:
      preferred_ip_protocol: ip4
      tls_config:
        ca_file: {ca_file}
      query_response:
        - expect: "^220 "
        - send: "EHLO prober\\r"
        - expect: "^250[- ]STARTTLS"
        - send: "STARTTLS\\r"
        - expect: "^220"
        - starttls: true
        - send: "EHLO prober\\r"
        - expect: "^250[- ]AUTH"
        - send: "QUIT\\r"
        - expect: "^221"
"""

#: smtpdoctor serve's modules for the same port: the checks ``smtpdoctor check`` runs without
#: a login (greeting, EHLO parsed, STARTTLS, certificate verified and read, posture), and the
#: same with AUTH PLAIN through Dovecot.
SERVE_MODULE = "submission"
SERVE_AUTH_MODULE = "submission_auth"


def serve_config(endpoint: Endpoint, password_file: Path, *, concurrency: int) -> str:
    """The TOML config of ``smtpdoctor serve`` for the benchmark's two modules.

    serve's limits are raised to the benchmark's highest concurrency: by default it opens at
    most one connection to a server address at a time (mail servers throttle), which would
    queue the probes of one target behind each other; blackbox_exporter has no such limit.
    """
    return f"""\
[server]
allowed_targets = ["127.0.0.1:{endpoint.port}"]
max_concurrent = {concurrency}
queue_limit = {concurrency * 4}
per_address = {concurrency}

[modules.{SERVE_MODULE}]
tls = "starttls"
ca_file = "{endpoint.ca_file}"
timeout = {SCRAPE_TIMEOUT:g}

[modules.{SERVE_AUTH_MODULE}]
tls = "starttls"
ca_file = "{endpoint.ca_file}"
timeout = {SCRAPE_TIMEOUT:g}
user = "{endpoint.user}"
password_file = "{password_file}"
"""


def blackbox_available() -> bool:
    """Whether Debian's prometheus-blackbox-exporter is installed."""
    return Path(BLACKBOX).exists()


def blackbox_version() -> str:
    """``blackbox_exporter 0.23.0`` or ``not installed``."""
    if not blackbox_available():
        return "not installed"
    run = timed([BLACKBOX, "--version"], timeout=30)
    words = (run.stdout or run.stderr).split()
    return f"blackbox_exporter {words[2]}" if len(words) > 2 else "blackbox_exporter ?"


@contextlib.contextmanager
def running_blackbox(endpoint: Endpoint, workdir: Path) -> Iterator[Exporter]:
    """blackbox_exporter with :data:`BLACKBOX_CONFIG` on a free loopback port."""
    config = workdir / "blackbox.yml"
    config.write_text(BLACKBOX_CONFIG.format(timeout=SCRAPE_TIMEOUT, ca_file=endpoint.ca_file))
    port = free_port()
    command = [
        BLACKBOX,
        f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with running(
        "blackbox_exporter", command, port, ready_path="/metrics", log=workdir / "blackbox.log"
    ) as exporter:
        yield exporter


@contextlib.contextmanager
def running_serve(endpoint: Endpoint, workdir: Path, *, concurrency: int) -> Iterator[Exporter]:
    """``smtpdoctor serve`` (the measured install) with :func:`serve_config` on a free port."""
    password_file = workdir / "serve-password"
    password_file.touch(mode=0o600)
    password_file.write_text(endpoint.password + "\n")
    config = workdir / "serve.toml"
    config.write_text(serve_config(endpoint, password_file, concurrency=concurrency))
    port = free_port()
    command = [smtpdoctor_bin(), "serve", "--config", str(config), "--listen", f"127.0.0.1:{port}"]
    with running(
        "smtpdoctor serve", command, port, ready_path="/metrics", log=workdir / "serve.log"
    ) as exporter:
        yield exporter


@dataclass(frozen=True, slots=True)
class Contender:
    """One way of probing: what it does per probe, one probe, and its CPU clock."""

    name: str
    does: str
    probe: Callable[[], tuple[float, bool]]
    """Run one probe: its latency in seconds and whether it succeeded."""
    cpu: Callable[[], float]
    """The CPU seconds spent so far by whatever does the probing."""


def http_contender(name: str, does: str, exporter: Exporter, target: str, module: str) -> Contender:
    """Probes through ``GET /probe`` of ``exporter``, with Prometheus's timeout header."""
    path = exporter.probe_path(target, module)
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": f"{SCRAPE_TIMEOUT:g}"}

    def probe() -> tuple[float, bool]:
        answer = get(exporter.port, path, timeout=CLIENT_TIMEOUT, headers=headers)
        return answer.seconds, probe_succeeded(answer)

    return Contender(name, does, probe, lambda: cpu_seconds(exporter.pid))


def process_contender(endpoint: Endpoint) -> Contender:
    """``smtpdoctor check HOST:PORT --tls starttls --ca-file CA -f nagios``, one process per
    probe; OK (0) and WARNING (1) count as success, as for Nagios's service state."""
    command = [
        smtpdoctor_bin(),
        "check",
        f"{endpoint.host}:{endpoint.port}",
        "--tls",
        "starttls",
        "--ca-file",
        str(endpoint.ca_file),
        "--timeout",
        f"{SCRAPE_TIMEOUT:g}",
        "--format",
        "nagios",
    ]

    def probe() -> tuple[float, bool]:
        run = timed(command, timeout=NAGIOS_TIMEOUT)
        return run.seconds, run.returncode in (0, 1)

    return Contender(
        "process per check",
        "a new Python process: imports, then the same checks as serve's module",
        probe,
        children_cpu_seconds,
    )


@dataclass(slots=True)
class Samples:
    """Every probe of one contender at one concurrency."""

    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    cpu: float = 0.0
    wall: float = 0.0

    @property
    def probes(self) -> int:
        return len(self.latencies)

    def percentile(self, fraction: float) -> float:
        """The ``fraction`` quantile of the latencies (nearest rank), in seconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
        return ordered[rank - 1]

    @property
    def cpu_per_probe(self) -> float:
        return self.cpu / self.probes if self.probes else float("nan")


Results = dict[int, dict[str, Samples]]


def run_endpoints(
    contenders: Sequence[Contender],
    concurrencies: Sequence[int],
    *,
    probes_per_thread: int,
    rounds: int,
) -> Results:
    """At each concurrency N, ``rounds`` rounds; in each round every contender runs
    ``N * probes_per_thread / rounds`` probes (at least N) with N threads, in rotating order."""
    for contender in contenders:
        for _ in range(WARM_UP):
            contender.probe()
    results: Results = {}
    for concurrency in concurrencies:
        per_round = max(concurrency, concurrency * probes_per_thread // rounds)
        samples = {contender.name: Samples() for contender in contenders}
        for round_number in range(rounds):
            shift = round_number % len(contenders)
            for contender in [*contenders[shift:], *contenders[:shift]]:
                before = contender.cpu()
                started = time.perf_counter()
                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    outcomes = list(pool.map(_run_one, [contender.probe] * per_round))
                wall = time.perf_counter() - started
                spent = contender.cpu() - before
                kept = samples[contender.name]
                kept.cpu += spent
                kept.wall += wall
                for seconds, ok in outcomes:
                    kept.latencies.append(seconds)
                    kept.failures += not ok
        results[concurrency] = samples
    return results


def _run_one(probe: Callable[[], tuple[float, bool]]) -> tuple[float, bool]:
    return probe()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def _ratio(ours: float, theirs: float, target: float | None = None) -> str:
    if not theirs or theirs != theirs:  # zero or NaN
        return "—"
    value = ours / theirs
    verdict = "" if target is None else (" ✔" if value <= target else " ✘")
    return f"{value:.2f}{verdict}"


def endpoint_table(results: Results) -> str:
    """Latency and CPU per probe of every contender at every concurrency."""
    lines = [
        "| probes at once | endpoint | p50 latency | p99 latency | CPU per probe "
        "| probes/s | probes ok |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for concurrency, samples in results.items():
        for name, kept in samples.items():
            lines.append(
                f"| {concurrency} | {name} | {_ms(kept.percentile(0.5))} "
                f"| {_ms(kept.percentile(0.99))} | {kept.cpu_per_probe * 1000:.1f} ms "
                f"| {kept.probes / kept.wall:.1f} | {kept.probes - kept.failures}/{kept.probes} |"
            )
    return "\n".join(lines)


def ratio_table(results: Results, *, blackbox: str, serves: Sequence[str], process: str) -> str:
    """smtpdoctor serve against blackbox_exporter (targets: latency at most 1.0 times,
    CPU at most 2 times), and the process per check against serve."""
    lines = [
        "| probes at once | serve module | p50 / blackbox (≤ 1.0) | p99 / blackbox (≤ 1.0) "
        "| CPU / blackbox (≤ 2.0) | process per check / serve: p50 | CPU |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for concurrency, samples in results.items():
        theirs = samples.get(blackbox)
        nagios = samples.get(process)
        for serve in serves:
            ours = samples.get(serve)
            if ours is None:
                continue
            vs_blackbox = ["—", "—", "—"]
            if theirs is not None:
                vs_blackbox = [
                    _ratio(ours.percentile(0.5), theirs.percentile(0.5), 1.0),
                    _ratio(ours.percentile(0.99), theirs.percentile(0.99), 1.0),
                    _ratio(ours.cpu_per_probe, theirs.cpu_per_probe, 2.0),
                ]
            vs_process = ["—", "—"]
            if nagios is not None and serve == serves[0]:
                vs_process = [
                    _ratio(nagios.percentile(0.5), ours.percentile(0.5)),
                    _ratio(nagios.cpu_per_probe, ours.cpu_per_probe),
                ]
            lines.append(f"| {concurrency} | {serve} | {' | '.join(vs_blackbox + vs_process)} |")
    return "\n".join(lines)


def does_table(contenders: Sequence[Contender]) -> str:
    """What each contender does for one probe."""
    lines = ["| endpoint | what one probe does |", "|---|---|"]
    lines += [f"| {contender.name} | {contender.does} |" for contender in contenders]
    return "\n".join(lines)


def serve_version() -> str:
    """What ``smtpdoctor --version`` of the measured install prints."""
    run = timed([smtpdoctor_bin(), "--version"], timeout=30)
    return run.stdout.strip() or "smtpdoctor ?"


def measure_endpoints(
    endpoint: Endpoint,
    workdir: Path,
    *,
    concurrencies: Sequence[int],
    probes_per_thread: int,
    rounds: int,
) -> str:
    """Run the whole comparison against ``endpoint`` and return its markdown."""
    target = f"{endpoint.host}:{endpoint.port}"
    most = max(concurrencies)
    contenders: list[Contender] = []
    with contextlib.ExitStack() as stack:
        if blackbox_available():
            blackbox = stack.enter_context(running_blackbox(endpoint, workdir))
            contenders.append(
                http_contender(
                    "blackbox_exporter",
                    "TCP, greeting matched, EHLO, STARTTLS, TLS handshake with the chain "
                    "verified, EHLO, QUIT; regular expressions over lines",
                    blackbox,
                    target,
                    BLACKBOX_MODULE,
                )
            )
        serve = stack.enter_context(running_serve(endpoint, workdir, concurrency=most))
        contenders.append(
            http_contender(
                f"serve `{SERVE_MODULE}`",
                "TCP, greeting, EHLO parsed (extensions, size, pipelining), STARTTLS, TLS "
                "handshake with the chain verified, certificate read (names, expiry, key, "
                "signature), EHLO again, posture, QUIT; the report rendered as metrics",
                serve,
                target,
                SERVE_MODULE,
            )
        )
        contenders.append(
            http_contender(
                f"serve `{SERVE_AUTH_MODULE}`",
                f"the same as `{SERVE_MODULE}`, plus AUTH PLAIN (Dovecot checks the password)",
                serve,
                target,
                SERVE_AUTH_MODULE,
            )
        )
        contenders.append(process_contender(endpoint))
        results = run_endpoints(
            contenders, concurrencies, probes_per_thread=probes_per_thread, rounds=rounds
        )
    serves = [c.name for c in contenders if c.name.startswith("serve")]
    body = [
        does_table(contenders),
        endpoint_table(results),
        ratio_table(
            results, blackbox="blackbox_exporter", serves=serves, process="process per check"
        ),
        f"Target {target} (Postfix submission, STARTTLS); {blackbox_version()}; "
        f"{serve_version()}. {rounds} rounds per concurrency, contenders alternating; "
        f"{probes_per_thread} probes per client thread in all; CPU per probe is the "
        "endpoint's own (for the process per check: the processes'), not the client's or "
        "Postfix's.",
    ]
    return "\n\n".join(body)
