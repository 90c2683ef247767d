"""A tiny DNS server on 127.0.0.1 (UDP and TCP, one random port) for the tests.

It is built on dnspython's message API, answers from a zone given as text (``name TYPE
rdata`` a line, ``;`` starts a comment), and can be told to misbehave for chosen names::

    ZONE = '''
    corp.test.                  MX   10 aspmx.l.google.com.
    smtp.corp.test.             A    127.0.0.1
    _submission._tcp.corp.test. SRV  0 1 2525 smtp.corp.test.
    www.corp.test.              CNAME smtp.corp.test.
    corp.test.                  TXT  "v=spf1 " "-all"
    _25._tcp.smtp.corp.test.    TLSA 3 1 1 0123456789abcdef0123456789abcdef...
    '''
    with DNSServer(ZONE, drop={"slow.test."}, servfail={"broken.test."},
                   truncate={"corp.test."}, authenticated={"corp.test."},
                   delay={"late.test.": 0.5}) as dns_server:
        RunConfig(host=..., dns_servers=(dns_server.name_server,))

Every rdata type dnspython parses works (MX, TXT, SPF, TLSA, PTR, CAA …); names in rdata
without a final dot are taken as absolute.  A TXT or SPF record may have several strings
(``"part one" "part two"``), and a string longer than 255 bytes is split into 255-byte
strings, as zone tools do, so a huge record can be written as one string.  A line that does
not parse raises dnspython's ``SyntaxError`` when the server is made.

* a name with records of the asked type gets them (authoritative answer);
* a name that has other records gets NOERROR with an empty answer ("no answer", NODATA);
* a name with no records at all gets NXDOMAIN (also a name that only has names below it,
  which real DNS answers with NODATA);
* a name with a CNAME, asked for another type, gets the chain as a recursive resolver gives
  it: the CNAME records, then the target's records (or its NODATA / NXDOMAIN); a chain
  longer than :data:`MAX_CHAIN` (a loop) gets SERVFAIL;
* a name in ``drop`` gets no reply at all (the client times out);
* a name in ``servfail`` gets SERVFAIL;
* ``drop_types`` and ``servfail_types`` do the same for one record type of a name only,
  given as ``("name.", "TYPE")`` pairs: ``servfail_types={("mx.corp.test.", "AAAA")}`` fails
  the AAAA question of ``mx.corp.test`` and answers its A question as usual (a CNAME chain
  that reaches the name fails the same way for that type);
* a name in ``truncate`` gets, over UDP, an empty reply with the TC bit set (the client must
  ask again over TCP), and over TCP the full answer; any UDP answer bigger than the client's
  EDNS payload size (512 bytes without EDNS) is truncated the same way;
* a name in ``authenticated`` (or every name, with ``authenticated=True``) gets the AD bit,
  on records and on denials (NXDOMAIN, NODATA) alike: the server plays a validating resolver;
* a name in ``delay`` is answered that many seconds late (other questions are not held up,
  except later ones on the same TCP connection, which are answered in order).

TCP answers on the same port number: length-prefixed messages (RFC 1035 §4.2.2), several
questions per connection, one thread per connection.

With ``hold_until=N`` no answer leaves before N questions have arrived: a client that asks one
question after the other never gets past the first, one that asks them all at once gets every
answer.

Every question is recorded in :attr:`DNSServer.questions` as ``("name.", "TYPE")``; those
that came over TCP also in :attr:`DNSServer.tcp_questions`, and every query message (its
flags, its EDNS) in :attr:`DNSServer.messages`.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Self

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.SPF
import dns.rdtypes.ANY.TXT
import dns.rrset
import dns.tokenizer

from smtpdoctor.settings.config import NameServer

TTL = 60
#: The most CNAMEs followed for one question; a longer chain (a loop) gets SERVFAIL.
MAX_CHAIN = 16
#: What a UDP answer may weigh without EDNS (RFC 1035 §4.2.1).
UDP_LIMIT = 512
_POLL = 0.05
_STRING_TYPES = {dns.rdatatype.TXT, dns.rdatatype.SPF}

Records = dict[tuple[str, dns.rdatatype.RdataType], list[dns.rdata.Rdata]]


class DNSServer:
    """A DNS server for the names in ``zone``, on one loopback port (UDP and TCP)."""

    def __init__(
        self,
        zone: str,
        *,
        drop: Iterable[str] = (),
        servfail: Iterable[str] = (),
        drop_types: Iterable[tuple[str, str]] = (),
        servfail_types: Iterable[tuple[str, str]] = (),
        hold_until: int = 0,
        truncate: Iterable[str] = (),
        authenticated: bool | Iterable[str] = (),
        delay: Mapping[str, float] | None = None,
    ) -> None:
        self._records = _parse_zone(zone)
        self._owners = {owner for owner, _ in self._records}
        self._drop = {_absolute(name) for name in drop}
        self._servfail = {_absolute(name) for name in servfail}
        self._drop_types = {_typed(name, rdtype) for name, rdtype in drop_types}
        self._servfail_types = {_typed(name, rdtype) for name, rdtype in servfail_types}
        self._truncate = {_absolute(name) for name in truncate}
        self._authenticate_all = authenticated is True
        self._authenticated = (
            set() if isinstance(authenticated, bool) else {_absolute(n) for n in authenticated}
        )
        self._delay = {_absolute(name): seconds for name, seconds in (delay or {}).items()}
        self._hold_until = hold_until
        self._held: list[tuple[bytes, tuple[str, int]]] = []
        self._lock = threading.Lock()
        self._released = threading.Condition(self._lock)
        self._questions: list[tuple[str, str]] = []
        self._tcp_questions: list[tuple[str, str]] = []
        self._messages: list[dns.message.Message] = []
        self._stop = threading.Event()
        self._udp, self._tcp = _bind_pair()
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        """The port the server answers on (UDP and TCP)."""
        port: int = self._udp.getsockname()[1]
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
        """Every question received so far (UDP and TCP), as ``("name.", "TYPE")``."""
        with self._lock:
            return list(self._questions)

    @property
    def tcp_questions(self) -> list[tuple[str, str]]:
        """The questions that came over TCP, as ``("name.", "TYPE")``."""
        with self._lock:
            return list(self._tcp_questions)

    @property
    def messages(self) -> list[dns.message.Message]:
        """Every query received so far as dnspython parsed it (its flags, its EDNS)."""
        with self._lock:
            return list(self._messages)

    def start(self) -> None:
        """Start answering in background threads."""
        self._spawn(self._serve_udp, "test-dns-udp")
        self._spawn(self._serve_tcp, "test-dns-tcp")

    def stop(self) -> None:
        """Stop answering and release the port."""
        self._stop.set()
        with self._released:
            self._released.notify_all()
        for _ in range(3):  # a thread may start another (a connection, a late answer)
            with self._lock:
                alive = [thread for thread in self._threads if thread.is_alive()]
            for thread in alive:
                thread.join(timeout=5)
        self._udp.close()
        self._tcp.close()

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

    # -- transports --------------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                wire, client = self._udp.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            query = _parse(wire)
            if query is None:
                continue  # not DNS: ignore it, as a real server would
            name = self._record(query, tcp=False)
            response = self._answer(query)
            if response is None:
                continue
            answer = _fit(response, query, truncated=name in self._truncate)
            late = self._delay.get(name, 0.0)
            if late > 0:
                self._spawn(self._send_late, "test-dns-late", answer, client, late)
            else:
                self._send_udp(answer, client)

    def _send_late(self, answer: bytes, client: tuple[str, int], seconds: float) -> None:
        if not self._stop.wait(seconds):
            self._send_udp(answer, client)

    def _send_udp(self, answer: bytes, client: tuple[str, int]) -> None:
        """Send now, or hold until ``hold_until`` questions have arrived."""
        with self._lock:
            if len(self._questions) < self._hold_until:
                self._held.append((answer, client))
                return
        self._udp.sendto(answer, client)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(_POLL)
            self._spawn(self._serve_connection, "test-dns-conn", connection)

    def _serve_connection(self, connection: socket.socket) -> None:
        """Length-prefixed questions, answered in order, until the client hangs up."""
        with connection:
            buffer = b""
            while not self._stop.is_set():
                try:
                    chunk = connection.recv(65535)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while len(buffer) >= 2 and len(buffer) >= 2 + int.from_bytes(buffer[:2], "big"):
                    size = int.from_bytes(buffer[:2], "big")
                    wire, buffer = buffer[2 : 2 + size], buffer[2 + size :]
                    if not self._reply_tcp(connection, wire):
                        return

    def _reply_tcp(self, connection: socket.socket, wire: bytes) -> bool:
        """Answer one TCP question; whether the connection is still usable."""
        query = _parse(wire)
        if query is None:
            return False  # not DNS: hang up
        name = self._record(query, tcp=True)
        response = self._answer(query)
        if response is None:
            return True
        with self._released:
            while len(self._questions) < self._hold_until and not self._stop.is_set():
                self._released.wait(_POLL)
        if self._stop.wait(self._delay.get(name, 0.0)):
            return False
        answer = response.to_wire(max_size=65535)
        try:
            connection.sendall(len(answer).to_bytes(2, "big") + answer)
        except OSError:
            return False
        return True

    def _record(self, query: dns.message.Message, *, tcp: bool) -> str:
        """Note the question (and release held answers once enough came); its name."""
        question = query.question[0]
        name = question.name.to_text().lower()
        asked = (name, dns.rdatatype.to_text(question.rdtype))
        with self._lock:
            self._questions.append(asked)
            self._messages.append(query)
            if tcp:
                self._tcp_questions.append(asked)
            release = len(self._questions) >= self._hold_until
            held, self._held = (self._held, []) if release else ([], self._held)
            if release:
                self._released.notify_all()
        for answer, to in held:
            self._udp.sendto(answer, to)
        return name

    # -- answers -----------------------------------------------------------------------------

    def _answer(self, query: dns.message.Message) -> dns.message.Message | None:
        """The full answer to ``query`` (``None``: do not reply)."""
        question = query.question[0]
        name = question.name.to_text().lower()
        if name in self._drop:
            return None
        response = dns.message.make_response(query, recursion_available=True)
        response.flags |= dns.flags.AA
        if self._authenticate_all or name in self._authenticated:
            response.flags |= dns.flags.AD
        owner = question.name
        for _ in range(MAX_CHAIN + 1):
            key = owner.to_text().lower()
            if key in self._drop or (key, question.rdtype) in self._drop_types:
                return None
            if key in self._servfail or (key, question.rdtype) in self._servfail_types:
                return _failed(response, dns.rcode.SERVFAIL)
            if key not in self._owners:
                return _failed(response, dns.rcode.NXDOMAIN)
            records = self._records.get((key, question.rdtype))
            if records:
                response.answer.append(dns.rrset.from_rdata_list(owner, TTL, records))
                return response
            cname = self._records.get((key, dns.rdatatype.CNAME))
            if not cname:
                return response  # NODATA
            response.answer.append(dns.rrset.from_rdata_list(owner, TTL, cname))
            target = cname[0]
            assert isinstance(target, dns.rdtypes.ANY.CNAME.CNAME)
            owner = target.target
        return _failed(response, dns.rcode.SERVFAIL)  # a CNAME loop, or too long a chain


def _failed(response: dns.message.Message, rcode: dns.rcode.Rcode) -> dns.message.Message:
    response.set_rcode(rcode)
    if rcode == dns.rcode.SERVFAIL:
        response.answer.clear()
    return response


def _fit(response: dns.message.Message, query: dns.message.Message, *, truncated: bool) -> bytes:
    """The UDP wire form of ``response``: as is, or an empty TC reply when it was asked for or
    it does not fit the client's payload size."""
    answer = response.to_wire(max_size=65535)
    limit = max(UDP_LIMIT, query.payload) if query.edns >= 0 else UDP_LIMIT
    if not truncated and len(answer) <= limit:
        return answer
    response.answer.clear()
    response.authority.clear()
    response.additional.clear()
    response.flags |= dns.flags.TC
    return response.to_wire()


