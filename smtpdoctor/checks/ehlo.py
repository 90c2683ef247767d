"""``ehlo``: introduce ourselves and learn the server's extensions (HELO as a fallback)."""

from __future__ import annotations

from smtpdoctor.core.check import Check, CheckContext, RegisterCheck, reply_outcome
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.model.quantities import byte_size
from smtpdoctor.model.results import Outcome, Status
from smtpdoctor.protocol import Capabilities, Helo


class Ehlo(Check):
    """Send EHLO and list the extensions; fall back to HELO when EHLO is refused."""

    id = "ehlo"
    title = "EHLO and extensions"
    requires = ("greeting",)
    findings = ("ehlo.helo-only", "ehlo.rejected", "ehlo.closed")

    def run(self, ctx: CheckContext) -> Outcome:
        session = ctx.session
        reply = session.ehlo()
        if reply.is_success:
            caps = session.capabilities
            assert caps is not None  # set by a successful ehlo()
            return reply_outcome(
                Status.PASS,
                f"{caps.domain or 'the server'} offers {describe_extensions(caps)}",
                reply,
                details=capability_details(caps),
            )
        if reply.code == 421:
            return reply_outcome(
                Status.FAIL,
                f"the server closed the session: {reply.summary()}",
                reply,
                finding="ehlo.closed",
            )
        helo = session.command(Helo(session.helo_name))
        if helo.is_success:
            session.capabilities = Capabilities(domain=helo.message.partition(" ")[0], greeting="")
            return reply_outcome(
                Status.WARN,
                f"EHLO was refused ({reply.summary()}) but HELO works: the server speaks only "
                "the 1982 protocol, with no STARTTLS, no AUTH and no size limit announced",
                reply,
                finding="ehlo.helo-only",
            )
        return reply_outcome(
            Status.FAIL,
            f"the server refused EHLO ({reply.summary()}) and HELO ({helo.summary()})",
            helo,
            finding="ehlo.rejected",
            details={"helo_name": session.helo_name},
        )


def describe_extensions(caps: Capabilities) -> str:
    """A short human list such as ``STARTTLS, AUTH PLAIN LOGIN, SIZE 35 MB, PIPELINING``;
    a size in a unit that never rounds it to zero (``SIZE 500 B``)."""
    parts: list[str] = []
    for keyword in caps.extensions:
        if keyword == "SIZE":
            limit = caps.size_limit
            # RFC 1870: SIZE 0 (or no number) announces no fixed limit.
            parts.append(f"SIZE {byte_size(limit)}" if limit else "SIZE (no limit announced)")
        elif keyword == "AUTH":
            parts.append(" ".join(("AUTH", *caps.auth_mechanisms)))
        else:
            parts.append(keyword)
    return ", ".join(parts) if parts else "no extensions"


def capability_details(caps: Capabilities) -> dict[str, str | int | tuple[str, ...] | None]:
    """The capabilities as report details."""
    return {
        "domain": caps.domain,
        "extensions": tuple(
            " ".join((keyword, *params)) for keyword, params in caps.extensions.items()
        ),
        "auth_mechanisms": caps.auth_mechanisms,
        "size_limit": caps.size_limit,
        "masked": caps.masked,
    }


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``ehlo`` check."""
    register(Ehlo)
