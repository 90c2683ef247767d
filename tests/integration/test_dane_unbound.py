"""DANE with real DNSSEC: zones signed by ldns-signzone, validated by a real unbound.

At test time: an aiosmtpd STARTTLS server on a random loopback port presents a throwaway
certificate; three zones publish an MX (``mx.<zone>``, 127.0.0.1) and a ``3 1 1`` TLSA
record of that certificate at ``_PORT._tcp.mx.<zone>``:

* ``example.test`` — signed (ldns-keygen, ldns-signzone), its DS a trust anchor of unbound;
* ``bogus.test`` — signed the same way, then its TLSA record changed after signing, so the
  signature no longer verifies (unbound: SERVFAIL);
* ``alias.test`` — signed, but its MX host is an alias (CNAME) of ``mx.example.test`` and
  has no TLSA record of its own: DANE senders find the records at the expanded name;
* ``plain.test`` — not signed, no trust anchor (unbound: an answer without the AD bit), so
  DANE does not apply to its MX host.

unbound runs as a subprocess on 127.0.0.1 and a random port, from its own configuration in
a temporary directory: the zones as ``auth-zone:`` (``for-upstream: yes``, so the validator
checks them as it checks answers from the Internet), ``module-config: "validator
iterator"``, and it never asks anyone else (``do-not-query-address`` covers every address:
no traffic leaves the machine).  ``smtpdoctor domain`` then runs its ``mx``, ``smtp`` and
``dane`` checks with ``--dns-server`` pointing at it.

Needs the Debian packages ``unbound`` and ``ldnsutils`` (``integration/dnssec.sh install``);
run with ``make integration``; skipped unless ``SMTPDOCTOR_INTEGRATION=1``.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.domain import DomainDoctor, DomainReport, DomainRequest
from smtpdoctor.domain.tlsa import record_for
from smtpdoctor.lab.pki import ThrowawayPKI, make_pki
from smtpdoctor.model.results import CheckResult, Status
from smtpdoctor.settings.config import NameServer
from smtpdoctor.testing.smtpserver import SMTPTestServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("SMTPDOCTOR_INTEGRATION") != "1",
        reason="needs unbound and ldnsutils (integration/dnssec.sh install): run make integration",
    ),
]

SIGNED = "example.test"
BOGUS = "bogus.test"
PLAIN = "plain.test"
ALIAS = "alias.test"
ZONES = (SIGNED, BOGUS, PLAIN, ALIAS)
#: How long unbound may take to answer its first question.
START_TIMEOUT = 15.0


@dataclass(frozen=True)
class Resolver:
    """The running unbound and what it serves."""

    address: str
    port: int
    smtp_port: int
    workdir: Path

    @property
    def name_server(self) -> NameServer:
        return NameServer(self.address, self.port)

    def ask(self, name: str, rdtype: str, timeout: float = 5.0) -> dns.message.Message:
        """One question with the DO and AD bits, as smtpdoctor asks it."""
        query = dns.message.make_query(name, rdtype, want_dnssec=True)
        query.flags |= dns.flags.AD
        return dns.query.udp(query, self.address, port=self.port, timeout=timeout)


def free_port() -> int:
    """A port nothing listens on now, over UDP and over TCP (unbound binds both)."""
    while True:
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
        ):
            udp.bind(("127.0.0.1", 0))
            port: int = udp.getsockname()[1]
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def run(*command: str, cwd: Path) -> str:
    """Run a tool, its output as text; a failure shows its stderr."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed: {done.stderr or done.stdout}"
    return done.stdout


def zone_text(zone: str, smtp_port: int, tlsa: str) -> str:
    mx_host = (
        (f"mx IN CNAME mx.{SIGNED}.",)
        if zone == ALIAS
        else ("mx IN A 127.0.0.1", f"_{smtp_port}._tcp.mx IN TLSA {tlsa}")
    )
    return "\n".join(
        (
            f"$ORIGIN {zone}.",
            "$TTL 300",
            f"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 300",
            f"@ IN NS ns.{zone}.",
            "ns IN A 127.0.0.1",
            f"@ IN MX 10 mx.{zone}.",
            *mx_host,
            "",
        )
    )


