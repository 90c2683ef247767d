"""DNS look-ups with dnspython: MX, SRV and address records, bounded in time, failures in words.

Every query takes an absolute deadline and waits at most ``min(timeout, deadline - now)``.  A
failure is never an exception: it is a :class:`Lookup` whose :attr:`~Lookup.failure` tells
"the name does not exist" (NXDOMAIN) from "the name exists but has no such records" (NOERROR
with no answer), a timeout, and a DNS server that answered with an error (SERVFAIL, REFUSED).

With :attr:`~smtpdoctor.settings.config.RunConfig.dns_servers` set, those servers — and only
those — are asked, also for the address the pipeline connects to
(:meth:`DNSClient.resolve_for_connect`).
"""

from __future__ import annotations

import enum
import ipaddress
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdata
import dns.rdtypes.ANY.MX
import dns.rdtypes.IN.SRV
import dns.resolver

from smtpdoctor.net.transport import ResolutionError
from smtpdoctor.settings.config import NameServer, RunConfig

R = TypeVar("R")
T = TypeVar("T")


class DNSFailure(enum.StrEnum):
    """Why a look-up found no records."""

    NXDOMAIN = "nxdomain"
    """The name does not exist at all."""
    NO_ANSWER = "no-answer"
    """The name exists, but has no records of the type asked for (NOERROR, empty answer)."""
    TIMEOUT = "timeout"
    """No DNS server answered in time."""
    SERVFAIL = "servfail"
    """The DNS servers answered with an error (SERVFAIL, REFUSED …)."""
    NO_RESOLVER = "no-resolver"
    """No DNS server is configured on this machine."""
    INVALID = "invalid"
    """The text is not a valid DNS name."""
    ERROR = "error"
    """Anything else dnspython reported."""


#: How a failure maps onto :class:`~smtpdoctor.net.transport.ResolutionError` kinds, so the
#: ``tcp`` check reports it exactly as it reports the system resolver's failures.
_CONNECT_KINDS = {
    DNSFailure.NXDOMAIN: "nxdomain",
    DNSFailure.NO_ANSWER: "no-address",
    DNSFailure.TIMEOUT: "timeout",
    DNSFailure.SERVFAIL: "temporary",
    DNSFailure.INVALID: "invalid",
}


@dataclass(frozen=True, slots=True)
class MXRecord:
    """One mail exchanger of a domain."""

    preference: int
    host: str
    """The exchanger's name, without the trailing dot."""

    def __str__(self) -> str:
        return f"{self.preference} {self.host}"


@dataclass(frozen=True, slots=True)
class SRVRecord:
    """One RFC 2782 service record, as RFC 6186 and RFC 8314 use them for mail submission."""

    priority: int
    weight: int
    port: int
    target: str
    """The server's name without the trailing dot; ``"."`` means "not offered here"."""

    @property
    def not_offered(self) -> bool:
        """Whether the record says the service is deliberately not available (target ".")."""
        return self.target == "."

    def __str__(self) -> str:
        return f"{self.priority} {self.weight} {self.port} {self.target}"


@dataclass(frozen=True, slots=True)
class Lookup(Generic[R]):
    """The answer to one question: the records, or why there are none, in words."""

    name: str
    rdtype: str
    records: tuple[R, ...] = ()
    failure: DNSFailure | None = None
    explanation: str = ""
    """The failure in words (empty when records were found)."""

    @property
    def found(self) -> bool:
        """Whether the look-up returned records."""
        return self.failure is None

    def describe(self) -> str:
        """One line: ``MX example.com: 10 mx.example.com`` or ``MX example.com: <why not>``."""
        what = ", ".join(str(record) for record in self.records) if self.found else self.explanation
        return f"{self.rdtype} {self.name}: {what}"


