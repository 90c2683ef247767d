"""The seventeen providers smtpdoctor has known longest: the big mailbox providers and the
transactional sending services, with the sources of the reference they were compiled from
(Thunderbird's ISPDB, the providers' own pages)."""

from __future__ import annotations

from datetime import date

from smtpdoctor.discovery.providers.model import (
    USERNAME_ADDRESS,
    USERNAME_LOCAL_PART,
    Credential,
    Fact,
    Kind,
    Provider,
    Switch,
)
from smtpdoctor.discovery.providers.sourcing import ALL_BASICS, cite, github, ispdb
from smtpdoctor.model.words import Endpoint, TLSMode

_TB_DATE = date(2026, 3, 12)
"""The date of the ISPDB snapshot (commit c6ad7965) the reference was compiled from."""
_TB = "c6ad7965"
_TB_GMAIL = ispdb("googlemail.com.xml", _TB)
_TB_O365 = ispdb("office365.com.xml", _TB)
_TB_HOTMAIL = ispdb("hotmail.com.xml", _TB)
_TB_ME = ispdb("me.com.xml", _TB)
_TB_FASTMAIL = ispdb("messagingengine.com.xml", _TB)
_TB_HOWTO = github("thunderbird/autoconfig", "b9c3a97", "docs/file-format/how-to.md")
_TB_YAHOO = ispdb("yahoo.com", "213032fa432982b12f4216e5547c3af7e1e75e1d")
_TB_AOL = ispdb("aol.com.xml", "8fcab30b1d8bb46dd909e7daaf036439851fbc62")
_TB_ZOHO = ispdb("zoho.com", "03f38dc8605598ac098b10c63ba6047cf930f5f8")
_TB_PROTON = ispdb("protonmail.com", "ec14b4fc4c70c90dd781f7dfe2c20cf84f3e5f60")
_TB_GMX = ispdb("gmx.net.xml", "3568912d5c46333b16568ee0ade775c817ad7a30")
_TB_WEBDE = ispdb("web.de.xml", "22ae03cf02659f79cdb47dbf8f1fa43a3da2b9e7")
_GOOGLE_APP_PASSWORDS = "https://support.google.com/accounts/answer/185833"
_GMAIL_TRANSCRIPT = "https://pastebin.com/uXqSaYa4"
_FASTMAIL_HELP = "https://www.fastmail.com/help/technical/servernamesandports.html"
_MS_OAUTH = github(
    "MicrosoftDocs/office-developer-exchange-docs",
    "5a8808d",
    "docs/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth.md",
)

_POP_IMAP_ACCESS_GMX = Switch(
    "access through POP3 & IMAP",
    "allow access through POP3 and IMAP once, in the e-mail settings of the GMX account (web mail)",
    "https://hilfe.gmx.net/pop-imap/einschalten.html",
)
_POP_IMAP_ACCESS_WEBDE = Switch(
    "access through POP3 & IMAP",
    "allow access through POP3 and IMAP once, in the e-mail settings of the WEB.DE account "
    "(web mail)",
    "https://hilfe.web.de/pop-imap/einschalten.html",
)

_STARTTLS_587 = Endpoint(587, TLSMode.STARTTLS)
_STARTTLS_25 = Endpoint(25, TLSMode.STARTTLS)
_STARTTLS_2525 = Endpoint(2525, TLSMode.STARTTLS)

_GOOGLE_ERRORS = "https://support.google.com/a/answer/3726730"
_MS_SMTP_AUTH = (
    "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/"
    "authenticated-client-smtp-submission"
)

