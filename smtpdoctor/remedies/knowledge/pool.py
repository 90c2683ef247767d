"""Pools: one name, several servers (``check --all-addresses``) — what to do when they differ.

Every hint starts from the same fact: a client resolves the name and takes one address, at
random or in DNS order, so a member that differs makes the service fail for some clients,
some of the time — the failure that is hardest to reproduce.
"""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

_RECHECK = (
    "Check again after the fix: smtpdoctor check NAME:PORT --all-addresses (the JSON, "
    "--format json, has each member's full report)."
)
_ONE_SOURCE = (
    "Deploy every member from one configuration source (configuration management, one image) "
    "so they cannot drift apart."
)

SECTIONS: tuple[Section, ...] = (
    Section(
        "Pools: one name, several servers",
        (),
        (
            Remedy(
                Match(check="pool", finding="pool.unreachable-members"),
                Hint(
                    "Some addresses of the pool do not answer",
                    (
                        "Clients that get a dead address wait for their connect timeout, then "
                        "try the next address or give up: mail is slow or fails for some of "
                        "them, some of the time.",
                        "Start (or repair) the service on that member, or take its address "
                        "out of DNS (its A/AAAA record) or out of the load balancer until it "
                        "is back.",
                        "A refusal means nothing listens there; a time-out, a firewall that "
                        "drops the connection (a rule that reached only some members?).",
                        _RECHECK,
                    ),
                ),
                Tier.FINDING,
                "one of three addresses refuses the connection",
            ),
            Remedy(
                Match(check="pool", finding="pool.starttls-differs"),
                Hint(
                    "Not every pool member offers STARTTLS",
                    (
                        "Clients that require TLS fail on the member without it; the others "
                        "send mail and passwords in clear there — which one happens depends "
                        "on the address they got.",
                        "Turn STARTTLS on on that member with the same certificate and key "
                        "as the others (Postfix: smtpd_tls_security_level = may, "
                        "smtpd_tls_chain_files), or take it out of the pool.",
                        "A member that offers STARTTLS only now and then is often a firewall "
                        "or proxy in front of it stripping the keyword.",
                        _ONE_SOURCE,
                        _RECHECK,
                    ),
                ),
                Tier.FINDING,
                "STARTTLS in the EHLO reply of two members, not of the third",
            ),
            Remedy(
                Match(check="pool", finding="pool.tls-differs"),
                Hint(
                    "Pool members negotiate different TLS versions",
                    (
                        "Clients that need the newer version fail on the older member; an "
                        "old TLS library or a protocol setting left behind on one node is "
                        "the usual cause.",
                        "Give every member the same TLS settings (Postfix: "
                        "smtpd_tls_protocols and smtpd_tls_mandatory_protocols) and an "
                        "up-to-date OpenSSL.",
                        _ONE_SOURCE,
                        _RECHECK,
                    ),
                ),
                Tier.FINDING,
                "TLSv1.3 on two members, TLSv1.2 on the third",
            ),
            Remedy(
                Match(check="pool", finding="pool.certificate-differs"),
                Hint(
                    "Pool members serve different certificates",
                    (
                        "Usually a renewal that reached only some members: the others keep "
                        "serving the old certificate until it expires, and then clients fail "
                        "on those members only.",
                        "Copy the current certificate and its chain to every member and "
                        "reload the service there (postfix reload, or your server's "
                        "equivalent).",
                        "Make the renewal deploy to every member (a deploy hook that copies "
                        "and reloads everywhere), or terminate TLS on the load balancer.",
                        _RECHECK,
                    ),
                ),
                Tier.FINDING,
                "two members serve a certificate expiring in 3 days, the third a renewed one",
            ),
            Remedy(
                Match(check="pool", finding="pool.auth-differs"),
                Hint(
                    "Pool members offer different login methods",
                    (
                        "A client that chose a method it saw on one member fails on a member "
                        "without it, and a login that works once fails the next time.",
                        "Offer the same AUTH mechanisms on every member (Postfix with Dovecot "
                        "SASL: auth_mechanisms in dovecot.conf; Cyrus SASL: "
                        "mech_list), after TLS alike.",
                        _ONE_SOURCE,
                        _RECHECK,
                    ),
                ),
                Tier.FINDING,
                "AUTH PLAIN LOGIN on one member, AUTH PLAIN LOGIN CRAM-MD5 on another",
            ),
            Remedy(
                Match(check="pool", finding="pool.verdicts-differ"),
                Hint(
                    "Pool members answer alike but end differently",
                    (
                        "What the members offer is the same, but a check passes on one and "
                        "fails on another — often the login: each node asks its own user "
                        "database or password backend, and one of them is out of date.",
                        "Compare the members' rows: --format json lists each member's full "
                        "report, and --transcript shows each conversation.",
                        "Point every member at the same user database (or SASL service), "
                        "and compare the members' logs for the time of the check.",
                        _RECHECK,
                    ),
                ),
                Tier.FINDING,
                "the login works on one member and is refused on the other",
            ),
            Remedy(
                Match(check="pool", finding="pool.no-addresses"),
                Hint(
                    "The name has no address to check",
                    (
                        "Without --all-addresses the tcp row explains a look-up that fails in "
                        "detail (a misspelt name, a broken resolver).",
                        "With -4 or -6: the name has addresses of the other IP version only; "
                        "leave the flag out to check them.",
                        "Ask the name server directly: dig A NAME and dig AAAA NAME (or "
                        "--dns-server ADDRESS to ask the one you choose).",
                    ),
                ),
                Tier.FINDING,
                "NXDOMAIN for the name, or only IPv4 addresses with -6",
            ),
        ),
    ),
)
