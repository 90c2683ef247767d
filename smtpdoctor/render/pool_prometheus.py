"""A pool survey as Prometheus metrics: every member's series with an ``address`` label, and
the survey's own.

Each member's series are exactly those of one run (:func:`~smtpdoctor.render.prometheus.
probe_metrics`: ``probe_success``, ``smtpdoctor_check_status``, the certificate's days left,
…), each sample labelled with the member's ``address``, so a dashboard or an alert for one
server works per member (``probe_success{address="192.0.2.3"} == 0``).  The survey adds
``smtpdoctor_pool_*``: the addresses found and checked, the differences and the exit code.
``prometheus_client`` is imported only here, when metrics are made.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from smtpdoctor.pool import PoolReport
from smtpdoctor.protocol.safetext import safe_text
from smtpdoctor.render.prometheus import probe_metrics

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

__all__ = ["pool_metrics", "render_pool_prometheus"]

#: The label that tells the members' samples apart.
ADDRESS_LABEL = "address"


def render_pool_prometheus(pool: PoolReport) -> str:
    """``pool`` as Prometheus text exposition (format 0.0.4), ending in a newline."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(pool_metrics(pool)))
    return generate_latest(registry).decode("utf-8")


def pool_metrics(pool: PoolReport) -> list[Metric]:
    """The members' metric families, one per name with an ``address`` label on every sample,
    then the survey's."""
    from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
    from prometheus_client.metrics_core import Metric

    merged: dict[str, Metric] = {}
    for member in pool.members:
        for family in probe_metrics(member.report):
            into = merged.get(family.name)
            if into is None:
                into = Metric(family.name, family.documentation, family.type, family.unit)
                merged[family.name] = into
            for sample in family.samples:
                labels = {ADDRESS_LABEL: member.address, **sample.labels}
                into.add_sample(sample.name, labels, sample.value)

    def gauge(name: str, value: float) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, _HELP[name], value=value)

    survey: list[Metric] = [
        gauge("smtpdoctor_pool_addresses", pool.addresses),
        gauge("smtpdoctor_pool_members_checked", len(pool.members)),
        gauge("smtpdoctor_pool_differences", len(pool.problems)),
        gauge("smtpdoctor_pool_exit_code", int(pool.exit_code)),
        gauge("smtpdoctor_pool_duration_seconds", pool.duration),
    ]
    difference = InfoMetricFamily(
        "smtpdoctor_pool_difference", _HELP["smtpdoctor_pool_difference_info"], labels=["finding"]
    )
    for row in pool.problems:
        if row.outcome.finding is not None:
            difference.add_metric([safe_text(row.outcome.finding)], {"status": row.status.value})
    if difference.samples:
        survey.append(difference)
    return [*merged.values(), *survey]


class _Fixed:
    """A collector that yields the metrics it was made with."""

    def __init__(self, metrics: Sequence[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        """The metrics, as the registry asks for them."""
        return iter(self._metrics)


_HELP = {
    "smtpdoctor_pool_addresses": (
        "Addresses the server's name has, of the IP versions asked for (checked or not)"
    ),
    "smtpdoctor_pool_members_checked": (
        "Addresses checked; the others were over the member limit or the survey's deadline"
    ),
    "smtpdoctor_pool_differences": (
        "Attributes the members differ on (reachability, STARTTLS, TLS version, certificate, "
        "AUTH, verdicts): 0 when they agree"
    ),
    "smtpdoctor_pool_exit_code": (
        "smtpdoctor's exit code for the whole survey: the worst of the members' and the "
        "differences'"
    ),
    "smtpdoctor_pool_duration_seconds": "Seconds the whole survey took, every member included",
    "smtpdoctor_pool_difference_info": (
        "1 for each pool.* finding: an attribute on which the members differ"
    ),
}