@dataclass(frozen=True, slots=True)
class Answer:
    """The whole answer to one question, for callers that read the records themselves
    (:mod:`smtpdoctor.domain`): the rdata as dnspython parsed it, whether the resolver
    vouched for it with DNSSEC, or why there is none, in words."""

    name: str
    rdtype: str
    records: tuple[dns.rdata.Rdata, ...] = ()
    failure: DNSFailure | None = None
    explanation: str = ""
    authenticated: bool = False
    """The resolver set the AD bit: it validated the answer with DNSSEC (only a validating
    resolver the client trusts — ``--dns-server`` on loopback or a trusted path — means it).
    Also true of an authenticated denial (NXDOMAIN, no answer)."""
    canonical_name: str = ""
    """The name the records belong to after following CNAMEs (``name`` when there were none);
    without the trailing dot."""

    @property
    def found(self) -> bool:
        """Whether the look-up returned records."""
        return self.failure is None

    def describe(self) -> str:
        """One line: ``TXT example.com: "v=spf1 -all"`` or ``TXT example.com: <why not>``."""
        what = ", ".join(r.to_text() for r in self.records) if self.found else self.explanation
        return f"{self.rdtype} {self.name}: {what}"


class DNSClient:
    """Asks DNS; one client may serve look-ups from several threads at once.

    ``servers`` empty means the system's configuration (``/etc/resolv.conf``); each query
    waits at most ``timeout`` seconds, and never past the deadline it is given.  With
    ``dnssec`` every query sets the DO and AD bits, so a validating resolver says whether it
    validated the answer (:attr:`Answer.authenticated`).
    """

    def __init__(
        self, servers: Sequence[NameServer] = (), *, timeout: float, dnssec: bool = False
    ) -> None:
        self._timeout = timeout
        self._servers = tuple(servers)
        self._resolver: dns.resolver.Resolver | None = None
        self._setup_error = ""
        try:
            resolver = dns.resolver.Resolver(configure=not self._servers)
        except dns.exception.DNSException as exc:
            self._setup_error = f"no DNS server is configured on this machine ({exc})"
        else:
            if self._servers:
                resolver.nameservers = [
                    dns.nameserver.Do53Nameserver(server.address, server.port)
                    for server in self._servers
                ]
            resolver.cache = None
            if dnssec:
                resolver.use_edns(0, dns.flags.DO, 1232)
                resolver.flags = dns.flags.RD | dns.flags.AD
            self._resolver = resolver

    @classmethod
    def for_config(cls, config: RunConfig) -> DNSClient:
        """The client a run uses: its ``dns_servers`` and its per-step ``timeout``."""
        return cls(config.dns_servers, timeout=config.timeout)

    @property
    def servers(self) -> str:
        """Who is asked, for messages: ``127.0.0.1:5353`` or ``the system's DNS servers``."""
        if self._servers:
            return ", ".join(str(server) for server in self._servers)
        return "the system's DNS servers"

    # -- the questions -----------------------------------------------------------------------

    def mx(self, name: str, *, deadline_at: float) -> Lookup[MXRecord]:
        """The domain's mail exchangers, lowest preference (the first to try) first."""
        lookup, answer = self._ask(name, "MX", deadline_at)
        records = [
            MXRecord(rdata.preference, _host(rdata.exchange))
            for rdata in answer
            if isinstance(rdata, dns.rdtypes.ANY.MX.MX)
        ]
        return _with_records(lookup, sorted(records, key=lambda mx: (mx.preference, mx.host)))

    def srv(self, name: str, *, deadline_at: float) -> Lookup[SRVRecord]:
        """The service records at ``name`` (``_submissions._tcp.example.com``), in the order
        to try them: lowest priority first, then highest weight."""
        lookup, answer = self._ask(name, "SRV", deadline_at)
        records = [
            SRVRecord(rdata.priority, rdata.weight, rdata.port, _host(rdata.target) or ".")
            for rdata in answer
            if isinstance(rdata, dns.rdtypes.IN.SRV.SRV)
        ]
        return _with_records(lookup, sorted(records, key=lambda srv: (srv.priority, -srv.weight)))

    def addresses(self, name: str, *, deadline_at: float) -> Lookup[str]:
        """The name's IPv6 and IPv4 addresses (AAAA and A, asked at once), interleaved."""
        six, four = gather(
            lambda: self._addresses_of_type(name, "AAAA", deadline_at),
            lambda: self._addresses_of_type(name, "A", deadline_at),
        )
        records = _interleave(six.records, four.records)
        if records:
            return Lookup(name, "A/AAAA", records)
        failures = (six, four)
        worst = next((f for f in failures if f.failure is DNSFailure.NXDOMAIN), None)
        if worst is None and all(f.failure is DNSFailure.NO_ANSWER for f in failures):
            return Lookup(
                name,
                "A/AAAA",
                failure=DNSFailure.NO_ANSWER,
                explanation="the name exists but has no address (no A or AAAA records)",
            )
        if worst is None:
            worst = next(f for f in failures if f.failure is not DNSFailure.NO_ANSWER)
        return Lookup(name, "A/AAAA", failure=worst.failure, explanation=worst.explanation)

    def resolve_for_connect(
        self, host: str, port: int, *, deadline_at: float
    ) -> list[tuple[int, tuple[str, int]]]:
        """Addresses to connect to, as :func:`smtpdoctor.net.transport.resolve` gives them, but
        asked of this client's DNS servers; raises
        :class:`~smtpdoctor.net.transport.ResolutionError` with the same kinds."""
        literal = _ip_literal(host)
        if literal is not None:
            return [(_family(literal), (literal, port))]
        lookup = self.addresses(host, deadline_at=deadline_at)
        if lookup.failure is not None:
            raise ResolutionError(
                f"{host}: {lookup.explanation}",
                kind=_CONNECT_KINDS.get(lookup.failure, "error"),
            )
        return [(_family(address), (address, port)) for address in lookup.records]

    # -- plumbing ----------------------------------------------------------------------------

    def _addresses_of_type(self, name: str, rdtype: str, deadline_at: float) -> Lookup[str]:
        lookup, answer = self._ask(name, rdtype, deadline_at)
        return _with_records(lookup, [rdata.to_text() for rdata in answer])

    def query(self, name: str, rdtype: str, *, deadline_at: float) -> Answer:
        """Ask one question and return everything the answer says; never raises.

        A failure is an :class:`Answer` with :attr:`~Answer.failure` set and the reason in
        words; an empty answer (NOERROR, no records) is :attr:`DNSFailure.NO_ANSWER`.
        """

        def failed(failure: DNSFailure, explanation: str, authenticated: bool = False) -> Answer:
            return Answer(
                name, rdtype, failure=failure, explanation=explanation, authenticated=authenticated
            )

        if self._resolver is None:
            return failed(DNSFailure.NO_RESOLVER, self._setup_error)
        wait = min(self._timeout, deadline_at - time.monotonic())
        if wait <= 0:
            return failed(DNSFailure.TIMEOUT, "not asked: the run ran out of time")
        try:
            qname = dns.name.from_text(name)
            answer = self._resolver.resolve(qname, rdtype, lifetime=wait, search=False)
        except dns.resolver.NXDOMAIN as exc:
            return failed(DNSFailure.NXDOMAIN, "no such name (NXDOMAIN)", _denial_signed(exc))
        except dns.resolver.NoAnswer as exc:
            return failed(
                DNSFailure.NO_ANSWER,
                f"the name exists but has no {rdtype} records",
                _denial_signed(exc),
            )
        except dns.exception.Timeout:
            return failed(DNSFailure.TIMEOUT, f"no answer from {self.servers} within {wait:.3g} s")
        except dns.resolver.NoNameservers as exc:
            return failed(DNSFailure.SERVFAIL, f"{self.servers} could not answer ({_rcodes(exc)})")
        except (dns.name.NameTooLong, dns.name.LabelTooLong, dns.name.EmptyLabel) as exc:
            return failed(DNSFailure.INVALID, f"not a valid DNS name ({exc})")
        except (dns.exception.SyntaxError, dns.name.IDNAException, UnicodeError) as exc:
            return failed(DNSFailure.INVALID, f"not a valid DNS name ({exc})")
        except dns.exception.DNSException as exc:
            return failed(DNSFailure.ERROR, f"the DNS look-up failed ({exc})")
        return Answer(
            name,
            rdtype,
            tuple(answer),
            authenticated=bool(answer.response.flags & dns.flags.AD),
            canonical_name=_host(answer.canonical_name) or ".",
        )

    def _ask(
        self, name: str, rdtype: str, deadline_at: float
    ) -> tuple[Lookup[object], list[dns.rdata.Rdata]]:
        """Ask one question; the records, or a Lookup saying why there are none."""
        answer = self.query(name, rdtype, deadline_at=deadline_at)
        lookup: Lookup[object] = Lookup(name, rdtype, (), answer.failure, answer.explanation)
        return lookup, list(answer.records)


