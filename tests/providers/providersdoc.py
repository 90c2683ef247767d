"""Writes ``docs/providers.md`` from the provider table, so the page can never drift from the
data: ``.venv/bin/python tests/providers/providersdoc.py``."""

from __future__ import annotations

from pathlib import Path

from smtpdoctor.discovery.providers import PROVIDERS, Kind, Provider
from smtpdoctor.render.providers import endpoints, login

PAGE = Path(__file__).resolve().parents[2] / "docs" / "providers.md"

INTRO = """\
# Providers: the table smtpdoctor knows

Generated from `smtpdoctor.discovery.providers` by `tests/providers/providersdoc.py` — do not
edit by hand.  `smtpdoctor providers [NAME]` shows the same table (`--format json` with every
fact and its source).

Every fact carries the page or repository file it was read from and the day it was checked;
a fact that could not be sourced is left out.  smtpdoctor recognises a provider by the typed
address's mail domain, by the MX of a custom domain, by the server's host name, by the names
in its certificate, by the domain in its EHLO reply and by its greeting, and says which
(`Provider: Gmail / Google Workspace (recognised by MX aspmx.l.google.com)`).  A hint about
a provider whose facts were checked more than a year ago says when they were checked.
"""

_KIND_TITLES = {
    Kind.MAILBOX: "Mailbox providers",
    Kind.SENDING: "Sending services",
    Kind.HOSTING: "Hosting companies",
}


def render() -> str:
    """The whole page."""
    parts = [INTRO]
    counts = ", ".join(
        f"{sum(p.kind is kind for p in PROVIDERS)} {title.lower()}"
        for kind, title in _KIND_TITLES.items()
    )
    parts.append(f"{len(PROVIDERS)} entries: {counts}.\n")
    for kind, title in _KIND_TITLES.items():
        parts.append(f"## {title}\n")
        members = [p for p in PROVIDERS if p.kind is kind]
        regions = sorted({p.region for p in members}, key=lambda r: (r == "global", r))
        for region in regions:
            if len(regions) > 1:
                parts.append(f"### {region}\n")
            parts.extend(_entry(p) for p in members if p.region == region)
    return "\n".join(parts)


def _entry(provider: Provider) -> str:
    lines = [
        f"#### {provider.name} (`{provider.id}`)\n",
        f"- Submission: {endpoints(provider)}",
        f"- Login: user name {login(provider)}; password: {provider.credential.value} "
        f"({provider.auth_note})",
    ]
    if provider.mail_domains:
        lines.append(f"- Mail domains: {', '.join(provider.mail_domains)}")
    if provider.mx_suffixes:
        lines.append(f"- Recognised by MX: {', '.join(provider.mx_suffixes)}")
    lines += [f"- Switch: **{s.name}** — {s.where}" for s in provider.switches]
    lines += [f"- Known refusal: `{r.example}` — {r.means}" for r in provider.refusals]
    lines += [f"- Note: {note}" for note in provider.notes]
    by_url: dict[str, list[str]] = {}
    for source in provider.sources:
        by_url.setdefault(source.url, []).append(source.fact.value)
    checked = provider.checked.isoformat() if provider.checked else "?"
    lines.append(f"- Checked {checked}; sources:")
    lines += [f"  - <{url}> ({', '.join(facts)})" for url, facts in by_url.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    PAGE.write_text(render())
