"""The settings of each server software that the hints name: one :class:`Advice` per product
and topic, shown only when the run recognised that product (:mod:`smtpdoctor.software`).

Every setting carries where it is documented.  Products without a documented setting for a
topic are left out rather than guessed.
"""

from __future__ import annotations

from smtpdoctor.remedies.matcher import Advice
from smtpdoctor.software.names import (
    DOVECOT,
    EXCHANGE,
    EXIM,
    HARAKA,
    OPENSMTPD,
    POSTFIX,
    SENDMAIL,
)

POSTCONF = "https://www.postfix.org/postconf.5.html"
POSTFIX_TLS = "https://www.postfix.org/TLS_README.html"
POSTFIX_SASL = "https://www.postfix.org/SASL_README.html"
POSTFIX_POSTSCREEN = "https://www.postfix.org/POSTSCREEN_README.html"
EXIM_MAIN = "https://www.exim.org/exim-html-current/doc/html/spec_html/ch-main_configuration.html"
EXIM_TLS = (
    "https://www.exim.org/exim-html-current/doc/html/spec_html/"
    "ch-encrypted_smtp_connections_using_tlsssl.html"
)
EXIM_ACL = "https://www.exim.org/exim-html-current/doc/html/spec_html/ch-access_control_lists.html"
EXIM_AUTH = "https://www.exim.org/exim-html-current/doc/html/spec_html/ch-smtp_authentication.html"
HARAKA_TLS = "https://haraka.github.io/plugins/tls (Haraka 3.3.4: config/tls.ini)"
HARAKA_AUTH = "Haraka 3.3.4 plugins/auth/flat_file.js and auth_base.js (hook_capabilities)"
HARAKA_CONNECTION = "Haraka 3.3.4 config/connection.ini ([max] bytes)"
HARAKA_TARPIT = "Haraka 3.3.4 plugins/tarpit.js and config/tarpit.timeout"
SENDMAIL_CF = "https://ftp.sendmail.org/ cf/README (sendmail 8.x: confSERVER_CERT, confCACERT)"
SENDMAIL_AUTH = "sendmail cf/README: confAUTH_OPTIONS, confAUTH_MECHANISMS, TRUST_AUTH_MECH"
OPENSMTPD_CONF = "https://man.openbsd.org/smtpd.conf.5"
EXCHANGE_CERT = (
    "https://learn.microsoft.com/exchange/architecture/client-access/"
    "assign-certificates-to-services"
)
EXCHANGE_CONNECTOR = "https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector"
EXCHANGE_TLS = (
    "https://learn.microsoft.com/exchange/exchange-tls-configuration "
    "(Exchange Server TLS configuration best practices)"
)
EXCHANGE_TRANSPORT = "https://learn.microsoft.com/powershell/module/exchange/set-transportconfig"
DOVECOT_SSL = "https://doc.dovecot.org/ (SSL configuration: ssl, ssl_cert, ssl_key)"
DOVECOT_AUTH = "https://doc.dovecot.org/ (disable_plaintext_auth; auth_allow_cleartext in 2.4)"
DOVECOT_SUBMISSION = "https://doc.dovecot.org/ (submission server: submission_max_mail_size)"

#: The server's certificate and key, and TLS turned on: what STARTTLS needs.
OFFER_TLS: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        (
            "Postfix: smtpd_tls_chain_files = /path/key.pem, /path/fullchain.pem and "
            "smtpd_tls_security_level = may (encrypt on the submission service in "
            "master.cf), then postfix reload.",
        ),
        (f"{POSTCONF}#smtpd_tls_chain_files", f"{POSTCONF}#smtpd_tls_security_level"),
    ),
    Advice(
        (EXIM,),
        (
            "Exim: tls_advertise_hosts = * with tls_certificate (a full-chain file) and "
            "tls_privatekey in the main configuration.",
        ),
        (EXIM_TLS,),
    ),
    Advice(
        (HARAKA,),
        (
            "Haraka: add tls to config/plugins; config/tls.ini names the key and the "
            "certificate (key=tls_key.pem, cert=tls_cert.pem, in config/).",
        ),
        (HARAKA_TLS,),
    ),
    Advice(
        (SENDMAIL,),
        (
            "Sendmail: define(`confSERVER_CERT', …), define(`confSERVER_KEY', …) and "
            "define(`confCACERT', …) in sendmail.mc, then rebuild sendmail.cf.",
        ),
        (SENDMAIL_CF,),
    ),
    Advice(
        (OPENSMTPD,),
        (
            'OpenSMTPD: pki NAME cert "/path/fullchain.pem" and pki NAME key "/path/key.pem", '
            "then listen on INTERFACE tls pki NAME in smtpd.conf.",
        ),
        (OPENSMTPD_CONF,),
    ),
    Advice(
        (EXCHANGE,),
        (
            "Exchange: assign a certificate to the SMTP service: Enable-ExchangeCertificate "
            "-Thumbprint THUMBPRINT -Services SMTP.",
        ),
        (EXCHANGE_CERT,),
    ),
    Advice(
        (DOVECOT,),
        ("Dovecot: ssl = yes with ssl_cert = </path/fullchain.pem and ssl_key = </path/key.pem.",),
        (DOVECOT_SSL,),
    ),
)

