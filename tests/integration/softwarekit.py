"""What the tests against real Exim and Haraka share: where the server of
``integration/exim.sh`` or ``integration/haraka.sh`` listens (its ``software.json``), and a
run against it through the real pipeline."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.core import runner
from smtpdoctor.core.plugins import make_plugin_manager
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import CheckResult, Report
from smtpdoctor.render.json import render_json
from smtpdoctor.settings.config import RunConfig

BASE = Path(os.environ.get("SMTPDOCTOR_SOFTWARE_DIR", "/var/lib/smtpdoctor-software"))
OUTSIDE = "someone@outside.example"
#: Advice only Postfix gets: its parameters and files.
POSTFIX_WORDS = ("smtpd_", "postconf", "master.cf", "main.cf", "Postfix:")


def server(name: str) -> dict[str, Any]:
    """The ``software.json`` of ``name`` (``exim``, ``haraka``); the test fails, naming the
    script, when the server was not started."""
    path = BASE / name / "software.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: run integration/{name}.sh start (make integration)")
    info: dict[str, Any] = json.loads(path.read_text())
    return info


def run(info: dict[str, Any], port: int | None = None, **fields: Any) -> Report:
    """The whole pipeline against the server, trusting its root CA, bounded in time."""
    fields.setdefault("timeout", 10.0)
    fields.setdefault("deadline", 60.0)
    config = RunConfig(
        host=info["host"], port=port or info["port"], ca_file=Path(info["ca_file"]), **fields
    )
    return runner.run(config, make_plugin_manager(load_entry_points=False))


def login(info: dict[str, Any], password: str | None = None) -> Credentials:
    return Credentials(info["user"], Secret(password if password is not None else info["password"]))


def row(report: Report, check_id: str) -> CheckResult:
    result = report.result(check_id)
    assert result is not None, f"no {check_id} row"
    return result


def advice(result: CheckResult) -> str:
    return " ".join(" ".join((hint.title, *hint.steps)) for hint in result.hints)


def leaks(report: Report, secret: str, user: str = "") -> bool:
    """Whether ``secret`` shows anywhere in the report's JSON, transcript included — as it
    is, or in the base64 forms AUTH LOGIN (the password alone) and AUTH PLAIN (with the
    ``user``) send it in."""
    import base64

    shown = render_json(report, transcript=True)
    forms = {secret, base64.b64encode(secret.encode()).decode()}
    forms.add(base64.b64encode(f"\0{user}\0{secret}".encode()).decode())
    return any(form in shown for form in forms)
