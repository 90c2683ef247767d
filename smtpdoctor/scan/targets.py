"""The target list of a scan: servers and addresses, one per line, and the shards that split
it across machines (:class:`Shard`: N disjoint parts by a stable hash of the host name, so N
machines — or a Kubernetes Indexed Job — cover every target exactly once)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from smtpdoctor.model.words import DEFAULT_PORT, ConfigError
from smtpdoctor.settings.config import RunConfig, parse_target

#: The environment variable Kubernetes sets in each pod of an Indexed Job (0 … N-1).
SHARD_INDEX_VARIABLE = "JOB_COMPLETION_INDEX"


class ScanInputError(ValueError):
    """The target list or a scan option cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class ScanTarget:
    """One line of the list: a server (``host``, ``port``), or an email address (``mailbox``,
    whose submission server is looked up as ``smtpdoctor check`` does).  ``key`` names the
    target in the output and is what ``--resume`` matches on."""

    host: str
    """The server, or the address's mail domain."""
    port: int | None
    """Always set for a server; for an address, only when the line gave one."""
    mailbox: str | None = None

    @property
    def key(self) -> str:
        """``host:port`` (IPv6 in brackets) for a server; the address (``:port`` when given)
        for an address."""
        if self.mailbox is not None:
            return self.mailbox if self.port is None else f"{self.mailbox}:{self.port}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def is_address(self) -> bool:
        """Whether the line was an email address rather than a server."""
        return self.mailbox is not None


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line of the target list that is not a target, and why."""

    number: int
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class TargetList:
    """The targets of a list, in order and without repeats, and the lines that were refused."""

    targets: tuple[ScanTarget, ...]
    bad_lines: tuple[BadLine, ...]


def parse_targets(lines: Iterable[str], *, default_port: int = DEFAULT_PORT) -> TargetList:
    """Read ``host``, ``host:port``, ``[v6]:port`` or ``user@domain`` lines; blank lines and
    ``#`` comments are ignored, a target given twice is kept once, and unusable lines are
    listed, not raised.  A bare name is always a server here (a scan does not guess whether
    ``example.com`` means a mail domain: write an address at it for that)."""
    seen: dict[str, ScanTarget] = {}
    bad: list[BadLine] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            target = _parse_line(text, default_port)
        except ConfigError as exc:
            bad.append(BadLine(number, text, str(exc)))
            continue
        seen.setdefault(target.key, target)
    return TargetList(tuple(seen.values()), tuple(bad))


def _parse_line(text: str, default_port: int) -> ScanTarget:
    if "@" in text:
        from smtpdoctor.discovery.targets import parse_typed

        typed = parse_typed(text)
        assert typed.address is not None  # an "@" makes it an address or a ConfigError
        return ScanTarget(typed.name, typed.port, typed.address.lower())
    host, port = parse_target(text, default_port=default_port)
    RunConfig(host=host, port=port)  # the same validation a run applies
    return ScanTarget(host.lower().rstrip(".") or host, port)


@dataclass(frozen=True, slots=True)
class Shard:
    """Part ``index`` (0-based) of ``count`` disjoint parts of a target list."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ScanInputError(
                f"shard {self.index}/{self.count}: need 0 <= K < N (K counts from 0)"
            )

    @classmethod
    def parse(cls, text: str, environ: Mapping[str, str]) -> Shard:
        """``K/N``, or just ``N`` to take K from ``$JOB_COMPLETION_INDEX`` (as in a
        Kubernetes Indexed Job, where every pod runs the same command)."""
        index_text, slash, count_text = text.strip().rpartition("/")
        if not slash:
            index_text = environ.get(SHARD_INDEX_VARIABLE, "")
            if not index_text:
                raise ScanInputError(
                    f"--shard {text}: give K/N, or set {SHARD_INDEX_VARIABLE} to K"
                )
        if not (index_text.strip().isdecimal() and count_text.strip().isdecimal()):
            raise ScanInputError(f"--shard {text}: expected K/N with whole numbers, like 0/4")
        return cls(int(index_text), int(count_text))

    def holds(self, target: ScanTarget) -> bool:
        """Whether ``target`` belongs to this shard.

        By the host name, not the line: every port of one server lands in the same shard (so
        the per-address limit holds across the fleet), and the split does not change when
        the list is reordered or grows.
        """
        if self.count == 1:
            return True
        digest = hashlib.sha256(target.host.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index
