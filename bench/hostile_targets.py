"""The soak's hostile targets: servers that misbehave in the ways the hostile-server tests
(tests/hostile/) describe, run in the benchmark's own process on 127.0.0.1 with the lab's raw
server (:mod:`smtpdoctor.lab.scripted`).

Each conversation reads what the client sends without insisting on it (a soak is no test of
the client's words), so a conversation only ends because the client left, the script hung
up, or the server stopped.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Final

from smtpdoctor.lab.pki import make_pki
from smtpdoctor.lab.scripted import ConversationServer, Peer, ScriptError

GREETING: Final = b"220 mail.example.test ESMTP hostile\r\n"
EHLO_STARTTLS: Final = b"250-mail.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
#: A greeting dripped at this pace never finishes within a probe's timeout.
DRIP_EVERY: Final = 0.5
#: Lines in the endless EHLO reply, and the length of the line that never ends.
FLOOD_LINES: Final = 20_000
LONG_LINE_BYTES: Final = 256 * 1024


def silent(peer: Peer) -> None:
    """Accept, then say nothing: the probe's timeout must end it."""
    peer.stay_silent()


def drips_greeting(peer: Peer) -> None:
    """A tarpit: the greeting one byte at a time."""
    peer.drip(GREETING, every=DRIP_EVERY)


def busy(peer: Peer) -> None:
    """421 at once, then hang up."""
    peer.send(b"421 4.3.2 mail.example.test Service not available\r\n")
    peer.close()


def endless_line(peer: Peer) -> None:
    """A greeting line that never ends (no CR LF): the client's line cap must hold."""
    peer.send(b"220 " + b"A" * LONG_LINE_BYTES)


def ehlo_flood(peer: Peer) -> None:
    """Greet, then answer EHLO with thousands of continuation lines."""
    peer.send(GREETING)
    peer.read_line()
    peer.send(b"250-mail.example.test\r\n" + b"250-X-FLOOD\r\n" * FLOOD_LINES)
    peer.send(b"250 STARTTLS\r\n")


def garbage_after_starttls(peer: Peer) -> None:
    """Agree to STARTTLS, then send bytes that are no TLS record."""
    peer.send(GREETING)
    peer.read_line()
    peer.send(EHLO_STARTTLS)
    peer.read_line()
    peer.send(b"220 2.0.0 Ready to start TLS\r\n")
    peer.send(b"\x00\xffnot a TLS record at all\r\n" * 64)


def resets_mid_ehlo(peer: Peer) -> None:
    """Greet, start the EHLO reply, then reset the connection."""
    peer.send(GREETING)
    peer.read_line()
    peer.send(b"250-mail.example.test\r\n250-PIPE")
    peer.reset()


def expired_certificate(context: ssl.SSLContext) -> Callable[[Peer], None]:
    """A full STARTTLS server whose certificate expired yesterday."""

    def conversation(peer: Peer) -> None:
        peer.send(GREETING)
        peer.read_line()
        peer.send(EHLO_STARTTLS)
        peer.read_line()
        peer.send(b"220 2.0.0 Ready to start TLS\r\n")
        peer.start_tls(context)
        peer.read_line()
        peer.send(b"250-mail.example.test\r\n250 AUTH PLAIN LOGIN\r\n")
        while True:
            if peer.read_line().upper().startswith("QUIT"):
                peer.send(b"221 2.0.0 Bye\r\n")
                peer.close()
            peer.send(b"502 5.5.2 Not here\r\n")

    return conversation


def hostile_conversations() -> dict[str, Callable[[Peer], None]]:
    """Every hostile conversation of the soak, by name."""
    yesterday = datetime.now(UTC) - timedelta(days=1)
    expired = make_pki(not_after=yesterday).server_context()
    return {
        "silent": silent,
        "drips greeting": drips_greeting,
        "421 and hang-up": busy,
        "endless greeting line": endless_line,
        "EHLO flood": ehlo_flood,
        "garbage after STARTTLS": garbage_after_starttls,
        "reset mid-EHLO": resets_mid_ehlo,
        "expired certificate": expired_certificate(expired),
    }


@contextlib.contextmanager
def hostile_servers() -> Iterator[dict[str, ConversationServer]]:
    """Start one server per hostile conversation; stop them all afterwards. A script that
    went wrong (the lab raises :class:`ScriptError`) does not fail the soak: the soak is
    about the endpoint, and what its clients were told is tested in tests/hostile/."""
    servers: dict[str, ConversationServer] = {}
    try:
        for name, conversation in hostile_conversations().items():
            server = ConversationServer(conversation, grace=0.0)
            server.start()
            servers[name] = server
        yield servers
    finally:
        for server in servers.values():
            with contextlib.suppress(ScriptError):
                server.stop()
