"""``tls``: a handshake the server refuses is named in words, once, with the advice that fits.

Every scenario is a real TLS server on loopback whose configuration makes it send the alert
(or hang up) the way a misconfigured mail server does: ciphers or protocol versions the client
does not share, a demand for a client certificate, a fault in its own TLS layer, a connection
dropped in the middle of the handshake.  Each runs over STARTTLS and over implicit TLS.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import pytest

from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.results import CheckResult, Report, Status
from smtpdoctor.model.words import TLSMode
from smtpdoctor.net import truststore
from smtpdoctor.net.transport import client_context

from tests.hostile.hostile_server import Peer, PeerGone, greet, hostile, tls_context
from tests.hostile.scenario import check, failure, hang_guard, hint_titles, row

pytestmark = hang_guard

READY = b"220 2.0.0 Ready to start TLS\r\n"
MODES = [
    pytest.param(TLSMode.STARTTLS, id="starttls"),
    pytest.param(TLSMode.IMPLICIT, id="implicit"),
]

ServerContext = Callable[[ThrowawayPKI], ssl.SSLContext]


def refusing_server(context: ssl.SSLContext, mode: TLSMode) -> Callable[[Peer], None]:
    """A server that runs its side of the handshake with ``context`` (after STARTTLS, or at
    once on an implicit-TLS port) and, should the handshake succeed, greets and says EHLO."""

    def conversation(peer: Peer) -> None:
        if mode is TLSMode.STARTTLS:
            greet(peer)
            peer.expect("STARTTLS")
            peer.send(READY)
        try:
            peer.start_tls(context)
        except PeerGone:
            return  # the handshake failed, as the scenario wants
        if mode is TLSMode.IMPLICIT:
            peer.send(b"220 mail.example.test ESMTP\r\n")
        peer.expect("EHLO")
        peer.send(b"250 mail.example.test\r\n")
        peer.answer_quit()

    return conversation


def run_against(context: ssl.SSLContext, mode: TLSMode, pki: ThrowawayPKI) -> Report:
    with hostile(refusing_server(context, mode)) as server:
        return check(server, ca_data=pki.ca_pem, tls=mode)


def tls_failure(report: Report, finding: str) -> CheckResult:
    """The ``tls`` row, after checking that it failed with ``finding`` and said so once."""
    failed = failure(report, finding)
    assert "handshake failed: the TLS handshake failed" not in failed.summary
    assert row(report, "certificate").status is Status.SKIP
    return failed


# -- no cipher in common ------------------------------------------------------------------------


def legacy_ciphers_only(pki: ThrowawayPKI) -> ssl.SSLContext:
    """TLS 1.2 with nothing but a CBC/SHA-1 suite, which no current client offers."""
    context = tls_context(pki, only=ssl.TLSVersion.TLSv1_2)
    context.set_ciphers("ECDHE-ECDSA-AES256-SHA")
    return context


@pytest.mark.parametrize("mode", MODES)
def test_no_cipher_in_common_names_the_alert_in_words_and_advises(
    mode: TLSMode, pki: ThrowawayPKI
) -> None:
    report = run_against(legacy_ciphers_only(pki), mode, pki)

    failed = tls_failure(report, "tls.no-common-cipher")
    assert failed.summary == (
        "the server refused the handshake: no protocol version or cipher in common "
        "(TLS alert handshake_failure)"
    )
    assert failed.outcome.details["alert"] == "handshake_failure"
    assert hint_titles(failed) == ["No cipher or TLS version in common with the server"]
    steps = " ".join(failed.hints[0].steps)
    assert "openssl s_client -connect" in steps
    assert "-starttls smtp" in steps
    # the test server's software is unknown: no product's settings are named
    assert "tls_medium_cipherlist" not in steps
    assert "tls_require_ciphers" not in steps


# -- a client certificate -----------------------------------------------------------------------


def wants_client_certificate(version: ssl.TLSVersion) -> ServerContext:
    def make(pki: ThrowawayPKI) -> ssl.SSLContext:
        context = tls_context(pki, only=version)
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=pki.ca_pem)
        return context

    return make


@pytest.mark.parametrize("mode", MODES)
def test_a_tls_1_2_server_that_demands_a_client_certificate_is_named(
    mode: TLSMode, pki: ThrowawayPKI
) -> None:
    # TLS 1.2 has no alert of its own for this: the server says handshake_failure, but only
    # after it sent its certificate (and its CertificateRequest), which tells it apart from
    # a cipher mismatch.
    report = run_against(wants_client_certificate(ssl.TLSVersion.TLSv1_2)(pki), mode, pki)

    failed = tls_failure(report, "tls.client-certificate-required")
    assert failed.summary == (
        "the server refused the handshake after sending its certificate: it requires a "
        "client certificate, which smtpdoctor does not present (TLS alert handshake_failure)"
    )
    assert hint_titles(failed) == ["The server requires a client certificate"]
    assert "smtpd_tls_req_ccert" not in " ".join(failed.hints[0].steps)  # unknown software


def test_a_tls_1_3_server_that_demands_a_client_certificate_is_named_after_starttls(
    pki: ThrowawayPKI,
) -> None:
    # In TLS 1.3 the client finishes its half of the handshake first; the server's
    # certificate_required alert is the answer to the EHLO that follows.
    report = run_against(
        wants_client_certificate(ssl.TLSVersion.TLSv1_3)(pki), TLSMode.STARTTLS, pki
    )

    failed = failure(report, "tls.client-certificate-required")
    assert failed.summary == (
        "the server refused the handshake: it requires a client certificate, which "
        "smtpdoctor does not present (TLS alert certificate_required)"
    )
    assert hint_titles(failed) == ["The server requires a client certificate"]


def test_a_tls_1_3_client_certificate_demand_on_an_implicit_port_is_named_in_words(
    pki: ThrowawayPKI,
) -> None:
    # On an implicit-TLS port the alert answers the first read, which is the greeting's.
    report = run_against(
        wants_client_certificate(ssl.TLSVersion.TLSv1_3)(pki), TLSMode.IMPLICIT, pki
    )

    failed = failure(report, "greeting.connection-lost")
    assert failed.summary == (
        "connection lost: the server ended TLS: it requires a client certificate, which "
        "smtpdoctor does not present (TLS alert certificate_required)"
    )


# -- alerts sent from the server's own callback ----------------------------------------------


def sends_alert(alert: int) -> ServerContext:
    """A server whose certificate selection (the SNI callback, run for every ClientHello)
    fails with ``alert``, as a server does when its own lookup breaks."""

    def make(pki: ThrowawayPKI) -> ssl.SSLContext:
        context = tls_context(pki)
        context.sni_callback = lambda *_: alert
        return context

    return make


@pytest.mark.parametrize("mode", MODES)
def test_an_internal_error_alert_puts_the_fault_on_the_servers_side(
    mode: TLSMode, pki: ThrowawayPKI
) -> None:
    report = run_against(sends_alert(ssl.ALERT_DESCRIPTION_INTERNAL_ERROR)(pki), mode, pki)

    failed = tls_failure(report, "tls.server-internal-error")
    assert failed.summary == (
        "the server refused the handshake: its TLS layer failed on its own side, not because "
        "of anything this client sent (TLS alert internal_error)"
    )
    assert hint_titles(failed) == ["The server's TLS setup is broken"]


@pytest.mark.parametrize(
    ("alert", "name", "finding"),
    [
        (ssl.ALERT_DESCRIPTION_UNKNOWN_CA, "unknown_ca", "tls.client-certificate-required"),
        (
            ssl.ALERT_DESCRIPTION_BAD_CERTIFICATE,
            "bad_certificate",
            "tls.client-certificate-required",
        ),
        (
            ssl.ALERT_DESCRIPTION_INSUFFICIENT_SECURITY,
            "insufficient_security",
            "tls.no-common-cipher",
        ),
        (ssl.ALERT_DESCRIPTION_ACCESS_DENIED, "access_denied", "tls.handshake-failed"),
    ],
)
def test_each_alert_maps_to_its_finding_and_is_named_once(
    alert: int, name: str, finding: str, pki: ThrowawayPKI
) -> None:
    report = run_against(sends_alert(alert)(pki), TLSMode.IMPLICIT, pki)

    failed = tls_failure(report, finding)
    assert failed.summary.startswith("the server refused the handshake: ")
    assert failed.summary.endswith(f"(TLS alert {name})")
    assert failed.summary.count(name) == 1
    assert failed.hints, "every handshake failure comes with advice"


# -- protocol versions ------------------------------------------------------------------------


def capped_client(
    monkeypatch: pytest.MonkeyPatch, *, low: ssl.TLSVersion, high: ssl.TLSVersion
) -> None:
    """Make this machine's TLS client offer only ``low`` … ``high``, as an OpenSSL
    configuration (``MinProtocol``/``MaxProtocol``) does."""

    def capped(*, verify: bool, ca_file: str | None, ca_data: str | None) -> ssl.SSLContext:
        context = client_context(verify=verify, ca_file=ca_file, ca_data=ca_data)
        context.minimum_version, context.maximum_version = low, high
        return context

    monkeypatch.setattr(truststore, "client_context", capped)


def tls_1_3_only(pki: ThrowawayPKI) -> ssl.SSLContext:
    return tls_context(pki, only=ssl.TLSVersion.TLSv1_3)


def tls_1_2_only(pki: ThrowawayPKI) -> ssl.SSLContext:
    return tls_context(pki, only=ssl.TLSVersion.TLSv1_2)


@pytest.mark.parametrize("mode", MODES)
def test_a_server_newer_than_this_client_says_this_side_is_the_old_one(
    mode: TLSMode, pki: ThrowawayPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    capped_client(monkeypatch, low=ssl.TLSVersion.TLSv1_2, high=ssl.TLSVersion.TLSv1_2)

    report = run_against(tls_1_3_only(pki), mode, pki)

    failed = tls_failure(report, "tls.protocol-version")
    assert failed.summary == (
        "the server refused the handshake: no TLS version in common; this client offered "
        "only TLS 1.2, so the server requires a newer version (TLS alert protocol_version)"
    )
    assert failed.outcome.details["offered"] == "TLS 1.2"
    assert failed.outcome.details["old_side"] == "client"
    assert hint_titles(failed) == ["This client's TLS is older than the server requires"]


@pytest.mark.parametrize("mode", MODES)
def test_a_server_older_than_this_clients_minimum_is_outdated(
    mode: TLSMode, pki: ThrowawayPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    capped_client(monkeypatch, low=ssl.TLSVersion.TLSv1_3, high=ssl.TLSVersion.TLSv1_3)

    report = run_against(tls_1_2_only(pki), mode, pki)

    failed = tls_failure(report, "tls.outdated-version")
    assert failed.summary == (
        "the server refused the handshake: no TLS version in common; this client offered "
        "TLS 1.3, so the server offers only older versions (TLS alert protocol_version)"
    )
    assert failed.outcome.details["old_side"] == "server"
    assert hint_titles(failed) == ["The server's TLS is outdated"]
    steps = " ".join(failed.hints[0].steps)
    assert "RFC 8996" in steps
    assert "smtpd_tls_mandatory_protocols" not in steps  # unknown software: generic advice
    assert "SCHANNEL" not in steps


# -- a connection dropped mid-handshake ----------------------------------------------------------


def drops_mid_handshake(mode: TLSMode, *, reset: bool) -> Callable[[Peer], None]:
    def conversation(peer: Peer) -> None:
        if mode is TLSMode.STARTTLS:
            greet(peer)
            peer.expect("STARTTLS")
            peer.send(READY)
        peer.read_bytes()  # the ClientHello
        if reset:
            peer.reset()
        peer.close()

    return conversation


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reset", [True, False], ids=["reset", "closed"])
def test_a_connection_dropped_during_the_handshake_is_a_reset(mode: TLSMode, reset: bool) -> None:
    with hostile(drops_mid_handshake(mode, reset=reset)) as server:
        report = check(server, tls=mode)

    failed = tls_failure(report, "tls.reset")
    assert failed.summary in (
        "the server reset the connection during the TLS handshake, without a TLS alert",
        "the server closed the connection during the TLS handshake, without a TLS alert",
    )
    assert hint_titles(failed) == ["The server dropped the TLS handshake without a word"]
