"""``python -m smtpdoctor`` and the ``smtpdoctor`` console script.

Usage errors exit with 3, not click's 2: in the monitoring-plugins convention smtpdoctor
follows, 2 means "the server failed a check" and nothing else.

Output never crashes on a terminal, pipe or file that is not UTF-8 (a Windows code page,
``PYTHONIOENCODING=latin-1``, the C locale): :func:`tolerate_any_encoding` sets, once, at
this entry, an error handler on standard output and error that prints what the encoding
cannot hold as ASCII instead: the typographic characters smtpdoctor writes itself (arrows,
dashes, the ellipsis, curly quotes) as ``->``, ``-``, ``...`` and straight quotes, anything
else (server text, names) as a backslash escape (``\\u00e9``), which hides nothing.  The
renderers stay pure and keep their characters; only the bytes written change, and only
where they would have failed.  (On a stream that says it is ASCII, click writes UTF-8 with
replacements itself: that cannot crash either.)
"""

from __future__ import annotations

import codecs
import sys
from typing import TextIO

#: What the characters smtpdoctor prints become where the output's encoding lacks them.
_ASCII = {
    "\u2192": "->",  # rightwards arrow
    "\u2014": "-",  # em dash
    "\u2013": "-",  # en dash
    "\u2026": "...",  # horizontal ellipsis
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
}
_HANDLER = "smtpdoctor-ascii"


def _to_ascii(error: UnicodeError) -> tuple[str, int]:
    """The codec error handler: transliterate, else backslash-escape, the unencodable run."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start : error.end]
    text = "".join(
        _ASCII.get(char) or char.encode("ascii", "backslashreplace").decode() for char in bad
    )
    return text, error.end


def tolerate_any_encoding(*streams: TextIO) -> None:
    """Let ``streams`` (standard output and error) write any text: on a stream whose
    encoding is not UTF-8, what it cannot encode is written as ASCII (see above)."""
    codecs.register_error(_HANDLER, _to_ascii)
    for stream in streams:
        encoding = getattr(stream, "encoding", None) or "ascii"
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and codecs.lookup(encoding).name != "utf-8":
            reconfigure(errors=_HANDLER)


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    tolerate_any_encoding(sys.stdout, sys.stderr)
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # the fast path: no typer, no click, nothing else to import
        from smtpdoctor._version import __version__

        print(f"smtpdoctor {__version__}")
        return 0
    from smtpdoctor.cli import app, run_app

    return run_app(app, args)


if __name__ == "__main__":
    sys.exit(main())
