"""The proxy a run connects through (``--proxy URL``): parsed, validated, shown without secrets.

A :class:`ProxySpec` is settings only; :mod:`smtpdoctor.net.proxy` speaks the proxy's
protocol.  Four kinds are understood:

* ``socks5://`` — SOCKS5 (RFC 1928), the server's name resolved *here*, its addresses asked
  of the proxy in order;
* ``socks5h://`` — SOCKS5 with the *name* sent to the proxy, which resolves it (curl's
  spelling): the only choice where this machine's DNS cannot see outside names;
* ``socks4://`` — SOCKS4, IPv4 addresses only, resolved here;
* ``http://`` — an HTTP proxy's ``CONNECT`` method, addresses resolved here.

A login is a user name in the URL (``socks5://alice@proxy.example:1080``) and a password
from ``$SMTPDOCTOR_PROXY_PASSWORD`` or a file, never from the URL: a URL with a password is a
:class:`~smtpdoctor.model.words.ConfigError`, since a command line is readable by every user
of the machine.  Proxies are never taken from ``ALL_PROXY`` or ``HTTPS_PROXY``: a doctor must
show the path it tests, so only ``--proxy`` sends a connection through one.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field, replace
from typing import Final
from urllib.parse import quote, unquote, urlsplit

from smtpdoctor.model.credentials import Secret
from smtpdoctor.model.words import ConfigError

#: Where the proxy password goes instead of the URL, said when a URL holds one.
_LOGIN_ADVICE: Final = (
    "put the proxy password in $SMTPDOCTOR_PROXY_PASSWORD or --proxy-password-file, not on "
    "the command line"
)
#: The longest user name or password SOCKS5 can carry (RFC 1929: one length byte).
MAX_LOGIN_LENGTH: Final = 255


class ProxyScheme(enum.StrEnum):
    """The kind of proxy, as the URL's scheme names it."""

    SOCKS4 = "socks4"
    SOCKS5 = "socks5"
    SOCKS5H = "socks5h"
    """SOCKS5, the server's name resolved by the proxy."""
    HTTP = "http"
    """An HTTP proxy's CONNECT method."""


@dataclass(frozen=True, slots=True)
class ProxySpec:
    """A proxy to connect through, and the login it wants (``password`` never shows itself:
    it is a :class:`~smtpdoctor.model.credentials.Secret`, and :attr:`display` leaves it
    out)."""

    scheme: ProxyScheme
    host: str
    port: int
    username: str | None = None
    """The login's user name (a user id for SOCKS4); None: no login."""
    password: Secret | None = field(default=None, repr=False)
    """The login's password: from the environment or a file, never from the URL."""

    def __post_init__(self) -> None:
        if not self.host or not self.host.isprintable() or any(c.isspace() for c in self.host):
            raise ConfigError(f"the proxy host {self.host!r} is not a host name or address")
        if not 0 < self.port < 65536:
            raise ConfigError(f"the proxy port {self.port} is out of range (1-65535)")
        if self.username is not None:
            _check_login_text(self.username, "user name", shown=True)
            if ":" in self.username:
                raise ConfigError(f"the proxy user name {self.username!r} contains a ':'")
        if self.password is None:
            return
        if self.username is None:
            raise ConfigError("a proxy password needs a user name in the URL (SCHEME://USER@HOST)")
        if self.scheme is ProxyScheme.SOCKS4:
            raise ConfigError("SOCKS4 has no passwords, only a user id: give no proxy password")
        _check_login_text(self.password.reveal(), "password", shown=False)

    @property
    def display(self) -> str:
        """The URL without the password: ``socks5://alice@proxy.example:1080``."""
        user = f"{quote(self.username, safe='')}@" if self.username is not None else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme.value}://{user}{host}:{self.port}"

    def __str__(self) -> str:
        return self.display

    @property
    def resolves_remotely(self) -> bool:
        """Whether the proxy resolves the server's name (``socks5h``), not this machine."""
        return self.scheme is ProxyScheme.SOCKS5H

    @property
    def carries_ipv6(self) -> bool:
        """Whether the proxy can be asked for an IPv6 address (SOCKS4 cannot)."""
        return self.scheme is not ProxyScheme.SOCKS4

    @property
    def wants_password(self) -> bool:
        """Whether the login has a password: a user name, and a protocol with passwords."""
        return self.username is not None and self.scheme is not ProxyScheme.SOCKS4

    def with_password(self, password: Secret) -> ProxySpec:
        """The same proxy, logging in with ``password``."""
        return replace(self, password=password)


