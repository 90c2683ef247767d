"""What gives each server software away: its words in the greeting, in the EHLO reply, in
the extensions it lists, and in its replies to later commands.

Every sign names where it comes from — the software's own source or documentation, or a
reply recorded from a real server (``tests/software/fixtures/``).  A sign is only ever a
pattern a server sends by default or by design; nothing is guessed from a word that many
servers share (a bare ``ESMTP`` greeting says nothing).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from smtpdoctor.software.names import (
    CPANEL,
    DOVECOT,
    EXCHANGE,
    EXCHANGE_ONLINE,
    EXIM,
    GOOGLE,
    HARAKA,
    MDAEMON,
    OPENSMTPD,
    POSTFIX,
    QMAIL,
    SENDMAIL,
    STALWART,
)


class Place(enum.StrEnum):
    """Where in the conversation a sign is looked for."""

    GREETING = "greeting"
    """The ``220`` greeting, all its lines joined with a space."""
    EXTENSION = "EHLO extension"
    """One keyword of the EHLO reply."""
    EHLO = "EHLO"
    """The text after the domain on the first line of the EHLO reply."""
    REPLY = "reply"
    """A later reply's text (to AUTH, MAIL, RCPT, DATA), with its enhanced code."""


@dataclass(frozen=True, slots=True)
class Sign:
    """A pattern that names ``software`` when it is found at ``place``; its first group, if
    it has one, is the version.  ``source`` says where the pattern is documented; ``shown``,
    when set, is what the evidence quotes instead of the whole match (``{version}`` in it is
    the version found)."""

    software: str
    place: Place
    pattern: re.Pattern[str]
    source: str
    shown: str | None = None


def _sign(software: str, place: Place, pattern: str, source: str, shown: str | None = None) -> Sign:
    return Sign(software, place, re.compile(pattern, re.IGNORECASE), source, shown)


