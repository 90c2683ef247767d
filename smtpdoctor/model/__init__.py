"""The shared words of smtpdoctor: TLS modes, endpoints, exit codes, statuses and results.

Everything here is plain data and imports nothing but the standard library (and
:mod:`smtpdoctor.protocol` for reply types), so every layer may use it.
"""
