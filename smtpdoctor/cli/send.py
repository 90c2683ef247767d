"""``smtpdoctor send HOST[:PORT]`` — the original interactive flow, done right.

``send`` asks for the sender, the password (hidden), the destination, the subject and the body
when they were not given as options, shows the SMTP dialogue as it happens (redacted), and ends
with a success line or with the diagnosis table of the step that failed.  Without a terminal
nothing is asked: a missing value is a usage error (exit 3).  The target's syntax and the
plugins (``--plugin``, ``--disable``) are checked before the first question: a bad target or a
broken plugin is exit 3 before a password is typed.

A thin adapter: the answers become a :class:`~smtpdoctor.api.Request` of purpose ``send``,
which :func:`~smtpdoctor.cli.common.execute` plans, runs and shows, as ``check`` does.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smtpdoctor.cli.common import (
    execute,
    hidden_prompt,
    interactive,
    plugin_selection,
    terminal_width,
    use_color,
)
from smtpdoctor.cli.help import LOGIN, OUTPUT, SENDING, choices
from smtpdoctor.cli.options import (
    CAFileOption,
    DeadlineOption,
    DisableOption,
    HeloNameOption,
    IMAPHostOption,
    IMAPPasswordFileOption,
    IMAPUserOption,
    InsecureOption,
    IPv4Option,
    IPv6Option,
    PasswordFileOption,
    PluginOption,
    PortOption,
    ProxyOption,
    ProxyPasswordFileOption,
    SlowGreetingOption,
    SourceAddressOption,
    TimeoutOption,
    TLSOption,
    VerifyIMAPOption,
    VerifyTimeoutOption,
)
from smtpdoctor.model.words import DEFAULT_SLOW_GREETING, DEFAULT_VERIFY_WAIT, TLSMode

if TYPE_CHECKING:
    from smtpdoctor.api import Doctor, Plan, Request
    from smtpdoctor.model.results import CheckResult, Report, TranscriptLine

EPILOG = (
    "Examples:\n\n"
    "  smtpdoctor send smtp.gmail.com   (asks for everything)\n\n"
    "  smtpdoctor send smtp.example.com --from me@example.com --to you@example.org "
    "--subject Hello --body 'It works'\n\n"
    "  smtpdoctor send smtp.example.com --from me@example.com --to me@example.com "
    "--verify-imap   (and find it in the mailbox)"
)


class SendFormat(enum.StrEnum):
    """Values of ``send --format``."""

    table = "table"
    json = "json"


def send(
    target: Annotated[
        str,
        typer.Argument(
            metavar="HOST[:PORT]",
            help="The mail server to send through, e.g. smtp.gmail.com or "
            "mail.example.com:465 (default port 587).",
            show_default=False,
        ),
    ],
    port: PortOption = None,
    tls: TLSOption = TLSMode.AUTO,
    ca_file: CAFileOption = None,
    insecure: InsecureOption = False,
    helo_name: HeloNameOption = None,
    timeout: TimeoutOption = 10.0,
    deadline: DeadlineOption = 60.0,
    slow_greeting: SlowGreetingOption = DEFAULT_SLOW_GREETING,
    ipv4: IPv4Option = False,
    ipv6: IPv6Option = False,
    source_address: SourceAddressOption = None,
    proxy: ProxyOption = None,
    proxy_password_file: ProxyPasswordFileOption = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            metavar="USER",
            help="Log in as this user (default: the sender's address). The password comes "
            "from --password-file, $SMTPDOCTOR_PASSWORD, or a hidden prompt.",
            rich_help_panel=LOGIN,
        ),
    ] = None,
    password_file: PasswordFileOption = None,
    mail_from: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="ADDRESS", help="The sender's address.", rich_help_panel=SENDING
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", metavar="ADDRESS", help="The destination address.", rich_help_panel=SENDING
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="The subject; a unique token is appended to find the message again.",
            rich_help_panel=SENDING,
        ),
    ] = None,
    body: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="The text of the message (default: a short test text).",
            rich_help_panel=SENDING,
        ),
    ] = None,
    verify_imap: VerifyIMAPOption = False,
    imap_host: IMAPHostOption = None,
    imap_user: IMAPUserOption = None,
    imap_password_file: IMAPPasswordFileOption = None,
    verify_timeout: VerifyTimeoutOption = DEFAULT_VERIFY_WAIT,
    plugin: PluginOption = None,
    disable: DisableOption = None,
    output_format: Annotated[
        SendFormat,
        typer.Option(
            "--format",
            "-f",
            metavar=choices(SendFormat),
            help="table: the dialogue as it happens; json: one document.",
            rich_help_panel=OUTPUT,
        ),
    ] = SendFormat.table,
) -> None:
    """Send one message, logging in first: asks for what is not given as an option, shows
    the SMTP dialogue (passwords redacted), and ends with a success line or the diagnosis."""
    live = output_format is SendFormat.table
    dialogue = _Dialogue(terminal_width())
    plugins = plugin_selection(plugin, disable)

    def prepare() -> Doctor:
        """Refuse a bad target and load the plugins before anything is asked."""
        from smtpdoctor.api import Doctor, with_port
        from smtpdoctor.api.request import check_path
        from smtpdoctor.settings.config import address_family, parse_target

        parse_target(with_port(target, port))
        check_path(address_family(ipv4=ipv4, ipv6=ipv6), source_address, proxy)
        verifies = not insecure and tls is not TLSMode.NONE
        return Doctor.for_settings(plugins, verifies_certificates=verifies, ca_file=ca_file)

    def request() -> Request:
        from smtpdoctor.api import (
            MailboxCheck,
            Purpose,
            Request,
            SecretSources,
            TestMessage,
            read_password,
            with_port,
        )
        from smtpdoctor.settings.config import address_family

        asking = interactive()
        sources = SecretSources(
            password_file=password_file,
            imap_password_file=imap_password_file,
            proxy_password_file=proxy_password_file,
            environ=os.environ,
            ask=hidden_prompt if asking else None,
        )
        if not asking:
            _refuse_missing(mail_from, to, password_file, os.environ)
        sender = mail_from or _ask_address("Sender address")
        sources = replace(sources, password=read_password(sources, user or sender))
        recipient = to or _ask_address("Destination address")
        message = TestMessage(recipient, sender, *(_ask_text(subject, body) if asking else ()))
        if not asking:
            message = replace(message, subject=subject, body=body)
        return Request(
            with_port(target, port),
            purpose=Purpose.SEND,
            user=user,
            secrets=sources,
            tls=tls,
            ca_file=ca_file,
            insecure=insecure,
            helo_name=helo_name,
            timeout=timeout,
            deadline=deadline,
            slow_greeting=slow_greeting,
            family=address_family(ipv4=ipv4, ipv6=ipv6),
            source_address=source_address,
            proxy=proxy,
            send=message,
            verify=MailboxCheck(imap_host, imap_user, verify_timeout) if verify_imap else None,
            plugins=plugins,
        )

    raise typer.Exit(
        execute(
            request,
            output_format=output_format.value,
            announce=dialogue.announce if live else None,
            observer=dialogue.show if live else None,
            show=dialogue.ending if live else _as_json,
            prepare=prepare,
        )
    )


#: The width of the check id in the live lines; a longer id gets a line of its own.
_ID_WIDTH = 12


class _Dialogue:
    """The SMTP conversation as it happens, a line per check, and the ending; every line
    wrapped to ``width`` columns."""

    def __init__(self, width: int) -> None:
        self._width = width
        self._lines_shown = 0

    def show(self, result: CheckResult, lines: Sequence[TranscriptLine]) -> None:
        """Print the lines exchanged for a check, then its verdict."""
        for line in lines:
            typer.echo(self._exchanged(line))
        self._lines_shown += len(lines)
        typer.echo(self._verdict(result))

    def announce(self, plan: Plan) -> None:
        """Say what is about to be sent where."""
        from smtpdoctor.render.table import wrapped

        request = plan.config.send
        assert request is not None  # a send always has its message
        said = (
            f"Sending from {request.sender} to {request.recipient} through {plan.host} "
            f"port {plan.endpoint.port} ({plan.endpoint.tls.value}):"
        )
        typer.echo(wrapped(said, self._width, indent="  ") + "\n")

    def ending(self, doctor: Doctor, report: Report) -> str:
        """The lines after the last check (QUIT), then the success line or the diagnosis."""
        rest = report.transcript[self._lines_shown :]
        said = "".join(f"{self._exchanged(line)}\n" for line in rest)
        return f"{said}\n{_ending(report, self._width)}"

    def _exchanged(self, line: TranscriptLine) -> str:
        from smtpdoctor.render.table import shown, wrapped

        return wrapped(f"    {line.direction} {shown(line.text)}", self._width, indent=" " * 6)

    def _verdict(self, result: CheckResult) -> str:
        from smtpdoctor.render.table import shown, wrapped

        check_id = result.check_id
        head = ""
        if len(check_id) > _ID_WIDTH:
            head, check_id = f"{check_id}\n", ""
        said = f"{check_id:<{_ID_WIDTH}} {result.status.name:<5} {shown(result.summary)}"
        return head + wrapped(said, self._width, indent=" " * (_ID_WIDTH + 7))


def _as_json(doctor: Doctor, report: Report) -> str:
    from smtpdoctor.render import RenderOptions

    return doctor.render(report, "json", RenderOptions(transcript=True))


def _refuse_missing(
    mail_from: str | None, to: str | None, password_file: Path | None, environ: Mapping[str, str]
) -> None:
    from smtpdoctor.model.words import ConfigError
    from smtpdoctor.secrets.passwords import PASSWORD_ENV

    missing = [option for option, value in (("--from", mail_from), ("--to", to)) if not value]
    if password_file is None and not environ.get(PASSWORD_ENV):
        missing.append(f"a password (--password-file or ${PASSWORD_ENV})")
    if missing:
        raise ConfigError(
            "not on a terminal, so nothing can be asked; missing: " + ", ".join(missing)
        )


def _ask_address(label: str) -> str:
    """Ask for an address until a valid one is typed (three tries)."""
    from smtpdoctor.model.words import ConfigError
    from smtpdoctor.settings.sending import check_address

    for _ in range(2):
        answer = str(typer.prompt(label)).strip()
        try:
            return check_address(answer, label.lower())
        except ConfigError as exc:
            typer.echo(f"  {exc}", err=True)
    return str(typer.prompt(label)).strip()


def _ask_text(subject: str | None, body: str | None) -> tuple[str, str | None]:
    from smtpdoctor.settings.sending import DEFAULT_SUBJECT

    if subject is None:
        subject = str(typer.prompt("Subject", default=DEFAULT_SUBJECT))
    if body is None:
        answer = str(
            typer.prompt("Body (Enter: a short test text)", default="", show_default=False)
        )
        body = answer or None
    return subject, body


def _ending(report: Report, width: int) -> str:
    """The success line, then the table of every step that needs attention; ``width``
    columns wide at most."""
    from smtpdoctor.model.results import Status
    from smtpdoctor.render import render_table
    from smtpdoctor.render.table import shown, wrapped

    said: list[str] = []
    sent = report.result("send")
    if sent is not None and sent.status is Status.PASS:
        queue_id = sent.outcome.details.get("queue_id")
        queued = f", queue id {queue_id}" if queue_id else ""
        said.append(
            f"Was successful! {report.target.host} accepted the message for "
            f"{sent.outcome.details.get('to')} (token {sent.outcome.details.get('token')}"
            f"{queued})."
        )
    delivered = report.result("delivery")
    if delivered is not None and delivered.status is Status.PASS:
        said.append(f"Delivered: {shown(delivered.summary)}.")
    if report.interrupted:
        cut = [result.check_id for result in report.results if "(Ctrl-C)" in result.summary]
        said.append(f"Interrupted (Ctrl-C): {', '.join(cut) or 'the run'} did not finish.")
    parts = [wrapped(text, width) for text in said]
    problems = tuple(result for result in report.results if result.status.is_problem)
    if problems:
        failing = replace(report, results=problems)
        parts.append(render_table(failing, color=use_color(), width=width))
    elif not parts:
        parts.append("Nothing was sent.")
    return "\n\n".join(parts)
