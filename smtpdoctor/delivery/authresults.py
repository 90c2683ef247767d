"""What a delivered message says about its own authentication, read without I/O.

The receiving side records its verdicts in ``Authentication-Results`` (RFC 8601) and often
``Received-SPF`` (RFC 7208 §9.1), the connecting address in ``Received`` (RFC 5321 §4.4), and
the sender signs with ``DKIM-Signature`` (RFC 6376).  :func:`read_delivered` reads those fields
of a message as it came out of the mailbox into a frozen :class:`DeliveredHeaders`.

The message is hostile input: every count and length is bounded, text is decoded with
replacement, and what cannot be parsed is skipped and counted — never an exception.  The
``Authentication-Results`` parser is our own and small (the ``authres`` package has not been
released since 2019): comments are dropped, ``method[/version]=result``, ``reason=`` and
``ptype.property=value`` are read, anything else in a result is ignored.

Whose verdicts they are: a receiver adds its ``Authentication-Results`` on top, but a filter on
the mailbox side may add one above it, and a message the receiver did not stamp still carries
whatever its sender or an earlier hop wrote.  So the receiver's field is the topmost one whose
authserv-id belongs to the receiving side — the organisational domain of the IMAP host, of the
recipient's domain, or of the host that wrote the topmost ``Received`` — and only when none
does, the topmost field, marked as not recognisably the receiver's.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = [
    "MAX_HEADER_FIELDS",
    "AuthenticationResults",
    "ConnectingClient",
    "DeliveredHeaders",
    "MethodResult",
    "SignatureTags",
    "header_fields",
    "parse_authentication_results",
    "read_delivered",
]

#: The most header fields read from one message.
MAX_HEADER_FIELDS = 500
#: The longest header field value read (characters); longer ones are cut.
MAX_FIELD_CHARS = 16 * 1024
#: The most ``Authentication-Results`` fields read (topmost first).
MAX_RESULT_FIELDS = 8
#: The most results read from one ``Authentication-Results`` field.
MAX_RESULTS = 32
#: The most properties read from one result.
MAX_PROPERTIES = 16
#: The most ``DKIM-Signature`` fields read.
MAX_SIGNATURES = 8
#: The most ``Received`` fields looked through for the connecting address.
MAX_RECEIVED = 32

_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_FIELD_NAME = re.compile(r"[!-9;-~]+")
_METHOD = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9_-]*)(?:\s*/\s*[0-9]+)?\s*=\s*([A-Za-z0-9_-]+)")
_PROPERTY = re.compile(
    r"\s*([A-Za-z0-9][A-Za-z0-9_-]*(?:\s*\.\s*[A-Za-z0-9_-]+)?)\s*=\s*"
    r'("(?:[^"\\]|\\.)*"(?:@[^\s;"]+)?|[^\s;"]+)'
)
_AUTHSERV = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[^\s;"]+)')
_BRACKETED_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_RECEIVED_FROM = re.compile(r"^\s*from\s+(\S+)", re.IGNORECASE)
_ADDRESS_DOMAIN = re.compile(r"@([^\s@<>\"]+)\s*$")
_RECEIVED_BY = re.compile(r"(?:^|\s)by\s+([^\s;()\[\]]+)", re.IGNORECASE)
_DOMAIN_NAME = re.compile(
    r"(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
#: The most names of the receiving side compared with each authserv-id.
MAX_RECEIVING_NAMES = 8
#: Networks of a site's own hops (a content filter on loopback, an internal relay), which are
#: not the address the message came from.
_INTERNAL = tuple(
    ipaddress.ip_network(network)
    for network in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


@dataclass(frozen=True, slots=True)
class MethodResult:
    """One result of an ``Authentication-Results`` field: ``dkim=pass header.d=example.com``."""

    method: str
    """Lower-case: ``spf``, ``dkim``, ``dmarc``, ``arc``, ``iprev`` …"""
    result: str
    """Lower-case: ``pass``, ``fail``, ``softfail``, ``none`` …"""
    reason: str = ""
    properties: tuple[tuple[str, str], ...] = ()
    """``(ptype.property, value)``, the name lower-case, the value as written (unquoted)."""

    def property(self, name: str) -> str | None:
        """The value of property ``name`` (``header.d``), if present."""
        wanted = name.lower()
        return next((value for key, value in self.properties if key == wanted), None)

    def __str__(self) -> str:
        extra = " ".join(f"{key}={value}" for key, value in self.properties)
        return f"{self.method}={self.result}" + (f" {extra}" if extra else "")


@dataclass(frozen=True, slots=True)
class AuthenticationResults:
    """One ``Authentication-Results`` field: who checked (the authserv-id) and what it found."""

    authserv_id: str
    results: tuple[MethodResult, ...]
    skipped: int = 0
    """Results that could not be parsed (or were past :data:`MAX_RESULTS`)."""

    def of(self, method: str) -> tuple[MethodResult, ...]:
        """The results of ``method`` (several ``dkim`` results for several signatures)."""
        return tuple(result for result in self.results if result.method == method)

    def verdict(self, method: str) -> str | None:
        """The verdict on ``method``: ``pass`` when any result passes, else the first result;
        None when the field has no result of that method."""
        found = [result.result for result in self.of(method)]
        if not found:
            return None
        return "pass" if "pass" in found else found[0]


@dataclass(frozen=True, slots=True)
class SignatureTags:
    """The tags of one ``DKIM-Signature`` that say who signed: ``d=``, ``s=`` and ``a=``."""

    domain: str
    """``d=``, lower-case, empty when missing."""
    selector: str
    """``s=``, empty when missing."""
    algorithm: str
    """``a=`` (``rsa-sha256``), empty when missing."""

    @property
    def key_name(self) -> str:
        """Where the public key is published: ``SELECTOR._domainkey.DOMAIN``."""
        return f"{self.selector}._domainkey.{self.domain}"

    def __str__(self) -> str:
        return f"d={self.domain or '?'} s={self.selector or '?'}"


@dataclass(frozen=True, slots=True)
class ConnectingClient:
    """The address the receiving side recorded as the one the message came from."""

    ip: str
    source: str
    """Which field said so, in words (``Received-SPF client-ip``)."""
    helo: str | None = None
    """The HELO name recorded with it, when one was."""


@dataclass(frozen=True, slots=True)
class DeliveredHeaders:
    """The header fields of a delivered message that matter for its authentication."""

    from_domain: str | None
    """The domain of the single ``From`` address, lower-case; None when there is none."""
    from_problem: str
    """Why :attr:`from_domain` is None, in words (empty when it is not)."""
    signatures: tuple[SignatureTags, ...]
    """The ``DKIM-Signature`` fields, topmost first, at most :data:`MAX_SIGNATURES`."""
    signature_fields: int
    """How many ``DKIM-Signature`` fields the message has (more than were read, maybe)."""
    authentication_results: tuple[AuthenticationResults, ...]
    """The ``Authentication-Results`` fields, topmost (the last receiver's) first."""
    client: ConnectingClient | None
    """Where the message came from, per the receiving side; None when nothing says."""
    receiver: AuthenticationResults | None = None
    """The field read as the receiving side's verdicts: the topmost whose authserv-id is of
    the receiving side, else the topmost; None without any."""
    receiver_recognised: bool = False
    """Whether :attr:`receiver`'s authserv-id belongs to the receiving side (False: it is
    merely the topmost field, and may have been written by anyone before the receiver)."""


def header_fields(message: bytes) -> tuple[tuple[str, str], ...]:
    """The header fields of ``message`` as ``(name, value)``, unfolded, in order; values
    decoded as UTF-8 (bad bytes replaced), whitespace runs collapsed, cut at
    :data:`MAX_FIELD_CHARS`; at most :data:`MAX_HEADER_FIELDS`.  Lines that are not fields
    are skipped."""
    head = _BLANK_LINE.split(message, maxsplit=1)[0]
    fields: list[tuple[str, list[str]]] = []
    for raw in head.splitlines():
        line = raw.decode("utf-8", errors="replace")
        if line[:1] in (" ", "\t"):
            if fields:
                fields[-1][1].append(line)
            continue
        if len(fields) == MAX_HEADER_FIELDS:
            break
        name, colon, value = line.partition(":")
        if colon and _FIELD_NAME.fullmatch(name):
            fields.append((name, [value]))
    return tuple(
        (name, " ".join(" ".join(parts)[:MAX_FIELD_CHARS].split())) for name, parts in fields
    )


def parse_authentication_results(value: str) -> AuthenticationResults | None:
    """One ``Authentication-Results`` field value, parsed (RFC 8601 §2.2); None when it cannot
    be read.  A field that starts with a result instead of an authserv-id (Microsoft 365 writes
    them so) has the authserv-id ``""``.  Comments are dropped; a result that cannot be read
    is skipped and counted."""
    text = _without_comments(value[:MAX_FIELD_CHARS])
    first, *rest = _split_outside_quotes(text, ";")
    if "=" in (first.split(None, 1) or [""])[0]:
        # no authserv-id at all: Microsoft 365 starts the field with its first result
        # ("spf=pass (sender IP is …) smtp.mailfrom=…; dkim=pass …")
        authserv_id = ""
        rest = [first, *rest]
    else:
        match = _AUTHSERV.match(first)
        if match is None:
            return None
        authserv_id = _unquote(match.group(1))
    results: list[MethodResult] = []
    skipped = 0
    for part in rest:
        if not part.strip() or part.strip().lower() == "none":
            continue
        result = _method_result(part) if len(results) < MAX_RESULTS else None
        if result is None:
            skipped += 1
        else:
            results.append(result)
    return AuthenticationResults(authserv_id, tuple(results), skipped)


def read_delivered(message: bytes, receiving: Iterable[str] = ()) -> DeliveredHeaders:
    """The authentication-related header fields of ``message`` (a whole message, or its
    header), read and parsed; never raises.

    ``receiving`` names the receiving side (the IMAP host, the recipient's domain): the
    receiver's ``Authentication-Results`` is the topmost whose authserv-id has the
    organisational domain of one of them or of the host that wrote the topmost ``Received``.
    """
    fields = header_fields(message)
    by_name: dict[str, list[str]] = {}
    for name, value in fields:
        by_name.setdefault(name.lower(), []).append(value)
    signatures = by_name.get("dkim-signature", [])
    results = [
        parsed
        for value in by_name.get("authentication-results", [])[:MAX_RESULT_FIELDS]
        if (parsed := parse_authentication_results(value)) is not None
    ]
    received = by_name.get("received", [])[:MAX_RECEIVED]
    receiver, recognised = _receiver(results, _receiving_domains(receiving, received))
    from_domain, from_problem = _from_domain(by_name.get("from", []))
    return DeliveredHeaders(
        from_domain=from_domain,
        from_problem=from_problem,
        signatures=tuple(_signature_tags(value) for value in signatures[:MAX_SIGNATURES]),
        signature_fields=len(signatures),
        authentication_results=tuple(results),
        client=_connecting_client(
            receiver, by_name.get("received-spf", [])[:MAX_RESULT_FIELDS], received
        ),
        receiver=receiver,
        receiver_recognised=recognised,
    )


# -- whose verdicts -----------------------------------------------------------------------------


def _receiving_domains(receiving: Iterable[str], received: list[str]) -> frozenset[str]:
    """The organisational domains of the receiving side's names that are domain names."""
    from smtpdoctor.mailauth.dmarc import organizational_domain

    names = list(itertools.islice(receiving, MAX_RECEIVING_NAMES))
    if received:  # the topmost Received: written by the mailbox side itself
        by = _RECEIVED_BY.search(received[0])
        if by is not None:
            names.append(by.group(1))
    cleaned = (name.strip().rstrip(".").lower() for name in names)
    return frozenset(organizational_domain(name) for name in cleaned if _is_domain_name(name))


def _receiver(
    results: list[AuthenticationResults], domains: frozenset[str]
) -> tuple[AuthenticationResults | None, bool]:
    """The receiver's field and whether its authserv-id was recognised (see the module)."""
    from smtpdoctor.mailauth.dmarc import organizational_domain

    for result in results:
        authserv_id = result.authserv_id.rstrip(".").lower()
        if _is_domain_name(authserv_id) and organizational_domain(authserv_id) in domains:
            return result, True
    return (results[0] if results else None), False


def _is_domain_name(text: str) -> bool:
    """Whether ``text`` (lower-case) is a DNS name of two labels or more, not an address."""
    return _DOMAIN_NAME.fullmatch(text) is not None and _ip(text) is None


# -- Authentication-Results ---------------------------------------------------------------------


def _characters(text: str) -> Iterator[tuple[str, bool, int]]:
    """Each character of ``text`` with whether it is inside a quoted string and the comment
    depth, quoted-pairs kept with their backslash."""
    quoted = False
    depth = 0
    escaped = False
    for char in text:
        if escaped:
            escaped = False
            yield char, quoted, depth
            continue
        if char == "\\" and (quoted or depth):
            escaped = True
        elif char == '"' and not depth:
            quoted = not quoted
        elif char == "(" and not quoted:
            depth += 1
        elif char == ")" and not quoted and depth:
            depth -= 1
            yield " ", quoted, depth  # the comment's end: CFWS, at depth 0 again
            continue
        yield char, quoted, depth


def _without_comments(text: str) -> str:
    """``text`` with every (nested) comment replaced by a space; quoted strings kept."""
    return "".join(char for char, _, depth in _characters(text) if not depth)


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = [""]
    for char, quoted, _ in _characters(text):
        if char == separator and not quoted:
            parts.append("")
        else:
            parts[-1] += char
    return parts


def _method_result(text: str) -> MethodResult | None:
    match = _METHOD.match(text)
    if match is None:
        return None
    reason = ""
    properties: list[tuple[str, str]] = []
    position = match.end()
    while len(properties) < MAX_PROPERTIES:
        found = _PROPERTY.match(text, position)
        if found is None:
            break
        position = found.end()
        name = "".join(found.group(1).split()).lower()
        value = _unquote(found.group(2))
        if name == "reason":
            reason = value
        elif "." in name:
            properties.append((name, value))
    return MethodResult(match.group(1).lower(), match.group(2).lower(), reason, tuple(properties))


def _unquote(value: str) -> str:
    """A quoted-string's content (quoted-pairs resolved), or ``value`` as it is; a quoted
    local part keeps its ``@domain``."""
    if not value.startswith('"'):
        return value
    closing = value.rfind('"')
    inner = re.sub(r"\\(.)", r"\1", value[1:closing])
    return inner + value[closing + 1 :]


# -- DKIM-Signature, From, the connecting address -----------------------------------------------


def _tag_list(value: str) -> dict[str, str]:
    """An RFC 6376 §3.2 tag-list as a mapping (the first of a repeated tag wins)."""
    tags: dict[str, str] = {}
    for part in value.split(";")[:64]:
        name, equals, tag_value = part.partition("=")
        if equals:
            tags.setdefault(name.strip(), "".join(tag_value.split()))
    return tags


def _signature_tags(value: str) -> SignatureTags:
    tags = _tag_list(value)
    return SignatureTags(
        domain=tags.get("d", "").lower().rstrip(".")[:253],
        selector=tags.get("s", "")[:253],
        algorithm=tags.get("a", "").lower()[:32],
    )


def _from_domain(values: list[str]) -> tuple[str | None, str]:
    """The From domain DMARC evaluates (RFC 7489 §6.6.1): one From field, one address."""
    from email.utils import getaddresses

    if not values:
        return None, "the message has no From header"
    if len(values) > 1:
        return None, f"the message has {len(values)} From headers"
    addresses = [address for _, address in getaddresses(values) if address]
    if len(addresses) != 1:
        return None, f"the From header holds {len(addresses)} addresses, not one"
    match = _ADDRESS_DOMAIN.search(addresses[0])
    if match is None:
        return None, f"the From address {addresses[0][:100]!r} has no domain"
    return match.group(1).lower().rstrip("."), ""


def _connecting_client(
    receiver: AuthenticationResults | None, received_spf: list[str], received: list[str]
) -> ConnectingClient | None:
    """The connecting address: the receiver's ``Authentication-Results`` (``smtp.client-ip``,
    ``smtp.remote-ip`` or ``policy.iprev``), its ``Received-SPF`` ``client-ip=``, else the
    first ``Received`` with an address outside the site's own networks."""
    if receiver is not None:
        for result in (*receiver.of("spf"), *receiver.of("iprev"), *receiver.results):
            for name in ("smtp.client-ip", "smtp.remote-ip", "policy.iprev"):
                ip = _ip(result.property(name))
                if ip is not None:
                    return ConnectingClient(
                        ip, f"Authentication-Results {name}", _received_spf_helo(received_spf)
                    )
    for value in received_spf:
        tags = _key_values(value)
        ip = _ip(tags.get("client-ip"))
        if ip is not None:
            return ConnectingClient(ip, "Received-SPF client-ip", tags.get("helo"))
    for value in received:
        head = re.split(r"\s+by\s+", value, maxsplit=1, flags=re.IGNORECASE)[0]
        for candidate in _BRACKETED_IP.findall(head):
            ip = _ip(candidate)
            if ip is not None and not _internal(ip):
                helo = _RECEIVED_FROM.match(head)
                return ConnectingClient(ip, "Received", helo.group(1) if helo else None)
    return None


def _received_spf_helo(values: list[str]) -> str | None:
    return next((helo for value in values if (helo := _key_values(value).get("helo"))), None)


def _key_values(value: str) -> dict[str, str]:
    """The ``key=value`` pairs of a ``Received-SPF`` field (RFC 7208 §9.1), keys lower-case."""
    pairs: dict[str, str] = {}
    for part in _split_outside_quotes(_without_comments(value), ";")[:32]:
        for key, found in re.findall(r'([A-Za-z][A-Za-z0-9_-]*)\s*=\s*("[^"]*"|[^\s;]+)', part):
            pairs.setdefault(key.lower(), found.strip('"'))
    return pairs


def _ip(text: str | None) -> str | None:
    """``text`` as a normalised IP address, or None when it is not one."""
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _internal(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return any(address.version == net.version and address in net for net in _INTERNAL)
