"""The status page of ``smtpdoctor serve`` in a real browser: Debian's headless Chromium loads
it after a probe of a server whose banner carries a script, shows the probe's row, and shows
the banner as text — the script never runs.  A screenshot is kept in pytest's tmp dir.

Needs ``chromium`` (``apt-get install chromium``; ``make integration`` installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smtpdoctor.testing import SMTPTestServer

from tests.serve.servekit import RunningServe, start_serve, write_config

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="chromium is not installed: apt-get install chromium (make integration does)",
    ),
]

#: What the banner's script would do if it ran: change the page's title.
HOSTILE = "<script>document.title='pwned'</script>"
#: Seconds Chromium may take to load and dump one page.
BROWSER_LIMIT = 90


@pytest.fixture
def serve_after_hostile_probe(
    tmp_path: Path, make_smtp_server: Callable[..., SMTPTestServer]
) -> Iterator[tuple[RunningServe, SMTPTestServer]]:
    server = make_smtp_server(greeting=f"220 mail.example.test {HOSTILE} ESMTP", tls="none")
    config = write_config(
        tmp_path,
        """
        [server]
        allowed_targets = ["127.0.0.1"]

        [modules.plain]
        tls = "none"
        """,
    )
    serve = start_serve(config)
    try:
        assert serve.get(f"/probe?target=127.0.0.1:{server.port}&module=plain").status == 200
        yield serve, server
    finally:
        serve.stop()


def chromium(tmp_path: Path, *args: str) -> str:
    """Run headless Chromium with ``args``; its standard output."""
    result = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_LIMIT,
        check=True,
    )
    return result.stdout


def test_the_status_page_shows_the_probe_and_the_banner_as_text(
    tmp_path: Path, serve_after_hostile_probe: tuple[RunningServe, SMTPTestServer]
) -> None:
    serve, server = serve_after_hostile_probe

    dom = chromium(tmp_path, "--dump-dom", serve.url + "/")

    title = re.search(r"<title>(.*?)</title>", dom)
    assert title is not None and title.group(1) == "smtpdoctor serve"  # no script ran
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
    body = re.search(r"<tbody>(.*)</tbody>", dom, re.S)
    assert body is not None
    rows = re.findall(r"<tr><td>.*?</tr>", body.group(1))
    assert len(rows) == 1
    assert f'<a href="/probes/1">127.0.0.1:{server.port}</a>' in rows[0]
    assert "plain" in rows[0] and "success" in rows[0]


def test_the_probe_page_shows_the_transcript_with_the_banner_as_text(
    tmp_path: Path, serve_after_hostile_probe: tuple[RunningServe, SMTPTestServer]
) -> None:
    serve, _ = serve_after_hostile_probe

    dom = chromium(tmp_path, "--dump-dom", serve.url + "/probes/1")

    assert "<script" not in dom.lower()
    assert "Transcript (secrets redacted):" in dom
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom


def test_a_screenshot_of_the_status_page_is_kept(
    tmp_path: Path, serve_after_hostile_probe: tuple[RunningServe, SMTPTestServer]
) -> None:
    serve, _ = serve_after_hostile_probe
    screenshot = tmp_path / "status-page.png"

    chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,600", serve.url + "/")

    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    print(f"status page screenshot: {screenshot}")
