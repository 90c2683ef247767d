"""The recent probes, for the status page: a bounded ring buffer of frozen records."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtpdoctor.model.results import Report


@dataclass(frozen=True, slots=True)
class ProbeRecord:
    """One finished probe: what was asked, how it ended, and the report when there is one.

    ``result`` is ``"success"`` (no FAIL or ERROR row: ``probe_success`` 1) or ``"failure"``;
    ``notes`` say what the report cannot (a test message skipped by its interval, a probe that
    found no free slot before its deadline, a password file that could not be read), in
    words without secrets.
    """

    id: int
    target: str
    module: str
    result: str
    started: datetime
    duration: float
    report: Report | None = None
    notes: tuple[str, ...] = ()

    @property
    def success(self) -> bool:
        """Whether the probe succeeded (``probe_success`` 1)."""
        return self.result == "success"


class RecentProbes:
    """The last ``size`` probes, newest first; older ones fall out.  Used from one thread
    (the server's event loop)."""

    def __init__(self, size: int) -> None:
        self._records: deque[ProbeRecord] = deque(maxlen=size)
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        """A new probe id, unique for the life of the server."""
        return next(self._ids)

    def add(self, record: ProbeRecord) -> None:
        """Keep ``record``; the oldest one goes when the buffer is full."""
        self._records.appendleft(record)

    def get(self, probe_id: int) -> ProbeRecord | None:
        """The probe with ``probe_id``, while it is still kept."""
        return next((r for r in self._records if r.id == probe_id), None)

    def resize(self, size: int) -> None:
        """Keep at most ``size`` probes from now on (the newest stay)."""
        if size != self._records.maxlen:
            self._records = deque(itertools.islice(self._records, size), maxlen=size)

    def __iter__(self) -> Iterator[ProbeRecord]:
        return iter(tuple(self._records))

    def __len__(self) -> int:
        return len(self._records)
