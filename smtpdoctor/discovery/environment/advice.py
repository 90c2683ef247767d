"""What to do when this machine's cloud blocks the port that timed out, as a hint: the
provider and its policy, what to do, the source and the day it was checked.

Used by the knowledge base (one entry per cloud, for the ``tcp`` check's finding) and by the
port matrix (its row's hint), so both say the same.
"""

from __future__ import annotations

from itertools import groupby

from smtpdoctor.model.environment import PortPolicy, ports_words, runs_on_sentence
from smtpdoctor.model.results import Hint


def policy_groups(policies: tuple[PortPolicy, ...]) -> list[tuple[PortPolicy, ...]]:
    """``policies`` grouped by what they say (state and certainty), in order."""
    return [
        tuple(group)
        for _, group in groupby(policies, key=lambda policy: (policy.state, policy.confirmed))
    ]


def blocked_port_hint(name: str, policies: tuple[PortPolicy, ...]) -> Hint:
    """The hint for a time-out on a port that ``name`` blocks (``policies``, not empty): the
    provider and the ports in the title; its policy, what to do, who it does not apply to,
    and where that was read and when in the steps."""
    groups = policy_groups(policies)
    first = groups[0][0]
    verb = first.state.verb if first.confirmed else "is reported to block"
    ports = ports_words(list(dict.fromkeys(policy.port for policy in policies)))
    steps = [
        f"T{runs_on_sentence(name, group)[1:]}: a time-out on "
        f"{ports_words([policy.port for policy in group])} is "
        f"{'that' if group[0].confirmed else 'probably that'} block, not the server's fault."
        for group in groups
    ]
    steps += list(dict.fromkeys(group[0].advice for group in groups))
    steps += list(dict.fromkeys(policy.note for policy in policies if policy.note))
    sources = list(dict.fromkeys(s for policy in policies for s in policy.sources))
    checked = min(policy.checked for policy in policies)
    steps.append(f"Checked on {checked.isoformat()}: {', '.join(sources) or 'no source given'}")
    return Hint(f"{name} {verb} outgoing {ports}", tuple(steps), sources[0] if sources else None)
