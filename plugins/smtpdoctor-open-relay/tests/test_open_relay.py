"""The open-relay probe against real SMTP servers on loopback (smtpdoctor.testing's fixtures)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import smtpdoctor_open_relay as open_relay

from smtpdoctor import Status, TLSMode
from smtpdoctor.__main__ import main
from smtpdoctor.testing import PASSWORD, USER, SMTPTestServer, run_check, run_pipeline

MakeServer = Callable[..., SMTPTestServer]
PROBE = {"open-relay.probe": "yes"}


@pytest.fixture(autouse=True)
def _no_probe_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMTPDOCTOR_OPEN_RELAY_PROBE", raising=False)


def test_without_opting_in_nothing_is_probed(smtp_test_server: SMTPTestServer) -> None:
    report = run_pipeline(smtp_test_server, plugins=[open_relay])

    assert report.result("open-relay") is None
    assert "MAIL" not in smtp_test_server.verbs
    with pytest.raises(LookupError, match="did not take part in this run"):
        run_check(smtp_test_server, "open-relay", plugins=[open_relay])


def test_a_server_that_refuses_relaying_at_rcpt_passes(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(replies={"RCPT": "554 5.7.1 <x@example.net>: Relay access denied"})

    result = run_check(server, "open-relay", plugins=[open_relay], options=PROBE)

    assert result.status is Status.PASS
    assert result.outcome.finding == "open-relay.refused"
    assert result.outcome.reply_code == 554
    assert "Relay access denied" in result.summary
    assert server.verbs[-4:] == ["MAIL", "RCPT", "RSET", "QUIT"]


def test_an_open_relay_fails_and_no_message_is_ever_sent(
    smtp_test_server: SMTPTestServer,
) -> None:
    result = run_check(smtp_test_server, "open-relay", plugins=[open_relay], options=PROBE)

    assert result.status is Status.FAIL
    assert result.outcome.finding == "open-relay.accepted"
    assert result.summary.startswith("OPEN RELAY: the server accepted RCPT TO:<")
    titles = [hint.title for hint in result.hints]
    assert any(title.startswith("Close the open relay now") for title in titles)
    assert "DATA" not in smtp_test_server.verbs
    assert smtp_test_server.messages == []
    assert "RSET" in smtp_test_server.verbs


def test_the_probe_runs_after_starttls_and_uses_outside_addresses(
    smtp_test_server: SMTPTestServer,
) -> None:
    report = run_pipeline(smtp_test_server, plugins=[open_relay], options=PROBE)

    ids = [result.check_id for result in report.results]
    assert ids.index("open-relay") > ids.index("tls")
    assert "MAIL FROM:<smtpdoctor-probe@example.com>" in smtp_test_server.commands
    assert "RCPT TO:<smtpdoctor-probe@example.net>" in smtp_test_server.commands
    assert smtp_test_server.verbs.index("MAIL") > smtp_test_server.verbs.index("STARTTLS")


def test_the_addresses_can_be_chosen(smtp_test_server: SMTPTestServer) -> None:
    options = {**PROBE, "open-relay.from": "a@outside.test", "open-relay.to": "b@elsewhere.test"}

    run_check(smtp_test_server, "open-relay", plugins=[open_relay], options=options)

    assert "MAIL FROM:<a@outside.test>" in smtp_test_server.commands
    assert "RCPT TO:<b@elsewhere.test>" in smtp_test_server.commands


def test_a_deferral_is_inconclusive(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(replies={"RCPT": "450 4.2.0 Greylisted, try again later"})

    result = run_check(server, "open-relay", plugins=[open_relay], options=PROBE)

    assert result.status is Status.WARN
    assert result.outcome.finding == "open-relay.deferred"
    assert "Run the probe again in a few minutes: greylisting defers first attempts" in [
        hint.title for hint in result.hints
    ]


def test_refusing_strangers_before_login_passes(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(replies={"MAIL": "530 5.7.0 Authentication required"})

    result = run_check(server, "open-relay", plugins=[open_relay], options=PROBE)

    assert result.status is Status.PASS
    assert "refuses mail from strangers before they log in" in result.summary
    assert "RCPT" not in server.verbs


def test_a_refused_sender_makes_the_probe_inconclusive(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(replies={"MAIL": "553 5.1.8 Sender domain does not exist"})

    result = run_check(server, "open-relay", plugins=[open_relay], options=PROBE)

    assert result.status is Status.INFO
    assert result.outcome.finding == "open-relay.sender-refused"
    assert "-o open-relay.from=ADDRESS" in result.summary


def test_a_logged_in_session_is_not_probed(smtp_test_server: SMTPTestServer) -> None:
    report = run_pipeline(
        smtp_test_server, plugins=[open_relay], options=PROBE, user=USER, password=PASSWORD
    )

    auth = report.result("auth")
    result = report.result("open-relay")
    assert auth is not None
    assert auth.status is Status.PASS
    assert result is not None
    assert result.status is Status.SKIP
    assert "logged in" in result.summary
    assert "MAIL" not in smtp_test_server.verbs


def test_the_environment_variable_opts_in_and_an_explicit_no_wins(
    smtp_test_server: SMTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_OPEN_RELAY_PROBE", "yes")

    opted_in = run_pipeline(smtp_test_server, plugins=[open_relay])
    declined = run_pipeline(
        smtp_test_server, plugins=[open_relay], options={"open-relay.probe": "no"}
    )

    assert opted_in.result("open-relay") is not None
    assert declined.result("open-relay") is None


def test_without_tls_the_probe_follows_ehlo(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(tls="none")

    result = run_check(server, "open-relay", plugins=[open_relay], options=PROBE, tls=TLSMode.NONE)

    assert result.status is Status.FAIL
    assert "STARTTLS" not in server.verbs


def test_smtpdoctor_check_probes_when_the_option_is_given(
    smtp_test_server: SMTPTestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(smtp_test_server.ca_pem)
    target = f"127.0.0.1:{smtp_test_server.port}"
    common = [target, "--ca-file", str(ca_file), "-f", "json"]

    quiet = main(["check", *common])
    quiet_rows = {row["id"] for row in json.loads(capsys.readouterr().out)["checks"]}
    probed = main(["check", *common, "-o", "open-relay.probe=yes"])
    probed_rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)["checks"]}

    assert "open-relay" not in quiet_rows
    assert quiet == 0
    assert probed_rows["open-relay"]["status"] == "fail"
    assert probed == 2


def test_smtpdoctor_checks_lists_the_probe_as_opt_in(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD", raising=False)

    code = main(["checks", "--format", "json"])

    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)["checks"]}
    assert code == 0
    assert rows["open-relay"]["opt_in"] is True
    assert rows["open-relay"]["plugin"] == "open-relay"
    assert rows["open-relay"]["requires"] == {
        "starttls": ["ehlo", "tls"],
        "implicit": ["ehlo", "tls"],
        "none": ["ehlo"],
    }
