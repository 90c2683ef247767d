"""MTA-STS (RFC 8461), sans-IO: the ``_mta-sts`` TXT record, the policy file, MX matching.

Nothing here touches the network: the ``mta-sts`` domain check asks DNS and fetches the
policy, then hands the TXT texts to :func:`select_sts_record` and the policy to
:func:`parse_policy`, and the MX names to :meth:`Policy.pattern_for`.  Every problem is
reported in words; nothing raises but :func:`parse_sts_record`, with a
:class:`~smtpdoctor.domain.txtrecord.RecordError` whose message says what is wrong.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from smtpdoctor.domain.txtrecord import (
    EXT_NAME,
    RecordError,
    Selection,
    record_fields,
    select_record,
)

__all__ = [
    "MAX_AGE_LIMIT",
    "POLICY_PATH",
    "VERSION",
    "Mode",
    "ParsedPolicy",
    "Policy",
    "RecordError",
    "StsRecord",
    "mx_matches",
    "parse_policy",
    "parse_sts_record",
    "select_sts_record",
]

#: Where the policy lives on ``mta-sts.DOMAIN`` (RFC 8461 §3.3).
POLICY_PATH = "/.well-known/mta-sts.txt"
#: The largest ``max_age`` allowed: about one year, in seconds (RFC 8461 §3.2).
MAX_AGE_LIMIT = 31_557_600
#: How many policy lines are read; a 64 KiB policy cannot hold many more useful ones.
MAX_POLICY_LINES = 1000
#: How many ``mx`` patterns are kept (real policies have a handful).
MAX_PATTERNS = 100

#: The version tag of the ``_mta-sts`` TXT record.
VERSION = "STSv1"

_RECORD_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_KEYS = ("version", "mode", "max_age", "mx")


@dataclass(frozen=True, slots=True)
class StsRecord:
    """A well-formed ``_mta-sts`` TXT record: ``v=STSv1; id=20240101T000000;``."""

    id: str
    """Changes whenever the policy changes, telling senders to fetch it again."""
    extensions: tuple[str, ...] = ()
    """Other fields (``name=value``), which senders ignore."""


def select_sts_record(texts: tuple[str, ...]) -> Selection[StsRecord]:
    """The TXT texts at ``_mta-sts.DOMAIN`` that begin with ``v=STSv1`` and, when there is
    exactly one, that record parsed (RFC 8461 §3.1: otherwise senders act as if the domain
    had no MTA-STS)."""
    return select_record(texts, VERSION, parse_sts_record)


def parse_sts_record(text: str) -> StsRecord:
    """Parse one ``v=STSv1`` record (RFC 8461 §3.1).

    :raises RecordError: no ``id``, two of them, an ``id`` that is not 1 to 32 letters and
        digits, or a field that is not ``name=value``.
    """
    ids: list[str] = []
    extensions: list[str] = []
    for name, value in record_fields(text, VERSION, known=("id",)):
        if name != "id":
            extensions.append(f"{name}={value}")
        elif not _RECORD_ID.fullmatch(value):
            raise RecordError(f"id={value} is not 1 to 32 letters and digits")
        else:
            ids.append(value)
    if not ids:
        raise RecordError("it has no id= field (such as id=20240101T000000)")
    if len(ids) > 1:
        raise RecordError(f"it has {len(ids)} id= fields")
    return StsRecord(ids[0], tuple(extensions))


class Mode(enum.StrEnum):
    """What a policy asks of senders (RFC 8461 §5)."""

    ENFORCE = "enforce"
    """Deliver only to a matching MX over TLS with a valid certificate."""
    TESTING = "testing"
    """Report failures (TLS-RPT) but deliver anyway."""
    NONE = "none"
    """No policy: used to withdraw one."""


@dataclass(frozen=True, slots=True)
class Policy:
    """A valid MTA-STS policy."""

    mode: Mode
    max_age: int
    """Seconds a sender may cache the policy."""
    mx: tuple[str, ...]
    """The MX patterns, lower-case, without a trailing dot (``mail.example.com``,
    ``*.example.net``); empty only in ``none`` mode."""

    def pattern_for(self, host: str) -> str | None:
        """The first ``mx`` pattern ``host`` matches, or ``None`` (see :func:`mx_matches`)."""
        return next((pattern for pattern in self.mx if mx_matches(pattern, host)), None)


def mx_matches(pattern: str, host: str) -> bool:
    """Whether MX host ``host`` matches policy pattern ``pattern`` (RFC 8461 §4.1): equal,
    ignoring case and a trailing dot, or ``*.`` standing for exactly one leftmost label
    (``*.example.com`` matches ``mx.example.com``, not ``example.com`` nor ``a.b.example.com``)."""
    pattern = pattern.lower().rstrip(".")
    host = host.lower().rstrip(".")
    if not pattern.startswith("*."):
        return host == pattern
    suffix = pattern[1:]
    label = host.removesuffix(suffix)
    return host.endswith(suffix) and bool(label) and "." not in label


@dataclass(frozen=True, slots=True)
class ParsedPolicy:
    """What :func:`parse_policy` made of a policy file."""

    policy: Policy | None
    """The policy, or ``None`` when :attr:`errors` make it invalid (senders then act as if
    the domain had no MTA-STS)."""
    errors: tuple[str, ...] = ()
    """Why the policy is invalid, one sentence each."""
    ignored: tuple[str, ...] = ()
    """Keys senders ignore (extensions, unknown keys)."""
    line_ending: str = "CRLF"
    """``CRLF``, ``LF`` (both allowed) or ``mixed``."""


def parse_policy(body: bytes) -> ParsedPolicy:
    """Parse a policy file (RFC 8461 §3.2): ``key: value`` lines ended by CRLF or LF;
    ``version: STSv1``, ``mode`` and ``max_age`` exactly once, ``mx`` once or more (unless the
    mode is ``none``); other keys ignored.  Bounded: at most :data:`MAX_POLICY_LINES` lines."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedPolicy(None, (f"it is not UTF-8 text (byte {exc.start} is not)",))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    crlf = sum(1 for line in lines if line.endswith("\r"))
    ending = "CRLF" if crlf == len(lines) else "LF" if crlf == 0 else "mixed"
    errors: list[str] = []
    if len(lines) > MAX_POLICY_LINES:
        errors.append(f"it has {len(lines)} lines; only the first {MAX_POLICY_LINES} were read")
        lines = lines[:MAX_POLICY_LINES]
    values: dict[str, list[str]] = {key: [] for key in _KEYS}
    ignored: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon or not EXT_NAME.fullmatch(key):
            errors.append(f"line {number} is not 'key: value': {_quote(line)}")
        elif key in values:
            values[key].append(value.strip(" \t"))
        elif key.lower() in values:
            errors.append(f"line {number}: keys are lower-case ({key.lower()}, not {key})")
        else:
            ignored.append(key)
    policy_fields = _check_fields(values, errors)
    policy = None if errors or policy_fields is None else Policy(*policy_fields)
    return ParsedPolicy(policy, tuple(errors), tuple(dict.fromkeys(ignored)), ending)


