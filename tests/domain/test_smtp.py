"""The ``smtp`` domain check: each MX on its SMTP port through the ``check`` pipeline, then
the STARTTLS injection probe — real aiosmtpd servers and a loopback DNS server."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.domain import (
    DomainCheck,
    DomainContext,
    DomainDoctor,
    DomainReport,
    DomainRequest,
    Finding,
)
from smtpdoctor.domain.facts import PROBES
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.lab.scripted import ConversationServer, Peer
from smtpdoctor.model.domain import SectionResult
from smtpdoctor.model.results import Outcome, Status
from smtpdoctor.testing.smtpserver import SMTPTestServer

from tests.checks.checkkit import unresponsive_port
from tests.domain.domainkit import audit
from tests.targets.dnsserver import DNSServer

CHECKS = ("smtpdoctor.domain.checks.mx", "smtpdoctor.domain.checks.smtp")

ZONE = """
example.test.            MX   10 mx1.example.test.
mx1.example.test.        A    127.0.0.1
1.0.0.127.in-addr.arpa.  PTR  mx1.example.test.
"""

PROBED = Finding("probed.mx", Status.INFO, "What the smtp check put into the stash")


class ProbesSeen(DomainCheck):
    """Reads the probes after ``smtp``, as the ``dane`` check does."""

    id = "probed"
    title = "Probes in the stash"
    requires = ("smtp",)
    findings = (PROBED,)

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        probes = ctx.stash.get(PROBES) or ()
        return [
            PROBED.outcome(
                "seen",
                {
                    "hosts": tuple(probe.host for probe in probes),
                    "reported": tuple(str(probe.report is not None) for probe in probes),
                    "addresses": tuple(str(probe.address) for probe in probes),
                    "not_probed": tuple(probe.not_probed for probe in probes),
                    "starttls": tuple(str(probe.starttls) for probe in probes),
                    "certificate_valid": tuple(str(probe.certificate_valid) for probe in probes),
                    "certificate_problem": tuple(probe.certificate_problem for probe in probes),
                    "posture": tuple(
                        row.summary
                        for probe in probes
                        if probe.report is not None
                        and (row := probe.report.result("posture")) is not None
                    ),
                    "leaf": probes[0].peer_chain[0].hex()
                    if probes and probes[0].peer_chain
                    else "",
                },
            )
        ]


class ProbesPlugin:
    @hookimpl
    def smtpdoctor_register_domain_checks(self, register: Callable[[type], None]) -> None:
        register(ProbesSeen)


def _pki(
    ca: trustme.CA,
    *names: str,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> ThrowawayPKI:
    leaf = ca.issue_cert(*names, not_before=not_before, not_after=not_after)
    return ThrowawayPKI(
        ca_pem=ca.cert_pem.bytes().decode(),
        cert_pem=leaf.cert_chain_pems[0].bytes().decode(),
        key_pem=leaf.private_key_pem.bytes().decode(),
    )


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def mx_pki(ca: trustme.CA) -> ThrowawayPKI:
    """A certificate for mx1.example.test from a CA the audits trust."""
    return _pki(ca, "mx1.example.test")


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def mx_server(
    make_smtp_server: Callable[..., SMTPTestServer], mx_pki: ThrowawayPKI
) -> SMTPTestServer:
    """An MX as it should be: STARTTLS with a valid certificate for its name, no AUTH."""
    return make_smtp_server(
        pki=mx_pki, users={}, hostname="mx1.example.test", greeting="220 mx1.example.test ESMTP"
    )


@pytest.fixture
def conversation() -> Iterator[Callable[[Callable[[Peer], None]], ConversationServer]]:
    servers: list[ConversationServer] = []

    def start(talk: Callable[[Peer], None]) -> ConversationServer:
        server = ConversationServer(talk, grace=0.5)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def audit_smtp(
    port: int, ca_file: Path | None = None, *, zone: str = ZONE, **request: Any
) -> DomainReport:
    request.setdefault("helo_name", "probe.example.test")
    with DNSServer(zone) as dns_server:
        return audit(
            dns_server,
            "example.test",
            builtins=CHECKS,
            extra_plugins=[ProbesPlugin()],
            smtp_port=port,
            ca_file=ca_file,
            **request,
        )


def smtp_section(report: DomainReport) -> SectionResult:
    section = report.section("smtp")
    assert section is not None
    return section


def findings(report: DomainReport) -> list[str | None]:
    return [row.outcome.finding for row in smtp_section(report).rows]


def probes_of(report: DomainReport) -> dict[str, object]:
    row = report.row("probed.mx")
    assert row is not None
    return dict(row.outcome.details)


def free_port() -> int:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port: int = unused.getsockname()[1]
    return port


def test_an_mx_with_starttls_and_a_valid_certificate_passes_every_row(
    mx_server: SMTPTestServer, ca_file: Path
) -> None:
    report = audit_smtp(mx_server.port, ca_file)

    assert findings(report) == [
        "smtp.starttls",
        "smtp.certificate-valid",
        "smtp.starttls-injection-safe",
    ]
    assert smtp_section(report).status is Status.PASS
    starttls = smtp_section(report).rows[0]
    assert starttls.summary.startswith("mx1.example.test (127.0.0.1): STARTTLS: TLSv1.")
    assert starttls.outcome.details["port"] == mx_server.port
    assert "valid for mx1.example.test" in smtp_section(report).rows[1].summary


def test_each_probe_goes_into_the_stash_with_the_handshakes_certificate_chain(
    mx_server: SMTPTestServer, ca_file: Path, mx_pki: ThrowawayPKI
) -> None:
    report = audit_smtp(mx_server.port, ca_file)

    assert probes_of(report) == {
        "hosts": ("mx1.example.test",),
        "reported": ("True",),
        "addresses": ("127.0.0.1",),
        "not_probed": ("",),
        "starttls": ("True",),
        "certificate_valid": ("True",),
        "certificate_problem": ("",),
        "leaf": ssl.PEM_cert_to_DER_cert(mx_pki.cert_pem).hex(),
        "posture": ("no AUTH offered in clear",),
    }


def test_the_pipeline_and_the_injection_probe_each_use_a_connection_of_their_own(
    mx_server: SMTPTestServer, ca_file: Path
) -> None:
    audit_smtp(mx_server.port, ca_file)

    assert mx_server.connections == 2
    assert "AUTH" not in " ".join(mx_server.commands)
    assert mx_server.messages == []


def test_a_certificate_for_another_name_warns_that_senders_checking_the_name_refuse_it(
    make_smtp_server: Callable[..., SMTPTestServer], ca: trustme.CA, ca_file: Path
) -> None:
    server = make_smtp_server(pki=_pki(ca, "other.example.test"), users={})

    report = audit_smtp(server.port, ca_file)

    row = smtp_section(report).row("smtp.certificate-name-mismatch")
    assert row is not None and row.status is Status.WARN
    assert "not valid for mx1.example.test" in row.summary
    assert row.summary.endswith(
        "senders that check the name (MTA-STS enforce, DANE-TA) refuse it; opportunistic ones "
        "and DANE-EE (3 1 1) still deliver"
    )
    assert "RFC 7672 §3.1.1" in row.hints[0].steps[0]
    assert probes_of(report)["certificate_valid"] == ("False",)


def test_an_expired_certificate_warns(
    make_smtp_server: Callable[..., SMTPTestServer], ca: trustme.CA, ca_file: Path
) -> None:
    expired = datetime.now(UTC) - timedelta(days=2)
    server = make_smtp_server(pki=_pki(ca, "mx1.example.test", not_after=expired), users={})

    report = audit_smtp(server.port, ca_file)

    row = smtp_section(report).row("smtp.certificate-expired")
    assert row is not None and row.status is Status.WARN
    assert "senders that verify it (MTA-STS enforce, DANE-TA) refuse it" in row.summary
    assert smtp_section(report).row("smtp.starttls-injection-safe") is not None
    assert probes_of(report)["certificate_valid"] == ("False",)
    assert "expired" in str(probes_of(report)["certificate_problem"])


def test_a_certificate_not_valid_yet_warns_and_is_not_valid(
    make_smtp_server: Callable[..., SMTPTestServer], ca: trustme.CA, ca_file: Path
) -> None:
    future = datetime.now(UTC) + timedelta(days=2)
    server = make_smtp_server(pki=_pki(ca, "mx1.example.test", not_before=future), users={})

    report = audit_smtp(server.port, ca_file)

    row = smtp_section(report).row("smtp.certificate-not-yet-valid")
    assert row is not None and row.status is Status.WARN
    assert probes_of(report)["certificate_valid"] == ("False",)


def test_a_certificate_that_expires_soon_is_still_valid_and_says_so(
    make_smtp_server: Callable[..., SMTPTestServer], ca: trustme.CA, ca_file: Path
) -> None:
    soon = datetime.now(UTC) + timedelta(days=5)
    server = make_smtp_server(pki=_pki(ca, "mx1.example.test", not_after=soon), users={})

    report = audit_smtp(server.port, ca_file)

    row = smtp_section(report).row("smtp.certificate-expires-soon")
    assert row is not None and row.status is Status.WARN
    assert row.summary.endswith("still valid: every sender delivers until it expires")
    assert probes_of(report)["certificate_valid"] == ("True",)
    assert probes_of(report)["certificate_problem"] == ("",)


def test_a_certificate_from_an_unknown_ca_warns(mx_server: SMTPTestServer) -> None:
    report = audit_smtp(mx_server.port)  # the test CA is not trusted

    row = smtp_section(report).row("smtp.certificate-untrusted")
    assert row is not None and row.status is Status.WARN
    assert "DANE senders accept it only if a TLSA record matches" in row.summary
    assert "DANE senders accept it when a TLSA record matches it" in row.hints[0].steps[0]
    assert probes_of(report)["certificate_valid"] == ("False",)


def test_an_mx_without_starttls_fails_and_is_not_probed_for_injection(
    make_smtp_server: Callable[..., SMTPTestServer],
) -> None:
    server = make_smtp_server(users={}, tls="none")

    report = audit_smtp(server.port)

    assert findings(report) == ["smtp.no-starttls"]
    summary = smtp_section(report).rows[0].summary
    assert "does not offer STARTTLS: mail to it crosses the network in clear" in summary
    assert "password" not in summary  # no login on port 25: only the mail is at stake
    assert server.connections == 1
    assert probes_of(report)["leaf"] == ""
    assert probes_of(report)["starttls"] == ("False",)
    assert probes_of(report)["certificate_valid"] == ("None",)


def test_an_mx_nothing_listens_on_is_unreachable_and_the_hint_mentions_blocked_port_25() -> None:
    report = audit_smtp(free_port())

    assert findings(report) == ["smtp.unreachable"]
    row = smtp_section(report).rows[0]
    assert row.status is Status.FAIL
    assert "refused" in row.summary
    assert any("--no-smtp" in step for step in row.hints[0].steps)


def test_when_every_mx_times_out_one_row_warns_that_the_port_looks_blocked_here() -> None:
    zone = ZONE + "example.test. MX 20 mx2.example.test.\nmx2.example.test. A 127.0.0.1\n"
    with unresponsive_port() as port:
        report = audit_smtp(port, zone=zone, timeout=0.5)

    assert findings(report) == ["smtp.port-blocked-here"]
    assert smtp_section(report).status is Status.WARN
    row = smtp_section(report).rows[0]
    assert "mx1.example.test, mx2.example.test" in row.summary
    assert "looks blocked or intercepted on this machine's side" in row.summary
    assert probes_of(report)["starttls"] == ("None", "None")


def test_when_every_mx_connects_but_never_greets_one_row_warns_of_interception_here(
    conversation: Callable[[Callable[[Peer], None]], ConversationServer],
) -> None:
    zone = ZONE + "example.test. MX 20 mx2.example.test.\nmx2.example.test. A 127.0.0.1\n"
    server = conversation(lambda peer: peer.stay_silent())

    report = audit_smtp(server.port, zone=zone, timeout=0.5)

    assert findings(report) == ["smtp.port-blocked-here"]
    assert smtp_section(report).status is Status.WARN
    assert "nothing ever greeted" in smtp_section(report).rows[0].summary


def test_an_mx_that_stays_silent_while_another_refuses_is_a_failure_of_each_mx(
    conversation: Callable[[Callable[[Peer], None]], ConversationServer],
) -> None:
    silent = conversation(lambda peer: peer.stay_silent())
    # mx2 at 127.0.0.2, where nothing listens on the silent server's port: refused at once
    zone = ZONE + "example.test. MX 20 mx2.example.test.\nmx2.example.test. A 127.0.0.2\n"

    report = audit_smtp(silent.port, zone=zone, timeout=0.5)

    assert findings(report) == ["smtp.session-failed", "smtp.unreachable"]
    assert silent.connections == 1


def test_a_certificate_for_the_alias_target_of_a_cname_mx_says_dane_ta_accepts_it(
    mx_server: SMTPTestServer, ca_file: Path
) -> None:
    zone = """
