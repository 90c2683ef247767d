"""Targets people actually type — an address, a mail domain or a server — and where they lead.

``smtpdoctor check`` takes any of these:

* ``alice@gmail.com`` — an address: the provider's submission server, port, TLS mode and the
  user name (the full address or the part before the ``@``, as the provider wants);
* ``gmail.com`` or ``example.com`` — a mail domain, not a server: the server behind it, found
  as :mod:`smtpdoctor.discovery.domain` describes (provider table, MX, SRV, guesses);
* ``smtp.example.com``, ``192.0.2.1:587`` — a server, checked as typed.

Whether a bare name is a server or a mail domain is decided by :func:`locate` (the rule is in
``docs/targets.md``).  When the port is still unknown, :func:`place` probes the port matrix
(:mod:`smtpdoctor.discovery.matrix`).  Both say what they found in report rows shown before
the checks: ``target`` (where the server came from) and ``ports`` (the matrix).
"""

from __future__ import annotations

import enum
import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

from smtpdoctor.discovery.providers import (
    PROVIDERS,
    Provider,
    Recognition,
    recognised_by_mail_domain,
)
from smtpdoctor.discovery.source import Source
from smtpdoctor.model.results import (
    CheckResult,
    Clue,
    DetailValue,
    Hint,
    Outcome,
    ProviderClue,
    Status,
)
from smtpdoctor.model.words import ConfigError, TLSMode
from smtpdoctor.settings.config import RunConfig, split_target

if TYPE_CHECKING:
    from smtpdoctor.discovery.domain import DomainRecords
    from smtpdoctor.discovery.matrix import PortMatrix

#: What is left of the run's deadline is never less than this, so the checks still get a word
#: in (they then report that the deadline passed).
MIN_DEADLINE = 0.001


class Kind(enum.StrEnum):
    """What the typed target is."""

    SERVER = "server"
    MAIL_DOMAIN = "mail-domain"
    ADDRESS = "address"


#: The finding of the ``target`` row when a server was found, by what was typed.
KIND_FINDINGS: dict[Kind, str] = {
    Kind.SERVER: "target.server",
    Kind.MAIL_DOMAIN: "target.mail-domain",
    Kind.ADDRESS: "target.address",
}
#: Every finding the ``target`` row can carry (it is no check, so they are declared here);
#: ``target.not-found``: no submission server was found, the domain itself is checked.
TARGET_FINDINGS: tuple[str, ...] = (*KIND_FINDINGS.values(), "target.not-found")


@dataclass(frozen=True, slots=True)
class Typed:
    """The target as typed, split up: ``alice@gmail.com:587`` → local part ``alice``, name
    ``gmail.com``, port 587."""

    text: str
    name: str
    """The host or mail domain."""
    port: int | None = None
    local_part: str | None = None
    """The part before the ``@`` when an address was typed."""

    @property
    def address(self) -> str | None:
        """The address, when one was typed."""
        return None if self.local_part is None else f"{self.local_part}@{self.name}"


@dataclass(frozen=True, slots=True)
class Located:
    """Where a typed target leads: the server to check, and how it was found."""

    typed: Typed
    kind: Kind
    host: str
    port: int | None
    """``None``: not known yet, the port matrix decides."""
    tls: TLSMode
    """``AUTO`` unless the source says which mode the port speaks."""
    source: Source
    reason: str
    """How the source led to the host, in words; empty for a server checked as typed."""
    provider: Provider | None = None
    username: str | None = None
    """The user name to log in with, when the address gives one."""
    found: bool = True
    """False when no server was found for a domain and the name itself is checked."""
    lookups: tuple[str, ...] = ()
    """Every DNS question asked, with its answer, one line each."""
    matrix: PortMatrix | None = None
    """The port matrix of the host, when telling a server from a domain needed one."""
    null_mx: bool = False
    """Whether the typed domain publishes a null MX (RFC 7505): it accepts no mail."""
    seconds: float = 0.0
    recognition: Recognition | None = None
    """How :attr:`provider` was recognised: by the typed address's mail domain, the MX of
    the typed domain, or the host name."""

    @property
    def login_allowed(self) -> bool:
        """False when DNS — which, without DNSSEC, anyone on the path can forge — picked a
        host outside the typed domain that smtpdoctor does not know (RFC 6186 section 6):
        its certificate would be verified for *its* name, so a forged record could collect
        the password.  Provider hosts, guesses inside the domain and typed hosts are fine."""
        if self.source not in (Source.SRV, Source.MX_HOST) or self.provider is not None:
            return True
        host, domain = self.host.lower().rstrip("."), self.typed.name.lower()
        return host == domain or host.endswith(f".{domain}")

    @property
    def explained(self) -> bool:
        """Whether there is anything to say beyond "the server you typed" (a ``target`` row)."""
        return self.kind is not Kind.SERVER or bool(self.reason)


