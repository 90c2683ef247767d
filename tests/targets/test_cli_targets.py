"""``smtpdoctor check`` with the targets people type: an address, a mail domain, no port.

Every name is answered by a DNS server on 127.0.0.1 given with ``--dns-server`` (which also
answers the address connected to), every server is a real aiosmtpd server on loopback."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import ThrowawayPKI, make_pki

from tests.loopback import closed_port
from tests.targets.dnsserver import DNSServer
from tests.targets.targetkit import PASSWORD

MakeServer = Callable[..., LocalSMTPServer]
HANG_GUARD = 60
ADDRESS = "alice@corp.test"


@pytest.fixture(scope="module")
def corp_pki() -> ThrowawayPKI:
    """A certificate for the names the test DNS hands out."""
    return make_pki(hostnames=["smtp.corp.test", "mail.guess.test", "smtp.hoster.test"])


@pytest.fixture
def ca_file(corp_pki: ThrowawayPKI, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(corp_pki.ca_pem)
    return path


@pytest.fixture
def corp_server(make_server: MakeServer, corp_pki: ThrowawayPKI) -> LocalSMTPServer:
    return make_server(pki=corp_pki, users={ADDRESS: PASSWORD}, hostname="smtp.corp.test")


@pytest.fixture
def dns_for(corp_server: LocalSMTPServer) -> Iterator[Callable[..., DNSServer]]:
    """Start the test DNS server; the zone may use {port}, the corp server's port."""
    servers: list[DNSServer] = []

    def start(zone: str) -> DNSServer:
        server = DNSServer(zone.format(port=corp_server.port))
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def checks_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in document["checks"]}


@pytest.mark.timeout(HANG_GUARD)
def test_an_address_is_checked_on_the_server_its_domain_publishes_and_logs_in_as_itself(
    dns_for: Callable[..., DNSServer],
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dns_server = dns_for(
        """
        corp.test.                  MX   10 mx.hoster.test.
        _submission._tcp.corp.test. SRV  0 1 {port} smtp.corp.test.
        smtp.corp.test.             A    127.0.0.1
        """
    )
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)

    main(
        [
            "check",
            ADDRESS,
            "--dns-server",
            dns_server.address,
            "--ca-file",
            str(ca_file),
            "-f",
            "json",
        ]
    )

    document = json.loads(capsys.readouterr().out)
    checks = checks_of(document)
    assert document["target"]["host"] == "smtp.corp.test"
    assert document["checks"][0]["id"] == "target"
    assert checks["target"]["status"] == "info"
    assert checks["target"]["details"]["source"] == "SRV"
    assert checks["target"]["details"]["username"] == ADDRESS
    assert checks["tcp"]["status"] == "pass"
    assert checks["certificate"]["status"] == "pass"
    assert checks["auth"]["status"] == "pass"
    assert checks["auth"]["summary"].startswith(f"logged in as {ADDRESS}")
    assert "ports" not in checks  # the SRV record gave the port


@pytest.mark.timeout(HANG_GUARD)
def test_no_password_goes_to_a_host_outside_the_domain_that_dns_pointed_to(
    dns_for: Callable[..., DNSServer],
    corp_server: LocalSMTPServer,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dns_server = dns_for(
        """
        corp.test.                  MX   10 mx.hoster.test.
        _submission._tcp.corp.test. SRV  0 1 {port} smtp.hoster.test.
        smtp.hoster.test.           A    127.0.0.1
        """
    )
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)

    main(
        [
            "check",
            ADDRESS,
            "--dns-server",
            dns_server.address,
            "--ca-file",
            str(ca_file),
            "-f",
            "json",
        ]
    )

    checks = checks_of(json.loads(capsys.readouterr().out))
    assert checks["tcp"]["status"] == "pass"
    assert (
        "no login is tried: smtp.hoster.test lies outside corp.test" in checks["target"]["summary"]
    )
    assert corp_server.auth_attempts == []


