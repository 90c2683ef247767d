"""Mail providers smtpdoctor knows: where they take mail, how to log in, and how to spot them.

Pure data and look-ups; nothing here touches the network.  The facts come from the providers'
own documentation and Thunderbird's ISPDB (see ``docs/hints.md``); where a fact is uncertain it
is kept out of the fields and written down in :attr:`Provider.notes` instead.

Four look-ups answer the questions a run asks:

* :func:`provider_by_id` — ``"gmail"`` → the Gmail entry;
* :func:`provider_for_mail_domain` — the domain of an address (``gmail.com``);
* :func:`provider_for_mx` — an MX host, to recognise the provider behind a custom domain;
* :func:`detect_provider` — the server being checked: its host name, greeting and EHLO domain.

:func:`closest_submission_host` suggests a provider's host for a name that looks mistyped.

Host names match on whole labels (``google.com`` matches ``aspmx.l.google.com`` but not
``notgoogle.com``), a ``*`` label matches any one label, and the longest suffix wins, so
``mail.protection.outlook.com`` (Microsoft 365) beats ``outlook.com`` (Outlook.com).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from smtpdoctor.model.words import Endpoint, TLSMode

USERNAME_ADDRESS = "address"
"""The user name is the full email address."""
USERNAME_LOCAL_PART = "local-part"
"""The user name is the part of the address before the ``@``."""


@dataclass(frozen=True, slots=True)
class Provider:
    """One mail provider or sending service.

    ``submission_host`` is where clients submit mail; when :attr:`host_is_template` is true it
    contains ``{region}`` (Amazon SES) and :meth:`submission_host_for` fills it in.
    ``port``/``tls`` are the recommended endpoint (implicit TLS where offered, as RFC 8314
    prefers); :attr:`other_endpoints` lists the other documented ones.

    ``username`` is ``"address"`` (the full address), ``"local-part"`` (before the ``@``), a
    literal user name without spaces (SendGrid's ``"apikey"``), or a description in words of
    where to find it (contains spaces).
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


_SuffixGetter = Callable[[Provider], tuple[str, ...]]

_STARTTLS_587 = Endpoint(587, TLSMode.STARTTLS)
_STARTTLS_25 = Endpoint(25, TLSMode.STARTTLS)
_STARTTLS_2525 = Endpoint(2525, TLSMode.STARTTLS)

_GOOGLE_ERRORS = "https://support.google.com/a/answer/3726730"
_MS_SMTP_AUTH = (
    "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/"
    "authenticated-client-smtp-submission"
)

PROVIDERS: tuple[Provider, ...] = (
    Provider(
        id="gmail",
        name="Gmail / Google Workspace",
        submission_host="smtp.gmail.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("gmail.com", "googlemail.com"),
        mx_suffixes=("google.com", "googlemail.com"),
        host_suffixes=("gmail.com", "googlemail.com", "google.com"),
        banner_patterns=(r"\bgsmtp\b", r"\bmx\.google\.com\b"),
        imap_host="imap.gmail.com",
        auth_note="app password (needs 2-Step Verification) or OAuth (XOAUTH2)",
        docs_url=_GOOGLE_ERRORS,
        other_endpoints=(_STARTTLS_587,),
        notes=(
            "Workspace relay smtp-relay.gmail.com authenticates by IP allow-list or SMTP AUTH.",
        ),
    ),
    Provider(
        id="microsoft365",
        name="Microsoft 365 / Exchange Online",
        submission_host="smtp.office365.com",
        port=587,
        tls=TLSMode.STARTTLS,
        username=USERNAME_ADDRESS,
        mail_domains=(),
        mx_suffixes=("mail.protection.outlook.com",),
        host_suffixes=("office365.com", "mail.protection.outlook.com"),
        banner_patterns=(r"\boutlook\.office365\.com\b",),
        imap_host="outlook.office365.com",
        auth_note=(
            "OAuth (XOAUTH2, scope https://outlook.office.com/SMTP.Send); a password works only "
            "where an admin enabled SMTP AUTH for the mailbox"
        ),
        docs_url=_MS_SMTP_AUTH,
        other_endpoints=(_STARTTLS_25,),
        notes=(
            "Basic-auth retirement for SMTP AUTH (message-center MC786329) has been moved "
            "several times; check the current date before relying on it.",
        ),
    ),
    Provider(
        id="outlook",
        name="Outlook.com / Hotmail / Live",
        submission_host="smtp-mail.outlook.com",
        port=587,
        tls=TLSMode.STARTTLS,
        username=USERNAME_ADDRESS,
        mail_domains=(
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "windowslive.com",
            "hotmail.co.uk",
            "hotmail.de",
            "hotmail.fr",
            "hotmail.it",
            "live.co.uk",
            "live.de",
            "live.fr",
            "outlook.de",
            "outlook.fr",
        ),
        mx_suffixes=("olc.protection.outlook.com",),
        host_suffixes=("outlook.com", "hotmail.com"),
        banner_patterns=(),
        imap_host="outlook.office365.com",
        auth_note="OAuth2 only; basic authentication (password) ended on 16 Sep 2024",
        docs_url=None,
    ),
    Provider(
        id="yahoo",
        name="Yahoo Mail",
        submission_host="smtp.mail.yahoo.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=(
            "yahoo.com",
            "ymail.com",
            "rocketmail.com",
            "myyahoo.com",
            "yahoo.co.uk",
            "yahoo.de",
            "yahoo.fr",
            "yahoo.it",
            "yahoo.es",
        ),
        mx_suffixes=("yahoodns.net",),
        host_suffixes=("yahoo.com", "yahoodns.net"),
        banner_patterns=(),
        imap_host="imap.mail.yahoo.com",
        auth_note="app password (Account Security → Generate app password) or OAuth2 (mail-w)",
        docs_url="https://help.yahoo.com/kb/SLN15241.html",
        other_endpoints=(_STARTTLS_587,),
    ),
    Provider(
        id="aol",
        name="AOL Mail",
        submission_host="smtp.aol.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("aol.com", "aim.com", "aol.de", "aol.fr", "aol.co.uk"),
        mx_suffixes=("mail.gm0.yahoodns.net",),
        host_suffixes=("aol.com", "mail.gm0.yahoodns.net"),
        banner_patterns=(),
        imap_host="imap.aol.com",
        auth_note="app password (Account Security → Generate app password) or OAuth2 (mail-w)",
        docs_url=None,
    ),
    Provider(
        id="icloud",
        name="iCloud Mail",
        submission_host="smtp.mail.me.com",
        port=587,
        tls=TLSMode.STARTTLS,
        username=USERNAME_ADDRESS,
        mail_domains=("icloud.com", "me.com", "mac.com"),
        mx_suffixes=("mail.icloud.com",),
        host_suffixes=("me.com", "icloud.com"),
        banner_patterns=(),
        imap_host="imap.mail.me.com",
        auth_note=(
            "app-specific password (needs two-factor authentication); the SMTP user name is the "
            "full address, while IMAP uses the part before the @"
        ),
        docs_url="https://support.apple.com/102525",
        notes=("Reports conflict on whether port 465 works; 587 with STARTTLS is documented.",),
    ),
    Provider(
        id="zoho",
        name="Zoho Mail",
        submission_host="smtp.zoho.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("zoho.com", "zohomail.com"),
        mx_suffixes=("zoho.com", "zoho.eu", "zoho.in", "zoho.com.au", "zoho.jp"),
        host_suffixes=("zoho.com", "zoho.eu", "zoho.in", "zoho.com.au", "zoho.jp"),
        banner_patterns=(),
        imap_host="imap.zoho.com",
        auth_note=(
            "account password, or an app-specific password when 2FA is on; paid organisation "
            "domains use smtppro.zoho.com, and accounts in other regions use .eu, .in, .com.au, "
            ".jp hosts"
        ),
        docs_url="https://www.zoho.com/mail/help/zoho-smtp.html",
        other_endpoints=(_STARTTLS_587,),
        notes=("The free plan may not include SMTP access (unconfirmed).",),
    ),
    Provider(
        id="fastmail",
        name="Fastmail",
        submission_host="smtp.fastmail.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("fastmail.com", "fastmail.fm"),
        mx_suffixes=("messagingengine.com",),
        host_suffixes=("fastmail.com", "messagingengine.com"),
        banner_patterns=(),
        imap_host="imap.fastmail.com",
        auth_note="an app password, always (with or without 2FA); OAuth2 for listed clients",
        docs_url="https://www.fastmail.com/help/technical/servernamesandports.html",
        other_endpoints=(_STARTTLS_587,),
    ),
    Provider(
        id="proton-bridge",
        name="Proton Mail (Bridge)",
        submission_host="127.0.0.1",
        port=1025,
        tls=TLSMode.STARTTLS,
        username="the address and password shown in Proton Mail Bridge",
        mail_domains=("proton.me", "protonmail.com", "protonmail.ch", "pm.me"),
        mx_suffixes=("protonmail.ch",),
        host_suffixes=(),
        banner_patterns=(),
        imap_host="127.0.0.1",
        auth_note=(
            "no public SMTP for personal use: run Proton Mail Bridge (paid plans) and use the "
            "password it generates; custom-domain addresses on Business, Visionary and Family "
            "plans can use SMTP submission tokens"
        ),
        docs_url="https://proton.me/support/smtp-submission",
        notes=(
            "Bridge shows its SMTP port; 1025 is the usual one.",
            "The host for SMTP submission tokens (smtp.protonmail.ch:587) is unconfirmed.",
        ),
    ),
    Provider(
        id="gmx",
        name="GMX",
        submission_host="mail.gmx.net",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.eu"),
        mx_suffixes=("gmx.net",),
        host_suffixes=("gmx.net",),
        banner_patterns=(),
        imap_host="imap.gmx.net",
        auth_note="account password, or an app-specific password when 2FA is on",
        docs_url="https://hilfe.gmx.net/sicherheit/2fa/anwendungsspezifisches-passwort.html",
        other_endpoints=(_STARTTLS_587,),
        notes=(
            "Whether POP3/IMAP access must first be enabled in the web settings is unconfirmed.",
        ),
    ),
    Provider(
        id="webde",
        name="WEB.DE",
        submission_host="smtp.web.de",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_LOCAL_PART,
        mail_domains=("web.de",),
        mx_suffixes=("web.de",),
        host_suffixes=("web.de",),
        banner_patterns=(),
        imap_host="imap.web.de",
        auth_note="account password, or an app-specific password when 2FA is on",
        docs_url=None,
        other_endpoints=(_STARTTLS_587,),
        notes=(
            "Whether POP3/IMAP access must first be enabled in the web settings is unconfirmed.",
        ),
    ),
    Provider(
        id="ses",
        name="Amazon SES",
        submission_host="email-smtp.{region}.amazonaws.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username="the SMTP user name created in the SES console for that region",
        mail_domains=(),
        mx_suffixes=(),
        host_suffixes=("email-smtp.*.amazonaws.com",),
        banner_patterns=(r"\bemail-smtp\.amazonaws\.com\b", r"\bSimpleEmailService\b"),
        imap_host=None,
        auth_note=(
            "SMTP credentials created for the region you send in (not IAM access keys, and not "
            "valid in other regions)"
        ),
        docs_url="https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html",
        other_endpoints=(
            _STARTTLS_587,
            Endpoint(2465, TLSMode.IMPLICIT),
            Endpoint(2587, TLSMode.STARTTLS),
            _STARTTLS_25,
        ),
        host_is_template=True,
    ),
    Provider(
        id="sendgrid",
        name="SendGrid",
        submission_host="smtp.sendgrid.net",
        port=465,
        tls=TLSMode.IMPLICIT,
        username="apikey",
        mail_domains=(),
        mx_suffixes=(),
        host_suffixes=("sendgrid.net",),
        banner_patterns=(),
        imap_host=None,
        auth_note="user name is the literal word apikey; the password is an API key with Mail Send",
        docs_url=(
            "https://www.twilio.com/docs/sendgrid/for-developers/sending-email/"
            "integrating-with-the-smtp-api"
        ),
        other_endpoints=(_STARTTLS_587, _STARTTLS_2525, _STARTTLS_25),
    ),
    Provider(
        id="mailgun",
        name="Mailgun",
        submission_host="smtp.mailgun.org",
        port=465,
        tls=TLSMode.IMPLICIT,
        username="the domain's SMTP login, such as postmaster@your-domain",
        mail_domains=(),
        mx_suffixes=("mailgun.org",),
        host_suffixes=("mailgun.org",),
        banner_patterns=(),
        imap_host=None,
        auth_note=(
            "per-domain SMTP credentials (not the dashboard login); EU accounts use "
            "smtp.eu.mailgun.org"
        ),
        docs_url=(
            "https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp"
        ),
        other_endpoints=(_STARTTLS_587, _STARTTLS_2525, _STARTTLS_25),
    ),
    Provider(
        id="postmark",
        name="Postmark",
        submission_host="smtp.postmarkapp.com",
        port=587,
        tls=TLSMode.STARTTLS,
        username="the Server API token (it is the password too)",
        mail_domains=(),
        mx_suffixes=(),
        host_suffixes=("postmarkapp.com",),
        banner_patterns=(),
        imap_host=None,
        auth_note="the Server API token as both user name and password; no implicit-TLS port",
        docs_url="https://postmarkapp.com/support/article/811-how-do-i-use-postmark-with-smtp",
        other_endpoints=(_STARTTLS_2525, _STARTTLS_25),
        notes=(
            "Broadcast mail goes through smtp-broadcasts.postmarkapp.com.",
            "An SMTP token pair may replace the Server API token (unconfirmed).",
        ),
    ),
    Provider(
        id="brevo",
        name="Brevo",
        submission_host="smtp-relay.brevo.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username="the SMTP login shown in Brevo's SMTP settings",
        mail_domains=(),
        mx_suffixes=(),
        host_suffixes=("brevo.com",),
        banner_patterns=(),
        imap_host=None,
        auth_note="an SMTP key (not the API key, not the account password)",
        docs_url="https://developers.brevo.com/docs/smtp-integration",
        other_endpoints=(_STARTTLS_587, _STARTTLS_2525),
    ),
    Provider(
        id="mailjet",
        name="Mailjet",
        submission_host="in-v3.mailjet.com",
        port=587,
        tls=TLSMode.STARTTLS,
        username="your Mailjet API key",
        mail_domains=(),
        mx_suffixes=(),
        host_suffixes=("mailjet.com",),
        banner_patterns=(),
        imap_host=None,
        auth_note="the API key as user name and the secret key as password",
        docs_url=None,
        other_endpoints=(_STARTTLS_2525,),
    ),
)

