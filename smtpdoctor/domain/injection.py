"""The STARTTLS command injection probe (CVE-2011-0411 and its kin; testssl.sh
``--starttls-injection``).

A server that reads ahead may keep plaintext that arrived together with ``STARTTLS`` and
execute it *after* the TLS handshake, as if the client had sent it encrypted: a
man-in-the-middle can then inject commands into the protected session.  The probe opens its
own connection (the injected bytes poison a session, so it cannot share the ``check``
pipeline's), greets, sends ``STARTTLS\\r\\nNOOP\\r\\n`` in one write, completes the handshake
after the ``220`` and waits briefly: a reply inside TLS to a command never sent there is the
flaw.  Certificate verification is off — the probe looks at the protocol only — and the
certificate chain of the handshake is kept for DANE.

A server that refuses the pipelined command (Exim's ``554 Security failure``) is right to, but
leaves the probe without a certificate chain: :func:`starttls_chain` then gets it with one
clean STARTTLS handshake on a connection of its own.
"""

from __future__ import annotations

import contextlib
import enum
import ipaddress
import socket
import time
from dataclasses import dataclass

from smtpdoctor.model.words import ConfigError, TLSMode
from smtpdoctor.net.session import Session, helo_name
from smtpdoctor.net.transport import (
    StepTimeout,
    TLSDetails,
    Transport,
    TransportError,
    client_context,
)
from smtpdoctor.protocol import (
    Capabilities,
    Ehlo,
    LocalProtocolError,
    Noop,
    Quit,
    RemoteProtocolError,
    Reply,
    ReplyParser,
    StartTLS,
)
from smtpdoctor.settings.config import RunConfig

#: The longest the probe waits, after the handshake, for a reply to the injected command.
INJECTION_WAIT = 2.0


class Verdict(enum.StrEnum):
    """What the probe found."""

    VULNERABLE = "vulnerable"
    """The server answered, inside TLS, the command sent in clear before the handshake."""
    NOT_ANSWERED = "not-answered"
    """Nothing came inside TLS: the server dropped the plaintext it had read ahead."""
    REFUSED = "refused"
    """The server refused the pipelined commands or closed the connection."""
    UNTESTED = "untested"
    """The probe could not get as far as the handshake (see the explanation)."""


@dataclass(frozen=True, slots=True)
class InjectionResult:
    """The probe's verdict, what was seen, and the handshake's certificate chain."""

    verdict: Verdict
    explanation: str
    """What happened, in words."""
    address: str | None = None
    """The address connected to."""
    peer_chain: tuple[bytes, ...] = ()
    """The certificates of the STARTTLS handshake, DER, leaf first (empty without one)."""
    reply: str = ""
    """What the server sent inside TLS unasked (its first line), for the vulnerable case."""


@dataclass(frozen=True, slots=True)
class InjectionTarget:
    """Where and how to probe: the MX host (for SNI), its port and addresses, the path."""

    host: str
    port: int
    addresses: tuple[str, ...]
    """The addresses to try, in order (the one the pipeline reached first)."""
    helo_name: str | None = None
    family: int | None = None
    source_address: str | None = None


def probe_starttls_injection(
    target: InjectionTarget, *, timeout: float, deadline_at: float
) -> InjectionResult:
    """Probe ``target`` for STARTTLS command injection; never raises for what the server
    does.  Each step waits at most ``timeout`` seconds, the wait for the injected reply at
    most :data:`INJECTION_WAIT`, and nothing past ``deadline_at``."""
    probe = _Probe(timeout, deadline_at)
    try:
        return probe.run(target)
    except RemoteProtocolError as exc:
        return probe.untested(f"the server's reply was not SMTP: {exc}")
    except LocalProtocolError as exc:
        return probe.untested(f"cannot greet the server: {exc}")
    except StepTimeout as exc:
        return probe.untested(f"the server did not answer in time ({exc})")
    except TransportError as exc:
        return probe.untested(str(exc))
    finally:
        probe.close()


def starttls_chain(
    target: InjectionTarget, *, timeout: float, deadline_at: float
) -> tuple[bytes, ...]:
    """The certificate chain ``target`` presents after a clean STARTTLS (DER, leaf first), or
    ``()`` when it cannot be had; never raises for what the server does.

    One connection to the first of ``target.addresses``: greeting, EHLO, STARTTLS, the
    handshake without verification (DANE matches the chain itself), QUIT.  Each step waits
    at most ``timeout`` seconds, and nothing goes past ``deadline_at``."""
    budget = deadline_at - time.monotonic()
    if not target.addresses or budget <= 0:
        return ()
    try:
        session = Session(
            RunConfig(
                target.host,
                target.port,
                TLSMode.STARTTLS,
                helo_name=target.helo_name,
                timeout=timeout,
                deadline=budget,
                address=target.addresses[0],
                family=target.family,
                source_address=target.source_address,
            )
        )
    except ConfigError:
        return ()
    try:
        session.connect()
        if session.read_greeting().code != 220 or not session.ehlo().is_success:
            return ()
        if not session.command(StartTLS()).is_success:
            return ()
        return session.start_tls(verify=False).peer_chain
    except (TransportError, RemoteProtocolError, LocalProtocolError):
        return ()
    finally:
        session.close()


