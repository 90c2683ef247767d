"""The metrics of one report (issue 13): blackbox_exporter's ``probe_*`` names plus
smtpdoctor's own, every value taken from the report, label values escaped so that the
exposition always parses — and ``check --format prometheus --output FILE`` replacing the
file in one step for node_exporter's textfile collector."""

from __future__ import annotations

import os
import socket
import ssl
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from prometheus_client.parser import text_string_to_metric_families

from smtpdoctor.__main__ import main
from smtpdoctor.api.output import OutputError, write_atomically
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import ThrowawayPKI, make_pki
from smtpdoctor.model.results import CheckResult, DetailValue, Outcome, Report, Status, Target
from smtpdoctor.model.words import TLSMode
from smtpdoctor.net.certificates import earliest_expiry
from smtpdoctor.net.transport import Transport
from smtpdoctor.render.prometheus import (
    blackbox_tls_version,
    render_prometheus,
    render_prometheus_failure,
)

from tests.conftest import PASSWORD, USER, RunCheck
from tests.loopback import closed_port

Labels = frozenset[tuple[str, str]]


def series(text: str) -> dict[str, dict[Labels, float]]:
    """The exposition parsed back by prometheus_client's own parser: sample name → labels →
    value.  A malformed exposition raises here."""
    parsed: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            parsed.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return parsed


def value(parsed: dict[str, dict[Labels, float]], name: str, **labels: str) -> float:
    return parsed[name][frozenset(labels.items())]


def report(*results: CheckResult, host: str = "smtp.example.com") -> Report:
    return Report(
        target=Target(host, 587, TLSMode.STARTTLS),
        results=results,
        started_at=datetime(2026, 11, 30, tzinfo=UTC),
        duration=0.25,
        tool_version="9.9.9",
        provider="gmail",
    )


def row(
    check_id: str,
    status: Status,
    *,
    details: dict[str, DetailValue] | None = None,
    finding: str | None = None,
    reply_code: int | None = None,
    duration: float = 0.01,
) -> CheckResult:
    outcome = Outcome(
        status, check_id, details=details or {}, finding=finding, reply_code=reply_code
    )
    return CheckResult(check_id, check_id, outcome, duration=duration)


TCP = row(
    "tcp",
    Status.PASS,
    details={"address": "192.0.2.1", "port": 587, "family": 4, "dns_seconds": 0.003},
    duration=0.02,
)
TLS = row("tls", Status.PASS, details={"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384"})
CERTIFICATE = row(
    "certificate", Status.PASS, details={"days_left": 64, "chain_not_after_unix": 1_800_000_000}
)


# -- the metrics of a report ----------------------------------------------------------------


def test_a_passing_run_has_the_blackbox_names_and_smtpdoctors_own() -> None:
    auth = row("auth", Status.PASS, details={"mechanism": "PLAIN"}, reply_code=235)

    parsed = series(render_prometheus(report(TCP, TLS, CERTIFICATE, auth)))

    assert value(parsed, "probe_success") == 1
    assert value(parsed, "probe_duration_seconds") == 0.25
    assert value(parsed, "probe_dns_lookup_time_seconds") == 0.003
    assert value(parsed, "probe_ip_protocol") == 4
    assert value(parsed, "probe_ssl_earliest_cert_expiry") == 1_800_000_000
    assert value(parsed, "probe_tls_version_info", version="TLS 1.3") == 1
    assert value(parsed, "smtpdoctor_probe_exit_code") == 0
    assert value(parsed, "smtpdoctor_check_duration_seconds", check="tcp") == 0.02
    assert value(parsed, "smtpdoctor_check_reply_code", check="auth") == 235
    assert value(parsed, "smtpdoctor_auth_success") == 1
    assert value(parsed, "smtpdoctor_cert_days_left") == 64
    probe = {"host": "smtp.example.com", "port": "587", "tls": "starttls", "provider": "gmail"}
    assert value(parsed, "smtpdoctor_probe_info", **probe) == 1
    assert "smtpdoctor_finding_info" not in parsed  # nothing wrong, nothing to name


def test_each_check_status_is_a_state_set_with_one_series_per_status() -> None:
    parsed = series(render_prometheus(report(TCP, row("greeting", Status.WARN))))

    for check, current in (("tcp", "pass"), ("greeting", "warn")):
        states = {
            dict(labels)["status"]: number
            for labels, number in parsed["smtpdoctor_check_status"].items()
            if dict(labels)["check"] == check
        }
        assert states == {
            status: float(status == current)
            for status in ("pass", "info", "skip", "warn", "fail", "error")
        }