_BY_ID = {provider.id: provider for provider in PROVIDERS}


def provider_by_id(provider_id: str) -> Provider | None:
    """The provider with this id (``"gmail"``), or ``None``."""
    return _BY_ID.get(provider_id.strip().lower())


#: How alike (:class:`difflib.SequenceMatcher` ratio) a name must be to a provider's host for
#: :func:`closest_submission_host` to suggest it: a letter or two off, not another name.
SUGGESTION_CUTOFF = 0.9


def closest_submission_host(name: str) -> str | None:
    """The provider submission host that ``name`` most likely misspells (``smtp.gmial.com``
    → ``smtp.gmail.com``), or ``None`` when none is close or ``name`` is such a host itself."""
    wanted = _normalise(name)
    hosts = [
        provider.submission_host
        for provider in PROVIDERS
        if not provider.host_is_template and _ip_address(provider.submission_host) is None
    ]
    if wanted in hosts:
        return None
    close = difflib.get_close_matches(wanted, hosts, n=1, cutoff=SUGGESTION_CUTOFF)
    return close[0] if close else None


def provider_for_mail_domain(domain: str) -> Provider | None:
    """The provider whose consumer addresses end in ``domain`` (``gmail.com``).

    An address is accepted too (``alice@gmail.com``).  Custom domains are not known here:
    look their MX up and use :func:`provider_for_mx`.
    """
    wanted = _normalise(domain.rpartition("@")[2])
    return next((p for p in PROVIDERS if wanted in p.mail_domains), None)


