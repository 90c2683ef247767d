"""The trust store: the system store plus --ca-file, loaded once, in the background."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.core.plugins import make_plugin_manager
from smtpdoctor.core.runner import run
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.discovery.matrix import Verdict, run_matrix
from smtpdoctor.lab.pki import ThrowawayPKI, make_pki
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import Endpoint, TLSMode
from smtpdoctor.net import truststore
from smtpdoctor.net.session import Session
from smtpdoctor.net.transport import TLSError, client_context
from smtpdoctor.net.truststore import TrustStore, TrustStores
from smtpdoctor.settings.config import RunConfig

from tests.loopback import closed_port


@pytest.fixture
def system_store_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ThrowawayPKI:
    """A stand-in for the system trust store (OpenSSL reads SSL_CERT_FILE/SSL_CERT_DIR each
    time it loads it) holding one CA of its own."""
    system_ca = make_pki()
    bundle = tmp_path / "system-bundle.pem"
    bundle.write_text(system_ca.ca_pem)
    empty_dir = tmp_path / "no-certs"
    empty_dir.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty_dir))
    return system_ca


# -- which certificates a context trusts ---------------------------------------------------


def test_extra_cas_are_trusted_besides_the_system_store(
    system_store_with: ThrowawayPKI,
) -> None:
    extra = make_pki()

    context = client_context(verify=True, ca_file=None, ca_data=extra.ca_pem)

    assert context.cert_store_stats()["x509_ca"] == 2  # the system's CA and the extra one
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname


def test_an_unverified_context_loads_no_trust_store_at_all(
    system_store_with: ThrowawayPKI,
) -> None:
    context = client_context(verify=False, ca_file=None, ca_data=make_pki().ca_pem)

    assert context.cert_store_stats()["x509"] == 0
    assert context.verify_mode is ssl.CERT_NONE
    assert not context.check_hostname


def test_a_check_with_ca_file_still_trusts_the_system_store(
    system_store_with: ThrowawayPKI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--ca-file adds a CA ("also trust"), as the docs say; it does not replace the system
    store, so a server with a publicly trusted certificate still passes."""
    server = LocalSMTPServer(pki=system_store_with, users={})
    unrelated = tmp_path / "company-ca.pem"
    unrelated.write_text(make_pki().ca_pem)
    with server:
        code = main(
            ["check", f"{server.host}:{server.port}", "--ca-file", str(unrelated)],
        )

    out = capsys.readouterr().out
    assert "certificate refused" not in out
    assert code == 0, out


# -- loading once, in the background -------------------------------------------------------


def test_the_context_is_built_once_and_shared(system_store_with: ThrowawayPKI) -> None:
    store = TrustStore()

    first = store.context(verify=True, timeout=10)
    second = store.context(verify=True, timeout=10)

    assert first is second
    assert store.context(verify=False, timeout=10) is not first


class BlockedLoad:
    """Stands in for client_context: a verifying context waits until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.verifying_loads = 0

    def __call__(self, *, verify: bool, ca_file: str | None, ca_data: str | None) -> ssl.SSLContext:
        if not verify:
            return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.verifying_loads += 1
        self.entered.set()
        self.release.wait(10)
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def test_loading_runs_in_the_background_and_handshakes_wait_for_it_with_a_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load = BlockedLoad()
    monkeypatch.setattr(truststore, "client_context", load)
    store = TrustStore()

    store.prepare()  # returns while the load is still blocked
    store.prepare()  # and starts nothing twice
    assert load.entered.wait(10)
    unverified = store.context(verify=False, timeout=0)  # needs no store: no waiting
    with pytest.raises(TLSError, match="loading the trust store did not finish in time"):
        store.context(verify=True, timeout=0.05)
    load.release.set()
    verified = store.context(verify=True, timeout=10)

    assert verified is not unverified
    assert load.verifying_loads == 1


def test_a_ca_that_does_not_load_fails_every_handshake_that_needs_it() -> None:
    store = TrustStore(ca_data="not a certificate")

    errors = []
    for _ in range(2):
        with pytest.raises(TLSError) as raised:
            store.context(verify=True, timeout=10)
        errors.append(raised.value)

    assert [error.kind for error in errors] == ["config", "config"]
    assert "cannot load CA certificates" in str(errors[0])
    assert errors[0] is not errors[1]  # each caller gets its own exception


def test_sessions_sharing_a_store_load_it_once(
    smtp_server: LocalSMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[bool] = []

    def counting(*, verify: bool, ca_file: str | None, ca_data: str | None) -> ssl.SSLContext:
        loads.append(verify)
        return client_context(verify=verify, ca_file=ca_file, ca_data=ca_data)

    monkeypatch.setattr(truststore, "client_context", counting)
    config = RunConfig(
        host=smtp_server.host,
        port=smtp_server.port,
        tls=TLSMode.STARTTLS,
        ca_data=smtp_server.ca_pem,
    )
    shared = TrustStore.for_config(config)
    manager = make_plugin_manager(load_entry_points=False)

    reports = [run(config, manager, session=Session(config, trust_store=shared)) for _ in range(3)]

    assert [report.exit_status for report in reports] == [0, 0, 0]
    assert loads == [True]


def test_port_probes_never_load_a_trust_store(
    make_server: Callable[..., LocalSMTPServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A probe only asks whether TLS comes up; it verifies nothing, so it loads nothing."""
    loads: list[bool] = []

    def counting(*, verify: bool, ca_file: str | None, ca_data: str | None) -> ssl.SSLContext:
        loads.append(verify)
        return client_context(verify=verify, ca_file=ca_file, ca_data=ca_data)

    monkeypatch.setattr(truststore, "client_context", counting)
    submission = make_server(tls="starttls")
    submissions = make_server(tls="implicit")
    probes = (
        Endpoint(submission.port, TLSMode.STARTTLS),
        Endpoint(submissions.port, TLSMode.IMPLICIT),
    )

    matrix = run_matrix(RunConfig(host="127.0.0.1", probes=probes, timeout=5.0))

    assert [result.verdict for result in matrix.results] == [Verdict.WORKS, Verdict.WORKS]
    assert loads == [False]  # one unverified context: only the implicit-TLS probe shook hands


def test_a_run_that_fails_before_its_handshake_still_waits_for_the_load_to_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refused port ends the run at once; the loader thread must not be left inside OpenSSL
    for the process to exit on (that crashes it in OpenSSL's clean-up)."""
    finished = threading.Event()

    def slow(*, verify: bool, ca_file: str | None, ca_data: str | None) -> ssl.SSLContext:
        threading.Event().wait(0.3)  # still loading when the refused run is over
        finished.set()
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

    monkeypatch.setattr(truststore, "client_context", slow)
    config = RunConfig(host="127.0.0.1", port=closed_port(), tls=TLSMode.STARTTLS, timeout=5.0)

    report = run(config, make_plugin_manager(load_entry_points=False))

    assert report.result("tcp") is not None
    assert report.result("tcp").status is Status.FAIL  # type: ignore[union-attr]
    assert finished.is_set()


def test_trust_stores_hand_out_one_store_per_set_of_ca_settings() -> None:
    """A Doctor's runs (and a scan's targets) share the store their CA settings ask for."""
    stores = TrustStores()

    system = stores.get(ca_file=None, ca_data=None)
    private = stores.get(ca_file=None, ca_data="-----BEGIN CERTIFICATE-----")

    assert stores.get(ca_file=None, ca_data=None) is system
    assert private is not system
    assert stores.get(ca_file=None, ca_data="-----BEGIN CERTIFICATE-----") is private
