"""The builtin checks, one module each, registered through ``smtpdoctor_register_checks``.

They run in this order for STARTTLS (``tcp → greeting → ehlo → tls → certificate → auth``)
and in this one for implicit TLS (``tcp → tls → certificate → greeting → ehlo → auth``).
:mod:`~smtpdoctor.checks.relaying` is no check: it holds the rules ``send`` applies before it
calls a server an open relay.
"""
