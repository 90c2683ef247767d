"""The replies real servers send, and the hints each must give: one table for the whole
knowledge base.

Reply texts come from ``../shared/reference/providers-and-protocol.md`` and from transcripts of
the providers' servers.  ``test_auth_replies.py`` and ``test_send_replies.py`` play the
``auth`` and ``send`` cases through a scripted server on loopback; ``test_replies.py`` feeds
every case to the matcher; and
``test_coverage.py`` proves that every knowledge-base entry is the answer to at least one case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from smtpdoctor.checks.auth import FAILURE_FINDINGS
from smtpdoctor.core.check import reply_outcome
from smtpdoctor.discovery.providers import detect_provider
from smtpdoctor.model.results import CheckResult, Hint, Outcome, Report, Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.protocol import Reply, ReplyParser
from smtpdoctor.remedies import HintContext, Remedy, hints_for
from smtpdoctor.remedies.knowledge import KNOWLEDGE_BASE
from smtpdoctor.software import Observation, recognise

#: The fixtures of ``tests/conftest.py``, typed (``tests/checks/checkkit.py`` is not importable
#: from this directory).
RunCheck = Callable[..., Report]


class Scripted(Protocol):
    """What a test uses of conftest's ``ScriptedServer``."""

    received: list[bytes]

    @property
    def address(self) -> tuple[str, int]: ...


StartScripted = Callable[[list[Any]], Scripted]
QUIT_ANSWERED: list[Any] = ["recv", b"221 2.0.0 Bye\r\n"]

GENERIC_BANNER = "mail.example.test ESMTP ready"
GMAIL_BANNER = "smtp.gmail.com ESMTP a640c23a62f3a-a7f2a4c0a8fsm1 - gsmtp"
GOOGLE_MX_BANNER = "mx.google.com ESMTP 5b1f17b1804b1-42f2d2 - gsmtp"
M365_BANNER = (
    "BN9PR03CA0123.outlook.office365.com Microsoft ESMTP MAIL Service ready at "
    "Mon, 30 Nov 2026 05:00:00 +0000"
)
SES_BANNER = "email-smtp.amazonaws.com ESMTP SimpleEmailService-d-HX9QKT3F1 rkjj0ys5R7"
USER = "alice@example.test"
QQ_REFUSAL = (
    "Login Fail. Please enter your authorization code to login. More information in "
    "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256"
)
QQ_HINT = "QQ Mail needs the SMTP service and an authorization code (授权码)"
NETEASE_HINT = "NetEase 163 Mail needs the SMTP service and a client authorization code (授权码)"
#: Providers of the world table that take the account password: a refused login there says
#: so, with the user-name form (id, name, submission host).
ACCOUNT_PASSWORD_PROVIDERS = (
    ("mailru", "Mail.ru", "smtp.mail.ru"),
    ("rambler", "Rambler Mail", "smtp.rambler.ru"),
    ("orange", "Mail Orange", "smtp.orange.fr"),
    ("free", "Free (Freebox)", "smtp.free.fr"),
    ("libero", "Libero Mail", "smtp.libero.it"),
    ("virgilio", "Virgilio Mail", "out.virgilio.it"),
    ("posteo", "Posteo", "posteo.de"),
    ("kpn", "KPN E-mail", "smtp.kpnmail.nl"),
    ("naver", "Naver Mail", "smtp.naver.com"),
    ("daum", "Daum Mail (Kakao)", "smtp.daum.net"),
    ("ocn", "OCN (NTT)", "smtp.ocn.ne.jp"),
    ("rediffmail", "Rediffmail", "smtp.rediffmail.com"),
    ("att", "AT&T Mail", "smtp.mail.att.net"),
    ("cox", "Cox", "smtp.cox.net"),
    ("bell", "Bell Canada email", "smtphm.sympatico.ca"),
    ("bol", "BOL (Brasil Online, UOL)", "smtps.bol.com.br"),
    ("telstra", "Telstra Mail (BigPond)", "smtp.telstra.com"),
    ("ionos", "IONOS (1&1)", "smtp.ionos.com"),
    ("strato", "Strato", "smtp.strato.de"),
    ("one-com", "one.com", "send.one.com"),
    ("rackspace", "Rackspace Email Hosting", "secure.emailsrvr.com"),
    ("migadu", "Migadu", "smtp.migadu.com"),
)
QQ_REFUSAL_HINT = "QQ Mail: the password given is not an authorization code"
NETEASE_REFUSAL_HINT = "NetEase 163 Mail: client authorization is off for this mailbox"
SPARKPOST_DOMAIN_HINT = "SparkPost: the sender's domain is not a sending domain of the account"


@dataclass(frozen=True)
class ReplyCase:
    """A server reply to one step, and the hint titles a person must see for it.

    ``reply`` is on the wire (``535-…\\r\\n535 …\\r\\n``); ``banner`` is the greeting text
    after ``220 ``; ``host`` is what the user typed (loopback for cases a scripted server can
    play); ``user`` is the login.
    """

    name: str
    reply: bytes
    expected: tuple[str, ...]
    check: str = "auth"
    banner: str = GENERIC_BANNER
    host: str = "127.0.0.1"
    user: str = USER

    @property
    def playable(self) -> bool:
        """Whether a scripted server on loopback can play this case end to end."""
        return self.check == "auth" and self.host == "127.0.0.1"


@dataclass(frozen=True)
class FindingCase:
    """A finding of a check (no reply needed), and the hint titles it must give."""

    finding: str
    expected: tuple[str, ...]
    host: str = "mail.example.test"
    user: str = USER
    banner: str | None = None
    """The greeting text, when the case depends on the server software it names."""
    encrypted: bool = False
    """Whether the connection was encrypted when the finding was made."""

    @property
    def check(self) -> str:
        return self.finding.split(".", 1)[0]


