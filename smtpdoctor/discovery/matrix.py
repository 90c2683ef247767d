"""The port and TLS-mode matrix: which mail ports answer, how, and which one to check.

When no port was given, smtpdoctor probes every endpoint of the run
(:class:`~smtpdoctor.model.words.Endpoint`: 587 STARTTLS, 465 implicit TLS, 25 STARTTLS and
2525 STARTTLS by default) *at once*, one thread and one short connection per port.  Each probe
connects, does the TLS handshake (implicit TLS) or not (STARTTLS), reads the greeting, sends
EHLO, notes whether STARTTLS is offered, and says QUIT.  The certificate is not verified here:
no secret crosses a probe, and the full check that follows verifies it on the port chosen.

All probes share one deadline, ``min(timeout, deadline)`` seconds after the start, so the matrix
costs about one probe's time, never the sum: a port that drops packets costs no more than the
timeout, however many such ports there are.

An implicit-TLS probe that gets plaintext back (the port speaks STARTTLS) is followed by a
STARTTLS probe on the same port, within the same deadline.

The recommendation follows RFC 8314: implicit TLS (465) first, then STARTTLS on a submission
port (587, then the vendors' 2525), port 25 (meant for relaying between servers) last.
"""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass, replace

from smtpdoctor.discovery.environment import blocked_port_hint, policy_groups
from smtpdoctor.model.environment import Environment, PortPolicy, runs_on_sentence
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import CheckResult, Hint, Outcome, Status
from smtpdoctor.model.words import Endpoint, TLSMode
from smtpdoctor.net.session import Session
from smtpdoctor.net.transport import (
    ConnectError,
    ResolutionError,
    StepTimeout,
    TLSError,
    TransportError,
    describe_alert,
)
from smtpdoctor.protocol import RemoteProtocolError
from smtpdoctor.protocol.sniff import sniff
from smtpdoctor.settings.config import RunConfig

#: How much longer than the matrix deadline to wait for a probe thread to hand in its result.
#: Every network step of a probe ends by the deadline, so this only covers thread scheduling.
JOIN_GRACE = 1.0

#: Lower is better: RFC 8314 submission ports, then vendor fallbacks, then the relay port.
PORT_PREFERENCE = {465: 0, 587: 0, 2465: 1, 2587: 1, 2525: 1, 25: 3}
_OTHER_PORT = 2

#: Every finding the ``ports`` row can carry (it is no check, so they are declared here):
#: a port with TLS was chosen; only a port without TLS, or only a refusing server, answers;
#: nothing answers SMTP; the name did not resolve, or this machine has no route to it, or the
#: proxy (``--proxy``) failed, so no port was reached (the ``tcp`` row, which tries again, is
#: the one to fail for that).
PORTS_FINDINGS: tuple[str, ...] = (
    "ports.recommended",
    "ports.no-tls",
    "ports.refused",
    "ports.none-answered",
    "ports.not-resolved",
    "ports.no-network",
    "ports.proxy-failed",
)


class Verdict(enum.StrEnum):
    """What one probe found."""

    WORKS = "works"
    """SMTP with TLS: the handshake (implicit) or STARTTLS offered (STARTTLS)."""
    NO_STARTTLS = "no-starttls"
    """SMTP answers, but STARTTLS is not offered: only cleartext."""
    PLAINTEXT = "plaintext"
    """An implicit-TLS probe was answered in plaintext: the port does not speak implicit TLS."""
    REFUSED = "refused"
    """Nothing listens on the port."""
    TIMEOUT = "timeout"
    """The connection was not answered: a firewall drops it."""
    UNREACHABLE = "unreachable"
    """No route to the host."""
    NO_NETWORK = "no-network"
    """This machine has no route to the host's network: it never left the machine."""
    SILENT = "silent"
    """Connected, but no greeting (or TLS handshake) came before the deadline."""
    REJECTED = "rejected"
    """An SMTP server that will not serve us: a 4xx/5xx greeting, or EHLO refused."""
    NOT_SMTP = "not-smtp"
    """Something else answers on the port."""
    TLS_FAILED = "tls-failed"
    """The implicit-TLS handshake failed for another reason."""
    BROKEN = "broken"
    """The conversation broke off (closed, reset, malformed reply)."""
    DNS = "dns"
    """The host name did not resolve."""
    PROXY_REFUSED = "proxy-refused"
    """The proxy (``--proxy``) refused to connect to this port: its rules allow others."""
    PROXY_FAILED = "proxy-failed"
    """The proxy itself failed (unreachable, login refused, broken): no port was reached."""
    ERROR = "error"
    """The probe itself crashed (a bug in smtpdoctor)."""


