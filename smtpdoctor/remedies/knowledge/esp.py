"""Transactional sending services: Amazon SES, SendGrid, Mailgun, Postmark, Brevo and Mailjet.
Each logs you in with service-specific credentials, never the dashboard password; that is
most of what goes wrong."""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

SES_SMTP = "https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html"
SES_554 = "https://repost.aws/knowledge-center/ses-554-400-message-rejected-error"
SES_QUOTAS = "https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html"
SENDGRID_SMTP = (
    "https://www.twilio.com/docs/sendgrid/for-developers/sending-email/"
    "integrating-with-the-smtp-api"
)
SENDGRID_ERRORS = (
    "https://sendgrid.com/docs/for-developers/sending-email/smtp-errors-and-troubleshooting/"
)
MAILGUN_SMTP = (
    "https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp"
)
POSTMARK_SMTP = "https://postmarkapp.com/support/article/811-how-do-i-use-postmark-with-smtp"

_ses = (
    Remedy(
        Match(check="send", codes=(554,), text=r"Email address is not verified"),
        Hint(
            "Amazon SES: the address is not verified in this region",
            (
                "Verify the From address, or its whole domain, in the SES console of the region "
                "you send through; identities are per region (the reply names it).",
                "While the account is in the SES sandbox, every recipient must be verified "
                "too: verify them, or request production access.",
            ),
            SES_554,
        ),
        Tier.REPLY,
        "554 Message rejected: Email address is not verified. The following identities "
        "failed the check in region US-EAST-1: sender@example.com",
    ),
    Remedy(
        Match(codes=(454,), text=r"Maximum sending rate exceeded"),
        Hint(
            "Amazon SES: sending faster than the account's rate",
            (
                "Slow down to the maximum send rate shown in the SES console and retry with "
                "back-off; ask AWS for a higher quota if you need it.",
            ),
            SES_QUOTAS,
        ),
        Tier.REPLY,
        "454 Throttling failure: Maximum sending rate exceeded.",
    ),
    Remedy(
        Match(codes=(454,), text=r"Daily message quota exceeded"),
        Hint(
            "Amazon SES: the daily sending quota is used up",
            (
                "The quota is counted over a rolling 24 hours: wait, or ask AWS for a higher "
                "sending quota.",
            ),
            SES_QUOTAS,
        ),
        Tier.REPLY,
        "454 Throttling failure: Daily message quota exceeded.",
    ),
    Remedy(
        Match(check="auth", codes=(535,), provider="ses"),
        Hint(
            "Amazon SES: use the SMTP credentials of this region",
            (
                "SES SMTP credentials are created in the SES console (SMTP settings) and work "
                "only with that region's endpoint, email-smtp.<region>.amazonaws.com.",
                "IAM access keys are not SMTP credentials, and credentials from another region "
                "are refused.",
            ),
            SES_SMTP,
        ),
        Tier.PROVIDER,
        "535 Authentication Credentials Invalid",
    ),
)

_sendgrid = (
    Remedy(
        Match(check="auth", codes=(535,), provider="sendgrid"),
        Hint(
            "SendGrid: the user name is literally apikey",
            (
                "User name: apikey (that exact word). Password: an API key with the Mail Send "
                "permission.",
                "The account's login password does not work for SMTP.",
            ),
            SENDGRID_SMTP,
        ),
        Tier.PROVIDER,
        None,
    ),
    Remedy(
        Match(
            check="send",
            text=r"does not match a verified Sender Identity|not authorized to send from",
        ),
        Hint(
            "SendGrid: the From address is not a verified sender",
            (
                "Verify the address as a single sender, or authenticate its whole domain, in "
                "SendGrid's Sender Authentication settings; then send with exactly that From.",
            ),
            SENDGRID_ERRORS,
        ),
        Tier.REPLY,
        "550 The from address does not match a verified Sender Identity. Mail cannot be sent "
        "until this error is resolved.",
    ),
)

_mailgun = (
    Remedy(
        Match(check="auth", codes=(535,), provider="mailgun"),
        Hint(
            "Mailgun: use the domain's SMTP credentials, in your account's region",
            (
                "Log in with the sending domain's SMTP credentials (such as "
                "postmaster@your-domain, from the domain's settings), not the dashboard login.",
                "Accounts in the EU region send through smtp.eu.mailgun.org, others through "
                "smtp.mailgun.org; the region is fixed per account.",
            ),
            MAILGUN_SMTP,
        ),
        Tier.PROVIDER,
        None,
    ),
)

_POSTMARK_PORTS = Hint(
    "Postmark has no implicit-TLS port",
    (
        "Connect to smtp.postmarkapp.com on 587, 2525 or 25, with STARTTLS (--tls starttls); "
        "port 465 is not offered.",
    ),
    POSTMARK_SMTP,
)

_postmark = (
    Remedy(
        Match(check="auth", codes=(535,), provider="postmark"),
        Hint(
            "Postmark: the Server API token is user name and password",
            (
                "Use the server's API token (from the server's API Tokens page) as the user "
                "name and as the password.",
                "Broadcast mail goes through smtp-broadcasts.postmarkapp.com.",
            ),
            POSTMARK_SMTP,
        ),
        Tier.PROVIDER,
        None,
    ),
    Remedy(Match(finding="tcp.refused", provider="postmark"), _POSTMARK_PORTS, Tier.PROVIDER),
    Remedy(Match(finding="tcp.timeout", provider="postmark"), _POSTMARK_PORTS, Tier.PROVIDER),
)

_brevo = (
    Remedy(
        Match(check="auth", codes=(535,), provider="brevo"),
        Hint(
            "Brevo: log in with the SMTP login and an SMTP key",
            (
                "User name: the SMTP login shown in Brevo's SMTP settings.",
                "Password: an SMTP key generated there — not an API key, and not the account "
                "password.",
            ),
            "https://developers.brevo.com/docs/smtp-integration",
        ),
        Tier.PROVIDER,
        None,
    ),
)

_mailjet = (
    Remedy(
        Match(check="auth", codes=(535,), provider="mailjet"),
        Hint(
            "Mailjet: API key as user name, secret key as password",
            (
                "User name: the API key. Password: its secret key (not the account password).",
                "Send through in-v3.mailjet.com on 587 with STARTTLS, or 2525 where 587 is "
                "blocked.",
            ),
            "https://cloud.google.com/compute/docs/tutorials/sending-mail/using-mailjet",
        ),
        Tier.PROVIDER,
        None,
    ),
)

SECTIONS: tuple[Section, ...] = (
    Section("Amazon SES", ("ses",), _ses),
    Section("SendGrid", ("sendgrid",), _sendgrid),
    Section("Mailgun", ("mailgun",), _mailgun),
    Section("Postmark", ("postmark",), _postmark),
    Section("Brevo", ("brevo",), _brevo),
    Section("Mailjet", ("mailjet",), _mailjet),
)
