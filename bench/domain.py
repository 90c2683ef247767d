"""``smtpdoctor domain`` beside checkdmarc: the same zone, served by one authoritative DNS server
on 127.0.0.153:53 with a fixed delay per question, audited by both tools.

checkdmarc takes name servers as plain addresses (port 53 only), hence the fixed address; it
fetches the MTA-STS policy with ``requests``, which resolves through the system's resolver, so
both tools run under :data:`GUARD`: a launcher that resolves every ``getaddrinfo`` name through
the bench server and refuses any connection or datagram to an address off loopback, saying so
on standard error. The bench counts those refusals: a run that tried to leave is reported.

Neither tool gets an HTTPS server: ``mta-sts.DOMAIN`` points at 127.0.0.154, where nothing
listens on port 443, so both fail the policy fetch the same way (connection refused).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from bench.measure import Run, median_ms, timed
from bench.tools import smtpdoctor_bin

#: Where the bench DNS server answers: not 127.0.0.53, which may be the system's stub.
DNS_ADDRESS = "127.0.0.153"
DNS_PORT = 53
#: The MTA-STS host's address: nothing listens on its port 443.
MTA_STS_ADDRESS = "127.0.0.154"
COMMAND_TIMEOUT = 300.0
TTL = 300
GUARD_MARK = "bench-guard: refused"

#: Run a console script with every name resolved through the bench server and every
#: connection off loopback refused: ``python guard.py NAMESERVER SCRIPT ARGS...``.
GUARD = """
import errno, ipaddress, socket, sys
from importlib.metadata import entry_points

import dns.exception, dns.resolver

NAMESERVER = sys.argv.pop(1)
SCRIPT = sys.argv.pop(1)
sys.argv[0] = SCRIPT
_getaddrinfo = socket.getaddrinfo


def _numeric(host):
    try:
        ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return True


def _loopback(address):
    if not isinstance(address, tuple):
        return True  # AF_UNIX
    try:
        return ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback
    except ValueError:
        return False


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    if isinstance(host, bytes):
        host = host.decode()
    if host is None or _numeric(host):
        return _getaddrinfo(host, port, family, type, proto, flags)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [NAMESERVER]
    resolver.lifetime = 5.0
    try:
        answer = resolver.resolve(host, "A")
    except dns.exception.DNSException as exc:
        raise socket.gaierror(socket.EAI_NONAME, f"bench-guard: {host}: {exc}") from None
    found = []
    for record in answer:
        found += _getaddrinfo(record.address, port, socket.AF_INET, type, proto, flags)
    return found


def _refuse(address):
    print(f"bench-guard: refused {address!r}", file=sys.stderr, flush=True)
    raise OSError(errno.ENETUNREACH, f"bench-guard: only loopback, not {address!r}")


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto


def connect(self, address):
    if not _loopback(address):
        _refuse(address)
    return _connect(self, address)


def connect_ex(self, address):
    if not _loopback(address):
        _refuse(address)
    return _connect_ex(self, address)


def sendto(self, data, *rest):
    if not _loopback(rest[-1]):
        _refuse(rest[-1])
    return _sendto(self, data, *rest)


