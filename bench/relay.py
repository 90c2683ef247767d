"""A delaying TCP relay on loopback: a round-trip time without ``netem``, and a turn counter.

Every chunk read from one side is held for half the RTT before it is written to the other
side, in each direction, so a client talking to the relay sees the server ``rtt`` seconds
away.  For each connection the relay also counts *turns*, the conversation's changes of
direction: a side takes a turn when it sends after the other side's bytes have reached it.
A conversation ``S C S C S`` (greeting, EHLO, reply, QUIT, reply) has five turns and two
client turns; client turns are the round trips the client waited for.

Turns follow cause and effect, not the mere order of chunks: a client that sends two
commands without waiting in between makes one client turn, and so does a client that sends
its next command while unsolicited server bytes (TLS 1.3 session tickets) are still on
their way to it.  At an RTT of 0 everything arrives at once and that distinction blurs, so
compare round trips at a real RTT.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

CHUNK = 65536
UP, DOWN = "C", "S"  # client -> server, server -> client


@dataclass(slots=True)
class ConnectionLog:
    """One relayed connection: every chunk's arrival at the relay and delivery to the other
    side, in order, as ``("arrived" | "delivered", direction)``."""

    events: list[tuple[str, str]] = field(default_factory=list)
    bytes_up: int = 0
    bytes_down: int = 0

    def _turns(self, side: str) -> int:
        """Turns taken by ``side``: chunks it sent after something from the other side had
        been delivered to it (its first chunk counts as a turn too)."""
        turns, heard, spoken = 0, False, False
        for kind, direction in self.events:
            if kind == "delivered" and direction != side:
                heard = True
            elif kind == "arrived" and direction == side:
                if heard or not spoken:
                    turns += 1
                heard, spoken = False, True
        return turns

    @property
    def turns(self) -> int:
        """Turns of both sides."""
        return self._turns(UP) + self._turns(DOWN)

    @property
    def client_turns(self) -> int:
        """The client's turns: the round trips it waited for."""
        return self._turns(UP)


@dataclass(frozen=True, slots=True)
class Tally:
    """What the relay saw since the last reset."""

    connections: int
    turns: int
    round_trips: int
    bytes_up: int
    bytes_down: int


class DelayRelay:
    """Listens on 127.0.0.1 and relays every connection to ``upstream`` with ``rtt``.

    Runs its own event loop in a thread; use as a context manager.  :meth:`tally` and
    :meth:`reset` may be called from any thread between client runs.
    """

    def __init__(self, upstream: tuple[str, int], rtt: float) -> None:
        self.upstream = upstream
        self.rtt = rtt
        self.port = 0
        self._logs: list[ConnectionLog] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> DelayRelay:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self.port = future.result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def reset(self) -> None:
        """Forget the connections seen so far."""
        with self._lock:
            self._logs = []

    def tally(self) -> Tally:
        """Connections, turns and round trips (client turns) since the last reset."""
        with self._lock:
            logs = list(self._logs)
            return Tally(
                connections=len(logs),
                turns=sum(log.turns for log in logs),
                round_trips=sum(log.client_turns for log in logs),
                bytes_up=sum(log.bytes_up for log in logs),
                bytes_down=sum(log.bytes_down for log in logs),
            )

    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        tasks = [t for t in asyncio.all_tasks(self._loop) if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # cancelled when the relay stops
            await self._relay_one(client_r, client_w)

    async def _relay_one(
        self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
    ) -> None:
        log = ConnectionLog()
        with self._lock:
            self._logs.append(log)
        try:
            server_r, server_w = await asyncio.wait_for(
                asyncio.open_connection(*self.upstream), timeout=10
            )
        except (OSError, TimeoutError):
            client_w.close()
            with contextlib.suppress(OSError):
                await client_w.wait_closed()
            return
        try:
            for writer in (client_w, server_w):
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await asyncio.gather(
                self._pump(client_r, server_w, UP, log),
                self._pump(server_r, client_w, DOWN, log),
            )
        finally:
            for writer in (client_w, server_w):
                writer.close()
                with contextlib.suppress(OSError, asyncio.CancelledError):
                    await writer.wait_closed()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        direction: str,
        log: ConnectionLog,
    ) -> None:
        """Read chunks as they come; deliver each one half an RTT after it arrived."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        deliver = asyncio.ensure_future(self._deliver(queue, writer, direction, log))
        try:
            while chunk := await reader.read(CHUNK):
                with self._lock:
                    log.events.append(("arrived", direction))
                    if direction == UP:
                        log.bytes_up += len(chunk)
                    else:
                        log.bytes_down += len(chunk)
                queue.put_nowait((time.monotonic() + self.rtt / 2, chunk))
        except OSError:
            pass
        finally:
            queue.put_nowait((time.monotonic() + self.rtt / 2, b""))
            await deliver

    async def _deliver(
        self,
        queue: asyncio.Queue[tuple[float, bytes]],
        writer: asyncio.StreamWriter,
        direction: str,
        log: ConnectionLog,
    ) -> None:
        while True:
            due, chunk = await queue.get()
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                if not chunk:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(chunk)
                await writer.drain()
                with self._lock:
                    log.events.append(("delivered", direction))
            except OSError:
                return


@contextlib.contextmanager
def relayed(upstream: tuple[str, int], rtt: float) -> Iterator[DelayRelay]:
    """A :class:`DelayRelay` to ``upstream`` for the duration of the block."""
    with DelayRelay(upstream, rtt) as relay:
        yield relay
