"""A fleet of mail servers for the scale benchmark: one listener per loopback address.

``python -m bench.fleet_server COUNT PORT DIR`` listens on COUNT addresses 127.0.1.1,
127.0.1.2, … (250 per /24), each on PORT (0: a free port, then the same one for all), each
a submission server of its own — smtpdoctor's lab server (aiosmtpd), all of them on one event
loop: STARTTLS with a certificate for its own address (all issued by one throwaway CA), AUTH
PLAIN/LOGIN offered after TLS, every login refused.  It writes the CA to ``DIR/ca.pem`` and
the targets, one per line, to ``DIR/targets.txt``, prints ``ready`` and serves until its
standard input closes.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import sys
import threading
from pathlib import Path

from smtpdoctor.lab.pki import make_ca
from smtpdoctor.lab.smtpserver import LocalSMTPServer

PER_SUBNET = 250


def fleet_addresses(count: int) -> list[str]:
    """``count`` loopback addresses outside 127.0.0.0/24: 127.0.1.1 … 127.0.1.250, 127.0.2.1 …"""
    return [f"127.0.{1 + n // PER_SUBNET}.{1 + n % PER_SUBNET}" for n in range(count)]


async def serve(count: int, port: int, outdir: Path, stop: asyncio.Event) -> None:
    ca = make_ca()
    (outdir / "ca.pem").write_text(ca.ca_pem)
    # AUTH is offered (after STARTTLS) for an account nobody knows: every login is refused.
    nobody = {secrets.token_hex(8): secrets.token_urlsafe(16)}
    servers = []
    for address in fleet_addresses(count):
        listener = socket.create_server((address, port), backlog=1024)
        port = listener.getsockname()[1]  # with port 0: the first free one, then the same
        server = LocalSMTPServer(
            pki=ca.issue(hostnames=(), ip_addresses=(address,)),
            users=nobody,
            hostname=f"mx-{address.replace('.', '-')}.fleet.test",
            ident="ESMTP",
        )
        servers.append(await server.serve(listener))
    targets = "".join(f"{address}:{port}\n" for address in fleet_addresses(count))
    (outdir / "targets.txt").write_text(targets)
    print("ready", flush=True)
    await stop.wait()
    for running in servers:
        running.close()


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    count, port, outdir = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, _context: None)  # clients hanging up are normal
    stop = asyncio.Event()

    def wait_for_stdin() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_for_stdin, daemon=True).start()
    loop.run_until_complete(serve(count, port, outdir, stop))


if __name__ == "__main__":
    main()