socket.getaddrinfo = getaddrinfo
socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
(script,) = entry_points(group="console_scripts", name=SCRIPT)
sys.exit(script.load()())
"""


# -- the zone -----------------------------------------------------------------------------------


def bench_domains(count: int) -> list[str]:
    """``count`` domain names under the reserved ``.test`` TLD."""
    return [f"mail{index:03d}.bench.test" for index in range(count)]


def dkim_public_key() -> str:
    """A fresh 2048-bit RSA public key, base64 DER, as a DKIM ``p=`` takes it."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def zone_lines(domain: str, index: int, dkim_key: str) -> list[str]:
    """A realistic mail domain: two MX hosts with A and PTR, SPF with three nested includes,
    DMARC, MTA-STS, TLS-RPT, a DKIM selector ``s1``, NS and SOA."""
    d = domain
    mx = [f"127.1.{index // 200}.{(index % 200) + 1}", f"127.2.{index // 200}.{(index % 200) + 1}"]
    key = " ".join(f'"{dkim_key[at : at + 250]}"' for at in range(0, len(dkim_key), 250))
    lines = [
        f"{d}. SOA ns1.{d}. hostmaster.{d}. 2026010101 3600 600 604800 300",
        f"{d}. NS ns1.{d}.",
        f"ns1.{d}. A {DNS_ADDRESS}",
        f"{d}. MX 10 mx1.{d}.",
        f"{d}. MX 20 mx2.{d}.",
        f'{d}. TXT "v=spf1 mx include:_spf1.{d} -all"',
        f'_spf1.{d}. TXT "v=spf1 ip4:{mx[0]} include:_spf2.{d} -all"',
        f'_spf2.{d}. TXT "v=spf1 ip4:{mx[1]} include:_spf3.{d} -all"',
        f'_spf3.{d}. TXT "v=spf1 ip4:127.3.0.0/16 -all"',
        f'_dmarc.{d}. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{d}"',
        f'_mta-sts.{d}. TXT "v=STSv1; id=20260101"',
        f"mta-sts.{d}. A {MTA_STS_ADDRESS}",
        f'_smtp._tls.{d}. TXT "v=TLSRPTv1; rua=mailto:tlsrpt@{d}"',
        f's1._domainkey.{d}. TXT "v=DKIM1; k=rsa; p=" {key}',
    ]
    for number, address in enumerate(mx, start=1):
        reverse = ".".join(reversed(address.split("."))) + ".in-addr.arpa."
        lines += [f"mx{number}.{d}. A {address}", f"{reverse} PTR mx{number}.{d}."]
    return lines


# -- the server ---------------------------------------------------------------------------------


class BenchDNS:
    """An authoritative DNS server for ``lines`` (``name TYPE rdata``) on ``address:port``, UDP
    and TCP, answering every question ``delay`` seconds late and counting the questions."""

    def __init__(
        self, lines: Sequence[str], *, address: str = DNS_ADDRESS, port: int = DNS_PORT
    ) -> None:
        import dns.rdatatype
        import dns.rrset

        self.delay = 0.0
        self._records: dict[tuple[str, int], Any] = {}
        for line in lines:
            name, rdtype, rdata = line.split(maxsplit=2)
            key = (name.lower(), int(dns.rdatatype.from_text(rdtype)))
            if key in self._records:
                self._records[key].add(
                    next(iter(dns.rrset.from_text(name, TTL, "IN", rdtype, rdata)))
                )
            else:
                self._records[key] = dns.rrset.from_text(name, TTL, "IN", rdtype, rdata)
        self._owners = {name for name, _ in self._records}
        self._lock = threading.Lock()
        self._count = 0
        self._stop = threading.Event()
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._udp.bind((address, port))
            self._tcp.bind((address, port))
        except OSError:
            self._udp.close()
            self._tcp.close()
            raise
        self._tcp.listen(64)
        self._udp.settimeout(0.1)
        self._tcp.settimeout(0.1)
        self._threads: list[threading.Thread] = []

    def take_count(self) -> int:
        """Questions received since the last call."""
        with self._lock:
            count, self._count = self._count, 0
        return count

    def __enter__(self) -> Self:
        for target in (self._serve_udp, self._serve_tcp):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._udp.close()
        self._tcp.close()

    def _answer(self, wire: bytes, *, udp: bool = False) -> bytes | None:
        """The reply to ``wire`` (``None``: not DNS); over UDP, an empty one with the TC bit
        when the answer does not fit the client's buffer."""
        import dns.exception
        import dns.flags
        import dns.message
        import dns.rcode

        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if not query.question:
            return None
        with self._lock:
            self._count += 1
        question = query.question[0]
        name = question.name.to_text().lower()
        response = dns.message.make_response(query, recursion_available=True)
        response.flags |= dns.flags.AA
        records = self._records.get((name, int(question.rdtype)))
        if records is not None:
            response.answer.append(records)
        elif name not in self._owners:
            response.set_rcode(dns.rcode.NXDOMAIN)
        answer: bytes = response.to_wire(max_size=65535)
        limit = max(512, query.payload) if query.edns >= 0 else 512
        if udp and len(answer) > limit:
            response.answer.clear()
            response.flags |= dns.flags.TC
            answer = response.to_wire()
        return answer

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                wire, client = self._udp.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._reply_udp, args=(wire, client), daemon=True).start()

    def _reply_udp(self, wire: bytes, client: tuple[str, int]) -> None:
        answer = self._answer(wire, udp=True)
        if answer is None or self._stop.wait(self.delay):
            return
        with contextlib.suppress(OSError):
            self._udp.sendto(answer, client)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._tcp.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve_connection, args=(connection,), daemon=True).start()

    def _serve_connection(self, connection: socket.socket) -> None:
        connection.settimeout(10)
        with connection:
            buffer = b""
            while not self._stop.is_set():
                try:
                    chunk = connection.recv(65535)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while len(buffer) >= 2 and len(buffer) >= 2 + int.from_bytes(buffer[:2], "big"):
                    size = int.from_bytes(buffer[:2], "big")
                    wire, buffer = buffer[2 : 2 + size], buffer[2 + size :]
                    answer = self._answer(wire)
                    if answer is None or self._stop.wait(self.delay):
                        return
                    try:
                        connection.sendall(len(answer).to_bytes(2, "big") + answer)
                    except OSError:
                        return


