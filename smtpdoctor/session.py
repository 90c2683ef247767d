"""One SMTP session: the sans-IO client driven over a real transport, and what it learnt.

A run has exactly one :class:`Session`, shared by every check in order, so the whole pipeline
costs one TCP connection.  The session keeps the transcript (secrets are redacted at the
source: commands contribute only :meth:`~smtpdoctor.protocol.Command.for_transcript`) and
typed facts that later checks read: the greeting, the capabilities before and after TLS, the TLS
details, whether we authenticated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from smtpdoctor.config import RunConfig
from smtpdoctor.protocol import Capabilities, Command, Ehlo, Quit, Reply, SMTPClient, State
from smtpdoctor.results import TranscriptLine
from smtpdoctor.transport import (
    ConnectionClosed,
    TLSDetails,
    Transport,
    TransportError,
    client_context,
    local_hostname,
)

#: How long QUIT may take at the end of a run; politeness must not cost the user time.
QUIT_TIMEOUT = 2.0


class NotConnected(ConnectionClosed):
    """A command was attempted after the connection ended (an earlier step closed it)."""


@dataclass(frozen=True, slots=True)
class Connected:
    """Where the TCP connection went and how long it took."""

    address: str
    port: int
    seconds: float


class Session:
    """The conversation with one server, shared by all checks of a run.

    Every network step is bounded by ``config.timeout`` and by the run's deadline, whichever
    comes first.  Methods raise :class:`~smtpdoctor.transport.TransportError` for network
    failures and :class:`~smtpdoctor.protocol.RemoteProtocolError` when the server breaks the
    protocol; checks turn both into findings.
    """

    def __init__(self, config: RunConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._started = clock()
        self._deadline_at = self._started + config.deadline
        self._transport: Transport | None = None
        self._client = SMTPClient()
        self._transcript: list[TranscriptLine] = []
        self.connections = 0
        self.greeting: Reply | None = None
        self.capabilities: Capabilities | None = None
        self.capabilities_before_tls: Capabilities | None = None
        self.tls: TLSDetails | None = None
        self.authenticated = False

    # -- time ------------------------------------------------------------------------------

    def elapsed(self) -> float:
        """Seconds since the session was created."""
        return self._clock() - self._started

    @property
    def deadline_passed(self) -> bool:
        """Whether the run's deadline is behind us."""
        return self._clock() >= self._deadline_at

    def _step_deadline(self) -> float:
        return min(self._clock() + self.config.timeout, self._deadline_at)

    # -- state -----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether there is a live connection that can take commands."""
        return self._transport is not None and self._client.state is not State.CLOSED

    @property
    def state(self) -> State:
        """The protocol state."""
        return self._client.state

    @property
    def is_tls(self) -> bool:
        """Whether the connection is encrypted."""
        return self._transport is not None and self._transport.is_tls

    @property
    def transcript(self) -> tuple[TranscriptLine, ...]:
        """Both directions of the conversation so far, secrets redacted."""
        return tuple(self._transcript)

    def note(self, text: str) -> None:
        """Add an event line (``*``) to the transcript."""
        self._record("*", text)

    # -- the conversation ------------------------------------------------------------------

    def connect(self) -> Connected:
        """Open the TCP connection (closing any previous one)."""
        self._drop()
        start = self._clock()
        self._transport = Transport.connect(
            self.config.host, self.config.port, deadline_at=self._step_deadline()
        )
        self._client = SMTPClient()
        self.connections += 1
        address, port = self._transport.peer
        self.note(f"connected to {address} port {port}")
        return Connected(address, port, self._clock() - start)

    def read_reply(self, what: str) -> Reply:
        """Wait for the next complete reply (``what`` names it for timeout messages)."""
        transport = self._require_transport()
        deadline_at = self._step_deadline()
        while (reply := self._client.next_reply()) is None:
            data = transport.recv(deadline_at=deadline_at, what=what)
            if not data:
                self._client.connection_closed()
                self.note("the server closed the connection")
                raise ConnectionClosed(
                    f"the server closed the connection while we waited for {what}"
                )
            self._client.receive_data(data)
        for index, line in enumerate(reply.lines):
            sep = "-" if index < len(reply.lines) - 1 else " "
            self._record("S", f"{reply.code}{sep}{line}")
        if reply.code == 421:
            self.note("the server is closing the connection (421)")
        return reply

    def read_greeting(self) -> Reply:
        """Wait for the server's greeting and remember it in :attr:`greeting`."""
        self.greeting = self.read_reply("the greeting")
        return self.greeting

    def command(self, command: Command) -> Reply:
        """Send ``command`` and return the server's reply."""
        transport = self._require_transport()
        data = self._client.send(command)
        self._record("C", command.for_transcript())
        transport.sendall(data, deadline_at=self._step_deadline())
        return self.read_reply(f"the reply to {command.verb}")

    def ehlo(self) -> Reply:
        """Send EHLO with :attr:`helo_name`; on success remember the capabilities."""
        reply = self.command(Ehlo(self.helo_name))
        if reply.is_success:
            self.capabilities = Capabilities.from_ehlo(reply)
        return reply

    @property
    def helo_name(self) -> str:
        """The name we introduce ourselves with: ``--helo-name``, else this machine's
        fully qualified name, else our address literal (``[192.0.2.1]``, RFC 5321 §4.1.3)."""
        if self.config.helo_name:
            return self.config.helo_name
        name = local_hostname()
        if "." in name and not name.startswith("localhost"):
            return name
        if self._transport is None:
            return "localhost"
        address = self._transport.local_address
        return f"[IPv6:{address}]" if ":" in address else f"[{address}]"

    def start_tls(self, *, verify: bool) -> TLSDetails:
        """Run the TLS handshake now (after a ``220`` to STARTTLS, or at once for implicit TLS).

        ``verify=False`` turns certificate and hostname verification off for this handshake.
        """
        transport = self._require_transport()
        context = client_context(
            verify=verify,
            ca_file=str(self.config.ca_file) if self.config.ca_file else None,
            ca_data=self.config.ca_data,
        )
        self.note("TLS handshake" + ("" if verify else " (certificate verification off)"))
        try:
            details = transport.start_tls(
                context, server_hostname=self.config.host, deadline_at=self._step_deadline()
            )
        except TransportError:
            self._client.connection_closed()
            raise
        if self._client.state is State.TLS_NEGOTIATING:
            self._client.tls_established()
            self.capabilities_before_tls = self.capabilities
            self.capabilities = None
        self.tls = details
        self.note(f"TLS established: {details.version}, {details.cipher}")
        return details

    def close(self) -> None:
        """Say QUIT if the conversation allows it, briefly, then close.  Never raises."""
        if self._transport is None:
            return
        if self._client.can_send("QUIT") and not self.deadline_passed:
            try:
                data = self._client.send(Quit())
                self._record("C", "QUIT")
                quit_by = min(self._clock() + QUIT_TIMEOUT, self._deadline_at)
                self._transport.sendall(data, deadline_at=quit_by)
                while (reply := self._client.next_reply()) is None:
                    chunk = self._transport.recv(deadline_at=quit_by, what="the reply to QUIT")
                    if not chunk:
                        break
                    self._client.receive_data(chunk)
                if reply is not None:
                    self._record("S", reply.summary())
            except Exception:  # noqa: BLE001 - politeness must never turn into an error
                self.note("QUIT was not answered")
        self._drop()

    def _drop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
            self._client.connection_closed()

    def _require_transport(self) -> Transport:
        if self._transport is None or self._client.state is State.CLOSED:
            raise NotConnected("not connected")
        return self._transport

    def _record(self, direction: str, text: str) -> None:
        self._transcript.append(TranscriptLine(round(self.elapsed(), 4), direction, text))
