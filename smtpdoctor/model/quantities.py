"""Quantities in words, written the same way in every output: a count with its noun
(``1 target``, ``2 targets``) and a size in bytes in a unit that keeps its first digits
(``500 B``, ``10 KB``, ``1.5 GB``), so that no size above zero reads as zero.

Sizes use decimal units (1 KB = 1000 bytes), as RFC 1870's ``SIZE`` limits are usually
quoted by mail providers ("35 MB").  Standard library only.
"""

from __future__ import annotations

#: The units of :func:`byte_size`, each 1000 times the one before.
_UNITS = ("B", "KB", "MB", "GB", "TB")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and its noun: ``singular`` for exactly one, else ``plural_form`` (by default
    ``singular`` + ``s``): ``plural(1, "target")`` is ``"1 target"``, ``plural(0, "line")``
    is ``"0 lines"``."""
    noun = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {noun}"


def byte_size(size: int) -> str:
    """``size`` bytes in the largest unit that keeps it at 1 or more: whole bytes below
    1000, then one decimal below 10 (``1.5 KB``, ``2 MB`` rather than ``2.0 MB``) and whole
    numbers above (``34 MB``)."""
    value, unit = float(size), 0
    while value >= 999.5 and unit < len(_UNITS) - 1:
        value, unit = value / 1000, unit + 1
    if unit == 0:
        return f"{size} B"
    shown = f"{value:.1f}".removesuffix(".0") if value < 9.95 else f"{value:.0f}"
    return f"{shown} {_UNITS[unit]}"