def sign(zone: str, workdir: Path) -> tuple[Path, Path]:
    """Sign ``zone`` with a new ECDSA P-256 key (one key, KSK flag: a combined signing key):
    the signed zone file and the DS record file (the trust anchor)."""
    key = run("ldns-keygen", "-a", "ECDSAP256SHA256", "-k", zone, cwd=workdir).strip()
    signed = workdir / f"{zone}.signed"
    run("ldns-signzone", "-f", str(signed), str(workdir / f"{zone}.zone"), key, cwd=workdir)
    return signed, workdir / f"{key}.ds"


def tamper(signed: Path, smtp_port: int) -> None:
    """Change the TLSA record's data after signing: its RRSIG no longer verifies."""
    text = signed.read_text()
    owner = re.escape(f"_{smtp_port}._tcp.mx.{BOGUS}.")
    changed, count = re.subn(
        rf"^({owner}\s+\d+\s+IN\s+TLSA\s+3 1 1 )([0-9a-f]{{64}})$",
        lambda match: match.group(1) + "00" * 32,
        text,
        flags=re.MULTILINE,
    )
    assert count == 1, f"no TLSA line to tamper with in {signed}"
    signed.write_text(changed)


def unbound_config(
    workdir: Path, port: int, anchors: list[Path], zonefiles: dict[str, Path]
) -> str:
    lines = [
        "server:",
        "    interface: 127.0.0.1",
        f"    port: {port}",
        "    do-daemonize: no",
        '    username: ""',
        '    chroot: ""',
        f'    directory: "{workdir}"',
        '    pidfile: ""',
        "    use-syslog: no",
        f'    logfile: "{workdir}/unbound.log"',
        "    verbosity: 1",
        "    val-log-level: 2",
        "    do-ip6: no",
        "    access-control: 127.0.0.0/8 allow",
        '    module-config: "validator iterator"',
        # .test is special-use (RFC 6761): unbound answers it itself unless told not to.
        '    local-zone: "test." nodefault',
        "    do-not-query-localhost: no",
        # Never ask anyone: every answer comes from the auth-zones below.
        "    do-not-query-address: 0.0.0.0/0",
        "    trust-anchor-signaling: no",
        "    root-key-sentinel: no",
        *(f'    trust-anchor-file: "{anchor}"' for anchor in anchors),
    ]
    for zone, zonefile in zonefiles.items():
        lines += [
            "auth-zone:",
            f'    name: "{zone}"',
            f'    zonefile: "{zonefile}"',
            "    for-downstream: no",
            "    for-upstream: yes",
            "    fallback-enabled: no",
        ]
    lines += ["remote-control:", "    control-enable: no", ""]
    return "\n".join(lines)


