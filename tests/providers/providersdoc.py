"""Writes ``docs/providers.md`` from the provider table (and, last, the table of clouds: where
smtpdoctor runs), so the page can never drift from the data:
``.venv/bin/python tests/providers/providersdoc.py``."""

from __future__ import annotations

from pathlib import Path

from smtpdoctor.discovery.environment import CLOUDS, Cloud, policy_groups
from smtpdoctor.discovery.providers import PROVIDERS, Kind, Provider
from smtpdoctor.model.environment import policy_sentence
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
    parts.append(environment_section())
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


ENVIRONMENT_INTRO = """\
## Where smtpdoctor runs

While planning, smtpdoctor reads this machine's firmware identification (`/sys/class/dmi/id/*`,
`/sys/hypervisor/uuid`) without network traffic and recognises the clouds below; the report's
heading names the one it runs on, and a port that times out there and that the cloud is known
to block is named so (`tcp.blocked-by-<id>`).  A policy known only from an uncertain
secondary source is marked *unconfirmed*; one that could not be sourced is left out.
"""


def environment_section() -> str:
    """The section, one entry per cloud."""
    return "\n".join([ENVIRONMENT_INTRO, *(_cloud_entry(cloud) for cloud in CLOUDS)])


def _cloud_entry(cloud: Cloud) -> str:
    lines = [f"#### {cloud.name} (`{cloud.id}`)\n"]
    markers = "; ".join(
        f"{marker.evidence} {'starts with' if marker.prefix else 'is'} `{marker.value}`"
        for marker in cloud.markers
    )
    lines.append(f"- Recognised when: {markers}")
    for group in policy_groups(cloud.policies):
        lines.append(f"- Outbound: {policy_sentence(cloud.name, group)}. {group[0].advice}")
    lines += [f"- Note: {note}" for note in dict.fromkeys(p.note for p in cloud.policies) if note]
    if cloud.note:
        lines.append(f"- Note: {cloud.note}")
    if cloud.policies:
        checked = min(policy.checked for policy in cloud.policies).isoformat()
        lines.append(f"- Checked {checked}; sources:")
        sources = dict.fromkeys(s for policy in cloud.policies for s in policy.sources)
        lines += [f"  - <{url}> (outbound policy)" for url in sources]
    else:
        lines.append("- Sources:")
    identification = dict.fromkeys(marker.source for marker in cloud.markers)
    lines += [f"  - <{url}> (identification)" for url in identification]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    PAGE.write_text(render())