ESTABLISHED: tuple[Provider, ...] = (
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
        kind=Kind.MAILBOX,
        credential=Credential.APP_PASSWORD,
        sources=(
            *cite(_TB_GMAIL, *ALL_BASICS, Fact.MX, dated=_TB_DATE),
            *cite(_GOOGLE_APP_PASSWORDS, Fact.CREDENTIAL),
            *cite(_GOOGLE_ERRORS, Fact.CREDENTIAL, dated=date(2026, 2, 15)),
            *cite(_GMAIL_TRANSCRIPT, Fact.BANNER),
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
        kind=Kind.MAILBOX,
        credential=Credential.OAUTH_ONLY,
        sources=(
            *cite(_TB_O365, Fact.ENDPOINTS, Fact.USERNAME, Fact.MX, dated=_TB_DATE),
            *cite(_MS_SMTP_AUTH, Fact.CREDENTIAL, Fact.ENDPOINTS),
            *cite(_MS_OAUTH, Fact.CREDENTIAL, Fact.BANNER, dated=date(2026, 6, 19)),
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
        kind=Kind.MAILBOX,
        credential=Credential.OAUTH_ONLY,
        sources=(
            *cite(_TB_HOTMAIL, *ALL_BASICS, dated=_TB_DATE),
            *cite(_TB_HOWTO, Fact.MX, dated=_TB_DATE),
        ),
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
        kind=Kind.MAILBOX,
        credential=Credential.APP_PASSWORD,
        sources=(
            *cite(_TB_YAHOO, *ALL_BASICS, Fact.MX),
            *cite("https://help.yahoo.com/kb/SLN15241.html", Fact.CREDENTIAL),
        ),
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
        kind=Kind.MAILBOX,
        credential=Credential.APP_PASSWORD,
        sources=(
            *cite(_TB_AOL, *ALL_BASICS, Fact.MX),
            *cite("https://help.yahoo.com/kb/SLN15241.html", Fact.CREDENTIAL),
        ),
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
        kind=Kind.MAILBOX,
        credential=Credential.APP_PASSWORD,
        sources=(
            *cite(_TB_ME, *ALL_BASICS, dated=_TB_DATE),
            *cite("https://support.apple.com/102525", Fact.CREDENTIAL),
            *cite(_TB_HOWTO, Fact.MX, dated=_TB_DATE),
        ),
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
        kind=Kind.MAILBOX,
        credential=Credential.ACCOUNT_PASSWORD,
        sources=(
            *cite(_TB_ZOHO, *ALL_BASICS),
            *cite("https://www.zoho.com/mail/help/zoho-smtp.html", Fact.ENDPOINTS, Fact.CREDENTIAL),
            *cite(_TB_HOWTO, Fact.MX, dated=_TB_DATE),
        ),
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
        kind=Kind.MAILBOX,
        credential=Credential.APP_PASSWORD,
        sources=(
            *cite(_TB_FASTMAIL, Fact.ENDPOINTS, Fact.USERNAME, Fact.MX, dated=_TB_DATE),
            *cite(_FASTMAIL_HELP, Fact.CREDENTIAL, Fact.MAIL_DOMAINS),
        ),
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
        kind=Kind.MAILBOX,
        credential=Credential.BRIDGE_PASSWORD,
        sources=(
            *cite(_TB_PROTON, Fact.ENDPOINTS, Fact.USERNAME, Fact.MAIL_DOMAINS, Fact.MX),
            *cite("https://proton.me/support/smtp-submission", Fact.CREDENTIAL),
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
        kind=Kind.MAILBOX,
        region="Europe",
        credential=Credential.ACCOUNT_PASSWORD,
        switches=(_POP_IMAP_ACCESS_GMX,),
        sources=(
            *cite(_TB_GMX, *ALL_BASICS, Fact.MX, Fact.SWITCHES),
            *cite(
                "https://hilfe.gmx.net/sicherheit/2fa/anwendungsspezifisches-passwort.html",
                Fact.CREDENTIAL,
            ),
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
        kind=Kind.MAILBOX,
        region="Europe",
        credential=Credential.ACCOUNT_PASSWORD,
        switches=(_POP_IMAP_ACCESS_WEBDE,),
        sources=cite(_TB_WEBDE, *ALL_BASICS, Fact.MX, Fact.SWITCHES),
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
        kind=Kind.SENDING,
        credential=Credential.SMTP_KEY,
        sources=(
            *cite(
                "https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html",
                Fact.ENDPOINTS,
                Fact.USERNAME,
                Fact.CREDENTIAL,
            ),
            *cite(
                "https://docs.aws.amazon.com/ses/latest/dg/send-email-smtp.html",
                Fact.BANNER,
            ),
        ),
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
        kind=Kind.SENDING,
        credential=Credential.API_KEY,
        sources=cite(
            "https://www.twilio.com/docs/sendgrid/for-developers/sending-email/"
            "integrating-with-the-smtp-api",
            Fact.ENDPOINTS,
            Fact.USERNAME,
            Fact.CREDENTIAL,
        ),
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
        kind=Kind.SENDING,
        credential=Credential.SMTP_KEY,
        sources=(
            *cite(
                "https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/"
                "send-smtp",
                Fact.ENDPOINTS,
                Fact.USERNAME,
                Fact.CREDENTIAL,
            ),
            *cite(
                "https://documentation.mailgun.com/docs/mailgun/user-manual/smtp-protocol/"
                "smtp-relay.md",
                Fact.CREDENTIAL,
                Fact.MX,
            ),
        ),
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
        kind=Kind.SENDING,
        credential=Credential.API_KEY,
        sources=cite(
            "https://postmarkapp.com/support/article/811-how-do-i-use-postmark-with-smtp",
            Fact.ENDPOINTS,
            Fact.USERNAME,
            Fact.CREDENTIAL,
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
        kind=Kind.SENDING,
        credential=Credential.SMTP_KEY,
        sources=cite(
            "https://developers.brevo.com/docs/smtp-integration",
            Fact.ENDPOINTS,
            Fact.USERNAME,
            Fact.CREDENTIAL,
        ),
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
        kind=Kind.SENDING,
        credential=Credential.API_KEY,
        sources=(
            *cite(
                "https://www.rubydoc.info/gems/mailjet/Mailjet/Mailer",
                Fact.ENDPOINTS,
                Fact.USERNAME,
                Fact.CREDENTIAL,
            ),
            *cite(
                "https://cloud.google.com/compute/docs/tutorials/sending-mail/using-mailjet",
                Fact.ENDPOINTS,
            ),
        ),
    ),
)
