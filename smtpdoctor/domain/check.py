"""Domain checks: what a plugin subclasses to add a section to ``smtpdoctor domain``.

A domain check looks at DNS, HTTPS or the MX servers of one domain and returns rows
(:class:`~smtpdoctor.model.results.Outcome`), each naming one of the findings it declares::

    from smtpdoctor import hookimpl
    from smtpdoctor.domain import DomainCheck, DomainContext, Finding
    from smtpdoctor.model.results import Hint, Status

    CAA_MISSING = Finding("caa.missing", Status.INFO, "No CAA record",
                          Hint("Publish a CAA record naming your CA"))
    CAA_FOUND = Finding("caa.found", Status.PASS, "CAA records published")

    class CAA(DomainCheck):
        id = "caa"
        title = "CAA"
        findings = (CAA_MISSING, CAA_FOUND)

        def run(self, ctx: DomainContext):
            answer = ctx.dns.query(ctx.domain, "CAA")
            if not answer.found:
                return [CAA_MISSING.outcome(f"no CAA record: {answer.explanation}")]
            return [CAA_FOUND.outcome(", ".join(r.to_text() for r in answer.records))]

    @hookimpl
    def smtpdoctor_register_domain_checks(register):
        register(CAA)
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from smtpdoctor.core.check import Stash
from smtpdoctor.domain.request import DomainRequest
from smtpdoctor.mailauth.dns import DomainDNS
from smtpdoctor.model.domain import Finding, SectionResult
from smtpdoctor.model.results import Outcome

if TYPE_CHECKING:
    from smtpdoctor.api.doctor import Doctor


@dataclass(frozen=True, slots=True)
class DomainContext:
    """What a domain check may use: the request, the audit's one resolver, the deadline, the
    sections finished before it (read-only) and the stash the checks share."""

    request: DomainRequest
    dns: DomainDNS
    deadline_at: float
    """The audit's deadline, in ``time.monotonic()`` seconds."""
    sections: Mapping[str, SectionResult]
    """The sections finished before this check started (read-only)."""
    stash: Stash
    doctor: Doctor
    """The SMTP doctor (plugins loaded once) for probing a server with the ``check``
    pipeline."""
    disabled: frozenset[str] = frozenset()
    """What ``--disable`` named: plugin names and check ids (a probe with the ``check``
    pipeline skips the ones that are its checks)."""

    @property
    def domain(self) -> str:
        """The domain audited: lower-case ASCII, no trailing dot."""
        return self.request.name

    def remaining(self) -> float:
        """Seconds left before the audit's deadline (0 when it passed)."""
        return max(0.0, self.deadline_at - time.monotonic())


class DomainCheck(ABC):
    """Base class of every domain check (builtin or plugin); instantiated once per audit."""

    #: Stable identifier: lower-case letters, digits and hyphens (``"mta-sts"``).
    id: ClassVar[str]
    #: The section's title (``"MTA-STS"``).
    title: ClassVar[str]
    #: Ids of the domain checks that must finish before this one starts (it reads what they
    #: put in the stash or their sections).  Checks with nothing between them run at once.
    requires: ClassVar[tuple[str, ...]] = ()
    #: Every finding :meth:`run` can return.  A row with another finding becomes an ERROR row.
    findings: ClassVar[tuple[Finding, ...]] = ()

    @classmethod
    def applies(cls, request: DomainRequest) -> bool:
        """Whether this check takes part in this audit (``dkim`` needs a selector …)."""
        return True

    @abstractmethod
    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        """Look and return one or more rows, each made with a declared
        :meth:`Finding.outcome`.  Raise nothing on purpose: an exception becomes an ERROR row
        (a bug), while everything the *domain* does wrong is a WARN or FAIL row."""


#: What the ``smtpdoctor_register_domain_checks`` hook is called with.
RegisterDomainCheck = Callable[[type[DomainCheck]], None]
