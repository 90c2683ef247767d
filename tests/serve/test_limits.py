"""Scrape semantics: the queue limit, one connection per server address at a time, and the
deadline from Prometheus' scrape timeout."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

from smtpdoctor.lab.scripted import ConversationServer, Peer, ScriptedServer

from tests.serve.servekit import (
    LIMIT,
    InBackground,
    RunningServe,
    series,
    value,
    wait_until,
    write_config,
)


def plain_config(tmp_path: Path, *, max_concurrent: int = 4, queue_limit: int = 8) -> Path:
    return write_config(
        tmp_path,
        f"""
        [server]
        allowed_targets = ["127.0.0.1"]
        max_concurrent = {max_concurrent}
        queue_limit = {queue_limit}

        [modules.plain]
        tls = "none"
        timeout = 20
        deadline = 25
        """,
    )


def test_a_probe_over_the_queue_limit_fails_fast_with_503_and_is_counted_overloaded(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    serve = make_serve(plain_config(tmp_path, max_concurrent=1, queue_limit=0))
    with ScriptedServer([]) as silent:  # accepts, never greets
        target = f"/probe?target=127.0.0.1:{silent.port}&module=plain"
        first = InBackground(serve, target, {"X-Prometheus-Scrape-Timeout-Seconds": "2"})
        wait_until(lambda: silent.connections == 1, "the first probe to connect")

        second = serve.get(target)

        assert second.status == 503
        assert "too many probes" in second.text
        assert first.result().status == 200
    metrics = series(serve.get("/metrics").text)
    assert value(metrics, "smtpdoctor_serve_probes_total", module="plain", result="overloaded") == 1
    assert value(metrics, "smtpdoctor_serve_probes_total", module="plain", result="failure") == 1


def test_a_second_probe_of_the_same_address_waits_for_the_first_connection(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    release = threading.Event()

    def first_holds_on(peer: Peer) -> None:
        if peer.index == 0:
            for _ in range(int(LIMIT / 0.05)):
                if release.is_set():
                    break
                peer.pause(0.05)
        peer.send(b"554 5.3.2 not now\r\n")
        peer.close()

    serve = make_serve(plain_config(tmp_path))
    with ConversationServer(first_holds_on, grace=0.0) as server:
        target = f"/probe?target=127.0.0.1:{server.port}&module=plain"
        first = InBackground(serve, target)
        server.wait_for_connection()
        second = InBackground(serve, target)
        wait_until(lambda: serve.service.prober.waiting_for_address == 1, "the second to wait")

        connections_while_both_asked = server.connections
        release.set()
        replies = [first.result(), second.result()]

    assert connections_while_both_asked == 1
    assert server.connections == 2
    assert [reply.status for reply in replies] == [200, 200]


def greeting_deadline(serve: RunningServe) -> float:
    """The deadline the last probe's greeting row says the run had, in seconds."""
    (record, *_) = serve.service.prober.recent
    assert record.report is not None
    greeting = record.report.result("greeting")
    assert greeting is not None
    found = re.search(r"said nothing before the run's deadline \(([\d.]+) s\)", greeting.summary)
    assert found is not None, greeting.summary
    return float(found.group(1))


def test_the_scrape_timeout_header_shortens_the_deadline(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    serve = make_serve(plain_config(tmp_path))  # the module allows 25 s
    with ScriptedServer([]) as silent:
        reply = serve.get(
            f"/probe?target=127.0.0.1:{silent.port}&module=plain&debug=true",
            headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"},
        )

    assert reply.status == 200
    assert greeting_deadline(serve) <= 1.5  # 2 s less the 0.5 s margin, not the module's 25 s


def test_without_the_header_the_modules_deadline_holds(
    tmp_path: Path, make_serve: Callable[..., RunningServe]
) -> None:
    config = write_config(
        tmp_path,
        """
        [server]
        allowed_targets = ["127.0.0.1"]

        [modules.quick]
        tls = "none"
        deadline = 1
        """,
    )
    serve = make_serve(config)
    with ScriptedServer([]) as silent:
        reply = serve.get(f"/probe?target=127.0.0.1:{silent.port}&module=quick&debug=true")

    assert reply.status == 200
    assert greeting_deadline(serve) <= 1.0
