"""The demo's mail server: the lab's aiosmtpd server, which the walkthrough configures.

It needs the optional ``aiosmtpd`` dependency (``pip install smtpdoctor[demo]``); see
:class:`smtpdoctor.lab.smtpserver.LocalSMTPServer` for what it speaks and records.
"""

from smtpdoctor.lab.smtpserver import CapturedMessage, LocalSMTPServer

__all__ = ["CapturedMessage", "LocalSMTPServer"]
