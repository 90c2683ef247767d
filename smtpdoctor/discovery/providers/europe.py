"""Mailbox providers of Europe (GMX and WEB.DE are among the established entries): Germany,
Russia, France, Italy, the Netherlands and Poland."""

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
_YANDEX_APP_PASSWORDS = "https://yandex.com/support/passport/authorization/app-passwords.html"
_TELEKOM_SWITCH_PAGE = (
    "https://www.telekom.de/hilfe/apps-dienste/e-mail/programme/passwort-verwalten"
)
_MAILBOX_ORG_APP_PASSWORDS = (
    "https://kb.mailbox.org/de/privat/sicherheit-und-privatsphaere/"
    "applikationspasswoerter-fuer-externe-programme/"
)

EUROPE: tuple[Provider, ...] = (
    Provider(
        id="t-online",
        name="T-Online (Telekom)",
        submission_host="securesmtp.t-online.de",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("t-online.de", "magenta.de"),
        mx_suffixes=(),
        host_suffixes=("t-online.de",),
        banner_patterns=(),
        imap_host="secureimap.t-online.de",
        auth_note=(
            "a separate e-mail password set up for mail programs; the password of the "
            "T-Online website and web mail does not work"
        ),
        docs_url=(
            "https://www.telekom.de/hilfe/apps-dienste/e-mail/einstellungen/"
            "posteingang-postausgang-server"
        ),
        other_endpoints=(_STARTTLS_587,),
        region="Europe",
        credential=Credential.MAIL_PASSWORD,
        switches=(
            Switch(
                "an e-mail password (E-Mail-Passwort)",
                "set up an e-mail password for mail programs in the Telekom account's "
                "password management (Telekom help: 'Passwort verwalten')",
                _TELEKOM_SWITCH_PAGE,
            ),
        ),
        sources=cite(
            ispdb("t-online.de.xml", "8ed02129448f41e0f3b80e1d3cfcc8360fb2915f"),
            *ALL_BASICS,
            Fact.SWITCHES,
        ),
    ),
    Provider(
        id="yandex",
        name="Yandex Mail",
        submission_host="smtp.yandex.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=(
            "yandex.ru",
            "yandex.com",
            "yandex.by",
            "yandex.kz",
            "yandex.ua",
            "ya.ru",
            "narod.ru",
        ),
        mx_suffixes=(),
        host_suffixes=("yandex.com", "yandex.ru", "yandex.net"),
        banner_patterns=(),
        imap_host="imap.yandex.com",
        auth_note="an app password for the mail client (mandatory with two-factor authentication)",
        docs_url=_YANDEX_APP_PASSWORDS,
        region="Europe",
        credential=Credential.APP_PASSWORD,
        switches=(
            Switch(
                "access for mail clients (IMAP)",
                "on the Yandex Mail setup page for mail clients, tick the box that lets "
                "mail programs in by IMAP",
                "http://mail.yandex.ru/neo/setup_client",
            ),
            Switch(
                "an app password",
                "Yandex ID → Account management → Passwords and authorization: enable app "
                "passwords and create one for the mail client",
                _YANDEX_APP_PASSWORDS,
            ),
        ),
        sources=(
            *cite(ispdb("yandex.ru", "c0708c2b03f112063503d5f54df8c39a8e0dde40"), *ALL_BASICS),
            *cite(ispdb("yandex.ru", "c0708c2b03f112063503d5f54df8c39a8e0dde40"), Fact.SWITCHES),
            *cite(_YANDEX_APP_PASSWORDS, Fact.CREDENTIAL, Fact.SWITCHES),
        ),
    ),
    Provider(
        id="mailru",
        name="Mail.ru",
        submission_host="smtp.mail.ru",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("mail.ru", "inbox.ru", "list.ru", "bk.ru"),
        mx_suffixes=(),
        host_suffixes=("mail.ru",),
        banner_patterns=(),
        imap_host="imap.mail.ru",
        auth_note="the account password (ISPDB lists OAuth2 for reading mail, not for SMTP)",
        docs_url=None,
        other_endpoints=(_STARTTLS_587,),
        region="Europe",
        sources=cite(ispdb("mail.ru", "de8e08dc0f2511b95ea36ec808e8bede3de819e2"), *ALL_BASICS),
    ),
    Provider(
        id="rambler",
        name="Rambler Mail",
        submission_host="smtp.rambler.ru",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("rambler.ru",),
        mx_suffixes=(),
        host_suffixes=("rambler.ru",),
        banner_patterns=(),
        imap_host="imap.rambler.ru",
        auth_note="the account password",
        docs_url="https://help.rambler.ru/mail/mail-pochtovye-klienty/1275/",
        region="Europe",
        sources=cite(ispdb("rambler.ru", "80e0a10ab85fa798d8e01492b71d3cfb473d9da9"), *ALL_BASICS),
    ),
    Provider(
        id="orange",
        name="Mail Orange",
        submission_host="smtp.orange.fr",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("orange.fr", "wanadoo.fr"),
        mx_suffixes=(),
        host_suffixes=("orange.fr",),
        banner_patterns=(),
        imap_host="imap.orange.fr",
        auth_note="the account password",
        docs_url=(
            "https://assistance.orange.fr/ordinateurs-peripheriques/installer-et-utiliser/"
            "l-utilisation-du-mail-et-du-cloud/mail-orange/le-mail-orange-nouvelle-version/"
            "parametrer-la-boite-mail/mail-orange-comment-acceder-a-sa-boite-mail-orange-"
            "depuis-une-application-ou-un-logiciel-de-messagerie-non-fourni-par-orange_"
            "434630-964290"
        ),
        region="Europe",
        sources=cite(
            ispdb("orange.fr.xml", "7e9fbb12bb8b6b4814f47b610682655e83299c0a"), *ALL_BASICS
        ),
    ),
    Provider(
        id="free",
        name="Free (Freebox)",
        submission_host="smtp.free.fr",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_LOCAL_PART,
        mail_domains=("free.fr",),
        mx_suffixes=(),
        host_suffixes=("free.fr",),
        banner_patterns=(),
        imap_host="imap.free.fr",
        auth_note="the account password; the user name is the part before the @",
        docs_url=(
            "https://assistance.free.fr/articles/"
            "configurer-de-maniere-avancee-mon-logiciel-de-messagerie-609"
        ),
        region="Europe",
        sources=cite(ispdb("free.fr.xml", "0483396e6fe2dce7c35c1dfe7101ec6ed229ab23"), *ALL_BASICS),
    ),
    Provider(
        id="libero",
        name="Libero Mail",
        submission_host="smtp.libero.it",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("libero.it", "iol.it", "blu.it", "inwind.it", "giallo.it"),
        mx_suffixes=(),
        host_suffixes=("libero.it",),
        banner_patterns=(),
        imap_host="imapmail.libero.it",
        auth_note="the account password",
        docs_url=None,
        region="Europe",
        sources=cite(ispdb("libero.it", "c0708c2b03f112063503d5f54df8c39a8e0dde40"), *ALL_BASICS),
    ),
    Provider(
        id="virgilio",
        name="Virgilio Mail",
        submission_host="out.virgilio.it",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("virgilio.it",),
        mx_suffixes=(),
        host_suffixes=("virgilio.it",),
        banner_patterns=(),
        imap_host="in.virgilio.it",
        auth_note="the account password",
        docs_url=(
            "https://aiuto.virgilio.it/articolo/mail/"
            "configurare-virgilio-mail-con-client-di-posta-imap-e-smtp/"
        ),
        region="Europe",
        sources=cite(
            ispdb("virgilio.it.xml", "7e9fbb12bb8b6b4814f47b610682655e83299c0a"), *ALL_BASICS
        ),
    ),
    Provider(
        id="posteo",
        name="Posteo",
        submission_host="posteo.de",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("posteo.de", "posteo.at", "posteo.ch", "posteo.eu", "posteo.net"),
        mx_suffixes=(),
        host_suffixes=("posteo.de",),
        banner_patterns=(),
        imap_host="posteo.de",
        auth_note="the account password",
        docs_url=(
            "https://posteo.de/hilfe/"
            "wie-richte-ich-posteo-in-einem-mailprogramm-ein-pop3-imap-und-smtp"
        ),
        other_endpoints=(_STARTTLS_587,),
        region="Europe",
        sources=cite(
            ispdb("posteo.de.xml", "310447e66055b612aa7d309c6afd936d27a3e1f3"), *ALL_BASICS
        ),
    ),
    Provider(
        id="mailbox-org",
        name="mailbox.org",
        submission_host="smtp.mailbox.org",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("mailbox.org",),
        mx_suffixes=(),
        host_suffixes=("mailbox.org",),
        banner_patterns=(),
        imap_host="imap.mailbox.org",
        auth_note="the mailbox password, or an application password when two-factor "
        "authentication is on",
        docs_url="https://kb.mailbox.org/de/privat/e-mail/e-mail-konfiguration/",
        other_endpoints=(_STARTTLS_587,),
        region="Europe",
        switches=(
            Switch(
                "an application password when two-factor authentication is on",
                "with two-factor authentication on, create an application password for the "
                "mail program in the mailbox.org settings",
                _MAILBOX_ORG_APP_PASSWORDS,
            ),
        ),
        sources=cite(
            ispdb("mailbox.org.xml", "40169f0b5a864681a2c6a9913268ac0c1d9be621"),
            *ALL_BASICS,
            Fact.SWITCHES,
        ),
    ),
    Provider(
        id="kpn",
        name="KPN E-mail",
        submission_host="smtp.kpnmail.nl",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("kpnmail.nl", "kpnplanet.nl", "planet.nl", "xs4all.nl", "telfort.nl"),
        mx_suffixes=(),
        host_suffixes=("kpnmail.nl",),
        banner_patterns=(),
        imap_host="imap.kpnmail.nl",
        auth_note="the account password",
        docs_url="https://www.kpn.com/service/internet/e-mail/instellen-laptop-pc.htm",
        other_endpoints=(_STARTTLS_587,),
        region="Europe",
        sources=cite(
            ispdb("kpnmail.nl.xml", "1a5e560c67c163cbbefe563aa892c038ca18ae1f"), *ALL_BASICS
        ),
    ),
    Provider(
        id="o2-pl",
        name="o2 Poczta (Poland)",
        submission_host="poczta.o2.pl",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_LOCAL_PART,
        mail_domains=("o2.pl", "go2.pl", "tlen.pl", "prokonto.pl"),
        mx_suffixes=(),
        host_suffixes=("o2.pl",),
        banner_patterns=(),
        imap_host="poczta.o2.pl",
        auth_note="the account password; the user name is the part before the @",
        docs_url="https://pomoc.o2.pl/jak-skonfigurowac-program-pocztowy",
        other_endpoints=(_STARTTLS_587,),
        region="Europe",
        switches=(
            Switch(
                "access for mail programs",
                "activate access for mail programs as o2's help page 'Aktywacja dostępu dla "
                "programów pocztowych' describes",
                "https://pomoc.o2.pl/aktywacja-dostepu-dla-programow-pocztowych",
            ),
        ),
        sources=cite(
            ispdb("o2.pl.xml", "f4bb422fd5e8a71f0e825ff77ad9c2b81a67f256"),
            *ALL_BASICS,
            Fact.SWITCHES,
        ),
    ),
)
