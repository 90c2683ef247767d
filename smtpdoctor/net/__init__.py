"""The network: sockets and TLS (:mod:`.transport`), the SMTP session over them
(:mod:`.session`), the CA trust store and certificate facts.  The only layer that opens
connections."""
