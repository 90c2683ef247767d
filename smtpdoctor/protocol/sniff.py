"""Naming what else answers on a port, from the first bytes it sent (sans-IO).

A port that should speak SMTP is sometimes answered by another service: an IMAP or POP3
server on the wrong port, a web server behind a misrouted load balancer, a TLS server waiting
for a handshake.  When such bytes reach the :class:`~smtpdoctor.protocol.reply.ReplyParser`
it raises :class:`~smtpdoctor.protocol.errors.RemoteProtocolError` with the offending bytes in
``data``; :func:`sniff` names the service they come from, so that a person reads "an IMAP
server" instead of "not SMTP".  The ``greeting`` check and the port matrix both ask it.

Pure functions on bytes: nothing here reads a socket.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OTHER_PROTOCOLS", "OtherProtocol", "sniff"]


@dataclass(frozen=True, slots=True)
class OtherProtocol:
    """A service that is not SMTP, recognised by how the first bytes it sends begin."""

    prefix: bytes
    """The bytes its first message starts with, exactly (case included)."""
    name: str
    """The service in words, with its article, as a diagnosis names it: ``"an IMAP server"``."""


#: What other services say first; the first entry whose prefix matches names the service.
OTHER_PROTOCOLS: tuple[OtherProtocol, ...] = (
    OtherProtocol(b"SSH-", "an SSH server"),  # RFC 4253 §4.2 identification string
    OtherProtocol(b"HTTP/", "a web server"),  # an HTTP/1.x status line
    OtherProtocol(b"+OK", "a POP3 server"),  # RFC 1939 greeting
    OtherProtocol(b"* OK", "an IMAP server"),  # RFC 9051 greeting
    OtherProtocol(b"220-FileZilla", "an FTP server"),
    OtherProtocol(b"\x15\x03", "a TLS server (it answered with a TLS alert)"),  # alert record
    OtherProtocol(b"\x16\x03", "a TLS server"),  # handshake record
)


def sniff(data: bytes) -> str | None:
    """The service whose first bytes ``data`` are, in words (``"an IMAP server"``), or
    ``None`` when they start like none of :data:`OTHER_PROTOCOLS`.

    ``data`` is what the server sent first, from its very first byte — typically
    :attr:`RemoteProtocolError.data <smtpdoctor.protocol.errors.RemoteProtocolError>`.
    """
    return next((other.name for other in OTHER_PROTOCOLS if data.startswith(other.prefix)), None)
