"""``smtpdoctor domain DOMAIN``: the mail security and deliverability of a domain.

A thin adapter: the options become a :class:`~smtpdoctor.domain.DomainRequest`, the
:class:`~smtpdoctor.domain.DomainDoctor` runs the domain checks, the report is rendered and
its exit code returned.  What is checked and judged lives in :mod:`smtpdoctor.domain`.
"""

from pathlib import Path
from typing import Annotated

import typer

from smtpdoctor.cli.common import (
    emit,
    plugin_selection,
    show_failure,
    terminal_width,
    use_color,
)
from smtpdoctor.cli.help import CONNECTION, OUTPUT
from smtpdoctor.cli.options import (
    CAFileOption,
    DisableOption,
    DNSServerOption,
    HeloNameOption,
    IPv4Option,
    IPv6Option,
    PluginOption,
    SourceAddressOption,
    TimeoutOption,
)
from smtpdoctor.domain.request import DEFAULT_DEADLINE
from smtpdoctor.model.words import ExitCode

#: The options of the audit itself.
AUDIT = "Audit"

EPILOG = (
    "Examples:\n\n"
    "  smtpdoctor domain example.com   (MX, port 25, MTA-STS, TLS-RPT, DANE, SPF, DMARC)\n\n"
    "  smtpdoctor domain example.com --sending-ip 192.0.2.10 --dkim-selector s1\n\n"
    "  smtpdoctor domain example.com --no-smtp   (port 25 blocked here: DNS and HTTPS only)\n\n"
    "  smtpdoctor domain example.com --dns-server 127.0.0.1   (a validating resolver: DANE)\n\n"
    "  smtpdoctor domain example.com --format nagios\n\n"
    "Exit codes: 0 all passed, 1 warnings, 2 a check failed, 3 could not run. "
    "Every finding and its hint: docs/domain.md."
)


def domain(
    domain_name: Annotated[
        str,
        typer.Argument(
            metavar="DOMAIN",
            help="The mail domain to audit (example.com); an address (you@example.com) "
            "audits its domain.",
            show_default=False,
        ),
    ],
    sending_ip: Annotated[
        list[str] | None,
        typer.Option(
            "--sending-ip",
            metavar="ADDRESS",
            help="An address your mail leaves from (repeatable): is it allowed by SPF, and "
            "does its reverse DNS confirm forward (Gmail and Yahoo require both)?",
            rich_help_panel=AUDIT,
        ),
    ] = None,
    dkim_selector: Annotated[
        list[str] | None,
        typer.Option(
            "--dkim-selector",
            metavar="SELECTOR",
            help="Check the DKIM key published under SELECTOR._domainkey.DOMAIN "
            "(repeatable; the s= of your messages' DKIM-Signature header).",
            rich_help_panel=AUDIT,
        ),
    ] = None,
    no_smtp: Annotated[
        bool,
        typer.Option(
            "--no-smtp",
            help="Do not connect to the MX servers on port 25 (many clouds and ISPs block "
            "it): audit DNS and the MTA-STS policy only.",
            rich_help_panel=AUDIT,
        ),
    ] = False,
    max_mx: Annotated[
        int,
        typer.Option(
            "--max-mx",
            metavar="N",
            min=1,
            max=20,
            help="Resolve and probe at most N MX hosts, in preference order.",
            rich_help_panel=AUDIT,
        ),
    ] = 5,
    dns_server: DNSServerOption = None,
    timeout: TimeoutOption = 10.0,
    deadline: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Seconds the whole audit may take; what is not done by then is reported "
            "as not done.",
            min=0.1,
            rich_help_panel=CONNECTION,
        ),
    ] = DEFAULT_DEADLINE,
    ca_file: CAFileOption = None,
    helo_name: HeloNameOption = None,
    ipv4: IPv4Option = False,
    ipv6: IPv6Option = False,
    source_address: SourceAddressOption = None,
    plugin: PluginOption = None,
    disable: DisableOption = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="[table|json|nagios]",
            help="table for people, json for machines, nagios for Nagios/Icinga.",
            rich_help_panel=OUTPUT,
        ),
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            metavar="FILE",
            help="Write the report to FILE instead of standard output, replacing it in one step.",
            dir_okay=False,
            rich_help_panel=OUTPUT,
        ),
    ] = None,
) -> None:
    """Audit a domain's mail security and deliverability: MX, port 25 and STARTTLS, MTA-STS,
    TLS-RPT, DANE, SPF, DMARC, DKIM, and what Gmail and Yahoo require of senders."""
    from smtpdoctor.core.hooks import RenderOptions
    from smtpdoctor.domain import DomainDoctor, DomainRequest
    from smtpdoctor.render.domain import (
        render_domain,
        render_domain_failure,
        require_domain_format,
    )
    from smtpdoctor.settings.config import NameServer, address_family

    try:
        require_domain_format(output_format)
        request = DomainRequest(
            domain_name,
            dns_servers=tuple(NameServer.parse(text) for text in dns_server or ()),
            timeout=timeout,
            deadline=deadline,
            smtp=not no_smtp,
            max_exchangers=max_mx,
            sending_ips=tuple(sending_ip or ()),
            dkim_selectors=tuple(dkim_selector or ()),
            helo_name=helo_name,
            ca_file=ca_file,
            family=address_family(ipv4=ipv4, ipv6=ipv6),
            source_address=source_address,
        )
        report = DomainDoctor(plugin_selection(plugin, disable)).run(request)
        shown = render_domain(
            report, output_format, RenderOptions(color=use_color(), width=terminal_width())
        )
    except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 - words, never a traceback
        code = show_failure(
            error, output_format=output_format, output=output, render=render_domain_failure
        )
        raise typer.Exit(code) from None
    raise typer.Exit(report.exit_status if emit(shown, output) else int(ExitCode.UNKNOWN))
