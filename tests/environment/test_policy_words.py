"""A cloud's outbound port policy, in the words the hints and the table use."""

from __future__ import annotations

import pytest

from smtpdoctor.discovery.environment import CLOUDS
from smtpdoctor.model.environment import policy_sentence


def test_a_confirmed_policy_says_what_the_cloud_does() -> None:
    gce = next(cloud for cloud in CLOUDS if cloud.id == "gce")

    assert policy_sentence(gce.name, gce.policies) == (
        "Google Compute Engine blocks outgoing port 25"
    )


def test_an_unconfirmed_policy_says_it_is_reported_and_unconfirmed() -> None:
    hetzner = next(cloud for cloud in CLOUDS if cloud.id == "hetzner")

    sentence = policy_sentence(hetzner.name, hetzner.policies)

    assert sentence.startswith("Hetzner Cloud is reported to block outgoing ports 25 and 465")
    assert sentence.endswith("(unconfirmed)")


def test_no_policy_is_nothing_to_put_in_words() -> None:
    with pytest.raises(ValueError, match="no port policy of Vultr"):
        policy_sentence("Vultr", ())
