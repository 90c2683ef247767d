"""Local servers and a throwaway PKI, for the demo and for tests.

* :mod:`smtpdoctor.lab.pki` — a certificate authority made on the spot, and the server
  certificates it signs (:func:`~smtpdoctor.lab.pki.make_pki`,
  :func:`~smtpdoctor.lab.pki.make_ca`); needs only :mod:`cryptography`;
* :mod:`smtpdoctor.lab.smtpserver` — the one full SMTP server,
  :class:`~smtpdoctor.lab.smtpserver.LocalSMTPServer`, on :mod:`aiosmtpd` (the optional
  dependency of the ``demo`` and ``test`` extras, so it is not imported here);
* :mod:`smtpdoctor.lab.scripted` — the one raw server, which plays bytes per connection, for
  servers that break SMTP in a precise way.

``smtpdoctor.demo`` and the pytest plugin ``smtpdoctor.testing`` are both built on these;
nothing here imports pytest.  Nothing is meant for production: keys live in memory and every
server listens on loopback only.
"""
