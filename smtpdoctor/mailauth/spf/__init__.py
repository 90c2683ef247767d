"""SPF (RFC 7208): the record syntax, macros, and ``check_host()`` — our own evaluator.

Every DNS question goes through the resolver given (the audit's one resolver, so
``--dns-server``, ``--timeout`` and the deadline hold)::

    >>> from smtpdoctor.mailauth.spf import check_host
    >>> result = check_host(dns, "192.0.2.1", "example.com", "postmaster@example.com",
    ...                     helo="example.com")                     # doctest: +SKIP
    >>> result.verdict, result.mechanism                            # doctest: +SKIP
    (<SPFVerdict.PASS: 'pass'>, 'ip4:192.0.2.0/24')

:func:`walk` counts, without an IP address, what every evaluation of a domain's record would
cost: DNS look-ups per include, void look-ups, broken includes and loops.
"""

from smtpdoctor.mailauth.spf.evaluate import (
    MAX_LOOKUPS,
    MAX_VOID_LOOKUPS,
    Followed,
    RecordLookup,
    SPFResolver,
    SPFResult,
    SPFVerdict,
    check_host,
    find_record,
    valid_domain,
)
from smtpdoctor.mailauth.spf.macros import MacroSyntaxError, parse_macro_string
from smtpdoctor.mailauth.spf.record import (
    MAX_RECORD_CHARS,
    Kind,
    Mechanism,
    Qualifier,
    SPFRecord,
    SPFSyntaxError,
    is_spf_record,
    parse_record,
)
from smtpdoctor.mailauth.spf.walk import Branch, SPFWalk, walk

__all__ = [
    "MAX_LOOKUPS",
    "MAX_RECORD_CHARS",
    "MAX_VOID_LOOKUPS",
    "Branch",
    "Followed",
    "Kind",
    "MacroSyntaxError",
    "Mechanism",
    "Qualifier",
    "RecordLookup",
    "SPFRecord",
    "SPFResolver",
    "SPFResult",
    "SPFSyntaxError",
    "SPFVerdict",
    "SPFWalk",
    "check_host",
    "find_record",
    "is_spf_record",
    "parse_macro_string",
    "parse_record",
    "valid_domain",
    "walk",
]
