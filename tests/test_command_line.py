"""One command line (issue 12): the same short option means the same thing in every command,
every value has an upper-case metavar or its choices, help comes in panels, the usage line is
plain, ``-p/--port`` is the port typed after the target, and the shell can complete it all."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer._click import Context

from smtpdoctor.__main__ import main
from smtpdoctor.api import with_port
from smtpdoctor.cli import COMMANDS, build_command
from smtpdoctor.model.words import ConfigError
from smtpdoctor.testing import SMTPTestServer

#: An upper-case name (``FILE``, ``HOST[:PORT]``, ``NAME=VALUE``, ``K/N``, ``FILE|-``) …
NAMED_VALUE = re.compile(r"[A-Z][A-Z0-9_]*(?:[\[\]:=/|.-]*[A-Z0-9_]*)*\]?|FILE\|-")
#: … or the choices, as in ``[auto|starttls|implicit|none]``.
CHOICES = re.compile(r"\[[a-z0-9-]+(?:\|[a-z0-9-]+)+\]")


def options() -> Iterator[tuple[str, Any, Context]]:
    """Every option of every command (``--help`` aside), with its command's name and a
    context of that command."""
    for name, spec in COMMANDS.items():
        command = build_command(name, spec)
        context = Context(command)
        for param in command.params:
            if param.param_type_name == "option":
                yield name, param, context


def test_each_short_option_means_one_thing_in_every_command() -> None:
    meanings: dict[str, set[str]] = {}
    for _, option, _ in options():
        longs = [opt for opt in option.opts if opt.startswith("--")]
        for short in (opt for opt in option.opts if not opt.startswith("--")):
            meanings.setdefault(short, set()).update(longs)

    assert {short: sorted(longs) for short, longs in meanings.items()} == {
        "-p": ["--port"],
        "-u": ["--user"],
        "-f": ["--format"],
        "-o": ["--option"],
        "-c": ["--concurrency"],
        "-4": ["--ipv4"],
        "-6": ["--ipv6"],
    }


def test_every_value_is_named_in_one_style() -> None:
    misnamed = []
    for command, option, context in options():
        if option.is_flag or option.count:
            continue
        metavar = option.make_metavar(context)
        if not (NAMED_VALUE.fullmatch(metavar) or CHOICES.fullmatch(metavar)):
            misnamed.append(f"{command} {option.opts[0]} {metavar}")

    assert misnamed == []


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("check", "Usage: smtpdoctor check [OPTIONS] TARGET"),
        ("send", "Usage: smtpdoctor send [OPTIONS] HOST[:PORT]"),
        ("scan", "Usage: smtpdoctor scan [OPTIONS] FILE|-"),
        ("serve", "Usage: smtpdoctor serve [OPTIONS]"),
        ("plugins", "Usage: smtpdoctor plugins [OPTIONS]"),
    ],
)
def test_the_usage_line_is_plain(
    command: str, usage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0] == usage
    assert not re.search(r"\{[A-Z]|<[a-z ]+>", out)  # neither {TARGET} nor <str>, <file>


def sections(text: str) -> list[str]:
    """The headings of a help text: lines that end with a colon and are not indented."""
    return [line[:-1] for line in text.splitlines() if re.fullmatch(r"[A-Z][^:]*:", line)]


def test_check_help_groups_its_options_in_panels(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--help"])

    out = capsys.readouterr().out
    assert sections(out) == [
        "Arguments",
        "Connection & TLS",
        "Login",
        "Test send & delivery",
        "Plugins",
        "Output",
    ]
    output = out.split("\nOutput:\n")[1]
    assert "-f, --format FORMAT" in output and "-h, --help" in output


def test_scan_help_has_a_scan_panel(capsys: pytest.CaptureFixture[str]) -> None:
    main(["scan", "--help"])

    out = capsys.readouterr().out
    assert "Scan" in sections(out)
    assert "-c, --concurrency N" in out.split("\nScan:\n")[1]


# -- -p/--port ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "port", "aimed"),
    [
        ("smtp.example.com", 2525, "smtp.example.com:2525"),
        ("smtp.example.com:2525", 2525, "smtp.example.com:2525"),
        ("alice@example.com", 465, "alice@example.com:465"),
        ("2001:db8::1", 587, "[2001:db8::1]:587"),
        ("[2001:db8::1]", 587, "[2001:db8::1]:587"),
        ("smtp.example.com", None, "smtp.example.com"),
    ],
)
def test_a_port_option_is_the_port_typed_after_the_target(
    target: str, port: int | None, aimed: str
) -> None:
    assert with_port(target, port) == aimed


@pytest.mark.parametrize(
    ("target", "port", "message"),
    [
        ("smtp.example.com:25", 587, "names port 25 and --port says 587: give the port once"),
        ("smtp.example.com", 0, "out of range"),
        ("smtp.example.com", 65536, "out of range"),
    ],
)
def test_a_port_option_that_contradicts_the_target_is_refused(
    target: str, port: int, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        with_port(target, port)


@pytest.fixture
def server(make_smtp_server: Callable[..., SMTPTestServer]) -> SMTPTestServer:
    return make_smtp_server()


def checked_endpoint(out: str) -> tuple[str, int]:
    report = json.loads(out)
    return report["target"]["host"], report["target"]["port"]


def test_check_port_option_checks_the_same_server_as_host_colon_port(
    server: SMTPTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(server.ca_pem)
    common = ["--ca-file", str(ca_file), "-f", "json"]

    typed = main(["check", f"{server.host}:{server.port}", *common])
    by_typed = checked_endpoint(capsys.readouterr().out)
    optioned = main(["check", server.host, "-p", str(server.port), *common])
    by_option = checked_endpoint(capsys.readouterr().out)

    assert typed == optioned == 0
    assert by_typed == by_option == (server.host, server.port)


@pytest.mark.parametrize("command", ["check", "send"])
def test_two_different_ports_are_a_usage_error_in_words(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [command, "127.0.0.1:25", "--port", "2525", "--format", "json"]
    if command == "send":
        args += ["--from", "a@example.test", "--to", "b@example.test"]

    code = main(args)

    captured = capsys.readouterr()
    assert code == 3
    assert "names port 25 and --port says 2525" in captured.err
    assert json.loads(captured.out)["error"]["kind"] == "usage"


def test_nagios_gets_its_status_line_for_a_port_conflict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["check", "127.0.0.1:25", "-p", "587", "-f", "nagios"])

    assert code == 3
    assert capsys.readouterr().out.startswith("SMTP UNKNOWN - ")


# -- shell completion ---------------------------------------------------------------------------


def complete(words: str) -> list[str]:
    """What bash completion offers for the last of ``words``, asked as bash asks."""
    env = {
        **os.environ,
        "_SMTPDOCTOR_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    result = subprocess.run(
        [sys.executable, "-m", "smtpdoctor"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_shell_completes_commands_options_and_choices() -> None:
    assert complete("smtpdoctor ch") == ["check", "checks"]
    assert {
        "--port",
        "--probe-port",
        "--password-file",
        "--plugin",
        "--proxy",
        "--proxy-password-file",
    } == set(complete("smtpdoctor check --p"))
    assert complete("smtpdoctor check smtp.example.com --tls ") == [
        "auto",
        "starttls",
        "implicit",
        "none",
    ]


def test_completion_can_be_installed_from_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])

    out = capsys.readouterr().out
    assert "--install-completion" in out and "--show-completion" in out


# -- documented ---------------------------------------------------------------------------------

DOCS = Path(__file__).parent.parent / "docs"


def test_every_option_is_documented() -> None:
    documented = "\n".join(
        (DOCS / name).read_text(encoding="utf-8")
        for name in ("usage.md", "sending.md", "scale.md", "serve.md")
    )

    missing = {
        f"{command} {opt}"
        for command, option, _ in options()
        for opt in option.opts
        if opt.startswith("--") and f"`{opt}" not in documented
    }

    assert missing == set()
