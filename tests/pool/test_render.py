"""A pool survey in every builtin format: the members side by side, the differences with
their hints, each member's full report in JSON, one Nagios line, per-member metrics."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from smtpdoctor.api import Doctor, PoolReport
from smtpdoctor.model.words import ConfigError
from smtpdoctor.pool.compare import CERTIFICATE_DIFFERS, STARTTLS_DIFFERS
from smtpdoctor.render import RenderOptions
from smtpdoctor.render.pool import (
    POOL_FORMATS,
    render_pool,
    render_pool_json,
    render_pool_nagios,
    render_pool_table,
    require_pool_format,
)
from smtpdoctor.render.pool_prometheus import render_pool_prometheus

from tests.pool.poolkit import SILENT, PoolLab


@pytest.fixture(scope="module")
def mixed(lab: PoolLab, doctor: Doctor) -> PoolReport:
    """pool.test: 127.0.0.4 offers no STARTTLS, 127.0.0.3 serves the other certificate."""
    return doctor.survey(doctor.plan(lab.request("pool.test")))


def longest_line(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("width", [80, 120, 160])
def test_the_table_fits_the_terminal(mixed: PoolReport, width: int) -> None:
    table = render_pool_table(mixed, width=width)

    assert longest_line(table) <= width
    for expected in ("127.0.0.2", "127.0.0.3", "127.0.0.4", STARTTLS_DIFFERS, CERTIFICATE_DIFFERS):
        assert expected in table


def test_the_table_puts_the_members_side_by_side_then_the_differences(
    mixed: PoolReport,
) -> None:
    table = render_pool_table(mixed, width=160)
    short = mixed.members[1].facts
    assert short.fingerprint is not None

    lines = table.splitlines()
    header = next(line for line in lines if line.startswith("Address"))
    assert header.split() == [
        "Address",
        "IPv",
        "Reach",
        "Greeting",
        "name",
        "STARTTLS",
        "TLS",
        "Certificate",
        "AUTH",
        "Status",
    ]
    row = next(line for line in lines if line.startswith("127.0.0.3 "))
    assert row.split()[:8] == [
        "127.0.0.3",
        "4",
        "yes",
        "mx.pool.test",
        "yes",
        "1.3",
        short.fingerprint[:11],
        "LOGIN",
    ]
    assert next(line for line in lines if line.startswith("127.0.0.4 ")).split()[4:6] == [
        "no",
        "-",
    ]
    assert table.index(STARTTLS_DIFFERS) > table.index("127.0.0.4 ")
    assert "Pool members serve different certificates" in table
    assert lines[-1] == (
        "WARNING: 3 members checked, 2 differences (pool.starttls-differs, "
        f"pool.certificate-differs) in {mixed.duration:.2f} s (exit code 1); each member's "
        "full report: --format json"
    )


def test_the_table_names_the_members_not_checked(lab: PoolLab, doctor: Doctor) -> None:
    from smtpdoctor.api import PoolLimits

    pool = doctor.survey(doctor.plan(lab.request("big.pool.test")), limits=PoolLimits(members=4))

    table = render_pool_table(pool, width=120)

    assert "Not checked (over the limit of 4 members): 127.0.0.7" in table
    assert "4 members of 5 addresses checked" in table


def test_the_json_holds_every_member_report_and_the_comparison(mixed: PoolReport) -> None:
    document = json.loads(render_pool_json(mixed))

    assert document["schema"] == "https://smtpdoctor.dev/schema/pool"
    assert document["target"]["host"] == "pool.test"
    assert (document["exit_code"], document["status"]) == (1, "warning")
    assert [(m["address"], m["family"]) for m in document["members"]] == [
        ("127.0.0.2", 4),
        ("127.0.0.3", 4),
        ("127.0.0.4", 4),
    ]
    for member in document["members"]:
        assert member["report"]["schema"] == "https://smtpdoctor.dev/schema/report"
        assert [c["id"] for c in member["report"]["checks"]][:3] == ["tcp", "greeting", "ehlo"]
    assert document["members"][2]["facts"] == {
        "reachable": True,
        "reach": "yes",
        "greeting_name": "mx.pool.test",
        "starttls": False,
        "tls_version": None,
        "certificate_sha256": None,
        "certificate_not_after": None,
        "certificate_days_left": None,
        "auth_mechanisms": ["LOGIN", "PLAIN"],
        "status": "warning",
        "problems": ["tls"],
    }
    rows = {row["finding"]: row for row in document["comparison"]}
    assert set(rows) == {STARTTLS_DIFFERS, CERTIFICATE_DIFFERS}
    assert rows[STARTTLS_DIFFERS]["details"]["groups"] == [
        "no: 127.0.0.4",
        "yes: 127.0.0.2, 127.0.0.3",
    ]
    assert rows[STARTTLS_DIFFERS]["hints"][0]["title"] == "Not every pool member offers STARTTLS"
    assert document["not_checked"] == []


def test_the_nagios_line_is_the_worst_state_and_what_differs(mixed: PoolReport) -> None:
    first, *long_output = render_pool_nagios(mixed).splitlines()

    status, perfdata = first.split(" | ")
    assert status == (
        f"SMTP WARNING - pool.test:{mixed.port}: 3 members, 2 differences: 1 of 3 pool members "
        "does not offer STARTTLS: 127.0.0.4; 2 of 3 offer STARTTLS: 127.0.0.2, 127.0.0.3 "
        "(+1 more)"
    )
    labels = [item.split("=")[0] for item in perfdata.split()]
    assert labels == [
        "time",
        "members",
        "differences",
        "'time_127.0.0.2'",
        "'cert_days_left_127.0.0.2'",
        "'time_127.0.0.3'",
        "'cert_days_left_127.0.0.3'",
        "'time_127.0.0.4'",
    ]
    assert "'cert_days_left_127.0.0.3'=3;14:;3:;;" in perfdata.split()
    assert long_output[:2] == [
        f"WARN {STARTTLS_DIFFERS}: {mixed.problems[0].summary}",
        f"WARN {CERTIFICATE_DIFFERS}: {mixed.problems[1].summary}",
    ]
    assert "127.0.0.4 WARN tls: the server does not offer STARTTLS" in "\n".join(long_output)


def test_a_pool_that_agrees_is_ok_in_nagios(lab: PoolLab, doctor: Doctor) -> None:
    pool = doctor.survey(doctor.plan(lab.request("agree.pool.test")))

    first = render_pool_nagios(pool).splitlines()[0]

    assert first.startswith(f"SMTP OK - agree.pool.test:{lab.port}: 2 members agree; all OK in ")


def test_an_unreachable_member_is_critical_in_nagios(lab: PoolLab, doctor: Doctor) -> None:
    pool = doctor.survey(doctor.plan(lab.request("dead.pool.test")))

    first = render_pool_nagios(pool).splitlines()[0]

    assert first.startswith(f"SMTP CRITICAL - dead.pool.test:{lab.port}: 2 members, 1 difference")
    assert f"{SILENT} (refused)" in first


def test_the_metrics_are_each_members_with_its_address_and_the_survey_s(
    mixed: PoolReport,
) -> None:
    families = {f.name: f for f in text_string_to_metric_families(render_pool_prometheus(mixed))}

    success = {s.labels["address"]: s.value for s in families["probe_success"].samples}
    assert success == {"127.0.0.2": 1.0, "127.0.0.3": 1.0, "127.0.0.4": 1.0}
    days = {s.labels["address"]: s.value for s in families["smtpdoctor_cert_days_left"].samples}
    assert days["127.0.0.3"] == 3.0 and "127.0.0.4" not in days
    status = [
        s.labels
        for s in families["smtpdoctor_check_status"].samples
        if s.value == 1 and s.labels["check"] == "tls"
    ]
    assert {(s["address"], s["status"]) for s in status} == {
        ("127.0.0.2", "pass"),
        ("127.0.0.3", "pass"),
        ("127.0.0.4", "warn"),
    }
    assert families["smtpdoctor_pool_differences"].samples[0].value == 2
    assert families["smtpdoctor_pool_members_checked"].samples[0].value == 3
    assert families["smtpdoctor_pool_exit_code"].samples[0].value == 1
    assert {s.labels["finding"] for s in families["smtpdoctor_pool_difference_info"].samples} == {
        STARTTLS_DIFFERS,
        CERTIFICATE_DIFFERS,
    }


def test_every_builtin_format_renders_a_survey(mixed: PoolReport) -> None:
    for output_format in POOL_FORMATS:
        assert render_pool(mixed, output_format, RenderOptions(width=100)).strip()


def test_a_plugin_format_is_refused_for_a_survey_in_words() -> None:
    with pytest.raises(ConfigError, match="--all-addresses shows its comparison as table, json"):
        require_pool_format("html")