def parse_typed(text: str) -> Typed:
    """Split a typed target; raises :class:`ConfigError` for what cannot be a target."""
    name, port = split_target(text)
    if "@" not in name:
        return Typed(text.strip(), name, port)
    local, _, domain = name.rpartition("@")
    if not local or "@" in local:
        raise ConfigError(f"{text!r} is not an email address (one '@', with a name before it)")
    domain = domain.rstrip(".").lower()
    if not domain or "." not in domain or _is_ip(domain.strip("[]")):
        raise ConfigError(f"{text!r}: give an address at a mail domain, such as alice@example.com")
    return Typed(text.strip(), domain, port, local)


def locate(typed: Typed, request: RunConfig) -> Located:
    """Find the server behind ``typed``, using ``request``'s DNS servers, timeout and deadline.

    Never raises for DNS trouble: a failed look-up is reported in :attr:`Located.lookups`, and
    a name nothing could be learnt about is checked as the server it may be.
    """
    start = time.monotonic()
    located = _locate(typed, request, deadline_at=start + request.deadline)
    return replace(located, seconds=time.monotonic() - start)


class Placement(NamedTuple):
    """A run aimed at its server, and the rows that say how it was found."""

    config: RunConfig
    """The settings aimed at the located server and port, the deadline reduced by the time
    spent finding it, no credentials where a login must not be tried."""
    preamble: tuple[CheckResult, ...]
    """The ``target`` row (where the server came from) and the ``ports`` row (the port
    matrix), as far as there is something to say; shown before the checks."""


def place(located: Located, config: RunConfig) -> Placement:
    """Aim ``config`` at the located server, on the port the source gave or the port matrix
    recommends (probing it now when the port is still unknown), with the deadline reduced by
    the time already spent.  An explicit TLS mode in ``config`` wins over the source's.  When
    :attr:`Located.login_allowed` is false the credentials are dropped, and the ``target``
    row says why."""
    spent = located.seconds
    matrix = located.matrix if located.port is None else None
    port, tls = located.port, located.tls
    if port is None:
        if matrix is None or matrix.host != located.host:
            from smtpdoctor.discovery.matrix import run_matrix

            left = max(config.deadline - spent, MIN_DEADLINE)
            matrix = run_matrix(replace(config, host=located.host, deadline=left))
            spent += matrix.seconds
        choice = matrix.choice()
        port, tls = choice.port, choice.tls
    if not located.login_allowed:
        config = replace(config, credentials=None, oauth_token=None)
    rows: list[CheckResult] = []
    if located.explained:
        rows.append(target_row(located, config))
    if matrix is not None:
        rows.append(matrix.row())
    aimed = replace(
        config,
        host=located.host,
        port=port,
        tls=config.tls if config.tls is not TLSMode.AUTO else tls,
        deadline=max(config.deadline - spent, MIN_DEADLINE),
    )
    return Placement(aimed, tuple(rows))


