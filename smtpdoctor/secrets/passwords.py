"""Where a password comes from: an environment variable, a file, or a hidden prompt — never
the command line, where every user of the machine could read it in the process list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from smtpdoctor.model.credentials import Secret
from smtpdoctor.model.words import ConfigError

PASSWORD_ENV = "SMTPDOCTOR_PASSWORD"  # noqa: S105 - the variable's name, not a password
IMAP_PASSWORD_ENV = "SMTPDOCTOR_IMAP_PASSWORD"  # noqa: S105 - the variable's name
PROXY_PASSWORD_ENV = "SMTPDOCTOR_PROXY_PASSWORD"  # noqa: S105 - the variable's name
#: The variables that may hold a password: the commands smtpdoctor starts do not inherit them.
PASSWORD_VARIABLES = (PASSWORD_ENV, IMAP_PASSWORD_ENV, PROXY_PASSWORD_ENV)
#: A password file larger than this is not a password file (``/dev/zero`` never ends).
MAX_PASSWORD_FILE_BYTES = 64 * 1024


def read_secret_file(path: Path, what: str, *, limit: int) -> bytes:
    """The bytes of the file ``path`` that holds ``what`` (``"the password file x"``), read no
    further than ``limit`` bytes.  A file that cannot be read, or is larger, is a
    :class:`ConfigError` whose message shows none of its content."""
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror}") from None
    if len(data) > limit:
        raise ConfigError(f"{what} holds more than {limit} bytes: it must hold only the secret")
    return data


def obtain_password(
    *,
    environ: Mapping[str, str],
    password_file: Path | None,
    prompt: Callable[[], str] | None,
) -> Secret:
    """The password from ``--password-file``, else ``$SMTPDOCTOR_PASSWORD``, else the prompt.

    ``prompt`` is ``None`` when there is no terminal to ask on; then a missing password is a
    :class:`ConfigError` that says how to provide one.
    """
    if password_file is not None:
        what = f"the password file {password_file}"
        data = read_secret_file(password_file, what, limit=MAX_PASSWORD_FILE_BYTES)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:  # its message would quote a byte of the password
            raise ConfigError(f"{what} is not UTF-8 text") from None
        password = text.splitlines()[0] if text else ""  # the first line, as documented
        if not password:
            raise ConfigError(f"the password file {password_file} is empty")
        return Secret(password)
    if environ.get(PASSWORD_ENV):
        return Secret(environ[PASSWORD_ENV])
    if prompt is None:
        raise ConfigError(
            f"--user needs a password: set {PASSWORD_ENV}, use --password-file, "
            "or run on a terminal to be asked for it"
        )
    return Secret(prompt())
