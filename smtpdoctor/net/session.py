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
from typing import TYPE_CHECKING

from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import TranscriptLine
from smtpdoctor.net.transport import (
    ConnectAttempt,
    ConnectionClosed,
    Resolver,
    StepTimeout,
    TLSDetails,
    Transport,
    TransportError,
    local_hostname,
    resolve,
)
from smtpdoctor.net.truststore import TrustStore
from smtpdoctor.protocol import (
    Capabilities,
    Command,
    Ehlo,
    Quit,
    RemoteProtocolError,
    Reply,
    SMTPClient,
    State,
)
from smtpdoctor.secrets.redaction import Redactor
from smtpdoctor.settings.config import RunConfig

if TYPE_CHECKING:
    from smtpdoctor.net.resolver import MailExchangers

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
    """Resolving and connecting, together."""
    family: int = 4
    """The IP version connected over: 4 or 6."""
    dns_seconds: float = 0.0
    """Of :attr:`seconds`, the time the name look-up took (0 for an address literal)."""
    failed_attempts: tuple[ConnectAttempt, ...] = ()
    """The addresses tried before, that failed (the other family's, when it is broken)."""
    source_address: str | None = None
    """The local address connected from, when ``--source-address`` chose it; else None
    (through a proxy: the address of the connection to the proxy)."""
    proxy: str | None = None
    """The proxy connected through (its URL without the password); None: a direct
    connection."""
    resolved_by_proxy: bool = False
    """The proxy resolved the server's name (``socks5h``): :attr:`address` is that name and
    :attr:`family` 0, for which address it reached is not known here."""


def helo_name(configured: str | None, local_address: str) -> str:
    """The name a client introduces itself with: ``configured`` (``--helo-name``), else this
    machine's fully qualified name, else the address literal of ``local_address``
    (``[192.0.2.1]``, ``[IPv6:2001:db8::1]``, RFC 5321 §4.1.3)."""
    if configured:
        return configured
    name = local_hostname()
    if "." in name and not name.startswith("localhost"):
        return name
    return f"[IPv6:{local_address}]" if ":" in local_address else f"[{local_address}]"


