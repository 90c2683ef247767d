"""The provider table through the core API: what ``smtpdoctor providers`` (or any front door)
lists.  Front doors ask here rather than in :mod:`smtpdoctor.discovery`."""

from __future__ import annotations

from smtpdoctor.discovery.providers import Provider, matching_providers


def find_providers(name: str | None = None) -> tuple[Provider, ...]:
    """The entries of the provider table whose id, name, mail domains or hosts contain
    ``name`` (any case); all of them, in table order, when ``name`` is empty or ``None``."""
    return matching_providers(name)
