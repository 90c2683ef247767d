"""TLS-RPT (RFC 8460), sans-IO: the ``_smtp._tls`` TXT record and its report URIs.

The ``tls-rpt`` domain check asks DNS and hands the TXT texts to :func:`select_tlsrpt_record`;
the record grammar and the exactly-one rule are those of
:mod:`smtpdoctor.domain.txtrecord`, shared with MTA-STS.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from smtpdoctor.domain.txtrecord import RecordError, Selection, record_fields, select_record

__all__ = ["MAX_URIS", "VERSION", "RecordError", "parse_tlsrpt", "select_tlsrpt_record"]

#: The version tag of the ``_smtp._tls`` TXT record.
VERSION = "TLSRPTv1"
#: The most report URIs read from one record (real ones have one or two).
MAX_URIS = 10

_URI_DELIM = re.compile(r"[ \t]*,[ \t]*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_LOCAL_PART = re.compile(r"[^\s@<>()\[\]\\,;:\"]+|\"[^\"\r\n]+\"")


def select_tlsrpt_record(texts: tuple[str, ...]) -> Selection[tuple[str, ...]]:
    """The TXT texts at ``_smtp._tls.DOMAIN`` that begin with ``v=TLSRPTv1`` and, when there
    is exactly one, its report URIs (RFC 8460 §3: otherwise senders send no reports)."""
    return select_record(texts, VERSION, parse_tlsrpt)


def parse_tlsrpt(text: str) -> tuple[str, ...]:
    """The report URIs (``rua``) of one ``v=TLSRPTv1`` record (RFC 8460 §3).

    :raises RecordError: no ``rua`` or two, a URI that is not a valid ``mailto:`` or
        ``https:`` URI, more than :data:`MAX_URIS` of them, or a field that is not
        ``name=value``.
    """
    ruas = [value for name, value in record_fields(text, VERSION, known=("rua",)) if name == "rua"]
    if not ruas:
        raise RecordError("it has no rua= field saying where to send the reports")
    if len(ruas) > 1:
        raise RecordError(f"it has {len(ruas)} rua= fields; put every URI in one, comma-separated")
    uris = _URI_DELIM.split(ruas[0])
    if len(uris) > MAX_URIS:
        raise RecordError(f"rua has {len(uris)} URIs; at most {MAX_URIS} are read")
    for uri in uris:
        problem = _uri_problem(uri)
        if problem:
            raise RecordError(f"rua {uri!r} {problem}")
    return tuple(uris)


def _uri_problem(uri: str) -> str:
    """What is wrong with report URI ``uri``, or ``""``."""
    scheme, colon, rest = uri.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in ("mailto", "https"):
        return "is not a mailto: or https: URI"
    if scheme == "mailto":
        address = unquote(rest.partition("?")[0])
        local, at, domain = address.rpartition("@")
        if not at or not _LOCAL_PART.fullmatch(local) or not _is_domain(domain):
            return "is not mailto: followed by an e-mail address"
        return ""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError as exc:
        return f"is not a valid https: URI ({exc})"
    if not parts.netloc.strip() or not host or any(char.isspace() for char in uri):
        return "is not an https:// URI with a host name"
    return ""


def _is_domain(name: str) -> bool:
    labels = name.rstrip(".").split(".")
    return len(name) <= 253 and len(labels) >= 2 and all(map(_LABEL.fullmatch, labels))
