"""Start-up time: how long the commands take that do no network work at all."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.measure import median_ms, timed
from bench.tools import smtpdoctor_bin

REFERENCE = "swaks --version"
#: The dependencies the product card fixes and a check cannot do without, imported by the
#: same Python with nothing of smtpdoctor: the floor under any ``smtpdoctor check``.
FLOOR_IMPORTS = "import typer.main, ssl, cryptography.x509, pluggy"


def startup_commands() -> dict[str, list[str]]:
    """The commands compared, by label."""
    smtpdoctor = smtpdoctor_bin()
    beside = Path(smtpdoctor).with_name("python")
    python = str(beside) if beside.exists() else sys.executable
    return {
        "smtpdoctor --version": [smtpdoctor, "--version"],
        "smtpdoctor --help": [smtpdoctor, "--help"],
        "python -c pass": [python, "-c", "pass"],
        f'python -c "{FLOOR_IMPORTS}"': [python, "-c", FLOOR_IMPORTS],
        REFERENCE: ["swaks", "--version"],
    }


def run_startup(rounds: int) -> dict[str, list[float]]:
    """Each command ``rounds`` times, alternating; the wall times of the successful runs."""
    commands = startup_commands()
    times: dict[str, list[float]] = {label: [] for label in commands}
    labels = list(commands)
    for label in labels:  # warm-up, not counted
        timed(commands[label])
    for round_number in range(rounds):
        shift = round_number % len(labels)
        for label in [*labels[shift:], *labels[:shift]]:
            run = timed(commands[label])
            if run.returncode == 0:
                times[label].append(run.seconds)
    return times


def startup_table(times: dict[str, list[float]], budget_ms: float = 100.0) -> str:
    """Median start-up per command and its ratio to ``swaks --version``."""
    reference = median_ms(times[REFERENCE])
    lines = ["| command | median | / swaks --version | runs |", "|---|---:|---:|---:|"]
    for label, values in times.items():
        median = median_ms(values)
        note = " (target < 100 ms)" if label == "smtpdoctor --version" else ""
        verdict = ""
        if note:
            verdict = " ✔" if median < budget_ms else " ✘"
        lines.append(
            f"| `{label}`{note} | {median:.0f} ms{verdict} | {median / reference:.2f} "
            f"| {len(values)} |"
        )
    return "\n".join(lines)