class _Probe:
    """One probe connection and its reply parser."""

    def __init__(self, timeout: float, deadline_at: float) -> None:
        self._timeout = timeout
        self._deadline_at = deadline_at
        self._parser = ReplyParser()
        self._transport: Transport | None = None

    def run(self, target: InjectionTarget) -> InjectionResult:
        def addresses(
            host: str, port: int, *, deadline_at: float
        ) -> list[tuple[int, tuple[str, int]]]:
            return [(_family(address), (address, port)) for address in target.addresses]

        transport = Transport.connect(
            target.host,
            target.port,
            deadline_at=self._step(),
            resolver=addresses,
            family=target.family,
            source_address=target.source_address,
        )
        self._transport = transport
        greeting = self._reply("the greeting")
        if greeting.code != 220:
            return self.untested(f"the greeting was {greeting.summary()}")
        name = helo_name(target.helo_name, transport.local_address)
        transport.sendall(Ehlo(name).encode(), deadline_at=self._step())
        ehlo = self._reply("the EHLO reply")
        if not ehlo.is_success:
            return self.untested(f"EHLO was refused: {ehlo.summary()}")
        if not Capabilities.from_ehlo(ehlo).supports("STARTTLS"):
            return self.untested("the server does not offer STARTTLS")
        transport.sendall(StartTLS().encode() + Noop().encode(), deadline_at=self._step())
        try:
            answer = self._reply("the reply to STARTTLS")
        except StepTimeout:
            raise
        except TransportError:
            return self.result(
                Verdict.REFUSED,
                "the server closed the connection when STARTTLS came with a command after it",
            )
        if answer.code != 220:
            return self.result(
                Verdict.REFUSED,
                f"the server refused STARTTLS followed by a pipelined NOOP: {answer.summary()}",
            )
        if self._parser.in_reply:
            return self.result(
                Verdict.REFUSED,
                "the server answered the NOOP in clear, before TLS (not the injection flaw)",
            )
        context = client_context(verify=False, ca_file=None, ca_data=None)
        try:
            details = transport.start_tls(
                context, server_hostname=target.host, deadline_at=self._step()
            )
        except TransportError as exc:
            return self.untested(f"the TLS handshake after STARTTLS failed: {exc}")
        return self._after_handshake(details)

    def _after_handshake(self, details: TLSDetails) -> InjectionResult:
        assert self._transport is not None
        wait_until = min(self._deadline_at, time.monotonic() + min(self._timeout, INJECTION_WAIT))
        try:
            data = self._transport.recv(deadline_at=wait_until, what="a reply to the injected NOOP")
        except StepTimeout:
            return self.result(
                Verdict.NOT_ANSWERED,
                "the server did not answer, inside TLS, the NOOP sent in clear with STARTTLS: "
                "it discarded the plaintext it had read ahead",
                details,
            )
        except TransportError as exc:
            return self.result(
                Verdict.REFUSED,
                f"the server ended the session after the handshake ({exc})",
                details,
            )
        if not data:
            return self.result(
                Verdict.REFUSED, "the server closed the connection after the handshake", details
            )
        first = data.split(b"\n", 1)[0][:200].decode("utf-8", errors="replace").strip()
        return self.result(
            Verdict.VULNERABLE,
            f"the server answered, inside TLS, the NOOP sent in clear before the handshake "
            f"({first!r})",
            details,
            reply=first,
        )

    def result(
        self,
        verdict: Verdict,
        explanation: str,
        details: TLSDetails | None = None,
        *,
        reply: str = "",
    ) -> InjectionResult:
        """The verdict, with the connection's address and the handshake's chain."""
        return InjectionResult(
            verdict,
            explanation,
            self._transport.peer[0] if self._transport is not None else None,
            details.peer_chain if details is not None else (),
            reply,
        )

    def untested(self, why: str) -> InjectionResult:
        """The probe could not get to the point: ``why``."""
        return self.result(Verdict.UNTESTED, why)

    def close(self) -> None:
        """Say QUIT (without waiting for the answer) and close; never raises."""
        if self._transport is None:
            return
        with contextlib.suppress(TransportError):
            self._transport.sendall(
                Quit().encode(), deadline_at=min(self._step(), time.monotonic() + 1)
            )
        self._transport.close()

    def _step(self) -> float:
        return min(self._deadline_at, time.monotonic() + self._timeout)

    def _reply(self, what: str) -> Reply:
        """The next complete reply, read in bounded chunks within one step's time."""
        assert self._transport is not None
        deadline_at = self._step()
        while True:
            reply = self._parser.next_reply()
            if reply is not None:
                return reply
            data = self._transport.recv(deadline_at=deadline_at, what=what)
            if not data:
                raise TransportError(f"the server closed the connection while sending {what}")
            self._parser.feed(data)


def _family(address: str) -> int:
    return socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
