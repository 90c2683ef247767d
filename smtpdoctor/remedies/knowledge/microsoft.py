"""Microsoft 365 / Exchange Online and Outlook.com: the replies smtp.office365.com and
smtp-mail.outlook.com send, and what to do about each.

SMTP AUTH with a password has four gates in Exchange Online (the tenant switch, the mailbox
switch that overrides it, Security defaults, and authentication policies), and Microsoft is
retiring it (message-center post MC786329, whose dates have moved several times): hints name
the gates and point to OAuth rather than to a date.
"""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

M365 = "microsoft365"
OUTLOOK = "outlook"
SMTP_AUTH_DOCS = (
    "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/"
    "authenticated-client-smtp-submission"
)
OAUTH_DOCS = (
    "https://learn.microsoft.com/exchange/client-developer/legacy-protocols/"
    "how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth"
)

_ENABLE_MAILBOX = (
    "An admin turns Authenticated SMTP on for the mailbox: Set-CASMailbox -Identity <mailbox> "
    "-SmtpClientAuthenticationDisabled $false (this overrides the tenant setting; $null "
    "inherits it)."
)
_USE_OAUTH = (
    "Better: switch the app to OAuth (XOAUTH2, scope https://outlook.office.com/SMTP.Send), "
    "which keeps working after basic authentication is retired."
)

SEND_AS_DENIED = Hint(
    "This mailbox may not send as that From address",
    (
        "Make the From address the mailbox you log in with, or",
        "ask an admin to grant the login mailbox Send As permission on the From address.",
    ),
    SMTP_AUTH_DOCS,
)

