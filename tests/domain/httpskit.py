"""An HTTPS server on 127.0.0.1 (a random port) that serves one configurable response, for
the MTA-STS tests: a policy host that is right, or wrong in a chosen way::

    with HTTPSServer(Reply(body=b"version: STSv1\\r\\n...")) as server:
        fetch("mta-sts.example.test", POLICY_PATH, options(server))   # port, ca_file

Its certificate is issued by a trustme CA for ``mta-sts.example.test`` (or the ``names``
given); :attr:`HTTPSServer.ca_file` is that CA as a PEM file.  Each connection gets the
current :attr:`HTTPSServer.reply`: a status, headers and a body, sent with a Content-Length,
chunked, until the connection closes, one byte at a time (``drip``), or as raw bytes.
Every request received is kept in :attr:`HTTPSServer.requests`.
"""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import trustme

POLICY_HOST = "mta-sts.example.test"


@dataclass(frozen=True)
class Reply:
    """What the server answers every request with."""

    status: int = 200
    reason: str = "OK"
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/plain"),)
    body: bytes = b""
    framing: str = "length"
    """``length`` (a Content-Length header), ``chunked`` (chunks of ``chunk_size`` bytes)
    or ``close`` (no length: the body ends when the connection closes)."""
    chunk_size: int = 16
    drip: float = 0.0
    """Seconds to wait before each byte of the response (0: send it at once)."""
    raw: bytes | None = None
    """Send exactly these bytes instead of building a response."""

    def encode(self) -> bytes:
        """The response as bytes on the wire."""
        if self.raw is not None:
            return self.raw
        lines = [f"HTTP/1.1 {self.status} {self.reason}", *(f"{k}: {v}" for k, v in self.headers)]
        body = self.body
        if self.framing == "length":
            lines.append(f"Content-Length: {len(body)}")
        elif self.framing == "chunked":
            lines.append("Transfer-Encoding: chunked")
            chunks = [body[i : i + self.chunk_size] for i in range(0, len(body), self.chunk_size)]
            body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
            body += b"0\r\n\r\n"
        lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class HTTPSServer:
    """An HTTPS server on 127.0.0.1 answering every request with :attr:`reply`."""

    def __init__(
        self, reply: Reply | None = None, *, names: tuple[str, ...] = (POLICY_HOST,)
    ) -> None:
        self.reply = reply or Reply()
        self._ca = trustme.CA()
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ca.issue_cert(*names).configure_cert(self._context)
        self._directory = tempfile.TemporaryDirectory(prefix="smtpdoctor-https-")
        self.ca_file = Path(self._directory.name, "ca.pem")
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        self._lock = threading.Lock()
        self._requests: list[bytes] = []
        self._stop = threading.Event()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.05)
        self._port: int = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="test-https", daemon=True)

    @property
    def port(self) -> int:
        """The TCP port the server listens (or listened) on."""
        return self._port

    @property
    def requests(self) -> list[bytes]:
        """Every request received so far (its head: request line and headers)."""
        with self._lock:
            return list(self._requests)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()
        self._directory.cleanup()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(
                target=self._answer, args=(client,), name="test-https-client", daemon=True
            ).start()

    def _answer(self, client: socket.socket) -> None:
        client.settimeout(5)
        try:
            with self._context.wrap_socket(client, server_side=True) as tls:
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    data = tls.recv(4096)
                    if not data:
                        return
                    head += data
                with self._lock:
                    self._requests.append(head)
                self._send(tls, self.reply)
        except (OSError, ssl.SSLError):
            return  # the client went away, or refused our certificate: as it may

    def _send(self, tls: ssl.SSLSocket, reply: Reply) -> None:
        wire = reply.encode()
        if not reply.drip:
            tls.sendall(wire)
            return
        for index in range(len(wire)):
            if self._stop.wait(reply.drip):
                return
            tls.sendall(wire[index : index + 1])
