"""The scale benchmark: a fleet of loopback mail servers checked by ``smtpdoctor scan`` and by
``xargs -P`` running swaks, at several concurrencies."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Run, readline_within, with_memory
from bench.tools import smtpdoctor_bin, swaks_fleet_argv

FLEET_PORT = 0  # a free port, the same on every address
FLEET_START_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class Fleet:
    """A running fleet: its target list and the CA that issued its certificates."""

    targets: Path
    ca_file: Path
    size: int


@dataclass(frozen=True, slots=True)
class ScaleRow:
    """One concurrency: how each side did."""

    concurrency: int
    ours: Run
    ours_ok: int
    swaks: Run
    size: int

    @property
    def ours_rate(self) -> float:
        return self.size / self.ours.seconds

    @property
    def swaks_rate(self) -> float:
        return self.size / self.swaks.seconds


@contextmanager
def running_fleet(size: int, workdir: Path) -> Iterator[Fleet]:
    """Start ``bench.fleet_server`` with ``size`` listeners; stop it afterwards."""
    server = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "bench.fleet_server", str(size), str(FLEET_PORT), str(workdir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = readline_within(server, FLEET_START_TIMEOUT)
        if line.strip() != "ready":
            raise RuntimeError(f"the fleet server did not start: {line!r}")
        yield Fleet(workdir / "targets.txt", workdir / "ca.pem", size)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_scale(fleet: Fleet, concurrencies: Sequence[int], workdir: Path) -> list[ScaleRow]:
    """At each concurrency, scan the whole fleet with smtpdoctor, then with swaks."""
    rows = []
    for concurrency in concurrencies:
        output = workdir / f"scan-{concurrency}.jsonl"
        output.unlink(missing_ok=True)
        ours = with_memory(
            [
                smtpdoctor_bin(),
                "scan",
                str(fleet.targets),
                "--concurrency",
                str(concurrency),
                "--ca-file",
                str(fleet.ca_file),
                "--timeout",
                "30",
                "--no-progress",
                "--output",
                str(output),
            ]
        )
        swaks = with_memory(
            [
                "xargs",
                "-P",
                str(concurrency),
                "-n",
                "1",
                "-a",
                str(fleet.targets),
                *swaks_fleet_argv(fleet.ca_file),
            ]
        )
        rows.append(ScaleRow(concurrency, ours, _count_ok(output), swaks, fleet.size))
    return rows


def _count_ok(output: Path) -> int:
    """Targets whose STARTTLS worked and whose certificate verified."""
    if not output.exists():
        return 0
    count = 0
    for line in output.read_text().splitlines():
        report = json.loads(line)["report"] or {"checks": []}
        passed = {c["id"] for c in report["checks"] if c["status"] == "pass"}
        count += {"tls", "certificate"} <= passed
    return count


def scale_table(rows: Sequence[ScaleRow]) -> str:
    """Targets per second and peak memory for both sides, and smtpdoctor's speed-up."""
    lines = [
        "| concurrency | smtpdoctor scan | peak RSS | targets OK "
        "| xargs -P + swaks | peak RSS (all processes) | all OK | speed, smtpdoctor / swaks |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.concurrency} | {row.ours_rate:.1f} targets/s ({row.ours.seconds:.1f} s) "
            f"| {row.ours.peak_rss_kb / 1024:.0f} MiB | {row.ours_ok}/{row.size} "
            f"| {row.swaks_rate:.1f} targets/s ({row.swaks.seconds:.1f} s) "
            f"| {row.swaks.peak_rss_kb / 1024:.0f} MiB "
            f"| {'yes' if row.swaks.returncode == 0 else f'no (exit {row.swaks.returncode})'} "
            f"| {row.ours_rate / row.swaks_rate:.1f} |"
        )
    return "\n".join(lines)
