"""Personal mailbox providers: Yahoo and AOL, iCloud, Zoho, Fastmail, Proton (through Bridge),
GMX and WEB.DE.  Their refusals rarely say more than ``535``, so most hints are keyed on the
provider the run detected, and say how that provider wants you to log in."""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

_REFUSED_LOGIN = (535,)

_yahoo = (
    Remedy(
        Match(check="auth", codes=_REFUSED_LOGIN, provider=("yahoo", "aol")),
        Hint(
            "Yahoo and AOL need an app password",
            (
                "Create one under Account Security → 'Generate app password' (External "
                "connections) and use it with the full address as user name.",
                "Yahoo may refuse to create one until this browser has been used on the account "
                "for several days.",
                "Or sign in with OAuth2 (scope mail-w).",
            ),
            "https://help.yahoo.com/kb/SLN15241.html",
        ),
        Tier.PROVIDER,
        "535 5.7.0 (#AUTH005) Too many bad auth attempts.",
    ),
)

_icloud = (
    Remedy(
        Match(check="auth", codes=_REFUSED_LOGIN, provider="icloud"),
        Hint(
            "iCloud needs an app-specific password and the full address",
            (
                "Use an app-specific password (Apple Account → Sign-In and Security → "
                "App-Specific Passwords; it needs two-factor authentication), not the Apple "
                "Account password.",
                "The SMTP user name is the full address (alice@icloud.com), although IMAP takes "
                "only the part before the @.",
                "Send through smtp.mail.me.com port 587 with STARTTLS.",
            ),
            "https://support.apple.com/102525",
        ),
        Tier.PROVIDER,
        None,
    ),
)

_zoho = (
    Remedy(
        Match(check="auth", codes=_REFUSED_LOGIN, provider="zoho"),
        Hint(
            "Zoho: check the host for your plan and region",
            (
                "Personal and free-organisation accounts use smtp.zoho.com; paid organisation "
                "domains use smtppro.zoho.com.",
                "Accounts in another data centre use that region's host: smtp.zoho.eu, "
                ".in, .com.au, .jp — the domain you use Zoho Mail at.",
                "With two-factor authentication on, use an app-specific password. The free "
                "plan may not include SMTP at all.",
            ),
            "https://www.zoho.com/mail/help/zoho-smtp.html",
        ),
        Tier.PROVIDER,
        None,
    ),
    Remedy(
        Match(check="send", codes=(550, 553, 554), provider="zoho"),
        Hint(
            "Zoho sends only from your own address or an alias",
            (
                "Make the From address the account's address or one of its aliases (Zoho "
                "Mail settings → Mail accounts).",
            ),
            "https://www.zoho.com/mail/help/zoho-smtp.html",
        ),
        Tier.PROVIDER,
        None,
    ),
)

_fastmail = (
    Remedy(
        Match(check="auth", codes=_REFUSED_LOGIN, provider="fastmail"),
        Hint(
            "Fastmail needs an app password",
            (
                "Fastmail always wants an app password for SMTP, with or without two-step "
                "verification: create one in Settings → Privacy & Security with SMTP access.",
                "The user name is the full address.",
            ),
            "https://www.fastmail.com/help/technical/servernamesandports.html",
        ),
        Tier.PROVIDER,
        None,
    ),
)

_proton = (
    Remedy(
        Match(check="auth", codes=_REFUSED_LOGIN, provider="proton-bridge"),
        Hint(
            "Use the password Proton Mail Bridge shows",
            (
                "Proton has no public SMTP for personal accounts: you send through Proton Mail "
                "Bridge (paid plans), with the user name and the password Bridge shows for the "
                "account — not your Proton password.",
                "Custom-domain addresses on Business, Visionary and Family plans can use SMTP "
                "submission tokens instead.",
            ),
            "https://proton.me/support/smtp-submission",
        ),
        Tier.PROVIDER,
        None,
    ),
    Remedy(
        Match(finding="tcp.refused", provider="proton-bridge"),
        Hint(
            "Proton Mail Bridge is not listening here",
            (
                "Start Bridge, and use the SMTP port and security it shows (usually 1025 with "
                "STARTTLS).",
                "Bridge listens on 127.0.0.1 only: run smtpdoctor on the same machine.",
            ),
            "https://proton.me/support/smtp-submission",
        ),
        Tier.PROVIDER,
        None,
    ),
)

_gmx = (
    Remedy(
        Match(check="auth", codes=_REFUSED_LOGIN, provider="gmx"),
        Hint(
            "GMX: allow POP3/IMAP access, and log in with the full address",
            (
                "GMX refuses mail programs until access through POP3 & IMAP is allowed once: "
                "in the GMX web mail, open the e-mail settings and allow POP3/IMAP access.",
                "The user name is the whole address (alice@gmx.net).",
                "With two-factor authentication on, create an application-specific password "
                "and use it instead of the account password.",
            ),
            "https://hilfe.gmx.net/pop-imap/einschalten.html",
        ),
        Tier.PROVIDER,
        None,
    ),
    Remedy(
        Match(check="auth", codes=_REFUSED_LOGIN, provider="webde"),
        Hint(
            "WEB.DE: allow POP3/IMAP access, and log in with the part before the @",
            (
                "WEB.DE refuses mail programs until access through POP3 & IMAP is allowed "
                "once: in the WEB.DE web mail, open the e-mail settings and allow POP3/IMAP "
                "access.",
                "The user name is only the name before @web.de (alice), not the full address.",
                "With two-factor authentication on, create an application-specific password "
                "and use it instead of the account password.",
            ),
            "https://hilfe.web.de/pop-imap/einschalten.html",
        ),
        Tier.PROVIDER,
        None,
    ),
)

SECTIONS: tuple[Section, ...] = (
    Section("Yahoo / AOL", ("yahoo", "aol"), _yahoo),
    Section("iCloud", ("icloud",), _icloud),
    Section("Zoho", ("zoho",), _zoho),
    Section("Fastmail", ("fastmail",), _fastmail),
    Section("Proton Mail (Bridge)", ("proton-bridge",), _proton),
    Section("GMX / WEB.DE", ("gmx", "webde"), _gmx),
)
