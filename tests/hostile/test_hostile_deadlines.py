"""Time is bounded: --timeout bounds each step, --deadline the whole run, a send to a server
that reads at a trickle is bounded as a whole (over TLS too), and Ctrl-C ends the run with
the report of what finished and exit status 130.

Several tests prove a bound by making its absence a hang: the limit under test is far below
the hang guard, every other limit far above it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.results import Status
from smtpdoctor.net.session import Session
from smtpdoctor.net.transport import StepTimeout, Transport, client_context

from tests.hostile.hostile_server import EHLO_STARTTLS_AUTH, Peer, greet, hostile, tls_context
from tests.hostile.scenario import PASSWORD, check, failure, hang_guard, row

pytestmark = hang_guard

#: Far beyond the hang guard: a step limited only by this would hang the test.
FOREVER = 600.0
PROCESS_LIMIT = 20.0


def silent_after_ehlo(peer: Peer) -> None:
    greet(peer, ehlo=EHLO_STARTTLS_AUTH)
    peer.expect("STARTTLS")  # …and never answer it


# -- --deadline --------------------------------------------------------------------------------


def test_the_run_deadline_cuts_a_step_short_whatever_its_timeout() -> None:
    with hostile(silent_after_ehlo) as server:
        report = check(server, password=PASSWORD, timeout=FOREVER, deadline=1.5)

    failed = failure(report, "tls.timeout")
    assert failed.summary == (
        "timed out: no complete reply while waiting for the reply to STARTTLS"
    )
    assert row(report, "posture").summary == "not run: the run's deadline (1.5 s) passed"
    assert server.commands == ["EHLO", "STARTTLS"]  # past the deadline, not even QUIT


# -- sending is bounded as a whole -------------------------------------------------------------

SEND_TIMED_OUT = r"send timed out|out of time before sending"
#: Enough data that a trickling reader would take minutes to accept it.
LOTS = b"x" * (32 * 1024 * 1024)


def test_a_send_to_a_server_that_reads_at_a_trickle_is_bounded_as_a_whole() -> None:
    def trickles(peer: Peer) -> None:
        peer.read_slowly(chunk=4096, every=0.05)

    with hostile(trickles) as server:
        transport = Transport.connect(*server.address, deadline_at=time.monotonic() + 5)
        try:
            with pytest.raises(StepTimeout, match=SEND_TIMED_OUT):
                transport.sendall(LOTS, deadline_at=time.monotonic() + 1.0)
        finally:
            transport.close()
    assert 0 < len(server.received) < len(LOTS)


def test_a_send_over_tls_to_a_server_that_reads_at_a_trickle_is_bounded_as_a_whole(
    pki: ThrowawayPKI,
) -> None:
    """The timeout is not restarted for each piece the server accepts, over TLS either."""
    context = tls_context(pki)

    def trickles(peer: Peer) -> None:
        peer.start_tls(context)
        peer.read_slowly(chunk=4096, every=0.05)

    with hostile(trickles) as server:
        transport = Transport.connect(*server.address, deadline_at=time.monotonic() + 5)
        try:
            transport.start_tls(
                client_context(verify=True, ca_file=None, ca_data=pki.ca_pem),
                server_hostname="127.0.0.1",
                deadline_at=time.monotonic() + 5,
            )
            with pytest.raises(StepTimeout, match=SEND_TIMED_OUT):
                transport.sendall(LOTS, deadline_at=time.monotonic() + 1.0)
        finally:
            transport.close()
    assert 0 < len(server.received) < len(LOTS)


# -- Ctrl-C ------------------------------------------------------------------------------------


def test_ctrl_c_during_a_step_returns_the_report_of_what_finished(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_reply = Session.read_reply

    def interrupted_at_ehlo(self: Session, what: str) -> object:
        if what == "the reply to EHLO":
            raise KeyboardInterrupt
        return read_reply(self, what)

    monkeypatch.setattr(Session, "read_reply", interrupted_at_ehlo)

    with hostile(silent_after_ehlo) as server:
        report = check(server, password=PASSWORD)

    assert report.interrupted
    assert report.exit_status == 130
    statuses = {result.check_id: (result.status, result.summary) for result in report.results}
    assert statuses["tcp"][0] is Status.PASS
    assert statuses["greeting"][0] is Status.PASS
    assert statuses["ehlo"] == (Status.SKIP, "interrupted (Ctrl-C) before it finished")
    for later in ("tls", "certificate", "auth"):
        assert statuses[later] == (Status.SKIP, "not run: interrupted (Ctrl-C)")
    assert server.commands == ["EHLO"]  # no QUIT: the user wants out now


#: ``python -m smtpdoctor``, with Ctrl-C turned back on: a shell starts background jobs (a CI
#: step, ``pytest &``) with SIGINT ignored, and Python keeps it ignored in the child.
SMTPDOCTOR = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from smtpdoctor.__main__ import main; sys.exit(main())"
)


def smtpdoctor(*args: str) -> subprocess.Popen[str]:
    """A real ``smtpdoctor`` process, with its own output pipes."""
    return subprocess.Popen(
        [sys.executable, "-c", SMTPDOCTOR, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "SMTPDOCTOR_PASSWORD": PASSWORD},
    )


def interrupt(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Press Ctrl-C in ``process`` and collect its output."""
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=PROCESS_LIMIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_ctrl_c_in_a_real_check_prints_the_partial_report_and_exits_130() -> None:
    with hostile(silent_after_ehlo) as server:
        host, port = server.address
        process = smtpdoctor("check", f"{host}:{port}", "--timeout", str(FOREVER))
        server.wait_for_command("STARTTLS")
        out, err = interrupt(process)

    assert process.returncode == 130
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert " PASS " in lines["tcp"]
    assert " PASS " in lines["greeting"]
    assert " PASS " in lines["ehlo"]
    assert "SKIP" in lines["tls"]
    assert "interrupted (Ctrl-C) before it finished" in lines["tls"]
    assert "not run: interrupted (Ctrl-C)" in lines["certificate"]
    assert "INTERRUPTED (Ctrl-C), partial report" in out
    assert "(exit code 130)" in out
    assert "Traceback" not in out + err


def test_ctrl_c_with_json_output_says_interrupted_in_the_document() -> None:
    with hostile(silent_after_ehlo) as server:
        host, port = server.address
        process = smtpdoctor("check", f"{host}:{port}", "-f", "json", "--timeout", str(FOREVER))
        server.wait_for_command("STARTTLS")
        out, _ = interrupt(process)

    assert process.returncode == 130
    document = json.loads(out)
    assert document["interrupted"] is True
    assert document["status"] == "interrupted"
    assert document["exit_code"] == 130
    statuses = {check["id"]: check["status"] for check in document["checks"]}
    assert statuses["ehlo"] == "pass"
    assert statuses["tls"] == "skip"


def test_ctrl_c_against_a_server_that_never_greets_exits_130_with_a_report() -> None:
    def silent(peer: Peer) -> None:
        peer.stay_silent()

    with hostile(silent) as server:
        host, port = server.address
        process = smtpdoctor("check", f"{host}:{port}", "--timeout", str(FOREVER))
        server.wait_for_connection()
        out, err = interrupt(process)

    assert process.returncode == 130
    assert "INTERRUPTED (Ctrl-C), partial report" in out
    assert "interrupted (Ctrl-C)" in out
    assert "Traceback" not in out + err
    assert server.received == b""
