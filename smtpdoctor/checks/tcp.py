"""``tcp``: resolve the host name and open the TCP connection."""

from __future__ import annotations

from smtpdoctor.core.check import Check, CheckContext, RegisterCheck
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.discovery.providers import closest_submission_host
from smtpdoctor.model.environment import Environment
from smtpdoctor.model.results import DetailValue, Outcome, Status
from smtpdoctor.net.session import Connected
from smtpdoctor.net.transport import ConnectAttempt, ConnectError, ResolutionError
from smtpdoctor.settings.proxy import ProxySpec

#: Ports that clouds and ISPs block for outgoing connections more often than not.
COMMONLY_BLOCKED_PORTS = frozenset({25})

#: The finding for each way a name lookup fails (:class:`ResolutionError` ``kind``); any
#: other kind is ``tcp.dns-error``.
DNS_FINDINGS = {
    "nxdomain": "tcp.dns-nxdomain",
    "no-address": "tcp.dns-no-address",
    "temporary": "tcp.dns-temporary",
    "invalid": "tcp.dns-invalid",
    "timeout": "tcp.dns-timeout",
    "error": "tcp.dns-error",
    "no-address-in-family": "tcp.no-address-in-family",
}
#: A name that always exists, asked once when the server's name got NXDOMAIN: if it fails too,
#: the resolver is broken (offline, captive portal, DNS filter), not the name mistyped.
WELL_KNOWN_NAME = "a.root-servers.net"
#: NXDOMAIN for the server's name and no answer for :data:`WELL_KNOWN_NAME` either.
DNS_BROKEN = "tcp.dns-broken"
#: The finding for each way connecting fails (:class:`ConnectError` ``kind``); any other kind
#: is ``tcp.error``.
CONNECT_FINDINGS = {
    "refused": "tcp.refused",
    "timeout": "tcp.timeout",
    "unreachable": "tcp.unreachable",
    "no-network": "tcp.no-network",
    "source-address-unavailable": "tcp.source-address-unavailable",
    "proxy-unreachable": "tcp.proxy-unreachable",
    "proxy-auth": "tcp.proxy-auth",
    "proxy-refused": "tcp.proxy-refused",
    "proxy-destination-unreachable": "tcp.proxy-destination-unreachable",
    "proxy-timeout": "tcp.proxy-timeout",
    "proxy-error": "tcp.proxy-error",
    "error": "tcp.error",
}
#: A timeout on a port in :data:`COMMONLY_BLOCKED_PORTS`: probably blocked on the client's side.
TIMEOUT_ON_BLOCKED_PORT = "tcp.timeout-port-25"
#: A timeout on a port this machine's cloud (``RunConfig.environment``) is known to block, by
#: the cloud's id (:data:`smtpdoctor.discovery.environment.CLOUDS`, those with a policy): the
#: knowledge base has each cloud's policy and what to do about it.
CLOUD_BLOCKED = {
    "aws": "tcp.blocked-by-aws",
    "gce": "tcp.blocked-by-gce",
    "azure": "tcp.blocked-by-azure",
    "digitalocean": "tcp.blocked-by-digitalocean",
    "linode": "tcp.blocked-by-linode",
    "hetzner": "tcp.blocked-by-hetzner",
    "oracle": "tcp.blocked-by-oracle",
}
#: Connected over one IP version after every address of the other one failed.
FAMILY_BROKEN = "tcp.family-broken"
#: A failed attempt shorter than this (seconds) costs a client nothing it would notice.
QUICK_FAILURE = 0.05


