"""Encryption: STARTTLS, implicit TLS and the server's certificate (RFC 3207, RFC 8314)."""

from __future__ import annotations

from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

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
                    ),
                ),
                Tier.FINDING,
                "only TLS 1.0 or 1.1 negotiated",
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
                        "Postfix: smtpd_tls_chain_files = key.pem, fullchain.pem.",
                    ),
                ),
                Tier.FINDING,
                "only the leaf is sent and its issuer is not trusted here",
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
)
