"""``RunConfig.address``: a run connects to one chosen address of the name instead of
resolving it — and still verifies the certificate for the name, greets and reports as the
name.  It is how a survey checks each member."""

from __future__ import annotations

from dataclasses import replace

import pytest

from smtpdoctor.api import Doctor, Request
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import ConfigError
from smtpdoctor.settings.config import RunConfig

from tests.pool.poolkit import PoolLab


def test_a_run_pinned_to_an_address_connects_there_without_asking_dns(
    lab: PoolLab, doctor: Doctor
) -> None:
    # no --dns-server: the system's resolver does not know pool.test, and is not asked
    request = Request(
        f"pool.test:{lab.port}",
        ca_data=lab.certificates.ca_pem,
        plugins=PluginSelection(autoload=False),
    )
    plan = doctor.plan(request)
    before = lab.connections("127.0.0.7")

    report = doctor.run(replace(plan, config=replace(plan.config, address="127.0.0.7")))

    tcp, certificate = report.result("tcp"), report.result("certificate")
    assert tcp is not None and tcp.status is Status.PASS
    assert tcp.summary.startswith(f"connected to 127.0.0.7 (IPv4) port {lab.port} in ")
    assert certificate is not None and certificate.summary.startswith("valid for pool.test")
    assert report.target.host == "pool.test"
    assert lab.connections("127.0.0.7") == before + 1


def test_the_pinned_address_must_be_an_ip_address() -> None:
    with pytest.raises(
        ConfigError, match=r"'mx2\.example\.com' is not an IP address to connect to"
    ):
        RunConfig(host="mx.example.com", address="mx2.example.com")


def test_the_pinned_address_must_be_of_the_ip_version_the_run_is_limited_to() -> None:
    with pytest.raises(
        ConfigError, match=r"::1 is an IPv6 address, but the run is limited to IPv4"
    ):
        RunConfig(host="mx.example.com", address="::1", family=4)
