"""The transaction benchmark: the same login with each tool, through the delaying relay, side
by side and alternating, at several round-trip times."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bench.measure import median_ms, timed
from bench.relay import DelayRelay
from bench.tools import Endpoint, Tool

#: What the transaction needs at the least: EHLO, STARTTLS, the TLS handshake (one round trip
#: for TLS 1.3; the client's Finished travels with the next EHLO), EHLO, AUTH PLAIN, QUIT.
PROTOCOL_MINIMUM_ROUND_TRIPS = 6


@dataclass(slots=True)
class Samples:
    """Every run of one tool at one RTT."""

    seconds: list[float] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)
    round_trips: list[int] = field(default_factory=list)
    turns: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


Results = dict[float, dict[str, Samples]]


def run_transactions(
    upstream: Endpoint,
    make_tools: Callable[[Endpoint], list[Tool]],
    *,
    rtts: Sequence[float],
    rounds: int,
) -> Results:
    """For each RTT, put a relay in front of ``upstream`` and run ``rounds`` rounds; in each
    round every tool once, the order rotating so no tool always goes first (warm caches) or
    last."""
    results: Results = {}
    for rtt in rtts:
        with DelayRelay((upstream.host, upstream.port), rtt) as relay:
            tools = make_tools(replace(upstream, host="127.0.0.1", port=relay.port))
            per_tool = {tool.name: Samples() for tool in tools}
            for tool in tools:  # warm-up, not counted: caches, Python's bytecode files
                timed(tool.argv, env=tool.env)
            for round_number in range(rounds):
                shift = round_number % len(tools)
                for tool in [*tools[shift:], *tools[:shift]]:
                    relay.reset()
                    run = timed(tool.argv, env=tool.env)
                    tally = relay.tally()
                    samples = per_tool[tool.name]
                    if not tool.succeeded(run):
                        detail = (run.stderr or run.stdout)[-300:]
                        samples.failures.append(f"exit {run.returncode}: {detail}")
                        continue
                    samples.seconds.append(run.seconds)
                    samples.connections.append(tally.connections)
                    samples.round_trips.append(tally.round_trips)
                    samples.turns.append(tally.turns)
        results[rtt] = per_tool
    return results


def transaction_table(results: Results, reference: str = "smtpdoctor") -> str:
    """The markdown table: median wall time, the reference tool's ratio to each peer,
    connections and round trips (medians, and the range when runs differed)."""
    lines = [
        "| RTT | tool | median wall time | smtpdoctor / tool | connections | round trips "
        "| turns | runs ok |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for rtt, per_tool in results.items():
        ours = median_ms(per_tool[reference].seconds)
        for name, samples in per_tool.items():
            wall = median_ms(samples.seconds)
            ratio = "—" if name == reference else f"{ours / wall:.2f}"
            total = len(samples.seconds) + len(samples.failures)
            lines.append(
                f"| {rtt * 1000:.0f} ms | {name} | {wall:.0f} ms | {ratio} "
                f"| {_spread(samples.connections)} | {_spread(samples.round_trips)} "
                f"| {_spread(samples.turns)} | {len(samples.seconds)}/{total} |"
            )
    return "\n".join(lines)


def _spread(values: list[int]) -> str:
    if not values:
        return "—"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"
