"""Gmail and Google Workspace: the replies smtp.gmail.com, smtp-relay.gmail.com and Google's
MX servers send, and what to do about each.

Google's error page prints some codes with an extra digit since 2025 (5.7.80, 5.7.90, 5.7.40)
while the servers still send 5.7.8, 5.7.9 and 5.7.4; entries match both.  No entry suggests
"less secure apps" or an IMAP switch: neither exists any more.
"""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

GMAIL = "gmail"
ERRORS_PAGE = "https://support.google.com/a/answer/3726730"
APP_PASSWORDS = "https://support.google.com/accounts/answer/185833"
XOAUTH2 = "https://developers.google.com/gmail/imap/xoauth2-protocol"
SENDER_GUIDELINES = "https://support.google.com/a/answer/81126"

_APP_PASSWORD_STEPS = (
    "Create an app password (Google Account → Security → 2-Step Verification → App passwords; "
    "it needs 2-Step Verification and is unavailable under Advanced Protection) and paste its "
    "16 characters without spaces.",
    "Or log in with OAuth: XOAUTH2 with the scope https://mail.google.com/.",
)

PASSWORD_REFUSED = Hint(
    "Gmail refused the password",
    ("Google no longer accepts the account password for SMTP.", *_APP_PASSWORD_STEPS),
    APP_PASSWORDS,
)

