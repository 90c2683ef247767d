"""What the test servers share: how they notice they must stop, and how long they wait."""

from __future__ import annotations

#: How often server threads look up from a blocking call to see whether they must stop.
POLL = 0.1
#: How long stopping a server waits for each of its threads.
JOIN_TIMEOUT = 5.0


class Stopped(Exception):
    """The server is stopping; the connection's thread must end."""
