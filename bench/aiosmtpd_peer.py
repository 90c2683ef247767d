"""The fallback peer for the transaction benchmark: smtpdoctor's aiosmtpd demo server.

Run as ``python -m bench.aiosmtpd_peer USER CA_FILE`` with the password in ``$BENCH_PASSWORD``:
it serves STARTTLS + AUTH on 127.0.0.1, writes its CA certificate to CA_FILE, prints its port
and serves until its standard input closes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from smtpdoctor.lab.smtpserver import LocalSMTPServer


def main() -> None:
    user, ca_file = sys.argv[1], Path(sys.argv[2])
    with LocalSMTPServer(users={user: os.environ["BENCH_PASSWORD"]}) as server:
        ca_file.write_text(server.ca_pem)
        print(server.port, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
