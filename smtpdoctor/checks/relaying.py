"""Whose mail is it?  The evidence the ``send`` check needs before it calls a server an open
relay.  Pure functions, no I/O; not a check of its own.

Taking mail for its own domains is a mail server's job — every MX on port 25 does it for
strangers.  *Relaying* is taking mail for somewhere else and passing it on; a server that
does that for a client that never logged in is an open relay (to this client, at least).
So a recipient counts as outside only when its domain is

* not the sender's domain (a message from a domain to itself says nothing about relaying);
* not related to any name the server goes by: the host name the run connected to, the name
  in its ``220`` greeting and in its EHLO reply, and the mail domain the user checked when
  the target was typed as a mail domain or an address.

"Related" is generous on purpose, since a wrong "open relay" on an ordinary MX is worse than a
missed one: the recipient's domain may equal such a name's domain, or be a parent or a child
of it.  And a domain whose mail *goes to* this server is its own too, whatever its name — a
hosting company's MX takes mail for thousands of customers' domains: :func:`served_here`
tells that from the recipient domain's MX hosts (their names, and their addresses against
the address connected to).

A host name's domain is the name without its first label (``mail.example.com`` →
``example.com``), unless that would leave a bare top-level domain or what looks like a
country's second-level domain (``example.co.uk`` stays itself); a mail domain counts as it is.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from smtpdoctor.model.software import Software
from smtpdoctor.software.names import HARAKA, OPENSMTPD

#: A host-name label once encoded for DNS (letters, digits, hyphens; underscores occur).
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
#: Relay refusals in the words of any software: "relay" (Postfix's "Relay access denied",
#: Exim's "relay not permitted", Sendmail's "Relaying denied", Exchange's "Unable to relay"
#: and "Relay Access Denied"), and qmail-smtpd's "sorry, that domain isn't in my list of
#: allowed rcpthosts (#5.7.1)" (qmail-smtpd.c err_nogateway).
RELAY_REFUSED = re.compile(r"relay|isn't in my list of allowed rcpthosts", re.IGNORECASE)
#: Relay refusals that read like something else, in one software's own words — they mean
#: "not relaying" only for a recipient outside the server's domains:
#: OpenSMTPD answers "550 Invalid recipient: <ADDR>" when no match rule takes the recipient
#: (usr.sbin/smtpd/lka_session.c lka_resume) — for a remote domain, that is relaying
#: refused; Haraka answers "550 I cannot deliver mail for <ADDR>" when no plugin accepts it
#: (connection.js rcpt_respond) — rcpt_to.in_host_list accepts only its own domains from
#: clients that did not log in.
RELAY_REFUSED_AS: Mapping[str, re.Pattern[str]] = MappingProxyType(
    {
        OPENSMTPD: re.compile(r"^Invalid recipient\b", re.IGNORECASE),
        HARAKA: re.compile(r"^I cannot deliver mail for\b", re.IGNORECASE),
    }
)
#: Second-level labels that countries use like top-level domains (``co.uk``, ``com.au``).
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "ltd", "net", "ne", "or", "org", "plc"})


@dataclass(frozen=True, slots=True)
class ServerNames:
    """The names a server goes by in one run."""

    host: str
    """The host the run connected to (a name or an IP address)."""
    announced: tuple[str, ...] = ()
    """What it called itself: the first word of its greeting and of its EHLO replies."""
    mail_domain: str | None = None
    """The mail domain the user checked, when a mail domain or an address was typed."""
    address: str | None = None
    """The address the run is connected to."""

    def domains(self) -> tuple[str, ...]:
        """The server's own domains, each once, in the order of :attr:`host`,
        :attr:`announced`, :attr:`mail_domain`; names that are no host names are left out."""
        found = [site_of(name) for name in (self.host, *self.announced)]
        if self.mail_domain is not None:
            found.append(normalized(self.mail_domain))
        return tuple(dict.fromkeys(domain for domain in found if domain))


@dataclass(frozen=True, slots=True)
class OutsideRecipient:
    """A recipient in a domain that is neither the sender's nor the server's."""

    domain: str
    """The recipient's domain, normalised (lower case, IDNA)."""
    server_domains: tuple[str, ...]
    """The server's own domains it was compared with."""
    exchangers: tuple[str, ...] = ()
    """The recipient domain's MX hosts, none of which is this server."""
    dns_note: str = ""
    """Why the recipient domain's MX hosts are not known, when they are not."""

    def describe(self) -> str:
        """In words: ``outside.example is neither the sender's domain nor the server's
        (smtpdoctor.test), and its mail goes to mx.outside.example, not here``."""
        own = ", ".join(self.server_domains) or "none known"
        said = f"{self.domain} is neither the sender's domain nor the server's ({own})"
        if self.exchangers:
            return f"{said}, and its mail goes to {', '.join(self.exchangers)}, not here"
        if self.dns_note:
            return f"{said}; {self.dns_note}"
        return said