class TCPConnect(Check):
    """Resolve the name and connect; tells DNS failure, refusal, timeout and no-route apart."""

    id = "tcp"
    title = "TCP connection"
    findings = (
        *DNS_FINDINGS.values(),
        DNS_BROKEN,
        *CONNECT_FINDINGS.values(),
        TIMEOUT_ON_BLOCKED_PORT,
        *CLOUD_BLOCKED.values(),
        FAMILY_BROKEN,
    )

    def run(self, ctx: CheckContext) -> Outcome:
        host, port = ctx.config.host, ctx.config.port
        try:
            connected = ctx.session.connect(settle_other_family=True)
        except ResolutionError as exc:
            if exc.kind == "nxdomain":
                return _no_such_name(ctx, exc)
            return Outcome(
                Status.FAIL,
                str(exc) if exc.kind == "no-address-in-family" else f"DNS: {exc}",
                finding=DNS_FINDINGS.get(exc.kind, DNS_FINDINGS["error"]),
                details={"host": host, "port": port},
            )
        except ConnectError as exc:
            finding = CONNECT_FINDINGS.get(exc.kind, CONNECT_FINDINGS["error"])
            if exc.kind == "timeout" and port in COMMONLY_BLOCKED_PORTS:
                finding = TIMEOUT_ON_BLOCKED_PORT
            details: dict[str, DetailValue] = {
                **_path(ctx.config.proxy),
                "host": host,
                "port": port,
                "attempts": tuple(f"{a.address}: {a.detail}" for a in exc.attempts),
            }
            environment = ctx.config.environment
            if exc.kind == "timeout" and environment is not None and ctx.config.proxy is None:
                return _blocked_here(environment, (host, port), exc, finding, details)
            return Outcome(
                Status.FAIL, _connect_summary(host, port, exc), finding=finding, details=details
            )
        return _connected(connected, host)


def _blocked_here(
    environment: Environment,
    where: tuple[str, int],
    exc: ConnectError,
    finding: str,
    details: dict[str, DetailValue],
) -> Outcome:
    """A timeout on a machine whose cloud is known: when the cloud blocks the port, the
    summary says so instead of blaming some firewall, and the finding names the cloud
    (:data:`CLOUD_BLOCKED`; a cloud smtpdoctor's table does not know keeps ``finding``)."""
    host, port = where
    details["environment"] = environment.provider_id
    policy, blocked = environment.policy_for(port), environment.blocking(port)
    if policy is None or blocked is None:
        return Outcome(
            Status.FAIL, _connect_summary(host, port, exc), finding=finding, details=details
        )
    details["environment_policy"] = policy.state.value
    return Outcome(
        Status.FAIL,
        f"no answer from {host} on port {port} before the timeout: {blocked}",
        finding=CLOUD_BLOCKED.get(environment.provider_id, finding),
        details=details,
    )


def _path(proxy: ProxySpec | None) -> dict[str, DetailValue]:
    """How the run connects, for the details: ``path`` ``direct`` or ``proxy`` (with the
    proxy's URL, without its password)."""
    if proxy is None:
        return {"path": "direct"}
    return {"path": "proxy", "proxy": proxy.display}


def _connected(connected: Connected, host: str) -> Outcome:
    """PASS naming the address and IP version used (and the proxy, when there is one); WARN
    (:data:`FAMILY_BROKEN`) when the other IP version's addresses all failed first."""
    source = f" from {connected.source_address}" if connected.source_address else ""
    took = f"in {connected.seconds * 1000:.0f} ms"
    details: dict[str, DetailValue] = {
        "path": "direct" if connected.proxy is None else "proxy",
        "address": connected.address,
        "port": connected.port,
        "family": connected.family,
        "seconds": round(connected.seconds, 6),
        "dns_seconds": round(connected.dns_seconds, 6),
    }
    if connected.source_address is not None:
        details["source_address"] = connected.source_address
    if connected.proxy is not None:
        return _proxied(connected, host, source, took, details)
    summary = (
        f"connected to {connected.address} (IPv{connected.family}) port {connected.port}"
        f"{source} {took}"
    )
    broken = [a for a in connected.failed_attempts if a.family != connected.family]
    if not broken:
        return Outcome(Status.PASS, summary, details=details)
    return Outcome(
        Status.WARN,
        f"{summary}; {_family_broken(broken, connected.family)}",
        finding=FAMILY_BROKEN,
        details={
            **details,
            "failed_family": broken[0].family,
            "failed_attempts": tuple(f"{a.address}: {a.detail}" for a in broken),
            "stall_seconds": round(max(a.seconds for a in broken), 6),
        },
    )


