"""Tagged TXT records, sans-IO: the ``v=TAG; name=value; …`` grammar that MTA-STS (RFC 8461
§3.1) and TLS-RPT (RFC 8460 §3) share, and their common rule that a sender uses such a
record only when exactly one TXT text at the name begins with the version tag.

:func:`select_record` applies that rule and hands the one record to a parser, which reads
its fields with :func:`record_fields`; a malformed record raises :class:`RecordError`, whose
message says what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "EXT_NAME",
    "RecordError",
    "Selection",
    "record_fields",
    "select_record",
    "tagged_records",
]

#: A field or extension name (``sts-ext-name``, ``tlsrpt-ext-name``); MTA-STS policy keys
#: follow it too.
EXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_EXT_VALUE = re.compile(r"[\x21-\x3a\x3c\x3e-\x7e]+")
_FIELD_DELIM = re.compile(r"[ \t]*;[ \t]*")

T = TypeVar("T")


class RecordError(ValueError):
    """A tagged TXT record is malformed; the message says how."""


def tagged_records(texts: Iterable[str], version: str) -> tuple[str, ...]:
    """The texts that begin with ``v=VERSION`` followed by ``;`` or the end (senders
    discard the others; ``v=STSv10`` or ``V=STSv1`` is not ``v=STSv1``)."""
    prefix = re.compile(rf"v={re.escape(version)}(?:[ \t]*;|[ \t]*$)")
    return tuple(text for text in texts if prefix.match(text))


def record_fields(text: str, version: str, known: Collection[str]) -> tuple[tuple[str, str], ...]:
    """The ``(name, value)`` fields after ``v=VERSION`` in ``text``, in order.

    Every field must be ``name=value``; the values of ``known`` names are returned as they
    are, for the caller to check, the others must follow the extension grammar.

    :raises RecordError: ``text`` does not begin with ``v=VERSION``, has a second ``v=``, or
        has a field that is not ``name=value``.
    """
    fields = [field for field in _FIELD_DELIM.split(text.strip()) if field]
    if not fields or fields[0] != f"v={version}":
        raise RecordError(f"it does not begin with v={version}")
    found: list[tuple[str, str]] = []
    for field in fields[1:]:
        name, equals, value = field.partition("=")
        if name == "v":
            raise RecordError("it has two v= fields")
        if not equals or not (
            name in known or (EXT_NAME.fullmatch(name) and _EXT_VALUE.fullmatch(value))
        ):
            raise RecordError(f"{field!r} is not a name=value field")
        found.append((name, value))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Selection(Generic[T]):
    """What :func:`select_record` found at one name."""

    records: tuple[str, ...]
    """The texts that begin with the version tag (none, one or several)."""
    value: T | None = None
    """The one record, parsed; ``None`` when there is none, several, or it is malformed."""
    error: str = ""
    """Why the one record is malformed (empty otherwise)."""

    @property
    def multiple(self) -> bool:
        """Several records: senders ignore them all."""
        return len(self.records) > 1


def select_record(texts: Iterable[str], version: str, parse: Callable[[str], T]) -> Selection[T]:
    """The records among ``texts`` that begin with ``v=VERSION`` and, when there is exactly
    one, ``parse`` of it (RFC 8461 §3.1, RFC 8460 §3: with none, several or a malformed one,
    senders act as if there were none)."""
    records = tagged_records(texts, version)
    if len(records) != 1:
        return Selection(records)
    try:
        return Selection(records, parse(records[0]))
    except RecordError as exc:
        return Selection(records, error=str(exc))
