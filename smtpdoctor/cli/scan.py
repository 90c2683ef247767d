"""``smtpdoctor scan FILE|-``: check a fleet, stream JSON Lines, summarise at the end."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn, Protocol, TypeVar

import typer

from smtpdoctor.cli.common import fail_usage, plugin_selection, terminal_width
from smtpdoctor.cli.help import CONNECTION, OUTPUT, SCAN
from smtpdoctor.cli.options import (
    CAFileOption,
    DeadlineOption,
    DisableOption,
    DNSServerOption,
    HeloNameOption,
    InsecureOption,
    IPv4Option,
    IPv6Option,
    OptionOption,
    PluginOption,
    ProxyOption,
    ProxyPasswordFileOption,
    SlowGreetingOption,
    SourceAddressOption,
    TimeoutOption,
    TLSOption,
)
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.words import DEFAULT_SLOW_GREETING, ExitCode, TLSMode

if TYPE_CHECKING:
    from smtpdoctor.core.plugins import PluginSelection
    from smtpdoctor.domain import DomainRequest
    from smtpdoctor.scan import BadLine, ScanTally, Shard

EPILOG = (
    "Examples:\n\n"
    "  smtpdoctor scan mx-hosts.txt --port 25 --output results.jsonl\n\n"
    "  printf 'alice@example.com\\nsmtp.example.net:465\\n' | smtpdoctor scan -\n\n"
    "  smtpdoctor scan mx-hosts.txt --output results.jsonl --resume   (after an interruption)\n\n"
    "  smtpdoctor scan all.txt --shard 4 --output part.jsonl   (K from $JOB_COMPLETION_INDEX)\n\n"
    "  smtpdoctor scan --domains domains.txt --no-smtp --output audit.jsonl   (domain audits)\n\n"
    "Exit codes: 0 every target OK, 1 warnings, 2 a target failed, 3 a target could not be "
    "checked. A line of the input that is not a target makes it 3, unless a target failed: "
    "then it stays 2."
)

#: How often the progress line may be redrawn, in seconds.
PROGRESS_INTERVAL = 0.1
#: The narrowest the progress bar gets on a narrow terminal, in characters.
_MIN_BAR = 10


def scan(
    ctx: typer.Context,
    targets_file: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-",
            help="Targets, one per line: host, host:port, [IPv6]:port, or an email address "
            "(its provider's or domain's submission server is checked). '-' reads stdin; "
            "blank lines and # comments are ignored.",
            show_default=False,
        ),
    ],
    port: Annotated[
        int,
        typer.Option(
            "--port",
            "-p",
            metavar="PORT",
            help="The port for servers and addresses that do not name one.",
            min=1,
            max=65535,
            rich_help_panel=CONNECTION,
        ),
    ] = 587,
    tls: TLSOption = TLSMode.AUTO,
    ca_file: CAFileOption = None,
    insecure: InsecureOption = False,
    helo_name: HeloNameOption = None,
    timeout: TimeoutOption = 10.0,
    deadline: DeadlineOption = 60.0,
    slow_greeting: SlowGreetingOption = DEFAULT_SLOW_GREETING,
    dns_server: DNSServerOption = None,
    ipv4: IPv4Option = False,
    ipv6: IPv6Option = False,
    source_address: SourceAddressOption = None,
    proxy: ProxyOption = None,
    proxy_password_file: ProxyPasswordFileOption = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            metavar="N",
            help="Targets checked at once.",
            min=1,
            rich_help_panel=SCAN,
        ),
    ] = 10,
    per_address: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Connections to one server address at a time (be polite).",
            min=1,
            rich_help_panel=SCAN,
        ),
    ] = 1,
    retries: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Retries for a server that answers 421/4xx (it throttles us).",
            min=0,
            rich_help_panel=SCAN,
        ),
    ] = 2,
    retry_delay: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Seconds to leave a throttling server alone before retrying (doubles).",
            min=0,
            rich_help_panel=SCAN,
        ),
    ] = 30.0,
    shard: Annotated[
        str | None,
        typer.Option(
            metavar="K/N",
            help="Check only part K of N (K from 0). With just N, K is read from "
            "$JOB_COMPLETION_INDEX, as set in a Kubernetes Indexed Job.",
            rich_help_panel=SCAN,
        ),
    ] = None,
    plugin: PluginOption = None,
    disable: DisableOption = None,
    option: OptionOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            metavar="FILE",
            help="Write the JSON Lines here (default: standard output).",
            dir_okay=False,
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Skip targets already recorded in --output and append the rest.",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Show a progress bar on standard error (default: when it is a terminal).",
            show_default=False,
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    domains: Annotated[
        bool,
        typer.Option(
            "--domains",
            help="Each line is a mail domain to audit as `smtpdoctor domain` does (MX, port "
            "25, MTA-STS, TLS-RPT, DANE, SPF, DMARC); records follow the domain JSON shape.",
            rich_help_panel=SCAN,
        ),
    ] = False,
    no_smtp: Annotated[
        bool,
        typer.Option(
            "--no-smtp",
            help="With --domains: do not connect to the MX servers on port 25.",
            rich_help_panel=SCAN,
        ),
    ] = False,
) -> None:
    """Check many mail servers: bounded concurrency, one connection per server at a time,
    results as JSON Lines as they finish, a summary at the end."""
    from smtpdoctor.api import Doctor, Request, SecretSources, failure_of, parse_options
    from smtpdoctor.api.planning import check_ca_file, read_proxy
    from smtpdoctor.model.words import ConfigError
    from smtpdoctor.render.table import wrapped
    from smtpdoctor.scan import (
        ScanInputError,
        Scanner,
        ScanOptions,
        ScanTally,
        Shard,
        completed_targets,
        parse_targets,
        pipeline_runner,
    )
    from smtpdoctor.settings.config import NameServer, address_family

    if resume and output is None:
        fail_usage("--resume needs --output: the file whose recorded targets are skipped")
    selection = plugin_selection(plugin, disable)
    if domains:
        from smtpdoctor.domain.request import DEFAULT_DEADLINE, DomainRequest

        server_only = {
            "port": "--port",
            "tls": "--tls",
            "insecure": "--insecure",
            "proxy": "--proxy",
            "proxy_password_file": "--proxy-password-file",
            "slow_greeting": "--slow-greeting",
            "per_address": "--per-address",
            "retries": "--retries",
            "retry_delay": "--retry-delay",
            "shard": "--shard",
            "option": "--option",
        }
        refused = {flag: _given(ctx, name) for name, flag in server_only.items()}
        given = [name for name, was_given in refused.items() if was_given]
        if given:
            fail_usage(
                f"{', '.join(given)} cannot be used with --domains: they shape a scan of "
                "servers (a domain audit probes each MX on port 25 with STARTTLS, directly, "
                "verifying certificates; it has no plugin options, shards or retries)"
            )
        try:
            audit = DomainRequest(
                "template.invalid",
                dns_servers=tuple(NameServer.parse(text) for text in dns_server or ()),
                timeout=timeout,
                # a domain audit's own default unless --deadline was given
                deadline=deadline if _given(ctx, "deadline") else DEFAULT_DEADLINE,
                smtp=not no_smtp,
                helo_name=helo_name,
                ca_file=ca_file,
                family=address_family(ipv4=ipv4, ipv6=ipv6),
                source_address=source_address,
            )
        except ConfigError as exc:
            fail_usage(str(exc))
        _scan_domains(
            targets_file,
            audit,
            selection,
            concurrency=concurrency,
            output=output,
            resume=resume,
            progress=progress,
        )
    if no_smtp:
        fail_usage("--no-smtp needs --domains: a server scan is all SMTP")
    try:
        chosen = Shard.parse(shard, os.environ) if shard is not None else Shard()
        template = Request(
            "template.invalid",
            port=port,
            dns_servers=tuple(NameServer.parse(text) for text in dns_server or ()),
            family=address_family(ipv4=ipv4, ipv6=ipv6),
            source_address=source_address,
            proxy=proxy,
            secrets=SecretSources.proxy_only(proxy_password_file, os.environ),
            tls=tls,
            helo_name=helo_name,
            timeout=timeout,
            deadline=deadline,
            slow_greeting=slow_greeting,
            ca_file=ca_file,
            insecure=insecure,
            plugins=selection,
            options=parse_options(option or ()),
        )
        check_ca_file(template)
        read_proxy(template)  # a bad proxy URL or a missing password: exit 3 before any target
        options = ScanOptions(
            template=template,
            concurrency=concurrency,
            per_address=per_address,
            retries=retries,
            retry_delay=retry_delay,
        )
    except (ScanInputError, ConfigError) as exc:
        fail_usage(str(exc))
    target_list = parse_targets(_read_lines(targets_file), default_port=port)
    for bad in target_list.bad_lines:
        typer.echo(f"smtpdoctor: line {bad.number} skipped: {bad.reason}", err=True)
    done = completed_targets(_read_lines(str(output))) if resume and output else set()
    todo = [t for t in target_list.targets if chosen.holds(t) and t.key not in done]
    skipped = sum(1 for t in target_list.targets if chosen.holds(t) and t.key in done)
    try:
        doctor = Doctor(selection)
    except Exception as exc:  # noqa: BLE001 - a broken plugin: in words, before any connection
        fail_usage(failure_of(exc).message)

    tally, elapsed = _stream(
        lambda record: Scanner(options, pipeline_runner(doctor)).run(todo, record),
        ScanTally.add,
        total=len(todo),
        noun="target",
        output=output,
        resume=resume,
        progress=progress,
    )
    summary = _summary(tally, elapsed, concurrency, skipped, target_list.bad_lines, chosen)
    summary = wrapped(summary, terminal_width(), indent="  ")
    typer.echo(summary, err=output is None)
    raise typer.Exit(int(tally.exit_code_with(unreadable_lines=len(target_list.bad_lines))))


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the option ``name`` was given (on the command line or in its environment
    variable), not left at its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def _scan_domains(
    targets_file: str,
    template: DomainRequest,
    selection: PluginSelection,
    *,
    concurrency: int,
    output: Path | None,
    resume: bool,
    progress: bool | None,
) -> NoReturn:
    """``scan --domains``: audit every domain of the list like ``template``, stream the
    records, summarise."""
    from smtpdoctor.api import failure_of
    from smtpdoctor.domain import DomainDoctor
    from smtpdoctor.render.table import wrapped
    from smtpdoctor.scan import Shard
    from smtpdoctor.scan.domains import count_domain, parse_domains, scan_domains

    domain_list = parse_domains(_read_lines(targets_file))
    for bad in domain_list.bad_lines:
        typer.echo(f"smtpdoctor: line {bad.number} skipped: {bad.reason}", err=True)
    todo = domain_list.pending(_read_lines(str(output)) if resume and output else ())
    try:
        doctor = DomainDoctor(selection)
    except Exception as exc:  # noqa: BLE001 - a broken plugin: in words, before any audit
        fail_usage(failure_of(exc).message)
    tally, elapsed = _stream(
        lambda record: scan_domains(doctor, template, todo, record, concurrency=concurrency),
        count_domain,
        total=len(todo),
        noun="domain",
        output=output,
        resume=resume,
        progress=progress,
    )
    skipped = len(domain_list.domains) - len(todo)
    summary = _summary(
        tally,
        elapsed,
        concurrency,
        skipped,
        domain_list.bad_lines,
        Shard(),
        noun="domain",
    )
    typer.echo(wrapped(summary, terminal_width(), indent="  "), err=output is None)
    raise typer.Exit(int(tally.exit_code_with(unreadable_lines=len(domain_list.bad_lines))))


class _Record(Protocol):
    """What a scan streams: one finished target, as a JSON Lines record."""

    def to_record(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Record)


def _stream(
    run: Callable[[Callable[[R], None]], None],
    count: Callable[[ScanTally, R], None],
    *,
    total: int,
    noun: str,
    output: Path | None,
    resume: bool,
    progress: bool | None,
) -> tuple[ScanTally, float]:
    """Run a scan (``run`` calls back with each finished target), writing each record as
    one JSON line as it comes, counting it, and drawing the progress bar; the tally and the
    seconds it took.  Ctrl-C ends the command with 130 and says where the records are."""
    from smtpdoctor.scan import ScanTally

    sink = _open_output(output, resume=resume)
    show_progress = sys.stderr.isatty() if progress is None else progress
    bar = _ProgressBar(total, sys.stderr, terminal_width()) if show_progress else None
    tally = ScanTally()
    started = time.monotonic()

    def record(result: R) -> None:
        sink.write(json.dumps(result.to_record(), ensure_ascii=False) + "\n")
        sink.flush()
        count(tally, result)
        if bar is not None:
            bar.update(tally)

    interrupted = False
    try:
        run(record)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close(tally)
        if sink is not sys.stdout:
            sink.close()
    if interrupted:
        where = f"{output}: add --resume to continue" if output else "standard output"
        typer.echo(
            f"smtpdoctor: interrupted after {tally.total} of {plural(total, noun)}; each "
            f"finished one is in {where}",
            err=True,
        )
        raise typer.Exit(ExitCode.INTERRUPTED)
    return tally, time.monotonic() - started


def _read_lines(source: str) -> list[str]:
    if source == "-":
        return sys.stdin.read().splitlines()
    try:
        return Path(source).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        fail_usage(f"cannot read {source}: {exc.strerror or exc}")


def _open_output(output: Path | None, *, resume: bool) -> IO[str]:
    """Standard output, or the output file: appended to with --resume (after finishing a
    line cut short by an interruption), otherwise created — never overwritten."""
    if output is None:
        return sys.stdout
    try:
        if resume and output.exists():
            cut_short = _ends_mid_line(output)
            sink = output.open("a", encoding="utf-8")
            if cut_short:
                sink.write("\n")
            return sink
        if output.exists() and output.stat().st_size > 0:
            fail_usage(f"{output} already exists: add --resume to continue it, or remove it")
        return output.open("w", encoding="utf-8")
    except OSError as exc:
        fail_usage(f"cannot write {output}: {exc.strerror or exc}")


def _ends_mid_line(path: Path) -> bool:
    with path.open("rb") as existing:
        if existing.seek(0, os.SEEK_END) == 0:
            return False
        existing.seek(-1, os.SEEK_END)
        return existing.read(1) != b"\n"


class _ProgressBar:
    """One line on a terminal ``columns`` wide, redrawn at most every PROGRESS_INTERVAL
    seconds; the bar gives up room to the counts, and the line never wraps."""

    def __init__(self, total: int, stream: IO[str], columns: int, width: int = 30) -> None:
        self._total = total
        self._stream = stream
        self._columns = columns
        self._width = width
        self._started = time.monotonic()
        self._drawn_at = 0.0

    def update(self, tally: ScanTally, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn_at < PROGRESS_INTERVAL:
            return
        self._drawn_at = now
        done = tally.total
        rate = done / max(now - self._started, 1e-9)
        counts = "  ".join(f"{code.name.lower()} {n}" for code, n in tally.by_status.items())
        tail = f" {done}/{self._total} {rate:6.1f}/s  {counts}"
        width = max(_MIN_BAR, min(self._width, self._columns - 1 - len(tail) - 2))
        filled = width * done // self._total if self._total else width
        bar = "#" * filled + "." * (width - filled)
        line = f"[{bar}]{tail}"[: self._columns - 1]  # the last column would wrap on some
        self._stream.write(f"\r{line}")
        self._stream.flush()

    def close(self, tally: ScanTally) -> None:
        self.update(tally, force=True)
        self._stream.write("\n")
        self._stream.flush()


def _summary(
    tally: ScanTally,
    elapsed: float,
    concurrency: int,
    skipped: int,
    bad_lines: tuple[BadLine, ...],
    shard: Shard,
    *,
    noun: str = "target",
) -> str:
    from tabulate import tabulate

    rows = [[code.name.lower(), count] for code, count in tally.by_status.items()]
    if noun == "target":  # a server scan's politeness; a domain audit is not throttled
        rows.append(["throttled (gave up)", tally.throttled])
        rows.append(["retried", tally.retried])
    heading = f"{noun.capitalize()}s"
    lines = [tabulate(rows, headers=[heading, "Count"], tablefmt="simple")]
    top = tally.top_findings()
    if top:
        lines += ["", tabulate(top, headers=["Finding", heading], tablefmt="simple")]
    rate = tally.total / elapsed if elapsed > 0 else 0.0
    notes = [
        f"{plural(tally.total, noun)} in {elapsed:.2f} s ({rate:.1f}/s, concurrency {concurrency})"
    ]
    if skipped:
        notes.append(f"{plural(skipped, noun)} already in the output skipped (--resume)")
    if bad_lines:
        notes.append(f"{plural(len(bad_lines), 'line')} could not be read as a {noun} (see above)")
    if shard.count > 1:
        notes.append(f"shard {shard.index}/{shard.count}")
    return "\n".join([*lines, "", "; ".join(notes)])
