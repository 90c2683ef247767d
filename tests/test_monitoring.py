"""What a monitor reads (issue 12): every exit 3 still speaks the format asked for (one
``SMTP UNKNOWN`` line, or a JSON error document), perfdata follows the plugin guidelines'
syntax and range semantics, and the run's time covers the time before connecting."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.cli import requested_format
from smtpdoctor.core import runner
from smtpdoctor.core.plugins import make_plugin_manager
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.model.results import CheckResult, Outcome, Status
from smtpdoctor.model.words import FailureKind, TLSMode
from smtpdoctor.render.json import SCHEMA, SCHEMA_VERSION, render_json_failure
from smtpdoctor.render.nagios import render_nagios_failure
from smtpdoctor.settings.config import RunConfig
from smtpdoctor.testing import ScriptedServer

from tests.loopback import closed_port

USER = "alice@example.test"
PASSWORD = "correct horse battery staple"  # the conftest user's password

# -- a perfdata validator, written from the Nagios plugin development guidelines -------------
#
# 'label'=value[UOM];[warn];[crit];[min];[max] — the label quoted when it has spaces (a quote
# in it doubled), no '=' in it; the value a number (or U); UOM one of s us ms % B KB MB TB c;
# warn and crit in the range syntax; min and max plain numbers; trailing empty fields may be
# dropped.  A range is [@]start:end: "10" is 0..10, "10:" is 10..inf, "~:10" is -inf..10,
# "10:20" is 10..20, all inclusive; an alert is raised when the value is OUTSIDE the range,
# or INSIDE it with "@".

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_ITEM = re.compile(
    rf"(?P<label>'(?:[^'=]|'')+'|[^'=\s]+)=(?P<value>{_NUMBER}|U)(?P<uom>s|us|ms|%|B|KB|MB|TB|c)?"
    rf"(?:;(?P<warn>[^;]*)(?:;(?P<crit>[^;]*)(?:;(?P<min>{_NUMBER})?(?:;(?P<max>{_NUMBER})?)?)?)?)?"
)
_RANGE = re.compile(rf"(?P<inside>@)?(?:(?P<start>~|{_NUMBER})?:)?(?P<end>{_NUMBER})?")


@dataclass(frozen=True)
class Range:
    """A threshold range: alert when the value is outside [start, end] (inside with '@')."""

    start: float
    end: float
    inside: bool

    def alerts(self, value: float) -> bool:
        within = self.start <= value <= self.end
        return within if self.inside else not within


@dataclass(frozen=True)
class PerfItem:
    label: str
    value: float
    uom: str
    warn: Range | None
    crit: Range | None


def parse_range(text: str) -> Range | None:
    """A warn or crit field; ``None`` when empty; raises ValueError when malformed."""
    if text == "":
        return None
    match = _RANGE.fullmatch(text)
    if match is None or (match["start"] is None and match["end"] is None and ":" not in text):
        raise ValueError(f"not a range: {text!r}")
    if text.lstrip("@") in ("", ":"):
        raise ValueError(f"not a range: {text!r}")
    start_text = match["start"]
    if start_text is None:
        start = 0.0
    elif start_text == "~":
        start = -math.inf
    else:
        start = float(start_text)
    end = float(match["end"]) if match["end"] is not None else math.inf
    if start > end:
        raise ValueError(f"range {text!r} starts after it ends")
    return Range(start, end, inside=match["inside"] is not None)


def parse_perfdata(text: str) -> list[PerfItem]:
    """Every item of a perfdata string; raises ValueError for anything off the guidelines."""
    items = []
    for word in re.findall(r"(?:'(?:[^']|'')*'|\S)+", text):
        match = _ITEM.fullmatch(word)
        if match is None:
            raise ValueError(f"not a perfdata item: {word!r}")
        items.append(
            PerfItem(
                match["label"].strip("'"),
                float(match["value"]),
                match["uom"] or "",
                parse_range(match["warn"] or ""),
                parse_range(match["crit"] or ""),
            )
        )
    return items


@pytest.mark.parametrize(
    ("text", "value", "alerts"),
    [
        ("10", 11, True),  # 0..10
        ("10", -1, True),
        ("10", 5, False),
        ("10:", 9, True),  # 10..inf
        ("10:", 10, False),
        ("~:10", -100, False),  # -inf..10
        ("~:10", 11, True),
        ("10:20", 15, False),
        ("10:20", 21, True),
        ("@10:20", 15, True),  # alert inside
        ("@10:20", 9, False),
    ],
)
def test_the_validator_reads_ranges_as_the_guidelines_define_them(
    text: str, value: float, alerts: bool
) -> None:
    parsed = parse_range(text)
    assert parsed is not None and parsed.alerts(value) is alerts


@pytest.mark.parametrize(
    "text", ["time=1s;;;0;;", "time=x", "a=1;b", "a=1;20:10", "a=1;;;0s", "a b=1", "a=1;:"]
)
def test_the_validator_refuses_what_the_guidelines_do_not_allow(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a|starts after"):
        parse_perfdata(text)


@pytest.fixture
def ca_file(smtp_server: LocalSMTPServer, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(smtp_server.ca_pem)
    return path


def perfdata_of(output: str) -> tuple[str, list[PerfItem]]:
    status, _, perfdata = output.splitlines()[0].partition(" | ")
    return status, parse_perfdata(perfdata)


@pytest.mark.parametrize(
    ("extra", "state"),
    [
        ([], "OK"),
        (["--cert-warn-days", "100000"], "WARNING"),
        (["--cert-warn-days", "100000", "--cert-crit-days", "99999"], "CRITICAL"),
    ],
)
def test_every_perfdata_item_of_a_real_report_follows_the_guidelines(
    smtp_server: LocalSMTPServer,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    state: str,
) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)
    argv = ["check", f"{smtp_server.host}:{smtp_server.port}", "--ca-file", str(ca_file)]

    main([*argv, "--user", USER, "-f", "nagios", *extra])

    status, items = perfdata_of(capsys.readouterr().out)
    assert status.startswith(f"SMTP {state} - ")
    labels = [item.label for item in items]
    assert labels[0] == "time" and "time_auth" in labels and "cert_days_left" in labels
    for item in items:
        assert item.uom == ("" if item.label == "cert_days_left" else "s")
    days = next(item for item in items if item.label == "cert_days_left")
    assert days.warn is not None and days.crit is not None
    # the thresholds alert exactly when the certificate row does
    assert days.warn.alerts(days.value) is (state != "OK")
    assert days.crit.alerts(days.value) is (state == "CRITICAL")


@pytest.mark.parametrize(("threshold", "state"), [("0.1", "WARNING"), ("30", "OK")])
def test_the_greeting_time_alerts_above_the_slow_greeting_threshold(
    threshold: str,
    state: str,
    make_scripted_server: Callable[[list[Any]], ScriptedServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    greeting, ehlo = b"220 mail.example.test ESMTP\r\n", b"250 mail.example.test\r\n"
    server = make_scripted_server(
        [("sleep", 0.5), greeting, "recv", ehlo, "recv", b"221 2.0.0 Bye\r\n"]
    )
    target = f"{server.host}:{server.port}"

    main(["check", target, "--tls", "none", "--slow-greeting", threshold, "-f", "nagios"])

    status, items = perfdata_of(capsys.readouterr().out)
    assert status.startswith(f"SMTP {state} - ")
    timing = next(item for item in items if item.label == "time_greeting")
    assert timing.warn is not None and timing.crit is None
    assert timing.warn.alerts(timing.value) is (state == "WARNING")


def test_a_failed_run_with_a_port_matrix_has_valid_perfdata_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["check", "127.0.0.1", "--probe-port", f"{closed_port()}/starttls", "-f", "nagios"])

    status, items = perfdata_of(capsys.readouterr().out)
    assert status.startswith("SMTP ")
    assert items and items[0].label == "time"


# -- every exit 3 speaks the format asked for ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "host", "--format", "nagios"], "nagios"),
        (["check", "host", "--format=nagios"], "nagios"),
        (["check", "-f", "nagios", "host"], "nagios"),
        (["check", "host", "-fnagios"], "nagios"),
        (["send", "host", "-f", "json"], "json"),
        (["check", "host", "-f", "json", "--format", "nagios"], "nagios"),  # the last wins
        (["check", "host"], None),
        (["check", "host", "-f"], None),  # the value is missing: click says so
        (["check", "--", "-fnagios"], None),  # after --, an argument
        (["scan", "hosts.txt", "--format", "json"], None),  # not a report command
        ([], None),
    ],
)
def test_the_format_asked_for_is_read_from_the_command_line(
    args: list[str], expected: str | None
) -> None:
    assert requested_format(args) == expected


def test_the_failure_documents_are_one_line_and_versioned() -> None:
    assert render_nagios_failure("bad | thing\nnext") == "SMTP UNKNOWN - bad / thing next"
    document = json.loads(render_json_failure("a\nb", kind=FailureKind.PLUGIN, exit_code=3))
    assert document["schema"] == SCHEMA and document["schema_version"] == SCHEMA_VERSION
    assert document["error"] == {"kind": "plugin", "message": "a b"}
    assert (document["exit_code"], document["status"], document["interrupted"]) == (
        3,
        "unknown",
        False,
    )


#: One command line per way ``check`` can exit 3, and the kind of failure it is.
EXIT_3 = [
    pytest.param(["check", "host", "--bogus"], "usage", "No such option", id="click-option"),
    pytest.param(["check", "host", "--timeout", "0"], "usage", "Invalid value", id="click-value"),
    pytest.param(["check", "@gmail.com"], "usage", "is not an email address", id="config"),
    pytest.param(
        ["check", "127.0.0.1:2525", "--user", USER], "usage", "SMTPDOCTOR_PASSWORD", id="password"
    ),
    pytest.param(
        ["check", "127.0.0.1:2525", "--plugin", "no_such_smtpdoctor_plugin"],
        "plugin",
        "no_such_smtpdoctor_plugin",
        id="plugin",
    ),
]


@pytest.mark.parametrize(("argv", "kind", "words"), EXIT_3)
@pytest.mark.parametrize("spelling", [["--format", "nagios"], ["-fnagios"]])
def test_every_exit_3_prints_one_unknown_line_with_nagios(
    argv: list[str],
    kind: str,
    words: str,
    spelling: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SMTPDOCTOR_PASSWORD", raising=False)

    code = main([*argv, *spelling])

    captured = capsys.readouterr()
    assert code == 3
    assert words in captured.err
    lines = captured.out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("SMTP UNKNOWN - ")
    assert words in lines[0]


@pytest.mark.parametrize(("argv", "kind", "words"), EXIT_3)
def test_every_exit_3_prints_an_error_document_with_json(
    argv: list[str],
    kind: str,
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SMTPDOCTOR_PASSWORD", raising=False)

    code = main([*argv, "--format=json"])

    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert code == 3 and words in captured.err
    assert document["exit_code"] == 3 and document["status"] == "unknown"
    assert document["error"]["kind"] == kind and words in document["error"]["message"]
    assert "checks" not in document


def test_other_formats_keep_standard_output_empty(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "host", "--bogus"]) == 3
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("error", "code", "kind"),
    [(RuntimeError("boom"), 3, "internal"), (KeyboardInterrupt(), 130, "interrupted")],
)
def test_a_bug_or_ctrl_c_before_the_run_is_a_document_too(
    error: BaseException,
    code: int,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from smtpdoctor.api import Doctor

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(Doctor, "plan", fail)

    assert main(["check", "127.0.0.1:2525", "-f", "json"]) == code
    document = json.loads(capsys.readouterr().out)
    assert document["exit_code"] == code and document["error"]["kind"] == kind

    assert main(["check", "127.0.0.1:2525", "-f", "nagios"]) == code
    out = capsys.readouterr().out
    assert out.startswith("SMTP UNKNOWN - ") and len(out.splitlines()) == 1


# -- the run's time covers the time before connecting ---------------------------------------


def test_the_reports_duration_includes_the_rows_found_before_connecting() -> None:
    config = RunConfig(host="127.0.0.1", port=closed_port(), tls=TLSMode.STARTTLS, timeout=3)
    target = CheckResult("target", "Target", Outcome(Status.INFO, "typed"), duration=5.0)
    manager = make_plugin_manager(load_entry_points=False)

    report = runner.run(config, manager, preamble=(target,))

    assert report.duration >= 5.0  # the 5 s of the target row, then the session


def test_the_json_duration_covers_every_row_including_the_port_matrix(
    smtp_server: LocalSMTPServer, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(
        [
            "check",
            smtp_server.host,
            "--probe-port",
            f"{smtp_server.port}/starttls",
            "--ca-file",
            str(ca_file),
            "-f",
            "json",
        ]
    )

    document = json.loads(capsys.readouterr().out)
    rows = {check["id"]: check["duration_seconds"] for check in document["checks"]}
    assert "ports" in rows
    assert document["duration_seconds"] >= sum(rows.values())