def _parse(wire: bytes) -> dns.message.Message | None:
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return None
    return query if query.question else None


def _bind_pair() -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket listening on the same loopback port."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        udp.settimeout(_POLL)
        tcp.settimeout(_POLL)
        return udp, tcp
    raise OSError("no loopback port free for both UDP and TCP")


def _parse_zone(zone: str) -> Records:
    """``name TYPE rdata`` lines into ``{("name.", TYPE): [rdata, ...]}``."""
    records: Records = {}
    for line in zone.splitlines():
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        name, type_text, text = line.split(maxsplit=2)
        rdtype = dns.rdatatype.from_text(type_text.upper())
        records.setdefault((_absolute(name), rdtype), []).append(_rdata(rdtype, text.strip()))
    return records


def _rdata(rdtype: dns.rdatatype.RdataType, text: str) -> dns.rdata.Rdata:
    """One record's data from its text; TXT and SPF strings over 255 bytes are split."""
    if rdtype not in _STRING_TYPES:
        return dns.rdata.from_text(
            dns.rdataclass.IN, rdtype, text, origin=dns.name.root, relativize=False
        )
    strings: list[bytes] = []
    tokens = dns.tokenizer.Tokenizer(text)
    for token in _strings(tokens):
        value = token.unescape_to_bytes().value
        strings.extend(value[at : at + 255] for at in range(0, max(len(value), 1), 255))
    cls = dns.rdtypes.ANY.SPF.SPF if rdtype == dns.rdatatype.SPF else dns.rdtypes.ANY.TXT.TXT
    return cls(dns.rdataclass.IN, rdtype, strings)


def _strings(tokens: dns.tokenizer.Tokenizer) -> list[dns.tokenizer.Token]:
    found = []
    while not (token := tokens.get()).is_eol_or_eof():
        if not (token.is_quoted_string() or token.is_identifier()):
            raise ValueError(f"a TXT record holds strings, not {token.value!r}")
        found.append(token)
    return found


def _typed(name: str, rdtype: str) -> tuple[str, dns.rdatatype.RdataType]:
    """``("name.", "TYPE")`` as the server keys a name and record type."""
    return _absolute(name), dns.rdatatype.from_text(rdtype.upper())


def _absolute(name: str) -> str:
    return dns.name.from_text(name).to_text().lower()