#: How many of a domain's mail exchangers :func:`mail_exchangers` resolves to addresses.
MAX_EXCHANGERS = 5


@dataclass(frozen=True, slots=True)
class MailExchangers:
    """Who takes a domain's mail: its MX records and, for the first
    :data:`MAX_EXCHANGERS` of them, their addresses."""

    mx: Lookup[MXRecord]
    addresses: tuple[Lookup[str], ...] = ()
    """One look-up per MX host asked, in preference order."""

    @property
    def hosts(self) -> tuple[str, ...]:
        """The MX hosts, in preference order; a null MX (RFC 7505, ``MX 0 .``) is none."""
        return tuple(record.host for record in self.mx.records if record.host)

    def describe(self) -> tuple[str, ...]:
        """Every question and its answer, one line each."""
        return (self.mx.describe(), *(lookup.describe() for lookup in self.addresses))


def mail_exchangers(client: DNSClient, domain: str, *, deadline_at: float) -> MailExchangers:
    """``domain``'s MX records, then the addresses of its first :data:`MAX_EXCHANGERS` MX
    hosts (asked at once); each question bounded by ``client``'s timeout and ``deadline_at``."""
    mx = client.mx(domain, deadline_at=deadline_at)
    hosts = [record.host for record in mx.records[:MAX_EXCHANGERS] if record.host]
    calls = [partial(client.addresses, host, deadline_at=deadline_at) for host in hosts]
    return MailExchangers(mx, tuple(gather(*calls)) if calls else ())


