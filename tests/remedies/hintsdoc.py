"""Writes ``docs/hints.md`` from the knowledge base, so the page can never drift from the data.

Run ``.venv/bin/python tests/remedies/hintsdoc.py`` after changing the knowledge base;
``test_hints_doc.py`` fails until the page is regenerated.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from smtpdoctor.discovery.providers import (
    USERNAME_ADDRESS,
    USERNAME_LOCAL_PART,
    Provider,
    provider_by_id,
)
from smtpdoctor.model.results import Hint
from smtpdoctor.remedies import Advice, Match, Remedy, Section, Tier
from smtpdoctor.remedies.knowledge import KNOWLEDGE_BASE, SECTIONS
from smtpdoctor.software import PRODUCTS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "hints.md"

TIER_WORDS = {
    Tier.PROVIDER_REPLY: "this provider's own reply",
    Tier.REPLY: "this exact reply",
    Tier.PROVIDER: "any such reply from this provider",
    Tier.SITUATION: "this finding, in this situation",
    Tier.FINDING: "this finding",
    Tier.STATUS_CODE: "this status code, in general",
    Tier.STATUS_SUBJECT: "this class of status codes, in general",
    Tier.REPLY_CLASS: "this class of reply codes, in general",
}

INTRO = """\
# Hints: what smtpdoctor tells you to do

<!-- Generated from smtpdoctor/remedies/knowledge by tests/remedies/hintsdoc.py; do not edit
     by hand: change the knowledge base and run `.venv/bin/python tests/remedies/hintsdoc.py`. -->

Every WARN, FAIL and ERROR row of a report gets the hints of the knowledge base whose
conditions match it: the check, its finding, the server's reply code, its enhanced status code
(RFC 3463), the reply text, and the **provider** running the server. This page lists every
hint, grouped by provider and then by topic, with what triggers it.

## How a hint is chosen

* **The provider** is recognised from the host name you typed (`smtp.gmail.com`), else from
  the domain the server names in its EHLO reply, else from its greeting (`220 smtp.gmail.com
  ESMTP … gsmtp`) — so a server reached through a tunnel or on `127.0.0.1` is still
  recognised. A login at a Proton address on a loopback host means Proton Mail Bridge. The
  table's heading and the JSON's top-level `provider` field say which provider was found.
* **Enhanced codes** match component by component: `5.7` matches `5.7.8` and `5.7.139`, but
  `5.7.8` does not match `5.7.80`. Google's error page prints 5.7.80, 5.7.90 and 5.7.40 for the
  replies its servers send as 5.7.8, 5.7.9 and 5.7.4, so those entries list both. `X.7.8` means
  `4.7.8` or `5.7.8`.
* **Only the most specific hints are shown.** Each entry has a tier; when entries of several
  tiers match, only those of the most specific tier are shown, in the order of this page:

  1. a provider's own reply (reply and provider both match);
  2. an exact reply, whoever sends it;
  3. any such reply from a provider (e.g. any refused login at Yahoo);
  4. a finding in a situation the run knows more about (no AUTH even after STARTTLS);
  5. a finding of a check, whatever the server;
  6. what one status code means in general (RFC 3463 `X.7.8`, or `421`);
  7. what a class of status codes means (`X.7`: security or policy);
  8. what a class of reply codes means (`4yz`: try again later).

