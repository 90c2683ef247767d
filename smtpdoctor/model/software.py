"""The server software a run recognised: a fact about the server, like its provider."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Software:
    """The software that runs the server, as far as what it said gives it away.

    ``evidence`` says how it was recognised, in words a person can check against the
    transcript (``greeting: ESMTP Exim 4.96``); ``version`` is there only when the server
    showed it.  ``id`` is the stable name hints match on (``"exim"``); ``family`` lists the
    other ids whose advice applies too (a cPanel host runs Exim: ``("exim",)``).
    """

    name: str
    version: str | None
    evidence: str
    id: str
    family: tuple[str, ...] = ()

    def is_one_of(self, ids: tuple[str, ...]) -> bool:
        """Whether advice written for any of ``ids`` applies to this software."""
        return self.id in ids or any(member in ids for member in self.family)

    def describe(self) -> str:
        """``Exim 4.96``, or the name alone when no version showed."""
        return f"{self.name} {self.version}" if self.version else self.name
