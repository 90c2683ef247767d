"""How far a pool survey may go: how many members, how many at once, how long in all."""

from __future__ import annotations

import math
from dataclasses import dataclass

from smtpdoctor.model.words import ConfigError

#: Members checked at most, by default; the other addresses are named as not checked.
DEFAULT_MEMBERS = 16
#: The most members ever checked at once: a survey is a diagnosis, not a load test.
MAX_CONCURRENCY = 4
#: Without a survey deadline of its own, the survey may take this many times the run's.
DEADLINE_FACTOR = 2


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """The bounds of one survey; every member also keeps the run's own ``timeout`` and
    ``deadline``."""

    members: int = DEFAULT_MEMBERS
    """Check at most this many addresses (in the order :attr:`PoolReport.members` lists
    them); the rest are reported as not checked."""
    concurrency: int = 1
    """Check this many members at the same time (1: one after the other, the polite way;
    at most :data:`MAX_CONCURRENCY`)."""
    deadline: float | None = None
    """Seconds the whole survey may take: no member starts after it, and a member's own
    deadline is cut to what is left.  None: :data:`DEADLINE_FACTOR` times the run's
    ``deadline``."""

    def __post_init__(self) -> None:
        if self.members < 1:
            raise ConfigError(f"a pool survey checks at least 1 member, not {self.members}")
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise ConfigError(
                f"a pool survey checks 1 to {MAX_CONCURRENCY} members at once, "
                f"not {self.concurrency}"
            )
        if self.deadline is not None and not 0 < self.deadline < math.inf:  # and not NaN
            raise ConfigError("the survey's deadline must be a positive number of seconds")

    def deadline_for(self, run_deadline: float) -> float:
        """The survey's deadline in seconds, for runs whose own deadline is
        ``run_deadline``."""
        return self.deadline if self.deadline is not None else DEADLINE_FACTOR * run_deadline
