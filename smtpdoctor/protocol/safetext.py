"""How text that a server chose is made safe to show, the same way in every output format.

A server chooses its banner, its replies and EHLO keywords, the names in its certificate,
and what an IMAP server answers (folder names, ``Authentication-Results``); DNS and the
user choose host names.  Any of it may hold characters a terminal, an editor, a browser or
a log viewer acts on rather than shows: an escape sequence that clears the screen, a bidi
override (U+202E) or isolate (U+2066 to U+2069) that makes ``gro.elpmaxe`` read
``example.org``, a zero-width space (U+200B) or byte-order mark (U+FEFF) that hides inside
a name.

The policy, decided here and nowhere else: **every character that** :meth:`str.isprintable`
**rejects is written as a visible backslash escape** — ``\\x1b``, ``\\u202e``,
``\\U000e0041`` — as Python's :func:`repr` writes it.  That is C0 and C1 controls and DEL
(category Cc), format characters (Cf: the bidi controls, zero-width characters, U+FEFF, the
soft hyphen, tag characters), surrogates (Cs, which UTF-8 cannot even encode), private-use
(Co) and unassigned (Cn) code points, whose look no standard fixes, the line and paragraph
separators (Zl, Zp) and every space but U+0020 (Zs: a no-break or ideographic space looks
like a space and is not one).  Everything else, any script, ``→``, ``—``, ``�``, is kept.

Line breaks depend on the format: on one line (a table cell, the transcript, Nagios, a
Prometheus label, a status-page row) LF, CR, TAB, VT and FF become a space; in a JSON
string (``multiline=True``) LF and TAB are kept, because JSON writes them as ``\\n`` and
``\\t`` and a multi-line reply stays one, while CR, VT and FF are escaped (``\\r``,
``\\x0b``, ``\\x0c``).

A backslash is not escaped, so the policy is idempotent: text the reply parser already made
safe passes through every renderer unchanged, and nothing is ever escaped twice.  (So
``\\x1b`` in the output may also be what the server literally sent: the text is readable,
not a lossless encoding.)

It lives in the bottom layer so that the reply parser (which escapes each reply line as it
arrives), the SASL error quoting and every renderer use this one function.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["safe_data", "safe_text"]

#: A one-line rendering turns these into spaces.
_ONE_LINE = str.maketrans("\n\r\t\x0b\x0c", "     ")
#: What :func:`repr` escapes and the policy keeps: a backslash, a quote, and (left only in
#: multi-line text) LF and TAB.
_KEPT = re.compile(r"\\([\\'nt])")
_UNESCAPED = {"n": "\n", "t": "\t"}


def safe_text(text: str, *, multiline: bool = False) -> str:
    """``text`` with every character :meth:`str.isprintable` rejects written as a backslash
    escape (``\\u202e``); see the module's docstring for the policy.

    :param multiline: keep LF and TAB (for JSON, which escapes them itself); by default
        they, CR, VT and FF become a space, so the text stays on one line.
    """
    if text.isprintable():  # nearly all text: checked in C, returned as it is
        return text
    if not multiline:
        text = text.translate(_ONE_LINE)
    # repr() escapes exactly what isprintable() rejects, in C and as the policy writes it;
    # it also escapes the backslash and a quote, and writes LF and TAB as \n and \t: those
    # are put back.  (Left to right, so a backslash the server sent before an "n" stays.)
    return _KEPT.sub(_unescaped, repr(text)[1:-1])


def _unescaped(match: re.Match[str]) -> str:
    return _UNESCAPED.get(match[1], match[1])


def safe_data(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` — JSON-compatible data: mappings, lists, tuples, strings, numbers — with
    every string, keys too, made safe by ``safe_text(..., multiline=True)``; tuples become
    lists, as JSON has them."""
    return {safe_text(key, multiline=True): _safe(value) for key, value in document.items()}


def _safe(value: object) -> object:
    if isinstance(value, str):
        return safe_text(value, multiline=True)
    if isinstance(value, Mapping):
        return {_safe(key): _safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(item) for item in value]
    return value
