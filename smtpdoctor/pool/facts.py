"""What one member of a pool showed, read from its report's rows — never from rendered text.

Each fact comes from the ``details`` a builtin check records: ``tcp`` (reached or not),
``greeting`` (the banner), ``ehlo`` (the extensions before TLS), ``tls`` (the version),
``certificate`` (fingerprint and expiry) and ``auth`` (the mechanisms offered last, after
TLS when there was TLS).  A fact the run did not get to is None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from smtpdoctor.model.results import CheckResult, DetailValue, Report, Status
from smtpdoctor.model.words import ExitCode, TLSMode

#: Statuses whose row holds what the check saw (a SKIP row saw nothing).
_SEEN = frozenset({Status.PASS, Status.INFO, Status.WARN, Status.FAIL})
#: Statuses of a ``tcp`` row that connected.
_CONNECTED = frozenset({Status.PASS, Status.WARN})
#: How an unreachable member is described, by its ``tcp`` row's finding.
_UNREACHED = {
    "tcp.refused": "refused",
    "tcp.timeout": "timed out",
    "tcp.timeout-port-25": "timed out",
    "tcp.unreachable": "no route",
    "tcp.no-network": "no route here",
    "tcp.source-address-unavailable": "source address unusable",
    "tcp.no-address-in-family": "wrong IP version",
}


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """The facts pool members are compared on."""

    reachable: bool
    """Whether the TCP connection was made."""
    reach: str
    """``yes``, or in a word or two why not (``refused``, ``timed out``, ``no route``)."""
    greeting_name: str | None
    """The host name the ``220`` greeting announces (its first word)."""
    starttls: bool | None
    """Whether EHLO offered STARTTLS; None when EHLO was not reached, or without STARTTLS
    mode (implicit TLS, ``--tls none``)."""
    tls_version: str | None
    """The TLS version negotiated (``TLSv1.3``)."""
    fingerprint: str | None
    """The SHA-256 fingerprint of the server certificate (upper-case hex with colons)."""
    not_after: str | None
    """The last day the certificate is valid, ``YYYY-MM-DD`` (UTC)."""
    days_left: int | None
    """Whole days until the certificate expires (negative once expired)."""
    auth: tuple[str, ...] | None
    """The AUTH mechanisms offered (after TLS, when TLS was started); ``()`` for none."""
    verdict: ExitCode
    """The member's own exit code: what its checks found, worst first."""
    problems: tuple[str, ...]
    """The rows of the member's report a person must look at (WARN, FAIL, ERROR), by id."""


def facts_of(report: Report) -> MemberFacts:
    """The facts of one member's report."""
    tcp = report.result("tcp")
    reachable = tcp is not None and tcp.status in _CONNECTED
    certificate = _details(report.result("certificate"))
    not_after = certificate.get("not_after")
    days_left = certificate.get("days_left")
    return MemberFacts(
        reachable=reachable,
        reach="yes" if reachable else _why_unreached(tcp),
        greeting_name=_greeting_name(report.result("greeting")),
        starttls=_starttls(report),
        tls_version=_text(_details(report.result("tls"), Status.PASS, Status.WARN), "version"),
        fingerprint=_text(certificate, "fingerprint_sha256"),
        not_after=not_after[:10] if isinstance(not_after, str) else None,
        days_left=days_left if isinstance(days_left, int) else None,
        auth=_mechanisms(report.result("auth")),
        verdict=report.exit_code,
        problems=tuple(row.check_id for row in report.results if row.status.is_problem),
    )


def _why_unreached(tcp: CheckResult | None) -> str:
    if tcp is None:
        return "not tried"
    finding = tcp.outcome.finding or ""
    if finding.startswith("tcp.dns-"):
        return "DNS failed"
    if finding.startswith("tcp.blocked-by-"):  # a time-out this machine's cloud explains
        return "timed out (blocked here)"
    if finding.startswith("tcp.proxy-"):
        return "proxy: " + finding.removeprefix("tcp.proxy-").replace("-", " ")
    return _UNREACHED.get(finding, "failed")


def _greeting_name(greeting: CheckResult | None) -> str | None:
    """The first word of a ``220`` greeting: the name the server announces (RFC 5321
    §4.3.1)."""
    if greeting is None or greeting.outcome.reply_code != 220:
        return None
    banner = greeting.outcome.details.get("banner")
    words = banner.split() if isinstance(banner, str) else []
    return words[0] if words else None


def _starttls(report: Report) -> bool | None:
    if report.target.tls_mode != TLSMode.STARTTLS:
        return None
    ehlo = report.result("ehlo")
    if ehlo is None or ehlo.status not in _SEEN:
        return None
    if ehlo.outcome.finding == "ehlo.helo-only":  # HELO: no extensions, so no STARTTLS
        return False
    extensions = ehlo.outcome.details.get("extensions")
    if not isinstance(extensions, tuple):
        return None
    return any(extension.split(" ")[0].upper() == "STARTTLS" for extension in extensions)


def _mechanisms(auth: CheckResult | None) -> tuple[str, ...] | None:
    mechanisms = _details(auth).get("mechanisms")
    return mechanisms if isinstance(mechanisms, tuple) else None


def _details(result: CheckResult | None, *statuses: Status) -> Mapping[str, DetailValue]:
    """The details of a row that saw something (with one of ``statuses``, if given)."""
    if result is None or result.status not in (statuses or _SEEN):
        return {}
    return result.outcome.details


def _text(details: Mapping[str, DetailValue], key: str) -> str | None:
    value = details.get(key)
    return value if isinstance(value, str) else None
