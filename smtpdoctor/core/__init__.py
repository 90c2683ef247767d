"""The engine of a run: settings, the :class:`~smtpdoctor.core.check.Check` base class, the
hook specifications, the plugin manager, the check registry and the runner.

The public way to run a diagnosis is :mod:`smtpdoctor.api`, which stands on this package.
"""
