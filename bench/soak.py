"""The soak: ``smtpdoctor serve`` probed for ``--minutes`` at ``--rate`` probes per second over
a mix of good, failing and hostile targets, with a slowloris alongside.

    python -m bench.soak --minutes 30 --rate 20      # as root, with integration/mailserver.sh

Targets, drawn at random with fixed weights: the Postfix submission port verified against its
CA (with and without AUTH), the same port with the system trust store only (a certificate
that does not verify: "wrong CA"), a closed port, and the hostile servers of
:mod:`bench.hostile_targets` (silent, a dripped greeting, 421, an endless line, an EHLO
flood, garbage after STARTTLS, a reset mid-EHLO, an expired certificate).

Every 10 s serve's resident memory (VmRSS), open file descriptors and threads are read from
/proc. A scrape fails *for a reason other than the target's* when the endpoint answers
anything but HTTP 200 with a ``probe_success`` line, or does not answer within the scrape
timeout plus a margin; ``probe_success 0`` from a failing target is the target's fault and
the right answer. A good target answering ``probe_success 0`` is listed on its own.

All traffic stays on 127.0.0.1; the soak stops by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bench.exporter import (
    Answer,
    Exporter,
    free_port,
    get,
    open_fds,
    rss_kib,
    running,
    sample_value,
)
from bench.hostile_targets import hostile_servers
from bench.peer import postfix_peer
from bench.slowloris import SlowlorisStats, slowloris
from bench.tools import Endpoint, smtpdoctor_bin

SAMPLE_EVERY: Final = 10.0
#: What the soak's scrapes announce, as Prometheus does.
SCRAPE_TIMEOUT: Final = 10.0
#: The client gives up this long after the scrape timeout: later is the endpoint's fault.
CLIENT_MARGIN: Final = 5.0
#: A probe of a hostile target gives up after this long (a module's ``timeout``).
HOSTILE_TIMEOUT: Final = 2.0
#: How many probes may be on their way at once in the soak's client.
CLIENT_THREADS: Final = 256


@dataclass(frozen=True, slots=True)
class Target:
    """One kind of target: its name, the probe's target and module, its weight in the mix,
    and whether it should succeed."""

    kind: str
    target: str
    module: str
    weight: float
    good: bool = False


@dataclass(frozen=True, slots=True)
class Sample:
    """serve seen from /proc at one moment."""

    at: float
    rss_kib: int
    fds: int
    threads: int


@dataclass(slots=True)
class SoakResult:
    """Everything the soak saw."""

    minutes: float
    rate: float
    samples: list[Sample] = field(default_factory=list)
    sent: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    """Scrapes that failed for a reason other than the target's, by cause."""
    good_failed: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    late_starts: int = 0
    """Probes the client started more than a second behind schedule (its own lag)."""
    slow: SlowlorisStats = field(default_factory=SlowlorisStats)
    server_metrics: str = ""


def serve_config(endpoint: Endpoint, password_file: Path) -> str:
    """serve's TOML config for the soak: four modules, and every port of 127.0.0.1 allowed.

    The limits are raised from the defaults (8 probes at once, 32 queued, 1 connection per
    server address) to 16, 64 and 4: at 20 probes/s with 2 s tarpits in the mix, about 8
    probes are in flight on average, and half the probes go to one Postfix port.
    """
    return f"""\
[server]
allowed_targets = ["127.0.0.1"]
max_concurrent = 16
queue_limit = 64
per_address = 4

[modules.good]
tls = "starttls"
ca_file = "{endpoint.ca_file}"
timeout = 5

[modules.auth]
tls = "starttls"
ca_file = "{endpoint.ca_file}"
timeout = 5
user = "{endpoint.user}"
password_file = "{password_file}"

[modules.system_trust]
tls = "starttls"
timeout = 5

[modules.hostile]
tls = "starttls"
timeout = {HOSTILE_TIMEOUT:g}
deadline = {HOSTILE_TIMEOUT * 3:g}
"""


