"""``send`` without a login, against aiosmtpd (which takes any recipient): a server that takes
mail for a domain that is neither the sender's nor its own is an OPEN RELAY — a FAIL,
``send.open-relay`` — while an MX taking mail for its own domain (by name, or because the
domain's MX is this server), a message within the sender's domain and a logged-in session are
nothing of the kind.  DNS comes from a server on loopback (tests.targets.dnsserver)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.results import Report, Status
from smtpdoctor.model.words import ExitCode
from smtpdoctor.settings.sending import SendRequest

from tests.send.sendkit import USER, MakeServer, RunCheck, row
from tests.targets.dnsserver import DNSServer

SERVER = "mail.example.test"
STRANGER = "stranger@elsewhere.example"
OUTSIDE = "someone@outside.example"
HINT = "Close the open relay: relay only for logged-in users and your networks"

#: The recipient domains' DNS: elsewhere, hosted here by name, hosted here by address.
ZONE = """
outside.example.        MX  10 mx.outside.example.
mx.outside.example.     A   192.0.2.25
hosted.example.         MX  10 mx2.example.test.
byaddress.example.      MX  10 mx.hoster.example.
mx.hoster.example.      A   127.0.0.1
nomail.example.         MX  0 .
"""


@pytest.fixture
def dns() -> Iterator[DNSServer]:
    with DNSServer(ZONE, drop={"slow.example."}) as server:
        yield server


@pytest.fixture
def run_check(run_check: RunCheck, dns: DNSServer) -> RunCheck:
    """The pipeline, asking the loopback DNS server (never the system's) for every name."""

    def run(server: Any, **fields: Any) -> Report:
        return run_check(server, dns_servers=(dns.name_server,), **fields)

    return run


def send_without_login(
    run_check: RunCheck, server: LocalSMTPServer, sender: str, recipient: str, **fields: Any
) -> Report:
    return run_check(server, password=None, send=SendRequest(sender, recipient), **fields)


# -- an open relay -----------------------------------------------------------------------------


def test_an_outside_recipient_taken_without_a_login_is_an_open_relay(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(hostname=SERVER)

    report = send_without_login(run_check, server, USER, OUTSIDE)

    result = row(report, "send")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "send.open-relay"
    assert result.summary.startswith(
        f"OPEN RELAY: the server took a message for outside.example without a login "
        f"(accepted for {OUTSIDE}: 250 2.0.0 OK: queued as "
    )
    assert (
        "outside.example is neither the sender's domain nor the server's (example.test), "
        "and its mail goes to mx.outside.example, not here." in result.summary
    )
    assert result.summary.endswith(
        "It relays for anyone, or it trusts this client's address (Postfix mynetworks, "
        "Exim relay_from_hosts)"
    )
    assert result.outcome.reply_code == 250  # the reply to RCPT decided it
    assert result.outcome.details["relay_to"] == "outside.example"
    assert result.outcome.details["server_domains"] == ("example.test",)
    assert "* DNS MX outside.example: 10 mx.outside.example" in transcript_of(report)
    assert [message.rcpt_tos for message in server.messages] == [(OUTSIDE,)]
    assert report.exit_code is ExitCode.CRITICAL


def test_the_hint_says_how_to_close_the_relay_without_naming_settings_of_unknown_software(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    """The test server's software is unknown: the hint is generic (per-software settings are
    in tests/software/test_advice.py)."""
    server = make_server(hostname=SERVER)

    report = send_without_login(run_check, server, USER, OUTSIDE)

    [hint] = [hint for hint in row(report, "send").hints if hint.title == HINT]
    steps = " ".join(hint.steps)
    assert "Relay only for clients that logged in and for your own hosts" in steps
    assert "blocklists" in steps
    assert "smtpd_relay_restrictions" not in steps
    assert "relay_from_hosts" not in steps
    assert "ms-Exch-SMTP-Accept-Any-Recipient" not in steps


def test_a_refusal_of_the_message_after_an_outside_recipient_was_accepted_is_still_an_open_relay(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(
        hostname=SERVER, queued_reply="550 5.7.1 Message rejected as spam by Content Filtering."
    )

    report = send_without_login(run_check, server, USER, OUTSIDE)

    result = row(report, "send")
    assert result.outcome.finding == "send.open-relay"
    assert result.summary.startswith(
        "OPEN RELAY: the server accepted a recipient at outside.example without a login "
        "(250 OK), though this message was then refused: the server refused the message "
        "at end of data: 550 5.7.1 Message rejected as spam"
    )
    assert result.outcome.details["stage"] == "end of data"


def test_a_relay_refused_only_after_rcpt_is_no_open_relay(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(hostname=SERVER, replies={"DATA": "554 5.7.1 Relay access denied"})

    report = send_without_login(run_check, server, USER, OUTSIDE)

    result = row(report, "send")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "send.relay-denied"


# -- no open relay -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hostname", "recipient"),
    [
        ("mail.example.test", "bob@example.test"),
        ("mail.example.test", "bob@lists.example.test"),
        ("mail.example.test", "bob@mail.example.test"),
        ("mx1.eu.example.test", "bob@example.test"),
        ("MAIL.Example.TEST", "bob@EXAMPLE.test"),
    ],
    ids=["its domain", "a child of it", "its host name", "a parent of it", "in any case"],
)
def test_an_mx_taking_mail_for_its_own_domain_from_a_stranger_passes(
    make_server: MakeServer, run_check: RunCheck, hostname: str, recipient: str
) -> None:
    server = make_server(hostname=hostname)

    report = send_without_login(run_check, server, STRANGER, recipient)

    result = row(report, "send")
    assert result.status is Status.PASS
    assert result.outcome.finding is None


@pytest.mark.parametrize(
    ("options"),
    [
        {"hostname": "localhost", "greeting": "220 mx.example.test ESMTP"},
        {"hostname": "mx.example.test", "greeting": "220 localhost ESMTP"},
    ],
    ids=["the greeting names it", "the EHLO reply names it"],
)
def test_the_names_the_server_announces_count_when_the_target_is_an_address(
    make_server: MakeServer, run_check: RunCheck, options: dict[str, str]
) -> None:
    server = make_server(**options)

    report = send_without_login(run_check, server, STRANGER, "bob@example.test")

    assert row(report, "send").status is Status.PASS


def test_a_message_within_the_senders_own_domain_passes(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(hostname="mx.hoster.example")

    report = send_without_login(run_check, server, "alice@customer.example", "bob@customer.example")

    assert row(report, "send").status is Status.PASS


def test_the_mail_domain_the_user_checked_is_the_servers_own(
    make_server: MakeServer, run_check: RunCheck
) -> None:
    server = make_server(hostname="mx.hoster.example")

    checked = send_without_login(
        run_check, server, STRANGER, "bob@customer.example", mail_domain="customer.example"
    )
    unknown = send_without_login(run_check, server, STRANGER, "bob@customer.example")

    assert row(checked, "send").status is Status.PASS
    assert row(unknown, "send").outcome.finding == "send.open-relay"


def test_a_logged_in_client_may_send_anywhere(make_server: MakeServer, run_check: RunCheck) -> None:
    server = make_server(hostname=SERVER)

    report = run_check(server, send=SendRequest(USER, OUTSIDE))

    assert row(report, "auth").status is Status.PASS
    result = row(report, "send")
    assert result.status is Status.PASS
    assert result.outcome.finding is None


@pytest.mark.parametrize(
    "recipient",
    ["bob@hosted.example", "bob@byaddress.example"],
    ids=["its MX is named like the server", "its MX is the address connected to"],
)
def test_a_domain_whose_mail_goes_to_this_server_is_its_own(
    make_server: MakeServer, run_check: RunCheck, recipient: str
) -> None:
    server = make_server(hostname=SERVER)  # a hosting company's MX, for its customers

    report = send_without_login(run_check, server, STRANGER, recipient)

    result = row(report, "send")
    assert result.status is Status.PASS
    assert result.outcome.finding is None


@pytest.mark.parametrize(
    ("recipient", "note"),
    [
        ("bob@nowhere.example", "; its MX: no such name (NXDOMAIN)."),
        ("bob@nomail.example", "; its null MX says it takes no mail at all."),
        ("bob@slow.example", "; its MX: no answer from 127.0.0.1:"),
    ],
    ids=["no such domain", "null MX", "DNS does not answer"],
)
def test_an_outside_domain_whose_mx_is_unknown_is_still_an_open_relay_saying_why(
    make_server: MakeServer, run_check: RunCheck, recipient: str, note: str
) -> None:
    server = make_server(hostname=SERVER)

    report = send_without_login(run_check, server, USER, recipient, timeout=0.5)

    result = row(report, "send")
    assert result.outcome.finding == "send.open-relay"
    assert note in result.summary


def test_no_dns_question_is_asked_when_the_recipient_is_plainly_the_servers(
    make_server: MakeServer, run_check: RunCheck, dns: DNSServer
) -> None:
    server = make_server(hostname=SERVER)

    send_without_login(run_check, server, STRANGER, "bob@example.test")

    assert dns.questions == []


def transcript_of(report: Report) -> str:
    return "\n".join(f"{line.direction} {line.text}" for line in report.transcript)
