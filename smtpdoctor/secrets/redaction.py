"""The last line of defence for secrets: nothing the runner hands out may carry one.

Secrets are kept out at the source — commands show ``[redacted]`` in the transcript, the
session scrubs what a server echoes back — but an exception's message, a plugin's summary or
a detail can still carry a password in one of the forms it took on the wire.  The runner
passes every result and the transcript through a :class:`Redactor` before an observer, a
renderer or the caller sees them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import replace
from types import MappingProxyType

from smtpdoctor.model.results import CheckResult, DetailValue, Hint, TranscriptLine
from smtpdoctor.protocol import REDACTED

#: Secrets shorter than this are recognised only inside base64: replacing every occurrence
#: of a three-letter password in plain text would garble the report.
MIN_PLAIN_LENGTH = 4
#: The fewest bytes of a secret a base64 word must show, at one of its ends, to be taken for
#: what is left of a blob cut short (a server's echo, an error quoting its first 60 bytes).
MIN_FRAGMENT = 3
#: What a base64 word is made of: digits, and the padding that ends a blob (blobs can follow
#: one another, so padding does not end the word).
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


class Redactor:
    """Replaces secrets, and every base64 word that encodes one, with ``[redacted]``.

    A base64 word goes whole when, decoded at one of its four alignments (a word quoted from
    the middle of a line may not start at a group boundary), its bytes hold a secret (AUTH
    PLAIN's ``\\0user\\0password``, XOAUTH2's ``user=…\\x01auth=Bearer token…``), end in
    :data:`MIN_FRAGMENT` or more of its first bytes or start with as many of its last: a blob
    cut short keeps at most two bytes of the secret.  Only words holding a *marker* are
    decoded: three base64 digits that those bytes encode to, whatever the alignment.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        given = {secret for secret in secrets if secret}
        raw = [secret.encode("utf-8") for secret in given]
        self._secrets = tuple(secret for secret in raw if len(secret) >= MIN_FRAGMENT)
        plain = {secret for secret in given if len(secret) >= MIN_PLAIN_LENGTH}
        plain.update(base64.b64encode(s).decode() for s in raw if len(s) < MIN_FRAGMENT)
        self._plain = _alternatives(plain)
        self._markers = _alternatives({m for secret in self._secrets for m in _markers(secret)})

    def text(self, text: str) -> str:
        """``text`` with every secret, plain or in base64, replaced by ``[redacted]``."""
        if self._plain is not None:
            text = self._plain.sub(REDACTED, text)
        if self._markers is None:
            return text
        pieces: list[str] = []
        last = checked = 0
        for match in self._markers.finditer(text):
            if match.start() < checked:
                continue  # in a word already looked at
            start, checked = _widen(text, *match.span())
            if self._reveals(text[start:checked]):
                pieces += [text[last:start], REDACTED]
                last = checked
        return "".join([*pieces, text[last:]]) if pieces else text

    def _reveals(self, word: str) -> bool:
        for digits in word.split("="):
            for offset in range(min(4, len(digits) - 3)):  # 4 digits are needed for 3 bytes
                decoded = _decode(digits[offset:])
                if any(_shows(decoded, secret) for secret in self._secrets):
                    return True
        return False

    def result(self, result: CheckResult) -> CheckResult:
        """``result`` with its summary, details, reply text and hints redacted."""
        if self._plain is None and self._markers is None:
            return result
        outcome = result.outcome
        details = {key: self._value(value) for key, value in outcome.details.items()}
        reply_text = outcome.reply_text
        cleaned = replace(
            outcome,
            summary=self.text(outcome.summary),
            details=MappingProxyType(details),
            reply_text=None if reply_text is None else self.text(reply_text),
            hints=tuple(self._hint(hint) for hint in outcome.hints),
        )
        return replace(result, outcome=cleaned, hints=tuple(self._hint(h) for h in result.hints))

    def transcript(self, lines: Iterable[TranscriptLine]) -> tuple[TranscriptLine, ...]:
        """The transcript with every line's text redacted."""
        return tuple(replace(line, text=self.text(line.text)) for line in lines)

    def _value(self, value: DetailValue) -> DetailValue:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, tuple):
            return tuple(self.text(item) for item in value)
        return value

    def _hint(self, hint: Hint) -> Hint:
        return Hint(
            self.text(hint.title),
            tuple(self.text(step) for step in hint.steps),
            None if hint.url is None else self.text(hint.url),
        )


def _alternatives(words: set[str]) -> re.Pattern[str] | None:
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


def _markers(secret: bytes) -> set[str]:
    """The base64 digits that the first and the last three bytes of ``secret`` alone decide,
    at each of the three alignments: any word showing three of its bytes holds one of them."""
    found = set()
    for piece in (secret[:MIN_FRAGMENT], secret[-MIN_FRAGMENT:]):
        for shift in range(3):
            encoded = base64.b64encode(b"\0" * shift + piece + b"\0" * 3).decode()
            first = -(-8 * shift // 6)  # the first digit made of the piece's bits only
            found.add(encoded[first : first + 3])
    return found


def _decode(digits: str) -> bytes:
    """The bytes of base64 ``digits`` (no padding), a dangling last digit ignored."""
    usable = len(digits) - (len(digits) % 4 == 1)
    return binascii.a2b_base64(digits[:usable] + "=" * (-usable % 4))


def _shows(decoded: bytes, secret: bytes) -> bool:
    """Whether ``decoded`` holds ``secret``, or what is left of it where a blob was cut: its
    first bytes at the end, its last bytes at the start — give or take the group that a
    character glued to the cut spoils."""
    if secret in decoded:
        return True
    return any(
        decoded.find(secret[:size], max(0, len(decoded) - size - 3)) != -1
        or decoded.find(secret[-size:], 0, size + 3) != -1
        for size in range(MIN_FRAGMENT, min(len(secret), len(decoded) + 1))
    )


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a match to the whole base64 word around it."""
    while start > 0 and text[start - 1] in _BASE64_CHARS:
        start -= 1
    while end < len(text) and text[end] in _BASE64_CHARS:
        end += 1
    return start, end
