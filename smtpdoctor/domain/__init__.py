"""``smtpdoctor domain DOMAIN``: the mail security and deliverability of a domain.

MX records and their servers on port 25, MTA-STS, TLS-RPT, DANE, SPF, DMARC, DKIM and what
Gmail and Yahoo require of bulk senders — each a *domain check* (a pluggy plugin, builtin or
third party; :class:`DomainCheck`), every DNS question through one resolver
(:class:`DomainDNS`), every result typed and frozen (:class:`DomainReport`)::

    >>> from smtpdoctor.domain import DomainDoctor, DomainRequest
    >>> report = DomainDoctor().run(DomainRequest("example.com"))   # doctest: +SKIP
    >>> report.section("spf").status                                # doctest: +SKIP
    <Status.PASS: 'pass'>

``docs/domain.md`` lists every finding and its hint.
"""

from smtpdoctor.domain.check import DomainCheck, DomainContext, RegisterDomainCheck
from smtpdoctor.domain.doctor import DOMAIN_BUILTINS, DomainDoctor, collect_domain_checks
from smtpdoctor.domain.request import DomainRequest, normalise_domain
from smtpdoctor.mailauth.dns import DomainDNS
from smtpdoctor.model.domain import DomainReport, Finding, SectionResult, worst_status

__all__ = [
    "DOMAIN_BUILTINS",
    "DomainCheck",
    "DomainContext",
    "DomainDNS",
    "DomainDoctor",
    "DomainReport",
    "DomainRequest",
    "Finding",
    "RegisterDomainCheck",
    "SectionResult",
    "collect_domain_checks",
    "normalise_domain",
    "worst_status",
]