#: The most threads :func:`gather` runs at once: enough to ask a domain's questions side by
#: side, few enough that a long list of names cannot start hundreds of threads.
MAX_GATHER_THREADS = 8


def gather(*calls: Callable[[], T]) -> list[T]:
    """Run ``calls`` at once in threads (at most :data:`MAX_GATHER_THREADS`) and return their
    results in order.

    Each call must bound its own time (every look-up here does); this only runs them side by
    side, so several questions cost the time of the slowest, not the sum.
    """
    if len(calls) == 1:
        return [calls[0]()]
    workers = min(len(calls), MAX_GATHER_THREADS)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtpdoctor-dns") as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def _with_records(lookup: Lookup[object], records: Sequence[R]) -> Lookup[R]:
    if lookup.failure is not None:
        return Lookup(lookup.name, lookup.rdtype, (), lookup.failure, lookup.explanation)
    if not records:
        return Lookup(
            lookup.name,
            lookup.rdtype,
            failure=DNSFailure.NO_ANSWER,
            explanation=f"the name exists but has no {lookup.rdtype} records",
        )
    return Lookup(lookup.name, lookup.rdtype, tuple(records))


def _rcodes(exc: dns.resolver.NoNameservers) -> str:
    """The servers' answers in a NoNameservers error: ``SERVFAIL``, ``REFUSED`` …"""
    answers = []
    for error in exc.kwargs.get("errors") or ():
        response = error[4] if len(error) > 4 else None
        if isinstance(response, dns.message.Message):
            answers.append(dns.rcode.to_text(response.rcode()))
        else:
            answers.append(str(error[3]))
    return ", ".join(dict.fromkeys(answers)) or "no usable answer"


def _denial_signed(exc: dns.exception.DNSException) -> bool:
    """Whether the response behind an NXDOMAIN or NoAnswer carried the AD bit."""
    response = exc.kwargs.get("response")
    if response is None:
        responses = exc.kwargs.get("responses") or {}
        response = next(iter(responses.values()), None)
    return isinstance(response, dns.message.Message) and bool(response.flags & dns.flags.AD)


def _host(name: dns.name.Name) -> str:
    """A name from a record as a host name: no trailing dot, ``""`` for the root."""
    return name.to_text(omit_final_dot=True) if name != dns.name.root else ""


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _family(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def _interleave(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    """IPv6 and IPv4 addresses alternated, IPv6 first (RFC 8305)."""
    merged: list[str] = []
    for index in range(max(len(first), len(second))):
        merged.extend(group[index] for group in (first, second) if index < len(group))
    return tuple(merged)