#: Where the full chain (the leaf, then its intermediates) is configured.
FULL_CHAIN: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        ("Postfix: smtpd_tls_chain_files = /path/key.pem, /path/fullchain.pem.",),
        (f"{POSTCONF}#smtpd_tls_chain_files",),
    ),
    Advice(
        (EXIM,),
        (
            "Exim: tls_certificate must name a file with the server's certificate followed by "
            "the intermediates (fullchain.pem, not cert.pem); tls_privatekey the key.",
        ),
        (EXIM_TLS,),
    ),
    Advice(
        (HARAKA,),
        (
            "Haraka: config/tls_cert.pem (or the file cert= in config/tls.ini names) must "
            "hold the leaf and then the intermediate certificates.",
        ),
        (HARAKA_TLS,),
    ),
    Advice(
        (SENDMAIL,),
        (
            "Sendmail: put the intermediates after the leaf in the file confSERVER_CERT "
            "(ServerCertFile) names; confCACERT (CACertFile) names the CA certificates.",
        ),
        (SENDMAIL_CF,),
    ),
    Advice(
        (OPENSMTPD,),
        ('OpenSMTPD: the file of pki NAME cert "…" must hold the full chain.',),
        (OPENSMTPD_CONF,),
    ),
    Advice(
        (EXCHANGE,),
        (
            "Exchange: import the intermediate certificate into the server's Intermediate "
            "Certification Authorities store; Exchange sends the chain Windows builds.",
        ),
        (EXCHANGE_CERT,),
    ),
    Advice(
        (DOVECOT,),
        ("Dovecot: ssl_cert = </path/fullchain.pem (the leaf, then the intermediates).",),
        (DOVECOT_SSL,),
    ),
)

#: AUTH offered only once the connection is encrypted.
AUTH_AFTER_TLS: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        ("Postfix: smtpd_tls_auth_only = yes.",),
        (f"{POSTCONF}#smtpd_tls_auth_only",),
    ),
    Advice(
        (EXIM,),
        ("Exim: auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}.",),
        (EXIM_AUTH,),
    ),
    Advice(
        (HARAKA,),
        (
            "Haraka: auth/flat_file offers AUTH without TLS to clients on private networks "
            "(RFC 1918, loopback): its hook_capabilities only insists on TLS for public "
            "addresses. Test from a public address, or let those clients use port 465.",
        ),
        (HARAKA_AUTH,),
    ),
    Advice(
        (SENDMAIL,),
        (
            "Sendmail: define(`confAUTH_OPTIONS', `p') keeps PLAIN and LOGIN back until TLS "
            "is active.",
        ),
        (SENDMAIL_AUTH,),
    ),
    Advice(
        (EXCHANGE,),
        (
            "Exchange: Set-ReceiveConnector -AuthMechanism Tls,BasicAuth,BasicAuthRequireTLS "
            "(basic authentication only after STARTTLS).",
        ),
        (EXCHANGE_CONNECTOR,),
    ),
    Advice(
        (DOVECOT,),
        ("Dovecot: disable_plaintext_auth = yes (auth_allow_cleartext = no in 2.4).",),
        (DOVECOT_AUTH,),
    ),
)

#: AUTH turned on for the submission service.
ENABLE_AUTH: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        (
            "Postfix: -o smtpd_sasl_auth_enable=yes on the submission service in master.cf, "
            "with smtpd_sasl_type and smtpd_sasl_path (e.g. Dovecot's auth socket).",
        ),
        (POSTFIX_SASL,),
    ),
    Advice(
        (EXIM,),
        (
            "Exim: an authenticator in the authenticators section (driver = plaintext or "
            "dovecot), and auth_advertise_hosts covering this client.",
        ),
        (EXIM_AUTH,),
    ),
    Advice(
        (HARAKA,),
        ("Haraka: an auth plugin (auth/flat_file, auth/auth_proxy…) in config/plugins.",),
        (HARAKA_AUTH,),
    ),
    Advice(
        (SENDMAIL,),
        ("Sendmail: TRUST_AUTH_MECH and confAUTH_MECHANISMS in sendmail.mc (with Cyrus SASL).",),
        (SENDMAIL_AUTH,),
    ),
    Advice(
        (OPENSMTPD,),
        ("OpenSMTPD: listen on INTERFACE … auth in smtpd.conf (AUTH is offered after TLS).",),
        (OPENSMTPD_CONF,),
    ),
    Advice(
        (EXCHANGE,),
        ("Exchange: Set-ReceiveConnector -AuthMechanism Tls,BasicAuth,BasicAuthRequireTLS.",),
        (EXCHANGE_CONNECTOR,),
    ),
)

