"""Relaying: passing mail on to other domains, which a server must do only for clients it
knows — logged-in users and its own networks."""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.knowledge import servers
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
                        "Relay only for clients that logged in and for your own hosts; take "
                        "mail from everyone else only for your own domains.",
                        "A server that trusts this machine's address relays for it by design "
                        "(your own apps): test again from an address outside your networks.",
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
                servers.RELAY_RULES,
            ),
            Remedy(
                Match(check="send", finding="send.relay-denied"),
                Hint(
                    "The server does not relay for this client",
                    (
                        "A server passes mail on to other domains only for users who logged "
                        "in (and its own networks); to its own domains it takes mail from "
                        "anyone. Log in with --user, or send to an address the server hosts.",
                        "If you run the server and a logged-in user is refused too, the relay "
                        "rules do not let logged-in users through.",
                    ),
                ),
                Tier.FINDING,
                "554 5.7.1 <someone@outside.example>: Relay access denied",
                servers.RELAY_RULES,
            ),
        ),
    ),
)