_remedies = (
    Remedy(
        Match(
            check="auth",
            codes=(535,),
            enhanced=("5.7.8", "5.7.80"),
            text=r"BadCredentials|Username and Password not accepted",
        ),
        PASSWORD_REFUSED,
        Tier.REPLY,
        "535-5.7.8 Username and Password not accepted. For more information, go to\n"
        "535 5.7.8  https://support.google.com/mail/?p=BadCredentials",
    ),
    Remedy(
        Match(check="auth", codes=(535,), provider=GMAIL),
        PASSWORD_REFUSED,
        Tier.PROVIDER,
        None,
    ),
    Remedy(
        Match(
            codes=(534,),
            enhanced=("5.7.9", "5.7.90"),
            text=r"Application-specific password required",
        ),
        Hint(
            "Gmail wants an app password",
            (
                "2-Step Verification is on, so the normal account password does not work here.",
                *_APP_PASSWORD_STEPS,
            ),
            APP_PASSWORDS,
        ),
        Tier.REPLY,
        "534-5.7.9 Application-specific password required. For more information, go to\n"
        "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor",
    ),
    Remedy(
        Match(codes=(534,), enhanced=("5.7.9", "5.7.90", "5.7.14"), text=r"web browser"),
        Hint(
            "Google wants you to sign in with a web browser first",
            (
                "Google flagged this sign-in as suspicious. Sign in to the account in a browser "
                "(from the same network if you can) and confirm the security alert about the "
                "blocked sign-in.",
                "Then retry once. For software that runs unattended, switch to OAuth "
                "(XOAUTH2) or an app password.",
            ),
            ERRORS_PAGE,
        ),
        Tier.REPLY,
        "534-5.7.14 <https://accounts.google.com/signin/continue?...> Please log in via your "
        "web browser and\n534 5.7.14 then try again.",
    ),
    Remedy(
        Match(codes=(454,), enhanced="4.7.0", text=r"Too many login attempts"),
        Hint(
            "Too many login attempts: Google is holding this account back",
            (
                "Stop retrying for a while; every further failed attempt prolongs the block.",
                "Fix the credentials first (an app password or OAuth), then try once.",
            ),
            ERRORS_PAGE,
        ),
        Tier.REPLY,
        "454 4.7.0 Too many login attempts, please try again later.",
    ),
    Remedy(
        Match(codes=(504,), enhanced=("5.7.4", "5.7.40"), text=r"Unrecognized authentication"),
        Hint(
            "Gmail does not take that login method",
            (
                "Use PLAIN or LOGIN (--auth-mechanism plain) with an app password, or XOAUTH2 "
                "with an OAuth token.",
            ),
            ERRORS_PAGE,
        ),
        Tier.REPLY,
        "504 5.7.4 Unrecognized authentication type",
    ),
    Remedy(
        Match(text=r"XOAUTH is no longer supported"),
        Hint(
            "Google dropped the old XOAUTH method",
            (
                "Use XOAUTH2 (an OAuth 2.0 token with the scope https://mail.google.com/), or "
                "PLAIN with an app password.",
            ),
            XOAUTH2,
        ),
        Tier.REPLY,
        "504 5.7.4 XOAUTH is no longer supported.",
    ),
    Remedy(
        Match(check="send", codes=(550,), enhanced="5.4.5", text=r"sending limit exceeded"),
        Hint(
            "The account's daily sending limit is used up",
            (
                "Google stops this account sending for a day once the limit is reached: wait, "
                "then send less.",
                "For application or bulk mail, use a transactional service (SES, SendGrid, "
                "Mailgun, Postmark…) or Workspace's SMTP relay.",
            ),
            ERRORS_PAGE,
        ),
        Tier.REPLY,
        "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending "
        "limits go to",
    ),
    Remedy(
        Match(check="send", codes=(552,), enhanced="5.3.4", provider=GMAIL),
        Hint(
            "The message is over Gmail's size limit",
            (
                "Gmail announces SIZE 35882577 in EHLO: that is the whole message after "
                "encoding, and base64 makes attachments a third bigger.",
                "Send a link instead of the attachment, or split it.",
            ),
            ERRORS_PAGE,
        ),
        Tier.PROVIDER_REPLY,
        "552 5.3.4 Your message exceeded Google's message size limits.",
    ),
    Remedy(
        Match(check="send", codes=(550,), enhanced="5.7.0", text=r"Mail relay denied"),
        Hint(
            "Register this IP address in the Workspace SMTP relay settings",
            (
                "smtp-relay.gmail.com accepts mail only from the IP addresses (or logins) set "
                "up for your domain: an admin adds this machine's public IP in the Admin "
                "console's SMTP relay service settings.",
                "Or let the relay identify you with SMTP AUTH instead of the IP address.",
            ),
            ERRORS_PAGE,
        ),
        Tier.REPLY,
        "550 5.7.0 Mail relay denied [203.0.113.7]. Invalid credentials for relay for one of "
        "the domains in: example.com (as obtained from HELO and MAIL FROM). Email is being "
        "sent from a domain or IP address which isn't registered in your Workspace account.",
    ),
    Remedy(
        Match(check="send", codes=(550,), enhanced="5.7.1", text=r"Invalid credentials for relay"),
        Hint(
            "The relay cannot tie this IP address to the sending domain",
            (
                "The IP address registered for the Workspace SMTP relay does not match the "
                "domain of the sender.",
                "Log in with SMTP AUTH so the relay knows the domain, or send one of your "
                "domain names in EHLO (--helo-name).",
            ),
            ERRORS_PAGE,
        ),
        Tier.REPLY,
        "550 5.7.1 Invalid credentials for relay [203.0.113.7]. The IP address you've "
        "registered in your Workspace SMTP Relay service doesn't match domain of the account "
        "this email is being sent from.",
    ),
    # -- Google's MX servers: sender requirements (since Feb 2024) -----------------------------
    Remedy(
        Match(check="send", enhanced=("4.7.23", "5.7.25"), provider=GMAIL),
        Hint(
            "Gmail wants reverse DNS for the sending IP address",
            (
                "Give the sending IP a PTR record whose name resolves back to the same IP "
                "(forward-confirmed reverse DNS).",
            ),
            SENDER_GUIDELINES,
        ),
        Tier.PROVIDER_REPLY,
        None,
    ),
    Remedy(
        Match(check="send", enhanced=("4.7.27", "5.7.27"), provider=GMAIL),
        Hint(
            "Gmail: SPF does not pass for the sending domain",
            (
                "Publish exactly one v=spf1 TXT record for the envelope domain that includes "
                "the sending IP or service, within 10 DNS lookups.",
            ),
            SENDER_GUIDELINES,
        ),
        Tier.PROVIDER_REPLY,
        None,
    ),
    Remedy(
        Match(check="send", enhanced=("4.7.30", "5.7.30"), provider=GMAIL),
        Hint(
            "Gmail: the message lacks a valid DKIM signature",
            (
                "Sign outgoing mail with DKIM (a key of at least 1024 bits, 2048 recommended) "
                "and publish the key at <selector>._domainkey.<domain>.",
            ),
            SENDER_GUIDELINES,
        ),
        Tier.PROVIDER_REPLY,
        None,
    ),
    Remedy(
        Match(check="send", enhanced=("4.7.29", "5.7.29"), provider=GMAIL),
        Hint(
            "Gmail wants the message sent over TLS",
            ("Use STARTTLS when delivering to Gmail's servers.",),
            SENDER_GUIDELINES,
        ),
        Tier.PROVIDER_REPLY,
        None,
    ),
    Remedy(
        Match(check="send", enhanced=("4.7.32", "5.7.32"), provider=GMAIL),
        Hint(
            "Gmail: the From domain does not align with SPF or DKIM",
            (
                "The domain in From must be the SPF (envelope) domain or the DKIM signing "
                "domain, or share their organisational domain.",
            ),
            SENDER_GUIDELINES,
        ),
        Tier.PROVIDER_REPLY,
        None,
    ),
    Remedy(
        Match(check="send", enhanced="5.7.26", provider=GMAIL),
        Hint(
            "Gmail rejected the message under the domain's DMARC policy",
            (
                "The message passed neither SPF nor DKIM in alignment with its From domain.",
                "Fix SPF and DKIM for that domain; check the DMARC reports (rua).",
            ),
            SENDER_GUIDELINES,
        ),
        Tier.PROVIDER_REPLY,
        "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's "
        "DMARC policy.",
    ),
    Remedy(
        Match(check="send", enhanced=("4.7.31", "4.7.40", "5.7.40"), provider=GMAIL),
        Hint(
            "Gmail wants a DMARC record for bulk mail",
            (
                "Publish a TXT record at _dmarc.<domain> (v=DMARC1; p=none is enough to start, "
                "with rua= for reports).",
            ),
            SENDER_GUIDELINES,
        ),
        Tier.PROVIDER_REPLY,
        None,
    ),
    Remedy(
        Match(check="send", enhanced=("4.7.28", "5.7.28"), provider=GMAIL),
        Hint(
            "Gmail is limiting this sender for its volume or spam rate",
            (
                "Slow down and retry later; keep the spam rate (Postmaster Tools) below 0.3 % "
                "— below 0.1 % for bulk senders.",
            ),
            SENDER_GUIDELINES,
        ),
        Tier.PROVIDER_REPLY,
        None,
    ),
)

SECTIONS: tuple[Section, ...] = (Section("Gmail / Google Workspace", (GMAIL,), _remedies),)