@pytest.mark.parametrize(
    ("status", "exit_code", "success"),
    [(Status.WARN, 1, 1), (Status.FAIL, 2, 0), (Status.ERROR, 3, 0)],
)
def test_probe_success_is_1_exactly_when_no_row_failed_or_broke(
    status: Status, exit_code: int, success: int
) -> None:
    parsed = series(render_prometheus(report(TCP, row("greeting", status, finding="x.y"))))

    assert value(parsed, "probe_success") == success
    assert value(parsed, "smtpdoctor_probe_exit_code") == exit_code
    labels = {"check": "greeting", "finding": "x.y", "status": status.value}
    assert value(parsed, "smtpdoctor_finding_info", **labels) == 1


def test_a_skipped_check_has_a_status_but_no_duration() -> None:
    parsed = series(render_prometheus(report(TCP, row("send", Status.SKIP))))

    assert value(parsed, "smtpdoctor_check_status", check="send", status="skip") == 1
    assert set(parsed["smtpdoctor_check_duration_seconds"]) == {frozenset({("check", "tcp")})}


def test_without_a_login_attempt_there_is_no_auth_success() -> None:
    listed_only = row("auth", Status.INFO, details={"mechanisms": ("PLAIN",)})
    no_common = row("auth", Status.FAIL, finding="auth.no-common-mechanism")

    for auth in (listed_only, no_common):
        assert "smtpdoctor_auth_success" not in series(render_prometheus(report(TCP, auth)))


def test_a_refused_login_is_auth_success_0() -> None:
    auth = row(
        "auth", Status.FAIL, details={"mechanism": "PLAIN"}, finding="auth.rejected", reply_code=535
    )

    assert value(series(render_prometheus(report(TCP, auth))), "smtpdoctor_auth_success") == 0


@pytest.mark.parametrize(("status", "present"), [(Status.PASS, True), (Status.WARN, False)])
def test_the_delivery_latency_is_there_only_when_delivery_passed(
    status: Status, present: bool
) -> None:
    finding = None if status is Status.PASS else "delivery.junk"
    delivery = row("delivery", status, details={"latency_seconds": 2.5}, finding=finding)

    parsed = series(render_prometheus(report(TCP, delivery)))

    assert ("smtpdoctor_delivery_latency_seconds" in parsed) is present
    if present:
        assert value(parsed, "smtpdoctor_delivery_latency_seconds") == 2.5


@pytest.mark.parametrize(
    ("openssl", "blackbox"),
    [("TLSv1.3", "TLS 1.3"), ("TLSv1.2", "TLS 1.2"), ("TLSv1.1", "TLS 1.1"), ("TLSv1", "TLS 1.0")],
)
def test_tls_versions_are_labelled_as_blackbox_exporter_labels_them(
    openssl: str, blackbox: str
) -> None:
    assert blackbox_tls_version(openssl) == blackbox


def test_hostile_text_in_labels_is_escaped_and_the_exposition_still_parses() -> None:
    host = 'evil"} probe_success 1\nx{y="'
    finding = 'a\\b"c\nd'
    text = render_prometheus(report(TCP, row("greeting", Status.FAIL, finding=finding), host=host))

    parsed = series(text)

    assert value(parsed, "probe_success") == 0
    info = dict(next(iter(parsed["smtpdoctor_probe_info"])))
    assert info["host"] == host.replace("\n", " ")  # a label is one line (safe_text)
    (labels,) = parsed["smtpdoctor_finding_info"]
    assert dict(labels)["finding"] == finding.replace("\n", " ")
    assert all(line.startswith(("#", "probe_", "smtpdoctor_")) for line in text.splitlines())


def test_rendering_uses_no_global_registry() -> None:
    from prometheus_client import REGISTRY

    render_prometheus(report(TCP))

    assert REGISTRY.get_sample_value("probe_success") is None
    first = series(render_prometheus(report(row("tcp", Status.FAIL, finding="tcp.refused"))))
    assert value(first, "probe_success") == 0  # nothing left over from the run before


def test_a_run_that_could_not_be_carried_out_is_a_failed_probe_with_exit_code_3() -> None:
    parsed = series(render_prometheus_failure())

    assert parsed == {
        "probe_success": {frozenset(): 0.0},
        "smtpdoctor_probe_exit_code": {frozenset(): 3.0},
    }


# -- the facts the metrics need, at their source ----------------------------------------------


def soon() -> float:
    return time.monotonic() + 5


def der(pem: str) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem)