def wire(*lines: str, code: int) -> bytes:
    """A reply as a server sends it: ``code-line`` for all lines but the last."""
    return Reply(code, lines).to_wire()


def parse(data: bytes) -> Reply:
    parser = ReplyParser()
    parser.feed(data)
    reply = parser.next_reply()
    assert reply is not None, data
    return reply


def context_for(
    host: str, banner: str | None, user: str, *, encrypted: bool = False
) -> HintContext:
    provider = detect_provider(host=host, banner=banner, username=user)
    return HintContext(
        host=host,
        port=587,
        tls_mode=TLSMode.STARTTLS,
        provider=provider.id if provider else None,
        banner=banner,
        software=recognise(Observation(greeting=(banner,) if banner else ())),
        encrypted=encrypted,
    )


def finding_context(case: FindingCase) -> HintContext:
    return context_for(case.host, case.banner, case.user, encrypted=case.encrypted)


def reply_result(case: ReplyCase) -> CheckResult:
    """The result the ``auth`` check (or a ``send`` check) makes of ``case.reply``."""
    reply = parse(case.reply)
    finding = FAILURE_FINDINGS.get(reply.code, "auth.failed") if case.check == "auth" else None
    outcome = reply_outcome(Status.FAIL, reply.summary(), reply, finding=finding)
    return CheckResult(case.check, case.check, outcome)


def finding_result(case: FindingCase) -> CheckResult:
    return CheckResult(case.check, case.check, Outcome(Status.FAIL, "…", finding=case.finding))


def hints_of(case: ReplyCase | FindingCase) -> list[Hint]:
    """The knowledge base's hints for ``case``, computed without a server."""
    if isinstance(case, ReplyCase):
        return hints_for(
            reply_result(case), KNOWLEDGE_BASE, context_for(case.host, case.banner, case.user)
        )
    return hints_for(finding_result(case), KNOWLEDGE_BASE, finding_context(case))


def remedies_answering(case: ReplyCase | FindingCase) -> list[Remedy]:
    """The entries whose hints ``case`` shows (those of the most specific matching tier)."""
    if isinstance(case, ReplyCase):
        result = reply_result(case)
        context = context_for(case.host, case.banner, case.user)
    else:
        result = finding_result(case)
        context = finding_context(case)
    matching = [r for r in KNOWLEDGE_BASE if r.match.matches(result, context)]
    best = min((r.tier for r in matching), default=None)
    return [r for r in matching if r.tier == best]


# -- logging in ------------------------------------------------------------------------------

