"""``smtpdoctor providers``: the provider table — hosts, ports, login, the switches that must
be on, and where each fact comes from and when it was checked.  Nothing is sent anywhere."""

from __future__ import annotations

from typing import Annotated

import typer

from smtpdoctor.cli.common import terminal_width
from smtpdoctor.cli.plugins import ListFormat, ListFormatOption


def providers(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME]",
            help="Show only the providers whose id, name, mail domain or host contains NAME.",
            show_default=False,
        ),
    ] = None,
    output_format: ListFormatOption = ListFormat.table,
) -> None:
    """List the mail providers, sending services and hosting companies smtpdoctor knows,
    with every fact's source and the day it was checked."""
    from smtpdoctor.api.providers import find_providers
    from smtpdoctor.render.providers import render_providers, render_providers_json

    found = find_providers(name)
    if output_format is ListFormat.json:
        typer.echo(render_providers_json(found))
    else:
        typer.echo(render_providers(found, terminal_width()))
