"""A port that times out on a machine whose cloud blocks it: the ``tcp`` row and the port
matrix say which cloud and which policy, and the hint says what to do there.

The peer is real: a loopback port whose accept queue is full, so connection attempts get no
answer at all, as behind a cloud's firewall that drops them.  Port 25 itself cannot be bound
in a test, so each cloud's policy for port 25 is given for that loopback port instead.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from smtpdoctor.checks.tcp import CLOUD_BLOCKED, TCPConnect
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.discovery.environment import CLOUDS, Cloud, detect_environment
from smtpdoctor.discovery.matrix import Verdict, run_matrix
from smtpdoctor.model.environment import Environment
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import Endpoint, TLSMode
from smtpdoctor.settings.config import RunConfig

from tests.checks.checkkit import MakeServer, RunCheck, hint_titles, row, unresponsive_port

FIXTURES = Path(__file__).parent / "fixtures"
HANG_GUARD = 30


def on_port(tree: str, port: int) -> Environment:
    """The environment of the fixture machine ``tree``, its cloud's port-25 policy moved to
    ``port`` (the loopback port standing in for 25)."""
    environment = detect_environment(FIXTURES / tree)
    assert environment is not None
    policy = environment.policy_for(25)
    assert policy is not None
    return replace(environment, outbound_policy=(replace(policy, port=port),))


@pytest.mark.timeout(HANG_GUARD)
def test_a_timeout_on_a_port_google_cloud_blocks_names_the_cloud_and_its_policy(
    run_check: RunCheck,
) -> None:
    with unresponsive_port() as port:
        report = run_check(
            ("127.0.0.1", port), password=None, timeout=1.0, environment=on_port("gce", port)
        )

    result = row(report, "tcp")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tcp.blocked-by-gce"
    assert result.summary == (
        f"no answer from 127.0.0.1 on port {port} before the timeout: this machine runs on "
        f"Google Compute Engine, which blocks outgoing port {port}"
    )
    assert result.outcome.details["environment"] == "gce"
    assert result.outcome.details["environment_policy"] == "blocked"
    assert hint_titles(result) == ["Google Compute Engine blocks outgoing port 25"]
    assert report.environment is not None and report.environment.provider_id == "gce"


@pytest.mark.timeout(HANG_GUARD)
def test_the_aws_hint_names_the_form_that_lifts_the_limit_its_source_and_date(
    run_check: RunCheck,
) -> None:
    with unresponsive_port() as port:
        report = run_check(
            ("127.0.0.1", port), password=None, timeout=1.0, environment=on_port("aws", port)
        )

    result = row(report, "tcp")
    assert result.outcome.finding == "tcp.blocked-by-aws"
    assert "which throttles outgoing port" in result.summary
    assert "until a request to lift it is approved" in result.summary
    (hint,) = result.hints
    assert hint.title == "Amazon EC2 throttles outgoing port 25"
    assert any("Request to remove email sending limitations" in step for step in hint.steps)
    assert hint.steps[-1].startswith("Checked on 2026-12-03: https://aws.amazon.com/")
    assert hint.url == "https://aws.amazon.com/premiumsupport/knowledge-center/ec2-port-25-throttle"


@pytest.mark.timeout(HANG_GUARD)
def test_a_policy_known_only_from_an_uncertain_source_is_worded_as_reported(
    run_check: RunCheck,
) -> None:
    with unresponsive_port() as port:
        report = run_check(
            ("127.0.0.1", port), password=None, timeout=1.0, environment=on_port("hetzner", port)
        )

    result = row(report, "tcp")
    assert result.outcome.finding == "tcp.blocked-by-hetzner"
    assert "Hetzner Cloud, which is reported to block outgoing port" in result.summary
    assert result.summary.endswith("(unconfirmed)")
    assert hint_titles(result) == ["Hetzner Cloud is reported to block outgoing ports 25 and 465"]


@pytest.mark.timeout(HANG_GUARD)
def test_a_timeout_on_a_port_the_cloud_does_not_block_blames_a_firewall_as_before(
    run_check: RunCheck,
) -> None:
    environment = detect_environment(FIXTURES / "gce")  # blocks 25 only
    with unresponsive_port() as port:
        report = run_check(("127.0.0.1", port), password=None, timeout=1.0, environment=environment)

    result = row(report, "tcp")
    assert result.outcome.finding == "tcp.timeout"
    assert "firewall is silently dropping" in result.summary
    assert result.outcome.details["environment"] == "gce"
    assert "A firewall drops the connection" in hint_titles(result)


@pytest.mark.timeout(HANG_GUARD)
def test_a_cloud_without_a_sourced_policy_changes_nothing_but_the_report(
    run_check: RunCheck,
) -> None:
    vultr = detect_environment(FIXTURES / "vultr")
    assert vultr is not None and vultr.outbound_policy == ()
    with unresponsive_port() as port:
        report = run_check(("127.0.0.1", port), password=None, timeout=1.0, environment=vultr)

    assert row(report, "tcp").outcome.finding == "tcp.timeout"
    assert report.environment == vultr


@pytest.mark.timeout(HANG_GUARD)
def test_an_environment_smtpdoctor_does_not_know_is_named_without_a_finding_of_its_own(
    run_check: RunCheck,
) -> None:
    with unresponsive_port() as port:
        gce = on_port("gce", port)
        mine = replace(gce, provider_id="my-cloud", name="My Cloud")
        report = run_check(("127.0.0.1", port), password=None, timeout=1.0, environment=mine)

    result = row(report, "tcp")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "tcp.timeout"  # declared: not an ERROR row
    assert "this machine runs on My Cloud, which blocks outgoing port" in result.summary


@pytest.mark.parametrize("cloud", [c for c in CLOUDS if c.policies], ids=lambda c: c.id)
def test_every_cloud_with_a_policy_has_a_finding_of_the_tcp_check(cloud: Cloud) -> None:
    assert CLOUD_BLOCKED[cloud.id] in TCPConnect.findings


# -- the port matrix ---------------------------------------------------------------------------


def starttls(port: int) -> Endpoint:
    return Endpoint(port, TLSMode.STARTTLS)


@pytest.mark.timeout(HANG_GUARD)
def test_the_matrix_names_a_timed_out_port_the_cloud_blocks_and_uses_another(
    make_server: MakeServer,
) -> None:
    submission: LocalSMTPServer = make_server(tls="starttls")
    with unresponsive_port() as blocked:
        matrix = run_matrix(
            RunConfig(
                host="127.0.0.1",
                probes=(starttls(blocked), starttls(submission.port)),
                timeout=1.0,
                environment=on_port("gce", blocked),
            )
        )

    timed_out, works = matrix.results
    assert timed_out.verdict is Verdict.TIMEOUT and works.verdict is Verdict.WORKS
    assert timed_out.detail.endswith(
        f"this machine runs on Google Compute Engine, which blocks outgoing port {blocked}"
    )
    ports = matrix.row()
    assert ports.status is Status.INFO
    assert ports.summary.startswith(
        f"{blocked} STARTTLS: timed out; {submission.port} STARTTLS: works. This machine runs "
        f"on Google Compute Engine, which blocks outgoing port {blocked}. Using "
        f"{submission.port} STARTTLS"
    )
    assert ports.outcome.details["environment"] == "gce"
    assert ports.hints == ()  # another port works: nothing to do


@pytest.mark.timeout(HANG_GUARD)
def test_when_nothing_answers_the_matrix_row_carries_the_clouds_hint() -> None:
    with unresponsive_port() as blocked:
        matrix = run_matrix(
            RunConfig(
                host="127.0.0.1",
                probes=(starttls(blocked),),
                timeout=1.0,
                environment=on_port("digitalocean", blocked),
            )
        )

    ports = matrix.row()
    assert ports.status is Status.FAIL
    assert ports.outcome.finding == "ports.none-answered"
    assert hint_titles(ports) == [
        "No mail port answers",
        f"DigitalOcean blocks outgoing port {blocked}",  # the knowledge base's, for this port
    ]
    assert "which blocks outgoing port" in ports.summary and "for new accounts" in ports.summary