def provider_for_mx(mx_host: str) -> Provider | None:
    """The provider whose mail exchangers look like ``mx_host``
    (``aspmx.l.google.com`` → Gmail / Google Workspace), by the longest matching suffix."""
    return _longest_suffix_match(_normalise(mx_host), lambda p: p.mx_suffixes)


def detect_provider(
    *,
    host: str,
    banner: str | None = None,
    ehlo_domain: str | None = None,
    username: str | None = None,
) -> Provider | None:
    """Which provider runs the server: judged by the host name first, then by the domain the
    server names in its EHLO reply, then by its greeting (the ``220`` text without the code).

    An IP address says nothing by itself; a server reached on loopback or through a tunnel is
    still recognised by what it says about itself.  One more clue serves a provider whose
    submission host *is* loopback (Proton Mail Bridge): a login ``username`` at one of its mail
    domains, on a loopback host.
    """
    name = _normalise(host)
    address = _ip_address(name)
    if address is None:
        by_host = _longest_suffix_match(name, lambda p: p.host_suffixes)
        if by_host is not None:
            return by_host
    for text in (ehlo_domain, banner):
        if text:
            found = _from_self_description(text)
            if found is not None:
                return found
    if address is not None and address.is_loopback and username and "@" in username:
        local = provider_for_mail_domain(username)
        if local is not None and _is_loopback(local.submission_host):
            return local
    return None


