"""Hints for the providers of the world table: the account switch to flip, the credential to
use (an authorization code, an app password, an API key …) and the user-name form.

Built from the provider table (:mod:`smtpdoctor.discovery.providers`), so a hint says exactly
what the table's sources say, and is matched — never guessed:

* a refused login (``535``, or a refusal reply the provider is known to send) at a provider
  the run recognised → what to turn on, where, and which credential to use;
* a reply a provider is known to send (its text) → the same hint, at the more specific
  :attr:`~smtpdoctor.remedies.Tier.PROVIDER_REPLY` tier; a *distinctive* reply also without
  the provider being recognised (:attr:`~smtpdoctor.remedies.Tier.REPLY`).

Every hint remembers the day its facts were checked (:data:`CHECKED_ON`); :func:`aged` adds
"checked on DATE" to a hint older than :data:`STALE_AFTER_DAYS`.  The established providers
(Gmail, Microsoft, Yahoo …) keep their hand-written hints in their own modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from smtpdoctor.discovery.providers import (
    PROVIDERS,
    Credential,
    Provider,
    Refusal,
)
from smtpdoctor.discovery.providers.established import ESTABLISHED
from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

#: A hint whose facts were checked longer ago than this says so ("checked on DATE").
STALE_AFTER_DAYS = 365

#: The reply codes of a refused login.
_REFUSED_LOGIN = 535

_CREDENTIAL_WORDS: Mapping[Credential, str] = MappingProxyType(
    {
        Credential.AUTHORIZATION_CODE: "The password is the authorization code the provider "
        "generates, not the account password.",
        Credential.MAIL_PASSWORD: "The password is the separate e-mail password for mail "
        "programs, not the password of the website.",
        Credential.APP_PASSWORD: "The password is an app password created for this "
        "program, not the account password.",
        Credential.API_KEY: "The password is an API key, not the dashboard login.",
        Credential.SMTP_KEY: "The user name and password are the SMTP credentials created "
        "for sending, not the dashboard login.",
        Credential.OAUTH_ONLY: "Only OAuth works: use --oauth-token instead of a password.",
        Credential.BRIDGE_PASSWORD: "The password is the one Bridge shows.",
    }
)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _hint(provider: Provider, refusal: Refusal | None = None) -> Hint:
    """What to do at ``provider``: after ``refusal`` (a reply it is known to send), or after
    any refused login."""
    if refusal is not None and refusal.check != "auth":
        return Hint(
            f"{provider.name}: {refusal.means}",
            (f"{provider.name} sends this reply when {refusal.means}.", f"{provider.auth_note}."),
            provider.docs_url,
        )
    steps: list[str] = []
    title = (
        f"{provider.name} needs {provider.switches[0].name}"
        if provider.switches
        else f"{provider.name}: use the {provider.credential.value}"
    )
    if refusal is not None:
        title = f"{provider.name}: {refusal.means}"
        steps.append(f"{provider.name} sends this reply when {refusal.means}.")
    steps += [f"{_capital(switch.name)}: {switch.where}." for switch in provider.switches]
    credential = _CREDENTIAL_WORDS.get(provider.credential)
    if credential is not None:
        steps.append(credential)
    steps.append(f"User name: {provider.username_in_words}; password: {provider.auth_note}.")
    pages = (*(switch.url for switch in provider.switches), provider.docs_url)
    url = next((page for page in pages if page and page.startswith("https://")), None)
    return Hint(title, tuple(steps), url)


def _remedies(provider: Provider) -> tuple[Remedy, ...]:
    found: list[Remedy] = []
    for refusal in provider.refusals:
        hint = _hint(provider, refusal)
        reply = Match(
            check=refusal.check,
            codes=(refusal.code,),
            enhanced=refusal.enhanced,
            text=refusal.text,
            provider=provider.id,
        )
        found.append(Remedy(reply, hint, Tier.PROVIDER_REPLY, refusal.example))
        if refusal.distinctive:
            anyone = Match(
                check=refusal.check,
                codes=(refusal.code,),
                enhanced=refusal.enhanced,
                text=refusal.text,
            )
            found.append(Remedy(anyone, hint, Tier.REPLY, refusal.example))
    login_codes = (_REFUSED_LOGIN, *(r.code for r in provider.refusals if r.check == "auth"))
    found.append(
        Remedy(
            Match(check="auth", codes=tuple(dict.fromkeys(login_codes)), provider=provider.id),
            _hint(provider),
            Tier.PROVIDER,
            None,
        )
    )
    return tuple(found)


_ESTABLISHED_IDS = frozenset(provider.id for provider in ESTABLISHED)
_WORLD = tuple(p for p in PROVIDERS if p.id not in _ESTABLISHED_IDS)

SECTIONS: tuple[Section, ...] = tuple(
    Section(provider.name, (provider.id,), _remedies(provider)) for provider in _WORLD
)

#: The day the facts behind each hint of this module were checked.
CHECKED_ON: Mapping[Hint, date] = MappingProxyType(
    {
        remedy.hint: checked
        for section, provider in zip(SECTIONS, _WORLD, strict=True)
        if (checked := provider.checked) is not None
        for remedy in section.remedies
    }
)


def aged(hint: Hint, today: date) -> Hint:
    """``hint`` with a last step "checked on DATE" when its facts were checked more than
    :data:`STALE_AFTER_DAYS` before ``today``; any other hint as it is."""
    checked = CHECKED_ON.get(hint)
    if checked is None or (today - checked).days <= STALE_AFTER_DAYS:
        return hint
    note = (
        f"These facts were checked on {checked.isoformat()}; the provider may have changed "
        "them since."
    )
    return Hint(hint.title, (*hint.steps, note), hint.url)
