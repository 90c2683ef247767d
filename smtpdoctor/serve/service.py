"""A running ``serve``: its configuration source, prober, metrics, and how reloads went.

:meth:`ServeService.reload` (``POST /-/reload``, SIGHUP) reads the file again; a file that is
invalid, or whose plugins cannot load, leaves the running configuration in force, and the
error is kept for the status page and logged, and
``smtpdoctor_serve_config_last_reload_successful`` drops to 0.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from smtpdoctor.serve.config import Defaults, ServeConfig, default_config, load_config
from smtpdoctor.serve.metrics import ServeMetrics
from smtpdoctor.serve.prober import DEFAULT_MARGIN, Prober

if TYPE_CHECKING:
    from smtpdoctor.core.plugins import PluginSelection

LOG = logging.getLogger("smtpdoctor.serve")


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """Where the configuration comes from: the file (None: the command line alone) and the
    command line's defaults."""

    path: Path | None
    defaults: Defaults

    def load(self, environ: Mapping[str, str]) -> ServeConfig:
        """The configuration as it is now.

        :raises ServeConfigError: the file cannot be read or is not valid.
        """
        if self.path is None:
            return default_config(self.defaults)
        return load_config(self.path, self.defaults, environ)


@dataclass(frozen=True, slots=True)
class ReloadStatus:
    """How the last (re)load went: ``error`` in words when it failed."""

    ok: bool
    at: datetime
    error: str | None = None


class ServeService:
    """Everything a running ``serve`` holds; the HTTP app is a thin layer over it.

    :raises ServeConfigError: the configuration cannot be loaded at start.
    :raises PluginLoadError: a module's plugin cannot be loaded at start.
    """

    def __init__(
        self,
        source: ConfigSource,
        *,
        base: PluginSelection,
        environ: Mapping[str, str] | None = None,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        self.source = source
        self._environ = os.environ if environ is None else environ
        self.metrics = ServeMetrics()
        config = source.load(self._environ)
        self.prober = Prober(
            config, metrics=self.metrics, base=base, environ=self._environ, margin=margin
        )
        self.last_reload = ReloadStatus(ok=True, at=datetime.now(UTC))
        self.metrics.reloaded(ok=True, at=time.time())

    @property
    def config(self) -> ServeConfig:
        """The configuration in force."""
        return self.prober.config

    def reload(self) -> ReloadStatus:
        """Read the configuration again and use it; on any error keep the old one.  Never
        raises for a bad file: the status says why."""
        from smtpdoctor.api import failure_of

        try:
            self.prober.reconfigure(self.source.load(self._environ))
        except Exception as exc:  # noqa: BLE001 - any reason to refuse a file, in words
            message = failure_of(exc).message
            self.last_reload = ReloadStatus(ok=False, at=datetime.now(UTC), error=message)
            self.metrics.reloaded(ok=False, at=time.time())
            LOG.error("config reload failed, the old config stays in force: %s", message)
            return self.last_reload
        self.last_reload = ReloadStatus(ok=True, at=datetime.now(UTC))
        self.metrics.reloaded(ok=True, at=time.time())
        LOG.info("config reloaded from %s", self.source.path or "the command line")
        return self.last_reload

    def close(self) -> None:
        """Let running probes finish and stop the threads."""
        self.prober.close()