class Session:
    """The conversation with one server, shared by all checks of a run.

    Every network step is bounded by ``config.timeout`` and by the run's deadline, whichever
    comes first.  Methods raise :class:`~smtpdoctor.net.transport.TransportError` for network
    failures and :class:`~smtpdoctor.protocol.RemoteProtocolError` when the server breaks the
    protocol; checks turn both into findings.
    """

    def __init__(
        self,
        config: RunConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        trust_store: TrustStore | None = None,
    ) -> None:
        """A session for ``config``'s server; nothing is sent before :meth:`connect`.

        :param clock: the monotonic clock deadlines are measured with.
        :param trust_store: the verifying TLS context, to share one among many sessions (it
            must have been made for ``config``'s CA settings); by default the session makes
            its own.  It is loaded by the first verifying handshake at the latest; whoever
            knows sooner that a run will verify calls its :meth:`TrustStore.prepare`.
        """
        self.config = config
        self._trust_store = trust_store or TrustStore.for_config(config)
        self._resolver = resolver_for(config)
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
        self._redactions: set[str] = set()
        self._redactor = Redactor(())
        self._peak_buffered = 0

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
    def peak_buffered_bytes(self) -> int:
        """The most bytes of server data ever held at once waiting to become a reply, on any
        connection of this session: the memory a hostile server could make us spend."""
        return self._peak_buffered

    @property
    def transcript(self) -> tuple[TranscriptLine, ...]:
        """Both directions of the conversation so far, secrets redacted."""
        return tuple(self._transcript)

    def note(self, text: str) -> None:
        """Add an event line (``*``) to the transcript."""
        self._record("*", text)

    # -- the conversation ------------------------------------------------------------------

    @property
    def trust_store(self) -> TrustStore:
        """Where the verifying TLS context of this session's handshakes comes from."""
        return self._trust_store

    def connect(self, *, settle_other_family: bool = False) -> Connected:
        """Open the TCP connection (closing any previous one).

        :param settle_other_family: find out whether the other IP version's attempts still
            pending when one connected would have answered (a path that drops packets);
            see :meth:`Transport.connect`.  The wait is not counted in the connect time.
        """
        self._drop()
        start = self._clock()
        self._transport = Transport.connect(
            self.config.address or self.config.host,
            self.config.port,
            deadline_at=self._step_deadline(),
            resolver=self._resolver,
            family=self.config.family,
            source_address=self.config.source_address,
            proxy=self.config.proxy,
            settle_other_family=settle_other_family,
        )
        self._client = SMTPClient()
        self.connections += 1
        address, port = self._transport.peer
        proxy = self._transport.proxy
        self.note(f"connected to {address} port {port}" + (f" through {proxy}" if proxy else ""))
        return Connected(
            address,
            port,
            self._clock() - start - self._transport.settled_seconds,
            family=self._transport.family,
            dns_seconds=self._transport.dns_seconds,
            failed_attempts=self._transport.failed_attempts,
            source_address=(
                self._transport.local_address if self.config.source_address is not None else None
            ),
            proxy=proxy,
            resolved_by_proxy=self._transport.resolved_by_proxy,
        )

    @property
    def peer_address(self) -> str | None:
        """The address the session is connected to; None when it is not connected, or when
        a proxy resolved the name (``socks5h``) and only it knows the address."""
        transport = self._transport
        if transport is None or transport.resolved_by_proxy:
            return None
        return transport.peer[0]

    def look_up(self, host: str) -> None:
        """Resolve ``host`` as :meth:`connect` resolves the server's name — the same resolver
        (the system's, or ``--dns-server``), bounded by the step's timeout and the run's
        deadline — without connecting; raises
        :class:`~smtpdoctor.net.transport.ResolutionError` when it does not resolve."""
        (self._resolver or resolve)(host, 0, deadline_at=self._step_deadline())

    def mail_exchangers(self, domain: str) -> MailExchangers:
        """Who takes ``domain``'s mail (its MX hosts and their addresses), asked of the run's
        DNS (the system's resolver or ``--dns-server``) within the step's timeout and the
        run's deadline; the questions and answers are noted in the transcript."""
        from smtpdoctor.net.resolver import DNSClient, mail_exchangers

        found = mail_exchangers(
            DNSClient.for_config(self.config), domain, deadline_at=self._step_deadline()
        )
        for line in found.describe():
            self.note(f"DNS {line}")
        return found

    def redact(self, *secrets: str) -> None:
        """From now on show each of ``secrets`` as ``[redacted]`` wherever the server sends it
        back: in the replies checks get, in protocol errors and in the transcript (a server
        may echo a command it did not expect — with the password in it)."""
        self._redactions.update(secret for secret in secrets if secret)
        self._redactor = Redactor(self._redactions)

    def _scrub(self, text: str) -> str:
        return self._redactor.text(text)

    def read_reply(self, what: str) -> Reply:
        """Wait for the next complete reply (``what`` names it for timeout messages)."""
        try:
            reply = self._read_reply(what)
        except RemoteProtocolError as exc:
            if not self._redactions:
                raise
            raise RemoteProtocolError(self._scrub(str(exc))) from None
        if self._redactions:
            reply = Reply(reply.code, tuple(self._scrub(line) for line in reply.lines))
        for index, line in enumerate(reply.lines):
            sep = "-" if index < len(reply.lines) - 1 else " "
            self._record("S", f"{reply.code}{sep}{line}")
        if reply.code == 421:
            self.note("the server is closing the connection (421)")
        return reply

    def _read_reply(self, what: str) -> Reply:
        # One deadline for the whole reply, however the server splits it: a server dripping
        # a byte at a time cannot stretch a step past --timeout.
        transport = self._require_transport()
        deadline_at = self._step_deadline()
        received = 0
        while (reply := self._client.next_reply()) is None:
            try:
                data = transport.recv(deadline_at=deadline_at, what=what)
            except StepTimeout:
                if not received:
                    raise
                raise StepTimeout(
                    f"{what} was still incomplete when the time ran out: only "
                    f"{plural(received, 'byte')} of it arrived (the server sends very slowly, "
                    "or stopped mid-reply)",
                    received=received,
                ) from None
            if not data:
                self._client.connection_closed()
                self.note("the server closed the connection")
                where = f"in the middle of {what}" if received else f"while we waited for {what}"
                raise ConnectionClosed(f"the server closed the connection {where}")
            received += len(data)
            try:
                self._client.receive_data(data)
            finally:
                self._peak_buffered = max(self._peak_buffered, self._client.peak_buffered_bytes)
        return reply

    def read_greeting(self) -> Reply:
        """Wait for the server's greeting and remember it in :attr:`greeting`."""
        self.greeting = self.read_reply("the greeting")
        return self.greeting

    def command(self, command: Command) -> Reply:
        """Send ``command`` and return the server's reply."""
        self.send(command)
        return self.read_reply(f"the reply to {command.verb}")

    def send(self, command: Command) -> None:
        """Send ``command`` without waiting for its reply (then call :meth:`read_reply`).

        For a caller that must tell "the command did not get out" from "no reply came back",
        such as the end of a message: only in the second case can the server have acted on it.
        """
        transport = self._require_transport()
        data = self._client.send(command)
        self._record("C", command.for_transcript())
        transport.sendall(data, deadline_at=self._step_deadline())

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
        if self._transport is None and not self.config.helo_name:
            name = local_hostname()
            return name if "." in name and not name.startswith("localhost") else "localhost"
        address = self._transport.local_address if self._transport is not None else ""
        return helo_name(self.config.helo_name, address)

    def start_tls(self, *, verify: bool) -> TLSDetails:
        """Run the TLS handshake now (after a ``220`` to STARTTLS, or at once for implicit TLS).

        ``verify=False`` turns certificate and hostname verification off for this handshake.
        """
        transport = self._require_transport()
        deadline_at = self._step_deadline()  # waiting for the trust store is part of the step
        try:
            context = self._trust_store.context(verify=verify, timeout=deadline_at - self._clock())
            self.note("TLS handshake" + ("" if verify else " (certificate verification off)"))
            details = transport.start_tls(
                context, server_hostname=self.config.host, deadline_at=deadline_at
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

    def close(self, *, polite: bool = True) -> None:
        """Say QUIT if the conversation allows it, briefly, then close.  Never raises.

        ``polite=False`` skips the QUIT: the user pressed Ctrl-C and wants out now.
        """
        if self._transport is None:
            return
        if polite and self._client.can_send("QUIT") and not self.deadline_passed:
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
                    self._record("S", self._scrub(reply.summary()))
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


def resolver_for(config: RunConfig) -> Resolver | None:
    """What resolves the names a run connects to: with ``--dns-server`` that server (for the
    SMTP host and the IMAP host alike), otherwise the system (``None``)."""
    if not config.dns_servers:
        return None
    from smtpdoctor.net.resolver import DNSClient  # dnspython only when asked for

    return DNSClient.for_config(config).resolve_for_connect