#: Verdicts worth running the full check on, best first.
_USABLE = {Verdict.WORKS: 0, Verdict.NO_STARTTLS: 1, Verdict.REJECTED: 2}

_SHORT = {
    Verdict.WORKS: "works",
    Verdict.NO_STARTTLS: "answers, but no STARTTLS",
    Verdict.PLAINTEXT: "answers in plaintext, not TLS",
    Verdict.REFUSED: "refused",
    Verdict.TIMEOUT: "timed out",
    Verdict.UNREACHABLE: "unreachable",
    Verdict.NO_NETWORK: "no route from this machine",
    Verdict.SILENT: "silent",
    Verdict.REJECTED: "answers, but refuses us",
    Verdict.NOT_SMTP: "not SMTP",
    Verdict.TLS_FAILED: "TLS failed",
    Verdict.BROKEN: "broke off",
    Verdict.DNS: "DNS failed",
    Verdict.PROXY_REFUSED: "refused by the proxy",
    Verdict.PROXY_FAILED: "the proxy failed",
    Verdict.ERROR: "probe crashed",
}


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One port and mode, and what happened there."""

    probe: Endpoint
    verdict: Verdict
    detail: str
    """What was seen, in words."""
    seconds: float
    follow_up: bool = False
    """Tried because the planned probe on this port showed the other TLS mode."""
    address: str | None = None
    """The server address the probe connected to; None when it did not connect, or when a
    proxy resolved the name (``socks5h``)."""

    @property
    def usable(self) -> bool:
        """Whether the full check can learn something by connecting here."""
        return self.verdict in _USABLE

    def describe(self) -> str:
        """``465/implicit: works — TLSv1.3; 220 mail.example.com ESMTP``."""
        return f"{self.probe}: {self.verdict.value} — {self.detail}"


@dataclass(frozen=True, slots=True)
class PortMatrix:
    """Every probe of one host, and how long the whole matrix took."""

    host: str
    results: tuple[ProbeResult, ...]
    seconds: float
    proxy: str | None = None
    """The proxy every probe went through (its URL without the password); None: direct."""
    environment: Environment | None = None
    """The cloud this machine runs on, when known and the probes went out directly: a port
    it blocks that timed out is named so."""

    @property
    def recommended(self) -> ProbeResult | None:
        """The best usable result (see :func:`recommend`), or ``None`` if nothing answered."""
        return recommend(self.results)

    def choice(self) -> Endpoint:
        """Where the full check goes: the recommendation, else the first probe (to show why
        it fails)."""
        best = self.recommended
        return best.probe if best is not None else self.results[0].probe

    def row(self) -> CheckResult:
        """The report row ``ports``."""
        outcome = self._outcome()
        return CheckResult("ports", "Ports and TLS modes", outcome, outcome.hints, self.seconds)

    def _outcome(self) -> Outcome:
        seen = "; ".join(f"{_label(r.probe)}: {_SHORT[r.verdict]}" for r in self.results)
        probes = len({r.probe.port for r in self.results})
        timing = f"{plural(probes, 'port')} probed at once in {self.seconds:.2f} s"
        best = self.recommended
        details = {
            "host": self.host,
            "probes": tuple(r.describe() for r in self.results),
            "working": tuple(
                dict.fromkeys(str(r.probe) for r in self.results if r.verdict is Verdict.WORKS)
            ),
            "recommended": str(best.probe) if best is not None else None,
            "seconds": round(self.seconds, 6),
            "path": "direct" if self.proxy is None else "proxy",
            "addresses": tuple(
                f"{r.probe}: {r.address} (IPv{6 if ':' in r.address else 4})"
                for r in self.results
                if r.address is not None
            ),
        }
        if self.proxy is not None:
            details["proxy"] = self.proxy
        if self.environment is not None:
            details["environment"] = self.environment.provider_id
        seen += self._blocked_here()
        if all(r.verdict is Verdict.DNS for r in self.results):
            return Outcome(
                Status.SKIP,
                f"not probed: {self.host} does not resolve (the tcp row says why)",
                details=details,
                finding="ports.not-resolved",
            )
        if all(r.verdict is Verdict.PROXY_FAILED for r in self.results):
            return Outcome(
                Status.SKIP,
                f"not probed: the proxy {self.proxy} failed (the tcp row says why)",
                details=details,
                finding="ports.proxy-failed",
            )
        if all(r.verdict is Verdict.NO_NETWORK for r in self.results):
            return Outcome(
                Status.SKIP,
                f"not probed: no connection to {self.host} left this machine "
                "(the tcp row says why)",
                details=details,
                finding="ports.no-network",
            )
        if best is None:
            first = self.results[0].probe
            return Outcome(
                Status.FAIL,
                f"{seen}. Nothing answers SMTP on {self.host}; checking {_label(first)} to "
                f"show why ({timing})",
                details=details,
                finding="ports.none-answered",
                hints=(_NOTHING_ANSWERS, *self._environment_hints(), *self._proxy_hints()),
            )
        summary = f"{seen}. Using {_label(best.probe)}: {self._why(best)} ({timing})"
        if best.verdict is Verdict.WORKS:
            return Outcome(Status.INFO, summary, details=details, finding="ports.recommended")
        return Outcome(
            Status.WARN,
            summary,
            details=details,
            finding="ports.no-tls" if best.verdict is Verdict.NO_STARTTLS else "ports.refused",
            hints=(_NO_GOOD_PORT, *self._environment_hints(), *self._proxy_hints()),
        )

    def _blocked_policies(self) -> tuple[PortPolicy, ...]:
        """The policies of this machine's cloud for the ports that timed out."""
        if self.environment is None:
            return ()
        timed_out = dict.fromkeys(
            r.probe.port for r in self.results if r.verdict is Verdict.TIMEOUT
        )
        found = (self.environment.policy_for(port) for port in timed_out)
        return tuple(policy for policy in found if policy is not None)

    def _blocked_here(self) -> str:
        """``. This machine runs on Google Compute Engine, which blocks outgoing port 25``
        when ports that timed out are blocked by this machine's cloud; else nothing."""
        policies = self._blocked_policies()
        if self.environment is None or not policies:
            return ""
        said = [runs_on_sentence(self.environment.name, g) for g in policy_groups(policies)]
        return ". T" + "; ".join(said)[1:]

    def _environment_hints(self) -> tuple[Hint, ...]:
        """What to do about the ports this machine's cloud blocks, when they timed out."""
        policies = self._blocked_policies()
        if self.environment is None or not policies:
            return ()
        return (blocked_port_hint(self.environment.name, policies),)

    def _proxy_hints(self) -> tuple[Hint, ...]:
        """The proxy's port rules, when it refused a port."""
        refused = any(r.verdict is Verdict.PROXY_REFUSED for r in self.results)
        return (_PROXY_REFUSES_PORTS,) if refused else ()

    def _why(self, best: ProbeResult) -> str:
        if best.verdict is Verdict.NO_STARTTLS:
            return "the only port that answers SMTP, but it offers no TLS"
        if best.verdict is Verdict.REJECTED:
            return "the only port with an SMTP server, but it refuses us"
        if best.probe.tls is TLSMode.IMPLICIT:
            return "RFC 8314 prefers implicit TLS"
        implicit_tried = any(r.probe.tls is TLSMode.IMPLICIT for r in self.results)
        if implicit_tried:
            return "implicit TLS, which RFC 8314 prefers, does not work here"
        return "STARTTLS on the best port that works"