def test_the_earliest_expiry_of_a_chain_is_its_earliest_not_after() -> None:
    pki = make_pki(not_after=datetime(2027, 1, 2, tzinfo=UTC))  # the CA lives longer

    earliest = earliest_expiry([der(pki.ca_pem), b"not a certificate", der(pki.cert_pem)])

    assert earliest == datetime(2027, 1, 2, tzinfo=UTC)
    assert earliest_expiry([b"junk"]) is None


def test_the_dns_time_is_the_look_up_of_a_name_and_0_for_an_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # the kernel completes the connections; nobody needs to accept
        port = listener.getsockname()[1]
        answer = socket.getaddrinfo("127.0.0.1", port, type=socket.SOCK_STREAM)

        def slow_getaddrinfo(host: str, *args: object, **kwargs: object) -> object:
            assert host == "mail.example.test"
            time.sleep(0.05)
            return answer

        literal = Transport.connect("127.0.0.1", port, deadline_at=soon())
        monkeypatch.setattr(socket, "getaddrinfo", slow_getaddrinfo)
        named = Transport.connect("mail.example.test", port, deadline_at=soon())
        try:
            assert (literal.dns_seconds, literal.family) == (0.0, 4)
            assert named.dns_seconds >= 0.05  # at least the look-up's own time
        finally:
            literal.close()
            named.close()


# -- real runs ------------------------------------------------------------------------------


def leaf_not_after(pki: ThrowawayPKI) -> int:
    return int(
        x509.load_pem_x509_certificate(pki.cert_pem.encode()).not_valid_after_utc.timestamp()
    )


def test_a_real_starttls_run_with_a_login(
    smtp_server: LocalSMTPServer, run_check: RunCheck, pki: ThrowawayPKI
) -> None:
    text = render_prometheus(run_check(smtp_server))

    parsed = series(text)
    assert value(parsed, "probe_success") == 1
    assert value(parsed, "probe_ip_protocol") == 4
    assert value(parsed, "probe_dns_lookup_time_seconds") == 0  # an address: nothing looked up
    assert value(parsed, "probe_ssl_earliest_cert_expiry") == leaf_not_after(pki)
    assert set(parsed["probe_tls_version_info"]) <= {
        frozenset({("version", "TLS 1.2")}),
        frozenset({("version", "TLS 1.3")}),
    }
    assert value(parsed, "smtpdoctor_auth_success") == 1
    assert value(parsed, "smtpdoctor_check_reply_code", check="greeting") == 220
    assert value(parsed, "smtpdoctor_check_status", check="certificate", status="pass") == 1
    assert PASSWORD not in text


def test_a_real_run_whose_login_fails(smtp_server: LocalSMTPServer, run_check: RunCheck) -> None:
    wrong = "not the password"

    text = render_prometheus(run_check(smtp_server, password=wrong))

    parsed = series(text)
    assert value(parsed, "probe_success") == 0
    assert value(parsed, "smtpdoctor_auth_success") == 0
    assert value(parsed, "smtpdoctor_check_status", check="auth", status="fail") == 1
    assert wrong not in text


