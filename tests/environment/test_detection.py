"""Recognising the cloud this machine runs on from its local files, without network traffic.

Each directory of ``fixtures/`` is the root of one machine: the identification strings under
``sys/class/dmi/id`` are those cloud-init's ``ds-identify`` and systemd's ``virt.c`` read (the
sources are in ``smtpdoctor/discovery/environment/clouds.py``); the other files of a tree show
what else such a machine holds and must not change the answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smtpdoctor.discovery.environment import CLOUDS, detect_environment

FIXTURES = Path(__file__).parent / "fixtures"
DMI = Path("sys/class/dmi/id")

#: Fixture tree -> (cloud id, cloud name, what gave it away).
CLOUD_MACHINES = {
    "aws": ("aws", "Amazon EC2", "DMI sys_vendor"),
    "aws-xen": ("aws", "Amazon EC2", "/sys/hypervisor/uuid"),
    "gce": ("gce", "Google Compute Engine", "DMI product_name"),
    "azure": ("azure", "Microsoft Azure", "DMI chassis_asset_tag"),
    "digitalocean": ("digitalocean", "DigitalOcean", "DMI sys_vendor"),
    "linode": ("linode", "Linode (Akamai Cloud)", "DMI sys_vendor"),
    "akamai": ("linode", "Linode (Akamai Cloud)", "DMI sys_vendor"),
    "hetzner": ("hetzner", "Hetzner Cloud", "DMI sys_vendor"),
    "oracle": ("oracle", "Oracle Cloud Infrastructure", "DMI chassis_asset_tag"),
    "vultr": ("vultr", "Vultr", "DMI sys_vendor"),
}
#: Machines on no known cloud: hardware, Hyper-V outside Azure, a plain QEMU guest.
OTHER_MACHINES = ("bare-metal", "hyper-v", "qemu")


def machine(tmp_path: Path, **files: str | bytes) -> Path:
    """A root whose ``sys/class/dmi/id`` holds ``files`` (name -> content)."""
    folder = tmp_path / DMI
    folder.mkdir(parents=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize("tree", CLOUD_MACHINES)
def test_each_cloud_is_recognised_from_its_fixture_files(tree: str) -> None:
    environment = detect_environment(FIXTURES / tree)

    assert environment is not None
    assert (environment.provider_id, environment.name, environment.evidence) == CLOUD_MACHINES[tree]
    assert environment.describe() == f"{CLOUD_MACHINES[tree][1]} ({CLOUD_MACHINES[tree][2]})"


def test_every_cloud_of_the_table_has_a_fixture_machine() -> None:
    assert {cloud.id for cloud in CLOUDS} == {found[0] for found in CLOUD_MACHINES.values()}


@pytest.mark.parametrize("tree", OTHER_MACHINES)
def test_a_machine_on_no_known_cloud_has_no_environment(tree: str) -> None:
    assert detect_environment(FIXTURES / tree) is None


def test_hyper_v_with_azures_vendor_and_product_but_another_asset_tag_is_not_azure() -> None:
    azure, hyper_v = FIXTURES / "azure" / DMI, FIXTURES / "hyper-v" / DMI
    for name in ("sys_vendor", "product_name"):
        assert (azure / name).read_text() == (hyper_v / name).read_text()

    assert detect_environment(FIXTURES / "hyper-v") is None


def test_the_environment_carries_the_clouds_port_policy_and_where_the_strings_come_from() -> None:
    environment = detect_environment(FIXTURES / "gce")

    assert environment is not None
    policy = environment.policy_for(25)
    assert policy is not None and policy.state == "blocked"
    assert environment.policy_for(587) is None
    assert environment.blocking(25) == (
        "this machine runs on Google Compute Engine, which blocks outgoing port 25"
    )
    assert environment.sources
    assert all(source.startswith("https://github.com/") for source in environment.sources)


def test_a_root_that_does_not_exist_is_no_environment(tmp_path: Path) -> None:
    assert detect_environment(tmp_path / "nowhere") is None


def test_a_root_that_is_a_file_is_no_environment(tmp_path: Path) -> None:
    root = tmp_path / "file"
    root.write_text("Google Compute Engine\n")

    assert detect_environment(root) is None


def test_a_directory_where_a_file_should_be_is_no_evidence(tmp_path: Path) -> None:
    (tmp_path / DMI / "product_name").mkdir(parents=True)

    assert detect_environment(tmp_path) is None


def test_a_fifo_where_a_file_should_be_does_not_hold_the_run(tmp_path: Path) -> None:
    root = machine(tmp_path, sys_vendor="Vultr\n")
    os.mkfifo(root / DMI / "product_name")  # read before sys_vendor, and nobody writes to it

    environment = detect_environment(root)

    assert environment is not None and environment.provider_id == "vultr"


def test_a_dangling_link_is_no_evidence(tmp_path: Path) -> None:
    root = machine(tmp_path)
    (root / DMI / "sys_vendor").symlink_to(tmp_path / "gone")

    assert detect_environment(root) is None


def test_an_unreadable_file_is_no_evidence(tmp_path: Path) -> None:
    root = machine(tmp_path, sys_vendor="DigitalOcean\n")
    tmp_path.chmod(0o755)  # the tree itself stays open to the other user
    (root / DMI).chmod(0o755)
    (root / "sys" / "class" / "dmi").chmod(0o755)
    readable = detect_in_other_user(root)

    (root / DMI / "sys_vendor").chmod(0)

    assert "DigitalOcean" in readable  # the same file, readable: the control
    assert detect_in_other_user(root) == "None"


def detect_in_other_user(root: Path) -> str:
    """What detection finds under ``root``, as an unprivileged user (root reads files of
    any mode: then in a user namespace of its own, where it is nobody)."""
    code = (
        "import sys; from pathlib import Path; "
        "from smtpdoctor.discovery.environment import detect_environment; "
        "print(detect_environment(Path(sys.argv[1])))"
    )
    command = [sys.executable, "-c", code, str(root)]
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("as root, needs unshare (util-linux) to read as another user")
        command = ["unshare", "--user", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"no user namespaces here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_binary_garbage_is_no_evidence_and_no_error(tmp_path: Path) -> None:
    root = machine(tmp_path, sys_vendor=b"\xff\xfe\x00\x1b[31mGoogle\n", product_name=b"")

    assert detect_environment(root) is None


def test_a_huge_file_is_read_only_as_far_as_its_first_bytes(tmp_path: Path) -> None:
    root = machine(tmp_path, sys_vendor="Hetzner" + " " * 1_000_000)

    environment = detect_environment(root)

    assert environment is not None and environment.provider_id == "hetzner"


def test_values_are_compared_without_the_line_ending_and_surrounding_spaces(
    tmp_path: Path,
) -> None:
    root = machine(tmp_path, chassis_asset_tag="  OracleCloud.com \r\n")

    environment = detect_environment(root)

    assert environment is not None and environment.provider_id == "oracle"


def test_a_value_that_only_contains_a_clouds_name_is_not_that_cloud(tmp_path: Path) -> None:
    root = machine(tmp_path, sys_vendor="Not DigitalOcean\n", chassis_asset_tag="xOracleCloud.com")

    assert detect_environment(root) is None


def test_amazon_ec2_is_recognised_by_the_prefix_systemd_matches(tmp_path: Path) -> None:
    root = machine(tmp_path, bios_vendor="Amazon EC2 (Nitro)\n")

    environment = detect_environment(root)

    assert environment is not None and environment.evidence == "DMI bios_vendor"
