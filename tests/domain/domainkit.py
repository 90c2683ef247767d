"""Running ``smtpdoctor domain`` in tests: a domain audit against a test DNS server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.domain import DOMAIN_BUILTINS, DomainDoctor, DomainReport, DomainRequest

from tests.targets.dnsserver import DNSServer


def audit(
    dns_server: DNSServer,
    domain: str,
    *,
    builtins: Sequence[str] = DOMAIN_BUILTINS,
    extra_plugins: Sequence[object] = (),
    disabled: frozenset[str] = frozenset(),
    **request: Any,
) -> DomainReport:
    """Audit ``domain`` with the domain checks of ``builtins`` (all by default), asking only
    ``dns_server``; short time-outs, no installed plugins, ``disabled`` as ``--disable``."""
    request.setdefault("timeout", 2.0)
    request.setdefault("deadline", 30.0)
    doctor = DomainDoctor(
        PluginSelection(autoload=False, disabled=disabled),
        builtins=builtins,
        extra_plugins=extra_plugins,
    )
    return doctor.run(DomainRequest(domain, dns_servers=(dns_server.name_server,), **request))
