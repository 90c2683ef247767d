"""A tiny authoritative DNS server on 127.0.0.1 (UDP, a random port) for the tests.

It is built on dnspython's message API, answers from a zone given as text, and can be told to
misbehave for chosen names::

    ZONE = '''
    corp.test.                  MX   10 aspmx.l.google.com.
    smtp.corp.test.             A    127.0.0.1
    _submission._tcp.corp.test. SRV  0 1 2525 smtp.corp.test.
    '''
    with DNSServer(ZONE, drop={"slow.test."}, servfail={"broken.test."}) as dns_server:
        RunConfig(host=..., dns_servers=(dns_server.name_server,))

* a name with records of the asked type gets them (authoritative answer);
* a name that has other records gets NOERROR with an empty answer ("no answer", NODATA);
* a name with no records at all gets NXDOMAIN;
* a name in ``drop`` gets no reply at all (the client times out);
* a name in ``servfail`` gets SERVFAIL.

With ``hold_until=N`` no answer leaves before N questions have arrived: a client that asks one
question after the other never gets past the first, one that asks them all at once gets every
answer.

Every question is recorded in :attr:`DNSServer.questions` as ``("name.", "TYPE")``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Self

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from smtpdoctor.settings.config import NameServer

TTL = 60


class DNSServer:
    """An authoritative DNS server for the names in ``zone``, on a loopback UDP port."""

    def __init__(
        self,
        zone: str,
        *,
        drop: Iterable[str] = (),
        servfail: Iterable[str] = (),
        hold_until: int = 0,
    ) -> None:
        self._records = _parse_zone(zone)
        self._drop = {_absolute(name) for name in drop}
        self._servfail = {_absolute(name) for name in servfail}
        self._hold_until = hold_until
        self._held: list[tuple[bytes, tuple[str, int]]] = []
        self._lock = threading.Lock()
        self._questions: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, name="test-dns", daemon=True)

    @property
    def port(self) -> int:
        """The UDP port the server answers on."""
        port: int = self._socket.getsockname()[1]
        return port

    @property
    def name_server(self) -> NameServer:
        """The server as RunConfig's ``dns_servers`` wants it."""
        return NameServer("127.0.0.1", self.port)

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``, as ``--dns-server`` takes it."""
        return f"127.0.0.1:{self.port}"

    @property
    def questions(self) -> list[tuple[str, str]]:
        """Every question received so far, as ``("name.", "TYPE")``."""
        with self._lock:
            return list(self._questions)

    def start(self) -> None:
        """Start answering in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop answering and release the port."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, client = self._socket.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                continue  # not DNS: ignore it, as a real server would
            response = self._answer(query)
            if response is not None:
                self._held.append((response.to_wire(), client))
            if len(self.questions) >= self._hold_until:
                for answer, to in self._held:
                    self._socket.sendto(answer, to)
                self._held.clear()

    def _answer(self, query: dns.message.Message) -> dns.message.Message | None:
        question = query.question[0]
        name = question.name.to_text().lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self._questions.append((name, rdtype))
        if name in self._drop:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if name in self._servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        if not any(owner == name for owner, _ in self._records):
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        texts = self._records.get((name, rdtype))
        if texts:
            response.answer.append(
                dns.rrset.from_text_list(question.name, TTL, dns.rdataclass.IN, rdtype, texts)
            )
        return response


def _parse_zone(zone: str) -> dict[tuple[str, str], list[str]]:
    """``name TYPE rdata`` lines into ``{("name.", "TYPE"): ["rdata", ...]}``."""
    records: dict[tuple[str, str], list[str]] = {}
    for line in zone.splitlines():
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        name, rdtype, rdata = line.split(maxsplit=2)
        records.setdefault((_absolute(name), rdtype.upper()), []).append(rdata.strip())
    return records


def _absolute(name: str) -> str:
    return dns.name.from_text(name).to_text().lower()
