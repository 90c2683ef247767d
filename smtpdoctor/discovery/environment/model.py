"""One entry of the table of clouds: how a machine of that provider recognises itself in
local files, and what the provider does to outgoing mail ports."""

from __future__ import annotations

from dataclasses import dataclass

from smtpdoctor.model.environment import Environment, PortPolicy

DMI = "sys/class/dmi/id/"
"""Where Linux shows the firmware's (SMBIOS/DMI) identification strings, under the root."""


@dataclass(frozen=True, slots=True)
class Marker:
    """A local file whose content gives the provider away: ``path`` under the root (no
    leading ``/``), the ``value`` it holds (its first line, without surrounding spaces), or
    starts with when ``prefix``; ``source`` is the public code that reads it so."""

    path: str
    value: str
    source: str
    prefix: bool = False

    @property
    def evidence(self) -> str:
        """``DMI product_name``, ``/sys/hypervisor/uuid``."""
        if self.path.startswith(DMI):
            return f"DMI {self.path.removeprefix(DMI)}"
        return f"/{self.path}"

    def matches(self, content: str) -> bool:
        """Whether ``content`` (a file's first line, stripped) is this marker's value."""
        return content.startswith(self.value) if self.prefix else content == self.value


@dataclass(frozen=True, slots=True)
class Cloud:
    """A cloud or hosting provider: its markers (any one recognises it) and its outbound
    port policy (empty when none could be sourced: ``note`` then says so)."""

    id: str
    name: str
    markers: tuple[Marker, ...]
    policies: tuple[PortPolicy, ...] = ()
    note: str | None = None

    def environment(self, marker: Marker) -> Environment:
        """The environment of a machine on this provider, recognised by ``marker``."""
        return Environment(
            provider_id=self.id,
            name=self.name,
            evidence=marker.evidence,
            outbound_policy=self.policies,
            sources=tuple(dict.fromkeys(m.source for m in self.markers)),
        )
