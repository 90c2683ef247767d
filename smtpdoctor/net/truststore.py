"""The verifying TLS context of a run, loaded once and ahead of need.

Loading the system trust store is OpenSSL parsing every CA certificate of the system bundle:
about 50 ms on a small machine, for every run that verifies certificates, before the first
TLS handshake can start.  OpenSSL does that work without Python's GIL, so a
:class:`TrustStore` does it in a background thread from the moment a run knows it will verify
a certificate: while the plugins load and the first round trips (greeting, EHLO, STARTTLS) are
in flight.  The handshake then takes the finished context.

One :class:`TrustStore` can serve many sessions: a scan shares one across all its targets, so
the store is loaded once per process, not once per server.  The context is never changed after
it is built, and OpenSSL lets many threads make connections from one context.
"""

from __future__ import annotations

import ssl
import threading

from smtpdoctor.net.transport import TLSError, client_context
from smtpdoctor.settings.config import RunConfig

#: How long the end of a run waits, at most, for a load still under way (see
#: :meth:`TrustStore.settle`).
SETTLE_TIMEOUT = 5.0


class TrustStore:
    """The system trust store plus the extra CAs of ``--ca-file`` (or ``ca_data``), as a
    verifying client context built in the background.

    :meth:`prepare` starts building (idempotent, thread-safe); :meth:`context` waits for it,
    no longer than a timeout.  An unverified context (``--insecure``, the password-free
    re-fetch of a refused certificate, port probes) needs no trust store and never waits.
    """

    def __init__(self, *, ca_file: str | None = None, ca_data: str | None = None) -> None:
        self._ca_file = ca_file
        self._ca_data = ca_data
        self._lock = threading.Lock()
        self._started = False
        self._done = threading.Event()
        self._context: ssl.SSLContext | None = None
        self._error: tuple[str, str] | None = None  # message and kind of the TLSError

    @classmethod
    def for_config(cls, config: RunConfig) -> TrustStore:
        """The trust store ``config`` asks for: the system store plus its ``ca_file`` and
        ``ca_data``."""
        return cls(ca_file=str(config.ca_file) if config.ca_file else None, ca_data=config.ca_data)

    def prepare(self) -> None:
        """Start loading in a background thread, unless that has started already."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._load, name="smtpdoctor-truststore", daemon=True).start()

    def context(self, *, verify: bool, timeout: float) -> ssl.SSLContext:
        """A client context for one handshake.

        :param verify: whether the certificate and the host name are verified.
        :param timeout: how many seconds to wait, at most, for the store to finish loading.
        :raises TLSError: kind ``config`` when the extra CAs cannot be loaded, kind
            ``timeout`` when loading does not finish within ``timeout``.
        """
        if not verify:
            return client_context(verify=False, ca_file=None, ca_data=None)
        self.prepare()
        if not self._done.wait(max(0.0, timeout)):
            raise TLSError("loading the trust store did not finish in time", kind="timeout")
        if self._error is not None:
            message, kind = self._error
            raise TLSError(message, kind=kind)  # a fresh one per caller: sessions share this
        assert self._context is not None
        return self._context

    @property
    def loaded(self) -> bool:
        """Whether the store has finished loading without an error (its CA file, if any, is
        known to hold CA certificates then)."""
        return self._done.is_set() and self._error is None

    def settle(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait, at most ``timeout`` seconds, for a load under way to end.

        Whoever ends a run calls it: when the run failed before its handshake (a refused port),
        the loader thread may still be inside OpenSSL, and a process that exits then can crash
        in OpenSSL's own clean-up (a segmentation fault, seen in one exit out of ten).
        """
        if self._started:
            self._done.wait(timeout)

    def _load(self) -> None:
        try:
            self._context = client_context(
                verify=True, ca_file=self._ca_file, ca_data=self._ca_data
            )
        except TLSError as exc:
            self._error = (str(exc), exc.kind)
        except Exception as exc:  # noqa: BLE001 - reported by the handshake that needs it
            self._error = (f"cannot set up TLS: {type(exc).__name__}: {exc}", "config")
        finally:
            self._done.set()


class TrustStores:
    """One :class:`TrustStore` per set of CA settings, made on first use and shared by every
    run that uses the same settings, on any thread (a scan's targets, a Doctor's runs)."""

    def __init__(self) -> None:
        self._stores: dict[tuple[str | None, str | None], TrustStore] = {}
        self._lock = threading.Lock()

    def get(self, *, ca_file: str | None, ca_data: str | None) -> TrustStore:
        """The trust store for these CA settings (not loaded before its first ``prepare``)."""
        with self._lock:
            store = self._stores.get((ca_file, ca_data))
            if store is None:
                store = TrustStore(ca_file=ca_file, ca_data=ca_data)
                self._stores[(ca_file, ca_data)] = store
            return store
