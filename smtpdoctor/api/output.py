"""Writing a rendered report to a file so that no reader ever sees half of it.

``check --output FILE`` is for readers that poll a file — node_exporter's textfile
collector reads ``*.prom`` files whenever Prometheus scrapes it, a cron job's next step may
read it any time.  :func:`write_atomically` writes a temporary file in the same directory,
flushes it to disk and renames it over ``FILE`` in one step: a reader sees the old report or
the new one, never a mixture or a truncated file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["NEW_FILE_MODE", "OutputError", "write_atomically"]

#: The permissions of a file that did not exist before: readable by all (a collector often
#: runs as another user), writable by its owner.  An existing file keeps its own.
NEW_FILE_MODE = 0o644


class OutputError(OSError):
    """The file could not be written; the message names it and says why."""


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one step, or leave it as it was.

    The temporary file is ``.NAME.XXXX.tmp`` next to ``path`` (a rename cannot cross file
    systems; its suffix is not ``.prom``, so the textfile collector ignores it) and is
    removed when anything fails.

    :raises OutputError: the directory is missing or not writable, ``path`` is a directory,
        the disk is full… — with the reason in words.
    """
    directory = path.parent
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else NEW_FILE_MODE
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=directory
        )
    except OSError as error:
        raise _failure(path, error) from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise _failure(path, error) from None
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a file system that cannot is no error."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _failure(path: Path, error: OSError) -> OutputError:
    reason = error.strerror or type(error).__name__
    return OutputError(f"cannot write the report to {path}: {reason}")
