"""At most one test message per target per interval, however often Prometheus scrapes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SendGate:
    """Remembers when a test message last went to each target and allows the next one only
    after the module's ``min_send_interval``.  A scrape storm, a short scrape interval or
    several Prometheus servers scraping the same target cannot spam a mailbox.

    The time is taken when the probe is allowed to send (an attempt counts, whether or not
    the server took the message).  Thread-safe.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def claim(self, module: str, target: str, interval: float) -> float | None:
        """Whether ``module`` may send to ``target`` now: None if it may (and the time is
        recorded), else the seconds since the last message."""
        now = self._clock()
        key = (module, target)
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last[0] < interval:
                return now - last[0]
            self._last[key] = (now, interval)
            self._forget_expired(now)
            return None

    def _forget_expired(self, now: float) -> None:
        """Drop entries whose interval has passed, so the table stays bounded by the targets
        sent to within an interval."""
        if len(self._last) > 1024:
            for key in [k for k, (at, every) in self._last.items() if now - at >= every]:
                del self._last[key]
