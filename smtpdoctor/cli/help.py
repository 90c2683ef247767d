"""How every command's ``--help`` looks: a plain usage line, options grouped in panels.

typer prints a required argument as ``{TARGET}`` in the usage line and every option in one flat
list.  :class:`HelpfulCommand` prints ``smtpdoctor check [OPTIONS] TARGET`` and groups the
options under the panel each declares with ``rich_help_panel=`` (the name typer gives the
setting; rich itself stays unused): ``Connection & TLS``, ``Login``, ``Test send & delivery``,
``Plugins``, ``Output``.  Panels come in the order their first option is declared; options
without a panel — ``-h/--help`` — go into the last one.

The panel names and the metavar style live here too, so every command spells them alike.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from typer._click import Context, HelpFormatter
from typer.core import TyperCommand

#: The help panels, each option in one of them.
CONNECTION = "Connection & TLS"
LOGIN = "Login"
SENDING = "Test send & delivery"
PLUGINS = "Plugins"
OUTPUT = "Output"
SCAN = "Scan"


def choices(values: Iterable[enum.Enum]) -> str:
    """The metavar of an option that takes one of ``values``: ``[auto|starttls|none]``."""
    return "[" + "|".join(str(value.value) for value in values) + "]"


class HelpfulCommand(TyperCommand):
    """A typer command whose help has a plain usage line and options in panels."""

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        """``[OPTIONS]``, then each argument by its metavar, in brackets when optional."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                continue
            name = param.metavar or (param.name or "").upper()
            pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The arguments, then one section per panel."""
        arguments: list[tuple[str, str]] = []
        panels: dict[str, list[tuple[str, str]]] = {}
        loose: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append(record)
                continue
            panel = getattr(param, "rich_help_panel", None)
            (panels.setdefault(panel, []) if panel else loose).append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if not panels:
            panels["Options"] = []
        last = list(panels)[-1]
        panels[last].extend(loose)
        for title, records in panels.items():
            with formatter.section(title):
                formatter.write_dl(records)
