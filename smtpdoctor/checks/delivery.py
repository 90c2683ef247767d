"""``delivery``: prove that the test message arrived — find it in the mailbox over IMAP.

Opt-in (``--verify-imap``); runs after ``send`` accepted the message.  Reports delivered or
not, the end-to-end latency, the folder (INBOX, or Junk/Spam: a WARN), and what the receiving
side's ``Authentication-Results`` header says about SPF, DKIM and DMARC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpdoctor.checks.send import SENT
from smtpdoctor.core.check import Check, CheckContext, RegisterCheck, StashKey
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.model.results import DetailValue, Hint, Outcome, Status
from smtpdoctor.settings.config import RunConfig

if TYPE_CHECKING:  # imaplib and the email parser load only when a run verifies delivery
    from smtpdoctor.delivery.imap import Found
    from smtpdoctor.settings.sending import IMAPSettings

#: Set by ``delivery`` when the message was found: where, and the message itself.
DELIVERED: StashKey[Found] = StashKey("delivered-message")


class Delivery(Check):
    """Log in to the recipient's mailbox over IMAP and wait for the test message."""

    id = "delivery"
    title = "Delivery (IMAP)"
    requires = ("send",)
    findings = (
        "delivery.junk",
        "delivery.not-found",
        # the DeliveryError findings of smtpdoctor.delivery.imap, not imported until a run
        # verifies delivery
        "delivery.imap-login-refused",
        "delivery.imap-host-unknown",
        "delivery.imap-unreachable",
        "delivery.imap-timeout",
        "delivery.imap-tls-failed",
        "delivery.imap-starttls-not-offered",
        "delivery.imap-error",
    )

    @classmethod
    def applies(cls, config: RunConfig) -> bool:
        return config.send is not None and config.verify is not None

    def run(self, ctx: CheckContext) -> Outcome:
        from smtpdoctor.delivery.imap import DeliveryError, TLSOptions, find_message
        from smtpdoctor.net.session import resolver_for
        from smtpdoctor.net.transport import resolve

        settings = ctx.config.verify
        assert settings is not None  # applies() said so
        sent = ctx.stash[SENT]  # "send" passed, so it is there
        details: dict[str, DetailValue] = {
            "imap_host": settings.host,
            "imap_port": settings.port,
            "imap_security": settings.security.value,
            "imap_user": settings.credentials.username,
            "token": sent.token,
            "waited_up_to_seconds": settings.wait,
            "path": "direct" if ctx.config.proxy is None else "proxy",
        }
        config = ctx.config
        if config.proxy is not None:
            details["proxy"] = config.proxy.display
        tls = TLSOptions(
            ca_file=str(config.ca_file) if config.ca_file else None,
            ca_data=config.ca_data,
            insecure=config.insecure,
        )
        ctx.session.note(f"IMAP: looking for {sent.token} at {settings.host} port {settings.port}")
        try:
            found = find_message(
                settings,
                token=sent.token,
                accepted_at=sent.accepted_at,
                tls=tls,
                step_timeout=config.timeout,
                resolver=resolver_for(config) or resolve,
                source_address=config.source_address,
                proxy=config.proxy,
                on_connected=lambda address, family: details.update(
                    imap_address=address, imap_family=family
                ),
            )
        except DeliveryError as exc:
            return Outcome(
                Status.FAIL,
                f"could not look for the message: {exc}",
                details=details,
                finding=exc.finding,
                hints=_hints_for(exc.finding, settings),
            )
        if found is None:
            return Outcome(
                Status.FAIL,
                f"not delivered: no message with token {sent.token} in INBOX or Junk/Spam of "
                f"{settings.credentials.username} within {settings.wait:g} s",
                details=details,
                finding="delivery.not-found",
                hints=(_NOT_FOUND,),
            )
        ctx.session.note(f"IMAP: found in {found.folder} after {found.latency:.1f} s")
        ctx.stash[DELIVERED] = found
        return _found(found, details)


