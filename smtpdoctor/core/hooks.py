"""What a hook implementation speaks: the pluggy markers and the types the hooks pass.

:mod:`smtpdoctor.core.hookspecs` describes the hooks in terms of these names.  They live
apart so that the renderers and the knowledge base can implement hooks without importing the
engine: this module imports only pluggy and :mod:`smtpdoctor.model`, never sockets or TLS.
Plugin authors import them from where the docs show them — ``smtpdoctor.hookimpl``,
``smtpdoctor.render.RenderOptions``, ``smtpdoctor.remedies.HintContext`` — which are these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import pluggy

from smtpdoctor.model.results import Report
from smtpdoctor.model.software import Software
from smtpdoctor.model.words import TLSMode

__all__ = [
    "PROJECT",
    "HintContext",
    "RegisterRenderer",
    "RenderOptions",
    "Renderer",
    "hookimpl",
    "hookspec",
]

#: The pluggy project name; every hook is called ``smtpdoctor_<something>``.
PROJECT = "smtpdoctor"

#: Marks a hook specification (only :mod:`smtpdoctor.core.hookspecs` uses it).
hookspec = pluggy.HookspecMarker(PROJECT)
#: Marks a hook implementation, in smtpdoctor's builtins and in plugins alike.
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True, slots=True)
class HintContext:
    """What hints may depend on besides the result: the server and who runs it.

    The runner builds one per result from the run's configuration and what the session has
    learnt so far.  ``provider`` is a :mod:`smtpdoctor.discovery.providers` id
    (``"gmail"``) or ``None`` when the server was not recognised; ``banner`` is the greeting
    text without its code and ``ehlo_domain`` the domain the server named in its EHLO reply,
    when they were received.  ``software`` is the server software recognised so far
    (:mod:`smtpdoctor.software`), ``None`` when nothing gave it away; ``encrypted`` says
    whether the connection was encrypted when the result was made (so what the server
    offered was seen after STARTTLS, or with TLS from the first byte).
    """

    host: str
    port: int
    tls_mode: TLSMode
    """The concrete mode (never ``AUTO``)."""
    provider: str | None = None
    banner: str | None = None
    ehlo_domain: str | None = None
    software: Software | None = None
    encrypted: bool = False


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """What the command line knows about where the text goes."""

    color: bool = False
    """Whether ANSI colours may be used (a terminal, and ``NO_COLOR`` unset)."""
    width: int = 120
    """The terminal's width in columns."""
    transcript: bool = False
    """Whether ``--transcript`` asked for the SMTP conversation."""


#: A renderer: a pure function from a report to the text to print.
Renderer = Callable[[Report, RenderOptions], str]


class RegisterRenderer(Protocol):
    """The ``register`` callable that ``smtpdoctor_register_renderers`` receives."""

    def __call__(self, name: str, renderer: Renderer, *, description: str = "") -> None:
        """Offer ``renderer`` as ``--format name``."""
