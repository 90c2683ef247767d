"""What people type — an address, a mail domain, a server — and the server it leads to.

Names are answered by a DNS server on 127.0.0.1 (``dnsserver.DNSServer``); servers that must
answer SMTP are real aiosmtpd servers on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.discovery.source import Source
from smtpdoctor.discovery.targets import Kind, Located, Typed, locate, parse_typed, place
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import ConfigError, Endpoint, TLSMode
from smtpdoctor.settings.config import RunConfig

from tests.targets.dnsserver import DNSServer
from tests.targets.targetkit import silent_port

MakeServer = Callable[..., LocalSMTPServer]

ZONE = """
; a custom domain whose mail Google handles
corp.test.                     MX    10 aspmx.l.google.com.
corp.test.                     MX    20 alt1.aspmx.l.google.com.
; one whose mail Microsoft 365 handles (the longest suffix wins over outlook.com)
contoso.test.                  MX    0 contoso-test.mail.protection.outlook.com.
; a domain that publishes RFC 8314 / RFC 6186 SRV records
srv.test.                      MX    10 mx.srv.test.
_submissions._tcp.srv.test.    SRV   0 1 1465 submit.srv.test.
_submission._tcp.srv.test.     SRV   0 1 1587 submit.srv.test.
; implicit TLS explicitly not offered, STARTTLS offered
nossl.test.                    MX    10 mx.nossl.test.
_submissions._tcp.nossl.test.  SRV   0 0 0 .
_submission._tcp.nossl.test.   SRV   0 1 587 mail.nossl.test.
; SRV records pointing outside the domain: at a host nobody knows, at a provider's host
outside.test.                  MX    10 mx.outside.test.
_submission._tcp.outside.test. SRV   0 1 587 smtp.hoster.test.
gsuite.test.                   MX    10 mx.gsuite.test.
_submissions._tcp.gsuite.test. SRV   0 1 465 smtp.gmail.com.
; nothing but a guessable host (mail., smtp. does not exist)
guess.test.                    MX    10 mx.hoster.test.
mail.guess.test.               A     127.0.0.1
; a domain with an MX and nothing else: its MX host is the last resort
lonely.test.                   MX    10 mx.lonely.test.
mx.lonely.test.                A     127.0.0.1
; a server: an address, no MX
relay.test.                    A     127.0.0.1
; a server that is its own MX
mail.self.test.                A     127.0.0.1
mail.self.test.                MX    10 mail.self.test.
; a name with an address and an MX elsewhere: server or domain depends on what answers
both.test.                     A     127.0.0.1
both.test.                     MX    10 mx.elsewhere.test.
; a name that exists but has neither address nor MX
empty.test.                    TXT   "v=spf1 -all"
; null MX (RFC 7505): the domain accepts no mail at all
nullmx.test.                   MX    0 .
; a null MX, but a submission service published all the same
nullsrv.test.                  MX    0 .
_submission._tcp.nullsrv.test. SRV   0 1 587 smtp.nullsrv.test.
; a null MX on a name that has an address
nullweb.test.                  MX    0 .
nullweb.test.                  A     127.0.0.1
"""


@pytest.fixture
def dns_server() -> Iterator[DNSServer]:
    with DNSServer(ZONE, drop={"slow.test"}) as server:
        yield server


@pytest.fixture
def request_for(dns_server: DNSServer) -> Callable[..., RunConfig]:
    """A RunConfig whose DNS questions go to the test server."""

    def make(**fields: Any) -> RunConfig:
        fields.setdefault("timeout", 2.0)
        return RunConfig(host="unused.test", dns_servers=(dns_server.name_server,), **fields)

    return make


def located(text: str, request: RunConfig) -> Located:
    return locate(parse_typed(text), request)


# -- what was typed --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alice@gmail.com", Typed("alice@gmail.com", "gmail.com", None, "alice")),
        ("alice@Example.COM:587", Typed("alice@Example.COM:587", "example.com", 587, "alice")),
        ("gmail.com", Typed("gmail.com", "gmail.com")),
        ("smtp.example.com:465", Typed("smtp.example.com:465", "smtp.example.com", 465)),
        ("[::1]:2525", Typed("[::1]:2525", "::1", 2525)),
    ],
)
def test_typed_targets_are_split_into_name_port_and_local_part(text: str, expected: Typed) -> None:
    assert parse_typed(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@gmail.com", "is not an email address"),
        ("a@b@gmail.com", "is not an email address"),
        ("alice@[127.0.0.1]", "give an address at a mail domain"),
        ("alice@localhost", "give an address at a mail domain"),
        ("alice@gmail.com:0", "is not a port number"),
        ("alice@gmail.com\r\nQUIT", "contains a CR character"),
    ],
)
def test_impossible_addresses_are_refused_in_words(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        parse_typed(text)


def test_the_address_of_a_typed_address_is_kept_whole() -> None:
    assert parse_typed("bob@web.de").address == "bob@web.de"
    assert parse_typed("smtp.web.de").address is None


# -- addresses and mail domains of known providers --------------------------------------------


def test_an_address_leads_to_its_providers_submission_server_without_dns(
    request_for: Callable[..., RunConfig], dns_server: DNSServer
) -> None:
    found = located("alice@gmail.com", request_for())

    assert (found.kind, found.host, found.port, found.tls) == (
        Kind.ADDRESS,
        "smtp.gmail.com",
        465,
        TLSMode.IMPLICIT,
    )
    assert found.source is Source.PROVIDER
    assert found.username == "alice@gmail.com"
    assert dns_server.questions == []


def test_a_provider_that_logs_in_with_the_local_part_gets_the_local_part(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("bob@web.de", request_for())

    assert (found.host, found.username) == ("smtp.web.de", "bob")


def test_a_provider_whose_user_name_is_not_the_address_gives_none(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("carol@proton.me", request_for())
    preamble = place(found, request_for()).preamble

    assert found.username is None
    assert (found.host, found.port) == ("127.0.0.1", 1025)
    assert (
        "user name: the address and password shown in Proton Mail Bridge (give it with "
        "--user)" in preamble[0].summary
    )


def test_a_typed_port_keeps_the_provider_host_and_takes_that_ports_mode(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("alice@gmail.com:587", request_for())

    assert (found.host, found.port, found.tls) == ("smtp.gmail.com", 587, TLSMode.STARTTLS)


def test_tls_asked_for_picks_the_providers_port_for_that_mode(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("alice@gmail.com", request_for(tls=TLSMode.STARTTLS))

    assert (found.port, found.tls) == (587, TLSMode.STARTTLS)


def test_a_known_mail_domain_is_not_a_server(request_for: Callable[..., RunConfig]) -> None:
    found = located("outlook.com", request_for())
    row = place(found, request_for()).preamble[0]

    assert (found.kind, found.host, found.port) == (
        Kind.MAIL_DOMAIN,
        "smtp-mail.outlook.com",
        587,
    )
    assert found.username is None
    assert row.check_id == "target"
    assert row.summary.startswith(
        "outlook.com is a mail domain, not a server → smtp-mail.outlook.com:587 with STARTTLS"
    )


def test_a_providers_submission_host_typed_without_port_gets_the_providers_port(
    request_for: Callable[..., RunConfig], dns_server: DNSServer
) -> None:
    found = located("smtp.gmail.com", request_for())

    assert (found.kind, found.port, found.tls) == (Kind.SERVER, 465, TLSMode.IMPLICIT)
    assert found.source is Source.PROVIDER
    assert dns_server.questions == []


# -- custom domains: MX, SRV, guesses -----------------------------------------------------------


def test_a_custom_domain_is_recognised_by_the_provider_behind_its_mx(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("dave@corp.test", request_for())

    assert (found.host, found.port, found.tls) == ("smtp.gmail.com", 465, TLSMode.IMPLICIT)
    assert found.source is Source.MX
    assert found.reason == "its MX aspmx.l.google.com belongs to Gmail / Google Workspace"
    assert found.username == "dave@corp.test"
    assert "MX corp.test: 10 aspmx.l.google.com, 20 alt1.aspmx.l.google.com" in found.lookups


def test_the_longest_mx_suffix_wins(request_for: Callable[..., RunConfig]) -> None:
    found = located("contoso.test", request_for())

    assert (found.kind, found.host, found.port) == (
        Kind.MAIL_DOMAIN,
        "smtp.office365.com",
        587,
    )


def test_an_unknown_domain_uses_its_submissions_srv_record_first(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("erin@srv.test", request_for())

    assert (found.host, found.port, found.tls) == ("submit.srv.test", 1465, TLSMode.IMPLICIT)
    assert found.source is Source.SRV
    assert found.reason == "its _submissions._tcp SRV record"


def test_an_srv_record_saying_not_offered_is_skipped(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("nossl.test", request_for())

    assert (found.host, found.port, found.tls) == ("mail.nossl.test", 587, TLSMode.STARTTLS)
    assert found.reason == "its _submission._tcp SRV record"
    assert "SRV _submissions._tcp.nossl.test: 0 0 0 ." in found.lookups


def test_without_provider_or_srv_the_smtp_and_mail_hosts_are_guessed(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("guess.test", request_for())

    assert (found.host, found.port, found.source) == ("mail.guess.test", None, Source.GUESS)
    assert "A/AAAA smtp.guess.test: no such name (NXDOMAIN)" in found.lookups


def test_the_mx_host_is_the_last_resort(request_for: Callable[..., RunConfig]) -> None:
    found = located("lonely.test", request_for())

    assert (found.host, found.port, found.source) == ("mx.lonely.test", None, Source.MX_HOST)


def test_a_domain_nothing_is_known_about_is_checked_itself_with_a_warning(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("frank@nowhere.test", request_for())
    row = place(found, request_for()).preamble[0]

    assert not found.found
    assert (found.host, found.port) == ("nowhere.test", 587)  # nothing to probe: no address
    assert row.status is Status.WARN
    assert row.outcome.finding == "target.not-found"
    assert "no submission server found" in row.summary
    assert [hint.title for hint in row.hints] == ["No submission server was found for this domain"]


NULL_MX_WORDS = "publishes a null MX (MX 0 .): by RFC 7505 it accepts no mail"


@pytest.mark.parametrize("text", ["nullmx.test", "frank@nullmx.test"])
def test_a_null_mx_is_read_as_a_domain_that_accepts_no_mail_not_as_a_host(
    request_for: Callable[..., RunConfig], text: str
) -> None:
    found = located(text, request_for())
    row = place(found, request_for()).preamble[0]

    assert found.kind is not Kind.SERVER
    assert not found.found
    assert found.host == "nullmx.test"  # the domain itself, never the root "."
    assert f"nullmx.test {NULL_MX_WORDS}" in row.summary
    assert "MX nullmx.test: 0 . (null MX: accepts no mail, RFC 7505)" in found.lookups


def test_a_domain_with_a_null_mx_falls_back_to_its_srv_record_for_sending(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("grace@nullsrv.test", request_for())
    row = place(found, request_for()).preamble[0]

    assert (found.host, found.port, found.source) == ("smtp.nullsrv.test", 587, Source.SRV)
    assert row.status is Status.INFO
    assert f"nullsrv.test {NULL_MX_WORDS}" in row.summary


def test_a_name_with_a_null_mx_and_an_address_is_a_server_that_says_so(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("nullweb.test", request_for())

    assert (found.kind, found.host) == (Kind.SERVER, "nullweb.test")
    assert found.explained
    assert found.reason == (
        f"nullweb.test {NULL_MX_WORDS}, but it has an address, so it is checked as a server"
    )


# -- a bare name: server or mail domain? --------------------------------------------------------


def test_a_name_with_an_address_and_no_mx_is_a_server(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("relay.test", request_for())

    assert (found.kind, found.host, found.port) == (Kind.SERVER, "relay.test", None)
    assert not found.explained  # nothing to say beyond "as typed": no target row


def test_a_name_with_mx_and_no_address_is_a_mail_domain(
    request_for: Callable[..., RunConfig],
) -> None:
    assert located("corp.test", request_for()).kind is Kind.MAIL_DOMAIN


def test_a_name_that_is_its_own_mx_is_a_server(request_for: Callable[..., RunConfig]) -> None:
    found = located("mail.self.test", request_for())

    assert found.kind is Kind.SERVER
    assert (
        found.reason
        == "mail.self.test is its own mail exchanger (MX), so it is checked as a server"
    )


def test_a_name_with_address_and_mx_that_answers_smtp_is_a_server(
    request_for: Callable[..., RunConfig], make_server: MakeServer
) -> None:
    server = make_server()
    request = request_for(probes=(Endpoint(server.port, TLSMode.STARTTLS),))

    found = located("both.test", request)

    assert (found.kind, found.host) == (Kind.SERVER, "both.test")
    assert found.matrix is not None and found.matrix.recommended is not None
    assert "answers SMTP itself, so it is checked as a server" in found.reason


@pytest.mark.timeout(20)
def test_a_name_with_address_and_mx_that_does_not_answer_smtp_is_a_mail_domain(
    request_for: Callable[..., RunConfig],
) -> None:
    with silent_port() as port:
        request = request_for(timeout=0.5, probes=(Endpoint(port, TLSMode.STARTTLS),))
        found = located("both.test", request)

    assert found.kind is Kind.MAIL_DOMAIN
    assert "ports on both.test: nothing answers SMTP" in found.lookups
    assert (found.host, found.source) == ("mx.elsewhere.test", Source.MX_HOST)


def test_an_existing_name_without_address_or_mx_is_left_to_the_checks(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("empty.test", request_for())

    assert (found.kind, found.host) == (Kind.SERVER, "empty.test")


@pytest.mark.timeout(20)
def test_dns_that_does_not_answer_is_said_in_words_and_the_name_checked_as_a_server(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("slow.test", request_for(timeout=0.3))

    assert found.kind is Kind.SERVER
    assert found.explained
    assert found.reason.startswith(
        "DNS could not say what slow.test is (A/AAAA slow.test: no answer"
    )
    assert found.reason.endswith("so it is checked as a server")


@pytest.mark.parametrize(
    "text", ["localhost", "127.0.0.1", "::1", "mailhog", "smtp.example.test:25"]
)
def test_ip_addresses_single_labels_and_names_with_a_port_are_servers_without_dns(
    request_for: Callable[..., RunConfig], dns_server: DNSServer, text: str
) -> None:
    found = located(text, request_for())

    assert found.kind is Kind.SERVER
    assert dns_server.questions == []


# -- the run that follows -----------------------------------------------------------------------


def test_the_plan_aims_at_the_located_server_and_carries_the_target_row(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("dave@corp.test", request_for())

    config, preamble = place(found, request_for(deadline=30.0))

    assert (config.host, config.port, config.tls_mode) == ("smtp.gmail.com", 465, TLSMode.IMPLICIT)
    assert [row.check_id for row in preamble] == ["target"]
    assert config.deadline <= 30.0 - found.seconds
    row = preamble[0]
    assert row.status is Status.INFO
    assert row.outcome.details["source"] == "MX"
    assert row.outcome.details["provider"] == "gmail"
    assert row.hints[0].title == "Gmail / Google Workspace: how to log in"


def test_tls_asked_for_wins_over_the_source(request_for: Callable[..., RunConfig]) -> None:
    found = located("submit@srv.test", request_for())

    config = place(found, request_for(tls=TLSMode.NONE)).config

    assert (config.port, config.tls_mode) == (1465, TLSMode.NONE)


def test_an_unknown_port_is_found_by_the_port_matrix(
    request_for: Callable[..., RunConfig], make_server: MakeServer
) -> None:
    server = make_server(tls="implicit")
    request = request_for(probes=(Endpoint(server.port, TLSMode.IMPLICIT),))
    found = located("guess.test", request)

    config, preamble = place(found, request)

    assert (config.host, config.port, config.tls_mode) == (
        "mail.guess.test",
        server.port,
        TLSMode.IMPLICIT,
    )
    assert [row.check_id for row in preamble] == ["target", "ports"]


def test_a_server_found_by_probing_keeps_that_matrix(
    request_for: Callable[..., RunConfig], make_server: MakeServer
) -> None:
    server = make_server()
    request = request_for(probes=(Endpoint(server.port, TLSMode.STARTTLS),))
    found = located("both.test", request)
    connections = server.connections

    config, preamble = place(found, replace(request, host="both.test"))

    assert config.port == server.port
    assert server.connections == connections  # not probed a second time
    assert [row.check_id for row in preamble] == ["target", "ports"]


# -- where a password may go -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("alice@gmail.com", True),  # the provider table
        ("dave@corp.test", True),  # MX → a provider's host from the table
        ("erin@srv.test", True),  # SRV target inside the domain
        ("gina@gsuite.test", True),  # SRV target is a known provider's host
        ("hank@guess.test", True),  # guesses are inside the domain
        ("ivan@outside.test", False),  # SRV target outside the domain, unknown
        ("judy@lonely.test", True),  # the MX host inside the domain
    ],
)
def test_a_password_goes_only_where_forged_dns_cannot_send_it(
    request_for: Callable[..., RunConfig], text: str, allowed: bool
) -> None:
    assert located(text, request_for()).login_allowed is allowed


def test_no_login_is_tried_on_a_host_outside_the_domain_found_through_dns(
    request_for: Callable[..., RunConfig],
) -> None:
    found = located("ivan@outside.test", request_for())
    request = request_for(credentials=Credentials("ivan@outside.test", Secret("hunter2")))

    config, preamble = place(found, request)

    assert config.host == "smtp.hoster.test"
    assert config.credentials is None
    assert preamble[0].summary.endswith(
        "no login is tried: smtp.hoster.test lies outside outside.test and was found "
        "through DNS, which can be forged; to log in there, check smtp.hoster.test directly"
    )
