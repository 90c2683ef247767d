"""Mail providers smtpdoctor knows: where they take mail, how to log in, which account
switches must be on, and how to spot them — every fact with its source and the day it was
checked.

Pure data and look-ups; nothing here touches the network.  The entries live in modules by
kind and region (:mod:`~smtpdoctor.discovery.providers.established`, ``europe``, ``asia``,
``americas``, ``sending``, ``hosting``), their shape in
:mod:`~smtpdoctor.discovery.providers.model` and the look-ups in
:mod:`~smtpdoctor.discovery.providers.lookup`; this package offers all of them under one
name.  ``smtpdoctor providers`` lists the table and ``docs/providers.md`` is generated from it.
"""

from __future__ import annotations

from smtpdoctor.discovery.providers.lookup import (
    SUGGESTION_CUTOFF,
    Recognition,
    closest_submission_host,
    detect_provider,
    matching_providers,
    provider_by_id,
    provider_for_mail_domain,
    provider_for_mx,
    recognise,
    recognised_by_mail_domain,
    recognised_by_mx,
)
from smtpdoctor.discovery.providers.model import (
    USERNAME_ADDRESS,
    USERNAME_LOCAL_PART,
    Credential,
    Fact,
    Kind,
    Provider,
    Refusal,
    Source,
    Switch,
)
from smtpdoctor.discovery.providers.sourcing import CHECKED
from smtpdoctor.discovery.providers.table import PROVIDERS

__all__ = [
    "CHECKED",
    "PROVIDERS",
    "SUGGESTION_CUTOFF",
    "USERNAME_ADDRESS",
    "USERNAME_LOCAL_PART",
    "Credential",
    "Fact",
    "Kind",
    "Provider",
    "Recognition",
    "Refusal",
    "Source",
    "Switch",
    "closest_submission_host",
    "detect_provider",
    "matching_providers",
    "provider_by_id",
    "provider_for_mail_domain",
    "provider_for_mx",
    "recognise",
    "recognised_by_mail_domain",
    "recognised_by_mx",
]