#: Logged-in users may relay; everyone else only to the server's own domains.
RELAY_RULES: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        (
            "Postfix: smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, "
            "reject_unauth_destination — in main.cf and in any -o override of this port's "
            "service in master.cf — then postfix reload.",
            "Postfix: a client in mynetworks relays without a login. Keep mynetworks to your "
            "own hosts (postconf mynetworks).",
        ),
        (f"{POSTCONF}#smtpd_relay_restrictions", f"{POSTCONF}#mynetworks"),
    ),
    Advice(
        (EXIM,),
        (
            "Exim: keep 'hostlist relay_from_hosts' to your own addresses; in acl_check_rcpt "
            "only 'accept hosts = +relay_from_hosts' and 'accept authenticated = *' may come "
            "before 'require message = relay not permitted' with 'domains = +local_domains : "
            "+relay_to_domains'.",
        ),
        (EXIM_ACL,),
    ),
    Advice(
        (HARAKA,),
        (
            "Haraka: a client may relay once connection.relaying is set — by a successful "
            "login (auth plugins) or by the relay plugin's ACL; rcpt_to.in_host_list takes "
            "only the domains in config/host_list from everyone else.",
        ),
        (HARAKA_AUTH, "Haraka 3.3.4 plugins/rcpt_to.in_host_list.js"),
    ),
    Advice(
        (OPENSMTPD,),
        (
            "OpenSMTPD: relay only with 'match auth from any for any action …' (and 'match "
            "from local for any'); 'match from any for domain …' takes only your domains.",
        ),
        (OPENSMTPD_CONF,),
    ),
    Advice(
        (EXCHANGE,),
        (
            "Exchange: anonymous relay belongs on its own receive connector limited to your "
            "apps' addresses (RemoteIPRanges); never give NT AUTHORITY\\ANONYMOUS LOGON the "
            "ms-Exch-SMTP-Accept-Any-Recipient permission on the default connectors.",
        ),
        (EXCHANGE_CONNECTOR,),
    ),
)

#: The largest message the server takes.
SIZE_LIMITS: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        ("Postfix: message_size_limit (10240000 bytes by default).",),
        (f"{POSTCONF}#message_size_limit",),
    ),
    Advice(
        (EXIM,),
        ("Exim: message_size_limit (50M by default).",),
        (EXIM_MAIN,),
    ),
    Advice(
        (HARAKA,),
        ("Haraka: bytes in the [max] section of config/connection.ini.",),
        (HARAKA_CONNECTION,),
    ),
    Advice(
        (SENDMAIL,),
        ("Sendmail: define(`confMAX_MESSAGE_SIZE', BYTES) (MaxMessageSize).",),
        (SENDMAIL_CF,),
    ),
    Advice(
        (OPENSMTPD,),
        ("OpenSMTPD: smtp max-message-size SIZE in smtpd.conf.",),
        (OPENSMTPD_CONF,),
    ),
    Advice(
        (EXCHANGE,),
        (
            "Exchange: Set-TransportConfig -MaxReceiveSize and the receive connector's "
            "-MaxMessageSize.",
        ),
        (EXCHANGE_TRANSPORT, EXCHANGE_CONNECTOR),
    ),
    Advice(
        (DOVECOT,),
        ("Dovecot: submission_max_mail_size.",),
        (DOVECOT_SUBMISSION,),
    ),
)

#: Holding back the greeting on purpose (a tarpit).
TARPITS: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        (
            "Postfix: postscreen (postscreen_greet_wait, 6 s by default) belongs on port 25 "
            "only; 'sleep N' in smtpd_client_restrictions with smtpd_delay_reject = no delays "
            "every client — exempt your networks (permit_mynetworks before sleep, "
            "postscreen_access_list). A reverse-DNS wait: smtpd_peername_lookup.",
        ),
        (POSTFIX_POSTSCREEN, f"{POSTCONF}#smtpd_delay_reject"),
    ),
    Advice(
        (EXIM,),
        (
            "Exim: a 'delay = 10s' in the connect ACL (acl_smtp_connect) holds the greeting "
            "back; exempt your own hosts before it. A reverse-DNS wait: host_lookup.",
        ),
        (EXIM_ACL, EXIM_MAIN),
    ),
    Advice(
        (SENDMAIL,),
        ("Sendmail: FEATURE(`greet_pause', MILLISECONDS) delays the greeting.",),
        ("sendmail cf/README: FEATURE(`greet_pause')",),
    ),
    Advice(
        (HARAKA,),
        ("Haraka: the tarpit plugin, with its delay in config/tarpit.timeout.",),
        (HARAKA_TARPIT,),
    ),
)

