"""The whole provider table, in display order: the established entries, then mailbox
providers by region, sending services and hosting companies."""

from __future__ import annotations

from smtpdoctor.discovery.providers.americas import AMERICAS
from smtpdoctor.discovery.providers.asia import ASIA
from smtpdoctor.discovery.providers.established import ESTABLISHED
from smtpdoctor.discovery.providers.europe import EUROPE
from smtpdoctor.discovery.providers.hosting import HOSTING
from smtpdoctor.discovery.providers.model import Provider
from smtpdoctor.discovery.providers.sending import SENDING

PROVIDERS: tuple[Provider, ...] = (*ESTABLISHED, *EUROPE, *ASIA, *AMERICAS, *SENDING, *HOSTING)
