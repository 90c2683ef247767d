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

from smtpdoctor.scan.engine import (
    Place,
    Resolve,
    ResultCallback,
    RunTarget,
    Scanner,
    ScanOptions,
    pipeline_runner,
    place_target,
    resolve_address,
)
from smtpdoctor.scan.records import (
    RECORD_SCHEMA,
    RECORD_SCHEMA_VERSION,
    ScanResult,
    ScanTally,
    completed_targets,
    is_throttled,
)
from smtpdoctor.scan.targets import (
    SHARD_INDEX_VARIABLE,
    BadLine,
    ScanInputError,
    ScanTarget,
    Shard,
    TargetList,
    parse_targets,
)

__all__ = [
    "RECORD_SCHEMA",
    "RECORD_SCHEMA_VERSION",
    "SHARD_INDEX_VARIABLE",
    "BadLine",
    "Place",
    "Resolve",
    "ResultCallback",
    "RunTarget",
    "ScanInputError",
    "ScanOptions",
    "ScanResult",
    "ScanTally",
    "ScanTarget",
    "Scanner",
    "Shard",
    "TargetList",
    "completed_targets",
    "is_throttled",
    "parse_targets",
    "pipeline_runner",
    "place_target",
    "resolve_address",
]
