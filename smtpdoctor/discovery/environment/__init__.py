"""Where smtpdoctor runs: the cloud or hosting provider of this machine, read from local files
(:mod:`~smtpdoctor.discovery.environment.reader`), and what that provider does to outgoing
mail ports (:mod:`~smtpdoctor.discovery.environment.clouds`, every fact sourced and dated).

"Port 25 times out" means something else on Google Compute Engine (always blocked) than on
Amazon EC2 (throttled until AWS lifts it): the port matrix and the ``tcp`` check say which,
and the knowledge base what to do (:mod:`~smtpdoctor.discovery.environment.advice`).
"""

from __future__ import annotations

from smtpdoctor.discovery.environment.advice import blocked_port_hint, policy_groups
from smtpdoctor.discovery.environment.clouds import CLOUDS, cloud_by_id
from smtpdoctor.discovery.environment.model import Cloud, Marker
from smtpdoctor.discovery.environment.reader import detect_environment

__all__ = [
    "CLOUDS",
    "Cloud",
    "Marker",
    "blocked_port_hint",
    "cloud_by_id",
    "detect_environment",
    "policy_groups",
]
