"""Running a probe endpoint (blackbox_exporter, ``smtpdoctor serve``) for the benchmarks and
watching it from outside: its CPU time, resident memory and open file descriptors, read from
/proc, and plain HTTP GETs with a time limit.

Every address is on 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: How long an exporter may take to answer its first request.
START_TIMEOUT = 60.0
#: How long an exporter gets to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Exporter:
    """A running probe endpoint: its process and where it listens."""

    name: str
    pid: int
    port: int
    host: str = "127.0.0.1"

    def probe_path(self, target: str, module: str) -> str:
        """The request path of one probe."""
        return "/probe?" + urlencode({"target": target, "module": module})


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, or why there was none (``status`` 0 and ``error`` set)."""

    status: int
    body: str
    seconds: float
    error: str = ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(
    port: int,
    path: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
) -> Answer:
    """``GET http://127.0.0.1:PORT/PATH`` on a new connection, timed from connect to the last
    byte of the body; failures come back as an :class:`Answer` with ``error`` set."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, headers=dict(headers or {}))
        response = connection.getresponse()
        body = response.read().decode("utf-8", errors="replace")
        return Answer(response.status, body, time.perf_counter() - started)
    except TimeoutError:
        return Answer(0, "", time.perf_counter() - started, "timeout")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, "", time.perf_counter() - started, type(exc).__name__)
    finally:
        connection.close()


def probe_succeeded(answer: Answer) -> bool:
    """Whether a /probe answer says ``probe_success 1`` (or ``1.0``)."""
    return answer.status == 200 and any(
        sample_value(line, "probe_success") == 1.0 for line in answer.body.splitlines()
    )


def sample_value(line: str, name: str) -> float | None:
    """The value of the exposition line ``NAME VALUE`` (``probe_success 1.0``), else None."""
    words = line.split()
    if len(words) != 2 or words[0] != name:
        return None
    try:
        return float(words[1])
    except ValueError:
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and of its children it has waited for (seconds)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields after the command name (which may hold spaces) start after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])  # fields 14-17
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


def children_cpu_seconds() -> float:
    """User + system CPU time of this process's children that have been waited for."""
    times = os.times()
    return times.children_user + times.children_system


def rss_kib(pid: int) -> int:
    """``VmRSS`` of ``pid`` in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    """How many file descriptors ``pid`` has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


@contextlib.contextmanager
def running(
    name: str,
    command: Sequence[str],
    port: int,
    *,
    ready_path: str,
    log: Path,
    env: Mapping[str, str] | None = None,
) -> Iterator[Exporter]:
    """Start ``command`` (which listens on ``port``), wait until ``GET ready_path`` answers
    200, yield it, and stop it with SIGTERM (SIGKILL after :data:`STOP_TIMEOUT`)."""
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - the benchmark's own fixed commands
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}:\n{log.read_text()[-2000:]}"
                )
            if get(port, ready_path, timeout=2.0).status == 200:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer {ready_path} in {START_TIMEOUT} s")
            time.sleep(0.1)
        yield Exporter(name, process.pid, port)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
