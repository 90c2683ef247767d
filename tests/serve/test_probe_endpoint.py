"""``GET /probe``: one check through the core API, answered in the Prometheus text format
(parsed back with prometheus_client's parser), or as the redacted human report."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from smtpdoctor.testing import PASSWORD, USER, SMTPTestServer

from tests.serve.servekit import RunningServe, series, value, write_config


def submission_config(tmp_path: Path, ca_file: Path, server: SMTPTestServer) -> Path:
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    return write_config(
        tmp_path,
        f"""
        [server]
        allowed_targets = ["127.0.0.1:{server.port}"]

        [modules.submission]
        tls = "starttls"
        port = {server.port}
        ca_file = "{ca_file}"
        user = "{USER}"
        password_file = "{password_file}"
        timeout = 5
        deadline = 20
        """,
    )


def test_a_probe_of_a_good_server_answers_success_in_the_prometheus_format(
    tmp_path: Path,
    ca_file: Path,
    smtp_test_server: SMTPTestServer,
    make_serve: Callable[..., RunningServe],
) -> None:
    serve = make_serve(submission_config(tmp_path, ca_file, smtp_test_server))

    reply = serve.get(f"/probe?target=127.0.0.1:{smtp_test_server.port}&module=submission")

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    parsed = series(reply.text)
    assert value(parsed, "probe_success") == 1
    assert value(parsed, "smtpdoctor_probe_exit_code") == 0
    assert value(parsed, "smtpdoctor_auth_success") == 1
    assert value(parsed, "smtpdoctor_check_status", check="auth", status="pass") == 1
    assert value(parsed, "probe_tls_version_info", version="TLS 1.3") == 1
    assert value(parsed, "probe_ssl_earliest_cert_expiry") is not None


def test_the_target_port_defaults_to_the_modules_port(
    tmp_path: Path,
    ca_file: Path,
    smtp_test_server: SMTPTestServer,
    make_serve: Callable[..., RunningServe],
) -> None:
    serve = make_serve(submission_config(tmp_path, ca_file, smtp_test_server))

    reply = serve.get("/probe?target=127.0.0.1&module=submission")

    labels = {"host": "127.0.0.1", "port": str(smtp_test_server.port), "tls": "starttls"}
    info = series(reply.text)["smtpdoctor_probe_info"]
    assert any(labels.items() <= dict(key).items() for key in info)


def test_debug_output_is_the_report_without_the_password_or_its_base64(
    tmp_path: Path,
    ca_file: Path,
    smtp_test_server: SMTPTestServer,
    make_serve: Callable[..., RunningServe],
) -> None:
    serve = make_serve(submission_config(tmp_path, ca_file, smtp_test_server))

    reply = serve.get(
        f"/probe?target=127.0.0.1:{smtp_test_server.port}&module=submission&debug=true"
    )

    assert reply.status == 200
    assert "auth" in reply.text and "PASS" in reply.text
    assert "AUTH" in reply.text  # the transcript is there, redacted
    plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    alone = base64.b64encode(PASSWORD.encode()).decode()
    for secret in (PASSWORD, plain, alone):
        assert secret not in reply.text


def test_a_failing_server_is_probe_success_0_and_counted_as_a_failure(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    config = write_config(
        tmp_path,
        """
        [server]
        allowed_targets = ["127.0.0.1"]

        [modules.plain]
        tls = "none"
        """,
    )
    serve = make_serve(config)

    reply = serve.get("/probe?target=127.0.0.1:1&module=plain")

    assert reply.status == 200
    parsed = series(reply.text)
    assert value(parsed, "probe_success") == 0
    assert (
        value(parsed, "smtpdoctor_finding_info", check="tcp", finding="tcp.refused", status="fail")
        == 1
    )
    metrics = series(serve.get("/metrics").text)
    assert value(metrics, "smtpdoctor_serve_probes_total", module="plain", result="failure") == 1


def test_a_target_outside_the_allow_list_is_403_in_words_and_counted_rejected(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    config = write_config(
        tmp_path,
        """
        [server]
        allowed_targets = ["*.example.test:587"]

        [modules.smtp]
        allowed_targets = ["mail.example.test"]
        """,
    )
    serve = make_serve(config)

    outside = serve.get("/probe?target=10.0.0.1:25&module=smtp")
    other_port = serve.get("/probe?target=mail.example.test:25&module=smtp")
    not_the_modules = serve.get("/probe?target=other.example.test:587&module=smtp")

    for reply in (outside, other_port, not_the_modules):
        assert reply.status == 403
        assert "is not allowed for module 'smtp'" in reply.text
    metrics = series(serve.get("/metrics").text)
    assert value(metrics, "smtpdoctor_serve_probes_total", module="smtp", result="rejected") == 3


def test_nothing_is_allowed_without_an_allow_list(
    make_serve: Callable[..., RunningServe],
) -> None:
    serve = make_serve()

    reply = serve.get("/probe?target=127.0.0.1:25")

    assert reply.status == 403


def test_bad_requests_are_400_in_words_and_counted_rejected(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    config = write_config(
        tmp_path,
        """
        [server]
        allowed_targets = ["*"]

        [modules.smtp]
        """,
    )
    serve = make_serve(config)

    no_target = serve.get("/probe?module=smtp")
    unknown_module = serve.get("/probe?target=127.0.0.1&module=nosuch")
    an_address = serve.get("/probe?target=alice@example.test&module=smtp")
    bad_header = serve.get(
        "/probe?target=127.0.0.1&module=smtp",
        headers={"X-Prometheus-Scrape-Timeout-Seconds": "soon"},
    )

    assert (no_target.status, unknown_module.status, an_address.status) == (400, 400, 400)
    assert bad_header.status == 400
    assert "give target=HOST[:PORT]" in no_target.text
    assert "unknown module 'nosuch'; the modules are: smtp" in unknown_module.text
    assert "email address" in an_address.text
    assert "X-Prometheus-Scrape-Timeout-Seconds" in bad_header.text
    metrics = series(serve.get("/metrics").text)
    assert value(metrics, "smtpdoctor_serve_probes_total", module="smtp", result="rejected") == 3
    # a module name from the request never becomes a label value
    assert value(metrics, "smtpdoctor_serve_probes_total", module="", result="rejected") == 1


def test_metrics_has_the_servers_own_series(
    tmp_path: Path,
    ca_file: Path,
    smtp_test_server: SMTPTestServer,
    make_serve: Callable[..., RunningServe],
) -> None:
    serve = make_serve(submission_config(tmp_path, ca_file, smtp_test_server))
    serve.get(f"/probe?target=127.0.0.1:{smtp_test_server.port}&module=submission")

    reply = serve.get("/metrics")

    assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    parsed = series(reply.text)
    assert (
        value(parsed, "smtpdoctor_serve_probes_total", module="submission", result="success") == 1
    )
    assert value(parsed, "smtpdoctor_serve_probes_in_flight") == 0
    assert value(parsed, "smtpdoctor_serve_probe_duration_seconds_count", module="submission") == 1
    assert value(parsed, "smtpdoctor_serve_config_last_reload_successful") == 1
    assert value(parsed, "smtpdoctor_serve_config_last_reload_success_timestamp_seconds")
    assert "probe_success" not in parsed  # a probe's series are only in /probe


def test_the_config_shown_names_where_the_password_is_but_not_the_password(
    tmp_path: Path,
    ca_file: Path,
    smtp_test_server: SMTPTestServer,
    make_serve: Callable[..., RunningServe],
) -> None:
    serve = make_serve(submission_config(tmp_path, ca_file, smtp_test_server))

    reply = serve.get("/config")

    assert reply.status == 200
    assert str(tmp_path / "password") in reply.text
    assert PASSWORD not in reply.text
