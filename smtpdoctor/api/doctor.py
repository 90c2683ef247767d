"""The :class:`Doctor`: plugins loaded once, requests planned and run, reports rendered."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from smtpdoctor.api.planning import Plan, plan
from smtpdoctor.core.plugins import PluginSelection, make_plugin_manager
from smtpdoctor.model.results import CheckResult, Report, TranscriptLine
from smtpdoctor.net.truststore import TrustStores

if TYPE_CHECKING:
    from smtpdoctor.api.request import Request
    from smtpdoctor.core.plugins import PluginManager
    from smtpdoctor.pool import PoolLimits, PoolReport
    from smtpdoctor.render import RendererRegistry, RenderOptions

#: Called as each check finishes, with its result and the (redacted) lines of the SMTP
#: conversation exchanged since the previous result.
Observer = Callable[[CheckResult, Sequence[TranscriptLine]], None]


class Doctor:
    """One configured smtpdoctor: its plugins, renderers and trust stores, for many runs.

    Like an HTTP client object, a :class:`Doctor` is made once and used for every request: the
    plugins are loaded (and validated) when it is made, and the CA trust store is loaded
    once per set of CA settings and shared by every run — including runs on other threads,
    as :mod:`smtpdoctor.scan` does.

    >>> doctor = Doctor(PluginSelection(autoload=False))
    >>> "json" in doctor.formats
    True
    """

    def __init__(
        self,
        plugins: PluginSelection | None = None,
        *,
        extra_builtins: Sequence[str] = (),
        extra_plugins: Iterable[ModuleType | object] = (),
        trust_stores: TrustStores | None = None,
        more_check_ids: Callable[[PluginManager], Iterable[str]] | None = None,
    ) -> None:
        """Load the plugins.

        :param plugins: what to load besides the builtins: modules and files, names to leave
            out, whether installed plugins (entry points) load.  By default installed plugins
            load and nothing else.
        :param extra_builtins: more builtin modules, loaded and called as the builtins are
            (``smtpdoctor domain`` adds its domain checks).
        :param extra_plugins: plugin modules or objects to register after all others.
        :param trust_stores: the CA trust stores to use (and share); by default its own.
        :param more_check_ids: the ids of other kinds of checks the plugins register, which
            ``--disable`` may name too (the domain checks of ``smtpdoctor domain``).
        :raises PluginLoadError: a plugin cannot be loaded (named, with its file or
            distribution).
        :raises RegistrationError: the checks the plugins register do not form a valid plan.
        """
        from smtpdoctor.core.registry import collect_checks

        selection = plugins or PluginSelection()
        self.manager: PluginManager = make_plugin_manager(
            extra_builtins=extra_builtins,
            extra_plugins=extra_plugins,
            plugins=selection.plugins,
            disabled=selection.disabled,
            load_entry_points=selection.autoload,
            more_check_ids=more_check_ids,
        )
        collect_checks(self.manager)  # a bad registration is an error now, not mid-run
        self._renderers: RendererRegistry | None = None
        self._trust_stores = trust_stores or TrustStores()

    @classmethod
    def for_request(cls, request: Request) -> Doctor:
        """A Doctor for ``request``'s plugins whose trust store for ``request`` starts loading
        *before* the plugins load: OpenSSL parses the system's CA bundle (~50 ms) in a thread
        while Python imports the checks, instead of after."""
        return cls.for_settings(
            request.plugins,
            verifies_certificates=request.verifies_certificates,
            ca_file=request.ca_file,
            ca_data=request.ca_data,
        )

    @classmethod
    def for_settings(
        cls,
        plugins: PluginSelection,
        *,
        verifies_certificates: bool,
        ca_file: Path | None = None,
        ca_data: str | None = None,
    ) -> Doctor:
        """As :meth:`for_request`, from the settings alone: for a front door that loads the
        plugins before it has the whole request (``send`` does, before it asks a person).

        :param verifies_certificates: whether the run will verify a certificate
            (:attr:`Request.verifies_certificates`); only then does the trust store start.
        """
        stores = TrustStores()
        if verifies_certificates:
            stores.get(ca_file=_text(ca_file), ca_data=ca_data).prepare()
        return cls(plugins, trust_stores=stores)

    # -- the three steps ---------------------------------------------------------------------

    def plan(self, request: Request) -> Plan:
        """Decide ``request`` (see :func:`smtpdoctor.api.plan`); when the run will verify a
        certificate, the trust store starts loading now, alongside DNS and the port matrix.
        A CA file this Doctor's trust store has loaded already is not read again (``serve``
        and ``scan`` plan many requests with the same one)."""
        if request.verifies_certificates:
            store = self._trust_stores.get(ca_file=_text(request.ca_file), ca_data=request.ca_data)
            store.prepare()
            if store.loaded:  # the CA file loaded once already: no need to read it again
                return plan(request, ca_file_checked=True)
        return plan(request)

    def run(self, plan: Plan, *, observer: Observer | None = None) -> Report:
        """Run every check of the plan over one connection; the report.

        Never raises for what the server does: every failure is a row.  Ctrl-C ends the run
        with the report of what finished (``report.interrupted``; exit status 130).

        :param observer: called as each result is ready (see :data:`Observer`).
        """
        from smtpdoctor.core import runner
        from smtpdoctor.net.session import Session
        from smtpdoctor.secrets.redaction import Redactor

        config = plan.config
        trust_store = self._trust_stores.get(ca_file=_text(config.ca_file), ca_data=config.ca_data)
        session = Session(config, trust_store=trust_store)
        on_result = None
        if observer is not None:
            redactor = Redactor(config.secrets())
            shown = 0

            def on_result(result: CheckResult) -> None:
                nonlocal shown
                lines = session.transcript[shown:]
                shown += len(lines)
                observer(result, redactor.transcript(lines))

        return runner.run(
            config,
            self.manager,
            preamble=plan.preamble,
            on_result=on_result,
            session=session,
            recognised=plan.recognition,
        )

    def diagnose(self, request: Request, *, observer: Observer | None = None) -> Report:
        """Plan ``request`` and run it: the report."""
        return self.run(self.plan(request), observer=observer)

    def survey(self, plan: Plan, *, limits: PoolLimits | None = None) -> PoolReport:
        """Run the plan against every A/AAAA address of its server's name, one after the
        other, and compare the members (``check --all-addresses``): for a load-balanced pool
        where one member differs.  Each member is a full :class:`Report`; the comparison
        rows carry the knowledge base's and the plugins' hints.

        Never raises for what DNS or the servers do (a name without an address is a
        ``pool.no-addresses`` row).

        :param limits: how many members, how many at once, how long in all (by default 16,
            one at a time, twice the run's deadline).
        :raises ConfigError: the plan sends a test message (a message goes to one server).
        """
        from dataclasses import replace
        from functools import partial

        from smtpdoctor.pool.hints import plugin_hints
        from smtpdoctor.pool.survey import survey

        return survey(
            plan.config,
            lambda config: self.run(replace(plan, config=config)),
            hints=partial(plugin_hints, self.manager),
            limits=limits,
        )

    # -- output ------------------------------------------------------------------------------

    @property
    def formats(self) -> tuple[str, ...]:
        """The output formats: the builtins (``table``, ``json``, ``nagios``) and the
        plugins'."""
        return self._renderer_registry().names

    def render(self, report: Report, output_format: str, options: RenderOptions) -> str:
        """``report`` as text in ``output_format``.

        :raises RenderingError: the format is unknown.
        """
        return self._renderer_registry().render(output_format, report, options)

    def require_format(self, output_format: str) -> None:
        """Raise :class:`~smtpdoctor.render.RenderingError` unless ``output_format`` is known:
        a front door calls this before anything is sent."""
        from smtpdoctor.render import RenderingError

        if output_format not in self.formats:
            raise RenderingError(
                f"unknown format {output_format!r}; choose one of: {', '.join(self.formats)}"
            )

    # -- shared parts ------------------------------------------------------------------------

    def _renderer_registry(self) -> RendererRegistry:
        if self._renderers is None:
            from smtpdoctor.render import collect_renderers

            self._renderers = collect_renderers(self.manager)
        return self._renderers


def _text(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def diagnose(request: Request, *, observer: Observer | None = None) -> Report:
    """Check ``request``'s target with the builtin checks and the installed plugins (and those
    ``request.plugins`` names); the report.  For many requests, make one :class:`Doctor`.

    :raises ConfigError: the request cannot be carried out (said in words).
    :raises PluginLoadError: a plugin cannot be loaded.
    """
    return Doctor.for_request(request).diagnose(request, observer=observer)
