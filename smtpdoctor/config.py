"""Deprecated since 0.2: see :mod:`smtpdoctor.settings.config`, :mod:`smtpdoctor.model.words` and
:mod:`smtpdoctor.model.credentials` (or import the names from :mod:`smtpdoctor`)."""

from smtpdoctor._moved import forward

__getattr__ = forward(
    __name__,
    "smtpdoctor.model.words",
    "smtpdoctor.model.credentials",
    "smtpdoctor.settings.config",
    renamed={"Probe": ("smtpdoctor.model.words", "Endpoint")},
)
