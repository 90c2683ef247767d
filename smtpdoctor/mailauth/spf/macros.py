"""SPF macros (RFC 7208 §7): parsing a macro-string and expanding it; sans-IO.

A domain-spec such as ``%{ir}.%{v}._spf.%{d2}`` is parsed once, when the record is parsed
(a bad macro is a syntax error of the record), and expanded when the term is evaluated, with
the values of the check in hand::

    >>> pieces = parse_macro_string("%{ir}.%{v}._spf.%{d2}")
    >>> expand(pieces, {"i": "192.0.2.3", "v": "in-addr", "d": "mail.example.com"}.__getitem__)
    '3.2.0.192.in-addr._spf.example.com'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

__all__ = [
    "DOMAIN_LETTERS",
    "EXPLANATION_LETTERS",
    "Macro",
    "MacroString",
    "MacroSyntaxError",
    "expand",
    "parse_macro_string",
]

#: The macro letters a domain-spec may use (§7.1): sender, local-part, sender domain, domain,
#: IP, validated PTR name, "in-addr"/"ip6", HELO name.
DOMAIN_LETTERS = frozenset("slodiphv")
#: An explanation string (the TXT record ``exp=`` points to) may also use the client IP in
#: readable form, the receiving host and the time (§7.1).
EXPLANATION_LETTERS = DOMAIN_LETTERS | frozenset("crt")

#: A macro keeps at most this many right-hand parts; a larger count keeps them all anyway.
_MAX_DIGITS = 128
_BODY = re.compile(r"([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)")


class MacroSyntaxError(ValueError):
    """A macro-string that RFC 7208 §7.1 does not allow; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Macro:
    """One ``%{…}`` expansion: letter, how many right-hand parts, reversed, split on what."""

    letter: str
    """The macro letter, lower-case (``"d"``)."""
    keep: int | None
    """How many right-hand parts to keep (``%{d2}``), ``None`` for all."""
    reverse: bool
    delimiters: str
    """The characters the value is split on (``"."`` unless others are given)."""
    url_escape: bool
    """Written in upper case (``%{L}``): the value is URL-escaped (§7.3)."""
    transforms: bool
    """A digit, ``r`` or a delimiter was given: the value is split and re-joined with dots."""


@dataclass(frozen=True, slots=True)
class MacroString:
    """A parsed macro-string: literal text and :class:`Macro` pieces, in order."""

    pieces: tuple[str | Macro, ...]
    ends_with_macro: bool
    """The text ends with a macro-expand (``%{d}``, ``%%``, ``%_``, ``%-``): a domain-spec may
    end so instead of with a top label (§7.1 ``domain-end``)."""

    @property
    def literal(self) -> str | None:
        """The text when it holds no ``%{…}`` macro (escapes resolved), else ``None``."""
        if all(isinstance(piece, str) for piece in self.pieces):
            return "".join(piece for piece in self.pieces if isinstance(piece, str))
        return None


def parse_macro_string(text: str, *, explanation: bool = False) -> MacroString:
    """Parse ``text`` as a macro-string (§7.1); an explanation string (``explanation``) may
    also hold spaces and the letters c, r and t.

    :raises MacroSyntaxError: a ``%`` not followed by ``{``, ``%``, ``_`` or ``-``, an unclosed
        or malformed ``%{…}``, a letter not allowed here, a character that is not visible
        ASCII.
    """
    letters = EXPLANATION_LETTERS if explanation else DOMAIN_LETTERS
    pieces: list[str | Macro] = []
    literal: list[str] = []
    ends_with_macro = False
    at = 0
    while at < len(text):
        char = text[at]
        ends_with_macro = False
        if char == "%":
            follower = text[at + 1 : at + 2]
            escapes = {"%": "%", "_": " ", "-": "%20"}
            if follower in escapes:
                literal.append(escapes[follower])
                at += 2
                ends_with_macro = True
                continue
            if follower != "{":
                shown = text[at : at + 2]
                raise MacroSyntaxError(
                    f"{shown!r}: a % must be followed by {{, %, _ or - "
                    "(write %% for a percent sign)"
                )
            end = text.find("}", at + 2)
            if end < 0:
                raise MacroSyntaxError(f"{text[at:]!r}: a macro opened with %{{ is never closed")
            if literal:
                pieces.append("".join(literal))
                literal = []
            pieces.append(_macro(text[at : end + 1], letters))
            at = end + 1
            ends_with_macro = True
            continue
        if not ("\x21" <= char <= "\x7e" or (explanation and char == " ")):
            raise MacroSyntaxError(
                f"{char!r} is not allowed here: only visible ASCII characters (no spaces, "
                "no control or non-ASCII characters)"
            )
        literal.append(char)
        at += 1
    if literal:
        pieces.append("".join(literal))
    return MacroString(tuple(pieces), ends_with_macro)


def _macro(written: str, letters: frozenset[str]) -> Macro:
    """``%{ir}`` (as written) as a :class:`Macro`."""
    match = _BODY.fullmatch(written[2:-1])
    if match is None:
        raise MacroSyntaxError(
            f"{written!r} is not a macro: %{{ letter [digits] [r] [delimiters] }}, such as %{{d2}}"
        )
    letter, digits, reverse, delimiters = match.groups()
    if letter.lower() not in letters:
        allowed = ", ".join(sorted(letters))
        raise MacroSyntaxError(f"{written!r}: the macro letter {letter!r} is not one of {allowed}")
    keep = int(digits) if digits else None
    if keep == 0:
        raise MacroSyntaxError(f"{written!r}: the number of parts to keep must not be zero")
    return Macro(
        letter=letter.lower(),
        keep=min(keep, _MAX_DIGITS) if keep is not None else None,
        reverse=bool(reverse),
        delimiters=delimiters or ".",
        url_escape=letter.isupper(),
        transforms=bool(digits or reverse or delimiters),
    )


def expand(macro_string: MacroString, value_of: Callable[[str], str]) -> str:
    """The text of ``macro_string`` with each macro replaced (§7.3, §7.4): ``value_of(letter)``
    gives a letter's value; parts are split, reversed, cut and re-joined with dots; an
    upper-case letter's value is URL-escaped."""
    out: list[str] = []
    for piece in macro_string.pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        value = value_of(piece.letter)
        if piece.transforms:
            parts = re.split("[" + re.escape(piece.delimiters) + "]", value)
            if piece.reverse:
                parts.reverse()
            if piece.keep is not None:
                parts = parts[-piece.keep :]
            value = ".".join(parts)
        if piece.url_escape:
            value = quote(value, safe="~")
        out.append(value)
    return "".join(out)