def target_mix(endpoint: Endpoint, hostile: dict[str, int], closed_port: int) -> list[Target]:
    """The soak's targets and their weights: 40 % good, 20 % failing, 40 % hostile."""
    postfix = f"{endpoint.host}:{endpoint.port}"
    targets = [
        Target("good", postfix, "good", 0.30, good=True),
        Target("good with AUTH", postfix, "auth", 0.10, good=True),
        Target("wrong CA", postfix, "system_trust", 0.10),
        Target("closed port", f"127.0.0.1:{closed_port}", "hostile", 0.10),
    ]
    share = 0.40 / len(hostile)
    targets += [
        Target(f"hostile: {name}", f"127.0.0.1:{port}", "hostile", share)
        for name, port in hostile.items()
    ]
    return targets


def classify(answer: Answer) -> tuple[str, bool | None]:
    """``("answered", success)`` for a scrape the endpoint answered properly, else the cause
    of its failure and None."""
    if answer.error:
        return (f"no answer ({answer.error})", None)
    if answer.status != 200:
        return (f"HTTP {answer.status}", None)
    for line in answer.body.splitlines():
        value = sample_value(line, "probe_success")
        if value is not None:
            return ("answered", value == 1.0)
    return ("HTTP 200 without probe_success", None)


def _sample(pid: int, started: float) -> Sample:
    threads = 0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                threads = int(line.split()[1])
    return Sample(time.monotonic() - started, rss_kib(pid), open_fds(pid), threads)


def drive(
    exporter: Exporter,
    targets: Sequence[Target],
    *,
    minutes: float,
    rate: float,
    seed: int = 13,
) -> SoakResult:
    """Send ``rate`` probes per second for ``minutes``, on schedule, sampling serve."""
    result = SoakResult(minutes, rate)
    lock = threading.Lock()
    chooser = random.Random(seed)
    weights = [target.weight for target in targets]
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": f"{SCRAPE_TIMEOUT:g}"}

    def scrape(target: Target) -> None:
        answer = get(
            exporter.port,
            exporter.probe_path(target.target, target.module),
            timeout=SCRAPE_TIMEOUT + CLIENT_MARGIN,
            headers=headers,
        )
        outcome, success = classify(answer)
        with lock:
            if success is None:
                result.failed[f"{outcome} ({target.kind})"] += 1
                return
            result.answered[target.kind] += 1
            result.latencies.setdefault(target.kind, []).append(answer.seconds)
            if target.good and not success:
                result.good_failed[target.kind] += 1

    started = time.monotonic()
    total = int(minutes * 60 * rate)
    next_sample = 0.0
    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        for index in range(total):
            due = index / rate
            while (now := time.monotonic() - started) < due:
                if now >= next_sample:
                    result.samples.append(_sample(exporter.pid, started))
                    next_sample += SAMPLE_EVERY
                time.sleep(min(due - now, 0.05))
            if time.monotonic() - started > due + 1.0:
                result.late_starts += 1
            (target,) = chooser.choices(targets, weights)
            result.sent[target.kind] += 1
            pool.submit(scrape, target)
    result.samples.append(_sample(exporter.pid, started))
    return result


@contextlib.contextmanager
def running_serve(config_text: str, workdir: Path) -> Iterator[Exporter]:
    """``smtpdoctor serve`` (the measured install) with ``config_text`` on a free port."""
    config = workdir / "soak.toml"
    config.write_text(config_text)
    port = free_port()
    command = [smtpdoctor_bin(), "serve", "--config", str(config), "--listen", f"127.0.0.1:{port}"]
    with running(
        "smtpdoctor serve", command, port, ready_path="/metrics", log=workdir / "soak-serve.log"
    ) as exporter:
        yield exporter


