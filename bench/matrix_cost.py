"""What the port matrix costs next to its slowest single probe.

The matrix probes every port at once, so it should cost about one probe, not the sum.  Each
port gets its own delaying relay (the probes' ports are the relays' ports), plus one closed
port, and the whole matrix is timed against each probe run alone, at every RTT.
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from bench.relay import DelayRelay

TARGET_RATIO = 1.2


@dataclass(frozen=True, slots=True)
class MatrixCost:
    """Medians over the rounds at one RTT."""

    rtt: float
    matrix_seconds: float
    slowest_probe_seconds: float
    slowest_probe: str
    verdicts: str

    @property
    def ratio(self) -> float:
        return self.matrix_seconds / self.slowest_probe_seconds


def matrix_available() -> bool:
    """Whether this smtpdoctor has the port matrix (``smtpdoctor.discovery.matrix``)."""
    try:
        import smtpdoctor.discovery.matrix  # noqa: F401
    except ImportError:
        return False
    return True


def measure_matrix(
    ports: Sequence[tuple[int, str]], rtts: Sequence[float], rounds: int
) -> list[MatrixCost]:
    """``ports`` are ``(port, "starttls" | "implicit")`` on 127.0.0.1; a closed port is
    added.  Probes do not verify certificates (no secret crosses them), so no CA is needed."""
    from smtpdoctor.discovery.matrix import probe_port, run_matrix
    from smtpdoctor.model.words import Endpoint, TLSMode
    from smtpdoctor.settings.config import RunConfig

    rows = []
    for rtt in rtts:
        with ExitStack() as stack:
            probes = []
            for port, mode in ports:
                relay = stack.enter_context(DelayRelay(("127.0.0.1", port), rtt))
                probes.append(Endpoint(relay.port, TLSMode(mode)))
            probes.append(Endpoint(_closed_port(), TLSMode.STARTTLS))
            config = RunConfig(host="127.0.0.1", timeout=10.0, deadline=30.0, probes=tuple(probes))
            whole: list[float] = []
            single: dict[str, list[float]] = {str(p): [] for p in probes}
            verdicts = ""
            for _ in range(rounds):
                matrix = run_matrix(config)
                whole.append(matrix.seconds)
                verdicts = ", ".join(
                    f"{r.probe.tls.value} {r.verdict.value}" for r in matrix.results
                )
                for probe in probes:
                    started = time.monotonic()
                    probe_port(config, probe, deadline_at=started + 10.0, planned=tuple(probes))
                    single[str(probe)].append(time.monotonic() - started)
            medians = {name: statistics.median(values) for name, values in single.items()}
            slowest = max(medians, key=lambda name: medians[name])
            rows.append(
                MatrixCost(rtt, statistics.median(whole), medians[slowest], slowest, verdicts)
            )
    return rows


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def matrix_table(rows: Sequence[MatrixCost]) -> str:
    """The matrix's wall time against its slowest probe, per RTT."""
    lines = [
        "| RTT | whole matrix | slowest single probe | matrix / slowest probe (target ≤ 1.2) |",
        "|---:|---:|---:|---:|",
    ]
    for row in rows:
        verdict = "✔" if row.ratio <= TARGET_RATIO else "✘"
        lines.append(
            f"| {row.rtt * 1000:.0f} ms | {row.matrix_seconds * 1000:.1f} ms "
            f"| {row.slowest_probe_seconds * 1000:.1f} ms | {row.ratio:.2f} {verdict} |"
        )
    if rows:
        lines.append(f"\nProbes (relay ports, then a closed port): {rows[-1].verdicts}.")
    return "\n".join(lines)
