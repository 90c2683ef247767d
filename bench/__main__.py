"""``python -m bench``: run every benchmark and print the markdown tables (``make bench``).

1. The transaction (connect, EHLO, STARTTLS, EHLO, AUTH, QUIT) with smtpdoctor, swaks and
   check_smtp through a delaying relay at each RTT, side by side and alternating.
2. Start-up time of ``smtpdoctor --version`` and ``--help`` against ``swaks --version``.
3. The port matrix against its slowest single probe (when this smtpdoctor has the matrix).
4. A fleet of loopback servers, scanned by ``smtpdoctor scan`` and by ``xargs -P`` + swaks.
5. The probe endpoint: blackbox_exporter, ``smtpdoctor serve`` and a process per check on the
   same Postfix port, at 1, 10 and 50 probes at once.
6. The soak: ``smtpdoctor serve`` for ``--soak-minutes`` at ``--soak-rate`` probes/s over good,
   failing and hostile targets, with a slowloris alongside.
7. ``smtpdoctor domain`` beside checkdmarc against one loopback DNS server (127.0.0.153:53)
   with a delay per question, one domain and a ``--domains`` fleet (skipped without checkdmarc).

All traffic stays on 127.0.0.0/8; every command has a time limit.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.domain import (
    checkdmarc_available,
    checkdmarc_venv,
    checkdmarc_version,
    fleet_table,
    measure_fleet,
    measure_single,
    single_table,
)
from bench.matrix_cost import matrix_available, matrix_table, measure_matrix
from bench.peer import Peer, aiosmtpd_peer, postfix_available, postfix_peer
from bench.probe_endpoints import blackbox_version, measure_endpoints
from bench.scale import run_scale, running_fleet, scale_table
from bench.soak import soak, soak_table
from bench.startup import run_startup, startup_table
from bench.tools import CHECK_SMTP, smtpdoctor_bin, transaction_tools
from bench.transaction import PROTOCOL_MINIMUM_ROUND_TRIPS, run_transactions, transaction_table


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--rtts", default="0,20,100", help="round-trip times in ms")
    parser.add_argument("--rounds", type=int, default=11, help="runs per tool and RTT")
    parser.add_argument("--startup-rounds", type=int, default=21)
    parser.add_argument("--matrix-rounds", type=int, default=5)
    parser.add_argument("--fleet", type=int, default=1000, help="loopback servers in the fleet")
    parser.add_argument("--concurrency", default="1,10,100,500")
    parser.add_argument("--peer", choices=("auto", "postfix", "aiosmtpd"), default="auto")
    parser.add_argument("--endpoint-concurrency", default="1,10,50")
    parser.add_argument(
        "--endpoint-probes", type=int, default=10, help="probes per client thread and endpoint"
    )
    parser.add_argument("--endpoint-rounds", type=int, default=5)
    parser.add_argument("--soak-minutes", type=float, default=30.0)
    parser.add_argument("--soak-rate", type=float, default=20.0, help="probes per second")
    parser.add_argument("--slow-clients", type=int, default=300, help="slowloris connections")
    parser.add_argument("--domain-delays", default="0,20,50", help="DNS delays in ms")
    parser.add_argument("--domain-rounds", type=int, default=7)
    parser.add_argument("--domain-fleet", type=int, default=100, help="domains in the fleet")
    parser.add_argument("--domain-fleet-delays", default="0,20", help="DNS delays in ms")
    parser.add_argument(
        "--skip",
        default="",
        help="comma list of: transaction,startup,matrix,scale,endpoints,soak,domain",
    )
    parser.add_argument("--out", type=Path, help="also write the tables to this file")
    return parser.parse_args(argv)


@contextlib.contextmanager
def choose_peer(kind: str, workdir: Path) -> Iterator[Peer]:
    if kind == "postfix" or (kind == "auto" and postfix_available()):
        try:
            with postfix_peer() as peer:
                yield peer
                return
        except RuntimeError as exc:
            if kind == "postfix":
                raise
            print(f"bench: Postfix could not be started, using aiosmtpd ({exc})", file=sys.stderr)
    with aiosmtpd_peer(workdir) as peer:
        yield peer


def versions() -> str:
    def first_line(command: list[str]) -> str:
        try:
            done = subprocess.run(  # noqa: S603 - fixed version commands
                command, capture_output=True, text=True, timeout=30, check=False
            )
        except OSError:
            return "not installed"
        lines = (done.stdout or done.stderr).strip().splitlines()
        return lines[0] if lines else "?"

    return "; ".join(
        [
            first_line([smtpdoctor_bin(), "--version"]),
            first_line(["swaks", "--version"]).replace(" version", ""),
            first_line([CHECK_SMTP, "-V"]),
            blackbox_version(),
            f"Python {platform.python_version()}",
            f"{os.cpu_count()} CPUs, Linux {platform.release()}",
            f"load average {os.getloadavg()[0]:.1f} at the start",
        ]
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # Measure smtpdoctor as installed, with its bytecode cached, even where the calling
    # environment turns that off.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    skip = set(filter(None, args.skip.split(",")))
    rtts = [ms / 1000 for ms in _floats(args.rtts)]
    started = time.monotonic()
    sections: list[str] = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {versions()}."
    ]
    print(sections[0] + "\n", flush=True)

    def emit(title: str, body: str) -> None:
        text = f"### {title}\n\n{body}"
        sections.append(text)
        print(text + "\n", flush=True)

    with tempfile.TemporaryDirectory(prefix="smtpdoctor-bench-") as scratch:
        workdir = Path(scratch)
        if not skip >= {"transaction", "matrix"}:
            with choose_peer(args.peer, workdir) as peer:
                print(f"bench: peer is {peer.description}", file=sys.stderr)
                if "transaction" not in skip:
                    results = run_transactions(
                        peer.endpoint,
                        lambda endpoint: transaction_tools(endpoint, workdir),
                        rtts=rtts,
                        rounds=args.rounds,
                    )
                    failures = [
                        f"{name} at {rtt * 1000:.0f} ms: {failure}"
                        for rtt, per_tool in results.items()
                        for name, samples in per_tool.items()
                        for failure in samples.failures
                    ]
                    body = transaction_table(results)
                    body += (
                        f"\n\nPeer: {peer.description}. {args.rounds} runs per tool and RTT, "
                        "alternating. Protocol minimum: "
                        f"{PROTOCOL_MINIMUM_ROUND_TRIPS} round trips."
                    )
                    if failures:
                        body += "\n\nFailed runs:\n" + "\n".join(
                            f"- {f.replace(peer.endpoint.password, '[redacted]')}" for f in failures
                        )
                    emit("One check: connect, EHLO, STARTTLS, EHLO, AUTH, QUIT", body)
                if "matrix" not in skip:
                    if matrix_available():
                        ports = _matrix_ports(peer)
                        emit(
                            "Port matrix against its slowest probe",
                            matrix_table(measure_matrix(ports, rtts, args.matrix_rounds)),
                        )
                    else:
                        emit("Port matrix", "Not measured: no smtpdoctor.discovery.matrix here.")
        if "startup" not in skip:
            emit("Start-up", startup_table(run_startup(args.startup_rounds)))
        if "scale" not in skip:
            with running_fleet(args.fleet, workdir) as fleet:
                rows = run_scale(fleet, _ints(args.concurrency), workdir)
            emit(
                f"Scale: {args.fleet} loopback servers (STARTTLS, verified, EHLO, QUIT)",
                scale_table(rows),
            )
        if not skip >= {"endpoints", "soak"}:
            # Both need the real Postfix (root, integration/mailserver.sh).
            with postfix_peer() as postfix:
                if "endpoints" not in skip:
                    emit(
                        f"Probe endpoint: {postfix.description}",
                        measure_endpoints(
                            postfix.endpoint,
                            workdir,
                            concurrencies=_ints(args.endpoint_concurrency),
                            probes_per_thread=args.endpoint_probes,
                            rounds=args.endpoint_rounds,
                        ),
                    )
                if "soak" not in skip:
                    result = soak(
                        postfix.endpoint,
                        workdir,
                        minutes=args.soak_minutes,
                        rate=args.soak_rate,
                        slow=args.slow_clients,
                    )
                    emit(
                        f"Soak: {args.soak_minutes:g} minutes at {args.soak_rate:g} probes/s",
                        soak_table(result),
                    )
    if "domain" not in skip:
        if not checkdmarc_available():
            emit(
                "Domain audit beside checkdmarc",
                f"Not measured: checkdmarc is not installed in {checkdmarc_venv()} "
                "(bench/run.sh installs it; or set $SMTPDOCTOR_BENCH_CHECKDMARC to its venv).",
            )
        else:
            delays = [ms / 1000 for ms in _floats(args.domain_delays)]
            emit(
                f"Domain audit beside {checkdmarc_version()}: one domain",
                single_table(measure_single(delays, args.domain_rounds)),
            )
            fleet_delays = [ms / 1000 for ms in _floats(args.domain_fleet_delays)]
            emit(
                f"Domain audit beside checkdmarc: {args.domain_fleet} domains",
                fleet_table(measure_fleet(args.domain_fleet, fleet_delays)),
            )
    sections.append(
        f"Load average at the end: {os.getloadavg()[0]:.1f}; "
        f"the benchmark took {(time.monotonic() - started) / 60:.1f} minutes."
    )
    print(sections[-1])
    if args.out is not None:
        args.out.write_text("\n\n".join(sections) + "\n")
    return 0


def _matrix_ports(peer: Peer) -> list[tuple[int, str]]:
    if peer.description.startswith("Postfix"):
        return [(587, "starttls"), (465, "implicit"), (25, "starttls")]
    return [(peer.endpoint.port, "starttls"), (peer.endpoint.port, "implicit")]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