def soak(
    endpoint: Endpoint, workdir: Path, *, minutes: float, rate: float, slow: int
) -> SoakResult:
    """The whole soak against ``endpoint`` (Postfix) and the hostile servers."""
    password_file = workdir / "soak-password"
    password_file.touch(mode=0o600)
    password_file.write_text(endpoint.password + "\n")
    with hostile_servers() as servers:
        ports = {name: server.port for name, server in servers.items()}
        closed_port = free_port()
        config = serve_config(endpoint, password_file)
        with running_serve(config, workdir) as exporter:
            targets = target_mix(endpoint, ports, closed_port)
            with slowloris(exporter.port, slow) as clients:
                result = drive(exporter, targets, minutes=minutes, rate=rate)
            result.slow = clients.stats
            metrics = get(exporter.port, "/metrics", timeout=10.0)
            result.server_metrics = "\n".join(
                line
                for line in metrics.body.splitlines()
                if line.startswith("smtpdoctor_serve_probes_total")
            )
    return result


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def soak_table(result: SoakResult) -> str:
    """serve's memory, descriptors and threads over the soak, and every scrape's fate."""
    samples = result.samples
    first, last = samples[0], samples[-1]
    # After warm-up: the first sample at or past a third of the run.
    third = next(s for s in samples if s.at >= samples[-1].at / 3)
    lines = [
        "| serve process | start | after 1/3 | end | max |",
        "|---|---:|---:|---:|---:|",
        f"| resident memory (VmRSS) | {_mib(first.rss_kib)} | {_mib(third.rss_kib)} "
        f"| {_mib(last.rss_kib)} | {_mib(max(s.rss_kib for s in samples))} |",
        f"| open file descriptors | {first.fds} | {third.fds} | {last.fds} "
        f"| {max(s.fds for s in samples)} |",
        f"| threads | {first.threads} | {third.threads} | {last.threads} "
        f"| {max(s.threads for s in samples)} |",
        "",
        "| target | probes sent | answered | p50 | p99 | good target, probe_success 0 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, sent in sorted(result.sent.items(), key=lambda item: -item[1]):
        latencies = result.latencies.get(kind, [])
        lines.append(
            f"| {kind} | {sent} | {result.answered[kind]} "
            f"| {_percentile(latencies, 0.5) * 1000:.0f} ms "
            f"| {_percentile(latencies, 0.99) * 1000:.0f} ms "
            f"| {result.good_failed[kind] if kind.startswith('good') else '—'} |"
        )
    total_failed = sum(result.failed.values())
    lines += ["", "| failed scrapes, not the target's fault | count |", "|---|---:|"]
    if not result.failed:
        lines.append("| (none) | 0 |")
    lines += [f"| {cause} | {count} |" for cause, count in sorted(result.failed.items())]
    slow = result.slow
    closed = ", ".join(f"{kind} {count}" for kind, count in slow.closed_by_server.items())
    lines += [
        "",
        f"{sum(result.sent.values())} probes in {result.minutes:g} minutes at "
        f"{result.rate:g}/s, {total_failed} failed for a reason other than the target's; "
        f"the client started {result.late_starts} probes more than 1 s late. "
        f"Slowloris: {slow.opened} slow connections opened ({slow.held_at_end} held at the "
        f"end), closed by serve: {closed}; {slow.refused} connection attempts refused. "
        f"Samples every {SAMPLE_EVERY:g} s: {len(samples)}.",
    ]
    if result.server_metrics:
        lines += ["", "serve's own count at the end:", "", "```", result.server_metrics, "```"]
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=20.0, help="probes per second")
    parser.add_argument("--slow-clients", type=int, default=300, help="slowloris connections")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-soak-") as scratch, postfix_peer() as peer:
        result = soak(
            peer.endpoint,
            Path(scratch),
            minutes=args.minutes,
            rate=args.rate,
            slow=args.slow_clients,
        )
    table = soak_table(result)
    print(table)
    if args.out is not None:
        args.out.write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
