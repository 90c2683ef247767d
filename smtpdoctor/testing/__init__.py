"""Testing smtpdoctor plugins: real SMTP servers on loopback and one-call runs against them.

This package is a pytest plugin, registered through the ``pytest11`` entry point, so its
fixtures are available in any test suite once smtpdoctor is installed (disable it with
``-p no:smtpdoctor``):

* ``make_smtp_server(**options)`` — start an :class:`SMTPTestServer`, a small SMTP server
  whose banner, extensions and replies a test chooses, with STARTTLS (or implicit TLS) under
  a throwaway certificate and AUTH PLAIN/LOGIN; stopped after the test;
* ``smtp_test_server`` — one such server with the defaults (STARTTLS, AUTH for
  :data:`USER`);
* ``make_scripted_server(script)`` — start a :class:`ScriptedServer`, which plays raw bytes,
  for servers that break SMTP in a precise way;
* ``smtpdoctor_pki`` — the session's throwaway certificate authority and server certificate.

:func:`run_check` runs one check (and what it needs) against a server and returns its typed
:class:`~smtpdoctor.model.results.CheckResult`; :func:`run_pipeline` runs every check and returns
the :class:`~smtpdoctor.model.results.Report`.  Both use only the plugins you pass, never the
installed ones, so a test sees exactly what it asked for::

    def test_the_banner_must_name_the_host(make_smtp_server):
        server = make_smtp_server(greeting="220 localhost ESMTP Postfix 3.8.1")

        result = run_check(server, "banner-policy", plugins=[banner_policy])

        assert result.status is Status.WARN

Everything listens on 127.0.0.1 only, every wait is bounded, and servers leave no thread or
socket behind once stopped.  The servers and the PKI are :mod:`smtpdoctor.lab`'s; the SMTP
server is aiosmtpd (installed with the ``test`` extra), imported only when a test uses it, so
that this plugin loads wherever smtpdoctor is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from smtpdoctor.lab.scripted import ScriptedServer
from smtpdoctor.testing.runs import Endpoint, TLSEndpoint, run_check, run_pipeline

if TYPE_CHECKING:
    from smtpdoctor.lab.pki import ThrowawayPKI
    from smtpdoctor.testing.smtpserver import (
        PASSWORD,
        USER,
        ReceivedMessage,
        ServerTLS,
        SMTPTestServer,
    )

__all__ = [
    "PASSWORD",
    "USER",
    "Endpoint",
    "ReceivedMessage",
    "SMTPTestServer",
    "ScriptedServer",
    "ServerTLS",
    "TLSEndpoint",
    "run_check",
    "run_pipeline",
]

#: The names that :mod:`smtpdoctor.testing.smtpserver` (and so aiosmtpd) must be imported for.
_SMTP_SERVER_NAMES = frozenset(
    {"PASSWORD", "USER", "ReceivedMessage", "SMTPTestServer", "ServerTLS"}
)


def __getattr__(name: str) -> Any:
    """The SMTP server's names, imported on first use."""
    if name in _SMTP_SERVER_NAMES:
        from smtpdoctor.testing import smtpserver

        return getattr(smtpserver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@pytest.fixture(scope="session")
def smtpdoctor_pki() -> ThrowawayPKI:
    """One throwaway CA and server certificate (127.0.0.1, ::1, localhost) per test session."""
    from smtpdoctor.lab.pki import make_pki

    return make_pki()


@pytest.fixture
def make_smtp_server(smtpdoctor_pki: ThrowawayPKI) -> Iterator[Callable[..., SMTPTestServer]]:
    """Start :class:`SMTPTestServer` instances (keyword arguments as its constructor); all are
    stopped after the test.  They present the session's certificate unless given ``pki=``."""
    from smtpdoctor.testing.smtpserver import SMTPTestServer

    servers: list[SMTPTestServer] = []

    def start(**options: Any) -> SMTPTestServer:
        if options.get("tls", "starttls") != "none":
            options.setdefault("pki", smtpdoctor_pki)
        server = SMTPTestServer(**options)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_test_server(make_smtp_server: Callable[..., SMTPTestServer]) -> SMTPTestServer:
    """A running :class:`SMTPTestServer` with the defaults: STARTTLS, then AUTH PLAIN/LOGIN
    for :data:`USER` / :data:`PASSWORD`, accepting any sender and recipient."""
    return make_smtp_server()


@pytest.fixture
def make_scripted_server() -> Iterator[Callable[[list[Any]], ScriptedServer]]:
    """Start :class:`ScriptedServer` instances from a script; all are stopped after the test."""
    servers: list[ScriptedServer] = []

    def start(script: list[Any]) -> ScriptedServer:
        server = ScriptedServer(script)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
