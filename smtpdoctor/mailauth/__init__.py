"""Mail authentication, as receivers judge it: SPF (RFC 7208), DMARC (RFC 7489), DKIM keys
(RFC 6376), and the one DNS resolver their look-ups go through.

Shared by ``smtpdoctor domain`` (which audits a domain's records) and the ``authentication``
check of ``check --send-to … --verify-imap`` (which verifies a delivered message); so it sits
below both, and knows nothing of either.
"""
