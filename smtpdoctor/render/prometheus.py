"""The metrics of one report, in the Prometheus text exposition format.

The same series serve ``smtpdoctor serve``'s ``/probe`` endpoint and ``check --format
prometheus`` (for node_exporter's textfile collector).  The ``probe_*`` names are
blackbox_exporter's, so its dashboards and alerts carry over; the ``smtpdoctor_*`` names add
what only smtpdoctor knows: each check's status, time and reply code, the findings, the
login, the certificate's days left and the delivery latency.

Every value comes from the report (its rows' ``details``); a value the report does not hold
is left out rather than guessed.  Label values are made safe as in every other format
(:func:`~smtpdoctor.protocol.safetext.safe_text`), then escaped by ``prometheus_client``.
``prometheus_client`` is imported only when metrics are made: it loads sockets and TLS,
which a renderer must not (``smtpdoctor check`` in another format never pays for it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from smtpdoctor.model.results import CheckResult, DetailValue, Report, Status
from smtpdoctor.model.words import ExitCode
from smtpdoctor.protocol.safetext import safe_text

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from smtpdoctor.core.hooks import RenderOptions

__all__ = ["probe_metrics", "render_prometheus", "render_prometheus_failure"]

#: The exit codes of a run that found no failure: ``probe_success`` is 1 for them.
_SUCCESSFUL = frozenset({ExitCode.OK, ExitCode.WARNING})
#: Rows that name a finding in ``smtpdoctor_finding_info``.
_PROBLEMS = (Status.WARN, Status.FAIL, Status.ERROR)


def render_prometheus(report: Report, options: RenderOptions | None = None) -> str:
    """``report`` as Prometheus text exposition (format 0.0.4), ending in a newline.

    :param options: accepted so that this is a renderer (``--format prometheus``); the
        exposition has no colours, width or transcript, so nothing in them changes it.
    """
    return _exposition(probe_metrics(report))


def render_prometheus_failure(duration: float | None = None) -> str:
    """The exposition of a run that could not be carried out (a usage error, a broken
    plugin, a bug, no free slot in time): ``probe_success 0`` and
    ``smtpdoctor_probe_exit_code 3`` — and ``probe_duration_seconds`` when ``duration`` is
    given — so that a textfile collector or a scrape reads a failure rather than the last
    good run."""
    from prometheus_client.core import GaugeMetricFamily

    metrics = [
        GaugeMetricFamily("probe_success", _HELP["probe_success"], value=0),
        GaugeMetricFamily(
            "smtpdoctor_probe_exit_code",
            _HELP["smtpdoctor_probe_exit_code"],
            value=int(ExitCode.UNKNOWN),
        ),
    ]
    if duration is not None:
        metrics.append(
            GaugeMetricFamily(
                "probe_duration_seconds", _HELP["probe_duration_seconds"], value=duration
            )
        )
    return _exposition(metrics)


def probe_metrics(report: Report) -> list[Metric]:
    """The metric families of one run, as ``prometheus_client`` collectors yield them."""
    from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

    def gauge(name: str, value: float) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, _HELP[name], value=value)

    tcp = _details(report, "tcp", Status.PASS)
    tls = _details(report, "tls", Status.PASS, Status.WARN)
    certificate = _details(report, "certificate")
    metrics: list[Metric] = [
        gauge("probe_success", int(report.exit_code in _SUCCESSFUL)),
        gauge("probe_duration_seconds", report.duration),
    ]
    dns_seconds = _number(tcp, "dns_seconds")
    if dns_seconds is not None:
        metrics.append(gauge("probe_dns_lookup_time_seconds", dns_seconds))
    metrics.append(gauge("probe_ip_protocol", _number(tcp, "family") or 0))
    expiry = _number(certificate, "chain_not_after_unix")
    if expiry is not None:
        metrics.append(gauge("probe_ssl_earliest_cert_expiry", expiry))
    version = tls.get("version")
    if isinstance(version, str):
        tls_version = InfoMetricFamily("probe_tls_version", _HELP["probe_tls_version_info"])
        tls_version.add_metric([], {"version": safe_text(blackbox_tls_version(version))})
        metrics.append(tls_version)
    metrics.append(gauge("smtpdoctor_probe_exit_code", int(report.exit_code)))
    metrics += _per_check(report)
    login = _login_succeeded(report.result("auth"))
    if login is not None:
        metrics.append(gauge("smtpdoctor_auth_success", int(login)))
    days_left = _number(certificate, "days_left")
    if days_left is not None:
        metrics.append(gauge("smtpdoctor_cert_days_left", days_left))
    latency = _number(_details(report, "delivery", Status.PASS), "latency_seconds")
    if latency is not None:
        metrics.append(gauge("smtpdoctor_delivery_latency_seconds", latency))
    probe = InfoMetricFamily("smtpdoctor_probe", _HELP["smtpdoctor_probe_info"])
    probe.add_metric(
        [],
        {
            "host": safe_text(report.target.host),
            "port": str(report.target.port),
            "tls": str(report.target.tls_mode),
            "provider": safe_text(report.provider or ""),
        },
    )
    metrics.append(probe)
    return metrics


def blackbox_tls_version(version: str) -> str:
    """OpenSSL's protocol name as blackbox_exporter (Go's ``tls.VersionName``) labels it:
    ``TLSv1.3`` → ``TLS 1.3``, ``TLSv1`` → ``TLS 1.0``; anything else unchanged."""
    if version == "TLSv1":
        return "TLS 1.0"
    if version.startswith("TLSv1."):
        return "TLS " + version.removeprefix("TLSv")
    return version


def _per_check(report: Report) -> list[Metric]:
    from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

    status = GaugeMetricFamily(
        "smtpdoctor_check_status", _HELP["smtpdoctor_check_status"], labels=["check", "status"]
    )
    duration = GaugeMetricFamily(
        "smtpdoctor_check_duration_seconds",
        _HELP["smtpdoctor_check_duration_seconds"],
        labels=["check"],
    )
    reply_code = GaugeMetricFamily(
        "smtpdoctor_check_reply_code", _HELP["smtpdoctor_check_reply_code"], labels=["check"]
    )
    finding = InfoMetricFamily(
        "smtpdoctor_finding", _HELP["smtpdoctor_finding_info"], labels=["check", "finding"]
    )
    for result in report.results:
        for each in Status:
            status.add_metric([result.check_id, each.value], int(result.status is each))
        if result.status is not Status.SKIP:
            duration.add_metric([result.check_id], result.duration)
        if result.outcome.reply_code is not None:
            reply_code.add_metric([result.check_id], result.outcome.reply_code)
        if result.status in _PROBLEMS and result.outcome.finding is not None:
            finding.add_metric(
                [result.check_id, safe_text(result.outcome.finding)],
                {"status": result.status.value},
            )
    return [family for family in (status, duration, reply_code, finding) if family.samples]


def _login_succeeded(auth: CheckResult | None) -> bool | None:
    """Whether the login worked; ``None`` when none was tried (no ``--user``, nothing
    offered, refused in clear): the ``auth`` row names a ``mechanism`` only when it tried."""
    if auth is None or "mechanism" not in auth.outcome.details:
        return None
    return auth.status is Status.PASS


def _details(report: Report, check_id: str, *statuses: Status) -> Mapping[str, DetailValue]:
    """The details of ``check_id``'s row, when it is in the report (with one of ``statuses``,
    if any are given); else nothing."""
    result = report.result(check_id)
    if result is None or (statuses and result.status not in statuses):
        return {}
    return result.outcome.details


def _number(details: Mapping[str, DetailValue], key: str) -> float | None:
    value = details.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _exposition(metrics: Sequence[Metric]) -> str:
    """The text format of ``metrics``, through a throw-away registry (no global state)."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(metrics))
    return generate_latest(registry).decode("utf-8")


