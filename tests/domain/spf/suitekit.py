"""The OpenSPF YAML test suite as data: scenarios, their tests, their DNS zone as text.

The suite's ``zonedata`` maps names to records (``- A: 1.2.3.4``, ``- TXT: [two, strings]``,
``- MX: [0, mail.example.com]``, ``- TIMEOUT``); :func:`zone_text` turns it into the lines
``tests/targets/dnsserver.py`` serves, following the suite's own driver (pyspf's
``testspf.py``):

* a name with SPF-type records and no TXT entry gets each of them as a TXT record too (the
  suite writes most records as ``SPF`` and relies on this); ``TXT: NONE`` says "no TXT";
* ``TIMEOUT`` makes every type *not* listed before it time out.  The server drops whole
  names, so a name is dropped when its TXT records — the type check_host asks of a record's
  domain — are not listed before the ``TIMEOUT`` (``spftimeout`` lists TXT first: only its
  SPF-type query, which RFC 7208 §3.1 says not to ask, would time out, so it is served);
* a TXT record with no strings at all (``SPF: []``, "null text", which DNS cannot carry in
  zone text) is left out — the test says only that it must not crash the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.name
import yaml

SUITE = Path(__file__).parent / "data" / "rfc7208-tests.yml"


@dataclass(frozen=True)
class Case:
    """One test of the suite."""

    scenario: int
    name: str
    host: str
    helo: str
    mailfrom: str
    results: tuple[str, ...]
    """The acceptable results, the preferred one first."""
    explanation: str | None = None
    """The explanation a fail must carry; ``"DEFAULT"`` means none published."""
    spec: str = ""

    @property
    def domain(self) -> str:
        """What check_host checks: the MAIL FROM domain, or the HELO name for a null sender."""
        return self.mailfrom.rpartition("@")[2] if self.mailfrom else self.helo

    @property
    def sender(self) -> str:
        """The MAIL FROM address, ``postmaster@`` + the HELO name for a null sender (§2.4)."""
        return self.mailfrom or f"postmaster@{self.helo}"


@dataclass(frozen=True)
class Scenario:
    """One YAML document: a zone and the tests run against it."""

    index: int
    description: str
    zone: str
    drop: frozenset[str]
    cases: tuple[Case, ...] = field(default=())


def load_suite(path: Path = SUITE) -> tuple[Scenario, ...]:
    """Every scenario of the suite, in file order."""
    with path.open(encoding="utf-8") as stream:
        documents = list(yaml.safe_load_all(stream))
    scenarios = []
    for index, document in enumerate(documents):
        zone, drop = zone_text(document["zonedata"])
        cases = tuple(_case(index, name, test) for name, test in document["tests"].items())
        scenarios.append(Scenario(index, document["description"], zone, drop, cases))
    return tuple(scenarios)


def _case(scenario: int, name: str, test: dict[str, Any]) -> Case:
    result = test["result"]
    return Case(
        scenario=scenario,
        name=name,
        host=str(test["host"]),
        helo=str(test["helo"]),
        mailfrom=str(test["mailfrom"]),
        results=tuple(result) if isinstance(result, list) else (result,),
        explanation=test.get("explanation"),
        spec=str(test.get("spec", "")),
    )


def zone_text(zonedata: dict[str, list[Any]]) -> tuple[str, frozenset[str]]:
    """The zone as ``name TYPE rdata`` lines, and the names to drop (time out)."""
    lines: list[str] = []
    drop: set[str] = set()
    for owner, entries in zonedata.items():
        name = _name(owner)
        answered: set[str] = set()
        records: list[tuple[str, Any]] = []
        for entry in entries:
            if entry == "TIMEOUT":
                if "TXT" not in answered:
                    drop.add(name)
                break
            ((rdtype, value),) = entry.items()
            if value != "NONE":
                answered.add(rdtype)
                records.append((rdtype, value))
        explicit_txt = any("TXT" in entry for entry in entries if isinstance(entry, dict))
        for rdtype, value in records:
            types = [rdtype]
            if rdtype == "SPF" and not explicit_txt:
                types.append("TXT")
            rdata = _rdata(rdtype, value)
            if rdata is not None:
                lines.extend(f"{name} {each} {rdata}" for each in types)
    return "\n".join(lines), frozenset(drop)


def _name(text: str) -> str:
    """A name as zone text, absolute, special characters (spaces …) escaped."""
    if not text:
        return "."
    return dns.name.from_text(text).to_text()


def _rdata(rdtype: str, value: Any) -> str | None:
    if rdtype in ("TXT", "SPF"):
        strings = [value] if isinstance(value, str) else list(value)
        if not strings:
            return None  # "null text": no strings at all; zone text cannot say it
        return " ".join(_quoted(text) for text in strings)
    if rdtype == "MX":
        preference, host = value
        return f"{preference} {_name(host)}"
    if rdtype in ("PTR", "CNAME"):
        return _name(value)
    return str(value)


def _quoted(text: str) -> str:
    """One character-string, UTF-8, with every byte that is not printable ASCII (and the
    quote and backslash) written as ``\\DDD``."""
    out = []
    for byte in text.encode("utf-8"):
        if 0x20 <= byte < 0x7F and byte not in (0x22, 0x5C):
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'