# -- the tools ----------------------------------------------------------------------------------


def checkdmarc_venv() -> Path:
    """The venv ``bench/run.sh`` installs checkdmarc into (``$SMTPDOCTOR_BENCH_CHECKDMARC``)."""
    chosen = os.environ.get("SMTPDOCTOR_BENCH_CHECKDMARC")
    base = Path(os.environ.get("TMPDIR", tempfile.gettempdir()))
    return Path(chosen) if chosen else base / "smtpdoctor-bench-checkdmarc"


def checkdmarc_available() -> bool:
    """Whether checkdmarc is installed where the bench looks for it."""
    return (checkdmarc_venv() / "bin" / "checkdmarc").exists()


def checkdmarc_version() -> str:
    """``checkdmarc X`` (and its dnspython), as installed in its venv."""
    run = timed(
        [
            str(checkdmarc_venv() / "bin" / "python"),
            "-c",
            "from importlib.metadata import version as v;"
            "print('checkdmarc', v('checkdmarc'), '(dnspython', v('dnspython') + ')')",
        ]
    )
    return run.stdout.strip() or "checkdmarc ?"


def _guarded(python: Path, guard: Path, script: str, *args: str) -> list[str]:
    return [str(python), str(guard), DNS_ADDRESS, script, *args]


def tool_commands(guard: Path, target: str, *, fleet: bool) -> dict[str, list[str]]:
    """Both tools auditing ``target`` (a domain, or with ``fleet`` a file of domains)."""
    ours = Path(smtpdoctor_bin()).with_name("python")
    dns_server = f"{DNS_ADDRESS}:{DNS_PORT}"
    if fleet:
        smtpdoctor = _guarded(
            ours, guard, "smtpdoctor", "scan", "--domains", target, "--no-smtp", "-c", "10",
            "--dns-server", dns_server, "--no-progress",
        )  # fmt: skip
    else:
        smtpdoctor = _guarded(
            ours, guard, "smtpdoctor", "domain", target, "--no-smtp", "-f", "json",
            "--dns-server", dns_server, "--dkim-selector", "s1",
        )  # fmt: skip
    checkdmarc = _guarded(
        checkdmarc_venv() / "bin" / "python", guard, "checkdmarc", target,
        "-n", DNS_ADDRESS, "-t", "10", "-f", "json",
    )  # fmt: skip
    return {"smtpdoctor": smtpdoctor, "checkdmarc": checkdmarc}


