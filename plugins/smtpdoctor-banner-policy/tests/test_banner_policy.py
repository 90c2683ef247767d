"""The banner policy against real SMTP servers on loopback (smtpdoctor.testing's fixtures)."""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import smtpdoctor_banner_policy as banner_policy

from smtpdoctor import Status
from smtpdoctor.__main__ import main
from smtpdoctor.testing import SMTPTestServer, run_check, run_pipeline

MakeServer = Callable[..., SMTPTestServer]


def test_a_neutral_banner_with_the_host_name_passes(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(greeting="220 mx1.example.org ESMTP")

    result = run_check(server, "banner-policy", plugins=[banner_policy])

    assert result.status is Status.PASS
    assert result.summary == "greets as mx1.example.org and names no software or version"


def test_postfix_with_its_version_is_a_warning_with_the_postfix_fix(
    make_smtp_server: MakeServer,
) -> None:
    server = make_smtp_server(greeting="220 mail.example.org ESMTP Postfix 3.8.1 (Debian)")

    result = run_check(server, "banner-policy", plugins=[banner_policy])

    assert result.status is Status.WARN
    assert result.outcome.finding == "banner-policy.version-disclosed"
    assert result.outcome.details["software"] == ("Postfix",)
    assert result.outcome.details["versions"] == ("3.8.1",)
    assert "reveals a version: 3.8.1; names the software: Postfix" in result.summary
    steps = [step for hint in result.hints for step in hint.steps]
    assert any(step.startswith("Postfix: smtpd_banner = $myhostname ESMTP") for step in steps)


def test_an_exchange_banner_on_a_private_name_breaks_both_rules(
    make_smtp_server: MakeServer,
) -> None:
    server = make_smtp_server(
        greeting="220 EXCH01.corp.local Microsoft ESMTP MAIL Service ready at Mon, 30 Nov 2026"
    )

    result = run_check(server, "banner-policy", plugins=[banner_policy])

    assert result.status is Status.WARN
    assert result.outcome.details["problems"] == (
        "banner-policy.not-fqdn",
        "banner-policy.software-disclosed",
    )
    assert [hint.title for hint in result.hints] == [
        "Greet with the server's fully qualified name",
        "Take the software and version out of the banner",
    ]


def test_a_multi_line_greeting_is_read_whole(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(greeting="220-mx.example.org ESMTP\n220 Exim 4.96 ready")

    result = run_check(server, "banner-policy", plugins=[banner_policy])

    assert result.outcome.details["software"] == ("Exim",)
    assert result.outcome.details["versions"] == ("4.96",)


def test_the_check_needs_the_greeting_and_is_skipped_without_one(
    make_smtp_server: MakeServer,
) -> None:
    server = make_smtp_server(greeting="554 5.7.1 no service for you")

    result = run_check(server, "banner-policy", plugins=[banner_policy])

    assert result.status is Status.SKIP
    assert result.summary == "not run: greeting failed"


def test_with_implicit_tls_the_banner_is_read_after_the_handshake(
    make_smtp_server: MakeServer,
) -> None:
    server = make_smtp_server(tls="implicit", greeting="220 localhost ESMTP")

    report = run_pipeline(server, plugins=[banner_policy])

    ids = [result.check_id for result in report.results]
    assert ids.index("banner-policy") > ids.index("greeting") > ids.index("tls")
    result = report.result("banner-policy")
    assert result is not None
    assert result.outcome.finding == "banner-policy.not-fqdn"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("mail.example.com", None),
        ("mail.example.com.", None),
        ("localhost", "greets as 'localhost', which is not a fully qualified domain name"),
        ("mail", "greets as 'mail', which is not a fully qualified domain name"),
        ("mx.corp.local", "greets as 'mx.corp.local', a name that does not exist on the internet"),
        ("box.home.arpa", "greets as 'box.home.arpa', a name that does not exist on the internet"),
        ("[192.0.2.1]", "greets with an address ([192.0.2.1]), not a host name"),
        ("192.0.2.1", "greets with an address (192.0.2.1), not a host name"),
        ("-bad-.example.com", "greets as '-bad-.example.com', which is not a valid host name"),
        ("", "has no name after the 220"),
    ],
)
def test_what_counts_as_a_fully_qualified_name(name: str, problem: str | None) -> None:
    assert banner_policy.not_an_fqdn(name) == problem


@pytest.mark.parametrize(
    ("text", "versions"),
    [
        ("ESMTP Postfix 3.4.13", ("3.4.13",)),
        ("ESMTP Sendmail 8.15.2/8.15.2; Mon, 30 Nov 2026 05:00:00 +0000", ("8.15.2",)),
        ("ESMTP Exim 4.96-58+deb12u1", ("4.96-58+deb12u1",)),
        ("ESMTP ready for 192.0.2.7", ()),
        ("ESMTP v2.3 ready", ("v2.3",)),
        ("ESMTP ready", ()),
    ],
)
def test_version_numbers_are_found_and_addresses_are_not(
    text: str, versions: tuple[str, ...]
) -> None:
    assert banner_policy.versions_in(text) == versions


def test_the_installed_distribution_offers_the_check_through_its_entry_point(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD", raising=False)

    code = main(["plugins", "--format", "json"])

    plugins = {plugin["name"]: plugin for plugin in json.loads(capsys.readouterr().out)["plugins"]}
    assert code == 0
    assert plugins["banner-policy"]["distribution"] == "smtpdoctor-banner-policy"
    assert plugins["banner-policy"]["version"] == importlib.metadata.version(
        "smtpdoctor-banner-policy"
    )
    assert plugins["banner-policy"]["checks"] == ["banner-policy"]
    assert "smtpdoctor_hints" in plugins["banner-policy"]["hooks"]


def test_smtpdoctor_check_runs_the_installed_plugin(
    make_smtp_server: MakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    server = make_smtp_server(greeting="220 mail.example.org ESMTP Postfix 3.8.1")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(server.ca_pem)

    code = main(["check", f"127.0.0.1:{server.port}", "--ca-file", str(ca_file), "-f", "json"])

    document = json.loads(capsys.readouterr().out)
    rows = {check["id"]: check for check in document["checks"]}
    assert rows["banner-policy"]["status"] == "warn"
    assert rows["banner-policy"]["finding"] == "banner-policy.version-disclosed"
    assert code == 1