def probes_for(config: RunConfig) -> tuple[Endpoint, ...]:
    """The probes to run: all of ``config.probes``, or only those of the mode ``--tls`` asked
    for (``none`` counts as STARTTLS: those ports start in cleartext)."""
    if config.tls is TLSMode.AUTO:
        return config.probes
    wanted = TLSMode.IMPLICIT if config.tls is TLSMode.IMPLICIT else TLSMode.STARTTLS
    return tuple(p for p in config.probes if p.tls is wanted) or config.probes


def run_matrix(config: RunConfig) -> PortMatrix:
    """Probe ``config.host`` on every port of :func:`probes_for` at once and collect the
    results, in probe order; returns by ``min(timeout, deadline)`` seconds from now."""
    start = time.monotonic()
    deadline_at = start + min(config.timeout, config.deadline)
    probes = probes_for(config)
    found: dict[int, list[ProbeResult]] = {}
    lock = threading.Lock()

    def work(index: int, probe: Endpoint) -> None:
        results = probe_port(config, probe, deadline_at=deadline_at, planned=probes)
        with lock:
            found[index] = results

    threads = [
        threading.Thread(
            target=work, args=(index, probe), name=f"smtpdoctor-probe-{probe.port}", daemon=True
        )
        for index, probe in enumerate(probes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline_at + JOIN_GRACE - time.monotonic()))
    results: list[ProbeResult] = []
    with lock:
        for index, probe in enumerate(probes):
            results.extend(
                found.get(index)
                or [ProbeResult(probe, Verdict.SILENT, "the probe did not finish in time", 0.0)]
            )
    proxy = config.proxy.display if config.proxy is not None else None
    environment = config.environment if proxy is None else None
    return PortMatrix(config.host, tuple(results), time.monotonic() - start, proxy, environment)