def outside_recipient(sender: str, recipient: str, server: ServerNames) -> OutsideRecipient | None:
    """The recipient's domain when taking mail for it is relaying, by the rules of this
    module; None when it is the sender's domain or the server's own, or when it cannot be
    told (no domain, or an address literal such as ``[192.0.2.1]``)."""
    domain = domain_of(recipient)
    if domain is None or domain == domain_of(sender):
        return None
    own = server.domains()
    if any(related(domain, site) for site in own):
        return None
    return OutsideRecipient(domain, own)


def refuses_relaying(message: str, software: Software | None, *, outside: bool) -> bool:
    """Whether a refusal of RCPT whose words are ``message`` refuses relaying: it says so in
    any software's words, or — for a recipient ``outside`` the server's domains — in the
    words ``software`` uses for it (:data:`RELAY_REFUSED_AS`)."""
    if RELAY_REFUSED.search(message):
        return True
    if not outside or software is None:
        return False
    pattern = RELAY_REFUSED_AS.get(software.id)
    return pattern is not None and pattern.search(message.strip()) is not None


def served_here(exchangers: Iterable[tuple[str, Iterable[str]]], server: ServerNames) -> str | None:
    """The first of the recipient domain's mail exchangers — ``(host, its addresses)`` — that
    is this server: its name is related to one of the server's own domains, or one of its
    addresses is the address connected to; None when none is."""
    own = server.domains()
    for host, addresses in exchangers:
        site = site_of(host)
        if site is not None and any(related(site, domain) for domain in own):
            return host
        if server.address is not None and server.address in set(addresses):
            return host
    return None


def domain_of(address: str) -> str | None:
    """The normalised domain of ``address``; None without one, or for an address literal."""
    local, at, domain = address.rpartition("@")
    if not at or not local or domain.startswith("["):
        return None
    return normalized(domain) or None


def site_of(name: str) -> str | None:
    """The domain a host name belongs to (``mail.example.com`` → ``example.com``); a name of
    two labels or fewer is its own domain; None for an IP address, an address literal or
    what is no host name."""
    host = normalized(name)
    if not host or _is_address(host) or not all(_LABEL.fullmatch(label) for label in labels(host)):
        return None
    parent = labels(host)[1:]
    if len(parent) < 2 or _looks_like_a_public_suffix(parent):
        return host
    return ".".join(parent)


def related(domain: str, site: str) -> bool:
    """Whether ``domain`` is ``site``, a child of it, or a parent of it that is more than a
    top-level domain."""
    if domain == site or domain.endswith(f".{site}"):
        return True
    return len(labels(domain)) >= 2 and site.endswith(f".{domain}")


def normalized(name: str) -> str:
    """``name`` lower-cased, without a trailing dot, internationalised labels in their ASCII
    form (``exämple.test`` → ``xn--exmple-cua.test``) when they have one."""
    name = name.strip().rstrip(".").lower()
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def labels(name: str) -> list[str]:
    """The labels of a normalised name."""
    return name.split(".")


def announced_names(texts: Iterable[str | None]) -> tuple[str, ...]:
    """The first word of each greeting or EHLO text given (RFC 5321: the server's name)."""
    words = (text.split(maxsplit=1)[0] for text in texts if text and text.strip())
    return tuple(dict.fromkeys(words))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.startswith("[")
    return True


def _looks_like_a_public_suffix(parent: list[str]) -> bool:
    """``co.uk``, ``com.au``: a country's second level, where names are registered."""
    return len(parent) == 2 and len(parent[1]) == 2 and parent[0] in _SECOND_LEVEL
