"""A throwaway PKI and an in-process SMTP server, for the demo and for tests.

Nothing here is meant for production: keys live in memory, the certificate authority is
created on the spot and thrown away, and the server listens on loopback only.  The server
needs the optional ``aiosmtpd`` dependency (``pip install smtpdoctor[demo]``), so it is not
imported here; use ``from smtpdoctor.demo.server import LocalSMTPServer``.
"""

from smtpdoctor.demo.pki import ThrowawayPKI, make_pki

__all__ = ["ThrowawayPKI", "make_pki"]