def probe_port(
    config: RunConfig, probe: Endpoint, *, deadline_at: float, planned: tuple[Endpoint, ...] = ()
) -> list[ProbeResult]:
    """Probe one port; an implicit-TLS probe answered in plaintext is followed by a STARTTLS
    probe on the same port, unless that one is ``planned`` anyway.  Never raises, never waits
    past ``deadline_at``."""
    first = _probe_once(config, probe, deadline_at=deadline_at)
    other = Endpoint(probe.port, TLSMode.STARTTLS)
    if first.verdict is not Verdict.PLAINTEXT or other in planned:
        return [first]
    again = _probe_once(config, other, deadline_at=deadline_at)
    return [first, replace(again, follow_up=True)]


def recommend(results: tuple[ProbeResult, ...] | list[ProbeResult]) -> ProbeResult | None:
    """The result to run the full check on: a working one before one without TLS before one
    that refuses us; implicit TLS before STARTTLS (RFC 8314); the planned mode of a port before
    a follow-up; then :data:`PORT_PREFERENCE`; then probe order."""
    usable = [(index, r) for index, r in enumerate(results) if r.usable]
    if not usable:
        return None
    _, best = min(
        usable,
        key=lambda item: (
            _USABLE[item[1].verdict],
            item[1].follow_up,
            item[1].probe.tls is not TLSMode.IMPLICIT,
            PORT_PREFERENCE.get(item[1].probe.port, _OTHER_PORT),
            item[0],
        ),
    )
    return best


def _probe_once(config: RunConfig, probe: Endpoint, *, deadline_at: float) -> ProbeResult:
    start = time.monotonic()
    budget = deadline_at - start
    if budget <= 0:
        return ProbeResult(probe, Verdict.SILENT, "not tried: no time left", 0.0)
    session = Session(
        replace(
            config,
            port=probe.port,
            tls=probe.tls,
            timeout=min(config.timeout, budget),
            deadline=budget,
        )
    )
    try:
        verdict, detail = _converse(session, probe, budget)
    except Exception as exc:  # noqa: BLE001 - a probe reports, it never raises
        verdict, detail = Verdict.ERROR, f"the probe crashed ({type(exc).__name__}: {exc})"
    finally:
        address = session.peer_address
        session.close()
    return ProbeResult(probe, verdict, detail, time.monotonic() - start, address=address)


def _converse(session: Session, probe: Endpoint, budget: float) -> tuple[Verdict, str]:
    """Connect, (TLS,) greeting, EHLO; what the port is, in words."""
    try:
        session.connect()
    except ResolutionError as exc:
        return Verdict.DNS, f"DNS: {exc}"
    except ConnectError as exc:
        return _connect_failure(exc, probe, budget, session.config)
    tls_version = ""
    try:
        if probe.tls is TLSMode.IMPLICIT:
            try:
                tls_version = session.start_tls(verify=False).version
            except TLSError as exc:
                if exc.reason == "WRONG_VERSION_NUMBER":
                    return (
                        Verdict.PLAINTEXT,
                        "the server answered the TLS handshake in plaintext "
                        "(it speaks STARTTLS or no TLS here)",
                    )
                if exc.alert is not None:
                    return (
                        Verdict.TLS_FAILED,
                        f"the server refused the handshake: {describe_alert(exc.alert)}",
                    )
                return Verdict.TLS_FAILED, f"the TLS handshake failed: {exc.reason or exc}"
            except StepTimeout:
                return Verdict.SILENT, f"connected, but no TLS handshake within {budget:.3g} s"
        try:
            greeting = session.read_greeting()
        except StepTimeout:
            return Verdict.SILENT, _silence(probe, budget)
        except RemoteProtocolError as exc:
            return Verdict.NOT_SMTP, _other_protocol(exc)
        if greeting.code != 220:
            return Verdict.REJECTED, f"greeting {greeting.summary()}"
        ehlo = session.ehlo()
        if not ehlo.is_success:
            return Verdict.REJECTED, f"EHLO refused: {ehlo.summary()}"
    except (TransportError, RemoteProtocolError) as exc:
        return Verdict.BROKEN, f"the conversation broke off: {exc}"
    return _capabilities(session, probe, tls_version, greeting.summary())


