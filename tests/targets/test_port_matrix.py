"""The port and TLS-mode matrix: every mail port probed at once, and a recommendation.

Each test probes real peers on loopback ports: aiosmtpd servers (STARTTLS, implicit TLS, no
TLS), a port nothing listens on, a port that accepts and stays silent, servers that greet only
once every probe has arrived, and raw scripted servers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.discovery.matrix import ProbeResult, Verdict, probes_for, recommend, run_matrix
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import Endpoint, TLSMode
from smtpdoctor.settings.config import DEFAULT_PROBES, RunConfig

from tests.loopback import closed_port
from tests.targets.targetkit import GatedSMTP, silent_port

MakeServer = Callable[..., LocalSMTPServer]
StartScripted = Callable[[list[Any]], Any]
HANG_GUARD = 30
QUIT_ANSWERED: list[Any] = ["recv", b"221 2.0.0 Bye\r\n"]


def config_for(*probes: Endpoint, timeout: float = 5.0, **fields: Any) -> RunConfig:
    return RunConfig(host="127.0.0.1", probes=probes, timeout=timeout, **fields)


def starttls(port: int) -> Endpoint:
    return Endpoint(port, TLSMode.STARTTLS)


def implicit(port: int) -> Endpoint:
    return Endpoint(port, TLSMode.IMPLICIT)


def verdicts(results: tuple[ProbeResult, ...]) -> list[tuple[str, Verdict]]:
    return [(str(result.probe), result.verdict) for result in results]


@pytest.mark.timeout(HANG_GUARD)
def test_the_matrix_tells_working_dead_and_silent_ports_apart_and_prefers_implicit_tls(
    make_server: MakeServer,
) -> None:
    submission = make_server(tls="starttls")
    submissions = make_server(tls="implicit")
    dead = closed_port()
    with silent_port() as silent:
        matrix = run_matrix(
            config_for(
                starttls(submission.port),
                implicit(submissions.port),
                starttls(dead),
                starttls(silent),
                timeout=1.0,
            )
        )

    assert verdicts(matrix.results) == [
        (f"{submission.port}/starttls", Verdict.WORKS),
        (f"{submissions.port}/implicit", Verdict.WORKS),
        (f"{dead}/starttls", Verdict.REFUSED),
        (f"{silent}/starttls", Verdict.SILENT),
    ]
    assert matrix.recommended is not None
    assert matrix.recommended.probe == implicit(submissions.port)
    assert matrix.results[0].detail.startswith("220 ")
    assert matrix.results[0].detail.endswith("; STARTTLS offered")  # AUTH only after TLS
    assert matrix.results[1].detail.startswith("TLSv1.")
    assert matrix.results[2].detail == "connection refused: nothing listens on this port"
    assert matrix.results[3].detail.startswith("connected, but no greeting within ")


@pytest.mark.timeout(HANG_GUARD)
def test_the_probes_run_at_the_same_time() -> None:
    # These servers greet only once all four probes have connected: probed one after the
    # other, the first would wait for its greeting until the deadline and be "silent".
    with GatedSMTP(4, wait=10.0) as gated:
        matrix = run_matrix(config_for(*(starttls(port) for port in gated.ports), timeout=10.0))

    assert [result.verdict for result in matrix.results] == [Verdict.WORKS] * 4
    assert gated.commands.count("QUIT") == 4  # every probe said goodbye


@pytest.mark.timeout(HANG_GUARD)
def test_when_nothing_answers_the_matrix_fails_and_the_check_goes_to_the_first_port() -> None:
    with silent_port() as first, silent_port() as second, silent_port() as third:
        matrix = run_matrix(
            config_for(starttls(first), starttls(second), starttls(third), timeout=1.0)
        )

    assert [result.verdict for result in matrix.results] == [Verdict.SILENT] * 3
    assert matrix.row().status is Status.FAIL
    assert matrix.row().outcome.finding == "ports.none-answered"
    assert matrix.choice() == starttls(first)  # the full check then shows why


@pytest.mark.timeout(HANG_GUARD)
def test_plaintext_on_an_implicit_tls_probe_is_followed_by_starttls_on_that_port(
    make_server: MakeServer,
) -> None:
    server = make_server(tls="starttls")

    matrix = run_matrix(config_for(implicit(server.port)))

    assert verdicts(matrix.results) == [
        (f"{server.port}/implicit", Verdict.PLAINTEXT),
        (f"{server.port}/starttls", Verdict.WORKS),
    ]
    assert matrix.results[1].follow_up
    assert matrix.choice() == starttls(server.port)


@pytest.mark.timeout(HANG_GUARD)
def test_a_port_without_starttls_is_used_only_with_a_warning(make_server: MakeServer) -> None:
    server = make_server(tls="none")

    matrix = run_matrix(config_for(starttls(server.port), starttls(closed_port())))
    row = matrix.row()

    assert matrix.results[0].verdict is Verdict.NO_STARTTLS
    assert matrix.choice() == starttls(server.port)
    assert row.status is Status.WARN
    assert row.outcome.finding == "ports.no-tls"
    assert [hint.title for hint in row.hints] == ["No port offers a usable encrypted connection"]


@pytest.mark.timeout(HANG_GUARD)
def test_another_protocol_on_a_port_is_named(scripted: StartScripted) -> None:
    ssh = scripted([b"SSH-2.0-OpenSSH_9.6\r\n"])

    matrix = run_matrix(config_for(starttls(ssh.address[1])))

    assert matrix.results[0].verdict is Verdict.NOT_SMTP
    assert matrix.results[0].detail == "an SSH server answers here"


@pytest.mark.timeout(HANG_GUARD)
def test_a_server_refusing_us_is_rejected_with_its_reply(scripted: StartScripted) -> None:
    busy = scripted([b"554 5.7.1 mail.example.test: your address is blocked\r\n", *QUIT_ANSWERED])

    matrix = run_matrix(config_for(starttls(busy.address[1])))

    assert matrix.results[0].verdict is Verdict.REJECTED
    assert (
        matrix.results[0].detail == "greeting 554 5.7.1 mail.example.test: your address is blocked"
    )
    assert matrix.row().outcome.finding == "ports.refused"


@pytest.mark.timeout(HANG_GUARD)
def test_a_stripped_starttls_is_reported(scripted: StartScripted) -> None:
    stripped = scripted(
        [
            b"220 mail.example.test ESMTP\r\n",
            "recv",
            b"250-mail.example.test\r\n250 XXXXXXXA\r\n",
            *QUIT_ANSWERED,
        ]
    )

    matrix = run_matrix(config_for(starttls(stripped.address[1])))

    assert matrix.results[0].verdict is Verdict.NO_STARTTLS
    assert "STARTTLS hidden (XXXXXXXA): a firewall strips it" in matrix.results[0].detail


@pytest.mark.timeout(HANG_GUARD)
def test_probes_never_log_in(make_server: MakeServer) -> None:
    server = make_server(tls="implicit")

    run_matrix(config_for(implicit(server.port)))

    assert server.auth_attempts == []
    assert server.messages == []


@pytest.mark.timeout(HANG_GUARD)
def test_the_ports_row_lists_every_probe_and_the_choice(make_server: MakeServer) -> None:
    submission = make_server(tls="starttls")
    dead = closed_port()

    row = run_matrix(config_for(starttls(submission.port), implicit(dead))).row()

    assert row.check_id == "ports"
    assert row.status is Status.INFO
    assert row.summary.startswith(
        f"{submission.port} STARTTLS: works; {dead} implicit TLS: refused. "
        f"Using {submission.port} STARTTLS: implicit TLS, which RFC 8314 prefers, does not "
        "work here (2 ports probed at once in "
    )
    assert row.outcome.details["working"] == (f"{submission.port}/starttls",)
    assert row.outcome.details["recommended"] == f"{submission.port}/starttls"
    assert len(row.outcome.details["probes"]) == 2  # type: ignore[arg-type]
    # where each probe that connected went, as the tcp row says it for the check
    assert row.outcome.details["addresses"] == (f"{submission.port}/starttls: 127.0.0.1 (IPv4)",)
    assert row.outcome.details["path"] == "direct"


# -- the recommendation, as a rule ------------------------------------------------------------


def result(port: int, tls: TLSMode, verdict: Verdict, *, follow_up: bool = False) -> ProbeResult:
    return ProbeResult(Endpoint(port, tls), verdict, "", 0.0, follow_up)


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        # RFC 8314: implicit TLS before STARTTLS
        (
            [
                result(587, TLSMode.STARTTLS, Verdict.WORKS),
                result(465, TLSMode.IMPLICIT, Verdict.WORKS),
            ],
            Endpoint(465, TLSMode.IMPLICIT),
        ),
        # submission before the vendors' fallback before the relay port
        (
            [
                result(25, TLSMode.STARTTLS, Verdict.WORKS),
                result(2525, TLSMode.STARTTLS, Verdict.WORKS),
                result(587, TLSMode.STARTTLS, Verdict.WORKS),
            ],
            Endpoint(587, TLSMode.STARTTLS),
        ),
        (
            [
                result(25, TLSMode.STARTTLS, Verdict.WORKS),
                result(2525, TLSMode.STARTTLS, Verdict.WORKS),
            ],
            Endpoint(2525, TLSMode.STARTTLS),
        ),
        # working TLS before cleartext before a refusal, whatever the port
        (
            [
                result(587, TLSMode.STARTTLS, Verdict.REJECTED),
                result(465, TLSMode.IMPLICIT, Verdict.TIMEOUT),
                result(587, TLSMode.STARTTLS, Verdict.NO_STARTTLS),
                result(25, TLSMode.STARTTLS, Verdict.WORKS),
            ],
            Endpoint(25, TLSMode.STARTTLS),
        ),
        # a port's planned mode before a follow-up in the other mode
        (
            [
                result(465, TLSMode.STARTTLS, Verdict.WORKS, follow_up=True),
                result(2525, TLSMode.STARTTLS, Verdict.WORKS),
            ],
            Endpoint(2525, TLSMode.STARTTLS),
        ),
    ],
)
def test_the_recommendation_follows_rfc_8314(
    results: list[ProbeResult], expected: Endpoint
) -> None:
    best = recommend(results)

    assert best is not None
    assert best.probe == expected


def test_nothing_usable_means_no_recommendation() -> None:
    assert recommend([result(587, TLSMode.STARTTLS, Verdict.REFUSED)]) is None


def test_the_default_probes_are_587_465_25_and_2525() -> None:
    assert [str(probe) for probe in DEFAULT_PROBES] == [
        "587/starttls",
        "465/implicit",
        "25/starttls",
        "2525/starttls",
    ]


@pytest.mark.parametrize(
    ("tls", "ports"),
    [
        (TLSMode.AUTO, [587, 465, 25, 2525]),
        (TLSMode.IMPLICIT, [465]),
        (TLSMode.STARTTLS, [587, 25, 2525]),
        (TLSMode.NONE, [587, 25, 2525]),
    ],
)
def test_tls_asked_for_limits_the_probes_to_that_mode(tls: TLSMode, ports: list[int]) -> None:
    config = RunConfig(host="mail.example.test", tls=tls)

    assert [probe.port for probe in probes_for(config)] == ports