def summarise_smtpdoctor(stdout: str) -> str:
    """One line from ``smtpdoctor domain -f json``: each section's verdict."""
    try:
        report = json.loads(stdout)
        sections = ", ".join(f"{s['id']} {s['status']}" for s in report["sections"])
    except (ValueError, KeyError, TypeError):
        return "no JSON report"
    return f"{sections}; {report['dns']['queries']} questions by its own count"


def summarise_checkdmarc(stdout: str) -> str:
    """One line from checkdmarc's JSON: what it found valid and how many warnings."""
    try:
        result = json.loads(stdout)
        parts = [
            f"MX {len(result['mx'].get('hosts', []))} hosts",
            f"SPF valid={result['spf'].get('valid')} "
            f"({result['spf'].get('dns_lookups', '?')} look-ups)",
            f"DMARC valid={result['dmarc'].get('valid')}",
            f"MTA-STS valid={result['mta_sts'].get('valid')} "
            f"({_last_words(result['mta_sts'].get('error', 'ok'))})",
            f"TLS-RPT valid={result['smtp_tls_reporting'].get('valid')}",
        ]
        warnings = sum(
            len(value.get("warnings", []))
            for value in result.values()
            if isinstance(value, dict) and isinstance(value.get("warnings"), list)
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return "no JSON result"
    return ", ".join(parts) + f"; {warnings} warnings"


def _last_words(error: object) -> str:
    """The end of a long error text: ``[Errno 111] Connection refused``."""
    return str(error).rpartition(": ")[2].rstrip('")')[:40]


SUMMARIES = {"smtpdoctor": summarise_smtpdoctor, "checkdmarc": summarise_checkdmarc}


@dataclass(frozen=True, slots=True)
class Measured:
    """One tool at one delay: wall times of the runs, questions per run, what it said."""

    tool: str
    delay: float
    runs: tuple[Run, ...]
    questions: tuple[int, ...]
    summary: str

    @property
    def seconds(self) -> list[float]:
        """Wall times of the runs that ended (any exit status: a finding is not a failure)."""
        return [run.seconds for run in self.runs if run.returncode >= 0]

    @property
    def refused(self) -> int:
        """Connections or datagrams off loopback the guard refused, over all runs."""
        return sum(run.stderr.count(GUARD_MARK) for run in self.runs)


@contextmanager
def bench_dns(domains: Sequence[str]) -> Iterator[BenchDNS]:
    """The bench DNS server for ``domains``, each with its own addresses and one DKIM key."""
    key = dkim_public_key()
    lines = [line for i, d in enumerate(domains) for line in zone_lines(d, i, key)]
    with BenchDNS(lines) as server:
        yield server


def measure_single(delays: Sequence[float], rounds: int) -> list[Measured]:
    """Each tool auditing one domain ``rounds`` times per delay, alternating."""
    domain = bench_domains(1)[0]
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-bench-domain-") as scratch:
        guard = Path(scratch) / "guard.py"
        guard.write_text(GUARD)
        commands = tool_commands(guard, domain, fleet=False)
        with bench_dns([domain]) as server:
            for delay in delays:
                server.delay = delay
                runs: dict[str, list[Run]] = {name: [] for name in commands}
                counts: dict[str, list[int]] = {name: [] for name in commands}
                names = list(commands)
                for round_number in range(rounds + 1):  # the first round warms up
                    order = names if round_number % 2 == 0 else names[::-1]
                    for name in order:
                        server.take_count()
                        run = timed(commands[name], timeout=COMMAND_TIMEOUT)
                        if round_number:
                            runs[name].append(run)
                            counts[name].append(server.take_count())
                for name in names:
                    results.append(
                        Measured(
                            name,
                            delay,
                            tuple(runs[name]),
                            tuple(counts[name]),
                            SUMMARIES[name](runs[name][-1].stdout),
                        )
                    )
    return results


def single_table(results: Sequence[Measured]) -> str:
    """Median wall time, questions and ratio per tool and delay, then what each said."""
    lines = [
        "| delay per question | tool | median | / checkdmarc | DNS questions | runs | refused |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    by_delay: dict[float, dict[str, Measured]] = {}
    for measured in results:
        by_delay.setdefault(measured.delay, {})[measured.tool] = measured
    for delay, tools in by_delay.items():
        reference = median_ms(tools["checkdmarc"].seconds)
        for name, measured in tools.items():
            median = median_ms(measured.seconds)
            asked = statistics.median(measured.questions) if measured.questions else 0
            lines.append(
                f"| {delay * 1000:.0f} ms | {name} | {median:.0f} ms | {median / reference:.2f} "
                f"| {asked:.0f} | {len(measured.seconds)} | {measured.refused} |"
            )
    lines.append("")
    seen: set[str] = set()
    for measured in results:
        if measured.tool not in seen:
            seen.add(measured.tool)
            lines.append(f"- {measured.tool} reported: {measured.summary}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class FleetRow:
    """Both tools over the whole fleet at one delay."""

    delay: float
    size: int
    runs: dict[str, Run]
    questions: dict[str, int]
    audited: dict[str, int]


def _audited(tool: str, stdout: str) -> int:
    """How many domain results the tool printed."""
    if tool == "smtpdoctor":
        return sum(1 for line in stdout.splitlines() if '"report"' in line)
    try:
        result = json.loads(stdout)
    except ValueError:
        return 0
    return len(result) if isinstance(result, list) else 1


def measure_fleet(size: int, delays: Sequence[float]) -> list[FleetRow]:
    """``smtpdoctor scan --domains -c 10`` and checkdmarc's own many-domain mode over ``size``
    domains, once per delay (smtpdoctor first at even delays, checkdmarc first at odd)."""
    domains = bench_domains(size)
    rows: list[FleetRow] = []
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-bench-domain-") as scratch:
        guard = Path(scratch) / "guard.py"
        guard.write_text(GUARD)
        listing = Path(scratch) / "domains.txt"
        listing.write_text("\n".join(domains) + "\n")
        commands = tool_commands(guard, str(listing), fleet=True)
        with bench_dns(domains) as server:
            for number, delay in enumerate(delays):
                server.delay = delay
                runs: dict[str, Run] = {}
                questions: dict[str, int] = {}
                names = list(commands) if number % 2 == 0 else list(commands)[::-1]
                for name in names:
                    server.take_count()
                    runs[name] = timed(commands[name], timeout=COMMAND_TIMEOUT * 4)
                    questions[name] = server.take_count()
                audited = {name: _audited(name, run.stdout) for name, run in runs.items()}
                rows.append(FleetRow(delay, size, runs, questions, audited))
    return rows


def fleet_table(rows: Sequence[FleetRow]) -> str:
    """Total time, rate and questions per tool and delay."""
    lines = [
        "| delay per question | tool | total | domains/s | / checkdmarc | DNS questions "
        "| audited | refused |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        reference = row.runs["checkdmarc"].seconds
        for name in ("smtpdoctor", "checkdmarc"):
            run = row.runs[name]
            lines.append(
                f"| {row.delay * 1000:.0f} ms | {name} | {run.seconds:.1f} s "
                f"| {row.size / run.seconds:.1f} | {run.seconds / reference:.2f} "
                f"| {row.questions[name]} | {row.audited[name]}/{row.size} "
                f"| {run.stderr.count(GUARD_MARK)} |"
            )
    return "\n".join(lines)
