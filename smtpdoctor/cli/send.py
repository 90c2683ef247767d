"""``smtpdoctor send HOST[:PORT]`` — the original interactive flow, done right — and the
settings for a test send and IMAP verification that ``check`` shares.

``send`` asks for the sender, the password (hidden), the destination, the subject and the body
when they were not given as options, shows the SMTP dialogue as it happens (redacted), and ends
with a success line or with the diagnosis table of the step that failed.  Without a terminal
nothing is asked: a missing value is a usage error (exit 3).
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smtpdoctor.cli.common import TLSChoice, fail_usage, terminal_width, use_color
from smtpdoctor.secrets.passwords import IMAP_PASSWORD_ENV

if TYPE_CHECKING:
    from smtpdoctor.core.config import Credentials, RunConfig, Secret
    from smtpdoctor.delivery.imap import IMAPSettings
    from smtpdoctor.delivery.message import SendRequest
    from smtpdoctor.model.results import Report

DEFAULT_VERIFY_TIMEOUT = 60.0
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


SendToOption = Annotated[
    str | None,
    typer.Option(
        "--send-to",
        metavar="ADDRESS",
        help="After AUTH, send a test message to ADDRESS on the same connection "
        "(MAIL, RCPT, DATA) and report what the server did with it.",
    ),
]
FromOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        metavar="ADDRESS",
        help="The sender of the test message (default: --user, when it is an address).",
    ),
]
VerifyIMAPOption = Annotated[
    bool,
    typer.Option(
        "--verify-imap",
        help="Then log in to the recipient's mailbox over IMAP and wait for the message: "
        "delivered or not, how fast, in which folder, and its Authentication-Results.",
    ),
]
IMAPHostOption = Annotated[
    str | None,
    typer.Option(
        metavar="HOST[:PORT]",
        help="The IMAP server for --verify-imap (default: the provider's, or the SMTP host "
        "with smtp. replaced by imap.). Port 993 is IMAPS, any other STARTTLS.",
    ),
]
IMAPUserOption = Annotated[
    str | None,
    typer.Option(
        metavar="USER",
        help="The mailbox to log in to for --verify-imap (default: --user, with its password).",
    ),
]
IMAPPasswordFileOption = Annotated[
    Path | None,
    typer.Option(
        help=f"Read the IMAP password from this file (else ${IMAP_PASSWORD_ENV}, the SMTP "
        "password when the user is the same, or a hidden prompt).",
        dir_okay=False,
    ),
]
VerifyTimeoutOption = Annotated[
    float,
    typer.Option(help="Seconds to wait for the message to arrive (--verify-imap).", min=1.0),
]


def sending_settings(
    *,
    smtp_host: str,
    send_to: str | None,
    mail_from: str | None,
    credentials: Credentials | None,
    verify_imap: bool,
    imap_host: str | None,
    imap_user: str | None,
    imap_password_file: Path | None,
    verify_timeout: float,
    subject: str | None = None,
    body: str | None = None,
    environ: Mapping[str, str] = os.environ,
    interactive: bool = False,
) -> tuple[SendRequest | None, IMAPSettings | None]:
    """The test message and the IMAP verification the options ask for, validated.

    Raises :class:`~smtpdoctor.core.config.ConfigError` for what cannot work: ``--verify-imap``
    without ``--send-to``, no sender, no mailbox to log in to, a bad address or header text.
    """
    from smtpdoctor.model.words import ConfigError

    if send_to is None:
        if mail_from is not None or verify_imap:
            raise ConfigError("--from and --verify-imap need a test message: add --send-to ADDRESS")
        return None, None
    from smtpdoctor.delivery.message import DEFAULT_SUBJECT, SendRequest

    sender = mail_from
    if sender is None and credentials is not None and "@" in credentials.username:
        sender = credentials.username
    if sender is None:
        raise ConfigError("--send-to needs a sender: give --from ADDRESS")
    request = SendRequest(sender, send_to, subject or DEFAULT_SUBJECT, body)
    if not verify_imap:
        return request, None
    settings = imap_settings(
        smtp_host=smtp_host,
        imap_host=imap_host,
        imap_user=imap_user,
        imap_password_file=imap_password_file,
        credentials=credentials,
        wait=verify_timeout,
        environ=environ,
        interactive=interactive,
    )
    return request, settings


def imap_settings(
    *,
    smtp_host: str,
    imap_host: str | None,
    imap_user: str | None,
    imap_password_file: Path | None,
    credentials: Credentials | None,
    wait: float,
    environ: Mapping[str, str],
    interactive: bool,
) -> IMAPSettings:
    """Where and as whom to look for the message; the SMTP login's user and password unless
    ``--imap-user`` or an IMAP password source says otherwise."""
    from smtpdoctor.core.config import Credentials, parse_target
    from smtpdoctor.delivery.imap import IMAPS_PORT, IMAPSettings, default_imap_host
    from smtpdoctor.model.words import ConfigError

    host, port = parse_target(imap_host or default_imap_host(smtp_host), default_port=IMAPS_PORT)
    user = imap_user or (credentials.username if credentials is not None else None)
    if user is None:
        raise ConfigError(
            "--verify-imap needs a mailbox to log in to: give --imap-user (or --user)"
        )
    own_password = imap_password_file is not None or bool(environ.get(IMAP_PASSWORD_ENV))
    if imap_user is None and not own_password and credentials and credentials.password:
        password = credentials.password
    else:
        password = imap_password(
            environ=environ,
            password_file=imap_password_file,
            prompt=_hidden_prompt(f"IMAP password for {user}") if interactive else None,
        )
    return IMAPSettings(host, port, Credentials(user, password), wait=wait)


def imap_password(
    *,
    environ: Mapping[str, str],
    password_file: Path | None,
    prompt: Callable[[], str] | None,
) -> Secret:
    """The IMAP password from ``--imap-password-file``, else ``$SMTPDOCTOR_IMAP_PASSWORD``,
    else the prompt; like :func:`smtpdoctor.secrets.passwords.obtain_password` for SMTP."""
    from smtpdoctor.core.config import Secret
    from smtpdoctor.model.words import ConfigError
    from smtpdoctor.secrets.passwords import obtain_password

    if password_file is None and environ.get(IMAP_PASSWORD_ENV):
        return Secret(environ[IMAP_PASSWORD_ENV])
    if password_file is None and prompt is None:
        raise ConfigError(
            f"--verify-imap needs the IMAP password: set {IMAP_PASSWORD_ENV}, use "
            "--imap-password-file, or run on a terminal to be asked for it"
        )
    return obtain_password(environ={}, password_file=password_file, prompt=prompt)


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
    mail_from: Annotated[
        str | None, typer.Option("--from", metavar="ADDRESS", help="The sender's address.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", metavar="ADDRESS", help="The destination address.")
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="The subject; a unique token is appended to find the message again."),
    ] = None,
    body: Annotated[
        str | None, typer.Option(help="The text of the message (default: a short test text).")
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            help="Log in as this user (default: the sender's address). The password comes "
            "from --password-file, $SMTPDOCTOR_PASSWORD, or a hidden prompt.",
        ),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option(help="Read the password from this file (first line).", dir_okay=False),
    ] = None,
    tls: Annotated[
        TLSChoice,
        typer.Option(help="implicit TLS on 465, STARTTLS elsewhere (auto), or force one."),
    ] = TLSChoice.auto,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            help="Also trust the CA certificates in this PEM file.", exists=True, dir_okay=False
        ),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify the server certificate.")
    ] = False,
    helo_name: Annotated[str | None, typer.Option(help="Name to send in EHLO.")] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds each network step may take.", min=0.1)
    ] = 10.0,
    deadline: Annotated[
        float,
        typer.Option(
            help="Seconds the SMTP part may take (--verify-timeout comes on top).", min=0.1
        ),
    ] = 60.0,
    verify_imap: VerifyIMAPOption = False,
    imap_host: IMAPHostOption = None,
    imap_user: IMAPUserOption = None,
    imap_password_file: IMAPPasswordFileOption = None,
    verify_timeout: VerifyTimeoutOption = DEFAULT_VERIFY_TIMEOUT,
    output_format: Annotated[
        SendFormat,
        typer.Option(
            "--format", "-f", help="table: the dialogue as it happens; json: one document."
        ),
    ] = SendFormat.table,
) -> None:
    """Send one message, logging in first: asks for what is not given as an option, shows
    the SMTP dialogue (passwords redacted), and ends with a success line or the diagnosis."""
    from smtpdoctor.core.config import Credentials, RunConfig, parse_target
    from smtpdoctor.model.words import ConfigError, TLSMode
    from smtpdoctor.net.transport import TLSError, check_ca_file
    from smtpdoctor.secrets.passwords import PASSWORD_ENV, obtain_password

    interactive = sys.stdin.isatty()
    try:
        host, port = parse_target(target)
        if ca_file is not None:
            check_ca_file(str(ca_file))
        if not interactive:
            _refuse_missing(mail_from, to, password_file, os.environ.get(PASSWORD_ENV))
        sender = mail_from or _ask_address("Sender address")
        login = user or sender
        password = obtain_password(
            environ=os.environ,
            password_file=password_file,
            prompt=_hidden_prompt(f"Password for {login}") if interactive else None,
        )
        recipient = to or _ask_address("Destination address")
        if interactive:
            subject, body = _ask_text(subject, body)
        credentials = Credentials(login, password)
        request, verify = sending_settings(
            smtp_host=host,
            send_to=recipient,
            mail_from=sender,
            credentials=credentials,
            verify_imap=verify_imap,
            imap_host=imap_host,
            imap_user=imap_user,
            imap_password_file=imap_password_file,
            verify_timeout=verify_timeout,
            subject=subject,
            body=body,
            interactive=interactive,
        )
        config = RunConfig(
            host=host,
            port=port,
            tls=TLSMode(tls.value),
            helo_name=helo_name,
            timeout=timeout,
            deadline=deadline + (verify.wait if verify is not None else 0.0),
            ca_file=ca_file,
            insecure=insecure,
            credentials=credentials,
            send=request,
            verify=verify,
        )
    except (ConfigError, TLSError) as exc:
        fail_usage(str(exc))
    raise typer.Exit(_run(config, output_format))


def _refuse_missing(
    mail_from: str | None, to: str | None, password_file: Path | None, password_env: str | None
) -> None:
    from smtpdoctor.model.words import ConfigError
    from smtpdoctor.secrets.passwords import PASSWORD_ENV

    missing = [option for option, value in (("--from", mail_from), ("--to", to)) if not value]
    if password_file is None and not password_env:
        missing.append(f"a password (--password-file or ${PASSWORD_ENV})")
    if missing:
        raise ConfigError(
            "not on a terminal, so nothing can be asked; missing: " + ", ".join(missing)
        )


def _ask_address(label: str) -> str:
    """Ask for an address until a valid one is typed (three tries)."""
    from smtpdoctor.delivery.message import check_address
    from smtpdoctor.model.words import ConfigError

    for _ in range(2):
        answer = str(typer.prompt(label)).strip()
        try:
            return check_address(answer, label.lower())
        except ConfigError as exc:
            typer.echo(f"  {exc}", err=True)
    return str(typer.prompt(label)).strip()


def _ask_text(subject: str | None, body: str | None) -> tuple[str, str | None]:
    from smtpdoctor.delivery.message import DEFAULT_SUBJECT

    if subject is None:
        subject = str(typer.prompt("Subject", default=DEFAULT_SUBJECT))
    if body is None:
        answer = str(
            typer.prompt("Body (Enter: a short test text)", default="", show_default=False)
        )
        body = answer or None
    return subject, body


def _hidden_prompt(label: str) -> Callable[[], str]:
    return lambda: str(typer.prompt(label, hide_input=True))


def _run(config: RunConfig, output_format: SendFormat) -> int:
    from smtpdoctor.cli.common import EXIT_UNKNOWN, plugin_selection
    from smtpdoctor.core import runner
    from smtpdoctor.core.plugins import PluginLoadError, manager_for
    from smtpdoctor.core.registry import RegistrationError
    from smtpdoctor.model.results import CheckResult
    from smtpdoctor.net.session import Session
    from smtpdoctor.render import render_json
    from smtpdoctor.render.table import shown

    session = Session(config)
    live = output_format is SendFormat.table
    printed = 0

    def show(result: CheckResult | None) -> None:
        nonlocal printed
        lines = session.transcript[printed:]
        printed += len(lines)
        if not live:
            return
        for line in lines:
            typer.echo(f"    {line.direction} {shown(line.text)}")
        if result is not None:
            typer.echo(f"{result.check_id:<12} {result.status.name:<5} {shown(result.summary)}")

    if live:
        request = config.send
        assert request is not None
        typer.echo(
            f"Sending from {request.sender} to {request.recipient} through {config.host} "
            f"port {config.port} ({config.tls_mode.value}):\n"
        )
    try:
        report = runner.run(
            config, manager_for(plugin_selection(None, None)), on_result=show, session=session
        )
    except (PluginLoadError, RegistrationError) as exc:
        typer.echo(f"smtpdoctor: {exc}", err=True)
        return EXIT_UNKNOWN
    show(None)
    if live:
        typer.echo("\n" + _ending(report))
    else:
        typer.echo(render_json(report, transcript=True))
    return int(report.exit_code)


def _ending(report: Report) -> str:
    """The success line, then the table of every step that needs attention."""
    from smtpdoctor.model.results import Status
    from smtpdoctor.render import render_table
    from smtpdoctor.render.table import shown

    parts: list[str] = []
    sent = report.result("send")
    if sent is not None and sent.status is Status.PASS:
        queue_id = sent.outcome.details.get("queue_id")
        queued = f", queue id {queue_id}" if queue_id else ""
        parts.append(
            f"Was successful! {report.target.host} accepted the message for "
            f"{sent.outcome.details.get('to')} (token {sent.outcome.details.get('token')}"
            f"{queued})."
        )
    delivered = report.result("delivery")
    if delivered is not None and delivered.status is Status.PASS:
        parts.append(f"Delivered: {shown(delivered.summary)}.")
    problems = tuple(result for result in report.results if result.status.is_problem)
    if problems:
        failing = replace(report, results=problems)
        parts.append(render_table(failing, color=use_color(), width=terminal_width()))
    elif not parts:
        parts.append("Nothing was sent.")
    return "\n\n".join(parts)
