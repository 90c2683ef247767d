"""From a mail domain to its submission server, the way mail clients find it.

All questions about a domain are asked at once (:meth:`DomainRecords.look_up`), so finding the
server costs one DNS round trip however many sources are tried.  :func:`candidates` then reads
the answers in this order and says which source each candidate came from:

1. **MX** — the provider behind the domain's mail exchangers (MX ``aspmx.l.google.com`` →
   Gmail / Google Workspace → ``smtp.gmail.com:465``), from :mod:`smtpdoctor.discovery.providers`;
2. **SRV** — RFC 8314's ``_submissions._tcp`` (implicit TLS), then RFC 6186's
   ``_submission._tcp`` (STARTTLS); a target of ``.`` means "not offered";
3. **guess** — ``smtp.<domain>``, then ``mail.<domain>``, if the name exists;
4. **MX host** — the mail exchanger itself, which receives the domain's mail and may take
   submissions too.

A null MX (RFC 7505: a single ``MX 0 .``) says the domain accepts no mail at all; it names no
host, so sources 1 and 4 have nothing to offer and the server is found as for a domain without
MX records (SRV, then the guesses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from smtpdoctor.discovery.providers import (
    Provider,
    Recognition,
    recognise,
    recognised_by_mx,
)
from smtpdoctor.discovery.source import Source
from smtpdoctor.model.words import TLSMode
from smtpdoctor.net.resolver import DNSClient, Lookup, MXRecord, SRVRecord, gather

#: The hosts mail clients guess, in the order they try them.
GUESSED_PREFIXES = ("smtp", "mail")
#: RFC 8314 (implicit TLS) before RFC 6186 (STARTTLS).
SRV_SERVICES = (
    ("_submissions._tcp", TLSMode.IMPLICIT),
    ("_submission._tcp", TLSMode.STARTTLS),
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A submission server for a domain, and how it was found."""

    host: str
    port: int | None
    """``None`` when the source does not say; the port matrix finds it."""
    tls: TLSMode
    """``AUTO`` when the source does not say."""
    source: Source
    reason: str
    """How the source led here, in words (``its MX aspmx.l.google.com belongs to Gmail``)."""
    provider: Provider | None = None
    recognition: Recognition | None = None
    """How :attr:`provider` was recognised (by the MX, or by the candidate's host name)."""


@dataclass(frozen=True, slots=True)
class DomainRecords:
    """What DNS says about a name, for telling a server from a mail domain and finding the
    domain's submission server."""

    domain: str
    addresses: Lookup[str]
    mx: Lookup[MXRecord]
    srv: tuple[Lookup[SRVRecord], ...]
    """One look-up per :data:`SRV_SERVICES` entry, in that order."""
    guesses: tuple[Lookup[str], ...]
    """One look-up per :data:`GUESSED_PREFIXES` entry, in that order."""

    @classmethod
    def look_up(cls, domain: str, client: DNSClient, *, deadline_at: float) -> DomainRecords:
        """Ask everything at once: the name's addresses and MX, both SRV names, the guesses."""
        srv_names = [f"{service}.{domain}" for service, _ in SRV_SERVICES]
        guess_names = [f"{prefix}.{domain}" for prefix in GUESSED_PREFIXES]
        questions: list[Callable[[], Lookup[Any]]] = [
            partial(client.addresses, domain, deadline_at=deadline_at),
            partial(client.mx, domain, deadline_at=deadline_at),
            *(partial(client.srv, name, deadline_at=deadline_at) for name in srv_names),
            *(partial(client.addresses, name, deadline_at=deadline_at) for name in guess_names),
        ]
        answers = gather(*questions)
        srv_end = 2 + len(srv_names)
        return cls(
            domain, answers[0], answers[1], tuple(answers[2:srv_end]), tuple(answers[srv_end:])
        )

    @property
    def mx_hosts(self) -> tuple[str, ...]:
        """The mail exchangers' names, in preference order; a null MX names none."""
        return tuple(record.host for record in self.mx.records if record.host)

    @property
    def null_mx(self) -> bool:
        """Whether the domain publishes a null MX (RFC 7505, ``MX 0 .``) and no real one: it
        says it accepts no mail."""
        return bool(self.mx.records) and not self.mx_hosts

    def describe(self) -> tuple[str, ...]:
        """Every question and its answer, one line each, for the report."""
        mx = (
            f"MX {self.mx.name}: {self.mx.records[0].preference} . "
            "(null MX: accepts no mail, RFC 7505)"
            if self.null_mx
            else self.mx.describe()
        )
        rest: list[Lookup[Any]] = [*self.srv, *self.guesses]
        return (self.addresses.describe(), mx, *(lookup.describe() for lookup in rest))


def candidates(records: DomainRecords) -> list[Candidate]:
    """The domain's submission servers, best source first (see the module docstring)."""
    found: list[Candidate] = []
    behind_mx = _provider_behind_mx(tuple(r for r in records.mx.records if r.host))
    if behind_mx is not None:
        found.append(behind_mx)
    for srv, (service, tls) in zip(records.srv, SRV_SERVICES, strict=True):
        offered = next((r for r in srv.records if not r.not_offered), None)
        if offered is not None:
            found.append(
                Candidate(
                    offered.target,
                    offered.port,
                    tls,
                    Source.SRV,
                    f"its {service} SRV record",
                    *_recognised(offered.target),
                )
            )
    for guess in records.guesses:
        if guess.found:
            found.append(
                Candidate(
                    guess.name,
                    None,
                    TLSMode.AUTO,
                    Source.GUESS,
                    f"a guess: {guess.name} exists in DNS",
                    *_recognised(guess.name),
                )
            )
    if records.mx_hosts:
        host = records.mx_hosts[0]
        found.append(
            Candidate(
                host,
                None,
                TLSMode.AUTO,
                Source.MX_HOST,
                f"its mail exchanger {host}, which receives its mail and may take submissions too",
                *_recognised(host),
            )
        )
    return found


def srv_not_offered(records: DomainRecords) -> tuple[str, ...]:
    """The SRV names whose record says the service is deliberately not offered (target ".")."""
    return tuple(
        lookup.name for lookup in records.srv if any(r.not_offered for r in lookup.records)
    )


def _provider_behind_mx(mx_records: tuple[MXRecord, ...]) -> Candidate | None:
    for record in mx_records:
        found = recognised_by_mx(record.host)
        provider = found.provider if found is not None else None
        host = provider.submission_host_for() if provider is not None else None
        if provider is not None and host is not None:
            return Candidate(
                host,
                provider.port,
                TLSMode(provider.tls),
                Source.MX,
                f"its MX {record.host} belongs to {provider.name}",
                provider,
                found,
            )
    return None


def _recognised(host: str) -> tuple[Provider | None, Recognition | None]:
    """The provider a candidate's host name belongs to, and how it was recognised."""
    found = recognise(host=host)
    return (found.provider if found is not None else None), found
