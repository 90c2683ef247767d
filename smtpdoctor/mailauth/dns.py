"""The one resolver of a domain audit: every DNS question of every domain check goes here.

It asks the run's DNS servers (``--dns-server``, else the system's), waits at most the
per-step ``--timeout`` and never past the audit's deadline, sets the DNSSEC bits (DO, AD) so
a validating resolver says what it validated, and counts the questions.  Libraries that do
their own DNS do not fit unless they can be given :meth:`DomainDNS.query`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import dns.name
import dns.rdtypes.ANY.PTR
import dns.rdtypes.txtbase
import dns.reversename

from smtpdoctor.net.resolver import Answer, DNSClient, DNSFailure, gather
from smtpdoctor.settings.config import NameServer

__all__ = [
    "MAX_PTR_NAMES",
    "MAX_TXT_CHARS",
    "MAX_TXT_RECORDS",
    "Answer",
    "DNSFailure",
    "DNSQuestions",
    "DomainDNS",
    "FCrDNS",
    "ForwardName",
    "forward_confirmed",
    "txt_strings",
]

#: The longest TXT record text kept by default (characters); longer ones are cut and say so.
#: SPF, DMARC, MTA-STS, TLS-RPT and DKIM records are far shorter (a 4096-bit RSA DKIM key is
#: ~740).
MAX_TXT_CHARS = 8192
#: The most TXT (or SPF) records of one answer read by default — the one bound every reader
#: of TXT records (SPF evaluation included) imports from here.
MAX_TXT_RECORDS = 100
#: The PTR names of one address checked by default in :func:`forward_confirmed`: the one bound
#: of forward-confirmed reverse DNS per address (the ``mx`` check uses it).
MAX_PTR_NAMES = 10

#: Failures that mean "there is nothing", as opposed to "DNS did not answer".
_NOTHING = frozenset({DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER})


class DNSQuestions(Protocol):
    """Anything that asks DNS one question and never raises: :class:`DomainDNS`, or a
    check's own counting wrapper around it."""

    def query(self, name: str, rdtype: str) -> Answer:
        """Ask ``rdtype`` records of ``name``; never raise."""
        ...


#: Why a look-up failed when the run's deadline, not the DNS server, ended it (the words end
#: such an answer's ``explanation``; :attr:`DomainDNS.cut_by_deadline` counts them).
DEADLINE_PASSED = "the run's deadline passed (--deadline)"


class DomainDNS:
    """Asks DNS for one audit; shared by the domain checks, safe to use from several threads."""

    def __init__(
        self, servers: Sequence[NameServer] = (), *, timeout: float, deadline_at: float
    ) -> None:
        self._client = DNSClient(servers, timeout=timeout, dnssec=True)
        self._deadline_at = deadline_at
        self._lock = threading.Lock()
        self._queries = 0
        self._cut = 0

    @property
    def servers(self) -> str:
        """Who is asked, in words: ``127.0.0.1:5353`` or ``the system's DNS servers``."""
        return self._client.servers

    @property
    def queries(self) -> int:
        """How many questions were asked so far."""
        with self._lock:
            return self._queries

    @property
    def cut_by_deadline(self) -> int:
        """How many questions the deadline cut short (not asked, or not answered in time)."""
        with self._lock:
            return self._cut

    @property
    def deadline_at(self) -> float:
        """The audit's deadline (``time.monotonic()`` seconds): no question waits past it."""
        return self._deadline_at

    @property
    def client(self) -> DNSClient:
        """The underlying client, for helpers that take one (address look-ups)."""
        return self._client

    def query(self, name: str, rdtype: str) -> Answer:
        """Ask ``rdtype`` records of ``name``; never raises (see
        :meth:`~smtpdoctor.net.resolver.DNSClient.query`)."""
        with self._lock:
            self._queries += 1
        answer = self._client.query(name, rdtype, deadline_at=self._deadline_at)
        if answer.failure is DNSFailure.TIMEOUT and time.monotonic() >= self._deadline_at:
            # the run's deadline, not the DNS server, ended it: it says nothing about the name
            said = "not asked" if answer.explanation.startswith("not asked") else "not answered"
            answer = dataclasses.replace(answer, explanation=f"{said}: {DEADLINE_PASSED}")
            with self._lock:
                self._cut += 1
        return answer

    def txt(self, name: str) -> tuple[Answer, tuple[str, ...]]:
        """The TXT records of ``name``, each as one string (see :func:`txt_strings`)."""
        answer = self.query(name, "TXT")
        return answer, txt_strings(answer)


