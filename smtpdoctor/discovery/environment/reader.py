"""Recognising the cloud this machine runs on from local files, without network traffic.

Only small, world-readable files are read (``/sys/class/dmi/id/*``, ``/sys/hypervisor/uuid``);
a file that is missing, unreadable or not text is no evidence, never an error.  Asking a
cloud's metadata service would be more certain, but costs a round trip and, off the cloud, a
time-out: it is never done.
"""

from __future__ import annotations

import os
from pathlib import Path

from smtpdoctor.discovery.environment.clouds import CLOUDS
from smtpdoctor.model.environment import Environment

#: The most of a file that is read: identification strings are a line of a few dozen bytes.
READ_LIMIT = 256


def detect_environment(root: Path = Path("/")) -> Environment | None:
    """The cloud this machine runs on, recognised by the first marker of
    :data:`~smtpdoctor.discovery.environment.clouds.CLOUDS` that its files under ``root``
    show; ``None`` on bare metal, on an unknown provider, or when nothing can be read.
    Never raises."""
    seen: dict[str, str | None] = {}
    for cloud in CLOUDS:
        for marker in cloud.markers:
            if marker.path not in seen:
                seen[marker.path] = first_line(root / marker.path)
            content = seen[marker.path]
            if content and marker.matches(content):
                return cloud.environment(marker)
    return None


def first_line(path: Path) -> str | None:
    """The first line of a small file, stripped; ``None`` if it cannot be read."""
    try:  # non-blocking: a FIFO planted under the root must not hold the run
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, ValueError):  # missing, unreadable, a NUL in the path
        return None
    try:
        data = os.read(descriptor, READ_LIMIT)
    except OSError:  # a directory, nothing to read yet
        return None
    finally:
        os.close(descriptor)
    return data.decode("utf-8", errors="replace").partition("\n")[0].strip()
