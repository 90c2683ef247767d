"""Where an OAuth access token comes from: a file, a command, or an environment variable.

Like a password, a token never goes on the command line.  ``--oauth-token-command`` runs a
helper that prints a fresh token (``oauth2l fetch …``, ``gcloud auth print-access-token``,
``az account get-access-token --query accessToken -o tsv``): without a shell, with no
input, under a timeout that kills the helper and everything it started.  When it fails, its
exit status and the end of its stderr are reported — never anything that looks like the token.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from smtpdoctor.model.credentials import Secret, check_token_text
from smtpdoctor.model.words import ConfigError
from smtpdoctor.secrets.passwords import PASSWORD_VARIABLES, read_secret_file

TOKEN_ENV = "SMTPDOCTOR_OAUTH_TOKEN"  # noqa: S105 - the variable's name, not a token
#: Seconds a token command may take (helpers may ask an identity provider over the network).
TOKEN_COMMAND_TIMEOUT = 30.0
#: More output than this is not a token.
MAX_TOKEN_BYTES = 16 * 1024
#: How much of a failing command's stderr is shown.
STDERR_EXCERPT = 400
#: How long to wait for a killed command's pipes to close.
_REAP_TIMEOUT = 2.0


def obtain_token(
    *,
    environ: Mapping[str, str],
    token_file: Path | None,
    token_command: str | None,
    timeout: float = TOKEN_COMMAND_TIMEOUT,
) -> Secret | None:
    """The token from ``--oauth-token-file``, else ``--oauth-token-command``, else
    ``$SMTPDOCTOR_OAUTH_TOKEN``; None when none of them is given.

    Raises :class:`ConfigError` — whose message never contains the token — when the source
    is given but yields no usable token.
    """
    if token_file is not None and token_command is not None:
        raise ConfigError("give either --oauth-token-file or --oauth-token-command, not both")
    if token_file is not None:
        return _from_file(token_file)
    if token_command is not None:
        return run_token_command(token_command, timeout=timeout)
    if environ.get(TOKEN_ENV):
        return _validated(environ[TOKEN_ENV], f"${TOKEN_ENV}")
    return None


def _from_file(path: Path) -> Secret:
    what = f"the token file {path}"
    data = read_secret_file(path, what, limit=MAX_TOKEN_BYTES)
    return _validated(_decode(data, what), what)


def run_token_command(command: str, *, timeout: float = TOKEN_COMMAND_TIMEOUT) -> Secret:
    """Run ``command`` (split like a shell would, but run without one) and return its
    standard output as the token.  The command does not inherit the password variables."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(f"cannot parse --oauth-token-command: {exc}") from None
    if not argv:
        raise ConfigError("--oauth-token-command is empty")
    what = f"the token command {argv[0]!r}"
    try:
        process = subprocess.Popen(  # noqa: S603 - the user's own command, without a shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group (POSIX), so a timeout kills all of it
            env={k: v for k, v in os.environ.items() if k not in PASSWORD_VARIABLES},
        )
    except OSError as exc:
        raise ConfigError(f"cannot run {what}: {exc.strerror or exc}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise ConfigError(f"{what} did not finish within {timeout:g} s and was stopped") from None
    if process.returncode != 0:
        raise ConfigError(
            f"{what} failed ({_exit_status(process.returncode)})"
            + _stderr_excerpt(stderr, hide=stdout)
        )
    if len(stdout) > MAX_TOKEN_BYTES:
        raise ConfigError(
            f"{what} printed {len(stdout)} bytes; it must print only the token "
            f"(at most {MAX_TOKEN_BYTES} bytes)"
        )
    return _validated(_decode(stdout, f"the output of {what}"), f"the output of {what}")


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the command's whole process group (on Windows, which has none: the command) and
    collect it, without waiting for long."""
    if sys.platform == "win32":
        process.kill()
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()
    try:
        process.communicate(timeout=_REAP_TIMEOUT)
    except subprocess.TimeoutExpired:
        # Something that left the process group still holds the pipes: stop waiting for it.
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
        process.wait()  # the command itself is dead (SIGKILL): this returns at once


def _exit_status(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exit status {code}"


def _stderr_excerpt(stderr: bytes, *, hide: bytes) -> str:
    """The end of ``stderr`` as one printable line, with anything the command printed on
    stdout (which may be the token) blanked out; empty when there was nothing to say."""
    text = stderr.decode("utf-8", errors="replace")
    for word in hide.decode("utf-8", errors="replace").split():
        text = text.replace(word, "[redacted]")
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if not text:
        return ""
    if len(text) > STDERR_EXCERPT:
        text = "…" + text[-STDERR_EXCERPT:]
    return f": {text}"


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not text, so it is not a token") from None


def _validated(text: str, where: str) -> Secret:
    token = text.strip()
    if not token:
        raise ConfigError(f"{where} is empty: expected an OAuth access token")
    try:
        check_token_text(token)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return Secret(token)