class _Fixed:
    """A collector that yields the metrics it was made with."""

    def __init__(self, metrics: Sequence[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        """The metrics, as the registry asks for them."""
        return iter(self._metrics)


#: What each series means, for the ``# HELP`` lines: a reader of the exposition alone
#: should know what the number is and when it is absent.
_HELP = {
    "probe_success": (
        "1 when no check failed (smtpdoctor exit code 0 or 1: no FAIL or ERROR row), 0 otherwise"
    ),
    "probe_duration_seconds": (
        "Seconds the whole run took, finding the server and probing ports included"
    ),
    "probe_dns_lookup_time_seconds": (
        "Seconds resolving the server's name took (0 for an IP address); absent when the "
        "connection failed"
    ),
    "probe_ip_protocol": "IP version of the connection: 4 or 6; 0 when none was made",
    "probe_ssl_earliest_cert_expiry": (
        "Unix time of the earliest notAfter in the certificate chain the server presented; "
        "absent without TLS"
    ),
    "probe_tls_version_info": (
        "The negotiated TLS version, as a label (TLS 1.2, TLS 1.3); absent without TLS"
    ),
    "smtpdoctor_probe_exit_code": (
        "smtpdoctor's exit code: 0 all passed, 1 warnings, 2 a check failed, 3 could not run "
        "or a check broke"
    ),
    "smtpdoctor_check_status": (
        "1 for each check's status (pass, info, skip, warn, fail, error), 0 for the others"
    ),
    "smtpdoctor_check_duration_seconds": "Seconds each check took; absent for skipped checks",
    "smtpdoctor_check_reply_code": "The SMTP reply code that decided a check, when one did",
    "smtpdoctor_finding_info": (
        "1 for each warn, fail or error row with a finding id (see docs/checks.md for what "
        "each finding means and what to do)"
    ),
    "smtpdoctor_auth_success": (
        "1 when the login worked, 0 when it failed; absent when none was tried"
    ),
    "smtpdoctor_cert_days_left": (
        "Whole days until the server certificate expires (negative once expired)"
    ),
    "smtpdoctor_delivery_latency_seconds": (
        "Seconds from sending the test message to finding it in the mailbox over IMAP; absent "
        "unless delivery passed"
    ),
    "smtpdoctor_probe_info": (
        "1, labelled with the target host, port, TLS mode and recognised provider"
    ),
}
