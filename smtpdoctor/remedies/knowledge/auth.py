"""Logging in, whatever the server (RFC 4954): what each refusal means and what to try."""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

SECTIONS: tuple[Section, ...] = (
    Section(
        "Authentication",
        (),
        (
            Remedy(
                Match(
                    check="send", codes=(530,), enhanced="5.7.0", text=r"Authentication Required"
                ),
                Hint(
                    "Log in before sending",
                    (
                        "This server takes mail only from users who logged in: give --user (and "
                        "the password); in your app, turn on 'SMTP authentication' (often "
                        "called 'My server requires authentication').",
                        "AUTH must come before MAIL FROM.",
                    ),
                ),
                Tier.REPLY,
                "530 5.7.0 Authentication Required. Learn more at",
            ),
            Remedy(
                Match(finding="auth.rejected"),
                Hint(
                    "The user name or password is wrong",
                    (
                        "Check both; many providers want the full email address as the user name.",
                        "Big providers (Gmail, Microsoft 365, Yahoo, iCloud, Fastmail) need an "
                        "app password or OAuth, not the account password.",
                    ),
                ),
                Tier.FINDING,
                "535 5.7.8 Error: authentication failed",
            ),
            Remedy(
                Match(finding="auth.mechanism-too-weak"),
                Hint(
                    "The server finds this login method too weak",
                    (
                        "534 5.7.9 (RFC 4954): try another mechanism the server offers "
                        "(--auth-mechanism), over TLS.",
                        "Gmail sends the same code when it wants an app password or a browser "
                        "sign-in; the reply text says which.",
                    ),
                ),
                Tier.FINDING,
                "534 5.7.9 Authentication mechanism is too weak",
            ),
            Remedy(
                Match(finding="auth.encryption-required"),
                Hint("The server wants TLS before AUTH", ("Do not use --tls none.",)),
                Tier.FINDING,
                "538 5.7.11 Encryption required for requested authentication mechanism",
            ),
            Remedy(
                Match(finding="auth.required"),
                Hint(
                    "The server refused AUTH at this point",
                    (
                        "Most often it wants STARTTLS first: use --tls starttls on 587 or "
                        "--tls implicit on 465.",
                    ),
                ),
                Tier.FINDING,
                "530 5.7.0 Authentication required",
            ),
            Remedy(
                Match(finding="auth.mechanism-unsupported"),
                Hint(
                    "The server does not support that login method",
                    ("Pick a mechanism the server lists after EHLO (--auth-mechanism).",),
                ),
                Tier.FINDING,
                "504 5.5.4 Unrecognized authentication type",
            ),
            Remedy(
                Match(finding="auth.temporary-failure"),
                Hint(
                    "Temporary authentication failure",
                    ("Too many attempts, or the server's auth backend is down: wait and retry.",),
                ),
                Tier.FINDING,
                "454 4.7.0 Temporary authentication failure",
            ),
            Remedy(
                Match(finding="auth.password-transition"),
                Hint(
                    "The password must be changed first",
                    (
                        "432 4.7.12 (RFC 4954): sign in once where the account is managed "
                        "(web mail or your organisation's password page) and set a new "
                        "password, then use it here.",
                    ),
                ),
                Tier.FINDING,
                "432 4.7.12 A password transition is needed",
            ),
            Remedy(
                Match(finding="auth.unexpected-challenge"),
                Hint(
                    "The server keeps challenging",
                    (
                        "It sent more challenges than the login method has answers for, so "
                        "smtpdoctor cancelled the login: the server's SASL setup for that "
                        "method is broken, or it expects another method than it announced.",
                        "Try another mechanism the server offers (--auth-mechanism plain or "
                        "login, over TLS).",
                    ),
                ),
                Tier.FINDING,
                "a third 334 after both LOGIN answers",
            ),
            Remedy(
                Match(finding="auth.bad-challenge"),
                Hint(
                    "The server's challenge makes no sense",
                    (
                        "Its challenge cannot be answered (a CRAM-MD5 challenge that is empty "
                        "or not base64), so smtpdoctor cancelled the login: the server's SASL "
                        "setup for that method is broken.",
                        "Try another mechanism the server offers (--auth-mechanism plain or "
                        "login, over TLS).",
                    ),
                ),
                Tier.FINDING,
                "a CRAM-MD5 challenge that is not base64",
            ),
            Remedy(
                Match(finding="auth.not-offered"),
                Hint(
                    "The server offers no login here",
                    (
                        "Submission needs AUTH: check the port (587 or 465), and whether AUTH "
                        "appears only after STARTTLS.",
                    ),
                ),
                Tier.FINDING,
                "EHLO lists no AUTH",
            ),
            Remedy(
                Match(finding="auth.no-common-mechanism"),
                Hint(
                    "No login method in common",
                    ("Try --auth-mechanism plain or login, or check the server's AUTH settings.",),
                ),
                Tier.FINDING,
                "AUTH CRAM-MD5 only",
            ),
        ),
    ),
)
