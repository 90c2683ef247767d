"""Which software runs the server, from what it said: :func:`recognise` tries every sign of
:mod:`smtpdoctor.software.signs` on an :class:`Observation` of the conversation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from smtpdoctor.model.software import Software
from smtpdoctor.software.names import PRODUCTS
from smtpdoctor.software.signs import SIGNS, Place, Sign

#: The longest piece of server text quoted as evidence.
EVIDENCE_CHARACTERS = 80
#: How much of what the server said the signs are looked for in: the first lines of the
#: greeting and the start of each line or reply.  A sign is a few words near the start;
#: bounding the text bounds the matching, whatever a hostile server sends.
GREETING_LINES = 4
TEXT_CHARACTERS = 256
TEXTS = 64


@dataclass(frozen=True, slots=True)
class Observation:
    """What the server said, as far as the run has heard it.

    ``greeting`` holds the lines of the ``220`` greeting; ``ehlo`` the text after the domain
    on the first line of each EHLO reply; ``extensions`` the EHLO keywords; ``replies`` the
    text of later replies (each with its enhanced code, as the server sent it).
    """

    greeting: tuple[str, ...] = ()
    ehlo: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    replies: tuple[str, ...] = ()

    def texts(self, place: Place) -> Iterable[str]:
        """The texts a sign of ``place`` is looked for in."""
        if place is Place.GREETING:
            lines = self.greeting[:GREETING_LINES]
            return (" ".join(_start(line) for line in lines),) if lines else ()
        if place is Place.EXTENSION:
            texts = self.extensions
        elif place is Place.EHLO:
            texts = self.ehlo
        else:
            texts = self.replies
        return tuple(_start(text) for text in texts[:TEXTS])


def _start(text: str) -> str:
    return text.strip()[:TEXT_CHARACTERS]


def recognise(observation: Observation) -> Software | None:
    """The software the first matching sign names, with the evidence; None when no sign
    matches — an unknown server stays unknown."""
    for sign in SIGNS:
        for text in observation.texts(sign.place):
            found = _match(sign, text)
            if found is not None:
                return found
    return None


def _match(sign: Sign, text: str) -> Software | None:
    match = sign.pattern.search(text.strip())
    if match is None:
        return None
    product = PRODUCTS[sign.software]
    version = match.group(1) if match.re.groups and match.group(1) else None
    return Software(
        name=product.name,
        version=version,
        evidence=f"{sign.place.value}: {_quoted(_shown(sign, match.group(0), version))}",
        id=product.id,
        family=product.family,
    )


def _shown(sign: Sign, matched: str, version: str | None) -> str:
    if sign.shown is None:
        return matched
    return sign.shown.format(version=version or "")


def _quoted(matched: str) -> str:
    """What matched, at most :data:`EVIDENCE_CHARACTERS` characters of it."""
    if len(matched) <= EVIDENCE_CHARACTERS:
        return matched
    return matched[: EVIDENCE_CHARACTERS - 1].rstrip() + "…"