example.test.            MX     10 mail.example.test.
mail.example.test.       CNAME  mx1.example.test.
mx1.example.test.        A      127.0.0.1
"""
    report = audit_smtp(mx_server.port, ca_file, zone=zone)

    row = smtp_section(report).row("smtp.certificate-name-mismatch")
    assert row is not None
    assert "it matches the alias target mx1.example.test" in row.summary
    assert "DANE-TA senders accept" in row.summary
    assert "MTA-STS enforce senders match the name in the MX record and refuse it" in row.summary
    assert row.outcome.details["alias_target"] == "mx1.example.test"


def test_an_mx_is_not_probed_with_less_than_a_second_left_and_the_row_says_so_plainly(
    mx_server: SMTPTestServer,
) -> None:
    report = audit_smtp(mx_server.port, deadline=0.5)

    row = smtp_section(report).rows[0]
    assert row.outcome.finding == "smtp.not-probed"
    assert row.summary == (
        "mx1.example.test not probed: less than 1 s was left of the audit's 0.5 s (--deadline)"
    )
    assert mx_server.connections == 0


def test_an_mx_that_refuses_pipelined_starttls_still_gives_dane_its_chain(
    conversation: Callable[[Callable[[Peer], None]], ConversationServer],
    mx_pki: ThrowawayPKI,
    ca_file: Path,
) -> None:
    def exim_like(peer: Peer) -> None:
        peer.send(b"220 mx1.example.test ESMTP\r\n")
        peer.expect("EHLO")
        peer.send(b"250-mx1.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        peer.expect("STARTTLS")
        if peer.index == 1:  # the injection probe: refuse the pipelined NOOP, as Exim does
            peer.send(b"554 Security failure\r\n")
            peer.close()
        peer.send(b"220 2.0.0 Ready to start TLS\r\n")
        peer.start_tls(mx_pki.server_context())
        while True:
            verb = peer.read_line().split(" ", 1)[0].upper()
            if verb == "QUIT":
                peer.send(b"221 2.0.0 Bye\r\n")
                peer.close()
            peer.send(b"250 mx1.example.test\r\n")

    server = conversation(exim_like)

    report = audit_smtp(server.port, ca_file)

    assert smtp_section(report).row("smtp.starttls-injection-safe") is not None
    assert probes_of(report)["leaf"] == ssl.PEM_cert_to_DER_cert(mx_pki.cert_pem).hex()
    assert server.connections == 3  # the pipeline, the injection probe, the clean handshake


def test_no_smtp_probes_nothing_and_says_so(mx_server: SMTPTestServer) -> None:
    report = audit_smtp(mx_server.port, smtp=False)

    assert findings(report) == ["smtp.not-probed"]
    assert "--no-smtp" in smtp_section(report).rows[0].summary
    assert mx_server.connections == 0
    assert probes_of(report)["not_probed"] == ("--no-smtp",)


def test_a_null_mx_leaves_nothing_to_probe_and_says_the_domain_takes_no_mail() -> None:
    report = audit_smtp(free_port(), zone="example.test. MX 0 .\n")

    assert findings(report) == ["smtp.null-mx"]
    assert smtp_section(report).status is Status.INFO
    assert smtp_section(report).rows[0].summary == (
        "not applicable: the domain accepts no mail (null MX)"
    )


def test_a_domain_that_does_not_exist_gets_one_skip_row_instead_of_probes() -> None:
    report = audit_smtp(free_port(), zone="other.test. A 127.0.0.1\n")

    assert findings(report) == ["smtp.not-applicable"]
    row = smtp_section(report).rows[0]
    assert row.status is Status.SKIP
    assert row.summary == "not checked: example.test does not exist (NXDOMAIN)"


def test_a_failed_mx_look_up_is_said_to_leave_the_mx_set_unknown_not_to_have_no_mx() -> None:
    with DNSServer(ZONE, servfail_types={("example.test.", "MX")}) as dns_server:
        report = audit(dns_server, "example.test", builtins=CHECKS, smtp_port=free_port())

    assert findings(report) == ["smtp.mx-unknown"]
    summary = smtp_section(report).rows[0].summary
    assert "the MX set is unknown: its look-up failed" in summary
    assert "no MX host" not in summary


def test_a_disabled_mx_check_is_said_to_leave_the_mx_set_unknown() -> None:
    with DNSServer(ZONE) as dns_server:
        doctor = DomainDoctor(
            PluginSelection(autoload=False, disabled=frozenset({"mx"})), builtins=CHECKS
        )
        report = doctor.run(
            DomainRequest(
                "example.test", dns_servers=(dns_server.name_server,), smtp_port=free_port()
            )
        )

    assert findings(report) == ["smtp.mx-unknown"]
    assert smtp_section(report).rows[0].summary == (
        "nothing probed on port 25: the MX set is unknown: the mx check did not run (disabled)"
    )


def _audit_disabling(check_id: str, port: int, ca_file: Path) -> DomainReport:
    with DNSServer(ZONE) as dns_server:
        doctor = DomainDoctor(
            PluginSelection(autoload=False, disabled=frozenset({check_id})),
            builtins=CHECKS,
            extra_plugins=[ProbesPlugin()],
        )
        return doctor.run(
            DomainRequest(
                "example.test",
                dns_servers=(dns_server.name_server,),
                timeout=2.0,
                smtp_port=port,
                ca_file=ca_file,
                helo_name="probe.example.test",
            )
        )


def test_disable_tls_is_said_to_have_turned_starttls_off_not_reported_as_a_broken_mx(
    mx_server: SMTPTestServer, ca_file: Path
) -> None:
    report = _audit_disabling("tls", mx_server.port, ca_file)

    assert findings(report) == ["smtp.step-disabled"]
    row = smtp_section(report).rows[0]
    assert row.status is Status.INFO
    assert row.summary == (
        "mx1.example.test (127.0.0.1): --disable tls: STARTTLS, the certificate and STARTTLS "
        "injection not checked"
    )
    assert probes_of(report)["starttls"] == ("None",)
    assert probes_of(report)["certificate_problem"] == ("STARTTLS was not tried (--disable tls)",)


def test_disable_certificate_keeps_the_starttls_rows_and_says_the_certificate_is_unchecked(
    mx_server: SMTPTestServer, ca_file: Path
) -> None:
    report = _audit_disabling("certificate", mx_server.port, ca_file)

    assert findings(report) == [
        "smtp.starttls",
        "smtp.step-disabled",
        "smtp.starttls-injection-safe",
    ]
    assert probes_of(report)["certificate_valid"] == ("None",)


def test_an_mx_host_without_an_address_is_not_probed_and_the_others_are(
    mx_server: SMTPTestServer, ca_file: Path
) -> None:
    zone = ZONE + "example.test. MX 20 gone.example.test.\n"

    report = audit_smtp(mx_server.port, ca_file, zone=zone)

    assert findings(report)[:3] == [
        "smtp.starttls",
        "smtp.certificate-valid",
        "smtp.starttls-injection-safe",
    ]
    row = smtp_section(report).rows[3]
    assert row.outcome.finding == "smtp.not-probed"
    assert (
        row.summary == "gone.example.test not probed: it has no address (no such name (NXDOMAIN))"
    )


def test_an_mx_that_answers_injected_commands_inside_tls_fails(
    conversation: Callable[[Callable[[Peer], None]], ConversationServer],
    mx_pki: ThrowawayPKI,
    ca_file: Path,
) -> None:
    def vulnerable_mx(peer: Peer) -> None:
        peer.send(b"220 mx1.example.test ESMTP\r\n")
        peer.expect("EHLO")
        peer.send(b"250-mx1.example.test\r\n250 STARTTLS\r\n")
        peer.expect("STARTTLS")
        injected = peer.index == 1  # the pipeline connects first, the injection probe second
        if injected:
            peer.expect("NOOP")  # read ahead in clear and kept across the handshake
        peer.send(b"220 2.0.0 Ready to start TLS\r\n")
        peer.start_tls(mx_pki.server_context())
        if injected:
            peer.send(b"250 2.0.0 Ok\r\n")
        while True:
            verb = peer.read_line().split(" ", 1)[0].upper()
            if verb == "QUIT":
                peer.send(b"221 2.0.0 Bye\r\n")
                peer.close()
            peer.send(b"250 mx1.example.test\r\n")

    server = conversation(vulnerable_mx)

    report = audit_smtp(server.port, ca_file)

    row = smtp_section(report).row("smtp.starttls-injection")
    assert row is not None and row.status is Status.FAIL
    assert row.outcome.details["reply"] == "250 2.0.0 Ok"
    assert "CVE-2011-0411" in " ".join(row.hints[0].steps)


def test_an_implicit_mx_that_is_a_providers_mail_domain_is_not_probed_in_its_place() -> None:
    with DNSServer("gmail.com. A 127.0.0.1\n") as dns_server:
        report = audit(dns_server, "gmail.com", builtins=CHECKS, smtp_port=free_port())

    assert findings(report) == ["smtp.not-probed"]
    assert "a provider's mail domain" in smtp_section(report).rows[0].summary


def test_when_the_session_stops_before_starttls_the_reason_is_the_step_that_stopped_it(
    conversation: Callable[[Callable[[Peer], None]], ConversationServer],
) -> None:
    def odd_greeting_then_no_ehlo(peer: Peer) -> None:
        peer.send(b"230 mx1.example.test hello\r\n")  # a warning, and the session goes on
        while True:
            verb = peer.read_line().split(" ", 1)[0].upper()
            if verb == "QUIT":
                peer.send(b"221 2.0.0 Bye\r\n")
                peer.close()
            peer.send(b"502 5.5.1 Command not recognized\r\n")

    server = conversation(odd_greeting_then_no_ehlo)

    report = audit_smtp(server.port)

    assert findings(report) == ["smtp.session-failed"]
    problem = str(probes_of(report)["certificate_problem"])
    assert "the probe did not get to STARTTLS (ehlo: " in problem
    assert "greeting" not in problem
    assert probes_of(report)["starttls"] == ("None",)


def test_an_mx_host_whose_address_look_up_failed_is_not_said_to_have_no_address() -> None:
    zone = ZONE + "example.test. MX 20 mx2.example.test.\nmx2.example.test. A 127.0.0.2\n"
    with DNSServer(zone, servfail={"mx2.example.test."}) as dns_server:
        report = audit(
            dns_server,
            "example.test",
            builtins=CHECKS,
            extra_plugins=[ProbesPlugin()],
            smtp_port=free_port(),
        )

    row = smtp_section(report).rows[-1]
    assert row.outcome.finding == "smtp.not-probed"
    assert row.summary.startswith("mx2.example.test not probed: its address look-up failed (")
    assert "has no address" not in row.summary


def test_a_pipeline_check_disable_names_is_skipped_in_the_probes(
    mx_server: SMTPTestServer, ca_file: Path
) -> None:
    report = audit_smtp(mx_server.port, ca_file, disabled=frozenset({"posture"}))

    assert probes_of(report)["posture"] == ("disabled (--disable)",)
