"""Where a server came from: kept apart from the DNS code so that naming a source does not
load dnspython (``smtpdoctor check 192.0.2.1:587`` never asks DNS anything)."""

from __future__ import annotations

import enum


class Source(enum.StrEnum):
    """Where the server smtpdoctor checks came from."""

    TYPED = "as typed"
    PROVIDER = "provider table"
    MX = "MX"
    SRV = "SRV"
    GUESS = "guess"
    MX_HOST = "MX host"
