"""docs/api.md is true: its examples run, one after the other, in one namespace."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).parents[2] / "docs" / "api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.M | re.S)


def test_the_api_guide_examples_run() -> None:
    blocks = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": "api_guide"}
    printed = io.StringIO()

    assert len(blocks) >= 8
    try:
        with contextlib.redirect_stdout(printed):
            for number, block in enumerate(blocks, start=1):
                code = compile(block, f"{DOC.name} example {number}", "exec")
                exec(code, namespace)  # noqa: S102 - the examples are this repository's docs
    finally:
        server = namespace.get("server")
        if server is not None:
            server.stop()  # type: ignore[attr-defined]

    shown = printed.getvalue()
    assert "STARTTLS: TLSv1.3" in shown
    assert "give an address at a mail domain" in shown
    assert shown.count("SMTP OK") == 1
