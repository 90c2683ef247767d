"""Renderers: pure functions from a :class:`~smtpdoctor.results.Report` to text.

No renderer does I/O or decides anything; everything they show is in the report.
"""

from smtpdoctor.render.json import render_json, report_to_dict
from smtpdoctor.render.table import render_table, render_transcript

__all__ = ["render_json", "render_table", "render_transcript", "report_to_dict"]
