"""A pool on loopback: aiosmtpd servers on several 127.0.0.x addresses (and ``::1``), all on
the same port, deliberately different, and a DNS zone whose names lead to them.

The whole of 127.0.0.0/8 is local on Linux, so each member listens on an address of its own;
one event loop in one thread serves them all (``LocalSMTPServer.serve``).  Certificates
come from two trustme CAs: the usual one (valid for a year) and another CA whose certificate
expires in three days — a renewal that reached only some members.

==================  =========================================================
address             the member
==================  =========================================================
127.0.0.2, .7, ::1  the standard one: STARTTLS, certificate A, AUTH PLAIN LOGIN
127.0.0.3           certificate B (the other CA, expiring in 3 days)
127.0.0.4           no STARTTLS (plain SMTP; AUTH offered in clear)
127.0.0.5           AUTH PLAIN LOGIN CRAM-MD5
127.0.0.6           nothing listens
127.0.0.8           greets as mx2.pool.test
127.0.0.9           the standard one, but the user's password is another
==================  =========================================================
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import trustme

from smtpdoctor.api import Request, SecretSources
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.lab.smtpserver import LocalSMTPServer
from smtpdoctor.model.credentials import Secret

from tests.targets.dnsserver import DNSServer

USER = "alice@example.test"
PASSWORD = "correct horse battery staple"
#: What every member but the silent one greets with, and names in EHLO.
HOST_NAME = "mx.pool.test"
#: Days certificate B has left (the other CA's, served by 127.0.0.3).
SHORT_DAYS = 3
#: Where nothing listens.
SILENT = "127.0.0.6"

ZONE = """
pool.test.        A     127.0.0.2
pool.test.        A     127.0.0.3
pool.test.        A     127.0.0.4
agree.pool.test.  A     127.0.0.2
agree.pool.test.  A     127.0.0.7
auth.pool.test.   A     127.0.0.2
auth.pool.test.   A     127.0.0.5
dead.pool.test.   A     127.0.0.2
dead.pool.test.   A     127.0.0.6
dual.pool.test.   A     127.0.0.2
dual.pool.test.   A     127.0.0.7
dual.pool.test.   AAAA  ::1
names.pool.test.  A     127.0.0.2
names.pool.test.  A     127.0.0.8
login.pool.test.  A     127.0.0.2
login.pool.test.  A     127.0.0.9
one.pool.test.    A     127.0.0.2
big.pool.test.    A     127.0.0.2
big.pool.test.    A     127.0.0.3
big.pool.test.    A     127.0.0.4
big.pool.test.    A     127.0.0.5
big.pool.test.    A     127.0.0.7
v6.pool.test.     AAAA  ::1
"""


class Certificates:
    """The pool's two CAs and the two certificates they issued for ``pool.test`` and every
    name under it."""

    def __init__(self) -> None:
        now = datetime.now(UTC)
        self.usual_ca, self.other_ca = trustme.CA(), trustme.CA()
        self.a = _pki(self.usual_ca, not_after=now + timedelta(days=365))
        self.b = _pki(self.other_ca, not_after=now + timedelta(days=SHORT_DAYS, hours=12))

    @property
    def ca_pem(self) -> str:
        """Both CAs, as ``Request.ca_data`` takes them."""
        return self.a.ca_pem + self.b.ca_pem


def _pki(ca: trustme.CA, *, not_after: datetime) -> ThrowawayPKI:
    leaf = ca.issue_cert("pool.test", "*.pool.test", not_after=not_after)
    return ThrowawayPKI(
        ca_pem=ca.cert_pem.bytes().decode(),
        cert_pem=leaf.cert_chain_pems[0].bytes().decode(),
        key_pem=leaf.private_key_pem.bytes().decode(),
    )


def members(certificates: Certificates) -> dict[str, LocalSMTPServer]:
    """The servers of the pool, by address (see the table above)."""
    users = {USER: PASSWORD}

    def server(**options: Any) -> LocalSMTPServer:
        options.setdefault("pki", certificates.a)
        options.setdefault("users", users)
        options.setdefault("hostname", HOST_NAME)
        return LocalSMTPServer(ident="ESMTP", **options)

    return {
        "127.0.0.2": server(),
        "127.0.0.3": server(pki=certificates.b),
        "127.0.0.4": server(tls="none", pki=None, auth_require_tls=False),
        "127.0.0.5": server(cram_md5=True),
        "127.0.0.7": server(),
        "127.0.0.8": server(hostname="mx2.pool.test"),
        "127.0.0.9": server(users={USER: "another password"}),
        "::1": server(),
    }


class PoolLab:
    """The members, serving on one port from one event loop thread, and the DNS zone."""

    def __init__(self) -> None:
        self.certificates = Certificates()
        self.servers: Mapping[str, LocalSMTPServer] = members(self.certificates)
        self.dns = DNSServer(ZONE)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda _loop, _context: None)  # clients hang up
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._running: list[asyncio.Server] = []

    def __enter__(self) -> Self:
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        self.dns.start()
        listeners = _listen_on_one_port([*self.servers, SILENT])
        self.port = listeners[0].getsockname()[1]
        listeners.pop().close()  # the silent member: the port is free there, nothing listens
        self._thread.start()
        for server, listener in zip(self.servers.values(), listeners, strict=True):
            serving = asyncio.run_coroutine_threadsafe(server.serve(listener), self._loop)
            self._running.append(serving.result(timeout=10))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._shut_down(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self.dns.stop()

    async def _shut_down(self) -> None:
        for server in self._running:
            server.close()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in self._running:
            await server.wait_closed()

    def connections(self, address: str) -> int:
        """How many connections the member at ``address`` accepted so far."""
        return self.servers[address].connections

    def request(self, name: str, **settings: Any) -> Request:
        """A check of ``name`` on the pool's port, asked of the pool's DNS, trusting both
        CAs, with the builtin checks alone."""
        settings.setdefault("ca_data", self.certificates.ca_pem)
        settings.setdefault("plugins", PluginSelection(autoload=False))
        settings.setdefault("timeout", 5.0)
        return Request(f"{name}:{self.port}", dns_servers=(self.dns.name_server,), **settings)

    def login(self, name: str, **settings: Any) -> Request:
        """As :meth:`request`, logging in as :data:`USER` with :data:`PASSWORD`."""
        secrets = SecretSources(password=Secret(PASSWORD))
        return self.request(name, user=USER, secrets=secrets, **settings)


def _listen_on_one_port(addresses: list[str], attempts: int = 20) -> list[socket.socket]:
    """A listening socket on each of ``addresses``, all on the same free port."""
    for _ in range(attempts):
        listeners: list[socket.socket] = []
        try:
            for address in addresses:
                port = listeners[0].getsockname()[1] if listeners else 0
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                listeners.append(socket.create_server((address, port), family=family))
        except OSError as error:
            for listener in listeners:
                listener.close()
            if error.errno != errno.EADDRINUSE:
                raise
            continue
        return listeners
    raise RuntimeError(f"no port free on all of {', '.join(addresses)}")
