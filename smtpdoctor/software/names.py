"""The server software smtpdoctor knows by name: a stable id each, the name people use, and
the ids whose advice applies as well."""

from __future__ import annotations

from dataclasses import dataclass

POSTFIX = "postfix"
EXIM = "exim"
CPANEL = "cpanel"
SENDMAIL = "sendmail"
OPENSMTPD = "opensmtpd"
HARAKA = "haraka"
EXCHANGE = "exchange"
EXCHANGE_ONLINE = "exchange-online"
DOVECOT = "dovecot"
QMAIL = "qmail"
STALWART = "stalwart"
MDAEMON = "mdaemon"
GOOGLE = "google"


@dataclass(frozen=True, slots=True)
class Product:
    """One server software: its id, its name, and the ids whose settings it shares."""

    id: str
    name: str
    family: tuple[str, ...] = ()


PRODUCTS: dict[str, Product] = {
    product.id: product
    for product in (
        Product(POSTFIX, "Postfix"),
        Product(EXIM, "Exim"),
        # cPanel's mail server is Exim, configured through WHM: Exim's settings apply.
        Product(CPANEL, "Exim (cPanel)", (EXIM,)),
        Product(SENDMAIL, "Sendmail"),
        Product(OPENSMTPD, "OpenSMTPD"),
        Product(HARAKA, "Haraka"),
        Product(EXCHANGE, "Microsoft Exchange"),
        Product(EXCHANGE_ONLINE, "Exchange Online (Microsoft 365)"),
        Product(DOVECOT, "Dovecot submission"),
        Product(QMAIL, "qmail / notqmail"),
        Product(STALWART, "Stalwart"),
        Product(MDAEMON, "MDaemon"),
        Product(GOOGLE, "Google (Gmail) front end"),
    )
}
