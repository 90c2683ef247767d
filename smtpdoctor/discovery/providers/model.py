"""What one entry of the provider table says, and where each of its facts comes from.

Pure data: frozen dataclasses and enums, no look-ups (those are in
:mod:`smtpdoctor.discovery.providers.lookup`).  Every fact an entry states carries a
:class:`Source` — the page or repository file it was read from and the day it was checked —
so the table can show its age (``smtpdoctor providers``, ``docs/providers.md``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from smtpdoctor.model.words import Endpoint, TLSMode

USERNAME_ADDRESS = "address"
"""The user name is the full email address."""
USERNAME_LOCAL_PART = "local-part"
"""The user name is the part of the address before the ``@``."""


class Kind(enum.StrEnum):
    """What sort of service an entry is."""

    MAILBOX = "mailbox provider"
    """Personal or business mailboxes (Gmail, GMX, QQ Mail)."""
    SENDING = "sending service"
    """A service that only sends, for applications (SendGrid, Resend)."""
    HOSTING = "hosting company"
    """Mailboxes that come with a domain or web hosting (IONOS, Strato)."""


class Credential(enum.StrEnum):
    """What goes in the password field."""

    ACCOUNT_PASSWORD = "account password"  # noqa: S105 - a kind of credential, not a secret
    APP_PASSWORD = "app password"  # noqa: S105
    AUTHORIZATION_CODE = "authorization code"
    MAIL_PASSWORD = "separate e-mail password"  # noqa: S105
    API_KEY = "API key"
    SMTP_KEY = "SMTP credentials"
    OAUTH_ONLY = "OAuth only"
    BRIDGE_PASSWORD = "Bridge password"  # noqa: S105


class Fact(enum.StrEnum):
    """The kinds of fact an entry states; each one it states needs a :class:`Source`."""

    ENDPOINTS = "endpoints"
    """Submission host, ports and TLS modes."""
    USERNAME = "username"
    CREDENTIAL = "credential"
    SWITCHES = "switches"
    REFUSALS = "refusals"
    MAIL_DOMAINS = "mail domains"
    MX = "mx"
    BANNER = "banner"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact was read: ``url`` (a page, or a repository file at a commit), the day it
    was ``checked``, and the date the copy itself carries, when it shows one."""

    fact: Fact
    url: str
    checked: date
    dated: date | None = None


@dataclass(frozen=True, slots=True)
class Switch:
    """An account setting that must be on before SMTP works: what it is called, where to find
    it (in words), and the provider's page about it, when one was found."""

    name: str
    where: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A reply the provider is known to send when a switch is off or the wrong credential is
    used, as seen in a sourced transcript.

    ``check`` is the step that receives it (``auth``, ``send``); ``text`` is a
    case-insensitive regular expression for the reply text; ``example`` is the reply as seen;
    ``means`` says what it means, in words.  ``distinctive`` replies are recognised whoever
    sends them (no other server is known to send that text).
    """

    check: str
    code: int
    text: str
    example: str
    means: str
    enhanced: str | None = None
    distinctive: bool = False


@dataclass(frozen=True, slots=True)
class Provider:
    """One mail provider, sending service or hosting company.

    ``submission_host`` is where clients submit mail; when :attr:`host_is_template` is true it
    contains ``{region}`` (Amazon SES) and :meth:`submission_host_for` fills it in.
    ``port``/``tls`` are the recommended endpoint (implicit TLS where offered, as RFC 8314
    prefers); :attr:`other_endpoints` lists the other documented ones.

    ``username`` is ``"address"`` (the full address), ``"local-part"`` (before the ``@``), a
    literal user name without spaces (SendGrid's ``"apikey"``), or a description in words of
    where to find it (contains spaces).

    ``credential`` is what goes in the password field, ``switches`` the account settings
    that must be on, ``refusals`` the replies known to come when they are not; ``sources``
    says where each fact was read and when (:meth:`facts` lists the facts that need one).
    """

    id: str
    name: str
    submission_host: str
    port: int
    tls: TLSMode
    username: str
    mail_domains: tuple[str, ...]
    mx_suffixes: tuple[str, ...]
    host_suffixes: tuple[str, ...]
    banner_patterns: tuple[str, ...]
    imap_host: str | None
    auth_note: str
    docs_url: str | None
    other_endpoints: tuple[Endpoint, ...] = ()
    host_is_template: bool = False
    notes: tuple[str, ...] = ()
    kind: Kind = Kind.MAILBOX
    region: str = "global"
    """Where its users mostly are: ``Europe``, ``Asia``, ``Americas``, ``Oceania`` or
    ``global``."""
    credential: Credential = Credential.ACCOUNT_PASSWORD
    switches: tuple[Switch, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    sources: tuple[Source, ...] = ()

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """Every documented endpoint, the recommended one first."""
        return (Endpoint(self.port, self.tls), *self.other_endpoints)

    def submission_host_for(self, region: str | None = None) -> str | None:
        """The submission host; for a templated host (SES) the one for ``region``, or
        ``None`` when no region is given."""
        if not self.host_is_template:
            return self.submission_host
        if region is None:
            return None
        return self.submission_host.format(region=region.strip().lower())

    def username_for(self, address: str) -> str | None:
        """The SMTP user name for ``address``, or ``None`` when the provider's user name is
        not derived from the address (:attr:`username` then says where to find it)."""
        if self.username == USERNAME_ADDRESS:
            return address
        if self.username == USERNAME_LOCAL_PART:
            return address.rpartition("@")[0] or None
        return None if any(c.isspace() for c in self.username) else self.username

    @property
    def username_in_words(self) -> str:
        """What the user name is, for a sentence: ``the full address``, ``the part of the
        address before the @``, ``the literal word apikey``, or the words of :attr:`username`."""
        if self.username == USERNAME_ADDRESS:
            return "the full address"
        if self.username == USERNAME_LOCAL_PART:
            return "the part of the address before the @"
        if any(char.isspace() for char in self.username):
            return self.username
        return f"the literal word {self.username}"

    def facts(self) -> tuple[Fact, ...]:
        """The kinds of fact this entry states — each needs at least one source."""
        stated = {
            Fact.ENDPOINTS: True,
            Fact.USERNAME: True,
            Fact.CREDENTIAL: True,
            Fact.SWITCHES: bool(self.switches),
            Fact.REFUSALS: bool(self.refusals),
            Fact.MAIL_DOMAINS: bool(self.mail_domains),
            Fact.MX: bool(self.mx_suffixes),
            Fact.BANNER: bool(self.banner_patterns),
        }
        return tuple(fact for fact, present in stated.items() if present)

    def sources_for(self, fact: Fact) -> tuple[Source, ...]:
        """The sources of one kind of fact."""
        return tuple(source for source in self.sources if source.fact is fact)

    @property
    def checked(self) -> date | None:
        """The day of the oldest check among the sources: the table is only as fresh as
        that."""
        return min((source.checked for source in self.sources), default=None)
