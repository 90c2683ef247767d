"""Hosting companies whose mailboxes come with a domain or web hosting: recognised by the MX
of a customer's domain where the source names their mail exchangers."""

from __future__ import annotations

from smtpdoctor.discovery.providers.model import USERNAME_ADDRESS, Fact, Kind, Provider
from smtpdoctor.discovery.providers.sourcing import ALL_BASICS, cite, ispdb
from smtpdoctor.model.words import Endpoint, TLSMode

_STARTTLS_587 = Endpoint(587, TLSMode.STARTTLS)
_IONOS_COM = ispdb("ionos.com", "3c267a844f3c4ff1066441244ce85af37735a8e0")
_IONOS_DE = ispdb("ionos.de", "3c267a844f3c4ff1066441244ce85af37735a8e0")

HOSTING: tuple[Provider, ...] = (
    Provider(
        id="ionos",
        name="IONOS (1&1)",
        submission_host="smtp.ionos.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=(),
        mx_suffixes=(
            "ionos.com",
            "1and1.com",
            "perfora.net",
            "ionos.de",
            "kundenserver.de",
            "schlund.de",
        ),
        host_suffixes=("ionos.com", "ionos.de"),
        banner_patterns=(),
        imap_host="imap.ionos.com",
        auth_note="the mailbox password; the user name is the full address",
        docs_url="https://www.ionos.com/help/index.php?id=2490",
        other_endpoints=(_STARTTLS_587,),
        kind=Kind.HOSTING,
        region="Europe",
        notes=("Customers of IONOS Germany use smtp.ionos.de (465 implicit TLS, 587 STARTTLS).",),
        sources=(
            *cite(_IONOS_COM, Fact.ENDPOINTS, Fact.USERNAME, Fact.CREDENTIAL, Fact.MX),
            *cite(_IONOS_DE, Fact.ENDPOINTS, Fact.MX),
        ),
    ),
    Provider(
        id="strato",
        name="Strato",
        submission_host="smtp.strato.de",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("strato.de",),
        mx_suffixes=("rzone.de",),
        host_suffixes=("strato.de",),
        banner_patterns=(),
        imap_host="imap.strato.de",
        auth_note="the mailbox password; the user name is the full address",
        docs_url=(
            "https://www.strato.de/faq/mail/"
            "externes-e-mail-programm-mit-strato-e-mail-adresse-nutzen/"
        ),
        other_endpoints=(_STARTTLS_587,),
        kind=Kind.HOSTING,
        region="Europe",
        sources=cite(
            ispdb("strato.de.xml", "78908efaf881c62343a5401f60d7f0f0a9ff1ed8"),
            *ALL_BASICS,
            Fact.MX,
        ),
    ),
    Provider(
        id="one-com",
        name="one.com",
        submission_host="send.one.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("one.com",),
        mx_suffixes=(),
        host_suffixes=("one.com",),
        banner_patterns=(),
        imap_host="imap.one.com",
        auth_note="the mailbox password; the user name is the full address",
        docs_url=None,
        kind=Kind.HOSTING,
        region="Europe",
        sources=cite(ispdb("one.com.xml", "b57df2b1f8bce05d8bc0bac660a2ea95fbc858eb"), *ALL_BASICS),
    ),
    Provider(
        id="rackspace",
        name="Rackspace Email Hosting",
        submission_host="secure.emailsrvr.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=(),
        mx_suffixes=("emailsrvr.com",),
        host_suffixes=("emailsrvr.com",),
        banner_patterns=(),
        imap_host="secure.emailsrvr.com",
        auth_note="the mailbox password; the user name is the full address",
        docs_url=None,
        kind=Kind.HOSTING,
        region="global",
        sources=cite(
            ispdb("emailsrvr.com.xml", "8fcab30b1d8bb46dd909e7daaf036439851fbc62"),
            Fact.ENDPOINTS,
            Fact.USERNAME,
            Fact.CREDENTIAL,
            Fact.MX,
        ),
    ),
    Provider(
        id="migadu",
        name="Migadu",
        submission_host="smtp.migadu.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("migadu.com",),
        mx_suffixes=("migadu.com",),
        host_suffixes=("migadu.com",),
        banner_patterns=(),
        imap_host="imap.migadu.com",
        auth_note="the mailbox password; the user name is the full address",
        docs_url="https://www.migadu.com/guides/imap/",
        kind=Kind.HOSTING,
        region="global",
        sources=cite(
            ispdb("migadu.com.xml", "875579391cde41c379a95dee5ae845fa6e8ccacf"),
            *ALL_BASICS,
            Fact.MX,
        ),
    ),
)
