"""The clouds smtpdoctor recognises, and what each does to outgoing mail ports.

Every identifying string is the one public code reads to recognise the provider (cloud-init's
``ds-identify``, systemd's ``virt.c``), and every port policy carries the page it was read
from and the day it was checked.  A policy known only from a secondary source that is itself
uncertain is marked unconfirmed and worded so; a provider whose policy could not be sourced
(Vultr) is recognised, and its policy left out.
"""

from __future__ import annotations

from smtpdoctor.discovery.environment.model import DMI, Cloud, Marker
from smtpdoctor.discovery.providers.sourcing import CHECKED, github
from smtpdoctor.model.environment import PortPolicy, PortState

#: cloud-init's platform identification: the DMI values and ``/sys/hypervisor/uuid``.
DS_IDENTIFY = github(
    "canonical/cloud-init", "0066a6bc3547c9d60cba818aee9dcee602fe0cce", "tools/ds-identify"
)
#: systemd-detect-virt's DMI vendor table (``Amazon EC2``, ``Google Compute Engine``).
SYSTEMD_VIRT = github(
    "systemd/systemd", "0099e5589762f2ef72d9c69b7e7032138d410979", "src/basic/virt.c"
)
#: The chassis asset tag of every Azure virtual machine (plain Hyper-V has another).
AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"

AWS_PORT_25 = "https://aws.amazon.com/premiumsupport/knowledge-center/ec2-port-25-throttle"
SES_CONNECT = "https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html"
GITLAB_GKE = "https://gitlab.com/gitlab-org/charts/gitlab/-/merge_requests/647"
NYLAS_CLOUD = "https://cli.nylas.com/guides/smtp-ports-blocked-on-cloud-servers"
AZURE_SMTP = (
    "https://learn.microsoft.com/azure/virtual-network/troubleshoot-outbound-smtp-connectivity"
)
DIGITALOCEAN_SMTP = "https://docs.digitalocean.com/support/why-is-smtp-blocked"
LINODE_POLICY = "https://linode.com/blog/linode/a-new-policy-to-help-fight-spam"
HETZNER_REPORT = "https://git.wizard.lu/sboulahtit/orion/commit/1227567d"
ORACLE_REPORT = "https://bitbucket.org/analogic/mailserver/issues/975"
OCI_EMAIL = "https://docs.oracle.com/iaas/Content/Email/Tasks/configuresmtpconnection.htm"

_RELAY = "submit on 587 or 465 to your mail provider or a relay service instead"


def _dmi(name: str, value: str, source: str, *, prefix: bool = False) -> Marker:
    return Marker(f"{DMI}{name}", value, source, prefix)


CLOUDS: tuple[Cloud, ...] = (
    Cloud(
        "aws",
        "Amazon EC2",
        (
            *(
                _dmi(name, "Amazon EC2", SYSTEMD_VIRT, prefix=True)
                for name in ("sys_vendor", "product_name", "board_vendor", "bios_vendor")
            ),
            Marker("sys/hypervisor/uuid", "ec2", DS_IDENTIFY, prefix=True),  # Xen instances
        ),
        (
            PortPolicy(
                25,
                PortState.THROTTLED_UNTIL_REQUEST,
                "Ask AWS to lift it with the form \u201cRequest to remove email sending "
                "limitations\u201d (AWS Support, for this account and region), or "
                f"{_RELAY} (Amazon SES listens on 587 and 465).",
                (AWS_PORT_25, SES_CONNECT),
                CHECKED,
                note="Lambda functions are limited too: to send, they must run in a VPC behind "
                "a NAT gateway.",
            ),
        ),
    ),
    Cloud(
        "gce",
        "Google Compute Engine",
        (
            _dmi("product_name", "Google Compute Engine", DS_IDENTIFY),
            _dmi("product_serial", "GoogleCloud-", DS_IDENTIFY, prefix=True),
        ),
        (
            PortPolicy(
                25,
                PortState.BLOCKED,
                "Use 587 or 465 instead (Google Cloud allows them) to your "
                "mail provider, or a relay service.",
                (GITLAB_GKE, NYLAS_CLOUD),
                CHECKED,
            ),
        ),
    ),
    Cloud(
        "azure",
        "Microsoft Azure",
        (_dmi("chassis_asset_tag", AZURE_ASSET_TAG, DS_IDENTIFY),),
        (
            PortPolicy(
                25,
                PortState.BLOCKED_FOR_MOST_SUBSCRIPTIONS,
                "Send through an authenticated relay on 587, such as Azure Communication "
                "Services or your mail provider.",
                (AZURE_SMTP,),
                CHECKED,
                note="Enterprise Agreement and MCA-E subscriptions may send directly "
                "(since 15 November 2017 the others may not).",
            ),
        ),
    ),
    Cloud(
        "digitalocean",
        "DigitalOcean",
        (_dmi("sys_vendor", "DigitalOcean", DS_IDENTIFY),),
        (
            PortPolicy(
                25,
                PortState.BLOCKED_FOR_NEW_ACCOUNTS,
                f"It is blocked on every Droplet of such an account: {_RELAY}.",
                (DIGITALOCEAN_SMTP,),
                CHECKED,
            ),
        ),
    ),
    Cloud(
        "linode",
        "Linode (Akamai Cloud)",
        (
            _dmi("sys_vendor", "Linode", DS_IDENTIFY),
            _dmi("sys_vendor", "Akamai", DS_IDENTIFY),
        ),
        tuple(
            PortPolicy(
                port,
                PortState.BLOCKED_FOR_NEW_ACCOUNTS,
                "To have the restriction lifted, set the Linode's A record and reverse DNS, "
                "then open a support ticket; meanwhile use a relay service's HTTPS API or "
                "its port 2525.",
                (LINODE_POLICY,),
                CHECKED,
                note="New accounts are those opened since 5 November 2019.",
            )
            for port in (25, 465, 587)
        ),
    ),
    Cloud(
        "hetzner",
        "Hetzner Cloud",
        (_dmi("sys_vendor", "Hetzner", DS_IDENTIFY),),
        tuple(
            PortPolicy(
                port,
                PortState.BLOCKED_UNTIL_REQUEST,
                "Submit on 587 (STARTTLS) instead, or ask Hetzner's support to lift the block.",
                (HETZNER_REPORT,),
                CHECKED,
                confirmed=False,
            )
            for port in (25, 465)
        ),
    ),
    Cloud(
        "oracle",
        "Oracle Cloud Infrastructure",
        (_dmi("chassis_asset_tag", "OracleCloud.com", DS_IDENTIFY),),
        (
            PortPolicy(
                25,
                PortState.BLOCKED_UNTIL_REQUEST,
                "Send through OCI Email Delivery's SMTP relay on 587 (newer documentation "
                "also lists 465), or another relay service.",
                (ORACLE_REPORT, OCI_EMAIL),
                CHECKED,
                confirmed=False,
                note="Paid accounts can ask for it to be lifted.",
            ),
        ),
    ),
    Cloud(
        "vultr",
        "Vultr",
        (_dmi("sys_vendor", "Vultr", DS_IDENTIFY),),
        note="No first-hand source of Vultr's outbound port policy was found (only users' "
        "reports), so none is stated.",
    ),
)


def cloud_by_id(cloud_id: str) -> Cloud | None:
    """The cloud with this id, if the table has it."""
    return next((cloud for cloud in CLOUDS if cloud.id == cloud_id), None)
