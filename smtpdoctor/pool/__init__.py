"""Every address of a name (``--all-addresses``): the same check against each A/AAAA address
of the server's name, and the members compared.

A load-balanced name (``smtp.example.com`` with three A records) is several servers that
clients reach at random.  When one of them differs — an old certificate, no STARTTLS, other
login methods — clients fail intermittently, and a check of the name alone sees whichever
member it happened to reach.  :func:`smtpdoctor.pool.survey.survey` runs the plan once per
address (politely, one at a time, bounded in number and time) and compares what each member
showed; :class:`PoolReport` holds every member's full report and the comparison.

This package's ``__init__`` loads only the result types (no network), so the renderers can
import them.
"""

from smtpdoctor.pool.limits import PoolLimits
from smtpdoctor.pool.report import NotChecked, PoolMember, PoolReport

__all__ = ["NotChecked", "PoolLimits", "PoolMember", "PoolReport"]
