"""The provider table for ``smtpdoctor providers`` and ``docs/providers.md``: pure functions
from entries of :mod:`smtpdoctor.discovery.providers` to data and text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smtpdoctor.discovery.providers import Provider, Source


def provider_data(provider: Provider) -> dict[str, Any]:
    """Every fact of ``provider``, and where each comes from, as JSON-ready data."""
    return {
        "id": provider.id,
        "name": provider.name,
        "kind": provider.kind.value,
        "region": provider.region,
        "submission_host": provider.submission_host,
        "endpoints": [
            {"port": endpoint.port, "tls": endpoint.tls.value} for endpoint in provider.endpoints
        ],
        "username": provider.username,
        "credential": provider.credential.value,
        "auth_note": provider.auth_note,
        "switches": [
            {"name": switch.name, "where": switch.where, "url": switch.url}
            for switch in provider.switches
        ],
        "refusals": [
            {
                "check": refusal.check,
                "code": refusal.code,
                "enhanced": refusal.enhanced,
                "text": refusal.text,
                "example": refusal.example,
                "means": refusal.means,
            }
            for refusal in provider.refusals
        ],
        "mail_domains": list(provider.mail_domains),
        "mx_suffixes": list(provider.mx_suffixes),
        "host_suffixes": list(provider.host_suffixes),
        "banner_patterns": list(provider.banner_patterns),
        "docs_url": provider.docs_url,
        "notes": list(provider.notes),
        "checked": provider.checked.isoformat() if provider.checked else None,
        "sources": [_source(source) for source in provider.sources],
    }


def provider_rows(providers: Sequence[Provider]) -> list[list[str]]:
    """One row per provider for a people's table: name (id), kind and region, submission
    endpoints, login, switches, checked."""
    return [
        [
            f"{provider.name}\n({provider.id})",
            f"{provider.kind.value}\n{provider.region}",
            endpoints(provider),
            f"{provider.credential.value}; user: {login(provider)}",
            "\n".join(f"- {switch.name}" for switch in provider.switches) or "-",
            provider.checked.isoformat() if provider.checked else "?",
        ]
        for provider in providers
    ]


#: The headers of :func:`provider_rows`.
HEADERS = ("Provider", "Kind", "Submission", "Login", "Switches", "Checked")


def render_providers_json(providers: Sequence[Provider]) -> str:
    """The JSON document: ``{"providers": [...]}``, every fact with its source and date."""
    import json

    return json.dumps({"providers": [provider_data(p) for p in providers]}, indent=2)


def render_providers(providers: Sequence[Provider], width: int) -> str:
    """The table for people, fitted to ``width`` columns."""
    from smtpdoctor.render.table import fit_table

    if not providers:
        return "No provider matches."
    return fit_table(HEADERS, provider_rows(providers), width)


def endpoints(provider: Provider) -> str:
    """``smtp.gmail.com 465 implicit, 587 starttls``."""
    ports = ", ".join(f"{e.port} {e.tls.value}" for e in provider.endpoints)
    return f"{provider.submission_host} {ports}"


def login(provider: Provider) -> str:
    """The user-name form in words."""
    forms = {"address": "full address", "local-part": "part before @"}
    return forms.get(provider.username, provider.username)


def _source(source: Source) -> dict[str, Any]:
    return {
        "fact": source.fact.value,
        "url": source.url,
        "checked": source.checked.isoformat(),
        "dated": source.dated.isoformat() if source.dated else None,
    }
