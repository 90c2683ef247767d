"""Sans-IO SASL client mechanisms for SMTP AUTH (RFC 4954): PLAIN, LOGIN, CRAM-MD5, XOAUTH2.

A :class:`Mechanism` turns the server's ``334`` challenges into the lines the client sends
back; it never touches a socket.  Every :class:`Response` says whether it is ``secret`` —
whether it carries the credentials in some form — so that the session can redact it from the
transcript.  A challenge that makes no sense for the mechanism raises :class:`ChallengeError`;
the caller then cancels the exchange with :data:`CANCEL` (``*``, RFC 4954 §4).

:func:`choose` is the policy for ``--auth-mechanism auto``: the strongest mechanism the
server offers that we have a secret for.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from smtpdoctor.protocol import REDACTED
from smtpdoctor.protocol.safetext import safe_text

#: Mechanisms smtpdoctor speaks, in the order ``auto`` prefers them over an encrypted
#: connection.  XOAUTH2 needs a token, the others a password.
SUPPORTED: tuple[str, ...] = ("XOAUTH2", "PLAIN", "LOGIN", "CRAM-MD5")
#: The mechanisms that need a password (all but XOAUTH2).
PASSWORD_MECHANISMS = frozenset({"PLAIN", "LOGIN", "CRAM-MD5"})
#: How much of a server's unreadable challenge is quoted back to the user.
_QUOTE_LIMIT = 80


@dataclass(frozen=True, slots=True)
class Response:
    """One line to send in answer to a challenge (or with ``AUTH`` as initial response)."""

    text: str = field(repr=False)
    secret: bool = True
    """Whether the line carries the credentials in any form; secret lines are redacted."""


#: The answer that cancels an exchange (RFC 4954 §4); the server then replies ``501``.
CANCEL = Response("*", secret=False)


class ChallengeError(Exception):
    """The server's challenge cannot be answered; ``finding`` says why in a stable way."""

    def __init__(self, message: str, *, finding: str) -> None:
        super().__init__(message)
        self.finding = finding