#: The TLS versions the server accepts.
TLS_VERSIONS: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        (
            "Postfix: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = "
            ">=TLSv1.2 (Postfix 3.6 and later; before: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1), "
            "built with an OpenSSL that has TLS 1.2.",
        ),
        (f"{POSTCONF}#smtpd_tls_protocols", f"{POSTCONF}#smtpd_tls_mandatory_protocols"),
    ),
    Advice(
        (EXIM,),
        (
            "Exim: openssl_options must not disable TLS 1.2 (+no_tlsv1_2); with GnuTLS, "
            "tls_require_ciphers is the priority string that must allow it.",
        ),
        (EXIM_TLS,),
    ),
    Advice(
        (HARAKA,),
        ("Haraka: minVersion=TLSv1.2 in config/tls.ini.",),
        (HARAKA_TLS,),
    ),
    Advice(
        (EXCHANGE,),
        (
            "Exchange: enable TLS 1.2 in SCHANNEL — under HKLM\\SYSTEM\\CurrentControlSet\\"
            "Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server set Enabled = 1 "
            "and DisabledByDefault = 0, then restart.",
        ),
        (EXCHANGE_TLS,),
    ),
)

#: The cipher suites the server accepts.
CIPHERS: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        (
            "Postfix: set smtpd_tls_ciphers and smtpd_tls_mandatory_ciphers back to medium "
            "(or high) instead of a custom list, check smtpd_tls_exclude_ciphers and "
            "tls_medium_cipherlist; its log says 'no shared cipher'.",
        ),
        (f"{POSTCONF}#smtpd_tls_mandatory_ciphers", f"{POSTCONF}#tls_medium_cipherlist"),
    ),
    Advice(
        (EXIM,),
        (
            "Exim: tls_require_ciphers (an OpenSSL cipher list, or the GnuTLS priority "
            "string) must include the ECDHE AES-GCM suites.",
        ),
        (EXIM_TLS,),
    ),
    Advice(
        (HARAKA,),
        ("Haraka: ciphers= in config/tls.ini; leave it out to get Node.js's defaults.",),
        (HARAKA_TLS,),
    ),
    Advice(
        (EXCHANGE,),
        (
            "Exchange: its ciphers are Windows' SCHANNEL cipher suites; enable TLS 1.2 with "
            "the ECDHE AES-GCM suites.",
        ),
        (EXCHANGE_TLS,),
    ),
)

#: Asking clients for a certificate.
CLIENT_CERTIFICATES: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        (
            "Postfix: smtpd_tls_req_ccert = yes makes it a requirement (and "
            "smtpd_tls_ask_ccert asks for one): turn it off for the submission service in "
            "master.cf (-o smtpd_tls_req_ccert=no).",
        ),
        (f"{POSTCONF}#smtpd_tls_req_ccert",),
    ),
    Advice(
        (EXIM,),
        (
            "Exim: hosts in tls_verify_hosts must present a verified certificate; "
            "tls_try_verify_hosts asks without requiring one.",
        ),
        (EXIM_TLS,),
    ),
    Advice(
        (HARAKA,),
        (
            "Haraka: rejectUnauthorized=true in config/tls.ini requires a verified client "
            "certificate on every connection, requireAuthorized[]=PORT on that port only.",
        ),
        (HARAKA_TLS,),
    ),
)

#: The certificate and key files the server loads.
TLS_FILES: tuple[Advice, ...] = (
    Advice(
        (POSTFIX,),
        (
            "Postfix: check that smtpd_tls_chain_files (or smtpd_tls_cert_file and "
            "smtpd_tls_key_file) name readable files whose key matches the certificate; "
            "postfix check reports what it can see; the mail log has 'TLS library problem' "
            "lines with the reason.",
        ),
        (f"{POSTCONF}#smtpd_tls_chain_files", POSTFIX_TLS),
    ),
    Advice(
        (EXIM,),
        (
            "Exim: tls_certificate and tls_privatekey must be readable by the Exim user and "
            "match each other; the main log says which one failed.",
        ),
        (EXIM_TLS,),
    ),
    Advice(
        (HARAKA,),
        (
            "Haraka: the key= and cert= files of config/tls.ini must exist in config/ and "
            "match each other; Haraka logs the failure at start.",
        ),
        (HARAKA_TLS,),
    ),
)