def _capabilities(
    session: Session, probe: Endpoint, tls_version: str, greeting: str
) -> tuple[Verdict, str]:
    caps = session.capabilities
    assert caps is not None  # EHLO succeeded
    auth = f"; AUTH {' '.join(caps.auth_mechanisms)}" if caps.auth_mechanisms else ""
    if probe.tls is TLSMode.IMPLICIT:
        return Verdict.WORKS, f"{tls_version}; {greeting}{auth}"
    if caps.supports("STARTTLS"):
        return Verdict.WORKS, f"{greeting}; STARTTLS offered{auth}"
    if caps.masked:
        return (
            Verdict.NO_STARTTLS,
            f"{greeting}; STARTTLS hidden ({', '.join(caps.masked)}): a firewall strips it",
        )
    return Verdict.NO_STARTTLS, f"{greeting}; STARTTLS not offered{auth}"


def _connect_failure(
    exc: ConnectError, probe: Endpoint, budget: float, config: RunConfig
) -> tuple[Verdict, str]:
    if exc.kind == "refused":
        return Verdict.REFUSED, "connection refused: nothing listens on this port"
    if exc.kind == "timeout":
        detail = f"no answer to the connection within {budget:.3g} s: a firewall drops it"
        environment = config.environment if config.proxy is None else None
        blocked = environment.blocking(probe.port) if environment is not None else None
        if blocked is not None:
            detail = f"no answer to the connection within {budget:.3g} s: {blocked}"
        elif probe.port == 25:
            detail += (
                " (outgoing port 25 is blocked by most clouds — AWS, Google Cloud, Azure, "
                "DigitalOcean — and many ISPs)"
            )
        return Verdict.TIMEOUT, detail
    if exc.kind == "unreachable":
        return Verdict.UNREACHABLE, f"no route to the host ({exc})"
    if exc.kind == "no-network":
        return Verdict.NO_NETWORK, f"this machine has no route to the host ({exc})"
    if exc.kind == "source-address-unavailable":  # as for no-network: never left this machine
        return Verdict.NO_NETWORK, exc.attempts[0].detail
    if exc.kind == "proxy-refused":
        return Verdict.PROXY_REFUSED, str(exc)
    if exc.kind == "proxy-destination-unreachable":
        return Verdict.UNREACHABLE, str(exc)
    if exc.kind == "proxy-timeout":
        return Verdict.TIMEOUT, str(exc)
    if exc.kind.startswith("proxy-"):  # the proxy itself: unreachable, login, broken
        return Verdict.PROXY_FAILED, str(exc)
    return Verdict.BROKEN, str(exc)


def _silence(probe: Endpoint, budget: float) -> str:
    detail = f"connected, but no greeting within {budget:.3g} s"
    if probe.tls is TLSMode.STARTTLS:
        detail += " (a server expecting TLS from the first byte, a tarpit, or a proxy)"
    return detail


def _other_protocol(exc: RemoteProtocolError) -> str:
    what = sniff(exc.data)
    return f"{what} answers here" if what else f"not an SMTP greeting: {exc}"


def _label(probe: Endpoint) -> str:
    mode = "implicit TLS" if probe.tls is TLSMode.IMPLICIT else "STARTTLS"
    return f"{probe.port} {mode}"


_NOTHING_ANSWERS = Hint(
    "No mail port answers",
    (
        "Check the host name: is this the server's submission host?",
        "Ports that time out are dropped by a firewall: yours, your network's or your cloud's "
        "(most clouds block outgoing port 25; use 587 or 465).",
        "Ports that refuse have nothing listening: the service is down or on another port "
        "(give it as HOST:PORT).",
    ),
)
_PROXY_REFUSES_PORTS = Hint(
    "The proxy refuses some mail ports",
    (
        "Corporate proxies often allow only web ports (443, 80): ask for the submission port "
        "(587, or 465) to be allowed to the mail server, or use a port the proxy allows, if "
        "the provider offers submission there.",
    ),
)
_NO_GOOD_PORT = Hint(
    "No port offers a usable encrypted connection",
    (
        "Submission should offer implicit TLS on 465 or STARTTLS on 587 (RFC 8314).",
        "If you run the server, enable TLS for submission; otherwise ask its operator which "
        "port and TLS mode to use.",
    ),
)
