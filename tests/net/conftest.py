"""Fixtures of the ``--proxy`` tests: real proxies on loopback, stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.net.proxykit import Pproxy, RuleSocks5

MakePproxy = Callable[..., Pproxy]
MakeRuleSocks5 = Callable[..., RuleSocks5]


@pytest.fixture
def make_pproxy() -> Iterator[MakePproxy]:
    """Start pproxy servers (``host=``, ``login=(user, password)``); all stop after the test."""
    started: list[Pproxy] = []

    def start(*, host: str = "127.0.0.1", login: tuple[str, str] | None = None) -> Pproxy:
        proxy = Pproxy(host=host, login=login)
        proxy.start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture
def make_rule_socks5() -> Iterator[MakeRuleSocks5]:
    """Start rule-following SOCKS5 servers (``allowed_ports=``, ``host=``); all stop after
    the test."""
    started: list[RuleSocks5] = []

    def start(
        *, allowed_ports: frozenset[int] | None = None, host: str = "127.0.0.1"
    ) -> RuleSocks5:
        proxy = RuleSocks5(allowed_ports=allowed_ports, host=host)
        proxy.start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
