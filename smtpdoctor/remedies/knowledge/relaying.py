"""Relaying: passing mail on to other domains, which a server must do only for clients it
knows — logged-in users and its own networks."""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

SECTIONS: tuple[Section, ...] = (
    Section(
        "Relaying",
        (),
        (
            Remedy(
                Match(check="send", finding="send.open-relay"),
                Hint(
                    "Close the open relay: relay only for logged-in users and your networks",
                    (
                        "Postfix: smtpd_relay_restrictions = permit_mynetworks, "
                        "permit_sasl_authenticated, reject_unauth_destination — in main.cf and "
                        "in any -o override of this port's service in master.cf — then "
                        "postfix reload.",
                        "Postfix: a client in mynetworks relays without a login. Keep "
                        "mynetworks to your own hosts (postconf mynetworks); if this machine "
                        "is in it, the server is open to this client only, as designed for "
                        "your own apps — test again from an address outside it.",
                        "Exim: keep 'hostlist relay_from_hosts' to your own addresses; in "
                        "acl_check_rcpt only 'accept hosts = +relay_from_hosts' and 'accept "
                        "authenticated = *' may come before 'require message = relay not "
                        "permitted' with 'domains = +local_domains : +relay_to_domains'.",
                        "Exchange: on the receive connector that allows Anonymous users, "
                        "remove the ms-Exch-SMTP-Accept-Any-Recipient permission from NT "
                        "AUTHORITY\\ANONYMOUS LOGON (Remove-ADPermission); give anonymous relay "
                        "its own connector, limited to your apps' addresses (RemoteIPRanges).",
                        "Then look up your server's addresses on blocklists (Spamhaus and "
                        "others): open relays are found and abused within hours.",
                        "smtpdoctor calls a recipient outside when its domain is neither the "
                        "sender's nor related to the server's names, and none of the domain's "
                        "MX hosts is this server (by name or address). If DNS could not say "
                        "(see the summary) and this server does take the domain's mail, "
                        "taking the message is its job — compare with dig MX DOMAIN.",
                    ),
                ),
                Tier.FINDING,
                "250 2.1.5 Ok to RCPT TO:<someone@outside.example> without a login",
            ),
        ),
    ),
)
