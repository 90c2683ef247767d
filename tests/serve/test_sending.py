"""A module that sends a test message sends at most one per target per interval: a scrape
storm cannot spam a mailbox, and a probe that skipped the message says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from smtpdoctor.testing import PASSWORD, USER, SMTPTestServer

from tests.serve.servekit import RunningServe, series, value, write_config


def sending_config(tmp_path: Path, ca_file: Path, server: SMTPTestServer) -> Path:
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD, encoding="utf-8")
    return write_config(
        tmp_path,
        f"""
        [server]
        allowed_targets = ["127.0.0.1:{server.port}"]

        [modules.sending]
        tls = "starttls"
        ca_file = "{ca_file}"
        user = "{USER}"
        password_file = "password"
        send_to = "probe@example.test"
        min_send_interval = 3600
        """,
    )


def test_two_scrapes_send_one_message_and_the_second_says_why_not(
    tmp_path: Path,
    ca_file: Path,
    smtp_test_server: SMTPTestServer,
    make_serve: Callable[..., RunningServe],
) -> None:
    serve = make_serve(sending_config(tmp_path, ca_file, smtp_test_server))
    target = f"/probe?target=127.0.0.1:{smtp_test_server.port}&module=sending"

    first = serve.get(target)
    second = serve.get(target)

    assert len(smtp_test_server.messages) == 1
    assert smtp_test_server.messages[0].rcpt_tos == ("probe@example.test",)
    assert value(series(first.text), "smtpdoctor_check_status", check="send", status="pass") == 1
    assert "# test message not sent: one went to 127.0.0.1:" in second.text
    assert "min_send_interval" in second.text
    assert value(series(second.text), "probe_success") == 1
    assert "test message not sent" in serve.get("/probes/2").text


def test_the_interval_is_per_target(
    tmp_path: Path,
    ca_file: Path,
    make_smtp_server: Callable[..., SMTPTestServer],
    make_serve: Callable[..., RunningServe],
) -> None:
    one, other = make_smtp_server(), make_smtp_server()
    config = sending_config(tmp_path, ca_file, one)
    config.write_text(
        config.read_text().replace(f'"127.0.0.1:{one.port}"', '"127.0.0.1"'), encoding="utf-8"
    )
    serve = make_serve(config)

    for server in (one, other):
        serve.get(f"/probe?target=127.0.0.1:{server.port}&module=sending")

    assert (len(one.messages), len(other.messages)) == (1, 1)
