"""What one domain check finds and a later one needs, as typed stash entries.

The ``mx`` check resolves the exchangers once; the ``smtp`` check probes each once on port 25;
``mta-sts``, ``dane`` and the bulk-sender summary read those results instead of asking again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smtpdoctor.core.check import StashKey
from smtpdoctor.mailauth.dns import DNSFailure
from smtpdoctor.model.results import Report


class MailRouting(enum.Enum):
    """What the ``mx`` check learnt about the domain as a mail destination."""

    MX = "mx"
    """It has MX records naming hosts (or an implicit MX: its own address)."""
    NULL_MX = "null-mx"
    """It publishes a null MX (RFC 7505): it accepts no mail; MTA-STS, TLS-RPT and DANE do not
    apply, and it should publish ``v=spf1 -all`` and a DMARC reject policy."""
    NO_DOMAIN = "no-domain"
    """The name does not exist (NXDOMAIN): nothing else about it can be judged."""
    UNKNOWN = "unknown"
    """The MX look-up failed (time-out, SERVFAIL): nothing is known."""


@dataclass(frozen=True, slots=True)
class Exchanger:
    """One MX host of the domain, as the ``mx`` check resolved it."""

    host: str
    """The MX target, lower-case, without the trailing dot."""
    preference: int
    addresses: tuple[str, ...] = ()
    """Its IPv6 and IPv4 addresses (empty when it has none, or the look-up failed)."""
    failure: str = ""
    """Why it has no address, in words; with addresses, which address question failed
    (see :attr:`address_failure`), else empty."""
    address_failure: DNSFailure | None = None
    """The worst failure of its A and AAAA questions other than "no such records" (a
    time-out, SERVFAIL …): the look-up failed, so what DNS holds is not known.  ``None`` when
    both were answered (with records, NXDOMAIN or no records of the type), or when the name
    does not exist.  It may be set while :attr:`addresses` holds those of the other type."""
    addresses_authenticated: bool | None = False
    """The resolver set the AD bit on every answer to the address questions (records or a
    denial): DNSSEC vouches for them, and DANE applies to this host (RFC 7672 §2.2).
    ``False`` when some answer lacks it; ``None`` when that is not known — the answers that
    came were vouched for, but a question failed (:attr:`address_failure`), or the host was
    not looked up."""
    canonical_name: str = ""
    """The name ``host`` is an alias (CNAME) of, when it is one; empty otherwise."""


@dataclass(frozen=True, slots=True)
class ExchangerProbe:
    """One MX host probed on port 25: the pipeline's report and the STARTTLS handshake's
    certificate chain (for DANE)."""

    host: str
    report: Report | None
    """The ``check`` pipeline run against ``host`` on port 25 (greeting, EHLO, STARTTLS,
    certificate), or ``None`` when it was not run (see ``not_probed``)."""
    peer_chain: tuple[bytes, ...] = ()
    """The certificates the MX presented in its STARTTLS handshake, DER, leaf first; empty
    without STARTTLS."""
    address: str | None = None
    """The address the chain came from."""
    not_probed: str = ""
    """Why the MX was not probed, in words (``--no-smtp``, the deadline passed …)."""
    starttls: bool | None = None
    """STARTTLS was offered and its handshake completed (``None``: not known — not probed,
    or the session ended before STARTTLS)."""
    certificate_valid: bool | None = None
    """The certificate is valid for the MX name: trusted, in date, the name matches
    (``None``: not known).  A certificate that expires soon is still valid."""
    certificate_problem: str = ""
    """Why the certificate is not valid, or why that is not known, in words."""


#: Set by the ``mx`` check: the exchangers in preference order (empty: none, or a null MX).
EXCHANGERS: StashKey[tuple[Exchanger, ...]] = StashKey("domain.exchangers")
#: Set by the ``smtp`` check: one probe per exchanger, in the order of :data:`EXCHANGERS`.
PROBES: StashKey[tuple[ExchangerProbe, ...]] = StashKey("domain.probes")
#: Set by the ``dane`` check: some MX host has DNSSEC-authenticated, usable TLSA records —
#: DANE is in place (``tls-rpt`` reads it).
DANE_IN_PLACE: StashKey[bool] = StashKey("domain.dane-in-place")
#: Set by the ``mx`` check: how the domain takes mail — whether it exists at all, and whether
#: it says it takes none (null MX); unknown when its MX look-up failed or ``mx`` did not run.
MAIL_ROUTING: StashKey[MailRouting] = StashKey("domain.mail-routing")
