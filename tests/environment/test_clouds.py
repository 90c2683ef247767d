"""The table of clouds shows where each fact comes from: every identifying string cites the
public code that reads it, every port policy its page and the day it was checked; a policy
known only from an uncertain secondary source says so, and one that could not be sourced is
left out."""

from __future__ import annotations

import re

import pytest

from smtpdoctor.discovery.environment import CLOUDS, Cloud, blocked_port_hint, cloud_by_id
from smtpdoctor.discovery.providers.sourcing import CHECKED

#: A repository file at the commit that was read.
AT_A_COMMIT = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+/blob/[0-9a-f]{40}/\S+$")
#: The clouds whose policy the reference knows only from an uncertain secondary source.
UNCONFIRMED = {"hetzner", "oracle"}


@pytest.mark.parametrize("cloud", CLOUDS, ids=lambda cloud: cloud.id)
def test_every_identifying_string_cites_the_code_that_reads_it_at_a_commit(cloud: Cloud) -> None:
    assert cloud.markers
    for marker in cloud.markers:
        assert AT_A_COMMIT.match(marker.source), marker


@pytest.mark.parametrize("cloud", [c for c in CLOUDS if c.policies], ids=lambda c: c.id)
def test_every_port_policy_has_a_source_a_date_and_advice(cloud: Cloud) -> None:
    for policy in cloud.policies:
        assert policy.sources
        assert all(source.startswith("https://") for source in policy.sources)
        assert policy.checked == CHECKED
        assert policy.advice.endswith(".")


@pytest.mark.parametrize("cloud", [c for c in CLOUDS if c.policies], ids=lambda c: c.id)
def test_only_policies_from_uncertain_sources_are_unconfirmed_and_worded_so(cloud: Cloud) -> None:
    hint = blocked_port_hint(cloud.name, cloud.policies)
    unconfirmed = cloud.id in UNCONFIRMED

    assert all(policy.confirmed is not unconfirmed for policy in cloud.policies)
    assert ("is reported to" in hint.title) is unconfirmed
    assert ("(unconfirmed)" in hint.steps[0]) is unconfirmed


def test_a_cloud_whose_policy_could_not_be_sourced_states_none_and_says_why() -> None:
    vultr = cloud_by_id("vultr")

    assert vultr is not None
    assert vultr.policies == ()
    assert vultr.note is not None and "no first-hand source" in vultr.note.lower()


def test_the_clouds_the_issue_names_are_all_recognised() -> None:
    names = {cloud.name for cloud in CLOUDS}

    assert names == {
        "Amazon EC2",
        "Google Compute Engine",
        "Microsoft Azure",
        "DigitalOcean",
        "Linode (Akamai Cloud)",
        "Hetzner Cloud",
        "Oracle Cloud Infrastructure",
        "Vultr",
    }


def test_the_hint_ends_with_the_day_it_was_checked_and_every_source() -> None:
    gce = cloud_by_id("gce")
    assert gce is not None

    hint = blocked_port_hint(gce.name, gce.policies)

    assert hint.steps[-1] == (
        "Checked on 2026-12-03: https://gitlab.com/gitlab-org/charts/gitlab/-/merge_requests/647, "
        "https://cli.nylas.com/guides/smtp-ports-blocked-on-cloud-servers"
    )
    assert hint.steps[0] == (
        "This machine runs on Google Compute Engine, which blocks outgoing port 25: a time-out "
        "on port 25 is that block, not the server's fault."
    )
