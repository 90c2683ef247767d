"""Secrets and the credentials they belong to: values that never show themselves."""

from __future__ import annotations

from dataclasses import dataclass, field

from smtpdoctor.model.words import ConfigError
from smtpdoctor.protocol import LocalProtocolError, check_argument


@dataclass(frozen=True, slots=True)
class Secret:
    """A password or token.  It never shows itself: ``repr`` and ``str`` are redacted."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        """The secret itself; call only where it is put on the wire."""
        return self._value

    def __str__(self) -> str:
        return "********"

    def __repr__(self) -> str:
        return "Secret('********')"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and its password (None when the login uses an OAuth token only)."""

    username: str
    password: Secret | None = None

    def __post_init__(self) -> None:
        _refuse_control_characters(self.username, "user name")
        if self.password is None:
            return
        try:
            check_argument(self.password.reveal(), "password", secret=True)
        except LocalProtocolError as exc:
            raise ConfigError(str(exc)) from None


def check_token_text(token: str) -> str:
    """Return an OAuth access token unchanged, or raise :class:`ConfigError` (without showing
    it) if it holds whitespace or control characters, which no token has (RFC 6750 §2.1)."""
    if any(char.isspace() or not char.isprintable() for char in token):
        raise ConfigError("the token contains spaces, line breaks or control characters")
    return token


def _refuse_control_characters(value: str, what: str) -> None:
    try:
        check_argument(value, what)
    except LocalProtocolError as exc:
        raise ConfigError(str(exc)) from None
