"""What ``smtpdoctor domain`` is asked: a typed, immutable :class:`DomainRequest`."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from pathlib import Path

import idna

from smtpdoctor.mailauth.dkim import check_selector
from smtpdoctor.model.words import ConfigError
from smtpdoctor.settings.config import NameServer, check_family, check_source_address

#: How many mail exchangers a run probes on port 25 (in preference order).
DEFAULT_MAX_EXCHANGERS = 5
#: Seconds a whole audit may take by default (``--deadline``).
DEFAULT_DEADLINE = 120.0


@dataclass(frozen=True)
class DomainRequest:
    """Audit the mail security of ``domain``: its MX, each MX on port 25, MTA-STS, TLS-RPT,
    DANE, SPF, DMARC and DKIM.

    The domain is given as typed: ``example.com``, ``example.com.``, ``Bücher.example`` or an
    address (``you@example.com`` — its domain is taken); :attr:`name` is the normalised
    ASCII form every check uses.  Refused with :class:`ConfigError`: an IP address, a URL,
    a name that is not a valid DNS name.
    """

    domain: str
    dns_servers: tuple[NameServer, ...] = ()
    """Ask these DNS servers instead of the system's (``--dns-server``).  DANE trusts a TLSA
    answer only when this resolver validates DNSSEC and says so (the AD bit)."""
    timeout: float = 10.0
    """Seconds any one network step (a DNS question, a connect, a reply) may take."""
    deadline: float = DEFAULT_DEADLINE
    """Seconds the whole audit may take; what is not done by then is reported as not done."""
    smtp: bool = True
    """Probe each MX on port 25 (greeting, EHLO, STARTTLS, certificate, STARTTLS injection);
    ``False`` (``--no-smtp``) audits DNS and HTTPS only, for machines whose port 25 is
    blocked."""
    max_exchangers: int = DEFAULT_MAX_EXCHANGERS
    """How many MX hosts to resolve and probe, in preference order."""
    sending_ips: tuple[str, ...] = ()
    """Addresses to evaluate SPF for (``--sending-ip``): may they send for the domain?"""
    dkim_selectors: tuple[str, ...] = ()
    """DKIM selectors whose keys to check (``--dkim-selector``)."""
    helo_name: str | None = None
    """The EHLO name for the port-25 probes (default: this machine's name)."""
    ca_file: Path | None = None
    """Also trust the CAs in this PEM file (besides the system's) for MX certificates and the
    MTA-STS policy host."""
    family: int | None = None
    """4 or 6: connect to the MXes over this IP version only (``-4``/``-6``)."""
    source_address: str | None = None
    """Connect from this local address (``--source-address``)."""
    cert_warn_days: int = 14
    cert_crit_days: int = 3
    smtp_port: int = 25
    """The port the MXes are probed on: 25 on the Internet; another for a lab or a test."""
    https_port: int = 443
    """The port of the MTA-STS policy host: 443 on the Internet; another for a lab or a test."""

    def __post_init__(self) -> None:
        if not self.domain.strip():
            raise ConfigError("give a domain to audit, such as example.com")
        if not (0 < self.timeout < math.inf and 0 < self.deadline < math.inf):  # and not NaN
            raise ConfigError("--timeout and --deadline must be positive numbers of seconds")
        if self.max_exchangers < 1:
            raise ConfigError("--max-mx must be at least 1")
        check_family(self.family)
        check_source_address(self.source_address, self.family)
        for address in self.sending_ips:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise ConfigError(
                    f"--sending-ip needs an IPv4 or IPv6 address, not {address!r}"
                ) from None
        normalise_domain(self.domain)
        for selector in self.dkim_selectors:
            try:
                check_selector(selector)
            except ValueError as exc:
                raise ConfigError(f"--dkim-selector: {exc}") from None

    @property
    def name(self) -> str:
        """The domain as every check uses it: lower-case ASCII (IDNA), no trailing dot."""
        return normalise_domain(self.domain)


def normalise_domain(text: str) -> str:
    """``Bücher.Example.`` → ``xn--bcher-kva.example``; an address gives its domain.

    :raises ConfigError: for an IP address, a URL or anything that is not a DNS name, in words.
    """
    typed = text.strip()
    if "://" in typed:
        raise ConfigError(f"{typed!r} is a URL; give the mail domain alone, such as example.com")
    if "@" in typed:
        typed = typed.rpartition("@")[2]
    if typed.endswith(".."):
        raise ConfigError(f"{text!r} is not a valid domain name (empty label)")
    typed = typed.removesuffix(".")
    try:
        ipaddress.ip_address(typed.strip("[]"))
    except ValueError:
        pass
    else:
        raise ConfigError(
            f"{typed} is an IP address; a mail domain is a name, such as example.com "
            "(use `smtpdoctor check` to test one server)"
        )
    try:
        # IDNA 2008 with UTS #46 mapping, as browsers and registries: straße.de is
        # xn--strae-oqa.de (Python's "idna" codec, IDNA 2003, would make it strasse.de)
        ascii_name = idna.encode(typed, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ConfigError(f"{text!r} is not a valid domain name ({exc})") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or any(not label or len(label) > 63 for label in labels):
        raise ConfigError(f"{text!r} is not a valid domain name (too long, or an empty label)")
    if len(labels) < 2:
        raise ConfigError(
            f"{text!r} has no dot: give the full mail domain, such as {ascii_name}.com"
        )
    return ascii_name
