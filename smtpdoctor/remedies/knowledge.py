"""The knowledge base: what to do about each finding, as data.

Order matters only for display: the more specific entries (a provider's exact reply) come
before the generic ones (a reply-code class), and a result shows every hint that matches.
Facts come from RFC 5321/3207/4954/3463 and from the providers' own documentation.
"""

from __future__ import annotations

from smtpdoctor.remedies import Match, Remedy
from smtpdoctor.results import Hint

_PORTS = (
    "Mail clients submit on 587 (STARTTLS, --tls starttls) or on 465 (TLS from the first "
    "byte, --tls implicit)."
)

KNOWLEDGE_BASE: tuple[Remedy, ...] = (
    # -- tcp -------------------------------------------------------------------------------
    Remedy(
        Match(finding="tcp.dns-nxdomain"),
        Hint(
            "The host name does not exist",
            (
                "Check the spelling of the server name in your app's settings.",
                "Use the provider's submission host (e.g. smtp.gmail.com, smtp.office365.com), "
                "not the mail domain or a web address.",
            ),
        ),
    ),
    Remedy(
        Match(finding="tcp.dns-no-address"),
        Hint(
            "The name exists but has no address",
            ("It may be a mail domain rather than a server: use the provider's SMTP host name.",),
        ),
    ),
    Remedy(
        Match(finding="tcp.dns-invalid"),
        Hint(
            "That is not a valid host name",
            ("Check for doubled dots, spaces or stray characters in the server name.",),
        ),
    ),
    Remedy(
        Match(finding="tcp.dns-temporary"),
        Hint(
            "Your DNS resolver did not answer",
            ("Check this machine's network and /etc/resolv.conf, then try again.",),
        ),
    ),
    Remedy(
        Match(finding="tcp.refused"),
        Hint(
            "Nothing listens on that port",
            (
                "Check the port. " + _PORTS,
                "If you run the server: is it started, and listening on this address?",
            ),
        ),
    ),
    Remedy(
        Match(finding="tcp.timeout-port-25"),
        Hint(
            "Outgoing port 25 is probably blocked on your side",
            (
                "AWS EC2/Lambda, Google Cloud, most Azure subscriptions, DigitalOcean, and many "
                "home ISPs block outgoing port 25.",
                "Send through your provider's submission port instead: 587 (STARTTLS) or 465 "
                "(implicit TLS), or 2525 where offered.",
            ),
        ),
    ),
    Remedy(
        Match(finding="tcp.timeout"),
        Hint(
            "A firewall drops the connection",
            (
                "A timeout (not a refusal) means packets are silently dropped: by your machine, "
                "your network, your cloud's security group, or the server's firewall.",
                "Try another port. " + _PORTS,
            ),
        ),
    ),
    Remedy(
        Match(finding="tcp.unreachable"),
        Hint(
            "The network cannot reach the server",
            ("Check this machine's routes and whether it has IPv6/IPv4 connectivity at all.",),
        ),
    ),
    # -- greeting --------------------------------------------------------------------------
    Remedy(
        Match(finding="greeting.silent-implicit-tls-port"),
        Hint(
            "This port expects TLS from the first byte",
            ("Use --tls implicit (or port 587 with STARTTLS).",),
        ),
    ),
    Remedy(
        Match(finding="greeting.silent"),
        Hint(
            "The server accepted the connection but did not greet",
            (
                "If the port speaks implicit TLS, use --tls implicit.",
                "Some servers delay the greeting on purpose for suspicious clients "
                "(tarpitting); try a longer --timeout.",
            ),
        ),
    ),
    Remedy(
        Match(finding="greeting.other-protocol"),
        Hint(
            "Another service runs on this port",
            ("Check the port number. " + _PORTS,),
        ),
    ),
    Remedy(
        Match(finding="greeting.busy"),
        Hint(
            "The server is busy or limiting connections",
            ("Retry later; if it persists, your IP may be rate-limited by the server.",),
        ),
    ),
    Remedy(
        Match(finding="greeting.refused"),
        Hint(
            "The server refuses this client's address",
            (
                "A 554 greeting usually means your IP is on a blocklist or not allowed to "
                "connect; the reply text often says which list.",
                "Send through your provider's submission server with authentication instead.",
            ),
        ),
    ),
    # -- ehlo ------------------------------------------------------------------------------
    Remedy(
        Match(finding="ehlo.rejected"),
        Hint(
            "The server does not accept our introduction",
            ("Try --helo-name with this machine's public, fully qualified host name.",),
        ),
    ),
    Remedy(
        Match(finding="ehlo.helo-only"),
        Hint(
            "The server speaks only old SMTP",
            ("Without EHLO there is no STARTTLS and no AUTH: use another server or port.",),
        ),
    ),
    # -- tls -------------------------------------------------------------------------------
    Remedy(
        Match(finding="tls.plaintext-on-implicit-port"),
        Hint(
            "This port speaks STARTTLS, not implicit TLS",
            ("Use --tls starttls (port 587 usually works this way).",),
        ),
    ),
    Remedy(
        Match(finding="tls.starttls-masked"),
        Hint(
            "Something between you and the server strips STARTTLS",
            (
                "A firewall's 'SMTP inspection' (e.g. Cisco ASA fixup) rewrites STARTTLS to "
                "XXXXXXXA; turn that inspection off, or use port 465 with implicit TLS.",
            ),
        ),
    ),
    Remedy(
        Match(finding="tls.starttls-not-offered"),
        Hint(
            "No encryption offered on this port",
            (
                "Try port 465 with --tls implicit.",
                "If you run the server, configure a certificate and enable STARTTLS.",
            ),
        ),
    ),
    Remedy(
        Match(finding="tls.starttls-refused"),
        Hint(
            "The server could not start TLS",
            (
                "A 454 is temporary (often a certificate or key problem on the server): retry, "
                "and tell the server's admin.",
            ),
        ),
    ),
    Remedy(
        Match(finding="tls.outdated-version"),
        Hint(
            "The server's TLS is outdated",
            ("The server must offer TLS 1.2 or 1.3; TLS 1.0/1.1 are deprecated (RFC 8996).",),
        ),
    ),
    # -- certificate -----------------------------------------------------------------------
    Remedy(
        Match(finding="certificate.expired"),
        Hint(
            "The certificate has expired",
            ("The server's admin must renew it (with Let's Encrypt: check the renewal job).",),
        ),
    ),
    Remedy(
        Match(finding="certificate.hostname-mismatch"),
        Hint(
            "The certificate is for another name",
            (
                "Connect with a name the certificate lists (see the names shown), e.g. the "
                "provider's official SMTP host name rather than an alias or an IP address.",
            ),
        ),
    ),
    Remedy(
        Match(finding="certificate.self-signed"),
        Hint(
            "The certificate is self-signed",
            (
                "If you trust this server, pass its CA (or certificate) with --ca-file.",
                "Better: give the server a certificate from a public CA such as Let's Encrypt.",
            ),
        ),
    ),
    Remedy(
        Match(finding="certificate.unknown-issuer"),
        Hint(
            "The issuer is not trusted here",
            (
                "For a private/company CA, pass it with --ca-file.",
                "If the issuer is public, the server does not send its intermediate "
                "certificate: its admin must configure the full chain.",
            ),
        ),
    ),
    Remedy(
        Match(finding="certificate.expires-soon"),
        Hint("Renew the certificate soon", ("Check that automatic renewal works.",)),
    ),
    # -- auth ------------------------------------------------------------------------------
    Remedy(
        Match(check="auth", codes=(534,), enhanced="5.7.9"),
        Hint(
            "Gmail wants an app password",
            (
                "2-Step Verification is on, so the account password does not work for SMTP.",
                "Create an app password (Google Account → Security → App passwords) and use "
                "it, without spaces; or use OAuth (XOAUTH2).",
            ),
            "https://support.google.com/accounts/answer/185833",
        ),
    ),
    Remedy(
        Match(
            check="auth", codes=(535,), text=r"BadCredentials|Username and Password not accepted"
        ),
        Hint(
            "Gmail refused the password",
            (
                "Google no longer accepts account passwords for SMTP: use an app password "
                "(needs 2-Step Verification) or OAuth (XOAUTH2).",
            ),
            "https://support.google.com/mail/?p=BadCredentials",
        ),
    ),
    Remedy(
        Match(check="auth", enhanced="5.7.139", text=r"SmtpClientAuthentication is disabled"),
        Hint(
            "Microsoft 365 has SMTP AUTH turned off",
            (
                "An admin must enable Authenticated SMTP for the mailbox "
                "(Set-CASMailbox -SmtpClientAuthenticationDisabled $false) or the tenant.",
            ),
            "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/"
            "authenticated-client-smtp-submission",
        ),
    ),
    Remedy(
        Match(finding="auth.rejected"),
        Hint(
            "The user name or password is wrong",
            (
                "Check both; many providers want the full email address as the user name.",
                "Big providers (Gmail, Microsoft 365, Yahoo, iCloud, Fastmail) need an app "
                "password or OAuth, not the account password.",
            ),
        ),
    ),
    Remedy(
        Match(finding="auth.encryption-required"),
        Hint("The server wants TLS before AUTH", ("Do not use --tls none.",)),
    ),
    Remedy(
        Match(finding="auth.temporary-failure"),
        Hint(
            "Temporary authentication failure",
            ("Too many attempts, or the server's auth backend is down: wait and retry.",),
        ),
    ),
    Remedy(
        Match(finding="auth.not-offered"),
        Hint(
            "The server offers no login here",
            (
                "Submission needs AUTH: check the port (587 or 465), and whether AUTH appears "
                "only after STARTTLS.",
            ),
        ),
    ),
    Remedy(
        Match(finding="auth.no-common-mechanism"),
        Hint(
            "No login method in common",
            ("Try --auth-mechanism plain or login, or check the server's AUTH settings.",),
        ),
    ),
)
