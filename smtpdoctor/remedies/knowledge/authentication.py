"""Authentication of the delivered message: what to do when DKIM, SPF or DMARC of the test
message does not pass, or when smtpdoctor and the receiving server disagree.

Facts from RFC 6376 (DKIM), RFC 8301 (DKIM key sizes), RFC 7208 (SPF), RFC 7489 (DMARC) and
RFC 8601 (Authentication-Results).
"""

from __future__ import annotations

from smtpdoctor.checks.authentication import (
    DISAGREES,
    DKIM_FAIL,
    DKIM_MISSING,
    DMARC_ALIGNED_DKIM_FAIL,
    DMARC_ALIGNED_SPF_FAIL,
    DMARC_FAIL,
    DNS_FAILED,
    NO_DMARC,
    SPF_NOT_PASS,
)
from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

_CHECK_DOMAIN = (
    "Then check the domain's records: smtpdoctor domain DOMAIN --dkim-selector SELECTOR (the "
    "selector is in the details, dkim_selectors)."
)

SECTIONS: tuple[Section, ...] = (
    Section(
        "Authentication of the delivered message",
        (),
        (
            Remedy(
                Match(check="authentication", finding=DMARC_FAIL),
                Hint(
                    "DMARC fails: neither DKIM nor SPF is aligned with From",
                    (
                        "DMARC passes only when a DKIM signature with d= the From domain (or, "
                        "with adkim=r, a domain of the same organisation) verifies, or SPF "
                        "passes for a MAIL FROM domain aligned the same way (aspf).",
                        "Sign with your own domain: turn on DKIM for the From domain in the "
                        "sending service (a custom signing domain) and publish the key it "
                        'gives you: s1._domainkey.example.com TXT "v=DKIM1; k=rsa; p=MIIB…".',
                        "Or align SPF: give the service a bounce (Return-Path) domain under "
                        "the From domain and list the service in that domain's SPF record: "
                        'bounce.example.com TXT "v=spf1 include:_spf.provider.example -all".',
                        "The details name the signing domains (dkim_signatures) and the MAIL "
                        "FROM domain and address SPF was evaluated for (spf_domain, "
                        "spf_client_ip).",
                        _CHECK_DOMAIN,
                    ),
                    "https://www.rfc-editor.org/rfc/rfc7489#section-3.1",
                ),
                Tier.FINDING,
                "dkim=pass d=esp.example, spf=pass bounce.esp.example, From: alice@example.com, "
                "p=reject",
            ),
            Remedy(
                Match(check="authentication", finding=DMARC_ALIGNED_DKIM_FAIL),
                Hint(
                    "DMARC fails: the DKIM signature aligned with From does not verify",
                    (
                        "The signature is the right one — its d= is aligned with the From "
                        "domain — but it does not verify, so it counts for nothing; SPF did "
                        "not pass aligned either (the summary says why).",
                        "The body hash does not match: the body was changed after signing (a "
                        "footer, a disclaimer, a gateway re-encoding it) — sign after whatever "
                        "changes it, or sign with c=relaxed/relaxed.",
                        "The signature does not verify: a signed header was changed, or the "
                        "service signs with a private key whose public key is not the one "
                        "published — publish the key the service shows for that selector.",
                        "No key, a revoked one or one under 1024 bits: publish "
                        'SELECTOR._domainkey.DOMAIN TXT "v=DKIM1; k=rsa; p=…" (2048 bits) as '
                        "the service gives it.",
                        "Check the key with the command in the summary: smtpdoctor domain "
                        "DOMAIN --dkim-selector SELECTOR.",
                    ),
                    "https://www.rfc-editor.org/rfc/rfc7489#section-3.1.1",
                ),
                Tier.FINDING,
                "d=example.com s=s1: fail (the body hash does not match), spf=softfail, "
                "p=quarantine",
            ),
            Remedy(
                Match(check="authentication", finding=DMARC_ALIGNED_SPF_FAIL),
                Hint(
                    "DMARC fails: SPF is aligned with From but does not pass",
                    (
                        "No DKIM signature has a d= aligned with the From domain, so DMARC "
                        "rests on SPF, whose MAIL FROM domain is aligned but does not pass for "
                        "the address the message came from (spf_client_ip; the summary gives "
                        "SPF's result).",
                        "List the sending service in that domain's SPF record: example.com "
                        'TXT "v=spf1 include:_spf.provider.example -all" — or ip4:ADDRESS for '
                        "your own server; stay within 10 DNS look-ups.",
                        "Better still, sign with the From domain as well: turn on DKIM for it "
                        "in the sending service (a custom signing domain) and publish the key "
                        "it gives you — an aligned signature survives forwarding, SPF does "
                        "not.",
                        _CHECK_DOMAIN,
                    ),
                    "https://www.rfc-editor.org/rfc/rfc7489#section-3.1.2",
                ),
                Tier.FINDING,
                "dkim=pass d=esp.example, spf=fail example.com for 198.51.100.7, p=reject",
            ),
            Remedy(
                Match(check="authentication", finding=DISAGREES),
                Hint(
                    "smtpdoctor and the receiving server disagree on authentication",
                    (
                        "The details hold both verdicts per method and the receiver's whole "
                        "Authentication-Results (receiver_results).",
                        "We pass DKIM, the receiver fails it: it fetched another key (a key "
                        "rotated, a DNS change not yet seen everywhere, a DNS view inside your "
                        "network it does not share) — compare dig TXT "
                        "SELECTOR._domainkey.DOMAIN from outside your network; or it does not "
                        "verify ed25519-sha256, as many receivers do not (sign with RSA as "
                        "well).",
                        "If the row says the Authentication-Results read are not recognisably "
                        "the receiving side's, the verdicts may be an earlier hop's or the "
                        "sender's own: judge by the authserv-id (receiver in the details).",
                        "We fail DKIM, the receiver passes it: the message was changed after "
                        "the receiver checked it (a footer, a rewritten header, a scanner on "
                        "the mailbox side) — the receiver's verdict is the one that counted; "
                        "or it is signed with rsa-sha1, which RFC 8301 forbids and smtpdoctor "
                        "refuses while some receivers still accept it: sign with rsa-sha256.",
                        "The receiver passes DMARC and we fail it: the receiver's verdict is "
                        "the one that decided the message's fate; ours differs because of the "
                        "DKIM or SPF difference the summary names — a body changed on the "
                        "mailbox side after the receiver checked it needs no fix at the "
                        "sender.",
                        "SPF differs: the receiver evaluated another address than the one "
                        "taken from the headers (spf_client_ip_from says which header), or "
                        "--dns-server shows a view of DNS the receiver does not have.",
                    ),
                    "https://www.rfc-editor.org/rfc/rfc8601#section-5",
                ),
                Tier.FINDING,
                "smtpdoctor: dkim=pass; receiver mx.example.net: dkim=fail",
            ),
            Remedy(
                Match(check="authentication", finding=DNS_FAILED),
                Hint(
                    "A DNS question about the message's authentication failed",
                    (
                        "The summary names the record and how the question failed (no answer "
                        "in time, SERVFAIL).",
                        "Run again; if it persists, ask each of the domain's name servers: "
                        "dig TXT NAME @NAME-SERVER, and check that DNSSEC for the name "
                        "validates (a broken signature is SERVFAIL at validating resolvers).",
                        "--dns-server chooses the resolver smtpdoctor asks; --timeout gives "
                        "each question more time.",
                    ),
                    "https://www.rfc-editor.org/rfc/rfc8601#section-2.7.1",
                ),
                Tier.FINDING,
                "the DKIM key's TXT look-up ends in SERVFAIL",
            ),
            Remedy(
                Match(check="authentication", finding=DKIM_MISSING),
                Hint(
                    "The message is not DKIM-signed",
                    (
                        "The sending service does not sign mail for this domain: turn DKIM "
                        "signing on for the From domain there (Google Workspace, Microsoft "
                        "365 and every ESP have a setting per domain), or sign on your own "
                        "server (OpenDKIM or rspamd as a milter).",
                        "Publish the public key at SELECTOR._domainkey.DOMAIN: "
                        's1._domainkey.example.com TXT "v=DKIM1; k=rsa; p=MIIBIjAN…" — a '
                        "2048-bit RSA key, its text split into strings of at most 255 "
                        "characters.",
                        "Gmail and Yahoo require DKIM of bulk senders, and without it DMARC "
                        "rests on SPF alone, which every forwarding breaks.",
                        _CHECK_DOMAIN,
                    ),
                    "https://www.rfc-editor.org/rfc/rfc6376#section-3.6",
                ),
                Tier.FINDING,
                "no DKIM-Signature header in the delivered message",
            ),
            Remedy(
                Match(check="authentication", finding=DKIM_FAIL),
                Hint(
                    "No DKIM signature of the message verifies",
                    (
                        "The summary says why for each signature.  The body hash: the body was "
                        "changed after signing (a footer, a disclaimer, a gateway re-encoding "
                        "it) — sign after whatever changes it, or sign with "
                        "c=relaxed/relaxed.",
                        "The signature: a signed header was changed, or the service signs "
                        "with a private key whose public key is not the one published — "
                        "publish the key the service shows for that selector.",
                        "No key, or revoked (p= empty): publish SELECTOR._domainkey.DOMAIN "
                        'TXT "v=DKIM1; k=rsa; p=…" as the service gives it.',
                        "A key under 1024 bits is refused by verifiers (RFC 8301): make a "
                        "2048-bit key.",
                        "Check the key with the command in the summary: smtpdoctor domain "
                        "DOMAIN --dkim-selector SELECTOR.",
                    ),
                    "https://www.rfc-editor.org/rfc/rfc6376#section-6.1",
                ),
                Tier.FINDING,
                "d=example.com s=s1: fail (the body hash does not match)",
            ),
            Remedy(
                Match(check="authentication", finding=SPF_NOT_PASS),
                Hint(
                    "SPF does not pass for the address the message came from",
                    (
                        "The summary names the address the receiver recorded (and the header "
                        "that said so), the MAIL FROM domain and SPF's result.",
                        "fail or softfail: add the sending service to the domain's SPF "
                        'record — example.com TXT "v=spf1 include:_spf.provider.example '
                        '~all" — or ip4:ADDRESS for your own server; stay within 10 DNS '
                        "look-ups.",
                        "none: the MAIL FROM domain publishes no SPF record: publish one "
                        '("v=spf1 … -all"). permerror: the record is broken; smtpdoctor '
                        "domain DOMAIN shows where.",
                        "not-evaluated: the message records no outside address (delivered "
                        "within one server); SPF does not apply to such a hop.",
                    ),
                    "https://www.rfc-editor.org/rfc/rfc7208#section-2.6",
                ),
                Tier.FINDING,
                "spf=softfail (example.com for 198.51.100.7)",
            ),
            Remedy(
                Match(check="authentication", finding=NO_DMARC),
                Hint(
                    "The From domain has no usable DMARC record",
                    (
                        "Publish one at _dmarc.DOMAIN, starting by watching: "
                        '_dmarc.example.com TXT "v=DMARC1; p=none; '
                        'rua=mailto:dmarc-reports@example.com".',
                        "Read the aggregate reports, fix every source that fails, then move "
                        "to p=quarantine and p=reject.",
                        "Publish exactly one record, starting with v=DMARC1: two records, or "
                        "a broken one, count as none (the summary says which).",
                        "Gmail and Yahoo require a DMARC record of bulk senders.",
                    ),
                    "https://www.rfc-editor.org/rfc/rfc7489#section-6.3",
                ),
                Tier.FINDING,
                "DMARC is none for example.com: no DMARC record at _dmarc.example.com",
            ),
        ),
    ),
)
