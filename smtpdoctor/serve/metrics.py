"""The server's own metrics (``GET /metrics``), in a registry of their own.

Each :class:`ServeMetrics` has its own :class:`prometheus_client.CollectorRegistry` — never
the library's global one — so two servers in one process (tests do that) count apart.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: The content type of the Prometheus text format, version 0.0.4.
EXPOSITION_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: The results a probe is counted under.
RESULTS = ("success", "failure", "rejected", "overloaded")

#: Probe durations, in seconds: from a fast local server to a slow deadline.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ServeMetrics:
    """Probes by module and result, probes in flight, probe durations, and how the last
    configuration reload went.

    A probe refused before it had a module (an unknown module name) is counted with
    ``module=""``: a label value taken from a request could otherwise grow the series
    without bound.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._probes = Counter(
            "smtpdoctor_serve_probes",
            "Probes answered, by module and result (success, failure, rejected, overloaded).",
            ["module", "result"],
            registry=self.registry,
        )
        self._in_flight = Gauge(
            "smtpdoctor_serve_probes_in_flight",
            "Probes admitted and not yet answered (running or waiting for a slot).",
            registry=self.registry,
        )
        self._duration = Histogram(
            "smtpdoctor_serve_probe_duration_seconds",
            "Seconds a probe took, waiting for a slot included.",
            ["module"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self._reload_ok = Gauge(
            "smtpdoctor_serve_config_last_reload_successful",
            "1 when the last configuration (re)load succeeded, 0 when it failed.",
            registry=self.registry,
        )
        self._reload_at = Gauge(
            "smtpdoctor_serve_config_last_reload_success_timestamp_seconds",
            "Unix time of the last successful configuration (re)load.",
            registry=self.registry,
        )

    def count(self, module: str, result: str) -> None:
        """Count one probe of ``module`` that ended in ``result`` (one of :data:`RESULTS`)."""
        if result not in RESULTS:
            raise ValueError(f"not a probe result: {result!r}")
        self._probes.labels(module=module, result=result).inc()

    def observe(self, module: str, seconds: float) -> None:
        """Record how long a probe of ``module`` took."""
        self._duration.labels(module=module).observe(seconds)

    def admitted(self) -> None:
        """A probe was admitted: one more in flight."""
        self._in_flight.inc()

    def finished(self) -> None:
        """An admitted probe was answered: one fewer in flight."""
        self._in_flight.dec()

    def reloaded(self, *, ok: bool, at: float) -> None:
        """Record a configuration (re)load at Unix time ``at`` that succeeded or failed."""
        self._reload_ok.set(1 if ok else 0)
        if ok:
            self._reload_at.set(at)

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)
