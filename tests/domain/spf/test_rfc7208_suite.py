"""The OpenSPF RFC 7208 test suite (``data/rfc7208-tests.yml``), every test, against our
``check_host()`` asking a loopback DNS server that serves the scenario's zone."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from smtpdoctor.mailauth.dns import DomainDNS
from smtpdoctor.mailauth.spf import check_host

from tests.domain.spf.suitekit import Case, Scenario, load_suite
from tests.targets.dnsserver import DNSServer

SCENARIOS = load_suite()

#: Where we knowingly differ from the suite, and why.
DEVIATIONS = {
    "v-macro-ip6": (
        "the suite expects %{ir} of an IPv6 address in upper-case hex (pyspf's choice); we "
        "expand it in lower case, as RFC 7208 §7.4's own example does "
        "(1.0.b.c.0.0…8.b.d.0.1.0.0.2.ip6)"
    ),
}


class Servers:
    """One DNS server per scenario, started when a test first needs it."""

    def __init__(self) -> None:
        self._running: dict[int, DNSServer] = {}

    def for_scenario(self, scenario: Scenario) -> DNSServer:
        if scenario.index not in self._running:
            server = DNSServer(scenario.zone, drop=scenario.drop)
            server.start()
            self._running[scenario.index] = server
        return self._running[scenario.index]

    def stop(self) -> None:
        for server in self._running.values():
            server.stop()


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    running = Servers()
    yield running
    running.stop()


def _params() -> list[object]:
    params: list[object] = []
    for scenario in SCENARIOS:
        for case in scenario.cases:
            marks = []
            if case.name in DEVIATIONS:
                marks.append(pytest.mark.xfail(reason=DEVIATIONS[case.name], strict=True))
            params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def test_the_suite_has_every_test_once() -> None:
    names = [case.name for scenario in SCENARIOS for case in scenario.cases]
    assert len(names) == len(set(names))
    assert len(SCENARIOS) >= 15
    assert len(names) >= 140


@pytest.mark.parametrize("case", _params())
def test_check_host_gives_the_result_the_suite_expects(case: Case, servers: Servers) -> None:
    server = servers.for_scenario(SCENARIOS[case.scenario])
    resolver = DomainDNS((server.name_server,), timeout=1.0, deadline_at=time.monotonic() + 60)

    result = check_host(resolver, case.host, case.domain, case.sender, helo=case.helo)

    assert result.verdict in case.results, result.explanation
    if case.explanation == "DEFAULT":
        assert result.published_explanation is None
    elif case.explanation is not None:
        assert result.published_explanation == case.explanation
