"""The test server of :mod:`smtpdoctor.testing`: the lab's aiosmtpd server, configured to be
a permissive mail server whose banner, extensions and every reply a test chooses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from smtpdoctor.lab.smtpserver import LocalSMTPServer, ReceivedMessage
from smtpdoctor.model.words import TLSMode

if TYPE_CHECKING:
    from smtpdoctor.lab.pki import ThrowawayPKI

__all__ = ["PASSWORD", "USER", "ReceivedMessage", "SMTPTestServer", "ServerTLS"]

#: The account :class:`SMTPTestServer` has unless told otherwise.
USER = "alice@example.test"
PASSWORD = "correct horse battery staple"  # noqa: S105 - a test account's, by design

ServerTLS = Literal["starttls", "implicit", "none"]
"""How a test server offers TLS, as the values of :class:`~smtpdoctor.model.words.TLSMode`
(which the servers take too): the STARTTLS command, TLS from the first byte, or not at all."""


class SMTPTestServer(LocalSMTPServer):
    """A small SMTP server on 127.0.0.1 whose every answer a test can choose.

    :param greeting: the whole greeting reply, e.g. ``"220 mx.example.test ESMTP"`` or
        ``"554 5.7.1 go away"``; lines are separated by ``\\n``.
    :param hostname: the name the EHLO reply starts with.
    :param extensions: EHLO keywords besides STARTTLS and AUTH, which the server adds itself
        when it offers them.
    :param tls: ``"starttls"`` (offered in EHLO), ``"implicit"`` (TLS from the first byte) or
        ``"none"``, or the :class:`~smtpdoctor.model.words.TLSMode` of that value.
    :param pki: the certificates to present; one is made (for 127.0.0.1, ::1 and localhost)
        when TLS needs it and none is given.
    :param users: user name → password for AUTH PLAIN and LOGIN; without users no AUTH is
        offered.
    :param auth_requires_tls: offer AUTH only once the connection is encrypted.
    :param replies: command verb (``"MAIL"``, ``"RCPT"``, ``"DATA"``, ``"EHLO"``, ...) → the
        reply to send instead of the normal one; the command then has no other effect.
        Multi-line replies separate their lines with ``\\n``.

    Otherwise it behaves like a permissive mail server: it accepts any sender and any
    recipient (an open relay, unless ``replies`` says otherwise) and any message, and does
    not insist on STARTTLS.  What clients did is recorded in :attr:`commands` (AUTH secrets
    redacted), :attr:`messages`, :attr:`auth_attempts` and :attr:`connections`.  It is a
    :class:`~smtpdoctor.lab.smtpserver.LocalSMTPServer`, which has the rest of the options.
    """

    def __init__(
        self,
        *,
        greeting: str = "220 mail.example.test ESMTP ready",
        hostname: str = "mail.example.test",
        extensions: Sequence[str] = ("PIPELINING", "SIZE 10240000", "8BITMIME"),
        tls: TLSMode | str = TLSMode.STARTTLS,
        pki: ThrowawayPKI | None = None,
        users: Mapping[str, str] | None = None,
        auth_requires_tls: bool = True,
        replies: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            tls=tls,
            pki=pki,
            users={USER: PASSWORD} if users is None else users,
            require_starttls=False,
            auth_require_tls=auth_requires_tls,
            hostname=hostname,
            greeting=greeting,
            extensions=extensions,
            replies=replies or {},
            queued_reply="250 2.0.0 Ok: queued",
        )
