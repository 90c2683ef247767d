"""Helpers for writing down where a fact of the provider table comes from.

:data:`CHECKED` is the day the stored copies behind the table were read; a copy that shows a
date of its own keeps it in :attr:`~smtpdoctor.discovery.providers.model.Source.dated`.
"""

from __future__ import annotations

from datetime import date

from smtpdoctor.discovery.providers.model import Fact, Source

#: The day the sources of the table were last read.
CHECKED = date(2026, 12, 3)

ALL_BASICS = (Fact.ENDPOINTS, Fact.USERNAME, Fact.CREDENTIAL, Fact.MAIL_DOMAINS)
"""The facts a Thunderbird ISPDB file states for a mailbox provider: hosts, ports, TLS, the
user-name form, the password kind and the provider's domains."""


def ispdb(path: str, commit: str) -> str:
    """The address of one file of Thunderbird's ISPDB (``thunderbird/autoconfig``) at the
    commit that was read."""
    return github("thunderbird/autoconfig", commit, f"ispdb/{path}")


def github(repo: str, commit: str, path: str) -> str:
    """The address of a repository file at the commit that was read."""
    return f"https://github.com/{repo}/blob/{commit}/{path}"


def cite(url: str, *facts: Fact, dated: date | None = None) -> tuple[Source, ...]:
    """One source for each of ``facts``, read from ``url`` on :data:`CHECKED`."""
    return tuple(Source(fact, url, CHECKED, dated) for fact in facts)
