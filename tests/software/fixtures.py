"""What real servers said: each software's greeting, EHLO reply (before STARTTLS), refusal
of a recipient in another domain from a client that did not log in, and refusal of a wrong
password — replayed by ``make_scripted_server`` in the tests of this folder.

Exim 4.96 (Debian 12's exim4-daemon-light, run by ``integration/exim.sh``) and Haraka 3.3.4
(npm, run by ``integration/haraka.sh``) were recorded on 2026-12-03 over loopback with
Python's smtplib; ``tests/integration/test_software_*.py`` check that they still answer so.
OpenSMTPD is not run (Debian 12's 6.8 aborts every server TLS handshake with OpenSSL 3): its
replies are written from its source, which says exactly what it sends.  Postfix's are its
documented defaults, as the Postfix of ``integration/mailserver.sh`` sends them.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtpdoctor.protocol import Reply


@dataclass(frozen=True, slots=True)
class Recording:
    """One software's replies, on the wire (``code-line`` … ``code line``)."""

    software: str
    """The id :mod:`smtpdoctor.software` gives it."""
    name: str
    version: str | None
    evidence: str
    greeting: bytes
    ehlo: bytes
    """The reply to EHLO in clear."""
    relay_refusal: bytes
    """The reply to RCPT TO a recipient outside the server's domains, without a login."""
    auth_failure: bytes
    source: str


def wire(code: int, *lines: str) -> bytes:
    """A reply as a server sends it."""
    return Reply(code, lines).to_wire()


EXIM = Recording(
    software="exim",
    name="Exim",
    version="4.96",
    evidence="greeting: ESMTP Exim 4.96",
    greeting=wire(220, "exim.smtpdoctor.test ESMTP Exim 4.96 Thu, 03 Dec 2026 07:33:20 +0000"),
    ehlo=wire(
        250,
        "exim.smtpdoctor.test Hello client.example.test [127.0.0.1]",
        "SIZE 10485760",
        "8BITMIME",
        "PIPELINING",
        "PIPECONNECT",
        "CHUNKING",
        "STARTTLS",
        "SMTPUTF8",
        "HELP",
    ),
    relay_refusal=wire(550, "relay not permitted"),
    auth_failure=wire(535, "Incorrect authentication data"),
    source="recorded from Debian 12's exim4-daemon-light 4.96-15+deb12u11 (integration/exim.sh)",
)

HARAKA = Recording(
    software="haraka",
    name="Haraka",
    version="3.3.4",
    evidence="greeting: ESMTP Haraka/3.3.4",
    greeting=wire(220, "haraka.smtpdoctor.test ESMTP Haraka/3.3.4 ready (F316BE)"),
    ehlo=wire(
        250,
        "haraka.smtpdoctor.test Hello runsc [127.0.0.1], Haraka is at your service.",
        "PIPELINING",
        "8BITMIME",
        "SMTPUTF8",
        "SIZE 26214400",
        "STARTTLS",
        "AUTH PLAIN LOGIN",
    ),
    relay_refusal=wire(550, "I cannot deliver mail for <someone@outside.example>"),
    auth_failure=wire(535, "5.7.8 Authentication failed"),
    source="recorded from Haraka 3.3.4 from npm (integration/haraka.sh)",
)

OPENSMTPD = Recording(
    software="opensmtpd",
    name="OpenSMTPD",
    version=None,
    evidence="greeting: ESMTP OpenSMTPD",
    # smtp_send_banner(): smtp_reply(s, "220 %s ESMTP %s", s->smtpname, SMTPD_NAME)
    greeting=wire(220, "mail.smtpdoctor.test ESMTP OpenSMTPD"),
    # smtp_proceed_ehlo(): the greeting line, then the extensions it offers in clear
    ehlo=wire(
        250,
        "mail.smtpdoctor.test Hello client.example.test [127.0.0.1], pleased to meet you",
        "8BITMIME",
        "ENHANCEDSTATUSCODES",
        "SIZE 36700160",
        "DSN",
        "STARTTLS",
        "HELP",
    ),
    # lka_session.c lka_resume(): "550 Invalid recipient" when no match rule takes the
    # recipient; smtp_session.c IMSG_SMTP_EXPAND_RCPT: smtp_reply(s, "%s: <%s>", line, tmp)
    relay_refusal=wire(550, "Invalid recipient: <someone@outside.example>"),
    # smtp_auth_failure_resume(): smtp_reply(s, "535 Authentication failed")
    auth_failure=wire(535, "Authentication failed"),
    source=(
        "github.com/OpenSMTPD/OpenSMTPD usr.sbin/smtpd/smtp_session.c (commit 0b1c010b) and "
        "lka_session.c (commit 0fc9e71d)"
    ),
)

POSTFIX = Recording(
    software="postfix",
    name="Postfix",
    version=None,
    evidence="greeting: ESMTP Postfix",
    greeting=wire(220, "mail.smtpdoctor.test ESMTP Postfix (Debian/GNU)"),
    ehlo=wire(
        250,
        "mail.smtpdoctor.test",
        "PIPELINING",
        "SIZE 10240000",
        "VRFY",
        "ETRN",
        "STARTTLS",
        "AUTH PLAIN LOGIN",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
        "SMTPUTF8",
        "CHUNKING",
    ),
    relay_refusal=wire(554, "5.7.1 <someone@outside.example>: Relay access denied"),
    auth_failure=wire(535, "5.7.8 Error: authentication failed: authentication failure"),
    source=(
        "Postfix's default smtpd_banner and reject_unauth_destination text (postconf(5)), as "
        "integration/mailserver.sh's Postfix 3.7 sends them (integration/README.md)"
    ),
)

RECORDINGS: tuple[Recording, ...] = (EXIM, HARAKA, OPENSMTPD, POSTFIX)
#: The recordings of software other than Postfix.
NOT_POSTFIX = tuple(recording for recording in RECORDINGS if recording.software != "postfix")
