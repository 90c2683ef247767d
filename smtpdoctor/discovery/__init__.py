"""Finding the submission server behind what people type: DNS look-ups and the domain rules.

* :mod:`smtpdoctor.net.resolver` asks DNS (with dnspython) for MX, SRV and address
  records, each query bounded in time, every failure told apart and put in words;
* :mod:`smtpdoctor.discovery.domain` turns a mail domain's records into submission-server
  candidates the way mail clients do: the provider table, the provider behind the MX, RFC 6186
  SRV records, then guessed ``smtp.``/``mail.`` hosts.

:mod:`smtpdoctor.discovery.targets` decides what a typed target is and uses both.
"""
