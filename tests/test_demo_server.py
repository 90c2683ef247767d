"""Specification of the throwaway PKI and the local SMTP server used by the demo and tests.

Python's :mod:`smtplib` is used here, and only here, as an independent client: if the
standard library can talk to the server, smtpdoctor's own client is tested against
something real.
"""

from __future__ import annotations

import base64
import logging
import os
import smtplib
import socket
import ssl
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from smtpdoctor.demo.server import CapturedMessage, LocalSMTPServer
from smtpdoctor.lab.pki import CA_COMMON_NAME, TEMPDIR_PREFIX, ThrowawayPKI, make_pki
from smtpdoctor.net.certificates import CertificateInfo, inspect_certificate

USER = "alice@example.test"
PASSWORD = "correct horse battery staple"
TIMEOUT = 5.0


# --- helpers ---------------------------------------------------------------------------------


def _info(pem: str) -> CertificateInfo:
    return inspect_certificate(ssl.PEM_cert_to_DER_cert(pem))


def _cert(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def _trusting(server_or_pki: LocalSMTPServer | ThrowawayPKI) -> ssl.SSLContext:
    """A verifying client context (hostname checks on) that trusts only the throwaway CA."""
    return ssl.create_default_context(cadata=server_or_pki.ca_pem)


def _client(server: LocalSMTPServer, host: str | None = None) -> smtplib.SMTP:
    return smtplib.SMTP(host or server.host, server.port, timeout=TIMEOUT)


def _secure_client(server: LocalSMTPServer) -> smtplib.SMTP:
    """A client that has completed EHLO, STARTTLS (verified) and EHLO again."""
    client = _client(server)
    client.starttls(context=_trusting(server))
    client.ehlo()
    return client


def _authenticate(client: smtplib.SMTP, mechanism: str, user: str, password: str) -> None:
    client.user, client.password = user, password
    method = {"PLAIN": client.auth_plain, "LOGIN": client.auth_login}[mechanism]
    client.auth(mechanism, method)


@pytest.fixture
def make_server() -> Iterator[Callable[..., LocalSMTPServer]]:
    """Start LocalSMTPServers with the given options; every one is stopped afterwards."""
    servers: list[LocalSMTPServer] = []

    def start(**options: Any) -> LocalSMTPServer:
        server = LocalSMTPServer(**options)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make :mod:`tempfile` put everything in an empty directory of this test's own."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


# --- the throwaway PKI -----------------------------------------------------------------------


def test_a_default_pki_is_a_ca_and_a_leaf_for_localhost_and_both_loopbacks() -> None:
    pki = make_pki()
    leaf, ca = _info(pki.cert_pem), _info(pki.ca_pem)

    assert leaf.sans == ("localhost", "127.0.0.1", "::1")
    assert leaf.issuer == ca.subject
    assert f"CN={CA_COMMON_NAME}" in ca.subject
    assert ca.self_signed is True
    assert leaf.self_signed is False
    assert pki.self_signed is False
    assert leaf.key_type == "EC (secp256r1)"
    assert leaf.signature_hash == "sha256"


def test_the_ca_may_sign_certificates_and_the_leaf_is_for_servers_only() -> None:
    pki = make_pki()
    ca, leaf = _cert(pki.ca_pem), _cert(pki.cert_pem)

    ca_constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert ca_constraints.critical
    assert ca_constraints.value.ca is True
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is True
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    extended = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(extended) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_a_default_leaf_is_valid_from_an_hour_ago_for_thirty_days() -> None:
    before = datetime.now(UTC)
    leaf = _info(make_pki().cert_pem)
    after = datetime.now(UTC)

    # Certificates store whole seconds.
    assert before - timedelta(hours=1, seconds=1) <= leaf.not_before <= after - timedelta(hours=1)
    assert leaf.not_after - leaf.not_before == timedelta(days=30, hours=1)


def test_rsa_keys_on_request() -> None:
    pki = make_pki(key="rsa")

    assert (_info(pki.cert_pem).key_type, _info(pki.cert_pem).key_bits) == ("RSA", 2048)
    assert (_info(pki.ca_pem).key_type, _info(pki.ca_pem).key_bits) == ("RSA", 2048)


def test_the_key_is_unencrypted_pkcs8_and_kept_out_of_repr() -> None:
    pki = make_pki()

    assert pki.key_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert pki.key_pem not in repr(pki)
    assert "key_pem" not in repr(pki)


def test_host_names_and_addresses_become_subject_alt_names_in_order() -> None:
    pki = make_pki(
        hostnames=("mail.example.test", "*.relay.example.test", "bücher.example"),
        ip_addresses=("192.0.2.1",),
    )
    leaf = _info(pki.cert_pem)

    assert leaf.sans == (
        "mail.example.test",
        "*.relay.example.test",
        "xn--bcher-kva.example",
        "192.0.2.1",
    )
    assert leaf.subject.startswith("CN=mail.example.test,")


def test_a_self_signed_leaf_is_its_own_ca() -> None:
    pki = make_pki(self_signed=True)

    assert pki.ca_pem == pki.cert_pem
    assert pki.self_signed is True
    assert _info(pki.cert_pem).self_signed is True


def test_only_not_after_in_the_past_gives_an_expired_leaf_under_a_valid_ca() -> None:
    now = datetime.now(UTC)
    pki = make_pki(not_after=now - timedelta(days=3))
    leaf, ca = _info(pki.cert_pem), _info(pki.ca_pem)

    assert leaf.is_expired(now)
    assert leaf.not_before < leaf.not_after
    assert not ca.is_expired(now)
    assert not ca.is_not_yet_valid(now)


def test_only_not_before_in_the_future_gives_a_not_yet_valid_leaf() -> None:
    now = datetime.now(UTC)
    leaf = _info(make_pki(not_before=now + timedelta(days=3)).cert_pem)

    assert leaf.is_not_yet_valid(now)
    assert leaf.not_after == leaf.not_before + timedelta(days=30)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"hostnames": (), "ip_addresses": ()}, "at least one", id="no-identity"),
        pytest.param({"ip_addresses": ("localhost",)}, "not an IP address", id="bad-ip"),
        pytest.param({"hostnames": ("bad name",)}, "not a valid host name", id="bad-name"),
        pytest.param({"not_after": datetime(2030, 1, 1)}, "timezone-aware", id="naive"),
        pytest.param(
            {
                "not_before": datetime(2030, 1, 2, tzinfo=UTC),
                "not_after": datetime(2030, 1, 1, tzinfo=UTC),
            },
            "must be later",
            id="reversed",
        ),
        pytest.param({"key": "dsa"}, "key must be", id="bad-key"),
    ],
)
def test_make_pki_rejects_nonsense(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_pki(**options)


def test_the_server_context_reads_the_key_from_a_private_directory_that_is_then_removed(
    private_tempdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int, int]] = []
    original = ssl.SSLContext.load_cert_chain

    def spy(
        context: ssl.SSLContext, certfile: Any, keyfile: Any = None, password: Any = None
    ) -> None:
        directory = Path(keyfile).parent
        seen.append(
            (
                directory.name,
                stat.S_IMODE(os.stat(directory).st_mode),
                stat.S_IMODE(os.stat(keyfile).st_mode),
            )
        )
        original(context, certfile, keyfile, password)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)

    context = make_pki().server_context()

    assert isinstance(context, ssl.SSLContext)
    assert len(seen) == 1
    name, directory_mode, key_mode = seen[0]
    assert name.startswith(TEMPDIR_PREFIX)
    assert directory_mode == 0o700
    assert key_mode == 0o600
    assert list(private_tempdir.iterdir()) == []