#: In the order they are tried: the more specific first (cPanel's banner contains Exim's,
#: Exchange Online's greeting Exchange's).
SIGNS: tuple[Sign, ...] = (
    # -- greetings ------------------------------------------------------------------------
    _sign(
        CPANEL,
        Place.GREETING,
        r"\bESMTP Exim (\d+\.\d+(?:\.\d+)?)\b.*We do not authorize the use of this system to "
        r"transport unsolicited",
        "the three-line banner of cPanel hosts (220-HOST ESMTP Exim 4.96 #2 DATE / 220-We do "
        "not authorize the use of this system to transport unsolicited, / 220 and/or bulk "
        "e-mail.), as recorded from cPanel servers in public transcripts",
        shown="ESMTP Exim {version} and cPanel's 'We do not authorize the use of this system…'",
    ),
    _sign(
        EXIM,
        Place.GREETING,
        r"\bESMTP Exim (\d+\.\d+(?:\.\d+)?)\b",
        "Exim's default smtp_banner, '$smtp_active_hostname ESMTP Exim $version_number "
        "$tod_full' (Exim specification, main configuration options: smtp_banner); recorded "
        "from Debian's exim4 4.96",
    ),
    _sign(
        POSTFIX,
        Place.GREETING,
        r"\bESMTP Postfix\b(?: \((\d+\.\d+(?:\.\d+)?)\))?",
        "Postfix's default smtpd_banner, '$myhostname ESMTP $mail_name' with mail_name = "
        "Postfix (postconf(5): smtpd_banner, mail_name)",
    ),
    _sign(
        SENDMAIL,
        Place.GREETING,
        r"\bSendmail (\d+\.\d+\.\d+)",
        "Sendmail's default greeting, '$j Sendmail $v/$Z; $b' (sendmail cf/README: "
        "confSMTP_LOGIN_MSG)",
    ),
    _sign(
        OPENSMTPD,
        Place.GREETING,
        r"\bESMTP OpenSMTPD\b",
        'OpenSMTPD\'s banner, smtp_reply(s, "220 %s ESMTP %s", s->smtpname, SMTPD_NAME) '
        'with SMTPD_NAME "OpenSMTPD" (usr.sbin/smtpd/smtp_session.c, smtp_send_banner)',
    ),
    _sign(
        HARAKA,
        Place.GREETING,
        r"\bESMTP Haraka/(\d+\.\d+(?:\.\d+)?)",
        "Haraka's greeting, `${local.host} ESMTP ${local.info} ready` with local.info = "
        "'Haraka/' + version (Haraka 3.3.4 connection.js); recorded from Haraka 3.3.4",
    ),
    _sign(
        EXCHANGE_ONLINE,
        Place.GREETING,
        r"^\S+\.(?:outlook\.com|office365\.com) Microsoft ESMTP MAIL Service\b",
        "Exchange Online's greeting, from a host under outlook.com or office365.com "
        "(shared/reference/providers-and-protocol.md: smtp.office365.com transcripts)",
    ),
    _sign(
        EXCHANGE,
        Place.GREETING,
        r"\bMicrosoft ESMTP MAIL Service(?= ready at\b)",
        "the default banner of an Exchange receive connector, '220 <server> Microsoft ESMTP "
        "MAIL Service ready at <date>' (Microsoft Learn: Set-ReceiveConnector -Banner); the "
        "form with ', Version: N' is the IIS SMTP service of Windows (Microsoft KB 254560), "
        "which is no Exchange and is left unrecognised",
    ),
    _sign(
        DOVECOT,
        Place.GREETING,
        r"\bDovecot(?: \([^)]*\))? ready\b",
        "Dovecot's login_greeting, 'Dovecot ready.' by default ('Dovecot (Debian) ready.' in "
        "Debian's package), which its submission service sends (doc.dovecot.org: "
        "login_greeting)",
    ),
    _sign(
        STALWART,
        Place.GREETING,
        r"\bStalwart ESMTP\b",
        "Stalwart's default greeting, 'Stalwart ESMTP at your service' (stalw.art docs: "
        "session.connect.greeting)",
    ),
    _sign(
        MDAEMON,
        Place.GREETING,
        r"\bESMTP MDaemon (\d[\w.-]*);",
        "MDaemon's greeting, '220 HOST ESMTP MDaemon 21.0.0; DATE' (nmap-service-probes: "
        "Alt-N MDaemon mail server)",
    ),
    _sign(
        GOOGLE,
        Place.GREETING,
        r"\bgsmtp$",
        "Google's greeting, 'smtp.gmail.com ESMTP <id> - gsmtp' "
        "(shared/reference/providers-and-protocol.md)",
    ),
    # -- EHLO extensions ----------------------------------------------------------------------
    _sign(
        EXCHANGE,
        Place.EXTENSION,
        r"^(?:X-EXPS|XEXCH50|X-ANONYMOUSTLS|XRDST|XSHADOWREQUEST)$",
        "extensions only Exchange lists (Microsoft Learn: receive connectors; "
        "[MS-OXSMTP] X-EXPS, XEXCH50)",
    ),
    # -- the EHLO greeting line ---------------------------------------------------------------
    _sign(
        HARAKA,
        Place.EHLO,
        r"\bHaraka is at your service\b",
        "Haraka's EHLO line, 'HOST Hello NAME [ADDR], Haraka is at your service.' "
        "(config/connection.ini [message] helo); recorded from Haraka 3.3.4",
    ),
    _sign(
        EXIM,
        Place.EHLO,
        r"^Hello \S+ \[[0-9A-Fa-f.:]+\]$",
        "Exim's EHLO line, 'HOST Hello NAME [ADDR]' and nothing after it (Exim smtp_in.c); "
        "recorded from Debian's exim4 4.96",
    ),
    # -- later replies --------------------------------------------------------------------------
    _sign(
        POSTFIX,
        Place.REPLY,
        # Postfix's exact form, in its case: Exchange Online's "TenantAttribution; Relay
        # Access Denied" must not match
        r"<[^>]*>: (?-i:Relay access denied)$",
        "Postfix's reject_unauth_destination, '554 5.7.1 <ADDR>: Relay access denied' "
        "(postconf(5): reject_unauth_destination; smtpd_check.c)",
    ),
    _sign(
        EXIM,
        Place.REPLY,
        r"^Incorrect authentication data$",
        "Exim's refusal of a login, '535 Incorrect authentication data' (Exim smtp_in.c); "
        "recorded from Debian's exim4 4.96",
    ),
    _sign(
        SENDMAIL,
        Place.REPLY,
        r"\.\.\. Relaying denied\b",
        "Sendmail's relay refusal, '550 5.7.1 <ADDR>... Relaying denied' (sendmail "
        "cf/m4/proto.m4, check_rcpt)",
    ),
    _sign(
        OPENSMTPD,
        Place.REPLY,
        r"^Invalid recipient: <[^>]*>$",
        "OpenSMTPD's refusal when no match rule takes the recipient, '550 Invalid recipient: "
        "<ADDR>' (usr.sbin/smtpd/lka_session.c lka_resume, smtp_session.c "
        "IMSG_SMTP_EXPAND_RCPT)",
    ),
    _sign(
        HARAKA,
        Place.REPLY,
        r"^I cannot deliver mail for <[^>]*>$",
        "Haraka's refusal when no plugin accepts a recipient, '550 I cannot deliver mail for "
        "<ADDR>' (Haraka 3.3.4 connection.js rcpt_respond); recorded from Haraka 3.3.4",
    ),
    _sign(
        EXCHANGE_ONLINE,
        Place.REPLY,
        r"\bTenantAttribution\b",
        "Exchange Online's relay refusal, '550 5.7.64 TenantAttribution; Relay Access "
        "Denied' (Microsoft Learn: NDR 5.7.64 in Exchange Online)",
    ),
    _sign(
        EXCHANGE,
        Place.REPLY,
        r"\bUnable to relay recipient in non-accepted domain\b",
        "Exchange's relay refusal, '550 5.7.54 SMTP; Unable to relay recipient in "
        "non-accepted domain' (Microsoft Learn: NDR 5.7.54 in Exchange Online and Exchange "
        "Server)",
    ),
    _sign(
        QMAIL,
        Place.REPLY,
        r"\(#\d\.\d\.\d+\)$",
        "qmail-smtpd's replies end in the enhanced code in brackets, e.g. '553 sorry, that "
        "domain isn't in my list of allowed rcpthosts (#5.7.1)' (qmail-smtpd.c "
        "err_nogateway)",
    ),
    _sign(
        GOOGLE,
        Place.REPLY,
        r"\bgsmtp$",
        "every reply of Google's servers ends in '- gsmtp' "
        "(shared/reference/providers-and-protocol.md)",
    ),
)
