"""``smtpdoctor scan`` as people and batch jobs run it: JSON Lines, resume, shards, summary."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.demo.server import LocalSMTPServer

from tests.scan.fleetkit import FleetServer, running_fleet

PLAIN = ["--tls", "none", "--timeout", "3", "--retry-delay", "0.05"]


def records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_targets(path: Path, servers: list[FleetServer], *extra: str) -> Path:
    path.write_text("\n".join([*(s.target for s in servers), *extra]) + "\n")
    return path


def test_results_stream_to_stdout_as_json_lines_and_the_summary_goes_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_fleet() as fleet:
        servers = [fleet.start(f"127.0.0.{n}") for n in (2, 3, 4)]
        targets = write_targets(tmp_path / "targets.txt", servers, "127.0.0.5:1")

        code = main(["scan", str(targets), *PLAIN])

    captured = capsys.readouterr()
    lines = records(captured.out)
    assert code == 2  # one target refused the connection
    assert sorted(line["target"] for line in lines) == sorted(
        [s.target for s in servers] + ["127.0.0.5:1"]
    )
    statuses = {line["target"]: line["status"] for line in lines}
    assert statuses["127.0.0.5:1"] == "critical"
    assert [statuses[s.target] for s in servers] == ["ok"] * 3
    first = lines[0]
    assert first["schema_version"] == 1
    assert first["report"]["checks"][0]["id"] == "tcp"
    assert "ok                         3" in captured.err
    assert "tcp.refused" in captured.err
    assert "4 targets in" in captured.err


def test_a_full_tls_check_per_target_with_a_private_ca(
    smtp_server: LocalSMTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(smtp_server.ca_pem)
    targets = tmp_path / "targets.txt"
    targets.write_text(f"localhost:{smtp_server.port}\n")

    code = main(["scan", str(targets), "--ca-file", str(ca_file), "--timeout", "3"])

    (line,) = records(capsys.readouterr().out)
    assert code == line["exit_code"]  # one target: the scan's verdict is its verdict
    checks = {check["id"]: check["status"] for check in line["report"]["checks"]}
    assert {name: checks[name] for name in ("tcp", "greeting", "ehlo", "tls", "certificate")} == {
        "tcp": "pass",
        "greeting": "pass",
        "ehlo": "pass",
        "tls": "pass",
        "certificate": "pass",
    }
    assert checks["auth"] == "info"  # mechanisms listed; a scan does not log in
    assert smtp_server.connections == 1


def test_targets_can_come_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_fleet() as fleet:
        server = fleet.start("127.0.0.2")
        monkeypatch.setattr("sys.stdin", io.StringIO(f"# one server\n{server.target}\n"))

        code = main(["scan", "-", *PLAIN])

    assert code == 0
    assert [line["target"] for line in records(capsys.readouterr().out)] == [server.target]


def test_resume_skips_what_the_output_already_holds_and_appends_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "results.jsonl"
    with running_fleet() as fleet:
        servers = [fleet.start(f"127.0.0.{n}") for n in (2, 3, 4, 5)]
        targets = write_targets(tmp_path / "targets.txt", servers)
        assert main(["scan", str(targets), "--output", str(output), *PLAIN]) == 0
        complete = output.read_text().splitlines()
        # As if the first run had been killed while writing its third record:
        done = {json.loads(line)["target"] for line in complete[:2]}
        output.write_text("\n".join(complete[:2]) + "\n" + complete[2][:40])

        code = main(["scan", str(targets), "--output", str(output), "--resume", *PLAIN])

        assert code == 0
        assert [s.connections for s in servers if s.target in done] == [1, 1]
        assert [s.connections for s in servers if s.target not in done] == [2, 2]
    lines = output.read_text().splitlines()
    assert lines[2] == complete[2][:40]  # the torn line stays on its own line, ignored
    parsed = [json.loads(line) for line in lines[:2] + lines[3:]]
    assert sorted(p["target"] for p in parsed) == sorted(s.target for s in servers)
    assert "2 targets already in the output skipped (--resume)" in capsys.readouterr().out


def test_without_resume_an_existing_output_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "results.jsonl"
    output.write_text('{"earlier": "results"}\n')
    targets = tmp_path / "targets.txt"
    targets.write_text("127.0.0.2:1\n")

    code = main(["scan", str(targets), "--output", str(output)])

    assert code == 3
    assert output.read_text() == '{"earlier": "results"}\n'
    assert "--resume" in capsys.readouterr().err


def test_resume_needs_an_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("127.0.0.2:1\n")

    assert main(["scan", str(targets), "--resume"]) == 3
    assert "--resume needs --output" in capsys.readouterr().err


def test_shards_run_separately_cover_every_target_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_fleet() as fleet:
        servers = [fleet.start(f"127.0.0.{n}") for n in range(2, 12)]
        targets = write_targets(tmp_path / "targets.txt", servers)
        outputs = []
        for index in range(3):
            monkeypatch.setenv("JOB_COMPLETION_INDEX", str(index))  # as in an Indexed Job
            output = tmp_path / f"part-{index}.jsonl"
            assert (
                main(["scan", str(targets), "--shard", "3", "--output", str(output), *PLAIN]) == 0
            )
            outputs.append(output)

        assert [s.connections for s in servers] == [1] * len(servers)
    seen = [line["target"] for output in outputs for line in records(output.read_text())]
    assert sorted(seen) == sorted(s.target for s in servers)
    assert "shard 2/3" in capsys.readouterr().out


def test_lines_that_are_not_targets_are_named_and_make_the_exit_code_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_fleet() as fleet:
        server = fleet.start("127.0.0.2")
        targets = write_targets(tmp_path / "targets.txt", [server], "not a host")

        code = main(["scan", str(targets), *PLAIN])

    captured = capsys.readouterr()
    assert code == 3
    assert [line["target"] for line in records(captured.out)] == [server.target]
    assert "line 2 skipped" in captured.err


def test_the_summary_counts_one_target_and_one_unreadable_line_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_fleet() as fleet:
        server = fleet.start("127.0.0.2")
        targets = write_targets(tmp_path / "targets.txt", [server], "not a host")

        main(["scan", str(targets), *PLAIN])

    summary = " ".join(capsys.readouterr().err.split())
    assert "1 target in " in summary
    assert "1 line could not be read as a target (see above)" in summary
    assert "targets in" not in summary


def test_a_failed_target_outranks_an_unreadable_line_in_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("127.0.0.5:1\nnot a host\n")  # nothing listens on port 1

    code = main(["scan", str(targets), *PLAIN])

    assert code == 2
    assert "line 2 skipped" in capsys.readouterr().err


def test_scan_help_says_which_exit_code_wins(capsys: pytest.CaptureFixture[str]) -> None:
    main(["scan", "--help"])

    out = " ".join(capsys.readouterr().out.split())
    assert (
        "A line of the input that is not a target makes it 3, unless a target failed: "
        "then it stays 2." in out
    )


def test_the_progress_bar_counts_up_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_fleet() as fleet:
        servers = [fleet.start(f"127.0.0.{n}") for n in (2, 3, 4)]
        targets = write_targets(tmp_path / "targets.txt", servers)

        code = main(
            ["scan", str(targets), "--progress", "--output", str(tmp_path / "r.jsonl"), *PLAIN]
        )

    err = capsys.readouterr().err
    assert code == 0
    assert err.startswith("\r[")
    assert "] 3/3 " in err.splitlines()[-1]
    assert "ok 3" in err


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--shard", "3/3"], "0 <= K < N"),
        (["--concurrency", "0"], "concurrency"),
        (["--ca-file", "/nonexistent/ca.pem"], "ca.pem"),
    ],
)
def test_bad_options_are_usage_errors(
    tmp_path: Path, option: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("127.0.0.2:1\n")

    assert main(["scan", str(targets), *option]) == 3
    assert message in capsys.readouterr().err


def test_ctrl_c_stops_at_once_and_leaves_a_resumable_output(tmp_path: Path) -> None:
    output = tmp_path / "results.jsonl"
    with running_fleet() as fleet:
        answering, silent = fleet.start("127.0.0.2"), fleet.start("127.0.0.3", silent=True)
        targets = write_targets(tmp_path / "targets.txt", [answering, silent])
        command = [
            sys.executable,
            "-m",
            "smtpdoctor",
            "scan",
            str(targets),
            "--output",
            str(output),
        ]
        scan = subprocess.Popen(
            [*command, "--tls", "none", "--timeout", "60", "--concurrency", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            for _ in range(200):  # hang guard: 20 s for the answering server's record
                if output.exists() and output.read_text().endswith("\n"):
                    break
                time.sleep(0.1)
            scan.send_signal(signal.SIGINT)
            _, err = scan.communicate(timeout=20)  # well before the silent server's 60 s
        finally:
            scan.kill()
            scan.wait()

    assert scan.returncode == 130
    assert "interrupted after 1 of 2 targets" in err
    assert "--resume" in err
    assert [line["target"] for line in records(output.read_text())] == [answering.target]


def test_plugins_run_on_every_target_and_checks_can_be_disabled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = tmp_path / "fleet_policy.py"
    plugin.write_text(
        "from smtpdoctor import Check, Outcome, Status, hookimpl\n"
        "\n"
        "class BannerNamed(Check):\n"
        "    id = 'banner-named'\n"
        "    title = 'Banner names the host'\n"
        "    requires = ('greeting',)\n"
        "\n"
        "    def run(self, ctx):\n"
        "        wanted = ctx.config.options.get('fleet.banner', 'ESMTP')\n"
        "        banner = ctx.session.greeting.text\n"
        "        status = Status.PASS if wanted in banner else Status.WARN\n"
        "        return Outcome(status, f'banner: {banner}')\n"
        "\n"
        "@hookimpl\n"
        "def smtpdoctor_register_checks(register):\n"
        "    register(BannerNamed)\n"
    )
    with running_fleet() as fleet:
        servers = [fleet.start(f"127.0.0.{n}") for n in (2, 3)]
        targets = write_targets(tmp_path / "targets.txt", servers)

        code = main(
            [
                "scan",
                str(targets),
                *PLAIN,
                "--plugin",
                str(plugin),
                "--option",
                "fleet.banner=no such words",
                "--disable",
                "posture",
            ]
        )

    lines = records(capsys.readouterr().out)
    assert code == 1  # the plugin's check warns on both servers
    assert len(lines) == 2
    for line in lines:
        checks = {check["id"]: check for check in line["report"]["checks"]}
        assert checks["banner-named"]["status"] == "warn"
        assert checks["posture"]["summary"] == "disabled (--disable)"


def test_a_broken_plugin_stops_the_scan_before_any_connection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = tmp_path / "broken.py"
    plugin.write_text("raise RuntimeError('half-written plugin')\n")
    targets = tmp_path / "targets.txt"
    targets.write_text("127.0.0.2:1\n")

    code = main(["scan", str(targets), "--plugin", str(plugin)])

    captured = capsys.readouterr()
    assert code == 3
    assert "plugin 'broken'" in captured.err
    assert captured.out == ""
