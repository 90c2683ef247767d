"""Every address of the server's name, as the run would connect to it.

Asked of the resolver the run asks (``--dns-server``, or the system's), for the IP versions
the run may use (``-4``/``-6``, or the version of ``--source-address``), within the run's
``--timeout``.  An address literal is its own one address.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from smtpdoctor.settings.config import RunConfig


class NoAddresses(Exception):
    """The name has no address the run may connect to; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class Address:
    """One address of the name."""

    address: str
    family: int
    """Its IP version: 4 or 6."""


def addresses_of(config: RunConfig) -> tuple[Address, ...]:
    """``config.host``'s addresses of the IP versions the run may use: IPv4 before IPv6,
    each in numeric order, no address twice.

    :raises NoAddresses: the name does not resolve, or has no address of those versions.
    """
    from smtpdoctor.net.session import resolver_for
    from smtpdoctor.net.transport import ResolutionError, resolve

    lookup = resolver_for(config) or resolve
    try:
        pairs = lookup(config.host, config.port, deadline_at=time.monotonic() + config.timeout)
    except ResolutionError as error:
        raise NoAddresses(str(error)) from None
    found = sorted(
        {ipaddress.ip_address(sockaddr[0]) for _, sockaddr in pairs},
        key=lambda ip: (ip.version, int(ip)),
    )
    version = _version(config)
    kept = [ip for ip in found if version is None or ip.version == version]
    if not kept:
        others = ", ".join(str(ip) for ip in found) or "none"
        why = (
            f"the source address {config.source_address} is IPv{version}"
            if config.source_address is not None and config.proxy is None
            else f"the run is limited to IPv{version} (-{version})"
            if config.family is not None
            else "a SOCKS4 proxy carries IPv4 addresses only"
        )
        raise NoAddresses(
            f"{config.host} has no IPv{version} address (it has: {others}), and {why}"
        )
    return tuple(Address(str(ip), ip.version) for ip in kept)


def is_address_literal(host: str) -> bool:
    """Whether ``host`` is an IP address rather than a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _version(config: RunConfig) -> int | None:
    """The one IP version the run may connect over, if it is limited to one: through a
    proxy, ``-4``/``-6`` or IPv4 for SOCKS4 (``--source-address`` then applies to the
    connection to the proxy, not to the server's address)."""
    if config.proxy is not None:
        return config.family or (None if config.proxy.carries_ipv6 else 4)
    if config.source_address is not None:
        return ipaddress.ip_address(config.source_address).version
    return config.family
