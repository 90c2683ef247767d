"""Shared fixtures: real servers on loopback and a one-call way to run smtpdoctor on them.

* ``smtp_server`` — an aiosmtpd server (STARTTLS required, AUTH PLAIN/LOGIN for ``USER``).
* ``make_server`` — the same with any options (implicit TLS, no TLS, other certificates…).
* ``scripted`` — a raw TCP server that plays bytes from a script, for servers that are not
  SMTP at all or break it in a precise way (``smtpdoctor.testing.ScriptedServer``).

The pytest plugin ``smtpdoctor.testing`` adds more: ``make_smtp_server`` and
``smtp_test_server`` (a scriptable SMTP server), ``make_scripted_server``, ``smtpdoctor_pki``.
* ``run_check`` — run the whole pipeline against a server and get the typed report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.results import Report
from smtpdoctor.testing import ScriptedServer, run_pipeline

USER = "alice@example.test"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def pki(smtpdoctor_pki: ThrowawayPKI) -> ThrowawayPKI:
    """One throwaway CA and server certificate (127.0.0.1, ::1, localhost) for the session:
    smtpdoctor.testing's."""
    return smtpdoctor_pki


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs see only the builtins, whatever plugins are installed in this environment (CI
    installs the example plugins); tests of plugin loading set what they need."""
    monkeypatch.setenv("SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("SMTPDOCTOR_PLUGINS", raising=False)
    monkeypatch.delenv("SMTPDOCTOR_DISABLE", raising=False)


@pytest.fixture
def make_server(pki: ThrowawayPKI) -> Iterator[Callable[..., LocalSMTPServer]]:
    """Start LocalSMTPServers with the given options; all are stopped after the test."""
    started: list[LocalSMTPServer] = []

    def start(**options: Any) -> LocalSMTPServer:
        options.setdefault("users", {USER: PASSWORD})
        if options.get("tls", "starttls") != "none":
            options.setdefault("pki", pki)
        server = LocalSMTPServer(**options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(make_server: Callable[..., LocalSMTPServer]) -> LocalSMTPServer:
    """The typical submission server: STARTTLS required, then AUTH PLAIN/LOGIN."""
    return make_server()


RunCheck = Callable[..., Report]


@pytest.fixture
def run_check() -> RunCheck:
    """Run the full pipeline: ``run_check(server, password=..., **RunConfig fields)``.

    ``server`` may be a LocalSMTPServer (its CA is trusted and its TLS mode used) or a
    ``(host, port)`` pair.  Pass ``password=None`` to check without logging in.
    """

    def run(
        server: LocalSMTPServer | tuple[str, int],
        *,
        password: str | None = PASSWORD,
        user: str = USER,
        **fields: Any,
    ) -> Report:
        if password is None:
            return run_pipeline(server, **fields)
        return run_pipeline(server, user=user, password=password, **fields)

    return run


@pytest.fixture
def scripted(
    make_scripted_server: Callable[[list[Any]], ScriptedServer],
) -> Callable[[list[Any]], ScriptedServer]:
    """Start ScriptedServers (smtpdoctor.testing's); all are stopped after the test."""
    return make_scripted_server
