"""A machine without a network: the connection never leaves it, and the report says so — the
machine's fault, one FAIL row (``tcp.no-network``), no port matrix blaming firewalls.

The check runs in a network namespace of its own (``unshare --user --net``: no interfaces
but a loopback that is down, no routes), so nothing can leave, whatever address is asked
for; the address is a documentation one (RFC 5737) all the same."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import Any

import pytest

#: An address from TEST-NET-1 (RFC 5737): never routed anywhere.
NOWHERE = "192.0.2.1"


def isolated(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``smtpdoctor ARGS`` in a new user and network namespace."""
    command = ["unshare", "--user", "--map-root-user", "--net", sys.executable, "-m"]
    return subprocess.run(
        [*command, "smtpdoctor", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture(autouse=True)
def _namespaces_available() -> None:
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux)")
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--net", "true"], capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {probe.stderr.decode().strip()}")


def rows(done: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in json.loads(done.stdout)["checks"]}


def test_no_route_from_this_machine_is_its_own_fault_in_one_fail_row() -> None:
    done = isolated("check", NOWHERE, "-f", "json")

    checked = rows(done)
    assert done.returncode == 2
    assert [row_id for row_id, row in checked.items() if row["status"] == "fail"] == ["tcp"]
    tcp = checked["tcp"]
    assert tcp["finding"] == "tcp.no-network"
    assert tcp["summary"].startswith(f"this machine has no route to {NOWHERE}: it is offline")
    assert "ENETUNREACH" in tcp["summary"]
    assert [hint["title"] for hint in tcp["hints"]] == [
        "This machine is not connected to that network"
    ]
    ports = checked["ports"]
    assert ports["status"] == "skip"
    assert ports["finding"] == "ports.no-network"


def test_with_a_port_given_the_tcp_row_says_the_same() -> None:
    done = isolated("check", f"{NOWHERE}:587", "-f", "json")

    checked = rows(done)
    assert "ports" not in checked
    assert checked["tcp"]["finding"] == "tcp.no-network"
