"""The session: one deadline per step, and what a server echoes back scrubbed of secrets."""

from __future__ import annotations

import base64
import ssl
import time
from collections.abc import Callable
from typing import Any, Protocol

import pytest

from smtpdoctor.model.words import TLSMode
from smtpdoctor.net.session import Session
from smtpdoctor.net.transport import TLSDetails, Transport, client_context
from smtpdoctor.net.truststore import TrustStore
from smtpdoctor.protocol import Auth, RemoteProtocolError, sasl
from smtpdoctor.settings.config import RunConfig


class Scripted(Protocol):
    @property
    def address(self) -> tuple[str, int]: ...


StartScripted = Callable[[list[Any]], Scripted]


class FrozenClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


class SlowStore(TrustStore):
    """A trust store whose loading uses up half of the time it is given."""

    def __init__(self, clock: FrozenClock) -> None:
        super().__init__()
        self._clock = clock

    def context(self, *, verify: bool, timeout: float) -> ssl.SSLContext:
        self._clock.now += timeout / 2
        return client_context(verify=False, ca_file=None, ca_data=None)


def test_waiting_for_the_trust_store_counts_against_the_handshake_timeout(
    scripted: StartScripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = scripted([])
    clock = FrozenClock()
    config = RunConfig(host=server.address[0], port=server.address[1], tls=TLSMode.IMPLICIT)
    session = Session(config, clock=clock, trust_store=SlowStore(clock))
    deadlines: list[float] = []

    def handshake(self: Transport, context: ssl.SSLContext, **kwargs: Any) -> TLSDetails:
        deadlines.append(kwargs["deadline_at"])
        return TLSDetails("TLSv1.3", "TLS_AES_128_GCM_SHA256", 128, (), verified=True)

    monkeypatch.setattr(Transport, "start_tls", handshake)
    session.connect()
    try:
        step_deadline = clock.now + config.timeout
        session.start_tls(verify=True)
    finally:
        session.close(polite=False)

    assert deadlines == [step_deadline]  # not a fresh --timeout after the wait


def test_an_echo_of_the_auth_line_cut_short_in_a_protocol_error_shows_no_password(
    scripted: StartScripted,
) -> None:
    """The parser quotes the first 60 bytes of a line that is not a reply; with our own AUTH
    PLAIN line echoed back, that cut falls inside the password's base64."""
    user, password = "bob.smith@example-company.test", "correct-horse-battery-staple"
    initial = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    server = scripted(
        [
            b"220 mail.example.test ESMTP\r\n",
            "recv",
            b"250-mail.example.test\r\n250 AUTH PLAIN\r\n",
            "recv",
            f"AUTH PLAIN {initial}\r\n".encode(),
        ]
    )
    config = RunConfig(host=server.address[0], port=server.address[1], tls=TLSMode.NONE)
    session = Session(config)
    session.connect()
    try:
        session.read_greeting()
        session.ehlo()
        session.redact(*sasl.secret_forms(password), initial)  # as the auth check does
        with pytest.raises(RemoteProtocolError) as raised:
            session.command(Auth("PLAIN", initial))
    finally:
        session.close(polite=False)

    error = str(raised.value)
    assert "not an SMTP reply: AUTH PLAIN [redacted]" in error
    assert initial[:8] not in error  # nothing of the blob, not even the user name's part