def _b64(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def _printable(text: str) -> str:
    """``text`` cut to :data:`_QUOTE_LIMIT` characters, each one a terminal would obey (an
    escape sequence, a bidi override) escaped (:func:`safe_text`): the server chose these
    words."""
    return safe_text(text[:_QUOTE_LIMIT])


def _quote(text: str) -> str:
    """``text`` made printable and cut short, in quotes (double ones when it holds a single
    quote and no double one, as :func:`repr` chooses)."""
    shown = _printable(text) + ("…" if len(text) > _QUOTE_LIMIT else "")
    mark = '"' if "'" in shown and '"' not in shown else "'"
    return f"{mark}{shown}{mark}"


def decode_challenge(challenge: str, mechanism: str) -> bytes:
    """The bytes of a base64 challenge; :class:`ChallengeError` when it is not base64."""
    try:
        return base64.b64decode(challenge.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ChallengeError(
            f"the server's {mechanism} challenge is not valid base64: {_quote(challenge)}",
            finding="auth.bad-challenge",
        ) from None


class Mechanism(ABC):
    """A client-side SASL mechanism for one exchange.  Create a new one per ``AUTH``."""

    #: The name sent in ``AUTH`` and listed in EHLO.
    name: ClassVar[str]

    def initial_response(self) -> Response | None:
        """The response sent on the ``AUTH`` line itself, or None to wait for a challenge."""
        return None

    @abstractmethod
    def respond(self, challenge: str) -> Response:
        """Answer the text of a ``334`` challenge (still base64-encoded).

        Raises :class:`ChallengeError` when the challenge cannot be answered, including
        one challenge more than the mechanism has answers for.
        """

    def _too_many(self) -> ChallengeError:
        return ChallengeError(
            f"the server sent more challenges than {self.name} has answers for",
            finding="auth.unexpected-challenge",
        )


class Plain(Mechanism):
    """PLAIN (RFC 4616): ``\\0user\\0password`` in one initial response, no challenge."""

    name = "PLAIN"

    def __init__(self, username: str, password: str) -> None:
        self._message = f"\0{username}\0{password}"

    def initial_response(self) -> Response:
        return Response(_b64(self._message))

    def respond(self, challenge: str) -> Response:
        raise self._too_many()


class Login(Mechanism):
    """LOGIN (the old Microsoft draft): the user name, then the password, one per challenge.

    The challenges' text ("Username:", "Password:") is not interpreted — servers word it
    differently, and some do not even encode it — only their order counts.  Both answers are
    secret: the user name is part of the credentials and is redacted like in PLAIN.
    """

    name = "LOGIN"

    def __init__(self, username: str, password: str) -> None:
        self._answers = [username, password]

    def respond(self, challenge: str) -> Response:
        if not self._answers:
            raise self._too_many()
        return Response(_b64(self._answers.pop(0)))


class CramMD5(Mechanism):
    """CRAM-MD5 (RFC 2195): ``user`` and the HMAC-MD5 of the server's challenge, keyed with
    the password.

    The password itself never crosses the network, which is the mechanism's only merit: it
    needs the server to keep a plaintext-equivalent password, MD5 is long broken, and an
    eavesdropper can still try to guess the password offline from the answer (RFC 2195 §5).
    The answer is therefore treated as secret.
    """

    name = "CRAM-MD5"

    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._key = password.encode("utf-8")
        self._answered = False

    def respond(self, challenge: str) -> Response:
        if self._answered:
            raise self._too_many()
        self._answered = True
        data = decode_challenge(challenge, self.name)
        if not data:
            raise ChallengeError(
                "the server's CRAM-MD5 challenge is empty: there is nothing to sign",
                finding="auth.bad-challenge",
            )
        digest = hmac.new(self._key, data, hashlib.md5).hexdigest()
        return Response(_b64(f"{self._username} {digest}"))


@dataclass(frozen=True, slots=True)
class OAuthError:
    """The error a server reports in a ``334`` during XOAUTH2 (Google's failure path).

    Google sends base64 JSON with ``status`` (an HTTP-like code such as ``"401"``),
    ``schemes`` and ``scope``; RFC 7628 servers use RFC 6750 names (``"invalid_token"``).
    ``raw`` keeps an excerpt when the challenge was not the expected JSON.
    """

    status: str | None = None
    schemes: str | None = None
    scope: str | None = None
    raw: str | None = None

    #: What each status means, in words.
    MEANINGS: ClassVar[dict[str, str]] = {
        "400": "a malformed request: is --user the token's account?",
        "401": "the token is expired, revoked, or for another account",
        "403": "this account or app may not use the service",
        "invalid_request": "a malformed request",
        "invalid_token": "the token is expired, revoked or malformed",
        "insufficient_scope": "the token lacks the scope this server needs",
    }

    @classmethod
    def parse(cls, challenge: str, *, hide: str | None = None) -> OAuthError:
        """Read the error out of the challenge text (still base64); never raises.

        ``hide`` (the token) is blanked out of the decoded text before anything is cut short
        to be quoted: once cut, no later redaction would recognise what is left of it.
        """
        try:
            data = base64.b64decode(challenge.strip(), validate=True)
        except (binascii.Error, ValueError):
            return cls(raw=_quote(challenge))
        decoded = data.decode("utf-8", errors="replace")
        if hide:
            decoded = decoded.replace(hide, REDACTED)
        try:
            document = json.loads(decoded)
        except (ValueError, RecursionError):  # RecursionError: [[[[… deeper than json goes
            return cls(raw=_quote(decoded))
        if not isinstance(document, dict):
            return cls(raw=_quote(str(document)))

        def text(key: str) -> str | None:
            value = document.get(key)
            return None if value is None else _printable(str(value))

        return cls(status=text("status"), schemes=text("schemes"), scope=text("scope"))

    def describe(self) -> str:
        """The error in words, e.g. ``status 401 (the token is expired, …), scope …``."""
        if self.status is None:
            if self.raw is not None:
                return f"not in JSON: {self.raw}"
            return "no status given"
        meaning = self.MEANINGS.get(self.status.strip().lower())
        words = f"status {self.status}" + (f" ({meaning})" if meaning else "")
        if self.scope:
            words += f", scope {self.scope}"
        return words


class XOAuth2(Mechanism):
    """XOAUTH2 (Google, Microsoft): ``user=U^Aauth=Bearer TOKEN^A^A`` as initial response.

    On failure Google answers with a ``334`` carrying base64 JSON; the client must send an
    empty line, and then gets the final ``535``.  That error is kept in :attr:`error`.
    """

    name = "XOAUTH2"

    def __init__(self, username: str, token: str) -> None:
        self._message = f"user={username}\x01auth=Bearer {token}\x01\x01"
        self._token = token
        self.error: OAuthError | None = None

    def initial_response(self) -> Response:
        return Response(_b64(self._message))

    def respond(self, challenge: str) -> Response:
        if self.error is not None:
            raise self._too_many()
        self.error = OAuthError.parse(challenge, hide=self._token)
        return Response("", secret=False)


def create(name: str, username: str, *, password: str | None, token: str | None) -> Mechanism:
    """A fresh mechanism called ``name`` (one of :data:`SUPPORTED`) with its secret.

    Raises :class:`ValueError` for an unknown name or a missing secret.
    """
    if name == "XOAUTH2":
        if token is None:
            raise ValueError("XOAUTH2 needs an OAuth token")
        return XOAuth2(username, token)
    classes: dict[str, type[Plain | Login | CramMD5]] = {
        "PLAIN": Plain,
        "LOGIN": Login,
        "CRAM-MD5": CramMD5,
    }
    if name not in classes:
        raise ValueError(f"unknown SASL mechanism {name!r}")
    if password is None:
        raise ValueError(f"{name} needs a password")
    return classes[name](username, password)


def usable(name: str, *, have_password: bool, have_token: bool) -> bool:
    """Whether we hold the secret mechanism ``name`` needs."""
    if name == "XOAUTH2":
        return have_token
    return name in PASSWORD_MECHANISMS and have_password


def choose(
    offered: tuple[str, ...], *, have_password: bool, have_token: bool, encrypted: bool
) -> str | None:
    """The mechanism ``auto`` picks among ``offered``, or None when none is usable.

    The order is :data:`SUPPORTED`: XOAUTH2 when a token is given (no password at all); then
    PLAIN — over TLS it hides nothing that CRAM-MD5 would protect and it is what every server
    checks against its real password store, in one round trip; then LOGIN (the same, in two);
    CRAM-MD5 last, because it relies on MD5 and on passwords stored in plaintext-equivalent
    form.  Over an unencrypted connection (only with ``--allow-plaintext-auth``) CRAM-MD5
    moves before PLAIN and LOGIN, because it at least keeps the password off the wire.
    """
    order = list(SUPPORTED)
    if not encrypted:
        order.remove("CRAM-MD5")
        order.insert(order.index("PLAIN"), "CRAM-MD5")
    return next(
        (
            name
            for name in order
            if name in offered and usable(name, have_password=have_password, have_token=have_token)
        ),
        None,
    )


def secret_forms(secret: str) -> tuple[str, ...]:
    """The forms a secret can take in a careless log: itself and its base64, with and
    without padding.  The session scrubs all of them from what servers send back."""
    encoded = _b64(secret)
    return tuple(dict.fromkeys(form for form in (secret, encoded, encoded.rstrip("=")) if form))