def parse_proxy(url: str) -> ProxySpec:
    """``--proxy URL``: ``SCHEME://[USER@]HOST:PORT`` with SCHEME ``socks5``, ``socks5h``,
    ``socks4`` or ``http``; an IPv6 address in brackets.

    :raises ConfigError: in words, for a URL with a password (without showing it), another
        scheme, no host, no port or a bad one, or anything after the port.
    """
    text = url.strip()
    scheme, separator, rest = text.partition("://")
    if not separator:
        raise ConfigError(
            "write the proxy as a URL, e.g. socks5://proxy.example:1080 or "
            "http://proxy.example:3128"
        )
    # Before anything else, since no message may show a password: a password may hold "/",
    # "?" or "#" too, so the login is whatever precedes the last "@" (with a path that
    # contains "@", an error of the safe side).
    userinfo, at, _ = rest.rpartition("@")
    if at and ":" in userinfo:
        raise ConfigError(f"the proxy URL contains a password: {_LOGIN_ADVICE}")
    if not text.isprintable():
        raise ConfigError("the proxy URL contains control characters")
    try:
        kind = ProxyScheme(scheme.lower())
    except ValueError:
        raise ConfigError(_scheme_advice(scheme)) from None
    parts = urlsplit(text)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"--proxy {text!r}: nothing may follow the port")
    host = parts.hostname
    if not host:
        raise ConfigError(f"--proxy {text!r} names no host: write {kind.value}://HOST:PORT")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"--proxy {text!r}: the port is not a number from 1 to 65535") from None
    if port is None or port == 0:
        raise ConfigError(
            f"--proxy {text!r} names no port: write {kind.value}://{_shown_host(host)}:PORT "
            f"(SOCKS proxies often listen on 1080, HTTP proxies on 3128 or 8080)"
        )
    username = unquote(parts.username) if parts.username is not None else None
    return ProxySpec(kind, host, port, username=username or None)


def check_proxy_family(proxy: ProxySpec | None, family: int | None) -> None:
    """Raise :class:`ConfigError` when ``-4``/``-6`` (``family``) cannot hold through
    ``proxy``: with ``socks5h`` the proxy resolves the name and chooses the address, and
    SOCKS4 carries no IPv6 address."""
    if proxy is None or family is None:
        return
    if proxy.resolves_remotely:
        raise ConfigError(
            f"-{family} cannot apply through a socks5h:// proxy: the proxy resolves the "
            "server's name and chooses its address; use socks5:// to resolve it here, over "
            "the IP version you want"
        )
    if family == 6 and not proxy.carries_ipv6:
        raise ConfigError(
            "-6 cannot go through a SOCKS4 proxy, which carries IPv4 addresses only: use socks5://"
        )


def _check_login_text(value: str, what: str, *, shown: bool) -> None:
    """Printable ASCII, 1 to 255 characters: what SOCKS5 (RFC 1929) and HTTP Basic carry."""
    said = f" {value!r}" if shown else ""
    if not value:
        raise ConfigError(f"the proxy {what} is empty")
    if not (value.isascii() and value.isprintable()):
        raise ConfigError(
            f"the proxy {what}{said} must be printable ASCII (the proxy protocols carry "
            "nothing else)"
        )
    if len(value) > MAX_LOGIN_LENGTH:
        raise ConfigError(f"the proxy {what} is longer than {MAX_LOGIN_LENGTH} characters")


def _scheme_advice(scheme: str) -> str:
    known = ", ".join(f"{kind.value}://" for kind in ProxyScheme)
    if scheme.lower() == "https":
        return (
            "a proxy spoken to over TLS (https://) is not supported; give the proxy as "
            f"http://HOST:PORT (the mail server's own TLS still protects the session), or one "
            f"of {known}"
        )
    shown = scheme if scheme.isprintable() and len(scheme) <= 20 else "that"
    return f"the proxy scheme {shown!r} is not one of {known}"


def _shown_host(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host
