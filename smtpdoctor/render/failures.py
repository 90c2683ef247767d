"""What a run that could not be carried out prints on standard output, per format."""

from __future__ import annotations

from smtpdoctor.model.words import FailureKind


def render_failure(
    output_format: str | None, message: str, kind: FailureKind, exit_code: int
) -> str | None:
    """The document of a failed run in ``output_format``, so that a monitor reading that
    format always gets it: the ``SMTP UNKNOWN - <reason>`` line for ``nagios``, the error
    document for ``json``, ``probe_success 0`` and exit code 3 for ``prometheus``; None for
    any other format (the error on standard error says it all)."""
    if output_format == "prometheus":
        from smtpdoctor.render.prometheus import render_prometheus_failure

        return render_prometheus_failure()
    if output_format == "nagios":
        from smtpdoctor.render.nagios import render_nagios_failure

        return render_nagios_failure(message)
    if output_format == "json":
        from smtpdoctor.render.json import render_json_failure

        return render_json_failure(message, kind=kind, exit_code=exit_code)
    return None
