"""``smtpdoctor demo``."""

from __future__ import annotations

import typer

from smtpdoctor.cli.common import fail_usage, terminal_width, use_color


def demo() -> None:
    """Start a local mail server (STARTTLS + AUTH, throwaway certificate) and check it: once
    with the right password, once with a wrong one. Needs the 'demo' extra (aiosmtpd)."""
    try:
        from smtpdoctor.demo.walkthrough import run_demo
    except ImportError as exc:
        fail_usage(f"the demo needs aiosmtpd: pip install 'smtpdoctor[demo]' ({exc})")
    raise typer.Exit(run_demo(echo=typer.echo, color=use_color(), width=terminal_width()))