AUTH_CASES: tuple[ReplyCase, ...] = (
    # Gmail / Google Workspace
    ReplyCase(
        "gmail-bad-credentials",
        wire(
            "5.7.8 Username and Password not accepted. For more information, go to",
            "5.7.8  https://support.google.com/mail/?p=BadCredentials a640c23a62f3a - gsmtp",
            code=535,
        ),
        ("Gmail refused the password",),
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "gmail-bad-credentials-through-a-tunnel-with-an-anonymous-banner",
        wire(
            "5.7.8 Username and Password not accepted. For more information, go to",
            "5.7.8  https://support.google.com/mail/?p=BadCredentials",
            code=535,
        ),
        ("Gmail refused the password",),
    ),
    ReplyCase(
        "gmail-any-other-535",
        wire("5.7.8 Authentication failed - gsmtp", code=535),
        ("Gmail refused the password",),
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "gmail-application-specific-password-required",
        wire(
            "5.7.9 Application-specific password required. Learn more at",
            "5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp",
            code=534,
        ),
        ("Gmail wants an app password",),
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "gmail-log-in-via-web-browser-5.7.14",
        wire(
            "5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbv>",
            "5.7.14 Please log in via your web browser and",
            "5.7.14 then try again.",
            "5.7.14  Learn more at",
            "5.7.14  https://support.google.com/mail/answer/78754 - gsmtp",
            code=534,
        ),
        ("Google wants you to sign in with a web browser first",),
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "gmail-log-in-with-web-browser-5.7.9",
        wire(
            "5.7.9 Please log in with your web browser and then try again. Learn more at",
            "5.7.9  https://support.google.com/mail/?p=WebLoginRequired - gsmtp",
            code=534,
        ),
        ("Google wants you to sign in with a web browser first",),
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "gmail-too-many-login-attempts",
        wire(
            "4.7.0 Too many login attempts, please try again later. For more information, go to",
            "4.7.0  https://support.google.com/mail/answer/7126229 - gsmtp",
            code=454,
        ),
        ("Too many login attempts: Google is holding this account back",),
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "gmail-unrecognized-authentication-type",
        wire("5.7.4 Unrecognized authentication type - gsmtp", code=504),
        ("Gmail does not take that login method",),
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "gmail-xoauth-no-longer-supported",
        wire("5.7.4 XOAUTH is no longer supported. - gsmtp", code=504),
        ("Google dropped the old XOAUTH method",),
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "must-issue-starttls-first",
        wire("5.7.0 Must issue a STARTTLS command first. a640c23a62f3a - gsmtp", code=530),
        ("The server wants STARTTLS before anything else",),
        banner=GMAIL_BANNER,
    ),
    # Microsoft 365 / Exchange Online
    ReplyCase(
        "m365-smtp-auth-disabled-for-the-tenant",
        wire(
            "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
            "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
            "[BN9PR03CA0123.namprd03.prod.outlook.com 2026-11-30T05:00:00.000Z]",
            code=535,
        ),
        ("Microsoft 365 has SMTP AUTH turned off",),
        banner=M365_BANNER,
    ),
    ReplyCase(
        "m365-security-defaults",
        wire(
            "5.7.139 Authentication unsuccessful, user is locked by your organization's "
            "security defaults policy. Contact your administrator. "
            "[BN9PR03CA0123.namprd03.prod.outlook.com]",
            code=535,
        ),
        ("Microsoft 365 Security defaults block SMTP AUTH",),
        banner=M365_BANNER,
    ),
    ReplyCase(
        "m365-did-not-meet-the-criteria",
        wire(
            "5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
            "authenticated successfully. Contact your administrator. "
            "[BN9PR03CA0123.namprd03.prod.outlook.com]",
            code=535,
        ),
        ("Microsoft 365 refused this sign-in (mailbox setting or MFA)",),
        banner=M365_BANNER,
    ),
    ReplyCase(
        "m365-authentication-unsuccessful-5.7.3",
        wire(
            "5.7.3 Authentication unsuccessful [BN9PR03CA0123.namprd03.prod.outlook.com]",
            code=535,
        ),
        ("Microsoft rejected the credentials or the OAuth token",),
        banner=M365_BANNER,
    ),
    ReplyCase(
        "m365-any-other-refused-login",
        wire(
            "5.7.139 Authentication unsuccessful, the user credentials were incorrect. "
            "[BN9PR03CA0123.namprd03.prod.outlook.com]",
            code=535,
        ),
        ("Microsoft 365 refused the login",),
        banner=M365_BANNER,
    ),
    ReplyCase(
        "m365-basic-authentication-retired",
        wire("5.7.30 Basic authentication is not supported for Client Submission.", code=550),
        ("Exchange Online no longer takes passwords for SMTP: use OAuth",),
        banner=M365_BANNER,
    ),
    ReplyCase(
        "outlook-com-refuses-passwords",
        wire(
            "5.7.3 Authentication unsuccessful [AM0PR10CA0012.EURPRD10.PROD.OUTLOOK.COM]",
            code=535,
        ),
        ("Outlook.com takes only OAuth2 for SMTP",),
        banner=M365_BANNER,
        host="smtp-mail.outlook.com",
    ),
    # Personal mailbox providers
    ReplyCase(
        "yahoo-needs-an-app-password",
        wire("5.7.0 (#AUTH005) Too many bad auth attempts.", code=535),
        ("Yahoo and AOL need an app password",),
        banner="smtp.mail.yahoo.com ESMTP ready",
    ),
    ReplyCase(
        "aol-needs-an-app-password",
        wire("5.7.0 (#AUTH005) Too many bad auth attempts.", code=535),
        ("Yahoo and AOL need an app password",),
        banner="smtp.aol.com ESMTP ready",
    ),
    ReplyCase(
        "icloud-needs-an-app-specific-password",
        wire("5.7.8 Authentication credentials invalid", code=535),
        ("iCloud needs an app-specific password and the full address",),
        banner="p00-smtp-x01.mail.me.com ESMTP",
    ),
    ReplyCase(
        "zoho-host-plan-and-region",
        wire("Authentication Failed", code=535),
        ("Zoho: check the host for your plan and region",),
        banner="mx.zoho.eu SMTP Server ready",
    ),
    ReplyCase(
        "fastmail-needs-an-app-password",
        wire("5.7.8 Authentication failed", code=535),
        ("Fastmail needs an app password",),
        banner="smtp.fastmail.com ESMTP ready",
    ),
    ReplyCase(
        "proton-bridge-password",
        wire("5.7.8 Authentication credentials invalid", code=535),
        ("Use the password Proton Mail Bridge shows",),
        banner="127.0.0.1 ESMTP Service Ready",
        user="alice@proton.me",
    ),
    ReplyCase(
        "gmx-full-address",
        wire("Authentication credentials invalid", code=535),
        ("GMX: allow POP3/IMAP access, and log in with the full address",),
        banner="gmx.net (mrgmx004) Nemesis ESMTP Service ready",
    ),
    ReplyCase(
        "webde-local-part",
        wire("Authentication credentials invalid", code=535),
        ("WEB.DE: allow POP3/IMAP access, and log in with the part before the @",),
        banner="web.de (mrweb005) Nemesis ESMTP Service ready",
    ),
    # The world table (smtpdoctor.discovery.providers): switches and special credentials
    ReplyCase(
        "qq-authorization-code-reply",
        wire(QQ_REFUSAL, code=535),
        (QQ_REFUSAL_HINT,),
        banner="smtp.qq.com ESMTP ready",
    ),
    ReplyCase(
        "qq-authorization-code-reply-from-an-unrecognised-server",
        wire(QQ_REFUSAL, code=535),
        (QQ_REFUSAL_HINT,),
    ),
    ReplyCase(
        "qq-any-refused-login",
        wire("Error: authentication failed", code=535),
        (QQ_HINT,),
        banner="smtp.qq.com ESMTP ready",
    ),
    ReplyCase(
        "netease163-client-authorization-off",
        wire("User has no permission", code=550),
        (NETEASE_REFUSAL_HINT,),
        banner="smtp.163.com ESMTP ready",
    ),
    ReplyCase(
        "netease163-client-authorization-off-from-an-unrecognised-server",
        wire("User has no permission", code=550),
        (NETEASE_REFUSAL_HINT,),
    ),
    ReplyCase(
        "netease163-any-refused-login",
        wire("Error: authentication failed", code=535),
        (NETEASE_HINT,),
        banner="smtp.163.com ESMTP ready",
    ),
    ReplyCase(
        "t-online-needs-the-e-mail-password",
        wire("authentication failed", code=535),
        ("T-Online (Telekom) needs an e-mail password (E-Mail-Passwort)",),
        banner="securesmtp.t-online.de ESMTP ready",
    ),
    ReplyCase(
        "yandex-needs-mail-client-access",
        wire("5.7.8 Error: authentication failed", code=535),
        ("Yandex Mail needs access for mail clients (IMAP)",),
        banner="smtp.yandex.com ESMTP ready",
    ),
    ReplyCase(
        "mailbox-org-application-password",
        wire("5.7.8 Error: authentication failed", code=535),
        ("mailbox.org needs an application password when two-factor authentication is on",),
        banner="smtp.mailbox.org ESMTP ready",
    ),
    ReplyCase(
        "o2-pl-access-for-mail-programs",
        wire("5.7.8 Error: authentication failed", code=535),
        ("o2 Poczta (Poland) needs access for mail programs",),
        banner="poczta.o2.pl ESMTP ready",
    ),
    ReplyCase(
        "comcast-third-party-access",
        wire("5.7.8 Error: authentication failed", code=535),
        ("Comcast / Xfinity needs third-party access (IMAP, POP, SMTP)",),
        banner="smtp.comcast.net ESMTP ready",
    ),
    ReplyCase(
        "sparkpost-api-key",
        wire("5.7.8 Authentication failed", code=535),
        ("SparkPost: use the API key",),
        banner="smtp.sparkpostmail.com ESMTP ecelerity",
    ),
    ReplyCase(
        "resend-api-key",
        wire("5.7.8 Authentication failed", code=535),
        ("Resend: use the API key",),
        banner="smtp.resend.com ESMTP ready",
    ),
    ReplyCase(
        "smtp2go-smtp-user",
        wire("5.7.8 Authentication failed", code=535),
        ("SMTP2GO: use the SMTP credentials",),
        banner="mail.smtp2go.com ESMTP ready",
    ),
    *(
        ReplyCase(
            f"{provider_id}-refused-login",
            wire("5.7.8 Authentication failed", code=535),
            (f"{name}: use the account password",),
            banner=f"{host} ESMTP ready",
        )
        for provider_id, name, host in ACCOUNT_PASSWORD_PROVIDERS
    ),
    # Transactional services
    ReplyCase(
        "ses-credentials-of-another-region-or-iam-keys",
        wire("Authentication Credentials Invalid", code=535),
        ("Amazon SES: use the SMTP credentials of this region",),
        banner=SES_BANNER,
    ),
    ReplyCase(
        "sendgrid-user-name-apikey",
        wire("Authentication failed: Bad username / password", code=535),
        ("SendGrid: the user name is literally apikey",),
        banner="smtp.sendgrid.net ESMTP service ready",
    ),
    ReplyCase(
        "mailgun-domain-credentials",
        wire("Authentication failed", code=535),
        ("Mailgun: use the domain's SMTP credentials, in your account's region",),
        banner="smtp.eu.mailgun.org ESMTP ready",
    ),
    ReplyCase(
        "postmark-server-token",
        wire("5.7.0 Authentication failed", code=535),
        ("Postmark: the Server API token is user name and password",),
        banner="smtp.postmarkapp.com ESMTP Postmark",
    ),
    ReplyCase(
        "brevo-smtp-key",
        wire("5.7.8 Authentication failed", code=535),
        ("Brevo: log in with the SMTP login and an SMTP key",),
        banner="smtp-relay.brevo.com ESMTP",
    ),
    ReplyCase(
        "mailjet-api-key-and-secret",
        wire("5.7.8 Error: authentication failed: authentication failure", code=535),
        ("Mailjet: API key as user name, secret key as password",),
        banner="in-v3.mailjet.com ESMTP Mailjet",
    ),
    # Any server (RFC 4954)
    ReplyCase(
        "wrong-password-anywhere",
        wire("5.7.8 Error: authentication failed: UGFzc3dvcmQ6", code=535),
        ("The user name or password is wrong",),
    ),
    ReplyCase(
        "mechanism-too-weak",
        wire("5.7.9 Authentication mechanism is too weak", code=534),
        ("The server finds this login method too weak",),
    ),
    ReplyCase(
        "encryption-required",
        wire("5.7.11 Encryption required for requested authentication mechanism", code=538),
        ("The server wants TLS before AUTH",),
    ),
    ReplyCase(
        "auth-refused-at-this-point",
        wire("5.7.0 Authentication required", code=530),
        ("The server refused AUTH at this point",),
    ),
    ReplyCase(
        "mechanism-unsupported",
        wire("5.5.4 Unrecognized authentication type", code=504),
        ("The server does not support that login method",),
    ),
    ReplyCase(
        "temporary-failure",
        wire("4.7.0 Temporary authentication failure", code=454),
        ("Temporary authentication failure",),
    ),
    ReplyCase(
        "password-transition",
        wire("4.7.12 A password transition is needed", code=432),
        ("The password must be changed first",),
    ),
    ReplyCase(
        "auth-line-too-long",
        wire("5.5.6 Authentication Exchange line is too long", code=500),
        ("The login line is too long",),
    ),
    ReplyCase(
        "account-disabled",
        wire("5.7.13 User account disabled", code=525),
        ("The account is disabled",),
    ),
)

