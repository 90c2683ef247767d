"""Encryption: STARTTLS, implicit TLS and the server's certificate (RFC 3207, RFC 8314)."""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.knowledge import servers
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

#: How a person reproduces the handshake by hand.
S_CLIENT = "openssl s_client -connect HOST:PORT -starttls smtp"

SECTIONS: tuple[Section, ...] = (
    Section(
        "TLS",
        (),
        (
            Remedy(
                Match(codes=(530,), text=r"Must issue a STARTTLS command first"),
                Hint(
                    "The server wants STARTTLS before anything else",
                    (
                        "Use port 587 with STARTTLS (--tls starttls) or port 465 with TLS from "
                        "the first byte (--tls implicit); this server takes nothing in clear.",
                        "In your app: choose STARTTLS for 587, or SSL/TLS for 465.",
                    ),
                ),
                Tier.REPLY,
                "530 5.7.0 Must issue a STARTTLS command first",
            ),
            Remedy(
                Match(codes=(523,), enhanced="5.7.10", text=r"pipelin"),
                Hint(
                    "The client pipelined commands after STARTTLS",
                    (
                        "STARTTLS must be the last command of a batch: the client waits for the "
                        "handshake, then sends EHLO again (RFC 3207).",
                        "This is a bug in the sending software: update it, or turn its "
                        "pipelining off.",
                    ),
                ),
                Tier.REPLY,
                "523 5.7.10 Error: TLS negotiation: no commands allowed to pipeline after STARTTLS",
            ),
            Remedy(
                Match(finding="tls.plaintext-on-implicit-port"),
                Hint(
                    "This port speaks STARTTLS, not implicit TLS",
                    ("Use --tls starttls (port 587 usually works this way).",),
                ),
                Tier.FINDING,
                "a plaintext 220 where a TLS handshake was expected",
            ),
            Remedy(
                Match(finding="tls.starttls-masked"),
                Hint(
                    "Something between you and the server strips STARTTLS",
                    (
                        "A firewall's 'SMTP inspection' (e.g. Cisco ASA fixup) rewrites "
                        "STARTTLS to XXXXXXXA; turn that inspection off, or use port 465 with "
                        "implicit TLS.",
                    ),
                ),
                Tier.FINDING,
                "the EHLO reply lists XXXXXXXA where STARTTLS should be",
            ),
            Remedy(
                Match(finding="tls.starttls-not-offered"),
                Hint(
                    "No encryption offered on this port",
                    (
                        "Try port 465 with --tls implicit.",
                        "If you run the server, configure a certificate and enable STARTTLS.",
                    ),
                ),
                Tier.FINDING,
                "EHLO lists no STARTTLS",
                servers.OFFER_TLS,
            ),
            Remedy(
                Match(finding="tls.starttls-refused"),
                Hint(
                    "The server could not start TLS",
                    (
                        "A 454 is temporary (often a certificate or key problem on the server): "
                        "retry, and tell the server's admin.",
                    ),
                ),
                Tier.FINDING,
                "454 4.7.0 TLS not available due to local problem",
            ),
            Remedy(
                Match(finding="tls.outdated-version"),
                Hint(
                    "The server's TLS is outdated",
                    (
                        "The server must offer TLS 1.2 or 1.3; TLS 1.0/1.1 are deprecated "
                        "(RFC 8996).",
                        f"Check: {S_CLIENT} -tls1_2 fails against such a server, and so does "
                        "-tls1_3.",
                    ),
                ),
                Tier.FINDING,
                "only TLS 1.0 or 1.1 negotiated, or the server refused TLS 1.2 and 1.3",
                servers.TLS_VERSIONS,
            ),
            Remedy(
                Match(finding="tls.protocol-version"),
                Hint(
                    "This client's TLS is older than the server requires",
                    (
                        "smtpdoctor offers the TLS versions this machine's OpenSSL allows "
                        "(TLS 1.2 and 1.3 by default); here they were capped below what the "
                        "server accepts — by MinProtocol/MaxProtocol in the OpenSSL "
                        "configuration (openssl version -d shows its folder) or by an old "
                        "OpenSSL.",
                        f"Check: {S_CLIENT} -tls1_3 should succeed where -tls1_2 fails.",
                        "If you run the server and must serve TLS 1.2 clients too, let it "
                        "accept TLS 1.2 as well as 1.3.",
                    ),
                ),
                Tier.FINDING,
                "protocol_version alert while this client offered only TLS 1.2",
                servers.TLS_VERSIONS,
            ),
            Remedy(
                Match(finding="tls.no-common-cipher"),
                Hint(
                    "No cipher or TLS version in common with the server",
                    (
                        "The server refused every cipher suite this client offered: it is "
                        "limited to old suites (3DES, RC4, CBC with SHA-1) or to a short "
                        "hand-made list.",
                        f"Check: {S_CLIENT} -tls1_2, then with -tls1_3, then with -cipher "
                        "'ECDHE+AESGCM' to try one family (on port 465 leave out -starttls "
                        "smtp).",
                    ),
                ),
                Tier.FINDING,
                "handshake_failure or insufficient_security right after the ClientHello",
                servers.CIPHERS,
            ),
            Remedy(
                Match(finding="tls.client-certificate-required"),
                Hint(
                    "The server requires a client certificate",
                    (
                        "The server completes TLS only with clients that present a certificate "
                        "it trusts (mutual TLS); smtpdoctor presents none.  Normal for a relay "
                        "between fixed partners, wrong on a port where users log in with a "
                        "password.",
                        f"Check: {S_CLIENT} lists 'Acceptable client certificate CA names' "
                        "when the server asks for one.",
                    ),
                ),
                Tier.FINDING,
                "certificate_required, bad_certificate, unknown_ca, or handshake_failure after "
                "the server's CertificateRequest",
                servers.CLIENT_CERTIFICATES,
            ),
            Remedy(
                Match(finding="tls.server-internal-error"),
                Hint(
                    "The server's TLS setup is broken",
                    (
                        "internal_error: the server's TLS library failed on its own side — "
                        "typically a certificate or key file it cannot read, a key that does "
                        "not match its certificate, or a failing certificate lookup.  Nothing "
                        "on the client side fixes it.",
                        "Tell the server's admin: the server's log names the failure.",
                    ),
                ),
                Tier.FINDING,
                "internal_error alert",
                servers.TLS_FILES,
            ),
            Remedy(
                Match(finding="tls.reset"),
                Hint(
                    "The server dropped the TLS handshake without a word",
                    (
                        "The server (or something in between) closed or reset the connection "
                        "inside the handshake, without a TLS alert: often a server that cannot "
                        "load its certificate or key, one that shares no cipher with this "
                        "client and hangs up instead of saying so, or a firewall that cuts "
                        "TLS on this port.",
                        f"Check: {S_CLIENT}, then with -tls1_2 and -tls1_3 separately (on port "
                        "465 leave out -starttls smtp).",
                        "On the server, read the log at the time of the test: it names the "
                        "reason next to the lost connection.",
                    ),
                ),
                Tier.FINDING,
                "connection closed or reset during the handshake",
                servers.TLS_FILES,
            ),
            Remedy(
                Match(finding="tls.handshake-failed"),
                Hint(
                    "The server refused the TLS handshake",
                    (
                        "The row names the alert the server sent (or OpenSSL's reason); the "
                        "server's log says why it sent it.",
                        f"Reproduce it with {S_CLIENT} (-tls1_2 or -tls1_3 to try one "
                        "version) and read the alert it reports.",
                    ),
                ),
                Tier.FINDING,
                "another TLS alert, such as access_denied",
            ),
        ),
    ),
    Section(
        "Certificates",
        (),
        (
            Remedy(
                Match(finding="certificate.expired"),
                Hint(
                    "The certificate has expired",
                    (
                        "The server's admin must renew it (with Let's Encrypt: check the "
                        "renewal job).",
                    ),
                ),
                Tier.FINDING,
                "certificate expired N days ago",
            ),
            Remedy(
                Match(finding="certificate.hostname-mismatch"),
                Hint(
                    "The certificate is for another name",
                    (
                        "Connect with a name the certificate lists (see the names shown), e.g. "
                        "the provider's official SMTP host name rather than an alias or an IP "
                        "address.",
                    ),
                ),
                Tier.FINDING,
                "the host name is not among the certificate's names",
            ),
            Remedy(
                Match(finding="certificate.self-signed"),
                Hint(
                    "The certificate is self-signed",
                    (
                        "If you trust this server, pass its CA (or certificate) with --ca-file.",
                        "Better: give the server a certificate from a public CA such as Let's "
                        "Encrypt.",
                    ),
                ),
                Tier.FINDING,
                "self-signed certificate",
            ),
            Remedy(
                Match(finding="certificate.unknown-issuer"),
                Hint(
                    "The issuer is not trusted here",
                    (
                        "For a private/company CA, pass it with --ca-file.",
                        "If the issuer is public, the server does not send its intermediate "
                        "certificate: its admin must configure the full chain.",
                    ),
                ),
                Tier.FINDING,
                "unable to get local issuer certificate",
            ),
            Remedy(
                Match(finding="certificate.expires-soon"),
                Hint("Renew the certificate soon", ("Check that automatic renewal works.",)),
                Tier.FINDING,
                "the certificate expires within --cert-warn-days",
            ),
            Remedy(
                Match(finding="certificate.expires-critically-soon"),
                Hint(
                    "Renew the certificate now",
                    (
                        "It expires within --cert-crit-days: renew it today, then find out why "
                        "automatic renewal did not (certbot renew --dry-run).",
                    ),
                ),
                Tier.FINDING,
                "the certificate expires within --cert-crit-days",
            ),
            Remedy(
                Match(finding="certificate.incomplete-chain"),
                Hint(
                    "The server does not send its intermediate certificate",
                    (
                        "Configure the full chain: the server's certificate followed by the "
                        "intermediate(s) — with Let's Encrypt, fullchain.pem, not cert.pem.",
                        "Only if the issuer is a private CA that signs server certificates "
                        "itself (no intermediate), trust it here with --ca-file instead.",
                    ),
                ),
                Tier.FINDING,
                "only the leaf is sent and its issuer is not trusted here",
                servers.FULL_CHAIN,
            ),
            Remedy(
                Match(finding="certificate.not-yet-valid"),
                Hint(
                    "Check the clocks",
                    (
                        "Either this machine's clock is behind (check NTP), or the certificate "
                        "was issued with a start date in the future.",
                    ),
                ),
                Tier.FINDING,
                "the certificate's validity starts in the future",
            ),
            Remedy(
                Match(finding="certificate.weak-key"),
                Hint(
                    "Replace the certificate's key",
                    ("Issue a new certificate with an RSA key of 2048 bits or more, or EC P-256.",),
                ),
                Tier.FINDING,
                "RSA/DSA key under 2048 bits or EC under 256",
            ),
            Remedy(
                Match(finding="certificate.weak-signature"),
                Hint(
                    "Replace the SHA-1 certificate",
                    ("Get a certificate signed with SHA-256 (every current CA issues those).",),
                ),
                Tier.FINDING,
                "signed with SHA-1 or MD5",
            ),
        ),
    ),
    Section(
        "Logging in only over TLS",
        (),
        (
            Remedy(
                Match(finding="posture.auth-before-starttls"),
                Hint(
                    "Offer AUTH only after STARTTLS",
                    (
                        "The unencrypted EHLO already lists AUTH: a client that does not insist "
                        "on TLS — or an attacker who strips STARTTLS from the reply — sends the "
                        "password in clear.",
                        "Announce AUTH only once the connection is encrypted, or move clients "
                        "to port 465 (TLS from the first byte).",
                    ),
                ),
                Tier.FINDING,
                "the unencrypted EHLO reply lists STARTTLS and AUTH PLAIN LOGIN",
                servers.AUTH_AFTER_TLS,
            ),
            Remedy(
                Match(finding="posture.plaintext-auth"),
                Hint(
                    "Passwords can be sent in clear here",
                    (
                        "The server offers PLAIN or LOGIN on a connection that is never "
                        "encrypted: enable STARTTLS (or implicit TLS on 465) and offer AUTH "
                        "only over it.",
                    ),
                ),
                Tier.FINDING,
                "EHLO lists AUTH PLAIN LOGIN, and no STARTTLS",
                servers.OFFER_TLS + servers.AUTH_AFTER_TLS,
            ),
            Remedy(
                Match(finding="posture.ehlo-refused"),
                Hint(
                    "Something between you and the server blocks EHLO",
                    (
                        "A firewall's SMTP inspection (Cisco ASA 'fixup smtp', ESMTP "
                        "inspection) refuses EHLO, so STARTTLS can never be offered: turn that "
                        "inspection off, or use port 465 with --tls implicit.",
                    ),
                ),
                Tier.FINDING,
                "500 to EHLO, 250 to HELO, on a STARTTLS port",
            ),
            Remedy(
                Match(finding="auth.not-offered", encrypted=True),
                Hint(
                    "The server offers no login here, not even inside TLS",
                    (
                        "smtpdoctor looked at the EHLO reply inside TLS: AUTH is not there "
                        "either, so this port or service does not take logins.",
                        "Check the port: mail clients submit on 587 or 465; port 25 of an MX "
                        "usually takes no logins.",
                    ),
                ),
                Tier.SITUATION,
                "EHLO after STARTTLS lists no AUTH",
                servers.ENABLE_AUTH,
            ),
        ),
    ),
)