def target_row(located: Located, config: RunConfig) -> CheckResult:
    """The report row ``target``: what was typed, where it leads, and from which source."""
    provider = located.provider
    details: dict[str, DetailValue] = {
        "typed": located.typed.text,
        "kind": located.kind.value,
        "host": located.host,
        "port": located.port,
        "tls": located.tls.value,
        "source": located.source.value,
        "provider": provider.id if provider is not None else None,
        "provider_recognised_by": (
            located.recognition.clue.describe() if located.recognition is not None else None
        ),
        "username": located.username,
        "null_mx": located.null_mx,
        "lookups": located.lookups,
    }
    hints: tuple[Hint, ...] = ()
    if provider is not None:
        hints = (
            Hint(
                f"{provider.name}: how to log in",
                (f"User name: {provider.username_in_words}.", f"Password: {provider.auth_note}."),
                provider.docs_url,
            ),
        )
    if not located.found:
        return CheckResult(
            "target",
            "Target",
            Outcome(
                Status.WARN,
                _summary(located, config),
                details=details,
                finding="target.not-found",
                hints=(_NOT_FOUND,),
            ),
            (_NOT_FOUND,),
            located.seconds,
        )
    outcome = Outcome(
        Status.INFO,
        _summary(located, config),
        details=details,
        finding=KIND_FINDINGS[located.kind],
        hints=hints,
    )
    return CheckResult("target", "Target", outcome, hints, located.seconds)


# -- deciding ---------------------------------------------------------------------------------


def _locate(typed: Typed, request: RunConfig, *, deadline_at: float) -> Located:
    name = typed.name
    by_domain = recognised_by_mail_domain(name)
    if by_domain is not None and by_domain.provider.submission_host_for() is not None:
        kind = Kind.MAIL_DOMAIN if typed.local_part is None else Kind.ADDRESS
        return _from_provider(typed, kind, by_domain, request.tls)
    if typed.local_part is not None:
        return _from_domain(typed, Kind.ADDRESS, _records(name, request, deadline_at), request)
    if typed.port is not None or _plainly_a_server(name):
        return Located(typed, Kind.SERVER, name, typed.port, TLSMode.AUTO, Source.TYPED, "")
    provider = _provider_with_host(name)
    if provider is not None:
        port, tls = _endpoint(_provider_endpoints(provider), None, request.tls)
        return Located(
            typed,
            Kind.SERVER,
            name,
            port,
            tls,
            Source.PROVIDER,
            f"the submission server of {provider.name}",
            provider,
            recognition=Recognition(provider, ProviderClue(Clue.HOST_NAME, name)),
        )
    return _server_or_domain(typed, _records(name, request, deadline_at), request, deadline_at)


def _server_or_domain(
    typed: Typed, records: DomainRecords, request: RunConfig, deadline_at: float
) -> Located:
    """The rule for a bare name (docs/targets.md): MX and no address → a mail domain; an
    address and no MX → a server; both → a server if the name is its own MX or answers SMTP."""
    from smtpdoctor.discovery.domain import candidates

    name = typed.name
    lookups = records.describe()
    has_address, mx_hosts = records.addresses.found, records.mx_hosts
    if mx_hosts and not has_address:
        return _from_domain(typed, Kind.MAIL_DOMAIN, records, request)
    if mx_hosts and name.lower() in (host.lower() for host in mx_hosts):
        reason = f"{name} is its own mail exchanger (MX), so it is checked as a server"
        return _as_server(typed, reason, lookups)
    if mx_hosts:
        from smtpdoctor.discovery.matrix import run_matrix

        left = max(deadline_at - time.monotonic(), MIN_DEADLINE)
        matrix = run_matrix(replace(request, host=name, deadline=left))
        if matrix.recommended is not None:
            reason = (
                f"{name} has an address and MX records (its mail goes to {mx_hosts[0]}), and "
                "answers SMTP itself, so it is checked as a server"
            )
            return replace(_as_server(typed, reason, lookups), matrix=matrix)
        note = f"ports on {name}: nothing answers SMTP"
        return _from_domain(typed, Kind.MAIL_DOMAIN, records, request, extra=(note,))
    if records.null_mx and has_address:
        reason = f"{_null_mx_words(name)}, but it has an address, so it is checked as a server"
        return replace(_as_server(typed, reason, lookups), null_mx=True)
    if records.null_mx or (not has_address and candidates(records)):
        return _from_domain(typed, Kind.MAIL_DOMAIN, records, request)
    trouble = _dns_trouble(records)
    return _as_server(typed, f"{trouble}, so it is checked as a server" if trouble else "", lookups)