def _proxied(
    connected: Connected, host: str, source: str, took: str, details: dict[str, DetailValue]
) -> Outcome:
    """PASS through a proxy, naming it, and the address asked of it when it was resolved
    here (the family-broken WARN is not given: the failed addresses are the proxy's view)."""
    assert connected.proxy is not None
    details["proxy"] = connected.proxy
    if connected.resolved_by_proxy:
        del details["address"], details["family"]
        details["resolved_by"] = "proxy"
        where = f"{host} (resolved by the proxy)"
    else:
        where = f"{host} ({connected.address}, IPv{connected.family})"
        if host == connected.address:
            where = f"{host} (IPv{connected.family})"
    if connected.failed_attempts:
        details["failed_attempts"] = tuple(
            f"{a.address}: {a.detail}" for a in connected.failed_attempts
        )
    summary = f"connected to {where} port {connected.port} through {connected.proxy}{source} {took}"
    return Outcome(Status.PASS, summary, details=details)


def _family_broken(broken: list[ConnectAttempt], worked: int) -> str:
    """What the failure of the other IP version means, in words."""
    failed = broken[0].family
    reasons = "; ".join(f"{a.address}: {a.detail}" for a in broken)
    stall = max(a.seconds for a in broken)
    if any(a.kind in ("timeout", "unanswered") for a in broken):
        # a path that drops packets: nothing tells the client to give up but its own time-out
        cost = (
            f"clients that prefer IPv{failed} wait for their own connect time-out (often a "
            f"minute or more) before they try IPv{worked}, unless they race both versions "
            f"(Happy Eyeballs)"
        )
    else:
        after = f"after {stall * 1000:.0f} ms" if stall >= QUICK_FAILURE else "at once"
        cost = (
            f"clients that prefer IPv{failed} fall back to IPv{worked} {after}, and those with "
            f"only IPv{failed} cannot connect"
        )
    return (
        f"but IPv{failed} to this server failed ({reasons}) while IPv{worked} worked: "
        f"IPv{failed} route broken on this machine or at the server; {cost}"
    )


def _no_such_name(ctx: CheckContext, exc: ResolutionError) -> Outcome:
    """NXDOMAIN for the server's name: ask the same resolver once for :data:`WELL_KNOWN_NAME`
    to tell a resolver that answers NXDOMAIN for everything from a name that does not exist."""
    host, port = ctx.config.host, ctx.config.port
    details: dict[str, str | int] = {"host": host, "port": port}
    if not ctx.session.deadline_passed:
        try:
            ctx.session.look_up(WELL_KNOWN_NAME)
        except ResolutionError as canary:
            servers = ", ".join(str(s) for s in ctx.config.dns_servers) or "the system's resolver"
            how = (
                "answers NXDOMAIN for everything"
                if canary.kind == "nxdomain"
                else "is not answering"
            )
            return Outcome(
                Status.FAIL,
                f"DNS: {host} does not resolve, and neither does {WELL_KNOWN_NAME}, which "
                f"always exists: your DNS ({servers}) {how} (offline, captive portal, DNS "
                "filter?)",
                finding=DNS_BROKEN,
                details={
                    **details,
                    "error": str(exc),
                    "well_known_name": WELL_KNOWN_NAME,
                    "well_known_error": str(canary),
                    "dns": servers,
                },
            )
    suggestion = closest_submission_host(host)
    if suggestion is None:
        return Outcome(
            Status.FAIL, f"DNS: {exc}", finding=DNS_FINDINGS["nxdomain"], details=details
        )
    return Outcome(
        Status.FAIL,
        f"DNS: {exc} — did you mean {suggestion}?",
        finding=DNS_FINDINGS["nxdomain"],
        details={**details, "suggestion": suggestion},
    )


def _connect_summary(host: str, port: int, exc: ConnectError) -> str:
    if exc.kind == "refused":
        return f"{host} refused the connection on port {port}: nothing is listening there"
    if exc.kind == "timeout":
        return (
            f"no answer from {host} on port {port} before the timeout: a firewall is "
            "silently dropping the connection (yours, your network's, or the server's)"
        )
    if exc.kind == "unreachable":
        return f"no route to {host}: a router on the way says it cannot be reached ({exc})"
    if exc.kind == "no-network":
        return (
            f"this machine has no route to {host}: it is offline or has no connectivity for "
            f"that address family (IPv4/IPv6) — the server was never asked ({exc})"
        )
    if exc.kind == "source-address-unavailable":
        return f"could not connect to {host}: {exc.attempts[0].detail} — nothing was sent"
    if exc.kind.startswith("proxy-"):
        return str(exc)  # the proxy's failure, in words that name the proxy and the server
    return f"could not connect to {host} on port {port}: {exc}"


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``tcp`` check."""
    register(TCPConnect)
