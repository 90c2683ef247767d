"""The public API for writing a check: :class:`Check`, :class:`CheckContext` and the stash.

A check is a class with an ``id``, a ``title``, the ids it ``requires``, and a ``run`` method
that looks at the shared session and returns an :class:`~smtpdoctor.model.results.Outcome`.  Builtin
checks and third-party checks are written — and registered — exactly the same way::

    from smtpdoctor import Check, CheckContext, Outcome, Status, hookimpl

    class BannerMentionsHost(Check):
        id = "banner-host"
        title = "Banner names the host"
        requires = ("greeting",)
        findings = ("banner-host.missing",)

        def run(self, ctx: CheckContext) -> Outcome:
            greeting = ctx.session.greeting
            assert greeting is not None  # guaranteed: "greeting" passed
            if ctx.config.host in greeting.text:
                return Outcome(Status.PASS, "the banner names the host")
            return Outcome(
                Status.WARN,
                f"the banner does not name {ctx.config.host}",
                finding="banner-host.missing",
            )

    @hookimpl
    def smtpdoctor_register_checks(register):
        register(BannerMentionsHost)
"""

from __future__ import annotations

import enum
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast

from smtpdoctor.model.results import CheckResult, DetailValue, Hint, Outcome, Status
from smtpdoctor.net.session import Session
from smtpdoctor.protocol import Reply
from smtpdoctor.settings.config import RunConfig

T = TypeVar("T")
CHECK_ID = re.compile(r"[a-z][a-z0-9-]*")


class StashKey(Generic[T]):
    """A typed key into the :class:`Stash`; create one per kind of value, at module level."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"StashKey({self.name!r})"


@dataclass(slots=True)
class Stash:
    """Typed storage that checks of one run share (like pytest's ``Stash``)."""

    _values: dict[StashKey[Any], object] = field(default_factory=dict)

    def __setitem__(self, key: StashKey[T], value: T) -> None:
        self._values[key] = value

    def __getitem__(self, key: StashKey[T]) -> T:
        return cast(T, self._values[key])

    def get(self, key: StashKey[T], default: T | None = None) -> T | None:
        """The value for ``key``, or ``default``."""
        return cast(T | None, self._values.get(key, default))

    def __contains__(self, key: StashKey[Any]) -> bool:
        return key in self._values


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may use: the run's config, the shared session, earlier results and the
    stash.  ``results`` is read-only and holds every check that finished before this one."""

    config: RunConfig
    session: Session
    results: Mapping[str, CheckResult]
    stash: Stash


class Check(ABC):
    """Base class of every check.  Subclasses set the class attributes and implement
    :meth:`run`; they are instantiated once per run."""

    #: Stable identifier: lower-case letters, digits and hyphens (``"starttls"``).
    id: ClassVar[str]
    #: A short title for the table (``"STARTTLS handshake"``).
    title: ClassVar[str]
    #: Ids of the checks that must have passed (PASS, WARN or INFO) before this one runs.
    requires: ClassVar[tuple[str, ...]] = ()
    #: Every finding :meth:`run` can return, as absolute dotted ids, usually starting with the
    #: check's id (``("size-limit.unknown", "size-limit.too-small")``).  The runner's
    #: own findings (:class:`StepFailure`, :data:`CHECK_CRASHED`) need not be listed:
    #: :func:`findings_of` adds them.  Empty means *not declared*: any finding is accepted, as
    #: for checks written before this attribute existed.  A check that declares its findings
    #: and returns another one is a bug, and the runner turns that result into an ERROR row
    #: (:data:`UNDECLARED_FINDING`).
    findings: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def dependencies(cls, config: RunConfig) -> tuple[str, ...]:
        """The ids this check needs *for this run*; defaults to :attr:`requires`.

        Override when the order depends on the configuration — e.g. with implicit TLS the
        handshake comes before the greeting, with STARTTLS after EHLO.
        """
        return cls.requires

    @classmethod
    def applies(cls, config: RunConfig) -> bool:
        """Whether this check takes part in this run at all; defaults to True.

        An opt-in check (the test send, an active probe) returns False unless the run asks for
        it: it then has no row in the report, and neither has any check that depends on it.
        """
        return True

    @abstractmethod
    def run(self, ctx: CheckContext) -> Outcome:
        """Look at the server and return the verdict.  Raise nothing on purpose: exceptions
        become an ERROR row (a bug), while everything the *server* does wrong is a FAIL."""


def reply_outcome(
    status: Status,
    summary: str,
    reply: Reply,
    *,
    finding: str | None = None,
    details: Mapping[str, DetailValue] | None = None,
    hints: tuple[Hint, ...] = (),
) -> Outcome:
    """An :class:`Outcome` decided by ``reply``: its code, enhanced code and text are carried
    along so the knowledge base and plugins can match on them."""
    enhanced = reply.enhanced
    return Outcome(
        status,
        summary,
        details=details or {},
        finding=finding,
        reply_code=reply.code,
        enhanced_code=str(enhanced) if enhanced else None,
        reply_text=reply.text,
        hints=hints,
    )


class StepFailure(enum.StrEnum):
    """How the network or the server broke a step of any check: the runner reports it as a
    FAIL with the finding ``<check id>.<value>`` (``"ehlo.timeout"``), see :meth:`finding`."""

    TIMEOUT = "timeout"
    """The step took longer than its timeout, or the run's deadline passed."""
    CONNECTION_LOST = "connection-lost"
    """The server closed or reset the connection during the step."""
    NETWORK_ERROR = "network-error"
    """Another network error during the step."""
    PROTOCOL_ERROR = "protocol-error"
    """The server sent something that is not SMTP."""

    def finding(self, check: type[Check]) -> str:
        """This failure's finding for ``check``: ``"<check id>.<value>"``."""
        return f"{check.id}.{self.value}"


#: The finding of the ERROR row for a check that raised an exception (a bug in the check).
CHECK_CRASHED = "check.crashed"
#: The finding of the ERROR row for a check that returned a finding it does not declare in
#: :attr:`Check.findings` (a bug in the check).
UNDECLARED_FINDING = "check.undeclared-finding"


def findings_of(check: type[Check]) -> tuple[str, ...]:
    """Every finding a result of ``check`` can carry, without repeats: those it declares in
    :attr:`Check.findings`, then the runner's — one per :class:`StepFailure`,
    :data:`CHECK_CRASHED` and :data:`UNDECLARED_FINDING`.

    For a check that declares nothing this is only the runner's part: such a check may return
    any finding.
    """
    runner = (*(failure.finding(check) for failure in StepFailure), CHECK_CRASHED)
    return tuple(dict.fromkeys((*check.findings, *runner, UNDECLARED_FINDING)))


#: The ``register`` callable that ``smtpdoctor_register_checks`` receives.
RegisterCheck = Callable[[type[Check]], None]