def test_the_server_context_speaks_tls_1_2_or_newer() -> None:
    context = make_pki().server_context()

    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


# --- STARTTLS and AUTH -----------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_after_starttls_succeeds_with_the_right_password(
    make_server: Callable[..., LocalSMTPServer], mechanism: str
) -> None:
    server = make_server(users={USER: PASSWORD})

    with _secure_client(server) as client:
        assert client.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]
        _authenticate(client, mechanism, USER, PASSWORD)

    assert server.auth_attempts == [(USER, True)]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_with_a_wrong_password_fails_with_535(
    make_server: Callable[..., LocalSMTPServer], mechanism: str
) -> None:
    server = make_server(users={USER: PASSWORD})

    with (
        _secure_client(server) as client,
        pytest.raises(smtplib.SMTPAuthenticationError) as failure,
    ):
        _authenticate(client, mechanism, USER, "wrong password")

    assert failure.value.smtp_code == 535
    assert server.auth_attempts == [(USER, False)]


def test_an_unknown_user_fails_like_a_wrong_password(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(users={USER: PASSWORD})

    with (
        _secure_client(server) as client,
        pytest.raises(smtplib.SMTPAuthenticationError) as failure,
    ):
        _authenticate(client, "PLAIN", "mallory@example.test", PASSWORD)

    assert failure.value.smtp_code == 535
    assert server.auth_attempts == [("mallory@example.test", False)]


def test_passwords_are_never_recorded(make_server: Callable[..., LocalSMTPServer]) -> None:
    server = make_server(users={USER: PASSWORD})

    with _secure_client(server) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            _authenticate(client, "LOGIN", USER, "hunter2-wrong")
        _authenticate(client, "PLAIN", USER, PASSWORD)

    recorded = repr((server.auth_attempts, server.messages))
    assert "hunter2-wrong" not in recorded
    assert PASSWORD not in recorded


def test_before_starttls_auth_is_neither_offered_nor_accepted(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(users={USER: PASSWORD})
    initial = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()

    with _client(server) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")
        code, _ = client.docmd("AUTH", f"PLAIN {initial}")

    assert code == 530
    assert server.auth_attempts == []


def test_require_starttls_refuses_mail_but_allows_the_rfc_3207_commands(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server()

    with _client(server) as client:
        assert client.ehlo()[0] == 250
        assert client.noop()[0] == 250
        assert client.docmd("MAIL", "FROM:<a@example.test>")[0] == 530
        assert client.docmd("HELO", "client.example.test")[0] == 530
        assert client.docmd("STARTTLS")[0] == 220


def test_without_require_starttls_plain_mail_is_accepted(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(require_starttls=False)

    with _client(server) as client:
        client.sendmail("a@example.test", ["b@example.test"], b"Subject: plain\r\n\r\nhi\r\n")

    assert len(server.messages) == 1


def test_auth_require_tls_false_offers_auth_in_the_clear(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(tls="none", users={USER: PASSWORD}, auth_require_tls=False)

    with _client(server) as client:
        client.login(USER, PASSWORD)

    assert server.auth_attempts[-1] == (USER, True)


def test_without_users_auth_is_not_offered_even_over_tls(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server()

    with _secure_client(server) as client:
        assert not client.has_extn("auth")
        code, message = client.docmd("AUTH", "PLAIN")

    assert code == 503
    assert b"not enabled" in message


def test_auth_required_refuses_mail_until_the_client_logs_in(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(users={USER: PASSWORD}, auth_required=True)

    with _secure_client(server) as client:
        code, message = client.mail("a@example.test")
        assert (code, message) == (530, b"5.7.0 Authentication required")
        client.login(USER, PASSWORD)
        assert client.mail("a@example.test")[0] == 250


def test_auth_required_without_tls_is_allowed_and_warns_nobody(
    make_server: Callable[..., LocalSMTPServer], caplog: pytest.LogCaptureFixture
) -> None:
    # aiosmtpd itself would emit a UserWarning (an error under our pytest config) for this
    # insecure combination; a diagnosis tool needs such a server to diagnose it.
    caplog.set_level(logging.WARNING)
    server = make_server(
        tls="none", users={USER: PASSWORD}, auth_required=True, auth_require_tls=False
    )

    with _client(server) as client:
        client.ehlo()
        assert client.mail("a@example.test")[0] == 530
        client.login(USER, PASSWORD)
        assert client.mail("a@example.test")[0] == 250

    assert [record.getMessage() for record in caplog.records] == []


# --- implicit TLS and plain SMTP -------------------------------------------------------------


def test_implicit_tls_works_with_smtp_ssl(make_server: Callable[..., LocalSMTPServer]) -> None:
    server = make_server(tls="implicit", users={USER: PASSWORD})

    with smtplib.SMTP_SSL(
        server.host, server.port, timeout=TIMEOUT, context=_trusting(server)
    ) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.has_extn("auth")
        client.login(USER, PASSWORD)
        client.sendmail("a@example.test", ["b@example.test"], b"Subject: tls\r\n\r\nsecret\r\n")

    assert server.auth_attempts == [(USER, True)]
    assert [message.content for message in server.messages] == [b"Subject: tls\r\n\r\nsecret\r\n"]


def test_a_plain_server_offers_no_starttls_and_has_no_certificate(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(tls="none")

    with _client(server) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.docmd("STARTTLS")[0] != 220

    assert server.pki is None
    with pytest.raises(RuntimeError, match="plain SMTP"):
        _ = server.ca_pem


# --- what the server records -----------------------------------------------------------------


def test_no_connection_is_counted_right_after_start(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    assert make_server().connections == 0
    assert make_server(tls="implicit").connections == 0


def test_connections_counts_two_separate_sessions(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server()

    for _ in range(2):
        with _secure_client(server) as client:
            client.noop()

    assert server.connections == 2


def test_starttls_does_not_count_as_a_second_connection(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(users={USER: PASSWORD})

    with _secure_client(server) as client:
        client.login(USER, PASSWORD)

    assert server.connections == 1


def test_a_connection_whose_tls_handshake_fails_is_still_counted(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(tls="implicit")
    stranger = ssl.create_default_context()  # does not trust the throwaway CA

    with pytest.raises(ssl.SSLCertVerificationError):
        smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT, context=stranger)

    assert server.connections == 1


def test_messages_are_captured_with_envelope_and_content(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(users={USER: PASSWORD})
    content = b"Subject: Hello\r\n\r\nFirst line\r\n..leading dot\r\n"

    with _secure_client(server) as client:
        client.login(USER, PASSWORD)
        client.mail("sender@example.test")
        client.rcpt("one@example.test")
        client.rcpt("two@example.test")
        code, reply = client.data(content)
        assert client.sock is not None
        local_port = client.sock.getsockname()[1]

    (message,) = server.messages
    assert code == 250
    assert reply.decode() == f"2.0.0 OK: queued as {message.queue_id}"
    assert message == CapturedMessage(
        mail_from="sender@example.test",
        rcpt_tos=("one@example.test", "two@example.test"),
        content=b"Subject: Hello\r\n\r\nFirst line\r\n..leading dot\r\n",
        peer=("127.0.0.1", local_port),
        queue_id=message.queue_id,
    )


def test_queue_ids_are_short_unique_hex(make_server: Callable[..., LocalSMTPServer]) -> None:
    server = make_server(require_starttls=False)

    with _client(server) as client:
        for _ in range(5):
            client.sendmail("a@example.test", ["b@example.test"], b"x")

    queue_ids = [message.queue_id for message in server.messages]
    assert len(set(queue_ids)) == 5
    for queue_id in queue_ids:
        assert len(queue_id) <= 12
        int(queue_id, 16)


def test_records_are_copies(make_server: Callable[..., LocalSMTPServer]) -> None:
    server = make_server()

    server.messages.append(CapturedMessage("a", (), b"", ("", 0), "0"))
    server.auth_attempts.append(("x", True))

    assert server.messages == []
    assert server.auth_attempts == []


def test_the_greeting_carries_hostname_and_ident(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(hostname="mx.example.test", ident="ExampleMTA 2.0")

    client = smtplib.SMTP(timeout=TIMEOUT)
    try:
        code, banner = client.connect(server.host, server.port)
        _, ehlo = client.ehlo()
    finally:
        client.close()

    assert (code, banner) == (220, b"mx.example.test ExampleMTA 2.0")
    assert ehlo.splitlines()[0] == b"mx.example.test"


# --- certificates as a client sees them ------------------------------------------------------


def test_an_expired_leaf_fails_a_verifying_client(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    pki = make_pki(not_after=datetime.now(UTC) - timedelta(days=1))
    server = make_server(pki=pki)

    with _client(server) as client, pytest.raises(ssl.SSLCertVerificationError, match="expired"):
        client.starttls(context=_trusting(pki))


def test_a_self_signed_leaf_verifies_when_trusted_directly(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(pki=make_pki(self_signed=True))

    with _secure_client(server) as client:
        assert client.noop()[0] == 250


def test_connecting_by_ip_verifies_against_the_ip_subject_alt_name(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(pki=make_pki(hostnames=("mail.example.test",)))

    # smtplib passes the host it connected to, "127.0.0.1", as server_hostname.
    with _client(server, host="127.0.0.1") as client:
        client.starttls(context=_trusting(server))
        assert isinstance(client.sock, ssl.SSLSocket)
        peer = client.sock.getpeercert()

    assert peer is not None
    assert ("IP Address", "127.0.0.1") in peer["subjectAltName"]


def test_without_an_ip_subject_alt_name_connecting_by_ip_fails(
    make_server: Callable[..., LocalSMTPServer],
) -> None:
    server = make_server(pki=make_pki(ip_addresses=()))

    with (
        _client(server, host="127.0.0.1") as client,
        pytest.raises(ssl.SSLCertVerificationError, match=r"127\.0\.0\.1"),
    ):
        client.starttls(context=_trusting(server))


@pytest.mark.parametrize("key", ["ec", "rsa"])
def test_the_chain_passes_strict_x509_verification(
    make_server: Callable[..., LocalSMTPServer], key: str
) -> None:
    # VERIFY_X509_STRICT is the default from Python 3.13 on.
    server = make_server(pki=make_pki(key=key))  # type: ignore[arg-type]
    context = _trusting(server)
    context.verify_flags |= ssl.VERIFY_X509_STRICT

    with _client(server) as client:
        client.starttls(context=context)
        assert client.noop()[0] == 250


# --- life cycle -----------------------------------------------------------------------------


def test_stop_leaves_no_threads_no_listener_and_no_files(private_tempdir: Path) -> None:
    threads_before = set(threading.enumerate())

    with LocalSMTPServer(tls="starttls") as server, _secure_client(server) as client:
        client.noop()
        port = server.port
    with LocalSMTPServer(tls="implicit") as server:
        pass

    assert set(threading.enumerate()) == threads_before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()
    assert list(private_tempdir.iterdir()) == []


def test_stop_disconnects_clients_that_are_still_connected() -> None:
    server = LocalSMTPServer()
    server.start()
    client = _secure_client(server)
    idle = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
    assert idle.recv(1024).startswith(b"220 ")

    try:
        server.stop()
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()
        assert idle.recv(1024) == b""
    finally:
        client.close()
        idle.close()


def test_a_server_can_be_restarted_and_records_start_afresh() -> None:
    server = LocalSMTPServer(tls="none")

    with server, _client(server) as client:
        client.sendmail("a@example.test", ["b@example.test"], b"x")
    assert len(server.messages) == 1  # still readable after stop
    with server:
        assert server.messages == []
        assert server.connections == 0


def test_stop_twice_is_harmless_and_start_twice_is_an_error() -> None:
    server = LocalSMTPServer(tls="none")
    with server, pytest.raises(RuntimeError, match="already running"):
        server.start()
    server.stop()


def test_the_port_is_unknown_until_started() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = LocalSMTPServer(tls="none").port


def test_an_unknown_tls_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="tls must be one of"):
        LocalSMTPServer(tls="ssl")


def test_hang_ups_and_rejected_certificates_log_nothing(
    make_server: Callable[..., LocalSMTPServer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    server = make_server(users={USER: PASSWORD})

    with _client(server) as client, pytest.raises(ssl.SSLCertVerificationError):
        client.starttls(context=ssl.create_default_context())
    with _secure_client(server) as client:
        client.login(USER, PASSWORD)  # aiosmtpd would log a deprecation warning here
    _secure_client(server).close()  # no QUIT
    with _client(server) as client:  # a full round trip after the hang-ups
        client.noop()

    assert [record.getMessage() for record in caplog.records] == []