* **The server software** (Postfix, Exim, Haraka, Exchange …; see
  [checks.md](checks.md#the-server-software)) decides which settings a hint names: a hint's
  own steps are the same for every server, and the steps for the recognised software's
  settings follow them (*For Exim:* below). With unknown software, only the hint's own
  steps are shown.

* Plugins add their own hints through the `smtpdoctor_hints(result, context)` hook
  (see [plugins/hooks.md](plugins/hooks.md)); they are appended after these.

Hints keyed on the `send` check apply to the replies to MAIL FROM, RCPT TO and DATA.
"""


def render() -> str:
    """The whole page."""
    parts = [INTRO, _summary()]
    parts += [_section(section) for section in SECTIONS]
    return "\n".join(parts).rstrip("\n") + "\n"


def _summary() -> str:
    rows = [
        "## What the knowledge base holds",
        "",
        "| section | entries | hints |",
        "|---|---|---|",
    ]
    for section in SECTIONS:
        hints = {remedy.hint for remedy in section.remedies}
        rows.append(
            f"| [{section.title}](#{_anchor(section.title)}) | "
            f"{len(section.remedies)} | {len(hints)} |"
        )
    total_hints = len({remedy.hint for remedy in KNOWLEDGE_BASE})
    rows.append(f"| **all** | **{len(KNOWLEDGE_BASE)}** | **{total_hints}** |")
    return "\n".join(rows) + "\n"


def _section(section: Section) -> str:
    lines = [f"## {section.title}", ""]
    for provider_id in section.providers:
        provider = provider_by_id(provider_id)
        assert provider is not None, provider_id
        host = provider.submission_host
        endpoints = ", ".join(f"{e.port} ({e.tls})" for e in provider.endpoints)
        lines.append(
            f"*{provider.name}:* `{host}` on {endpoints}; user name: {_username(provider)}; "
            f"{provider.auth_note}."
        )
        lines += ["", *(f"- *Note:* {note}" for note in provider.notes)] if provider.notes else []
        lines.append("")
    by_hint: dict[Hint, list[Remedy]] = {}
    for remedy in section.remedies:
        by_hint.setdefault(remedy.hint, []).append(remedy)
    for hint, remedies in by_hint.items():
        lines += _hint(hint, remedies)
    return "\n".join(lines)


def _username(provider: Provider) -> str:
    if provider.username == USERNAME_ADDRESS:
        return "the full address"
    if provider.username == USERNAME_LOCAL_PART:
        return "the part before the @"
    literal = provider.username_for("alice@example.com")
    return f"`{literal}`" if literal else provider.username


def _hint(hint: Hint, remedies: list[Remedy]) -> list[str]:
    lines = [f"### {hint.title}", ""]
    for remedy in remedies:
        lines.append(f"**When:** {_conditions(remedy.match)} — *{TIER_WORDS[remedy.tier]}*")
        lines.append("")
        if remedy.example and re.match(r"\d{3}[ -]", remedy.example):
            lines += ["```", remedy.example, "```", ""]
        elif remedy.example:
            lines += [f"*Seen as:* {remedy.example}", ""]
    lines += [f"- {step}" for step in hint.steps]
    advice = [advice for remedy in remedies for advice in remedy.advice]
    if advice:
        lines += ["", "For the server software it applies to (shown only to that software):", ""]
        lines += [_advice(one) for one in dict.fromkeys(advice)]
    if hint.url:
        lines += ["", f"More: <{hint.url}>"]
    lines.append("")
    return lines


def _advice(advice: Advice) -> str:
    names = " / ".join(PRODUCTS[software].name for software in advice.software)
    steps = " ".join(advice.steps)
    return f"- *For {names}:* {steps} (source: {'; '.join(advice.sources)})"


def _conditions(match: Match) -> str:
    said: list[str] = []
    if match.check is not None:
        said.append(f"check `{match.check}`")
    if match.finding is not None:
        finding = match.finding + "*" if match.finding.endswith(".") else match.finding
        said.append(f"finding `{finding}`")
    if match.codes is not None:
        said.append(_codes(match.codes))
    if match.enhanced is not None:
        codes = (match.enhanced,) if isinstance(match.enhanced, str) else match.enhanced
        said.append("enhanced code " + " or ".join(f"`{code}`" for code in codes))
    if match.text is not None:
        said.append(f"text matches `{match.text}`")
    if match.provider is not None:
        ids = (match.provider,) if isinstance(match.provider, str) else match.provider
        names = [provider.name for provider in map(provider_by_id, ids) if provider is not None]
        said.append("provider " + " or ".join(names))
    if match.encrypted is not None:
        said.append("on an encrypted connection" if match.encrypted else "in clear")
    return ", ".join(said) or "always"


def _codes(codes: tuple[int, ...]) -> str:
    if len(codes) > 3 and codes == tuple(range(codes[0], codes[-1] + 1)):
        return f"reply {codes[0]} to {codes[-1]}"
    return "reply " + " or ".join(str(code) for code in codes)


def _anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


if __name__ == "__main__":
    PAGE.write_text(render())
    sys.stdout.write(f"wrote {PAGE}\n")
