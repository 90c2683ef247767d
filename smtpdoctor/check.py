"""Deprecated since 0.2: see :mod:`smtpdoctor.core.check` (or import the names from
:mod:`smtpdoctor`)."""

from smtpdoctor._moved import forward

__getattr__ = forward(__name__, "smtpdoctor.core.check")
