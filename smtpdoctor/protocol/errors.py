"""The two ways an SMTP conversation can go wrong at the protocol level.

Like h11, we separate *our* mistakes from the *server's*:

* :class:`LocalProtocolError` — smtpdoctor (or a plugin) tried to do something the protocol
  does not allow: a CR/LF in an argument, a command out of sequence.  It is a bug or bad input,
  and it is raised before a single byte goes on the wire.
* :class:`RemoteProtocolError` — the server sent something that is not SMTP: a malformed reply
  line, a line longer than we are willing to buffer, codes that change inside a multi-line reply.
  For a diagnostic tool this is a *finding*, not a crash.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class of every protocol-level error raised by :mod:`smtpdoctor.protocol`."""


class LocalProtocolError(ProtocolError):
    """We (the client) tried to break the protocol; nothing was sent."""


class RemoteProtocolError(ProtocolError):
    """The server broke the protocol; the message says how, in words a person understands.

    ``data`` holds (at most a few hundred of) the offending bytes when there were some, so a
    diagnosis can recognise what else is talking on the port (SSH, HTTP, POP3 …).
    """

    def __init__(self, message: str, *, data: bytes = b"") -> None:
        super().__init__(message)
        self.data = data[:256]