def _check_fields(
    values: dict[str, list[str]], errors: list[str]
) -> tuple[Mode, int, tuple[str, ...]] | None:
    """The mode, max_age and patterns, appending to ``errors`` what is missing or wrong."""
    for key in ("version", "mode", "max_age"):
        if not values[key]:
            errors.append(f"it has no {key} line")
        elif len(values[key]) > 1:
            found = ", ".join(_quote(value) for value in values[key])
            errors.append(f"it has {len(values[key])} {key} lines ({found}); one is allowed")
    version = values["version"][:1]
    if version and version[0] != "STSv1":
        errors.append(f"version is {_quote(version[0])}, not STSv1")
    mode = _mode(values["mode"][:1], errors)
    max_age = _max_age(values["max_age"][:1], errors)
    patterns = _patterns(values["mx"], errors)
    if mode is not None and mode is not Mode.NONE and not values["mx"]:
        errors.append(f"it has no mx line, which mode {mode} needs")
    if mode is None or max_age is None:
        return None
    return mode, max_age, patterns


def _mode(given: list[str], errors: list[str]) -> Mode | None:
    if not given:
        return None
    try:
        return Mode(given[0])
    except ValueError:
        errors.append(f"mode is {_quote(given[0])}, not enforce, testing or none")
        return None


def _max_age(given: list[str], errors: list[str]) -> int | None:
    if not given:
        return None
    value = given[0]
    if not (value.isascii() and value.isdigit() and len(value) <= 10):
        errors.append(f"max_age is {_quote(value)}, not a number of seconds")
        return None
    seconds = int(value)
    if seconds > MAX_AGE_LIMIT:
        errors.append(f"max_age {seconds} is over the limit of {MAX_AGE_LIMIT} (about a year)")
        return None
    return seconds


def _patterns(given: list[str], errors: list[str]) -> tuple[str, ...]:
    patterns: list[str] = []
    for value in given[:MAX_PATTERNS]:
        pattern = value.lower().rstrip(".")
        name = pattern.removeprefix("*.")
        labels = name.split(".")
        if len(name) > 253 or len(labels) < 2 or not all(map(_LABEL.fullmatch, labels)):
            errors.append(f"mx {_quote(value)} is not a host name or *.domain pattern")
        else:
            patterns.append(pattern)
    if len(given) > MAX_PATTERNS:
        errors.append(f"it has {len(given)} mx lines; only {MAX_PATTERNS} were read")
    return tuple(dict.fromkeys(patterns))


def _quote(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, cut at ``limit`` characters."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return repr(cut)
