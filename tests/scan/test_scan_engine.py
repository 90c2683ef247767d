"""The fleet engine against real servers on loopback: concurrency, politeness, retries."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from smtpdoctor.api import Doctor, Plan, Request
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.model.results import CheckResult, Outcome, Report, Status, Target
from smtpdoctor.model.words import ConfigError, ExitCode, TLSMode
from smtpdoctor.scan import (
    Scanner,
    ScanOptions,
    ScanResult,
    ScanTarget,
    parse_targets,
    pipeline_runner,
)
from smtpdoctor.settings.config import RunConfig

from tests.scan.fleetkit import plain_template, running_fleet, scan_all


def by_target(results: list[ScanResult]) -> dict[str, ScanResult]:
    return {result.target.key: result for result in results}


def outcome_of(result: ScanResult) -> tuple[str, int, bool, tuple[str, ...]]:
    """What a result says, without timings: verdict, attempts, throttled, problem findings."""
    assert result.report is not None
    findings = tuple(
        str(row.outcome.finding) for row in result.report.results if row.status.is_problem
    )
    return result.exit_code.name, result.attempts, result.throttled, findings


def test_every_target_gets_exactly_one_result() -> None:
    with running_fleet() as fleet:
        servers = [fleet.start(f"127.0.0.{n}") for n in range(2, 8)]

        results = scan_all([s.scan_target for s in servers], concurrency=3)

    assert sorted(r.target.key for r in results) == sorted(s.target for s in servers)
    assert all(r.exit_code is ExitCode.OK for r in results)
    assert [s.connections for s in servers] == [1] * len(servers)


def test_results_do_not_depend_on_the_order_of_the_list_or_the_concurrency() -> None:
    with running_fleet() as fleet:
        targets = [
            fleet.start("127.0.0.2").scan_target,
            fleet.start("127.0.0.3", throttle_first=1).scan_target,
            fleet.start("127.0.0.4", silent=True).scan_target,
            fleet.start("127.0.0.5").scan_target,
            ScanTarget("127.0.0.6", 1),  # nothing listens on port 1: refused
        ]

        forward = by_target(scan_all(targets, concurrency=5, timeout=1.0))
        for server in fleet.servers:  # the throttling one refuses its next first try too
            server.throttle_first += server.connections
        backward = by_target(scan_all(targets[::-1], concurrency=1, timeout=1.0))

    assert forward.keys() == backward.keys() == {t.key for t in targets}
    for key in forward:
        assert outcome_of(forward[key]) == outcome_of(backward[key]), key
    assert outcome_of(forward["127.0.0.4:" + str(targets[2].port)])[3] == ("greeting.silent",)
    assert outcome_of(forward["127.0.0.6:1"])[3] == ("tcp.refused",)


def test_targets_on_different_servers_are_checked_at_the_same_time() -> None:
    barrier = threading.Barrier(3)
    with running_fleet() as fleet:
        servers = [fleet.start(f"127.0.0.{n}", barrier=barrier) for n in (2, 3, 4)]

        results = scan_all([s.scan_target for s in servers], concurrency=3)

        # Each server greets only once all three are connected (or its hang guard expires).
        assert not barrier.broken
        assert fleet.gauge.peak_total == 3
    assert all(r.exit_code is ExitCode.OK for r in results)


def test_one_server_address_gets_one_connection_at_a_time() -> None:
    with running_fleet() as fleet:
        same_address = [fleet.start("127.0.0.1") for _ in range(4)]
        elsewhere = [fleet.start(f"127.0.0.{n}") for n in (2, 3)]

        results = scan_all([s.scan_target for s in same_address + elsewhere], concurrency=6)

        assert len(results) == 6
        assert fleet.gauge.peak_by_address["127.0.0.1"] == 1


def test_a_throttling_server_is_retried_later_and_then_passes() -> None:
    with running_fleet() as fleet:
        throttling = fleet.start("127.0.0.2", throttle_first=2)

        (result,) = scan_all([throttling.scan_target], retries=2)

        assert throttling.connections == 3
    assert result.exit_code is ExitCode.OK
    assert result.attempts == 3
    assert not result.throttled


def test_a_server_that_keeps_throttling_is_given_up_on_and_says_so() -> None:
    with running_fleet() as fleet:
        throttling = fleet.start("127.0.0.2", throttle_first=100)

        (result,) = scan_all([throttling.scan_target], retries=1)

        assert throttling.connections == 2
    assert result.throttled
    assert result.attempts == 2
    assert result.exit_code is ExitCode.CRITICAL
    assert result.report is not None
    greeting = result.report.result("greeting")
    assert greeting is not None
    assert greeting.outcome.reply_code == 421


def test_while_a_server_throttles_the_others_go_on() -> None:
    with running_fleet() as fleet:
        throttling = fleet.start("127.0.0.2", throttle_first=1)
        others = [fleet.start(f"127.0.0.{n}") for n in (3, 4, 5)]

        results = scan_all(
            [throttling.scan_target] + [s.scan_target for s in others],
            concurrency=1,
            retry_delay=2.0,
        )

    assert [r.target.host for r in results] == ["127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.2"]
    assert results[-1].exit_code is ExitCode.OK


def test_a_dead_server_does_not_stall_the_rest() -> None:
    with running_fleet() as fleet:
        dead = fleet.start("127.0.0.2", silent=True)
        alive = [fleet.start(f"127.0.0.{n}") for n in (3, 4, 5, 6)]

        results = scan_all(
            [dead.scan_target] + [s.scan_target for s in alive], concurrency=2, timeout=2.0
        )

    assert [r.target.host for r in results][-1] == "127.0.0.2"
    assert all(r.exit_code is ExitCode.OK for r in results[:-1])
    assert outcome_of(results[-1])[3] == ("greeting.silent",)


def test_addresses_are_checked_at_the_server_they_lead_to_one_connection_at_a_time() -> None:
    with running_fleet() as fleet:
        server = fleet.start("127.0.0.2")
        looked_up: list[str] = []

        def place(target: ScanTarget, template: Request) -> Plan:
            """Stands in for the provider table and DNS: every mailbox lives on ``server``."""
            looked_up.append(target.key)
            config = RunConfig(
                host=server.host, port=server.port, tls=template.tls, timeout=template.timeout
            )
            return Plan(template, config)

        targets = parse_targets(["alice@corp.test", "bob@corp.test", "carol@corp.test"]).targets
        results = scan_all(list(targets), concurrency=3, place=place)

        assert fleet.gauge.peak_by_address["127.0.0.2"] == 1
        assert server.connections == 3
    assert sorted(looked_up) == ["alice@corp.test", "bob@corp.test", "carol@corp.test"]
    assert sorted(r.target.key for r in results) == sorted(looked_up)
    assert {r.address for r in results} == {"127.0.0.2"}
    assert all(r.exit_code is ExitCode.OK for r in results)


def test_a_target_that_leads_nowhere_is_reported_without_a_connection() -> None:
    def place(target: ScanTarget, template: Request) -> Plan:
        raise ConfigError(f"{target.key}: the provider wants OAuth, not a server check")

    (result,) = scan_all([ScanTarget("corp.test", None, "alice@corp.test")], place=place)

    assert result.report is None
    assert result.exit_code is ExitCode.UNKNOWN
    assert result.error == "alice@corp.test: the provider wants OAuth, not a server check"
    assert result.to_record()["status"] == "unknown"


def test_a_crash_while_checking_one_target_is_its_result_and_the_rest_go_on() -> None:
    real = pipeline_runner(Doctor(PluginSelection(autoload=False)))

    def run_target(plan: Plan) -> Report:
        if plan.host == "127.0.0.2":
            raise RuntimeError("a plugin fell over")
        return real(plan)

    with running_fleet() as fleet:
        broken, fine = fleet.start("127.0.0.2"), fleet.start("127.0.0.3")
        results: list[ScanResult] = []
        options = ScanOptions(template=plain_template(), concurrency=2)
        Scanner(options, run_target).run([broken.scan_target, fine.scan_target], results.append)

    outcome = by_target(results)
    assert outcome[fine.target].exit_code is ExitCode.OK
    crashed = outcome[broken.target]
    assert crashed.report is None
    assert crashed.exit_code is ExitCode.UNKNOWN
    assert crashed.error == "internal error (RuntimeError: a plugin fell over); please report it"


@pytest.mark.timeout(60)  # a hang guard: before the fix the last pause was 0.005 s * 2**29
def test_many_targets_on_one_throttling_server_do_not_double_its_pause_without_end() -> None:
    """Each target backs off from its own attempts: retry_delay, then twice that.  The pause
    once doubled for every throttled attempt at the address, of any target, so 15 targets
    with 2 retries each meant a last pause of 2**29 times the first."""
    attempts: list[str] = []

    def throttled(plan: Plan) -> Report:
        config = plan.config
        attempts.append(f"{config.host}:{config.port}")
        greeting = CheckResult(
            "greeting", "Greeting", Outcome(Status.FAIL, "421 try later", reply_code=421)
        )
        return Report(
            Target(config.host, config.port, TLSMode.STARTTLS),
            (greeting,),
            datetime.now(UTC),
            0.0,
            "test",
        )

    targets = [ScanTarget("mx.example.test", port) for port in range(2500, 2515)]
    results: list[ScanResult] = []
    options = ScanOptions(template=plain_template(), retries=2, retry_delay=0.005)
    Scanner(options, throttled, resolve=lambda config: "192.0.2.1").run(targets, results.append)

    assert len(attempts) == 3 * len(targets)
    assert sorted(r.target.key for r in results) == sorted(t.key for t in targets)
    assert all(r.throttled and r.attempts == 3 for r in results)
