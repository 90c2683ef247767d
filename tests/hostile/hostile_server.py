"""The hostile tests' servers: the lab's raw server (:mod:`smtpdoctor.lab.scripted`) and the
moves its conversations share — a greeting, an EHLO reply, a STARTTLS upgrade, a server TLS
context pinned to one protocol version::

    def greets_then_hangs_up(peer: Peer) -> None:
        greet(peer)
        peer.close()

    with hostile(greets_then_hangs_up) as server:
        report = check(server)
    assert server.commands == ["EHLO"]
"""

from __future__ import annotations

import contextlib
import ssl
import warnings
from collections.abc import Iterator
from typing import Final

from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.lab.scripted import Conversation, ConversationServer, Peer, PeerGone

__all__ = [
    "EHLO_AUTH",
    "EHLO_STARTTLS",
    "EHLO_STARTTLS_AUTH",
    "GREETING",
    "ConversationServer",
    "Peer",
    "PeerGone",
    "greet",
    "hostile",
    "tls_context",
    "upgrade",
]

GREETING: Final = b"220 mail.example.test ESMTP hostile\r\n"
EHLO_STARTTLS: Final = b"250-mail.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
EHLO_AUTH: Final = b"250-mail.example.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n"
EHLO_STARTTLS_AUTH: Final = b"250-mail.example.test\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"


@contextlib.contextmanager
def hostile(conversation: Conversation) -> Iterator[ConversationServer]:
    """``with hostile(conversation) as server:`` — a started
    :class:`~smtpdoctor.lab.scripted.ConversationServer`, stopped (and its script errors
    raised) at the end of the block."""
    with ConversationServer(conversation) as server:
        yield server


def tls_context(pki: ThrowawayPKI, *, only: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A server TLS context presenting ``pki``'s certificate.

    ``only`` restricts the server to one protocol version; for versions OpenSSL no longer
    allows at its default security level (TLS 1.0, 1.1) the level is lowered to 0, as an
    old server's OpenSSL would be.
    """
    context = pki.server_context()
    if only is not None:
        if only < ssl.TLSVersion.TLSv1_2:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():  # Python deprecates the old versions; we need them
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = only
            context.maximum_version = only
    return context


def upgrade(peer: Peer, context: ssl.SSLContext, *, ehlo: bytes = EHLO_AUTH) -> None:
    """Answer STARTTLS, run the handshake, and answer the EHLO that follows inside TLS."""
    peer.expect("STARTTLS")
    peer.send(b"220 2.0.0 Ready to start TLS\r\n")
    peer.start_tls(context)
    peer.expect("EHLO")
    peer.send(ehlo)


def greet(peer: Peer, *, ehlo: bytes = EHLO_STARTTLS) -> None:
    """Send the greeting and answer the first EHLO."""
    peer.send(GREETING)
    peer.expect("EHLO")
    peer.send(ehlo)
