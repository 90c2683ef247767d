"""``smtpdoctor check NAME --all-addresses``: the command line's way to a pool survey, with
``-p``, ``-4``, ``--dns-server`` and every builtin format; refused where it cannot work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smtpdoctor.__main__ import main
from smtpdoctor.pool.compare import CERTIFICATE_DIFFERS, STARTTLS_DIFFERS

from tests.pool.poolkit import PoolLab


@pytest.fixture
def ca_file(lab: PoolLab, tmp_path: Path) -> Path:
    path = tmp_path / "cas.pem"
    path.write_text(lab.certificates.ca_pem)
    return path


def pool_check(lab: PoolLab, ca_file: Path, name: str, *more: str) -> list[str]:
    return [
        "check",
        name,
        "-p",
        str(lab.port),
        "--dns-server",
        lab.dns.address,
        "--ca-file",
        str(ca_file),
        "--all-addresses",
        *more,
    ]


@pytest.mark.parametrize("width", [80, 120])
def test_the_table_of_a_pool_fits_the_terminal_and_exits_with_the_worst(
    lab: PoolLab,
    ca_file: Path,
    width: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))

    code = main(pool_check(lab, ca_file, "pool.test"))

    out = capsys.readouterr().out
    assert code == 1
    assert f"every address of pool.test port {lab.port} (starttls)" in out
    assert STARTTLS_DIFFERS in out and CERTIFICATE_DIFFERS in out
    assert max(len(line) for line in out.splitlines()) <= width


def test_the_json_of_a_pool_through_the_command_line(
    lab: PoolLab, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(pool_check(lab, ca_file, "dual.pool.test", "-4", "--format", "json"))

    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(m["address"], m["family"]) for m in document["members"]] == [
        ("127.0.0.2", 4),
        ("127.0.0.7", 4),
    ]
    assert document["comparison"][0]["status"] == "pass"


def test_the_nagios_line_of_a_pool_through_the_command_line(
    lab: PoolLab, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(pool_check(lab, ca_file, "dead.pool.test", "-f", "nagios"))

    assert code == 2
    assert capsys.readouterr().out.startswith(
        f"SMTP CRITICAL - dead.pool.test:{lab.port}: 2 members, 1 difference: "
    )


def test_a_plugin_format_is_a_usage_error_before_anything_is_sent(
    lab: PoolLab, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = lab.connections("127.0.0.2")

    code = main(pool_check(lab, ca_file, "pool.test", "-f", "no-such-format"))

    assert code == 3
    assert "no-such-format" in capsys.readouterr().err
    assert lab.connections("127.0.0.2") == before


def test_a_test_message_with_all_addresses_is_a_usage_error(
    lab: PoolLab, ca_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = lab.connections("127.0.0.2")

    message = ["--send-to", "bob@example.test", "--from", "alice@example.test"]

    code = main(pool_check(lab, ca_file, "pool.test", *message))

    assert code == 3
    assert "--all-addresses sends no test message" in capsys.readouterr().err
    assert lab.connections("127.0.0.2") == before


def test_send_has_no_all_addresses(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["send", "127.0.0.1:1", "--to", "bob@example.test", "--all-addresses"])

    assert code == 3
    assert "--all-addresses" in capsys.readouterr().err


def test_the_help_teaches_what_all_addresses_is_for(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "100")

    main(["check", "--help"])

    connection = capsys.readouterr().out.split("\nConnection & TLS:\n")[1].split("\nLogin:\n")[0]
    text = " ".join(connection.split())
    assert "--all-addresses Check every A/AAAA address of the server's name" in text
    assert "compare them: for load-balanced pools where one member differs" in text
