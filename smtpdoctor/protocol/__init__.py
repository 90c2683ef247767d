"""Sans-IO SMTP: replies, commands and the client state machine, with no sockets anywhere.

Everything here works on ``bytes`` in and ``bytes`` out, so every behaviour can be tested byte
by byte without a network.  :mod:`smtpdoctor.net.session` drives it over a real transport.
"""

from smtpdoctor.protocol.capabilities import Capabilities
from smtpdoctor.protocol.client import SMTPClient, State
from smtpdoctor.protocol.commands import (
    REDACTED,
    Auth,
    AuthResponse,
    Command,
    Data,
    Ehlo,
    Helo,
    MailFrom,
    MessageContent,
    Noop,
    Quit,
    RcptTo,
    Rset,
    StartTLS,
    check_argument,
)
from smtpdoctor.protocol.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from smtpdoctor.protocol.reply import EnhancedStatus, Reply, ReplyParser

__all__ = [
    "REDACTED",
    "Auth",
    "AuthResponse",
    "Capabilities",
    "Command",
    "Data",
    "Ehlo",
    "EnhancedStatus",
    "Helo",
    "LocalProtocolError",
    "MailFrom",
    "MessageContent",
    "Noop",
    "ProtocolError",
    "Quit",
    "RcptTo",
    "RemoteProtocolError",
    "Reply",
    "ReplyParser",
    "Rset",
    "SMTPClient",
    "StartTLS",
    "State",
    "check_argument",
]
