"""Deprecated since 0.2: see :mod:`smtpdoctor.model.results` and :mod:`smtpdoctor.model.words`
(or import the names from :mod:`smtpdoctor`)."""

from smtpdoctor._moved import forward

__getattr__ = forward(__name__, "smtpdoctor.model.words", "smtpdoctor.model.results")
