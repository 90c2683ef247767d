"""Running a command and measuring it: wall time, exit status, and peak memory of its process
tree (sampled from /proc, so a fleet of ``xargs -P`` children is summed)."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
#: Every command gets this long at most; the benchmark never waits without bound.
COMMAND_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class Run:
    """One command run."""

    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_rss_kb: int = 0
    """Largest sum of the resident memory of the command and all its descendants seen."""


def timed(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Run:
    """Run ``command`` to completion and time it from start to exit."""
    started = time.perf_counter()
    try:
        done = subprocess.run(  # noqa: S603 - the benchmark's own fixed commands
            list(command),
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return Run(time.perf_counter() - started, -1, "", f"timed out after {exc.timeout} s")
    return Run(time.perf_counter() - started, done.returncode, done.stdout, done.stderr)


def with_memory(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout_path: Path | None = None,
    interval: float = 0.2,
    timeout: float = COMMAND_TIMEOUT,
) -> Run:
    """Run ``command`` in its own session and sample the summed RSS of that session."""
    out = stdout_path.open("w") if stdout_path is not None else subprocess.DEVNULL
    started = time.perf_counter()
    try:
        process = subprocess.Popen(  # noqa: S603 - the benchmark's own fixed commands
            list(command),
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        peak = [0]
        finished = threading.Event()
        sampler = threading.Thread(
            target=_sample, args=(process.pid, peak, finished, interval), daemon=True
        )
        sampler.start()
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            _, stderr = process.communicate()
            stderr = f"timed out after {timeout} s\n{stderr}"
        seconds = time.perf_counter() - started
        finished.set()
        sampler.join()
    finally:
        if stdout_path is not None and not isinstance(out, int):
            out.close()
    return Run(seconds, process.returncode, "", stderr, peak_rss_kb=peak[0])


def _sample(session: int, peak: list[int], finished: threading.Event, interval: float) -> None:
    while not finished.is_set():
        peak[0] = max(peak[0], _session_rss_kb(session))
        finished.wait(interval)


def _session_rss_kb(session: int) -> int:
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            # Fields after the command name (which may hold spaces) start after the last ')'.
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) != session:  # field 6: session id
                continue
            total += int(fields[21]) * PAGE_KB  # field 24: rss in pages
        except (OSError, ValueError, IndexError):
            continue
    return total


def readline_within(process: subprocess.Popen[str], timeout: float) -> str:
    """The next line ``process`` prints, or ``""`` when none comes within ``timeout`` seconds
    (a child that hangs while starting must not hang the benchmark)."""
    import selectors

    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline()


def median_ms(values: Sequence[float]) -> float:
    """The median of ``values`` (seconds) in milliseconds."""
    return statistics.median(values) * 1000 if values else float("nan")
