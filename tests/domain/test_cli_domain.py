"""``smtpdoctor domain DOMAIN`` and ``smtpdoctor scan --domains``: the front doors of the
domain audit — parse, call the core, render, map the exit code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.render.domain import SCHEMA
from smtpdoctor.scan.domains import DOMAIN_RECORD_SCHEMA

from tests.plugins.test_plugin_docs import hook_example
from tests.targets.dnsserver import DNSServer

ZONE = """
good.test.                 MX   10 mx.good.test.
good.test.                 TXT  "v=spf1 ip4:192.0.2.10 -all"
_dmarc.good.test.          TXT  "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"
_smtp._tls.good.test.      TXT  "v=TLSRPTv1; rua=mailto:tlsrpt@good.test"
mx.good.test.              A    127.0.0.1
1.0.0.127.in-addr.arpa.    PTR  mx.good.test.
bad.test.                  MX   10 mx.bad.test.
bad.test.                  TXT  "v=spf1 +all"
mx.bad.test.               A    127.0.0.1
"""

BUILTIN_SECTIONS = ["mx", "smtp", "mta-sts", "tls-rpt", "dane", "spf", "dmarc", "bulk-senders"]


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DNSServer]:
    with DNSServer(ZONE) as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def audit_args(dns_server: DNSServer, domain: str, *more: str) -> list[str]:
    return [
        "domain",
        domain,
        "--dns-server",
        dns_server.address,
        "--no-smtp",
        "--timeout",
        "2",
        *more,
    ]


def test_the_json_report_has_every_builtin_section_and_the_exit_code(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *audit_args(dns_server, "good.test", "-f", "json"))
    document = json.loads(out)
    assert document["schema"] == SCHEMA
    assert document["domain"] == "good.test"
    assert [section["id"] for section in document["sections"]] == BUILTIN_SECTIONS
    assert document["exit_code"] == code
    assert document["dns"]["queries"] > 5


def test_an_open_spf_record_fails_the_audit(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *audit_args(dns_server, "bad.test", "-f", "json"))
    spf = next(s for s in json.loads(out)["sections"] if s["id"] == "spf")
    assert spf["status"] == "fail"
    assert code == 2


def test_the_table_shows_the_sections_and_the_verdict(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *audit_args(dns_server, "bad.test"))
    assert "mail security of bad.test" in out
    assert "SPF — FAIL" in out
    assert out.rstrip().endswith(f"(exit code {code})")


def test_nagios_is_one_status_line_with_perfdata(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *audit_args(dns_server, "bad.test", "-f", "nagios"))
    assert out.startswith("DOMAIN CRITICAL - bad.test: ")
    assert " | time=" in out.splitlines()[0]
    assert code == 2


def test_an_address_audits_its_domain(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, *audit_args(dns_server, "Postmaster@Good.Test.", "-f", "json"))
    assert json.loads(out)["domain"] == "good.test"


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("192.0.2.1", "is an IP address"),
        ("https://example.com/", "is a URL"),
        ("localhost", "has no dot"),
        ("bad_label!.test", "is not a valid domain name"),
    ],
)
def test_what_is_not_a_domain_is_refused_in_words_with_exit_3(
    typed: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "domain", typed, "-f", "json")
    assert code == 3
    assert said in err
    assert json.loads(out)["error"]["kind"] == "usage"


def test_a_format_an_audit_has_not_is_refused_before_any_question(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = len(dns_server.questions)
    code, _, err = run(capsys, *audit_args(dns_server, "good.test", "-f", "prometheus"))
    assert code == 3
    assert "table, json or nagios" in err
    assert len(dns_server.questions) == asked


def test_a_bad_sending_ip_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "domain", "good.test", "--sending-ip", "mx.good.test")
    assert code == 3
    assert "--sending-ip needs an IPv4 or IPv6 address" in err


def test_the_register_domain_checks_example_adds_a_section(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plugin = tmp_path / "caa_example.py"
    plugin.write_text(hook_example("smtpdoctor_register_domain_checks"))
    args = audit_args(dns_server, "good.test", "-f", "json", "--plugin", str(plugin))
    _, out, _ = run(capsys, *args)
    sections = json.loads(out)["sections"]
    assert sections[-1]["id"] == "caa"
    assert sections[-1]["rows"][0]["finding"] == "caa.missing"


def test_domain_help_teaches_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "domain", "--help")
    assert code == 0
    assert "--sending-ip" in out and "--dkim-selector" in out and "--no-smtp" in out
    assert "smtpdoctor domain example.com --sending-ip" in out


# -- scan --domains ---------------------------------------------------------------------------


def test_scan_domains_writes_one_record_per_domain_and_a_summary(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    targets = tmp_path / "domains.txt"
    targets.write_text("good.test\n# a comment\nbad.test\n1.2.3.4\ngood.test.\n")
    output = tmp_path / "audit.jsonl"
    code, _, err = run(
        capsys,
        "scan", "--domains", str(targets), "--no-smtp", "--dns-server", dns_server.address,
        "--timeout", "2", "--output", str(output), "--no-progress",
    )  # fmt: skip
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert sorted(record["target"] for record in records) == ["bad.test", "good.test"]
    assert {record["schema"] for record in records} == {DOMAIN_RECORD_SCHEMA}
    by_domain = {record["target"]: record for record in records}
    assert by_domain["bad.test"]["exit_code"] == 2
    assert by_domain["bad.test"]["report"]["domain"] == "bad.test"
    assert "line 4 skipped: 1.2.3.4 is an IP address" in err
    assert code == 2


def test_scan_domains_resumes_without_auditing_a_domain_twice(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    targets = tmp_path / "domains.txt"
    targets.write_text("good.test\n")
    output = tmp_path / "audit.jsonl"
    common = ["--no-smtp", "--dns-server", dns_server.address, "--output", str(output)]
    run(capsys, "scan", "--domains", str(targets), *common, "--no-progress")
    targets.write_text("good.test\nbad.test\n")
    run(capsys, "scan", "--domains", str(targets), *common, "--resume", "--no-progress")
    assert [json.loads(line)["target"] for line in output.read_text().splitlines()] == [
        "good.test",
        "bad.test",
    ]


@pytest.mark.parametrize("option", [["--proxy", "socks5://127.0.0.1:1080"], ["--insecure"]])
def test_scan_domains_refuses_server_scan_options(
    option: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    targets = tmp_path / "domains.txt"
    targets.write_text("good.test\n")
    code, _, err = run(capsys, "scan", "--domains", str(targets), *option)
    assert code == 3
    assert "cannot be used with --domains" in err


def test_no_smtp_without_domains_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    targets = tmp_path / "servers.txt"
    targets.write_text("smtp.example.test\n")
    code, _, err = run(capsys, "scan", str(targets), "--no-smtp")
    assert code == 3
    assert "--no-smtp needs --domains" in err


def test_scan_domains_refuses_a_server_option_even_given_at_its_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    targets = tmp_path / "domains.txt"
    targets.write_text("good.test\n")
    code, _, err = run(capsys, "scan", "--domains", str(targets), "--port", "587")
    assert code == 3
    assert "--port cannot be used with --domains" in err


@pytest.mark.parametrize("seconds", ["nan", "inf"])
def test_a_timeout_that_is_not_a_number_of_seconds_is_refused(
    seconds: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "domain", "good.test", "--timeout", seconds)
    assert code == 3
    assert "--timeout and --deadline must be positive numbers of seconds" in err


def test_disable_turns_a_domain_check_off_and_keeps_its_row(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, *audit_args(dns_server, "good.test", "-f", "json", "--disable", "dane"))
    dane = next(s for s in json.loads(out)["sections"] if s["id"] == "dane")
    assert dane["status"] == "skip"
    assert dane["rows"][0]["summary"] == "disabled (--disable dane)"


def test_disable_refuses_a_name_that_is_neither_plugin_nor_check(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, *audit_args(dns_server, "good.test", "--disable", "dnssec"))
    assert code == 3
    assert "cannot disable 'dnssec'" in err
    assert "mta-sts" in err  # the domain checks are among the names it lists


@pytest.mark.parametrize("essential", ["tcp", "greeting", "ehlo"])
def test_disable_refuses_what_every_port_25_probe_needs(
    essential: str, dns_server: DNSServer, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = len(dns_server.questions)
    code, _, err = run(capsys, *audit_args(dns_server, "good.test", "--disable", essential))
    assert code == 3
    assert f"check {essential!r} cannot be disabled: every port-25 probe needs it" in err
    assert len(dns_server.questions) == asked


def test_scan_domains_summary_counts_domains_and_each_finding_once(
    dns_server: DNSServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    targets = tmp_path / "domains.txt"
    targets.write_text("bad.test\n")
    args = ["--no-smtp", "--dns-server", dns_server.address, "--no-progress"]

    _, _, err = run(capsys, "scan", "--domains", str(targets), *args)

    assert "Domains" in err and "1 domain in" in err
    assert "throttled" not in err and "Targets" not in err
    assert "spf." in err  # the +all record is among the findings counted
    assert "bulk-senders." not in err  # the summary restates the other sections: counted once
