"""Planning reads where smtpdoctor runs once per run, and the report says it: the JSON
document's ``environment`` and the table's heading.

Each run checks a real server on loopback; the machine's files come from a fixture tree
(``Request.environment_root``), never from the machine the tests run on.
"""

from __future__ import annotations

from pathlib import Path

from smtpdoctor import Doctor, Request, TLSMode
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.render.json import report_to_dict
from smtpdoctor.render.table import render_table

FIXTURES = Path(__file__).parent / "fixtures"


def request_for(server: LocalSMTPServer, root: Path | None) -> Request:
    return Request(
        f"{server.host}:{server.port}",
        tls=TLSMode.STARTTLS,
        ca_data=server.ca_pem,
        environment_root=root,
    )


def test_planning_reads_the_machines_cloud_from_the_root_it_is_given(
    smtp_server: LocalSMTPServer,
) -> None:
    doctor = Doctor(PluginSelection(autoload=False))

    plan = doctor.plan(request_for(smtp_server, FIXTURES / "azure"))

    environment = plan.config.environment
    assert environment is not None
    assert environment.describe() == "Microsoft Azure (DMI chassis_asset_tag)"


def test_without_a_root_nothing_is_read_and_the_environment_is_unknown(
    smtp_server: LocalSMTPServer,
) -> None:
    plan = Doctor(PluginSelection(autoload=False)).plan(request_for(smtp_server, None))

    assert plan.config.environment is None


def test_by_default_planning_looks_at_this_machines_own_files() -> None:
    assert Request("smtp.example.com:587").environment_root == Path("/")


def test_the_json_report_and_the_table_heading_say_where_smtpdoctor_ran(
    smtp_server: LocalSMTPServer,
) -> None:
    report = Doctor(PluginSelection(autoload=False)).diagnose(
        request_for(smtp_server, FIXTURES / "gce")
    )

    assert report_to_dict(report)["environment"] == {
        "id": "gce",
        "name": "Google Compute Engine",
        "evidence": "DMI product_name",
    }
    heading = render_table(report).split("\n\n", 1)[0]
    assert "Running on: Google Compute Engine (DMI product_name)" in heading.splitlines()


def test_on_a_machine_of_no_known_cloud_the_report_says_nothing_about_it(
    smtp_server: LocalSMTPServer,
) -> None:
    report = Doctor(PluginSelection(autoload=False)).diagnose(
        request_for(smtp_server, FIXTURES / "bare-metal")
    )

    assert report.environment is None
    assert report_to_dict(report)["environment"] is None
    assert "Running on:" not in render_table(report)