def test_a_closed_port_is_a_failed_probe_without_tls_series(run_check: RunCheck) -> None:
    parsed = series(render_prometheus(run_check(("127.0.0.1", closed_port()), password=None)))

    assert value(parsed, "probe_success") == 0
    assert value(parsed, "probe_ip_protocol") == 0
    assert value(parsed, "smtpdoctor_probe_exit_code") == 2
    labels = {"check": "tcp", "finding": "tcp.refused", "status": "fail"}
    assert value(parsed, "smtpdoctor_finding_info", **labels) == 1
    for absent in (
        "probe_tls_version_info",
        "probe_ssl_earliest_cert_expiry",
        "probe_dns_lookup_time_seconds",
        "smtpdoctor_cert_days_left",
        "smtpdoctor_auth_success",
    ):
        assert absent not in parsed


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def refusing_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    """A server on ``request.param`` (an address) that greets every client with ``554``."""
    address: str = request.param
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    if family == socket.AF_INET6 and not ipv6_loopback_available():
        pytest.skip("no IPv6 loopback here")
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind((address, 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with client:
                client.sendall(b"554 5.7.1 no service here\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield address, listener.getsockname()[1]
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in the thread
    listener.close()
    thread.join(timeout=5)


@pytest.mark.parametrize(
    ("refusing_server", "protocol"), [("127.0.0.1", 4), ("::1", 6)], indirect=["refusing_server"]
)
def test_probe_ip_protocol_is_the_family_connected_over(
    refusing_server: tuple[str, int], protocol: int, run_check: RunCheck
) -> None:
    parsed = series(render_prometheus(run_check(refusing_server, password=None, tls=TLSMode.NONE)))

    assert value(parsed, "probe_ip_protocol") == protocol
    assert value(parsed, "smtpdoctor_check_status", check="tcp", status="pass") == 1
    assert value(parsed, "smtpdoctor_check_reply_code", check="greeting") == 554


# -- check --format prometheus --output FILE ------------------------------------------------


@pytest.fixture
def ca_file(smtp_server: LocalSMTPServer, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(smtp_server.ca_pem)
    return path


@pytest.fixture
def check_argv(
    smtp_server: LocalSMTPServer, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)
    target = f"{smtp_server.host}:{smtp_server.port}"
    return ["check", target, "--ca-file", str(ca_file), "--user", USER]


def test_check_writes_the_metrics_to_the_file_and_nothing_to_standard_output(
    check_argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = tmp_path / "textfile" / "smtp.prom"
    metrics.parent.mkdir()

    code = main([*check_argv, "--format", "prometheus", "--output", str(metrics)])

    assert code == 0
    assert capsys.readouterr().out == ""
    text = metrics.read_text(encoding="utf-8")
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert value(series(text), "probe_success") == 1
    assert stat.S_IMODE(metrics.stat().st_mode) == 0o644
    assert os.listdir(metrics.parent) == ["smtp.prom"]  # no temporary file left behind
    assert PASSWORD not in text


def test_check_replaces_the_file_rather_than_overwriting_it_in_place(
    check_argv: list[str], tmp_path: Path
) -> None:
    metrics = tmp_path / "smtp.prom"
    metrics.write_text("# an older, much longer report\n" * 10_000)
    metrics.chmod(0o640)

    with metrics.open(encoding="utf-8") as reader:  # a collector in the middle of a read
        code = main([*check_argv, "-f", "prometheus", "--output", str(metrics)])
        old = reader.read()

    assert code == 0
    assert old == "# an older, much longer report\n" * 10_000  # it still sees the whole old file
    text = metrics.read_text(encoding="utf-8")
    assert "older" not in text and value(series(text), "probe_success") == 1
    assert stat.S_IMODE(metrics.stat().st_mode) == 0o640  # an existing file keeps its mode


def test_the_exit_code_stays_the_checks_when_writing_to_a_file(
    check_argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", "not the password")
    metrics = tmp_path / "smtp.prom"

    code = main([*check_argv, "-f", "prometheus", "--output", str(metrics)])

    assert code == 2
    assert value(series(metrics.read_text(encoding="utf-8")), "smtpdoctor_auth_success") == 0


def test_any_format_can_go_to_the_file(check_argv: list[str], tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"

    assert main([*check_argv, "-f", "json", "--output", str(report_file)]) == 0

    assert '"checks"' in report_file.read_text(encoding="utf-8")


def test_an_unwritable_destination_is_exit_3_with_the_reason(
    check_argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = tmp_path / "no-such-directory" / "smtp.prom"

    code = main([*check_argv, "-f", "prometheus", "--output", str(metrics)])

    assert code == 3
    err = capsys.readouterr().err
    assert f"cannot write the report to {metrics}: No such file or directory" in err
    assert not metrics.parent.exists()


def test_a_run_that_cannot_start_writes_a_failed_probe_to_the_file(tmp_path: Path) -> None:
    metrics = tmp_path / "smtp.prom"
    metrics.write_text("probe_success 1\n")  # the last good run

    code = main(
        ["check", "127.0.0.1:25", "-p", "587", "-f", "prometheus", "--output", str(metrics)]
    )

    assert code == 3
    parsed = series(metrics.read_text(encoding="utf-8"))
    assert value(parsed, "probe_success") == 0
    assert value(parsed, "smtpdoctor_probe_exit_code") == 3


# -- the atomic write itself ------------------------------------------------------------------


def test_a_failed_write_leaves_neither_the_file_changed_nor_a_temporary_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "report.prom"
    target.mkdir()  # a directory cannot be replaced by a file

    with pytest.raises(OutputError, match=r"cannot write the report to .*report\.prom: "):
        write_atomically(target, "probe_success 1\n")

    assert target.is_dir()
    assert os.listdir(tmp_path) == ["report.prom"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_directory_is_an_output_error(tmp_path: Path) -> None:
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="Permission denied"):
            write_atomically(tmp_path / "report.prom", "probe_success 1\n")
    finally:
        tmp_path.chmod(0o755)
