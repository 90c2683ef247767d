"""The status page: the recent probes, each opening to its report and redacted transcript;
server-supplied text escaped, a strict Content-Security-Policy, nothing from elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from smtpdoctor.testing import SMTPTestServer

from tests.serve.servekit import RunningServe, write_config

HOSTILE = "<script>document.title='pwned'</script>"


def hostile_serve(
    tmp_path: Path,
    make_smtp_server: Callable[..., SMTPTestServer],
    make_serve: Callable[..., RunningServe],
) -> tuple[RunningServe, SMTPTestServer]:
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
    return make_serve(config), server


def test_a_hostile_banner_shows_as_text_on_the_status_page(
    tmp_path: Path,
    make_smtp_server: Callable[..., SMTPTestServer],
    make_serve: Callable[..., RunningServe],
) -> None:
    serve, server = hostile_serve(tmp_path, make_smtp_server, make_serve)
    serve.get(f"/probe?target=127.0.0.1:{server.port}&module=plain")

    page = serve.get("/")

    assert page.status == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page.text
    assert f'<a href="/probes/1">127.0.0.1:{server.port}</a>' in page.text


def test_each_probe_opens_to_its_report_and_transcript_escaped(
    tmp_path: Path,
    make_smtp_server: Callable[..., SMTPTestServer],
    make_serve: Callable[..., RunningServe],
) -> None:
    serve, server = hostile_serve(tmp_path, make_smtp_server, make_serve)
    serve.get(f"/probe?target=127.0.0.1:{server.port}&module=plain")

    page = serve.get("/probes/1")

    assert page.status == 200
    assert "<script>" not in page.text
    assert "Transcript (secrets redacted):" in page.text
    assert "&lt;script&gt;" in page.text
    assert serve.get("/probes/99").status == 404


def test_pages_forbid_scripts_and_load_nothing_from_elsewhere(
    make_serve: Callable[..., RunningServe],
) -> None:
    serve = make_serve()

    page = serve.get("/")

    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "http://" not in page.text and "https://" not in page.text
    assert "No probe yet" in page.text


def test_the_status_page_keeps_only_the_recent_probes(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    config = write_config(
        tmp_path,
        """
        [server]
        allowed_targets = ["127.0.0.1"]
        history = 2

        [modules.plain]
        tls = "none"
        """,
    )
    serve = make_serve(config)
    for port in (1, 2, 3):
        serve.get(f"/probe?target=127.0.0.1:{port}&module=plain")

    page = serve.get("/").text

    assert "127.0.0.1:3" in page and "127.0.0.1:2" in page
    assert "127.0.0.1:1<" not in page
    assert serve.get("/probes/1").status == 404