def _found(found: Found, details: dict[str, DetailValue]) -> Outcome:
    from smtpdoctor.delivery.imap import summarize_authentication_results

    verdict = summarize_authentication_results(found.authentication_results)
    details.update(
        folder=found.folder,
        junk=found.junk,
        latency_seconds=round(found.latency, 3),
        searches=found.searches,
        authentication_results=found.authentication_results,
    )
    where = f"{found.folder} (Junk/Spam)" if found.junk else found.folder
    summary = f"delivered to {where} within {found.latency:.1f} s; {verdict}"
    if found.junk:
        return Outcome(
            Status.WARN, summary, details=details, finding="delivery.junk", hints=(_JUNK,)
        )
    return Outcome(Status.PASS, summary, details=details)


_NOT_FOUND = Hint(
    "The server accepted the message, but it did not arrive (yet)",
    (
        "Give it more time with --verify-timeout: some providers hold new senders for minutes.",
        "Check that --send-to is the mailbox --imap-user logs in to.",
        "Look for a bounce in the sender's mailbox, and in the server's mail log for the queue "
        "id shown in the send row.",
        "A message dropped silently after acceptance is often filtered as spam outright: check "
        "the sender domain's SPF, DKIM and DMARC.",
    ),
)
_JUNK = Hint(
    "The message arrived, but in Junk/Spam",
    (
        "The Authentication-Results in the details say how the receiving side judged the "
        "sender: fix any spf, dkim or dmarc that is not 'pass'.",
        "Send from an address of a domain that publishes SPF and DKIM, through that domain's "
        "own mail server.",
    ),
)


def _hints_for(finding: str, settings: IMAPSettings) -> tuple[Hint, ...]:
    where = f"{settings.host} port {settings.port}"
    hints = {
        "delivery.imap-login-refused": Hint(
            "The IMAP server refused the login",
            (
                f"Check --imap-user ({settings.credentials.username}) and its password "
                "(--imap-password-file or $SMTPDOCTOR_IMAP_PASSWORD; without them the SMTP "
                "password is used).",
                "Providers that want an app password for SMTP want one for IMAP too; some "
                "(iCloud) use only the part before the @ as the IMAP user name.",
            ),
        ),
        "delivery.imap-host-unknown": Hint(
            "The IMAP host name does not exist",
            (
                f"Give the provider's IMAP host with --imap-host (it was {settings.host}); "
                "it is not always the SMTP host with smtp. replaced by imap.",
            ),
        ),
        "delivery.imap-unreachable": Hint(
            "No IMAP server answers there",
            (
                f"Check --imap-host ({where}): IMAPS is port 993, IMAP with STARTTLS port 143.",
                "A firewall may block the port, or the server offers no IMAP at all.",
            ),
        ),
        "delivery.imap-timeout": Hint(
            "The IMAP server did not answer in time",
            (
                "A firewall that drops packets looks like this; so does the wrong port for "
                "IMAPS (993) or STARTTLS (143).",
            ),
        ),
        "delivery.imap-tls-failed": Hint(
            "TLS with the IMAP server failed",
            (
                "If the certificate was refused: --ca-file for a private CA (it applies to "
                "IMAP too), or --insecure to skip verification for both.",
                "Port 993 speaks TLS from the first byte, port 143 STARTTLS: check the port.",
            ),
        ),
        "delivery.imap-starttls-not-offered": Hint(
            "The IMAP server offers no encryption on this port",
            ("Use IMAPS: --imap-host HOST:993.",),
        ),
        "delivery.imap-error": Hint(
            "The IMAP server broke off or refused the search",
            ("Run again; if it persists, try the other IMAP port (993 or 143).",),
        ),
    }
    hint = hints.get(finding)
    return (hint,) if hint is not None else ()


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register the ``delivery`` check."""
    register(Delivery)
