"""Mailbox providers of the Americas and Oceania: US, Canadian and Brazilian internet
providers, and Telstra (Australia)."""

from __future__ import annotations

from smtpdoctor.discovery.providers.model import (
    USERNAME_ADDRESS,
    USERNAME_LOCAL_PART,
    Credential,
    Fact,
    Provider,
    Switch,
)
from smtpdoctor.discovery.providers.sourcing import ALL_BASICS, cite, ispdb
from smtpdoctor.model.words import Endpoint, TLSMode

_STARTTLS_587 = Endpoint(587, TLSMode.STARTTLS)
_XFINITY_THIRD_PARTY = "https://www.xfinity.com/support/articles/third-party-email-access"

AMERICAS: tuple[Provider, ...] = (
    Provider(
        id="comcast",
        name="Comcast / Xfinity",
        submission_host="smtp.comcast.net",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("comcast.net",),
        mx_suffixes=(),
        host_suffixes=("comcast.net",),
        banner_patterns=(),
        imap_host="imap.comcast.net",
        auth_note="the account password or OAuth2, once third-party access is allowed",
        docs_url=_XFINITY_THIRD_PARTY,
        other_endpoints=(_STARTTLS_587,),
        region="Americas",
        switches=(
            Switch(
                "third-party access (IMAP, POP, SMTP)",
                "let third-party mail programs in (IMAP, POP and SMTP) in the Xfinity "
                "account, as Xfinity's 'third-party email access' article describes",
                _XFINITY_THIRD_PARTY,
            ),
        ),
        sources=cite(
            ispdb("comcast.net.xml", "e7802f0a4659aaf7f0e2f0789fec9673dfeae6ac"),
            *ALL_BASICS,
            Fact.SWITCHES,
        ),
    ),
    Provider(
        id="att",
        name="AT&T Mail",
        submission_host="smtp.mail.att.net",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=(
            "att.net",
            "sbcglobal.net",
            "bellsouth.net",
            "pacbell.net",
            "swbell.net",
            "ameritech.net",
            "flash.net",
            "prodigy.net",
            "snet.net",
            "nvbell.net",
            "wans.net",
            "currently.com",
        ),
        mx_suffixes=(),
        host_suffixes=("att.net",),
        banner_patterns=(),
        imap_host="imap.mail.att.net",
        auth_note="the account password or OAuth2 (see AT&T's mail program settings page)",
        docs_url="https://www.att.com/support/article/email-support/KM1010523/",
        region="Americas",
        notes=("ISPDB also lists outbound.att.net on port 465 with implicit TLS.",),
        sources=cite(ispdb("att.net.xml", "176c63a17f8dcfb7e1f3ff664967f0e07900165b"), *ALL_BASICS),
    ),
    Provider(
        id="cox",
        name="Cox",
        submission_host="smtp.cox.net",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_LOCAL_PART,
        mail_domains=("cox.net",),
        mx_suffixes=(),
        host_suffixes=("cox.net",),
        banner_patterns=(),
        imap_host="imap.cox.net",
        auth_note="the account password; the user name is the part before the @",
        docs_url=None,
        other_endpoints=(_STARTTLS_587,),
        region="Americas",
        sources=cite(ispdb("cox.net.xml", "9951bf24a6c105db149009e1bb7f27b513539005"), *ALL_BASICS),
    ),
    Provider(
        id="bell",
        name="Bell Canada email",
        submission_host="smtphm.sympatico.ca",
        port=587,
        tls=TLSMode.STARTTLS,
        username=USERNAME_ADDRESS,
        mail_domains=("bell.net", "sympatico.ca"),
        mx_suffixes=(),
        host_suffixes=("sympatico.ca",),
        banner_patterns=(),
        imap_host="imap.bell.net",
        auth_note="the account password",
        docs_url=None,
        region="Americas",
        sources=cite(
            ispdb("bell.net.xml", "29478e8aef5fb421dbc4c202c7854a94bcbab6bd"), *ALL_BASICS
        ),
    ),
    Provider(
        id="bol",
        name="BOL (Brasil Online, UOL)",
        submission_host="smtps.bol.com.br",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_LOCAL_PART,
        mail_domains=("bol.com.br",),
        mx_suffixes=(),
        host_suffixes=("bol.com.br",),
        banner_patterns=(),
        imap_host="imap.bol.com.br",
        auth_note="the account password; the user name is the part before the @",
        docs_url=None,
        other_endpoints=(_STARTTLS_587,),
        region="Americas",
        sources=cite(ispdb("bol.com.br", "c0708c2b03f112063503d5f54df8c39a8e0dde40"), *ALL_BASICS),
    ),
    Provider(
        id="telstra",
        name="Telstra Mail (BigPond)",
        submission_host="smtp.telstra.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("bigpond.com", "bigpond.net.au", "telstra.com", "bigpond.net"),
        mx_suffixes=(),
        host_suffixes=("telstra.com",),
        banner_patterns=(),
        imap_host="imap.telstra.com",
        auth_note="the account password",
        docs_url=(
            "https://www.telstra.com.au/support/category/email/telstra-mail/"
            "recommended-email-settings-for-telstra-mail"
        ),
        region="Oceania",
        credential=Credential.ACCOUNT_PASSWORD,
        sources=cite(
            ispdb("bigpond.com.xml", "4de464fe93348c89944e57f092f12b62248f20f5"), *ALL_BASICS
        ),
    ),
)
