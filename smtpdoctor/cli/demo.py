"""``smtpdoctor demo``."""

from __future__ import annotations

import typer

from smtpdoctor.cli.common import fail_usage, terminal_width, use_color


def demo() -> None:
    """Start a local mail server (STARTTLS + AUTH, throwaway certificate) and check it three
    times: with the right password, with a wrong one, and with a test message, which the
    server keeps and the demo shows. Needs the 'demo' extra (aiosmtpd)."""
    try:
        from smtpdoctor.demo.walkthrough import run_demo
    except ImportError as exc:
        fail_usage(f"the demo needs aiosmtpd: pip install 'smtpdoctor[demo]' ({exc})")
    raise typer.Exit(run_demo(echo=typer.echo, color=use_color(), width=terminal_width()))
