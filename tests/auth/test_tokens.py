"""Where an OAuth token comes from — a file, a command, the environment — and that every
way of getting it wrong is a clear message that never shows the token."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from smtpdoctor.model.words import ConfigError
from smtpdoctor.secrets.tokens import TOKEN_ENV, obtain_token, run_token_command

from tests.auth.authkit import TOKEN


def python(code: str) -> str:
    """A --oauth-token-command that runs ``code`` with this Python."""
    return shlex.join([sys.executable, "-c", code])


def from_command(command: str, **options: float) -> str:
    token = obtain_token(environ={}, token_file=None, token_command=command, **options)
    assert token is not None
    return token.reveal()


def refusal(**sources: object) -> str:
    """The message of the ConfigError that ``obtain_token(**sources)`` raises."""
    arguments: dict[str, object] = {"environ": {}, "token_file": None, "token_command": None}
    arguments.update(sources)
    with pytest.raises(ConfigError) as caught:
        obtain_token(**arguments)  # type: ignore[arg-type]
    return str(caught.value)


# -- environment and file -------------------------------------------------------------------


def test_no_source_means_no_token() -> None:
    assert obtain_token(environ={}, token_file=None, token_command=None) is None


def test_the_environment_variable_gives_the_token_without_surrounding_whitespace() -> None:
    token = obtain_token(environ={TOKEN_ENV: f" {TOKEN}\n"}, token_file=None, token_command=None)

    assert token is not None
    assert token.reveal() == TOKEN
    assert TOKEN not in repr(token)


def test_the_file_gives_the_token_and_beats_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")

    token = obtain_token(environ={TOKEN_ENV: "other"}, token_file=path, token_command=None)

    assert token is not None
    assert token.reveal() == TOKEN


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nope"

    assert refusal(token_file=path) == (
        f"cannot read the token file {path}: No such file or directory"
    )


@pytest.mark.timeout(30)
def test_a_file_that_never_ends_is_refused_without_reading_it_all() -> None:
    assert refusal(token_file=Path("/dev/zero")) == (
        "the token file /dev/zero holds more than 16384 bytes: it must hold only the secret"
    )


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("\n\n")

    assert refusal(token_file=path) == (
        f"the token file {path} is empty: expected an OAuth access token"
    )


def test_a_file_holding_more_than_a_token_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    path.write_text(f'{{"access_token": "{TOKEN}", "expires_in": 3599}}')

    message = refusal(token_file=path)

    assert message == (
        f"the token file {path}: the token contains spaces, line breaks or control characters"
    )
    assert TOKEN not in message


def test_a_binary_file_is_not_a_token(tmp_path: Path) -> None:
    path = tmp_path / "token.bin"
    path.write_bytes(b"\xff\xfe\x00")

    assert refusal(token_file=path) == f"the token file {path} is not text, so it is not a token"


def test_a_file_and_a_command_together_are_ambiguous(tmp_path: Path) -> None:
    assert refusal(token_file=tmp_path / "t", token_command="true") == (
        "give either --oauth-token-file or --oauth-token-command, not both"
    )


# -- command --------------------------------------------------------------------------------


def test_a_command_prints_the_token() -> None:
    assert from_command(python(f"print({TOKEN!r})")) == TOKEN


def test_the_command_does_not_inherit_the_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", "smtp pass phrase")
    monkeypatch.setenv("SMTPDOCTOR_IMAP_PASSWORD", "imap pass phrase")
    monkeypatch.setenv("SMTPDOCTOR_TEST_MARKER", "inherited")

    seen = from_command(
        python(
            "import os; print(os.environ.get('SMTPDOCTOR_TEST_MARKER'), "
            "'SMTPDOCTOR_PASSWORD' in os.environ, 'SMTPDOCTOR_IMAP_PASSWORD' in os.environ, "
            "sep='-')"
        )
    )

    assert seen == "inherited-False-False"  # the rest of the environment is passed on


def test_the_command_runs_without_a_shell() -> None:
    # A shell would expand the variable and split on the semicolon.
    assert from_command("printf %s $HOME;echo") == "$HOME;echo"


def test_the_command_gets_no_input() -> None:
    assert from_command(python("import sys; print(repr(sys.stdin.read()) or 'x')")) == "''"


def test_a_command_that_does_not_exist_is_named() -> None:
    assert refusal(token_command="smtpdoctor-no-such-helper --fetch") == (
        "cannot run the token command 'smtpdoctor-no-such-helper': No such file or directory"
    )


def test_a_failing_command_shows_its_exit_status_and_stderr() -> None:
    command = python(
        "import sys; sys.stderr.write('token expired\\nrun: helper login\\n'); sys.exit(3)"
    )

    message = refusal(token_command=command)

    assert message == (
        f"the token command {sys.executable!r} failed (exit status 3): "
        "token expired run: helper login"
    )


def test_a_failing_command_never_shows_what_it_printed_as_token_even_on_stderr() -> None:
    command = python(
        "import sys\n"
        f"print({TOKEN!r})\n"
        f"sys.stderr.write('could not refresh ' + {TOKEN!r})\n"
        "sys.exit(1)"
    )

    message = refusal(token_command=command)

    assert TOKEN not in message
    assert message.endswith("failed (exit status 1): could not refresh [redacted]")


def test_a_long_stderr_is_cut_to_its_end() -> None:
    message = refusal(
        token_command=python("import sys; sys.stderr.write('x' * 5000 + 'END'); sys.exit(2)")
    )

    assert message.endswith("xxxEND")
    assert len(message) < 600


def test_a_command_killed_by_a_signal_says_which() -> None:
    message = refusal(
        token_command=python("import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    )

    assert message.endswith("failed (killed by SIGTERM)")


def test_a_command_that_hangs_is_stopped_at_the_timeout() -> None:
    message = refusal(token_command=python("import time; time.sleep(60)"), timeout=0.5)

    assert (
        message
        == f"the token command {sys.executable!r} did not finish within 0.5 s and was stopped"
    )


def test_on_windows_a_hanging_command_is_stopped_without_process_groups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Windows has no os.killpg: there the command itself is killed.
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delattr(os, "killpg")

    message = refusal(token_command=python("import time; time.sleep(60)"), timeout=0.5)

    assert message.endswith("did not finish within 0.5 s and was stopped")


def test_a_command_whose_child_keeps_the_output_open_is_stopped_too() -> None:
    # The child runs in a session of its own, out of reach of the process-group kill, and
    # holds stdout open: waiting for end-of-file would wait for it.
    command = python(
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(5)'],"
        " start_new_session=True)\n"
        "time.sleep(60)"
    )

    message = refusal(token_command=command, timeout=0.5)

    assert message.endswith("did not finish within 0.5 s and was stopped")


def test_a_command_that_prints_two_lines_is_refused_without_showing_them() -> None:
    message = refusal(token_command=python(f"print({TOKEN!r}); print('expires_in 3599')"))

    assert TOKEN not in message
    assert message.endswith("the token contains spaces, line breaks or control characters")


def test_a_command_that_prints_nothing_is_refused() -> None:
    assert refusal(token_command="true") == (
        "the output of the token command 'true' is empty: expected an OAuth access token"
    )


def test_a_command_that_prints_a_flood_is_refused() -> None:
    message = refusal(token_command=python("print('A' * 100000)"))

    assert "printed 100001 bytes; it must print only the token (at most 16384 bytes)" in message


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("", "--oauth-token-command is empty"),
        ("helper 'unterminated", "cannot parse --oauth-token-command: No closing quotation"),
    ],
)
def test_an_unusable_command_line_is_refused(command: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_token_command(command)
