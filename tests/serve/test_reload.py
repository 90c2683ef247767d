"""Reloading the configuration: ``POST /-/reload`` and SIGHUP.  A good file is used at once;
a bad one keeps the old configuration, and says why on the status page and in the metrics."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.serve.servekit import LIMIT, RunningServe, series, value, wait_until, write_config

ONE_MODULE = """
[server]
allowed_targets = ["127.0.0.1"]

[modules.first]
tls = "none"
"""
TWO_MODULES = (
    ONE_MODULE
    + """
[modules.second]
tls = "none"
"""
)
BROKEN = (
    ONE_MODULE
    + """
[modules.second]
tls = "sometimes"
"""
)


def test_a_reload_of_a_good_file_uses_it_at_once(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    config = write_config(tmp_path, ONE_MODULE)
    serve = make_serve(config)
    write_config(tmp_path, TWO_MODULES)

    reply = serve.post("/-/reload")

    assert reply.status == 200
    assert sorted(serve.service.config.modules) == ["first", "second"]
    assert serve.get("/probe?target=127.0.0.1:1&module=second").status == 200


def test_a_reload_of_a_bad_file_keeps_the_old_config_and_says_why(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    config = write_config(tmp_path, ONE_MODULE)
    serve = make_serve(config)
    write_config(tmp_path, BROKEN)

    reply = serve.post("/-/reload")

    assert reply.status == 500
    assert f"{config}: modules.second.tls: 'sometimes' is not one of" in reply.text
    assert list(serve.service.config.modules) == ["first"]
    assert serve.get("/probe?target=127.0.0.1:1&module=first").status == 200
    page = serve.get("/").text
    assert "The last config reload failed" in page and "modules.second.tls" in page
    metrics = series(serve.get("/metrics").text)
    assert value(metrics, "smtpdoctor_serve_config_last_reload_successful") == 0


def test_a_reload_whose_plugin_cannot_load_keeps_the_old_config(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    config = write_config(tmp_path, ONE_MODULE)
    serve = make_serve(config)
    write_config(tmp_path, TWO_MODULES + 'plugins = ["no_such_smtpdoctor_plugin"]\n')

    reply = serve.post("/-/reload")

    assert reply.status == 500
    assert "no_such_smtpdoctor_plugin" in reply.text
    assert list(serve.service.config.modules) == ["first"]


def test_a_good_reload_after_a_bad_one_clears_the_error(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    config = write_config(tmp_path, ONE_MODULE)
    serve = make_serve(config)
    write_config(tmp_path, BROKEN)
    serve.post("/-/reload")
    write_config(tmp_path, TWO_MODULES)

    serve.in_loop(serve.service.reload)  # what the SIGHUP handler calls

    assert "The last config reload failed" not in serve.get("/").text
    metrics = series(serve.get("/metrics").text)
    assert value(metrics, "smtpdoctor_serve_config_last_reload_successful") == 1


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A real ``smtpdoctor serve`` process on a free loopback port, its log in a file."""
    config = write_config(tmp_path, ONE_MODULE)
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "smtpdoctor",
                "serve",
                "--config",
                str(config),
                "--listen",
                "127.0.0.1:0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
            env={**os.environ, "SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )
    try:
        yield process, log
    finally:
        process.terminate()
        process.wait(LIMIT)


def test_sighup_reloads_the_config_of_a_running_serve(
    tmp_path: Path, serve_process: tuple[subprocess.Popen[str], Path]
) -> None:
    process, log = serve_process
    wait_until(lambda: "listening on" in log.read_text(), "serve to listen")
    write_config(tmp_path, TWO_MODULES)

    process.send_signal(signal.SIGHUP)

    wait_until(lambda: "config reloaded" in log.read_text(), "the reload")
    url = re.search(r"listening on (http://\S+)", log.read_text())
    assert url is not None
    import urllib.request

    with urllib.request.urlopen(url.group(1) + "config", timeout=LIMIT) as response:  # noqa: S310
        shown = response.read().decode()
    assert '"second"' in shown


def test_sighup_with_a_bad_file_logs_the_error_and_keeps_serving(
    tmp_path: Path, serve_process: tuple[subprocess.Popen[str], Path]
) -> None:
    process, log = serve_process
    wait_until(lambda: "listening on" in log.read_text(), "serve to listen")
    write_config(tmp_path, BROKEN)

    process.send_signal(signal.SIGHUP)

    wait_until(lambda: "config reload failed" in log.read_text(), "the failed reload")
    assert "modules.second.tls" in log.read_text()
    assert process.poll() is None