def _from_provider(typed: Typed, kind: Kind, recognition: Recognition, wanted: TLSMode) -> Located:
    provider = recognition.provider
    host = provider.submission_host_for()
    assert host is not None  # templated hosts are never looked up by mail domain
    port, tls = _endpoint(_provider_endpoints(provider), typed.port, wanted)
    return Located(
        typed,
        kind,
        host,
        port,
        tls,
        Source.PROVIDER,
        f"the submission server of {provider.name}",
        provider,
        _username(typed, provider),
        recognition=recognition,
    )


def _from_domain(
    typed: Typed,
    kind: Kind,
    records: DomainRecords,
    request: RunConfig,
    *,
    extra: tuple[str, ...] = (),
) -> Located:
    from smtpdoctor.discovery.domain import candidates, srv_not_offered

    lookups = records.describe() + extra
    found = candidates(records)
    if not found:
        not_offered = srv_not_offered(records)
        reason = "no SRV record, no smtp. or mail. host"
        if not records.null_mx:
            reason = f"no provider behind its MX, {reason}"
        if not_offered:
            reason += f" ({', '.join(not_offered)} says: not offered)"
        dns_trouble = _dns_trouble(records)
        if dns_trouble:
            reason += f"; {dns_trouble}"
        port, tls = typed.port, TLSMode.AUTO
        if port is None and not records.addresses.found:  # nothing to probe: show why
            port, tls = request.probes[0].port, request.probes[0].tls
        return Located(
            typed,
            kind,
            typed.name,
            port,
            tls,
            Source.TYPED,
            reason,
            username=_username(typed, None),
            found=False,
            lookups=lookups,
            null_mx=records.null_mx,
        )
    best = found[0]
    endpoints = _provider_endpoints(best.provider) if best.source is Source.MX else ()
    if best.port is not None and not endpoints:
        endpoints = ((best.port, best.tls),)
    port, tls = _endpoint(endpoints, typed.port, request.tls)
    return Located(
        typed,
        kind,
        best.host,
        port,
        tls,
        best.source,
        best.reason,
        best.provider,
        _username(typed, best.provider),
        lookups=lookups,
        null_mx=records.null_mx,
        recognition=best.recognition,
    )


def _as_server(typed: Typed, reason: str, lookups: tuple[str, ...]) -> Located:
    return Located(
        typed,
        Kind.SERVER,
        typed.name,
        typed.port,
        TLSMode.AUTO,
        Source.TYPED,
        reason,
        lookups=lookups if reason else (),
    )


def _records(name: str, request: RunConfig, deadline_at: float) -> DomainRecords:
    from smtpdoctor.discovery.domain import DomainRecords
    from smtpdoctor.net.resolver import DNSClient

    return DomainRecords.look_up(name, DNSClient.for_config(request), deadline_at=deadline_at)


def _dns_trouble(records: DomainRecords) -> str:
    """How DNS failed to say what the name is, or "" when it answered (even "no such name")."""
    from smtpdoctor.net.resolver import DNSFailure

    answered = (None, DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER)
    troubled = [
        lookup for lookup in (records.addresses, records.mx) if lookup.failure not in answered
    ]
    if not troubled:
        return ""
    said = "; ".join(lookup.describe() for lookup in troubled)
    return f"DNS could not say what {records.domain} is ({said})"


# -- small helpers ---------------------------------------------------------------------------