# -- sending (MAIL, RCPT, DATA) and anything else a server may reply ------------------------------

OTHER_REPLY_CASES: tuple[ReplyCase, ...] = (
    # SparkPost (the world table)
    ReplyCase(
        "sparkpost-unconfigured-sending-domain",
        wire("5.7.1 Unconfigured Sending Domain <localhost>", code=550),
        (SPARKPOST_DOMAIN_HINT,),
        check="send",
        banner="smtp.sparkpostmail.com ESMTP ecelerity 4.2.31.59603 r(Core:4.2.31.0)",
    ),
    ReplyCase(
        "sparkpost-unconfigured-sending-domain-from-an-unrecognised-server",
        wire("5.7.1 Unconfigured Sending Domain <localhost>", code=550),
        (SPARKPOST_DOMAIN_HINT,),
        check="send",
    ),
    # Gmail / Google Workspace
    ReplyCase(
        "gmail-daily-sending-limit",
        wire("5.4.5 Daily user sending limit exceeded. For more information on Gmail", code=550),
        ("The account's daily sending limit is used up",),
        check="send",
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "gmail-message-too-big",
        wire(
            "5.3.4 Your message exceeded Google's message size limits. Please visit",
            "5.3.4  https://support.google.com/mail/?p=MaxSizeError - gsmtp",
            code=552,
        ),
        ("The message is over Gmail's size limit",),
        check="send",
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "pipelining-after-starttls",
        wire(
            "5.7.10 Error: TLS negotiation: no commands allowed to pipeline after STARTTLS",
            code=523,
        ),
        ("The client pipelined commands after STARTTLS",),
        check="tls",
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "workspace-relay-ip-not-registered",
        wire(
            "5.7.0 Mail relay denied [203.0.113.7]. Invalid credentials for relay for one of "
            "the domains in: example.com (as obtained from HELO and MAIL FROM).",
            "5.7.0 Email is being sent from a domain or IP address which isn't registered in "
            "your Workspace account. - gsmtp",
            code=550,
        ),
        ("Register this IP address in the Workspace SMTP relay settings",),
        check="send",
        banner="smtp-relay.gmail.com ESMTP - gsmtp",
    ),
    ReplyCase(
        "workspace-relay-invalid-credentials",
        wire(
            "5.7.1 Invalid credentials for relay [203.0.113.7]. The IP address you've",
            "5.7.1 registered in your Workspace SMTP Relay service doesn't match domain of "
            "the account this email is being sent from. - gsmtp",
            code=550,
        ),
        ("The relay cannot tie this IP address to the sending domain",),
        check="send",
        banner="smtp-relay.gmail.com ESMTP - gsmtp",
    ),
    ReplyCase(
        "authentication-required-before-mail",
        wire("5.7.0 Authentication Required. Learn more at", code=530),
        ("Log in before sending",),
        check="send",
        banner=GMAIL_BANNER,
    ),
    ReplyCase(
        "gmail-mx-no-ptr-4.7.23",
        wire("4.7.23 The sending IP does not have a PTR record. - gsmtp", code=421),
        ("Gmail wants reverse DNS for the sending IP address",),
        check="send",
        banner=GOOGLE_MX_BANNER,
    ),
    ReplyCase(
        "gmail-mx-no-ptr-5.7.25",
        wire(
            "5.7.25 The IP address sending this message does not have a PTR record setup - gsmtp",
            code=550,
        ),
        ("Gmail wants reverse DNS for the sending IP address",),
        check="send",
        banner=GOOGLE_MX_BANNER,
    ),
    ReplyCase(
        "gmail-mx-spf",
        wire("5.7.27 The sender's SPF record does not authorize this IP. - gsmtp", code=550),
        ("Gmail: SPF does not pass for the sending domain",),
        check="send",
        banner=GOOGLE_MX_BANNER,
    ),
    ReplyCase(
        "gmail-mx-dkim",
        wire("4.7.30 This message is not DKIM-signed. - gsmtp", code=421),
        ("Gmail: the message lacks a valid DKIM signature",),
        check="send",
        banner=GOOGLE_MX_BANNER,
    ),
    ReplyCase(
        "gmail-mx-tls",
        wire("4.7.29 This message was not sent over TLS. - gsmtp", code=421),
        ("Gmail wants the message sent over TLS",),
        check="send",
        banner=GOOGLE_MX_BANNER,
    ),
    ReplyCase(
        "gmail-mx-alignment",
        wire("5.7.32 The From header is not aligned with SPF or DKIM. - gsmtp", code=550),
        ("Gmail: the From domain does not align with SPF or DKIM",),
        check="send",
        banner=GOOGLE_MX_BANNER,
    ),
    ReplyCase(
        "gmail-mx-dmarc-policy",
        wire(
            "5.7.26 Unauthenticated email from example.com is not accepted due to domain's",
            "5.7.26 DMARC policy. - gsmtp",
            code=550,
        ),
        ("Gmail rejected the message under the domain's DMARC policy",),
        check="send",
        banner=GOOGLE_MX_BANNER,
    ),
    ReplyCase(
        "gmail-mx-dmarc-missing-faq-code",
        wire("4.7.31 This message has no DMARC record. - gsmtp", code=421),
        ("Gmail wants a DMARC record for bulk mail",),
        check="send",
        banner=GOOGLE_MX_BANNER,
    ),
    ReplyCase(
        "gmail-mx-dmarc-missing-errors-page-code",
        wire("5.7.40 This message has no DMARC record. - gsmtp", code=550),
        ("Gmail wants a DMARC record for bulk mail",),
        check="send",
        banner=GOOGLE_MX_BANNER,
    ),
    ReplyCase(
        "gmail-mx-rate-or-spam",
        wire(
            "4.7.28 Our system has detected an unusual rate of unsolicited mail. - gsmtp",
            code=421,
        ),
        ("Gmail is limiting this sender for its volume or spam rate",),
        check="send",
        banner=GOOGLE_MX_BANNER,
    ),
    # Microsoft 365 / Outlook.com
    ReplyCase(
        "m365-client-not-authenticated",
        wire(
            "5.7.57 Client not authenticated to send mail. "
            "[BN9PR03CA0123.namprd03.prod.outlook.com]",
            code=530,
        ),
        ("Microsoft 365 wants a login before MAIL FROM",),
        check="send",
        banner=M365_BANNER,
    ),
    ReplyCase(
        "m365-send-as-denied",
        wire(
            "5.2.252 SendAsDenied; alice@example.com not allowed to send as bob@example.com; "
            "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied",
            code=554,
        ),
        ("This mailbox may not send as that From address",),
        check="send",
        banner=M365_BANNER,
    ),
    ReplyCase(
        "m365-send-as-denied-older-form",
        wire(
            "5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied;"
            " Failed to process message due to a permanent exception with message Cannot "
            "submit message.",
            code=554,
        ),
        ("This mailbox may not send as that From address",),
        check="send",
        banner=M365_BANNER,
    ),
    ReplyCase(
        "m365-bad-outbound-sender",
        wire("5.1.8 Access denied, bad outbound sender", code=550),
        ("Microsoft 365 blocked this account from sending",),
        check="send",
        banner=M365_BANNER,
    ),
    ReplyCase(
        "outlook-com-high-volume-requirements",
        wire(
            "5.7.515 Access denied, sending domain example.com does not meet the required "
            "authentication level.",
            code=550,
        ),
        ("Outlook.com wants SPF, DKIM and DMARC from high-volume senders",),
        check="send",
        banner=M365_BANNER,
    ),
    # Zoho
    ReplyCase(
        "zoho-from-must-be-yours",
        wire("Relaying disallowed as bob@example.org", code=553),
        ("Zoho sends only from your own address or an alias",),
        check="send",
        banner="mx.zoho.com SMTP Server ready",
    ),
    # Amazon SES
    ReplyCase(
        "ses-identity-not-verified",
        wire(
            "Message rejected: Email address is not verified. The following identities failed "
            "the check in region US-EAST-1: sender@example.com",
            code=554,
        ),
        ("Amazon SES: the address is not verified in this region",),
        check="send",
        banner=SES_BANNER,
    ),
    ReplyCase(
        "ses-maximum-sending-rate",
        wire("Throttling failure: Maximum sending rate exceeded.", code=454),
        ("Amazon SES: sending faster than the account's rate",),
        check="send",
        banner=SES_BANNER,
    ),
    ReplyCase(
        "ses-daily-quota",
        wire("Throttling failure: Daily message quota exceeded.", code=454),
        ("Amazon SES: the daily sending quota is used up",),
        check="send",
        banner=SES_BANNER,
    ),
    # SendGrid
    ReplyCase(
        "sendgrid-sender-identity",
        wire(
            "The from address does not match a verified Sender Identity. Mail cannot be sent "
            "until this error is resolved. Visit https://sendgrid.com/docs/for-developers/"
            "sending-email/sender-identity/ to see the Sender Identity requirements",
            code=550,
        ),
        ("SendGrid: the From address is not a verified sender",),
        check="send",
        banner="smtp.sendgrid.net ESMTP service ready",
    ),
    ReplyCase(
        "sendgrid-not-authorized-to-send-from",
        wire("You are not authorized to send from that email address", code=550),
        ("SendGrid: the From address is not a verified sender",),
        check="send",
        banner="smtp.sendgrid.net ESMTP service ready",
    ),
    # RFC 3463 enhanced status codes, any server
    ReplyCase(
        "x.1.1-bad-destination-mailbox",
        wire("5.1.1 <bob@example.org>: Recipient address rejected: User unknown", code=550),
        ("The recipient address does not exist",),
        check="send",
    ),
    ReplyCase(
        "x.1.8-bad-sender-system-address",
        wire("5.1.8 <a@example.invalid>: Sender address rejected: Domain not found", code=553),
        ("The sender's domain is not accepted",),
        check="send",
    ),
    ReplyCase(
        "x.2.2-mailbox-full",
        wire("4.2.2 <bob@example.org>: Mailbox full", code=452),
        ("The recipient's mailbox is full",),
        check="send",
    ),
    ReplyCase(
        "x.3.4-message-too-big",
        wire("5.3.4 Message size exceeds fixed maximum message size", code=552),
        ("The message is too big for the server",),
        check="send",
    ),
    ReplyCase(
        "x.4.1-no-answer-from-host",
        wire("4.4.1 No answer from host", code=451),
        ("The next mail server did not answer",),
        check="send",
    ),
    ReplyCase(
        "x.4.2-bad-connection",
        wire("4.4.2 Connection dropped while sending", code=451),
        ("The connection between mail servers broke",),
        check="send",
    ),
    ReplyCase(
        "x.4.3-directory-server-failure",
        wire("4.4.3 <bob@example.org>: Temporary lookup failure", code=451),
        ("A DNS lookup failed on the server's side",),
        check="send",
    ),
    ReplyCase(
        "x.4.4-unable-to-route",
        wire("5.4.4 <bob@example.invalid>: unable to route: no mail hosts for domain", code=550),
        ("The server cannot route mail to that domain",),
        check="send",
    ),
    ReplyCase(
        "x.4.7-delivery-time-expired",
        wire("5.4.7 Delivery time expired", code=554),
        ("Delivery took too long and was given up",),
        check="send",
    ),
    ReplyCase(
        "x.5.1-invalid-command",
        wire("5.5.1 Error: need MAIL command", code=503),
        ("The server did not expect that command",),
        check="send",
    ),
    ReplyCase(
        "x.6.7-smtputf8-required",
        wire("5.6.7 SMTPUTF8 is required, but was not offered by the host", code=553),
        ("Non-ASCII addresses need SMTPUTF8",),
        check="send",
    ),
    ReplyCase(
        "x.7.1-relay-access-denied",
        wire("5.7.1 <bob@example.org>: Relay access denied", code=554),
        ("Not authorised to send this here",),
        check="send",
    ),
    ReplyCase(
        "x.7.8-credentials-invalid-outside-auth",
        wire("5.7.8 Authentication credentials invalid", code=535),
        ("The credentials are invalid",),
        check="send",
    ),
    ReplyCase(
        "x.7.9-mechanism-too-weak-outside-auth",
        wire("5.7.9 Authentication mechanism is too weak", code=534),
        ("The login method is too weak for this server",),
        check="send",
    ),
    ReplyCase(
        "x.7.11-encryption-required-outside-auth",
        wire("5.7.11 Encryption required for requested authentication mechanism", code=538),
        ("Encryption is required for this login method",),
        check="send",
    ),
    ReplyCase(
        "x.7.12-password-transition-outside-auth",
        wire("4.7.12 A password transition is needed", code=432),
        ("A password change is needed",),
        check="send",
    ),
    ReplyCase(
        "x.7.14-trust-relationship-required",
        wire("5.7.14 Trust relationship required", code=554),
        ("The server needs a trust relationship with this client",),
        check="send",
    ),
    ReplyCase(
        "x.7.23-spf-fail",
        wire("5.7.23 SPF validation failed", code=550),
        ("SPF failed for the sender's domain",),
        check="send",
    ),
    ReplyCase(
        "x.7.24-spf-error",
        wire("4.7.24 SPF validation error", code=451),
        ("The sender's SPF record could not be evaluated",),
        check="send",
    ),
    ReplyCase(
        "x.7.25-reverse-dns-failed",
        wire("5.7.25 Reverse DNS validation failed", code=550),
        ("The sending IP address fails the reverse-DNS check",),
        check="send",
    ),
    ReplyCase(
        "x.7.26-multiple-authentication-checks-failed",
        wire("5.7.26 Multiple authentication checks failed", code=550),
        ("The message failed several authentication checks (SPF, DKIM, DMARC)",),
        check="send",
    ),
    ReplyCase(
        "x.7.27-sender-null-mx",
        wire("5.7.27 Sender address has null MX", code=550),
        ("The sender's domain says it receives no mail (null MX)",),
        check="send",
    ),
    # RFC 3463 subjects, for codes without a meaning of their own
    ReplyCase(
        "x.1-addressing",
        wire("5.1.3 Bad recipient address syntax", code=501),
        ("An address problem",),
        check="send",
    ),
    ReplyCase(
        "x.2-mailbox",
        wire("5.2.1 Mailbox disabled, not accepting messages", code=550),
        ("A problem with the recipient's mailbox",),
        check="send",
    ),
    ReplyCase(
        "x.3-mail-system",
        wire("5.3.0 Mail system error", code=554),
        ("A problem in the receiving mail system",),
        check="send",
    ),
    ReplyCase(
        "x.4-network-and-routing",
        wire("5.4.6 Routing loop detected", code=554),
        ("A network or routing problem between mail servers",),
        check="send",
    ),
    ReplyCase(
        "x.5-protocol",
        wire("5.5.2 Syntax error in parameters", code=501),
        ("A protocol problem",),
        check="send",
    ),
    ReplyCase(
        "x.6-content",
        wire("5.6.0 Message content rejected", code=554),
        ("A problem with the message content",),
        check="send",
    ),
    ReplyCase(
        "x.7-security-and-policy",
        wire("5.7.0 Message rejected by policy", code=550),
        ("Refused by security policy",),
        check="send",
    ),
    # Reply classes and greylisting
    ReplyCase(
        "greylisted-450-4.2.0",
        wire(
            "4.2.0 <bob@example.org>: Recipient address rejected: Greylisted, see "
            "http://postgrey.schweikert.ch/help/example.org.html",
            code=450,
        ),
        ("Greylisted or rate-limited: try again later",),
        check="send",
    ),
    ReplyCase(
        "greylisted-451-4.7.1",
        wire("4.7.1 Please try again later", code=451),
        ("Greylisted or rate-limited: try again later",),
        check="send",
    ),
    ReplyCase(
        "421-closing-channel",
        wire("Service not available, closing transmission channel", code=421),
        ("The server is closing the connection",),
        check="send",
    ),
    ReplyCase(
        "4yz-transient-failure",
        wire("Requested action aborted: local error in processing", code=451),
        ("A temporary failure: retry later",),
        check="send",
    ),
)

