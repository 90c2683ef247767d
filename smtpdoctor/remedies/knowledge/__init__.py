"""The knowledge base: what to do about each finding and reply, as data.

Entries are grouped in :data:`SECTIONS` — one per provider, and a few generic topics — which
``docs/hints.md`` follows.  :data:`KNOWLEDGE_BASE` is all of them, in display order: a result
shows the hints of the most specific :class:`~smtpdoctor.remedies.Tier` that matches it.
Facts come from RFC 5321/3207/4954/3463 and from the providers' own documentation.
"""

from __future__ import annotations

from smtpdoctor.remedies.knowledge import (
    auth,
    authentication,
    connection,
    esp,
    generic,
    gmail,
    mailboxes,
    microsoft,
    pool,
    providers,
    relaying,
    tls,
)
from smtpdoctor.remedies.matcher import Remedy, Section

SECTIONS: tuple[Section, ...] = (
    *gmail.SECTIONS,
    *microsoft.SECTIONS,
    *mailboxes.SECTIONS,
    *providers.SECTIONS,
    *esp.SECTIONS,
    *connection.SECTIONS,
    *tls.SECTIONS,
    *auth.SECTIONS,
    *relaying.SECTIONS,
    *authentication.SECTIONS,
    *pool.SECTIONS,
    *generic.SECTIONS,
)

KNOWLEDGE_BASE: tuple[Remedy, ...] = tuple(
    remedy for section in SECTIONS for remedy in section.remedies
)