def txt_strings(
    answer: Answer, *, max_chars: int = MAX_TXT_CHARS, max_records: int = MAX_TXT_RECORDS
) -> tuple[str, ...]:
    """Each TXT record of ``answer`` — or record of the retired type SPF (99), which has the
    same form — as one text: its character-strings joined with nothing between them
    (RFC 7208 §3.3, RFC 7489 §6.4), decoded as UTF-8 (bad bytes become U+FFFD).

    At most ``max_records`` records are read; a text longer than ``max_chars`` is cut there
    and ends in ``…`` (so it stays longer than ``max_chars``: a reader with a length limit
    still sees it is too long).  Records of other types, and a failed answer, give nothing.
    """
    texts: list[str] = []
    for record in answer.records:
        if len(texts) >= max_records:
            break
        if isinstance(record, dns.rdtypes.txtbase.TXTBase):
            # UTF-8 is at most 4 bytes a character: decode no more than could be kept
            raw = b"".join(record.strings)[: (max_chars + 1) * 4]
            text = raw.decode("utf-8", errors="replace")
            if len(text) > max_chars:
                text = text[:max_chars] + "…"
            texts.append(text)
    return tuple(texts)


@dataclass(frozen=True, slots=True)
class ForwardName:
    """One PTR name of an address and what its address records say."""

    name: str
    """The PTR name, lower-case, without the trailing dot."""
    addresses: tuple[str, ...] = ()
    """Its A (IPv4) or AAAA (IPv6) addresses; empty when it has none or the look-up failed."""
    failure: DNSFailure | None = None
    """Why it has no addresses (``None`` when it has some)."""
    explanation: str = ""
    """:attr:`failure` in words."""
    confirmed: bool = False
    """One of :attr:`addresses` is the address checked."""

    def describe(self) -> str:
        """One line: ``mail.example.com resolves to 192.0.2.1`` or why it does not."""
        if self.addresses:
            return f"{self.name} resolves to {', '.join(self.addresses)}"
        return f"{self.name} does not resolve ({self.explanation})"