# -- findings without a reply -----------------------------------------------------------------

FINDING_CASES: tuple[FindingCase, ...] = (
    FindingCase("tcp.dns-nxdomain", ("The host name does not exist",)),
    FindingCase("tcp.dns-broken", ("Your DNS resolves no names at all",)),
    FindingCase("tcp.dns-no-address", ("The name exists but has no address",)),
    FindingCase("tcp.dns-invalid", ("That is not a valid host name",)),
    FindingCase("tcp.dns-temporary", ("Your DNS resolver did not answer",)),
    FindingCase("tcp.refused", ("Nothing listens on that port",)),
    FindingCase("tcp.timeout-port-25", ("Outgoing port 25 is probably blocked on your side",)),
    FindingCase("tcp.blocked-by-aws", ("Amazon EC2 throttles outgoing port 25",)),
    FindingCase("tcp.blocked-by-gce", ("Google Compute Engine blocks outgoing port 25",)),
    FindingCase("tcp.blocked-by-azure", ("Microsoft Azure blocks outgoing port 25",)),
    FindingCase("tcp.blocked-by-digitalocean", ("DigitalOcean blocks outgoing port 25",)),
    FindingCase(
        "tcp.blocked-by-linode",
        ("Linode (Akamai Cloud) blocks outgoing ports 25, 465 and 587",),
    ),
    FindingCase(
        "tcp.blocked-by-hetzner",
        ("Hetzner Cloud is reported to block outgoing ports 25 and 465",),
    ),
    FindingCase(
        "tcp.blocked-by-oracle",
        ("Oracle Cloud Infrastructure is reported to block outgoing port 25",),
    ),
    FindingCase("tcp.timeout", ("A firewall drops the connection",)),
    FindingCase("tcp.unreachable", ("The network cannot reach the server",)),
    FindingCase("tcp.no-network", ("This machine is not connected to that network",)),
    FindingCase(
        "tcp.no-address-in-family", ("The name has no address of the IP version you asked for",)
    ),
    FindingCase("tcp.family-broken", ("One IP version to this server is broken",)),
    FindingCase(
        "tcp.source-address-unavailable", ("The source address is not one of this machine's",)
    ),
    FindingCase("tcp.proxy-unreachable", ("The proxy cannot be reached",)),
    FindingCase("tcp.proxy-auth", ("The proxy wants a login, or refused it",)),
    FindingCase("tcp.proxy-refused", ("The proxy does not allow this destination",)),
    FindingCase("tcp.proxy-destination-unreachable", ("The proxy cannot reach the server",)),
    FindingCase("tcp.proxy-timeout", ("The proxy did not answer in time",)),
    FindingCase("tcp.proxy-error", ("The proxy failed",)),
    FindingCase(
        "tcp.refused", ("Proton Mail Bridge is not listening here",), "127.0.0.1", "a@proton.me"
    ),
    FindingCase("tcp.refused", ("Postmark has no implicit-TLS port",), "smtp.postmarkapp.com"),
    FindingCase("tcp.timeout", ("Postmark has no implicit-TLS port",), "smtp.postmarkapp.com"),
    FindingCase(
        "greeting.silent-implicit-tls-port", ("This port expects TLS from the first byte",)
    ),
    FindingCase("greeting.silent", ("The server accepted the connection but did not greet",)),
    FindingCase("greeting.other-protocol", ("Another service runs on this port",)),
    FindingCase("greeting.busy", ("The server is busy or limiting connections",)),
    FindingCase("greeting.refused", ("The server refuses this client's address",)),
    FindingCase("greeting.delayed", ("The server holds back its greeting (a tarpit)",)),
    FindingCase("ehlo.rejected", ("The server does not accept our introduction",)),
    FindingCase("ehlo.helo-only", ("The server speaks only old SMTP",)),
    FindingCase("tls.plaintext-on-implicit-port", ("This port speaks STARTTLS, not implicit TLS",)),
    FindingCase("tls.starttls-masked", ("Something between you and the server strips STARTTLS",)),
    FindingCase("tls.starttls-not-offered", ("No encryption offered on this port",)),
    FindingCase("tls.starttls-refused", ("The server could not start TLS",)),
    FindingCase("tls.outdated-version", ("The server's TLS is outdated",)),
    FindingCase("tls.protocol-version", ("This client's TLS is older than the server requires",)),
    FindingCase("tls.no-common-cipher", ("No cipher or TLS version in common with the server",)),
    FindingCase("tls.client-certificate-required", ("The server requires a client certificate",)),
    FindingCase("tls.server-internal-error", ("The server's TLS setup is broken",)),
    FindingCase("tls.reset", ("The server dropped the TLS handshake without a word",)),
    FindingCase("tls.handshake-failed", ("The server refused the TLS handshake",)),
    FindingCase("certificate.expired", ("The certificate has expired",)),
    FindingCase("certificate.hostname-mismatch", ("The certificate is for another name",)),
    FindingCase("certificate.self-signed", ("The certificate is self-signed",)),
    FindingCase("certificate.unknown-issuer", ("The issuer is not trusted here",)),
    FindingCase("certificate.expires-soon", ("Renew the certificate soon",)),
    FindingCase("certificate.expires-critically-soon", ("Renew the certificate now",)),
    FindingCase(
        "certificate.incomplete-chain",
        ("The server does not send its intermediate certificate",),
    ),
    FindingCase("certificate.not-yet-valid", ("Check the clocks",)),
    FindingCase("certificate.weak-key", ("Replace the certificate's key",)),
    FindingCase("certificate.weak-signature", ("Replace the SHA-1 certificate",)),
    FindingCase("auth.not-offered", ("The server offers no login here",)),
    FindingCase(
        "auth.not-offered",
        ("The server offers no login here, not even inside TLS",),
        encrypted=True,
    ),
    FindingCase("posture.auth-before-starttls", ("Offer AUTH only after STARTTLS",)),
    FindingCase("posture.plaintext-auth", ("Passwords can be sent in clear here",)),
    FindingCase("posture.ehlo-refused", ("Something between you and the server blocks EHLO",)),
    FindingCase("send.relay-denied", ("The server does not relay for this client",)),
    FindingCase("auth.no-common-mechanism", ("No login method in common",)),
    FindingCase("auth.unexpected-challenge", ("The server keeps challenging",)),
    FindingCase("auth.bad-challenge", ("The server's challenge makes no sense",)),
    FindingCase(
        "send.open-relay",
        ("Close the open relay: relay only for logged-in users and your networks",),
    ),
    FindingCase("pool.unreachable-members", ("Some addresses of the pool do not answer",)),
    FindingCase("pool.starttls-differs", ("Not every pool member offers STARTTLS",)),
    FindingCase("pool.tls-differs", ("Pool members negotiate different TLS versions",)),
    FindingCase("pool.certificate-differs", ("Pool members serve different certificates",)),
    FindingCase("pool.auth-differs", ("Pool members offer different login methods",)),
    FindingCase("pool.verdicts-differ", ("Pool members answer alike but end differently",)),
    FindingCase("pool.no-addresses", ("The name has no address to check",)),
    FindingCase(
        "authentication.dmarc-fail", ("DMARC fails: neither DKIM nor SPF is aligned with From",)
    ),
    FindingCase(
        "authentication.dmarc-aligned-dkim-fail",
        ("DMARC fails: the DKIM signature aligned with From does not verify",),
    ),
    FindingCase(
        "authentication.dmarc-aligned-spf-fail",
        ("DMARC fails: SPF is aligned with From but does not pass",),
    ),
    FindingCase(
        "authentication.disagrees",
        ("smtpdoctor and the receiving server disagree on authentication",),
    ),
    FindingCase(
        "authentication.dns-failed",
        ("A DNS question about the message's authentication failed",),
    ),
    FindingCase("authentication.dkim-missing", ("The message is not DKIM-signed",)),
    FindingCase("authentication.dkim-fail", ("No DKIM signature of the message verifies",)),
    FindingCase(
        "authentication.spf-not-pass",
        ("SPF does not pass for the address the message came from",),
    ),
    FindingCase("authentication.no-dmarc", ("The From domain has no usable DMARC record",)),
)

REPLY_CASES = AUTH_CASES + OTHER_REPLY_CASES
ALL_CASES: tuple[ReplyCase | FindingCase, ...] = REPLY_CASES + FINDING_CASES
