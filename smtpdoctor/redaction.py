"""The last line of defence for secrets: nothing the runner hands out may carry one.

Secrets are kept out at the source — commands show ``[redacted]`` in the transcript, the
session scrubs what a server echoes back — but an exception's message, a plugin's summary or
a detail can still carry a password in one of the forms it took on the wire.  The runner
passes every result and the transcript through a :class:`Redactor` before an observer, a
renderer or the caller sees them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import replace
from types import MappingProxyType

from smtpdoctor.config import RunConfig
from smtpdoctor.protocol import REDACTED
from smtpdoctor.results import CheckResult, DetailValue, Hint, TranscriptLine

#: Secrets shorter than this are recognised only inside base64: replacing every occurrence
#: of a three-letter password in plain text would garble the report.
MIN_PLAIN_LENGTH = 4
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def run_secrets(config: RunConfig) -> tuple[str, ...]:
    """The secrets of a run: the password and the OAuth token, when given."""
    credentials = config.credentials
    found = [
        credentials.password if credentials is not None else None,
        config.oauth_token,
    ]
    return tuple(secret.reveal() for secret in found if secret is not None and secret.reveal())


class Redactor:
    """Replaces secrets, and every base64 word that encodes one, with ``[redacted]``.

    Inside a base64 blob a secret is encoded differently depending on how many bytes precede
    it (AUTH PLAIN's ``\\0user\\0password``, XOAUTH2's ``user=…\\x01auth=Bearer token…``),
    so the redactor looks for all three alignments and removes the whole base64 word that
    holds one: no part of the encoded secret survives.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        needles: set[str] = set()
        for secret in secrets:
            needles.update(_needles(secret))
        ordered = sorted(needles, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    @classmethod
    def for_run(cls, config: RunConfig) -> Redactor:
        """A redactor for the secrets of ``config``."""
        return cls(run_secrets(config))

    def text(self, text: str) -> str:
        """``text`` with every secret, plain or in base64, replaced by ``[redacted]``."""
        if self._pattern is None:
            return text
        spans: list[tuple[int, int]] = []
        for match in self._pattern.finditer(text):
            start, end = _widen(text, *match.span())
            if spans and start <= spans[-1][1]:
                start = spans[-1][0]
                spans.pop()
            spans.append((start, end))
        if not spans:
            return text
        pieces: list[str] = []
        last = 0
        for start, end in spans:
            pieces += [text[last:start], REDACTED]
            last = end
        pieces.append(text[last:])
        return "".join(pieces)

    def result(self, result: CheckResult) -> CheckResult:
        """``result`` with its summary, details, reply text and hints redacted."""
        if self._pattern is None:
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


def _needles(secret: str) -> set[str]:
    """What to look for: the secret itself, and the part of its base64 encoding that does not
    depend on its neighbours, at each of the three alignments."""
    raw = secret.encode("utf-8")
    if not raw:
        return set()
    needles = {base64.b64encode(raw).decode("ascii")}  # alone, as in a LOGIN answer
    if len(secret) >= MIN_PLAIN_LENGTH:
        needles.add(secret)
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        # Skip the group shared with the bytes before the secret, and the last group,
        # which depends on the bytes after it.
        first = 4 if shift else 0
        core = encoded[first : 4 * ((shift + len(raw)) // 3)]
        if len(core) >= 4:
            needles.add(core)
    return needles


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a match to the whole base64 word around it (with its ``=`` padding)."""
    while start > 0 and text[start - 1] in _BASE64_CHARS:
        start -= 1
    while end < len(text) and text[end] in _BASE64_CHARS:
        end += 1
    while end < len(text) and text[end] == "=":
        end += 1
    return start, end
