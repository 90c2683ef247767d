"""``python -m smtpdoctor`` and the ``smtpdoctor`` console script.

Usage errors exit with 3, not click's 2: in the monitoring-plugins convention smtpdoctor
follows, 2 means "the server failed a check" and nothing else.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # the fast path: no typer, no click, nothing else to import
        from smtpdoctor._version import __version__

        print(f"smtpdoctor {__version__}")
        return 0
    from smtpdoctor.cli import app, run_app

    return run_app(app, args)


if __name__ == "__main__":
    sys.exit(main())