@pytest.mark.timeout(HANG_GUARD)
def test_a_token_command_is_not_run_for_a_host_outside_the_domain(
    dns_for: Callable[..., DNSServer],
    corp_server: LocalSMTPServer,
    ca_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--user with an OAuth token is no usage error there: the check runs, without a login,
    and the token is not even fetched."""
    dns_server = dns_for(
        """
        corp.test.                  MX   10 mx.hoster.test.
        _submission._tcp.corp.test. SRV  0 1 {port} smtp.hoster.test.
        smtp.hoster.test.           A    127.0.0.1
        """
    )
    ran = tmp_path / "token-command-ran"
    helper = f"open({str(ran)!r}, 'w').close(); print('ya29.token')"

    code = main(
        [
            "check",
            ADDRESS,
            "--user",
            ADDRESS,
            "--oauth-token-command",
            shlex.join([sys.executable, "-c", helper]),
            "--dns-server",
            dns_server.address,
            "--ca-file",
            str(ca_file),
            "-f",
            "json",
        ]
    )

    checks = checks_of(json.loads(capsys.readouterr().out))
    assert code != 3
    assert "no login is tried" in checks["target"]["summary"]
    assert not ran.exists()
    assert corp_server.auth_attempts == []


@pytest.mark.timeout(HANG_GUARD)
def test_a_domain_without_port_is_probed_and_checked_on_the_best_port(
    dns_for: Callable[..., DNSServer],
    make_server: MakeServer,
    corp_server: LocalSMTPServer,
    corp_pki: ThrowawayPKI,
    ca_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    submissions = make_server(tls="implicit", pki=corp_pki)
    dns_server = dns_for(
        """
        guess.test.       MX   10 mx.hoster.test.
        mail.guess.test.  A    127.0.0.1
        """
    )

    code = main(
        [
            "check",
            "guess.test",
            "--dns-server",
            dns_server.address,
            "--ca-file",
            str(ca_file),
            "--probe-port",
            str(corp_server.port),
            "--probe-port",
            f"{submissions.port}/implicit",
            "--probe-port",
            str(closed_port()),
        ]
    )

    out = capsys.readouterr().out
    ports_row = " ".join(out[out.index("\nports ") : out.index("\ntcp ")].split())
    assert code != 2
    assert f"mail.guess.test port {submissions.port} (implicit)" in out
    assert "guess.test is a mail domain, not a server → mail.guess.test" in " ".join(out.split())
    assert (
        f"{corp_server.port} STARTTLS: works; {submissions.port} implicit TLS: works" in ports_row
    )
    assert "STARTTLS: refused" in ports_row
    assert f"Using {submissions.port} implicit TLS" in ports_row


@pytest.mark.timeout(HANG_GUARD)
def test_an_address_at_a_provider_goes_to_its_server_through_the_given_dns_only(
    dns_for: Callable[..., DNSServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The provider's host name is answered by the test DNS with a loopback address, so the
    # run never leaves this machine (whatever listens on 127.0.0.1:465, if anything).
    dns_server = dns_for("smtp.gmail.com. A 127.0.0.1")
    monkeypatch.delenv("SMTPDOCTOR_PASSWORD", raising=False)
    monkeypatch.delenv("SMTPDOCTOR_OAUTH_TOKEN", raising=False)

    main(
        [
            "check",
            "alice@gmail.com",
            "--dns-server",
            dns_server.address,
            "--timeout",
            "2",
            "--format",
            "json",
        ]
    )

    document = json.loads(capsys.readouterr().out)
    target = checks_of(document)["target"]
    assert document["target"] == {"host": "smtp.gmail.com", "port": 465, "tls_mode": "implicit"}
    assert target["summary"] == (
        "alice@gmail.com → smtp.gmail.com:465 with implicit TLS: the submission server of "
        "Gmail / Google Workspace (source: provider table); user name: alice@gmail.com (the "
        "full address) — no password given, so no login is tried"
    )
    assert target["hints"][0]["title"] == "Gmail / Google Workspace: how to log in"
    assert ("smtp.gmail.com.", "A") in dns_server.questions


@pytest.mark.timeout(HANG_GUARD)
def test_an_address_at_an_unknown_domain_exits_2_and_says_what_was_looked_up(
    dns_for: Callable[..., DNSServer], capsys: pytest.CaptureFixture[str]
) -> None:
    # The resolver works (it knows the root servers' names): the name, not DNS, is at fault.
    dns_server = dns_for("other.test. A 127.0.0.1\na.root-servers.net. A 198.41.0.4")

    code = main(["check", "bob@nowhere.test", "--dns-server", dns_server.address, "-f", "json"])

    document = json.loads(capsys.readouterr().out)
    checks = checks_of(document)
    assert code == 2
    assert checks["target"]["status"] == "warn"
    assert checks["target"]["finding"] == "target.not-found"
    assert "MX nowhere.test: no such name (NXDOMAIN)" in checks["target"]["details"]["lookups"]
    assert checks["tcp"]["finding"] == "tcp.dns-nxdomain"


@pytest.mark.timeout(HANG_GUARD)
def test_a_domain_with_a_null_mx_is_checked_and_said_to_accept_no_mail(
    dns_for: Callable[..., DNSServer], capsys: pytest.CaptureFixture[str]
) -> None:
    dns_server = dns_for("nomail.test. MX 0 .\na.root-servers.net. A 198.41.0.4")

    code = main(["check", "nomail.test", "--dns-server", dns_server.address, "-f", "json"])

    captured = capsys.readouterr()
    checks = checks_of(json.loads(captured.out))
    assert code == 2  # the domain has no server to check: tcp fails, nothing could not run
    assert "is not a host name" not in captured.err
    target = checks["target"]
    assert target["details"]["null_mx"] is True
    assert target["details"]["host"] == "nomail.test"
    said = "nomail.test publishes a null MX (MX 0 .): by RFC 7505 it accepts no mail"
    assert said in target["summary"]
    assert checks["tcp"]["finding"] == "tcp.dns-no-address"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "@gmail.com"], "is not an email address"),
        (["check", "alice@[192.0.2.1]"], "give an address at a mail domain"),
        (["check", "alice@gmail.com", "--dns-server", "dns.example"], "needs an IP address"),
        (["check", "example.test", "--probe-port", "70000"], "is not a port number"),
        (["check", "example.test", "--probe-port", "587/ssl"], "the mode is implicit or starttls"),
    ],
)
def test_bad_targets_and_options_are_usage_errors_before_any_lookup(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(argv)

    assert code == 3
    assert message in capsys.readouterr().err


def test_the_help_shows_the_target_forms_and_the_dns_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["check", "--help"])

    out = " ".join(capsys.readouterr().out.split())
    assert "a mail domain (example.com) or an address (alice@gmail.com" in out
    assert "--dns-server" in out
    assert "--probe-port" in out


def test_starting_up_does_not_load_dnspython() -> None:
    script = (
        "import sys, contextlib, io\n"
        "from smtpdoctor.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['check', '--help'])\n"
        "print(sorted(m for m in sys.modules if m == 'dns' or m.startswith('dns.')))\n"
    )

    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert loaded.stdout.strip() == "[]"
