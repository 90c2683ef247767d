"""Look-ups in the provider table, and recognising the provider behind a server.

* :func:`provider_by_id` — ``"gmail"`` → the Gmail entry;
* :func:`provider_for_mail_domain` — the domain of an address (``gmail.com``);
* :func:`provider_for_mx` — an MX host, to recognise the provider behind a custom domain;
* :func:`recognise` — the server being checked, with the clue that gave it away;
  :func:`detect_provider` is the same without the clue.

:func:`closest_submission_host` suggests a provider's host for a name that looks mistyped.

Host names match on whole labels (``google.com`` matches ``aspmx.l.google.com`` but not
``notgoogle.com``), a ``*`` label matches any one label, and the longest suffix wins, so
``mail.protection.outlook.com`` (Microsoft 365) beats ``outlook.com`` (Outlook.com).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from smtpdoctor.discovery.providers.model import Provider
from smtpdoctor.discovery.providers.table import PROVIDERS
from smtpdoctor.model.results import Clue, ProviderClue

_SuffixGetter = Callable[[Provider], tuple[str, ...]]

_BY_ID = {provider.id: provider for provider in PROVIDERS}

#: How alike (:class:`difflib.SequenceMatcher` ratio) a name must be to a provider's host for
#: :func:`closest_submission_host` to suggest it: a letter or two off, not another name.
SUGGESTION_CUTOFF = 0.9


@dataclass(frozen=True, slots=True)
class Recognition:
    """A provider, and the clue it was recognised by."""

    provider: Provider
    clue: ProviderClue

    def describe(self) -> str:
        """``Gmail / Google Workspace (recognised by MX aspmx.l.google.com)``."""
        return f"{self.provider.name} ({self.clue.describe()})"


def provider_by_id(provider_id: str) -> Provider | None:
    """The provider with this id (``"gmail"``), or ``None``."""
    return _BY_ID.get(provider_id.strip().lower())


def closest_submission_host(name: str) -> str | None:
    """The provider submission host that ``name`` most likely misspells (``smtp.gmial.com``
    → ``smtp.gmail.com``), or ``None`` when none is close or ``name`` is such a host itself."""
    wanted = _normalise(name)
    hosts = [
        provider.submission_host
        for provider in PROVIDERS
        if not provider.host_is_template and _ip_address(provider.submission_host) is None
    ]
    if wanted in hosts:
        return None
    close = difflib.get_close_matches(wanted, hosts, n=1, cutoff=SUGGESTION_CUTOFF)
    return close[0] if close else None


def matching_providers(text: str | None = None) -> tuple[Provider, ...]:
    """The entries whose id, name, mail domains or hosts contain ``text`` (case does not
    matter); every entry when ``text`` is empty or ``None``."""
    wanted = (text or "").strip().lower()
    if not wanted:
        return PROVIDERS
    return tuple(
        provider
        for provider in PROVIDERS
        if any(
            wanted in name.lower()
            for name in (
                provider.id,
                provider.name,
                provider.submission_host,
                *provider.mail_domains,
                *provider.host_suffixes,
                *provider.mx_suffixes,
            )
        )
    )


def provider_for_mail_domain(domain: str) -> Provider | None:
    """The provider whose consumer addresses end in ``domain`` (``gmail.com``).

    An address is accepted too (``alice@gmail.com``).  Custom domains are not known here:
    look their MX up and use :func:`provider_for_mx`.
    """
    wanted = _normalise(domain.rpartition("@")[2])
    return next((p for p in PROVIDERS if wanted in p.mail_domains), None)


def provider_for_mx(mx_host: str) -> Provider | None:
    """The provider whose mail exchangers look like ``mx_host``
    (``aspmx.l.google.com`` → Gmail / Google Workspace), by the longest matching suffix."""
    return _longest_suffix_match(_normalise(mx_host), lambda p: p.mx_suffixes)


def recognised_by_mail_domain(domain: str) -> Recognition | None:
    """:func:`provider_for_mail_domain`, saying so."""
    provider = provider_for_mail_domain(domain)
    if provider is None:
        return None
    return Recognition(provider, ProviderClue(Clue.MAIL_DOMAIN, _normalise(domain)))


def recognised_by_mx(mx_host: str) -> Recognition | None:
    """:func:`provider_for_mx`, saying so."""
    provider = provider_for_mx(mx_host)
    if provider is None:
        return None
    return Recognition(provider, ProviderClue(Clue.MX, _normalise(mx_host)))


def recognise(
    *,
    host: str,
    banner: str | None = None,
    ehlo_domain: str | None = None,
    username: str | None = None,
    certificate_names: Sequence[str] = (),
) -> Recognition | None:
    """Which provider runs the server, and how that shows: judged by the host name first,
    then by the names in its certificate, then by the domain the server names in its EHLO
    reply, then by its greeting (the ``220`` text without the code).

    An IP address says nothing by itself; a server reached on loopback or through a tunnel is
    still recognised by what it says about itself.  One more clue serves a provider whose
    submission host *is* loopback (Proton Mail Bridge): a login ``username`` at one of its mail
    domains, on a loopback host.
    """
    name = _normalise(host)
    address = _ip_address(name)
    if address is None:
        by_host = _longest_suffix_match(name, lambda p: p.host_suffixes)
        if by_host is not None:
            return Recognition(by_host, ProviderClue(Clue.HOST_NAME, name))
    for certificate_name in certificate_names:
        wanted = _normalise(certificate_name).removeprefix("*.")
        by_certificate = _longest_suffix_match(wanted, lambda p: p.host_suffixes)
        if by_certificate is not None:
            return Recognition(by_certificate, ProviderClue(Clue.CERTIFICATE, certificate_name))
    for clue, text in ((Clue.EHLO_DOMAIN, ehlo_domain), (Clue.GREETING, banner)):
        if text:
            found = _from_self_description(text)
            if found is not None:
                return Recognition(found, ProviderClue(clue, text.strip()))
    if address is not None and address.is_loopback and username and "@" in username:
        local = provider_for_mail_domain(username)
        if local is not None and _is_loopback(local.submission_host):
            return Recognition(local, ProviderClue(Clue.LOGIN, username.rpartition("@")[2]))
    return None


def detect_provider(
    *,
    host: str,
    banner: str | None = None,
    ehlo_domain: str | None = None,
    username: str | None = None,
    certificate_names: Sequence[str] = (),
) -> Provider | None:
    """:func:`recognise` without the clue: the provider, or ``None``."""
    found = recognise(
        host=host,
        banner=banner,
        ehlo_domain=ehlo_domain,
        username=username,
        certificate_names=certificate_names,
    )
    return found.provider if found is not None else None


def _from_self_description(text: str) -> Provider | None:
    words = text.split(maxsplit=1)
    first_word = words[0] if words else ""
    by_name = _longest_suffix_match(_normalise(first_word), lambda p: p.host_suffixes)
    if by_name is not None:
        return by_name
    return next(
        (
            provider
            for provider in PROVIDERS
            if any(re.search(pattern, text, re.IGNORECASE) for pattern in provider.banner_patterns)
        ),
        None,
    )


def _longest_suffix_match(name: str, suffixes_of: _SuffixGetter) -> Provider | None:
    best: tuple[int, Provider] | None = None
    labels = name.split(".") if name else []
    for provider in PROVIDERS:
        for suffix in suffixes_of(provider):
            wanted = suffix.split(".")
            if _labels_end_with(labels, wanted) and (best is None or len(wanted) > best[0]):
                best = (len(wanted), provider)
    return best[1] if best is not None else None


def _labels_end_with(labels: list[str], suffix: list[str]) -> bool:
    if len(labels) < len(suffix):
        return False
    tail = labels[len(labels) - len(suffix) :]
    return all(want in ("*", have) for have, want in zip(tail, suffix, strict=True))


def _normalise(name: str) -> str:
    return name.strip().strip("[]").rstrip(".").lower()


def _ip_address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def _is_loopback(name: str) -> bool:
    address = _ip_address(name)
    return address is not None and address.is_loopback
