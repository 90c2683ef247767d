"""The public API for writing a check: :class:`Check`, :class:`CheckContext` and the stash.

A check is a class with an ``id``, a ``title``, the ids it ``requires``, and a ``run`` method
that looks at the shared session and returns an :class:`~smtpdoctor.model.results.Outcome`.  Builtin
checks and third-party checks are written — and registered — exactly the same way::

    from smtpdoctor import Check, CheckContext, Outcome, Status, hookimpl

    class BannerMentionsHost(Check):
        id = "banner-host"
        title = "Banner names the host"
        requires = ("greeting",)

        def run(self, ctx: CheckContext) -> Outcome:
            greeting = ctx.session.greeting
            assert greeting is not None  # guaranteed: "greeting" passed
            if ctx.config.host in greeting.text:
                return Outcome(Status.PASS, "the banner names the host")
            return Outcome(Status.WARN, f"the banner does not name {ctx.config.host}")

    @hookimpl
    def smtpdoctor_register_checks(register):
        register(BannerMentionsHost)
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast

from smtpdoctor.core.config import RunConfig
from smtpdoctor.model.results import CheckResult, DetailValue, Hint, Outcome, Status
from smtpdoctor.net.session import Session
from smtpdoctor.protocol import Reply

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


#: The ``register`` callable that ``smtpdoctor_register_checks`` receives.
RegisterCheck = Callable[[type[Check]], None]