_m365 = (
    Remedy(
        Match(codes=(535,), enhanced="5.7.139", text=r"SmtpClientAuthentication is disabled"),
        Hint(
            "Microsoft 365 has SMTP AUTH turned off",
            (
                _ENABLE_MAILBOX,
                "Or for the whole tenant: Set-TransportConfig "
                "-SmtpClientAuthenticationDisabled $false.",
                _USE_OAUTH,
            ),
            SMTP_AUTH_DOCS,
        ),
        Tier.REPLY,
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
        "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
    ),
    Remedy(
        Match(codes=(535,), enhanced="5.7.139", text=r"security defaults"),
        Hint(
            "Microsoft 365 Security defaults block SMTP AUTH",
            (
                "With Security defaults on, password logins to SMTP are off for everyone. An "
                "admin can turn Security defaults off (and protect sign-ins with Conditional "
                "Access instead), or",
                _USE_OAUTH,
            ),
            SMTP_AUTH_DOCS,
        ),
        Tier.REPLY,
        "535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
        "security defaults policy. Contact your administrator.",
    ),
    Remedy(
        Match(codes=(535,), enhanced="5.7.139", text=r"did not meet the criteria"),
        Hint(
            "Microsoft 365 refused this sign-in (mailbox setting or MFA)",
            (
                _ENABLE_MAILBOX,
                "If the account needs multi-factor authentication or a Conditional Access "
                "policy blocks basic authentication, a password login cannot pass: use OAuth "
                "(XOAUTH2).",
            ),
            SMTP_AUTH_DOCS,
        ),
        Tier.REPLY,
        "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
        "authenticated successfully. Contact your administrator.",
    ),
    Remedy(
        Match(codes=(535,), enhanced="5.7.3", text=r"Authentication unsuccessful"),
        Hint(
            "Microsoft rejected the credentials or the OAuth token",
            (
                "With a password: check the user name (the mailbox's full address) and the "
                "password, and that an admin allows SMTP AUTH for the mailbox.",
                "With OAuth: a delegated token needs the scope "
                "https://outlook.office.com/SMTP.Send; an app-only token needs SMTP.SendAsApp, "
                "the service principal registered (New-ServicePrincipal), mailbox permission, "
                "and the scope https://outlook.office365.com/.default. For a shared mailbox, "
                "put its address in user=.",
            ),
            OAUTH_DOCS,
        ),
        Tier.REPLY,
        "535 5.7.3 Authentication unsuccessful [BN9PR03CA0123.namprd03.prod.outlook.com]",
    ),
    Remedy(
        Match(check="auth", codes=(535,), provider=M365),
        Hint(
            "Microsoft 365 refused the login",
            (
                "SMTP AUTH with a password passes four gates: the tenant switch "
                "(Set-TransportConfig -SmtpClientAuthenticationDisabled), the mailbox switch "
                "(Set-CASMailbox -SmtpClientAuthenticationDisabled $false, which overrides "
                "it), Security defaults (must be off), and any authentication policy blocking "
                "basic authentication. Tenants created after January 2020 start with it off.",
                _USE_OAUTH,
            ),
            SMTP_AUTH_DOCS,
        ),
        Tier.PROVIDER,
        None,
    ),
    Remedy(
        Match(codes=(550,), enhanced="5.7.30", text=r"Basic authentication is not supported"),
        Hint(
            "Exchange Online no longer takes passwords for SMTP: use OAuth",
            (
                "Basic authentication for SMTP AUTH is off for this tenant (smtp.office365.com "
                "and smtp-legacy.office365.com alike).",
                "Switch the app to OAuth: delegated with the scope "
                "https://outlook.office.com/SMTP.Send, or app-only with SMTP.SendAsApp and the "
                "scope https://outlook.office365.com/.default.",
                "Whether an admin can still turn basic authentication back on depends on the "
                "retirement stage: check message-center post MC786329.",
            ),
            OAUTH_DOCS,
        ),
        Tier.REPLY,
        "550 5.7.30 Basic authentication is not supported for Client Submission.",
    ),
    Remedy(
        Match(check="send", codes=(530,), enhanced="5.7.57"),
        Hint(
            "Microsoft 365 wants a login before MAIL FROM",
            (
                "The client sent MAIL FROM without authenticating: give --user and the "
                "password (or use OAuth), on port 587 with STARTTLS.",
                "In your app, turn on SMTP authentication with the mailbox's full address as "
                "the user name.",
            ),
            SMTP_AUTH_DOCS,
        ),
        Tier.REPLY,
        "530 5.7.57 Client not authenticated to send mail. "
        "[BN9PR03CA0123.namprd03.prod.outlook.com]",
    ),
    Remedy(
        Match(check="send", codes=(554,), enhanced="5.2.252", text=r"SendAsDenied"),
        SEND_AS_DENIED,
        Tier.REPLY,
        "554 5.2.252 SendAsDenied; alice@example.com not allowed to send as "
        "bob@example.com; STOREDRV.Submission.Exception:SendAsDeniedException",
    ),
    Remedy(
        Match(check="send", codes=(554,), enhanced="5.2.0", text=r"SendAsDeniedException"),
        SEND_AS_DENIED,
        Tier.REPLY,
        "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException."
        "MapiExceptionSendAsDenied; Failed to process message due to a permanent exception",
    ),
    Remedy(
        Match(check="send", codes=(550,), enhanced="5.1.8", text=r"bad outbound sender"),
        Hint(
            "Microsoft 365 blocked this account from sending",
            (
                "The account was restricted for sending spam — often because its password "
                "leaked. Change the password and check the account for misuse.",
                "Then an admin must unblock it (Microsoft Defender portal → Restricted entities).",
            ),
        ),
        Tier.REPLY,
        "550 5.1.8 Access denied, bad outbound sender",
    ),
)

_outlook = (
    Remedy(
        Match(check="auth", codes=(535,), provider=OUTLOOK),
        Hint(
            "Outlook.com takes only OAuth2 for SMTP",
            (
                "Microsoft ended password (basic) authentication for Outlook.com, Hotmail and "
                "Live accounts on 16 September 2024; an app password does not help.",
                "Use a mail client or library that signs in with OAuth2 (XOAUTH2) to "
                "smtp-mail.outlook.com port 587 (STARTTLS).",
            ),
        ),
        Tier.PROVIDER_REPLY,
        "535 5.7.3 Authentication unsuccessful (from smtp-mail.outlook.com)",
    ),
    Remedy(
        Match(check="send", codes=(550,), enhanced="5.7.515"),
        Hint(
            "Outlook.com wants SPF, DKIM and DMARC from high-volume senders",
            (
                "Domains sending more than 5,000 messages a day to Outlook.com need SPF and "
                "DKIM to pass and a DMARC record (at least p=none) aligned with the From "
                "domain.",
            ),
        ),
        Tier.REPLY,
        "550 5.7.515 Access denied, sending domain example.com does not meet the required "
        "authentication level.",
    ),
)

SECTIONS: tuple[Section, ...] = (
    Section("Microsoft 365 / Exchange Online", (M365,), _m365),
    Section("Outlook.com / Hotmail / Live", (OUTLOOK,), _outlook),
)