def wait_until_answering(resolver: Resolver, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert process.poll() is None, f"unbound exited ({process.returncode}): " + (
            resolver.workdir / "unbound.log"
        ).read_text(errors="replace")
        try:
            resolver.ask(f"{SIGNED}.", "SOA", timeout=0.2)
        except (OSError, dns.exception.Timeout):
            assert time.monotonic() < deadline, f"unbound did not answer in {START_TIMEOUT} s"
            time.sleep(0.1)
        else:
            return


@pytest.fixture(scope="module")
def pki() -> ThrowawayPKI:
    """A throwaway CA and a certificate naming every MX host."""
    return make_pki(hostnames=tuple(f"mx.{zone}" for zone in ZONES))


@pytest.fixture(scope="module")
def mail_server(pki: ThrowawayPKI) -> Iterator[SMTPTestServer]:
    """An MX on a random loopback port, offering STARTTLS with ``pki``'s certificate."""
    server = SMTPTestServer(pki=pki)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def resolver(
    pki: ThrowawayPKI, mail_server: SMTPTestServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Resolver]:
    """unbound validating the three zones, on 127.0.0.1 and a random port."""
    workdir = tmp_path_factory.mktemp("unbound")
    tlsa = record_for(ssl.PEM_cert_to_DER_cert(pki.cert_pem)).text
    anchors: list[Path] = []
    zonefiles: dict[str, Path] = {}
    for zone in ZONES:
        (workdir / f"{zone}.zone").write_text(zone_text(zone, mail_server.port, tlsa))
    for zone in (SIGNED, BOGUS, ALIAS):
        zonefiles[zone], anchor = sign(zone, workdir)
        anchors.append(anchor)
    tamper(zonefiles[BOGUS], mail_server.port)
    zonefiles[PLAIN] = workdir / f"{PLAIN}.zone"
    port = free_port()
    config = workdir / "unbound.conf"
    config.write_text(unbound_config(workdir, port, anchors, zonefiles))
    run("unbound-checkconf", str(config), cwd=workdir)
    resolver = Resolver("127.0.0.1", port, mail_server.port, workdir)
    process = subprocess.Popen(
        ["unbound", "-d", "-c", str(config)],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_answering(resolver, process)
        yield resolver
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def audit(resolver: Resolver, domain: str) -> DomainReport:
    """``smtpdoctor domain DOMAIN --dns-server 127.0.0.1:PORT`` with the MX on its port."""
    doctor = DomainDoctor(
        PluginSelection(autoload=False),
        builtins=(
            "smtpdoctor.domain.checks.mx",
            "smtpdoctor.domain.checks.smtp",
            "smtpdoctor.domain.checks.dane",
        ),
    )
    return doctor.run(
        DomainRequest(
            domain,
            dns_servers=(resolver.name_server,),
            smtp_port=resolver.smtp_port,
            timeout=5.0,
            deadline=60.0,
        )
    )


def dane_rows(report: DomainReport) -> list[CheckResult]:
    section = report.section("dane")
    assert section is not None, [s.check_id for s in report.sections]
    return list(section.rows)


def test_unbound_validates_the_signed_zone_and_rejects_the_tampered_one(
    resolver: Resolver,
) -> None:
    tlsa_name = f"_{resolver.smtp_port}._tcp.mx"

    signed = resolver.ask(f"{tlsa_name}.{SIGNED}.", "TLSA")
    bogus = resolver.ask(f"{tlsa_name}.{BOGUS}.", "TLSA")
    plain = resolver.ask(f"{tlsa_name}.{PLAIN}.", "TLSA")

    assert signed.rcode() == dns.rcode.NOERROR and signed.flags & dns.flags.AD
    assert bogus.rcode() == dns.rcode.SERVFAIL
    assert plain.rcode() == dns.rcode.NOERROR and not plain.flags & dns.flags.AD


def test_a_signed_tlsa_record_matching_the_mx_certificate_passes(resolver: Resolver) -> None:
    report = audit(resolver, SIGNED)

    match = dane_rows(report)[0]
    assert match.outcome.finding == "dane.match", match.summary
    assert match.status is Status.PASS
    assert match.outcome.details["tlsa_authenticated"] is True
    assert match.outcome.details["address_authenticated"] is True
    assert f"{resolver.address}:{resolver.port} validated it (AD bit)" in match.summary


def test_a_tlsa_record_changed_after_signing_is_bogus_and_fails(resolver: Resolver) -> None:
    report = audit(resolver, BOGUS)

    (row,) = dane_rows(report)
    assert row.outcome.finding == "dane.bogus", row.summary
    assert row.status is Status.FAIL
    assert "SERVFAIL" in row.summary


def test_in_an_unsigned_zone_dane_does_not_apply_and_the_records_are_only_mentioned(
    resolver: Resolver,
) -> None:
    report = audit(resolver, PLAIN)

    (row,) = dane_rows(report)
    assert row.outcome.finding == "dane.unsigned-host", row.summary
    assert row.status is Status.INFO
    assert row.outcome.details["address_authenticated"] is False
    assert row.outcome.details["tlsa_authenticated"] is False
    assert "would match the certificate it presents" in row.summary


def test_for_an_aliased_mx_host_the_records_at_the_expanded_name_are_matched(
    resolver: Resolver,
) -> None:
    report = audit(resolver, ALIAS)

    match = dane_rows(report)[0]
    assert match.outcome.finding == "dane.match", match.summary
    assert match.outcome.details["canonical_name"] == f"mx.{SIGNED}"
    assert match.outcome.details["tlsa_name"] == f"_{resolver.smtp_port}._tcp.mx.{SIGNED}"
