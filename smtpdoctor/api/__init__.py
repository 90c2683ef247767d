"""The library API: the one way to run a diagnosis, for every front door and for programs.

A run has three steps, each with a typed value::

    Request  --plan-->  Plan  --run-->  Report
    (what was asked)    (server, port,  (every check's result,
                         login decided)  the transcript, redacted)

>>> from smtpdoctor.api import Doctor, Request
>>> doctor = Doctor()                                  # loads the plugins, once
>>> report = doctor.diagnose(Request("smtp.example.com:587"))  # doctest: +SKIP
>>> report.exit_code                                                # doctest: +SKIP
<ExitCode.OK: 0>

:meth:`Doctor.survey` runs a plan against every address of its server's name and compares
them (:class:`PoolReport`).

``smtpdoctor check``, ``send``, ``scan`` and ``demo`` are thin adapters over this package;
``docs/api.md`` shows it with examples that the test suite runs.
"""

from smtpdoctor.api.doctor import Doctor, Observer, diagnose
from smtpdoctor.api.failures import Failure, failure_of
from smtpdoctor.api.planning import Plan, plan, read_password
from smtpdoctor.api.request import (
    MailboxCheck,
    Purpose,
    Request,
    SecretSources,
    TestMessage,
    parse_options,
)
from smtpdoctor.pool import PoolLimits, PoolMember, PoolReport
from smtpdoctor.settings.config import with_port

__all__ = [
    "Doctor",
    "Failure",
    "MailboxCheck",
    "Observer",
    "Plan",
    "PoolLimits",
    "PoolMember",
    "PoolReport",
    "Purpose",
    "Request",
    "SecretSources",
    "TestMessage",
    "diagnose",
    "failure_of",
    "parse_options",
    "plan",
    "read_password",
    "with_port",
]