def _plainly_a_server(name: str) -> bool:
    """An IP address, or a name without a dot (``localhost``, a container's name): a server,
    without asking DNS."""
    return _is_ip(name) or "." not in name.strip(".")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _provider_with_host(name: str) -> Provider | None:
    """The provider whose submission host is exactly ``name``."""
    wanted = name.rstrip(".").lower()
    return next((p for p in PROVIDERS if p.submission_host_for() == wanted), None)


def _provider_endpoints(provider: Provider | None) -> tuple[tuple[int, TLSMode], ...]:
    if provider is None:
        return ()
    return tuple((endpoint.port, endpoint.tls) for endpoint in provider.endpoints)


def _endpoint(
    endpoints: Sequence[tuple[int, TLSMode]], typed_port: int | None, wanted: TLSMode
) -> tuple[int | None, TLSMode]:
    """The port and mode to use: the typed port (with its mode when the source knows it), else
    the source's first endpoint in the ``--tls`` mode asked for, else ``(None, AUTO)`` — the
    port matrix decides."""
    if typed_port is not None:
        return typed_port, next((t for p, t in endpoints if p == typed_port), TLSMode.AUTO)
    if wanted is not TLSMode.AUTO:
        mode = TLSMode.IMPLICIT if wanted is TLSMode.IMPLICIT else TLSMode.STARTTLS
        endpoints = [(p, t) for p, t in endpoints if t is mode]
    if not endpoints:
        return None, TLSMode.AUTO
    port, tls = endpoints[0]
    return port, tls


def _username(typed: Typed, provider: Provider | None) -> str | None:
    address = typed.address
    if address is None:
        return None
    if provider is None:
        return address
    return provider.username_for(address)


def _summary(located: Located, config: RunConfig) -> str:
    typed, kind = located.typed, located.kind
    if kind is Kind.SERVER and located.source is Source.PROVIDER:
        return f"{typed.name} is {located.reason} → {_where(located)} (source: provider table)"
    if kind is Kind.SERVER:
        return located.reason
    start = (
        f"{typed.text} →"
        if kind is Kind.ADDRESS
        else f"{typed.name} is a mail domain, not a server →"
    )
    if not located.found:
        text = (
            f"{start} no submission server found ({located.reason}); checking {located.host} itself"
        )
    else:
        text = f"{start} {_where(located)}: {located.reason} (source: {located.source.value})"
    if located.null_mx:
        text += f"; {_null_mx_words(typed.name)}"
    login = _login(located, config)
    return f"{text}; {login}" if login else text


def _null_mx_words(domain: str) -> str:
    """What a null MX says, in words: ``example.com publishes a null MX …``."""
    return f"{domain} publishes a null MX (MX 0 .): by RFC 7505 it accepts no mail"


def _where(located: Located) -> str:
    if located.port is None:
        return f"{located.host} (port: see the ports row)"
    mode = {TLSMode.IMPLICIT: " with implicit TLS", TLSMode.STARTTLS: " with STARTTLS"}
    return f"{located.host}:{located.port}{mode.get(located.tls, '')}"


def _login(located: Located, config: RunConfig) -> str:
    if not located.login_allowed:
        return (
            f"no login is tried: {located.host} lies outside {located.typed.name} and was "
            f"found through DNS, which can be forged; to log in there, check {located.host} "
            "directly"
        )
    if located.typed.address is None:
        return ""
    credentials = config.credentials
    if credentials is not None and credentials.username != located.username:
        return f"user name: {credentials.username} (from --user)"
    if located.username is None:
        rule = located.provider.username_in_words if located.provider else "not known"
        return f"user name: {rule} (give it with --user)"
    rule = located.provider.username_in_words if located.provider else "the full address"
    said = f"user name: {located.username} ({rule})"
    if credentials is None:
        said += " — no password given, so no login is tried"
    return said


_NOT_FOUND = Hint(
    "No submission server was found for this domain",
    (
        "Look up the server name in your provider's or mail administrator's setup guide and "
        "give it as HOST or HOST:PORT.",
        "Domain owners can publish it: an _submissions._tcp SRV record (RFC 8314) or an "
        "_submission._tcp one (RFC 6186).",
    ),
)
