"""What a front door says, and exits with, when a run cannot be carried out.

Every front door maps the same exceptions to the same words and exit codes through
:func:`failure_of`, with the run's secrets removed from the words: a usage error (the request
cannot work), a broken plugin or format, Ctrl-C, or a bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from smtpdoctor.model.words import ConfigError, ExitCode, FailureKind


class Failure(NamedTuple):
    """Why a run could not be carried out: the words to print, the exit code and the kind of
    failure (what a JSON error document's ``error.kind`` says)."""

    message: str
    exit_code: ExitCode
    kind: FailureKind


def failure_of(error: BaseException, secrets: Iterable[str] = ()) -> Failure:
    """The :class:`Failure` for ``error``, its text free of ``secrets`` (in any encoding).

    :class:`~smtpdoctor.model.words.ConfigError`, a plugin that cannot be loaded, a bad
    registration and an unknown format are exit code 3 with their own words; Ctrl-C is 130;
    anything else is a bug: exit code 3, "internal error", never a traceback.
    """
    from smtpdoctor.core.plugins import PluginLoadError
    from smtpdoctor.core.registry import RegistrationError
    from smtpdoctor.render import RenderingError
    from smtpdoctor.secrets.redaction import Redactor

    if isinstance(error, KeyboardInterrupt):
        return Failure("interrupted", ExitCode.INTERRUPTED, FailureKind.INTERRUPTED)
    redact = Redactor(secrets).text
    if isinstance(error, ConfigError):
        return Failure(redact(str(error)), ExitCode.UNKNOWN, FailureKind.USAGE)
    if isinstance(error, PluginLoadError | RegistrationError | RenderingError):
        return Failure(redact(str(error)), ExitCode.UNKNOWN, FailureKind.PLUGIN)
    described = redact(f"{type(error).__name__}: {error}")
    return Failure(
        f"internal error ({described}); please report it", ExitCode.UNKNOWN, FailureKind.INTERNAL
    )