def _from_self_description(text: str) -> Provider | None:
    words = text.split(maxsplit=1)
    first_word = words[0] if words else ""
    by_name = _longest_suffix_match(_normalise(first_word), lambda p: p.host_suffixes)
    if by_name is not None:
        return by_name
    return next(
        (
            provider
            for provider in PROVIDERS
            if any(re.search(pattern, text, re.IGNORECASE) for pattern in provider.banner_patterns)
        ),
        None,
    )


def _longest_suffix_match(name: str, suffixes_of: _SuffixGetter) -> Provider | None:
    best: tuple[int, Provider] | None = None
    labels = name.split(".") if name else []
    for provider in PROVIDERS:
        for suffix in suffixes_of(provider):
            wanted = suffix.split(".")
            if _labels_end_with(labels, wanted) and (best is None or len(wanted) > best[0]):
                best = (len(wanted), provider)
    return best[1] if best is not None else None


def _labels_end_with(labels: list[str], suffix: list[str]) -> bool:
    if len(labels) < len(suffix):
        return False
    tail = labels[len(labels) - len(suffix) :]
    return all(want in ("*", have) for have, want in zip(tail, suffix, strict=True))


def _normalise(name: str) -> str:
    return name.strip().strip("[]").rstrip(".").lower()


def _ip_address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def _is_loopback(name: str) -> bool:
    address = _ip_address(name)
    return address is not None and address.is_loopback
