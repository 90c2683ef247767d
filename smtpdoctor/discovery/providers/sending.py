"""Sending services beyond the established ones: SparkPost, Resend and SMTP2GO."""

from __future__ import annotations

from smtpdoctor.discovery.providers.model import Credential, Fact, Kind, Provider, Refusal
from smtpdoctor.discovery.providers.sourcing import cite
from smtpdoctor.model.words import Endpoint, TLSMode

_SPARKPOST_SMTP = "https://developers.sparkpost.com/api/smtp/"
_RESEND_SMTP = "https://resend.com/docs/send-with-smtp.md"
_SMTP2GO_RELAY = "https://developers.smtp2go.com/docs/smtp-relay"

SENDING: tuple[Provider, ...] = (
    Provider(
        id="sparkpost",
        name="SparkPost",
        submission_host="smtp.sparkpostmail.com",
        port=587,
        tls=TLSMode.STARTTLS,
        username="SMTP_Injection",
        mail_domains=(),
        mx_suffixes=(),
        host_suffixes=("sparkpostmail.com",),
        banner_patterns=(r"\becelerity\b",),
        imap_host=None,
        auth_note=(
            "user name SMTP_Injection; the password is an API key with the 'Send via SMTP' "
            "permission; EU accounts use smtp.eu.sparkpostmail.com"
        ),
        docs_url=_SPARKPOST_SMTP,
        other_endpoints=(Endpoint(2525, TLSMode.STARTTLS),),
        kind=Kind.SENDING,
        credential=Credential.API_KEY,
        refusals=(
            Refusal(
                check="send",
                code=550,
                enhanced="5.7.1",
                text=r"Unconfigured Sending Domain",
                example="550 5.7.1 Unconfigured Sending Domain <localhost>",
                means="the sender's domain is not a sending domain of the account",
                distinctive=True,
            ),
        ),
        sources=(
            *cite(_SPARKPOST_SMTP, Fact.ENDPOINTS, Fact.USERNAME, Fact.CREDENTIAL),
            *cite("https://pastebin.com/xieze6a2", Fact.REFUSALS),
            *cite("https://pastebin.com/tXpfUZgB", Fact.BANNER),
        ),
    ),
    Provider(
        id="resend",
        name="Resend",
        submission_host="smtp.resend.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username="resend",
        mail_domains=(),
        mx_suffixes=(),
        host_suffixes=("resend.com",),
        banner_patterns=(),
        imap_host=None,
        auth_note="user name resend; the password is a Resend API key; send from a verified domain",
        docs_url="https://resend.com/docs/send-with-smtp",
        other_endpoints=(
            Endpoint(2465, TLSMode.IMPLICIT),
            Endpoint(587, TLSMode.STARTTLS),
            Endpoint(2587, TLSMode.STARTTLS),
            Endpoint(25, TLSMode.STARTTLS),
        ),
        kind=Kind.SENDING,
        credential=Credential.API_KEY,
        sources=cite(_RESEND_SMTP, Fact.ENDPOINTS, Fact.USERNAME, Fact.CREDENTIAL),
    ),
    Provider(
        id="smtp2go",
        name="SMTP2GO",
        submission_host="mail.smtp2go.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username="an SMTP user from Sending → SMTP Users",
        mail_domains=(),
        mx_suffixes=(),
        host_suffixes=("smtp2go.com",),
        banner_patterns=(),
        imap_host=None,
        auth_note=(
            "an SMTP user and its password from Sending → SMTP Users (not the account login); "
            "senders must be verified under Sending → Verified Senders"
        ),
        docs_url=_SMTP2GO_RELAY,
        other_endpoints=(
            Endpoint(8465, TLSMode.IMPLICIT),
            Endpoint(587, TLSMode.STARTTLS),
            Endpoint(2525, TLSMode.STARTTLS),
            Endpoint(8025, TLSMode.STARTTLS),
            Endpoint(25, TLSMode.STARTTLS),
        ),
        kind=Kind.SENDING,
        credential=Credential.SMTP_KEY,
        sources=cite(_SMTP2GO_RELAY, Fact.ENDPOINTS, Fact.USERNAME, Fact.CREDENTIAL),
    ),
)
