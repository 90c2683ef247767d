"""Deprecated since 0.2: see :mod:`smtpdoctor.core.hookspecs` (``hookimpl`` is in
:mod:`smtpdoctor`)."""

from smtpdoctor._moved import forward

__getattr__ = forward(__name__, "smtpdoctor.core.hookspecs")
