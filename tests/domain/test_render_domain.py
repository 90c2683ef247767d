"""A domain audit shown as a table, JSON and a Nagios line: everything derives from the
report, server-controlled text is escaped, and the verdict matches the exit code."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from smtpdoctor.core.hooks import RenderOptions
from smtpdoctor.domain import DomainReport, Finding, SectionResult
from smtpdoctor.model.results import CheckResult, Hint, Status
from smtpdoctor.model.words import ConfigError, FailureKind
from smtpdoctor.render.domain import (
    SCHEMA,
    render_domain,
    render_domain_failure,
    render_domain_json,
    render_domain_nagios,
    render_domain_table,
)

SPF_PASS = Finding("spf.record", Status.PASS, "SPF record published")
DMARC_NONE = Finding(
    "dmarc.policy-none",
    Status.WARN,
    "DMARC policy none",
    Hint("Move to p=quarantine", ("Read the aggregate reports first.",)),
)
MX_EVIL = Finding("mx.records", Status.INFO, "MX records")


def _row(check_id: str, title: str, finding: Finding, summary: str) -> CheckResult:
    outcome = finding.outcome(summary, {"record": "v=DMARC1; p=none"})
    return CheckResult(check_id, title, outcome, hints=outcome.hints)


def _report(*sections: SectionResult, interrupted: bool = False) -> DomainReport:
    return DomainReport(
        domain="example.test",
        sections=sections,
        started_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        duration=0.25,
        tool_version="9.9",
        dns_servers="127.0.0.1:5353",
        dns_queries=7,
        interrupted=interrupted,
    )


SPF = SectionResult("spf", "SPF", (_row("spf", "SPF", SPF_PASS, "v=spf1 -all"),))
DMARC = SectionResult(
    "dmarc", "DMARC", (_row("dmarc", "DMARC", DMARC_NONE, "p=none at _dmarc.example.test"),)
)


def test_the_table_has_a_section_per_check_with_its_verdict_and_the_hints() -> None:
    text = render_domain_table(_report(SPF, DMARC), width=100)
    assert "mail security of example.test" in text
    assert "DNS: 127.0.0.1:5353 (7 questions)" in text
    assert "SPF — PASS" in text
    assert "DMARC — WARN" in text
    assert "Move to p=quarantine" in text and "- Read the aggregate reports first." in text
    assert text.rstrip().endswith("WARNING: 1 warn, 1 pass in 0.25 s (exit code 1)")


def test_the_table_escapes_what_dns_said() -> None:
    evil = SectionResult(
        "mx", "MX", (_row("mx", "MX", MX_EVIL, "MX 10 \x1b[31mred\x1b[0m.example.test"),)
    )
    text = render_domain_table(_report(evil))
    assert "\x1b[31m" not in text


def test_json_has_the_schema_every_section_and_rows_shaped_like_check_rows() -> None:
    document = json.loads(render_domain_json(_report(SPF, DMARC)))
    assert document["schema"] == SCHEMA
    assert document["domain"] == "example.test"
    assert document["exit_code"] == 1
    assert document["status"] == "warning"
    assert document["dns"] == {"servers": "127.0.0.1:5353", "queries": 7}
    assert [s["id"] for s in document["sections"]] == ["spf", "dmarc"]
    row = document["sections"][1]["rows"][0]
    assert row["finding"] == "dmarc.policy-none"
    assert row["status"] == "warn"
    assert row["details"] == {"record": "v=DMARC1; p=none"}
    assert row["hints"][0]["title"] == "Move to p=quarantine"


def test_nagios_names_the_worst_row_and_has_perfdata() -> None:
    text = render_domain_nagios(_report(SPF, DMARC))
    first, *rest = text.splitlines()
    assert first.startswith("DOMAIN WARNING - example.test: dmarc: p=none at _dmarc.example.test")
    assert "dns_queries=7;;;0;" in first and "warnings=1;0;;0;" in first
    assert rest == ["WARN dmarc.policy-none: p=none at _dmarc.example.test"]


def test_nagios_ok_when_nothing_is_wrong() -> None:
    assert render_domain_nagios(_report(SPF)).startswith("DOMAIN OK - example.test: 1 section OK")


def test_an_interrupted_audit_says_so_and_exits_130() -> None:
    report = _report(SPF, interrupted=True)
    assert report.exit_status == 130
    assert "INTERRUPTED (Ctrl-C), partial report" in render_domain_table(report)
    assert render_domain_nagios(report).startswith("DOMAIN UNKNOWN")


def test_only_table_json_and_nagios_are_formats_of_an_audit() -> None:
    with pytest.raises(ConfigError, match="table, json or nagios, not 'prometheus'"):
        render_domain(_report(SPF), "prometheus", RenderOptions())


def test_a_failed_audit_is_a_json_error_document_or_a_nagios_unknown_line() -> None:
    document = json.loads(
        render_domain_failure("json", "'1.2.3.4' is an IP address", FailureKind.USAGE, 3) or ""
    )
    assert document["schema"] == SCHEMA
    assert document["error"] == {"kind": "usage", "message": "'1.2.3.4' is an IP address"}
    assert render_domain_failure("nagios", "bad | thing", FailureKind.USAGE, 3) == (
        "DOMAIN UNKNOWN - bad / thing"
    )
    assert render_domain_failure("table", "bad", FailureKind.USAGE, 3) is None
