"""``greeting``: the server's first words — a 220 banner, or a reason it will not talk."""

from __future__ import annotations

from smtpdoctor.core.check import Check, CheckContext, RegisterCheck, reply_outcome
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import DetailValue, Outcome, Status
from smtpdoctor.model.words import IMPLICIT_TLS_PORTS, TLSMode
from smtpdoctor.net.transport import StepTimeout
from smtpdoctor.protocol import RemoteProtocolError, Reply
from smtpdoctor.protocol.sniff import sniff
from smtpdoctor.settings.config import RunConfig


class Greeting(Check):
    """Wait for the 220 greeting and time it; explain a late one, 421/554 and anything that is
    not SMTP at all."""

    id = "greeting"
    title = "220 greeting"
    findings = (
        "greeting.busy",
        "greeting.refused",
        "greeting.unexpected-code",
        "greeting.silent",
        "greeting.slow",
        "greeting.delayed",
        "greeting.silent-implicit-tls-port",
        "greeting.other-protocol",
        "greeting.not-smtp",
    )

    @classmethod
    def dependencies(cls, config: RunConfig) -> tuple[str, ...]:
        return ("tls",) if config.tls_mode is TLSMode.IMPLICIT else ("tcp",)

    def run(self, ctx: CheckContext) -> Outcome:
        session = ctx.session
        start = session.elapsed()
        try:
            reply = session.read_greeting()
        except StepTimeout as exc:
            if exc.received:
                return Outcome(
                    Status.FAIL,
                    f"the server began its greeting but did not finish it in time: only "
                    f"{plural(exc.received, 'byte')} arrived (a tarpit, or a server too busy "
                    "to talk)",
                    finding="greeting.slow",
                    details={"received_bytes": exc.received},
                )
            return _silent(ctx.config, cut_by_deadline=session.deadline_passed)
        except RemoteProtocolError as exc:
            return _not_smtp(exc)
        seconds = session.elapsed() - start
        details: dict[str, DetailValue] = {"banner": reply.text, "seconds": round(seconds, 6)}
        if reply.code == 220:
            details["warn_seconds"] = ctx.config.slow_greeting
            return _greeted(reply, seconds, ctx.config.slow_greeting, details)
        if reply.code == 421:
            return reply_outcome(
                Status.FAIL,
                f"the server is not accepting connections right now: {reply.summary()}",
                reply,
                finding="greeting.busy",
                details=details,
            )
        if reply.code == 554 or reply.is_permanent:
            return reply_outcome(
                Status.FAIL,
                f"the server refuses to talk to this client: {reply.summary()}",
                reply,
                finding="greeting.refused",
                details=details,
            )
        if reply.is_transient:
            return reply_outcome(
                Status.FAIL,
                f"the server refused the session for now: {reply.summary()}",
                reply,
                finding="greeting.busy",
                details=details,
            )
        return reply_outcome(
            Status.WARN,
            f"greeting with code {reply.code} instead of 220: {reply.summary()}",
            reply,
            finding="greeting.unexpected-code",
            details=details,
        )


def _greeted(
    reply: Reply, seconds: float, threshold: float, details: dict[str, DetailValue]
) -> Outcome:
    """A 220: PASS, or a WARN when it came later than ``threshold`` seconds (a tarpit)."""
    if seconds <= threshold:
        return reply_outcome(
            Status.PASS,
            f"{reply.summary()} (after {seconds * 1000:.0f} ms)",
            reply,
            details=details,
        )
    return reply_outcome(
        Status.WARN,
        f"{reply.summary()}, but only after {seconds:.1f} s (more than {threshold:g} s): the "
        "server delays its greeting, and clients that give up sooner cannot send through it",
        reply,
        finding="greeting.delayed",
        details=details,
    )


def _silent(config: RunConfig, *, cut_by_deadline: bool) -> Outcome:
    waited = f"before the run's deadline ({config.deadline:g} s)"
    if not cut_by_deadline:  # when the deadline cut the wait short, --timeout did not pass
        waited = f"for {config.timeout:g} s"
    summary = f"connected, but the server said nothing {waited}"
    if config.port in IMPLICIT_TLS_PORTS and config.tls_mode is not TLSMode.IMPLICIT:
        return Outcome(
            Status.FAIL,
            summary + f"; port {config.port} usually expects TLS from the first byte",
            finding="greeting.silent-implicit-tls-port",
        )
    return Outcome(Status.FAIL, summary, finding="greeting.silent")


def _not_smtp(exc: RemoteProtocolError) -> Outcome:
    what = sniff(exc.data)
    if what is None:
        return Outcome(
            Status.FAIL,
            f"this does not look like an SMTP server: {exc}",
            finding="greeting.not-smtp",
        )
    return Outcome(
        Status.FAIL,
        f"this port is answered by {what}, not by a mail server",
        finding="greeting.other-protocol",
        details={"other_protocol": what},
    )


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``greeting`` check."""
    register(Greeting)
