"""``smtpdoctor demo``: a real check against a real local server, with a throwaway PKI.

The server and the PKI are :mod:`smtpdoctor.lab`'s; the server needs the optional
``aiosmtpd`` dependency (``pip install smtpdoctor[demo]``).  :mod:`smtpdoctor.demo.walkthrough`
is the demo itself.
"""
