"""Deprecated: the throwaway PKI is :mod:`smtpdoctor.lab.pki` now, shared by the demo and
:mod:`smtpdoctor.testing`; this name still works for one release, with a warning."""

from smtpdoctor._moved import forward

__getattr__ = forward(
    __name__,
    renamed={
        name: ("smtpdoctor.lab.pki", name)
        for name in ("CA_COMMON_NAME", "TEMPDIR_PREFIX", "ThrowawayPKI", "make_pki")
    },
)
