"""A fleet of mail servers for the scale benchmark: one aiosmtpd listener per loopback address.

``python -m bench.fleet_server COUNT PORT DIR`` listens on COUNT addresses 127.0.1.1,
127.0.1.2, … (250 per /24), each on PORT (0: a free port, then the same one for all), each
a submission server of its own: STARTTLS with a certificate for its own address (all issued
by one throwaway CA), AUTH PLAIN/LOGIN offered after TLS.  It writes the CA to
``DIR/ca.pem`` and the targets, one per line, to ``DIR/targets.txt``, prints ``ready`` and
serves until its standard input closes.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import socket
import ssl
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PER_SUBNET = 250


def fleet_addresses(count: int) -> list[str]:
    """``count`` loopback addresses outside 127.0.0.0/24: 127.0.1.1 … 127.0.1.250, 127.0.2.1 …"""
    return [f"127.0.{1 + n // PER_SUBNET}.{1 + n % PER_SUBNET}" for n in range(count)]


class FleetCA:
    """A throwaway CA that issues one short-lived certificate per address."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtpdoctor bench CA")])
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(self._name)
            .issuer_name(self._name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self._key_pem = self._leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def server_context(self, address: str, workdir: Path) -> ssl.SSLContext:
        """A TLS server context presenting a certificate for ``address``."""
        now = datetime.datetime.now(datetime.UTC)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
            .issuer_name(self._name)
            .public_key(self._leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        cert_file, key_file = workdir / "cert.pem", workdir / "key.pem"
        cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(self._key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context


def _refuse_logins(*_: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)


class _NoDelaySMTP(SMTP):
    """aiosmtpd writes a multi-line reply line by line; without TCP_NODELAY, Nagle's algorithm
    and the client's delayed ACK stall every EHLO reply by ~40 ms, which Postfix (one write
    per reply) does not.  The benchmark wants a server that is not the bottleneck."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


class _Handler:
    async def handle_DATA(self, *_: Any) -> str:
        return "554 5.7.1 this benchmark server accepts no mail"


async def serve(count: int, port: int, outdir: Path, stop: asyncio.Event) -> None:
    ca = FleetCA()
    (outdir / "ca.pem").write_bytes(ca.pem)
    handler = _Handler()
    servers = []
    with tempfile.TemporaryDirectory(prefix="smtpdoctor-bench-") as scratch:
        for address in fleet_addresses(count):
            context = ca.server_context(address, Path(scratch))
            listener = socket.create_server((address, port), backlog=1024)
            port = listener.getsockname()[1]  # with port 0: the first free one, then the same

            def factory(context: ssl.SSLContext = context, address: str = address) -> SMTP:
                return _NoDelaySMTP(
                    handler,
                    hostname=f"mx-{address.replace('.', '-')}.fleet.test",
                    ident="ESMTP",
                    tls_context=context,
                    require_starttls=True,
                    auth_require_tls=True,
                    authenticator=_refuse_logins,
                )

            servers.append(await asyncio.get_running_loop().create_server(factory, sock=listener))
    targets = "".join(f"{address}:{port}\n" for address in fleet_addresses(count))
    (outdir / "targets.txt").write_text(targets)
    print("ready", flush=True)
    await stop.wait()
    for server in servers:
        server.close()


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