@dataclass(frozen=True, slots=True)
class FCrDNS:
    """Forward-confirmed reverse DNS of one address: its PTR names, and which of them
    resolve back to it."""

    address: str
    """The address checked, in its normal text form."""
    reverse_name: str
    """The name its PTR records are at (``10.2.0.192.in-addr.arpa``), no trailing dot."""
    ptr_failure: DNSFailure | None = None
    """Why the PTR look-up found no records (``None`` when it found some)."""
    ptr_explanation: str = ""
    """:attr:`ptr_failure` in words."""
    names: tuple[ForwardName, ...] = ()
    """The PTR names read (at most ``max_names``, each once, the root name left out), each
    with its forward look-up."""
    total_names: int = 0
    """How many distinct PTR names DNS gave (more than :attr:`names` holds when cut)."""

    @property
    def confirmed(self) -> tuple[str, ...]:
        """The PTR names that resolve back to the address, in the order DNS gave them."""
        return tuple(item.name for item in self.names if item.confirmed)

    @property
    def ptr_names(self) -> tuple[str, ...]:
        """The PTR names read."""
        return tuple(item.name for item in self.names)

    @property
    def uncertain(self) -> bool:
        """No name is confirmed and DNS failed to answer (time-out, SERVFAIL …) for the
        PTR records or for some PTR name: it may be confirmed after all."""
        if self.confirmed:
            return False
        if self.ptr_failure is not None:
            return self.ptr_failure not in _NOTHING
        return any(item.failure is not None and item.failure not in _NOTHING for item in self.names)

    @property
    def problem(self) -> str:
        """Why no name is confirmed, in words; empty when one is."""
        if self.confirmed:
            return ""
        if self.ptr_failure is not None:
            return f"{self.address} has no PTR record ({self.ptr_explanation})"
        if not self.names:
            return f"{self.address} has no usable PTR record (only the root name)"
        return f"{self.address}: PTR " + "; ".join(item.describe() for item in self.names)

    def evidence(self) -> tuple[str, ...]:
        """The questions asked and their answers, one line each."""
        if self.ptr_failure is not None:
            return (f"PTR {self.reverse_name}: {self.ptr_explanation}",)
        rdtype = "AAAA" if ":" in self.address else "A"
        return (
            f"PTR {self.reverse_name}: {', '.join(self.ptr_names) or '(root)'}",
            *(
                f"{rdtype} {item.name}: {', '.join(item.addresses) or item.explanation}"
                for item in self.names
            ),
        )


def forward_confirmed(
    resolver: DNSQuestions,
    address: str | ipaddress.IPv4Address | ipaddress.IPv6Address,
    *,
    max_names: int = MAX_PTR_NAMES,
) -> FCrDNS:
    """Forward-confirmed reverse DNS (FCrDNS) of ``address``: its PTR records, then the A
    (IPv4) or AAAA (IPv6) records of each PTR name — does a name resolve back to it?

    Signature: ``forward_confirmed(resolver, address, *, max_names=MAX_PTR_NAMES) -> FCrDNS``.

    Bounded: one PTR question, then at most ``max_names`` address questions (asked side by
    side), each bounded in time by ``resolver``.  Never raises for anything DNS returns: a failed
    look-up is in the result (:attr:`FCrDNS.ptr_failure`, :attr:`ForwardName.failure`).
    Every PTR name is checked (not only until one is confirmed), so callers that need all
    validated names (SPF ``ptr`` and ``%{p}``, RFC 7208 §5.5) get them.

    :raises ValueError: ``address`` is not an IP address, or ``max_names`` is below 1.
    """
    if max_names < 1:
        raise ValueError(f"max_names must be at least 1, not {max_names}")
    ip = ipaddress.ip_address(str(address).strip("[]"))
    reverse = dns.reversename.from_address(str(ip)).to_text(omit_final_dot=True)
    ptr = resolver.query(reverse, "PTR")
    if ptr.failure is not None:
        return FCrDNS(str(ip), reverse, ptr.failure, ptr.explanation)
    found = tuple(
        dict.fromkeys(
            record.target.to_text(omit_final_dot=True).lower()
            for record in ptr.records
            if isinstance(record, dns.rdtypes.ANY.PTR.PTR) and record.target != dns.name.root
        )
    )
    if not found:
        return FCrDNS(str(ip), reverse, total_names=0)
    rdtype = "AAAA" if ip.version == 6 else "A"
    names = found[:max_names]
    answers = gather(*(partial(resolver.query, name, rdtype) for name in names))
    return FCrDNS(
        str(ip),
        reverse,
        names=tuple(
            _forward(name, answer, ip) for name, answer in zip(names, answers, strict=True)
        ),
        total_names=len(found),
    )


def _forward(
    name: str, answer: Answer, ip: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> ForwardName:
    addresses = tuple(record.to_text() for record in answer.records)
    return ForwardName(
        name,
        addresses,
        answer.failure,
        answer.explanation,
        confirmed=any(_same(text, ip) for text in addresses),
    )


def _same(text: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(text) == ip
    except ValueError:
        return False
