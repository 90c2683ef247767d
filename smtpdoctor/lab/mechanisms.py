"""CRAM-MD5 and XOAUTH2 for the local aiosmtpd server, which only knows PLAIN and LOGIN.

aiosmtpd offers every ``auth_<NAME>`` method of its handler as a SASL mechanism (``__``
becomes ``-``).  :class:`ExtraMechanisms` is mixed into the lab server's handler to add
two; :func:`excluded_mechanisms` says which to hide, so that each is offered only when the
server was asked for it.

XOAUTH2 fails the way Google's servers do: a ``334`` carrying base64 JSON (``status``,
``schemes``, ``scope``), which the client must answer with an empty line, then ``535``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any, Protocol

from aiosmtpd.smtp import MISSING, SMTP, AuthResult

#: The scope Google's XOAUTH2 error names (IMAP, POP and SMTP access).
OAUTH_SCOPE = "https://mail.google.com/"
#: The final reply to a refused token, as Gmail words it.
TOKEN_REFUSED = "535 5.7.8 Username and Password not accepted"  # noqa: S105 - a reply


class AuthRecorder(Protocol):
    """Where the handler records AUTH attempts."""

    def auth_attempted(self, username: str, success: bool) -> None:
        """Record one exchange: who, and whether it succeeded."""


def excluded_mechanisms(
    users: Mapping[str, str], *, cram_md5: bool, oauth_tokens: Mapping[str, str]
) -> list[str]:
    """The mechanisms aiosmtpd must not offer: PLAIN and LOGIN when only tokens are accepted,
    CRAM-MD5 unless asked for, XOAUTH2 without tokens.  (Without users and tokens the server
    hides AUTH altogether and answers it with 503.)"""
    excluded = ["PLAIN", "LOGIN"] if oauth_tokens and not users else []
    if not cram_md5:
        excluded.append("CRAM-MD5")
    if not oauth_tokens:
        excluded.append("XOAUTH2")
    return excluded


class ExtraMechanisms:
    """``auth_CRAM__MD5`` and ``auth_XOAUTH2`` for an aiosmtpd handler that has these
    attributes: passwords by user, tokens by user, and the recorder."""

    _users: Mapping[str, str]
    _oauth_tokens: Mapping[str, str]
    _record: AuthRecorder

    async def auth_CRAM__MD5(self, server: SMTP, args: list[str]) -> Any:
        """CRAM-MD5 (RFC 2195): a fresh challenge; the answer is ``user hex(HMAC-MD5)``."""
        if len(args) > 1:
            await server.push("501 5.5.2 CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        challenge = f"<{secrets.token_hex(8)}@{server.hostname}>".encode()
        answer = await server.challenge_auth(challenge)
        if answer is MISSING:  # '*' or bad base64: aiosmtpd has answered 501
            return AuthResult(success=False, handled=True)
        username, _, digest = bytes(answer).decode("utf-8", errors="replace").rpartition(" ")
        password = self._users.get(username)
        expected = b""
        if password is not None:
            expected = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest().encode()
        success = password is not None and hmac.compare_digest(digest.encode(), expected)
        self._record.auth_attempted(username, success)
        return AuthResult(success=success, handled=False, auth_data=username)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> Any:
        """XOAUTH2: ``user=U^Aauth=Bearer T^A^A``; a wrong token gets Google's JSON error."""
        if len(args) > 1:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except (binascii.Error, ValueError):
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        else:
            answer = await server.challenge_auth("")
            if answer is MISSING:
                return AuthResult(success=False, handled=True)
            blob = bytes(answer)
        username, token = parse_xoauth2(blob)
        expected = self._oauth_tokens.get(username or "")
        success = (
            expected is not None
            and token is not None
            and hmac.compare_digest(token.encode(), expected.encode())
        )
        self._record.auth_attempted(username or "", success)
        if success:
            return AuthResult(success=True, handled=False, auth_data=username)
        error = {
            "status": "400" if token is None else "401",
            "schemes": "bearer",
            "scope": OAUTH_SCOPE,
        }
        if await server.challenge_auth(json.dumps(error)) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message=TOKEN_REFUSED)


def parse_xoauth2(blob: bytes) -> tuple[str | None, str | None]:
    """The user and the bearer token of an XOAUTH2 response; None for what is missing."""
    username = token = None
    for part in blob.decode("utf-8", errors="replace").split("\x01"):
        if part.startswith("user="):
            username = part[len("user=") :]
        elif part.startswith("auth=Bearer "):
            token = part[len("auth=Bearer ") :]
    return username, token
