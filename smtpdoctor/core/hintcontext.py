"""Building the :class:`~smtpdoctor.core.hooks.HintContext` that the ``smtpdoctor_hints`` hook
receives, from what the run has learnt so far."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpdoctor.core.hooks import HintContext
from smtpdoctor.discovery.providers import detect_provider

if TYPE_CHECKING:
    from smtpdoctor.net.session import Session
    from smtpdoctor.settings.config import RunConfig


def hint_context(config: RunConfig, session: Session) -> HintContext:
    """The context for hints at this point of the run: the target, the greeting and EHLO
    domain received so far, and the provider they (with the host name) point to."""
    banner = session.greeting.text if session.greeting is not None else None
    capabilities = session.capabilities or session.capabilities_before_tls
    ehlo_domain = capabilities.domain if capabilities is not None else None
    provider = detect_provider(
        host=config.host,
        banner=banner,
        ehlo_domain=ehlo_domain,
        username=config.credentials.username if config.credentials else None,
    )
    return HintContext(
        host=config.host,
        port=config.port,
        tls_mode=config.tls_mode,
        provider=provider.id if provider is not None else None,
        banner=banner,
        ehlo_domain=ehlo_domain,
    )
