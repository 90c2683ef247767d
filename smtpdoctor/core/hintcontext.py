"""Building the :class:`~smtpdoctor.core.hooks.HintContext` that the ``smtpdoctor_hints`` hook
receives, from what the run has learnt so far."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from smtpdoctor.core.hooks import HintContext
from smtpdoctor.discovery.providers import Recognition, recognise
from smtpdoctor.software import Observation
from smtpdoctor.software import recognise as recognise_software

if TYPE_CHECKING:
    from smtpdoctor.model.results import CheckResult
    from smtpdoctor.model.software import Software
    from smtpdoctor.net.session import Session
    from smtpdoctor.protocol import Reply
    from smtpdoctor.settings.config import RunConfig


def recognition(
    config: RunConfig,
    session: Session,
    results: Mapping[str, CheckResult],
    planned: Recognition | None = None,
) -> Recognition | None:
    """The run's provider and how it was recognised: as planned (the typed address's mail
    domain, the typed domain's MX), else from the host name, the certificate's names, the
    EHLO domain, the greeting and the login, as far as the run has seen them."""
    if planned is not None:
        return planned
    banner = session.greeting.text if session.greeting is not None else None
    capabilities = session.capabilities or session.capabilities_before_tls
    certificate = results.get("certificate")
    names = certificate.outcome.details.get("sans") if certificate is not None else None
    return recognise(
        host=config.host,
        banner=banner,
        ehlo_domain=capabilities.domain if capabilities is not None else None,
        username=config.credentials.username if config.credentials else None,
        certificate_names=names if isinstance(names, tuple) else (),
    )


def hint_context(
    config: RunConfig,
    session: Session,
    results: Mapping[str, CheckResult] | None = None,
    planned: Recognition | None = None,
) -> HintContext:
    """The context for hints at this point of the run: the target, the greeting and EHLO
    domain received so far, and the provider they (with the host name, the certificate and
    what planning found) point to."""
    banner = session.greeting.text if session.greeting is not None else None
    capabilities = session.capabilities or session.capabilities_before_tls
    found = recognition(config, session, results or {}, planned)
    return HintContext(
        host=config.host,
        port=config.port,
        tls_mode=config.tls_mode,
        provider=found.provider.id if found is not None else None,
        banner=banner,
        ehlo_domain=capabilities.domain if capabilities is not None else None,
        software=server_software(session, results or {}),
        encrypted=session.is_tls,
    )


def server_software(
    session: Session, results: Mapping[str, CheckResult], *, also: Reply | None = None
) -> Software | None:
    """The server software, from what the server said so far: its greeting, its EHLO replies
    (before and after STARTTLS), the replies the checks' verdicts carry, and ``also``, a
    reply a check has just received."""
    greeting = session.greeting.lines if session.greeting is not None else ()
    replies = [session.capabilities_before_tls, session.capabilities]
    seen = [caps for caps in replies if caps is not None]
    texts = (result.outcome.reply_text for result in results.values())
    return recognise_software(
        Observation(
            greeting=greeting,
            ehlo=tuple(caps.greeting for caps in seen),
            extensions=tuple(keyword for caps in seen for keyword in caps.keywords()),
            replies=(
                *(line for text in texts if text for line in text.splitlines()),
                *(also.lines if also is not None else ()),
            ),
        )
    )
