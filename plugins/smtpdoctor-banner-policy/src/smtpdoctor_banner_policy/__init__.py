"""smtpdoctor plugin: the greeting must name the server's FQDN and reveal no software.

RFC 5321 §4.3.1 wants the 220 greeting to start with the server's domain name; a name such as
``localhost`` or a bare address shows a server set up in a hurry, and receivers use the name
in their own checks.  Naming the software and its version (``ESMTP Postfix 3.4.13``,
``Microsoft ESMTP MAIL Service ready``) tells an attacker which exploits to try.

The check ``banner-policy`` runs after the builtin ``greeting`` check and reads the banner it
got; it sends nothing.  A violation is a WARN: a policy finding, not an outage.  The hints for
each finding, including how to change the banner in common servers, come through the
``smtpdoctor_hints`` hook.
"""

from __future__ import annotations

import ipaddress
import re

from smtpdoctor import (
    Check,
    CheckContext,
    CheckResult,
    DetailValue,
    Hint,
    Outcome,
    RegisterCheck,
    Status,
    hookimpl,
)

__version__ = "1.0.0"

#: Server software that announces itself in banners: (name, pattern), matched ignoring case.
SOFTWARE: tuple[tuple[str, str], ...] = (
    ("Postfix", r"\bpostfix\b"),
    ("Exim", r"\bexim\b"),
    ("Sendmail", r"\bsendmail\b"),
    ("Microsoft Exchange", r"\bmicrosoft esmtp mail service\b|\bexchange\b"),
    ("qmail", r"\bqmail\b"),
    ("OpenSMTPD", r"\bopensmtpd\b"),
    ("Haraka", r"\bharaka\b"),
    ("hMailServer", r"\bhmailserver\b"),
    ("MDaemon", r"\bmdaemon\b"),
    ("Zimbra", r"\bzimbra\b"),
    ("Courier", r"\bcourier\b"),
    ("IceWarp", r"\bicewarp\b|\bmerak\b"),
    ("Kerio Connect", r"\bkerio\b"),
    ("Axigen", r"\baxigen\b"),
    ("CommuniGate Pro", r"\bcommunigate\b"),
    ("HCL Domino", r"\bdomino\b"),
    ("MailEnable", r"\bmailenable\b"),
    ("SmarterMail", r"\bsmartermail\b"),
    ("Stalwart", r"\bstalwart\b"),
    ("Maddy", r"\bmaddy\b"),
    ("aiosmtpd (Python)", r"\bpython smtp\b|\baiosmtpd\b"),
)
#: A version number: two to four dotted numbers, with an optional suffix (3.4.13, 8.15.2/8.15.2,
#: v2.3, 4.96-58+deb12u1).  Dotted quads that are IPv4 addresses are not versions.
VERSION = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+){1,3})(?:[-+~][\w.+~-]*)?(?![\w.])", re.I)
#: Top-level names that never resolve on the internet.
PRIVATE_SUFFIXES = ("localhost", "localdomain", "local", "lan", "internal", "home.arpa")
LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.I)

FQDN = "banner-policy.not-fqdn"
SOFTWARE_SHOWN = "banner-policy.software-disclosed"
VERSION_SHOWN = "banner-policy.version-disclosed"


class BannerPolicy(Check):
    """The 220 greeting names the server's FQDN and no software or version."""

    id = "banner-policy"
    title = "Banner policy"
    requires = ("greeting",)

    def run(self, ctx: CheckContext) -> Outcome:
        greeting = ctx.session.greeting
        assert greeting is not None  # "greeting" passed, so there was one
        lines = greeting.text.splitlines() or [""]
        name, _, rest = lines[0].strip().partition(" ")
        text = " ".join([rest, *lines[1:]])
        problems: list[str] = []
        summaries: list[str] = []
        fqdn_problem = not_an_fqdn(name)
        if fqdn_problem:
            problems.append(FQDN)
            summaries.append(fqdn_problem)
        software = tuple(label for label, pattern in SOFTWARE if re.search(pattern, text, re.I))
        versions = versions_in(text)
        if versions:
            problems.append(VERSION_SHOWN)
            summaries.append(f"reveals a version: {', '.join(versions)}")
        if software:
            problems.append(SOFTWARE_SHOWN)
            summaries.append(f"names the software: {', '.join(software)}")
        details: dict[str, DetailValue] = {
            "banner_name": name,
            "software": software,
            "versions": versions,
            "problems": tuple(problems),
        }
        if not problems:
            return Outcome(
                Status.PASS,
                f"greets as {name} and names no software or version",
                details=details,
            )
        # the most telling finding decides the row; all are in details["problems"]
        finding = next(f for f in (VERSION_SHOWN, SOFTWARE_SHOWN, FQDN) if f in problems)
        return Outcome(
            Status.WARN, "the banner " + "; ".join(summaries), details=details, finding=finding
        )


def not_an_fqdn(name: str) -> str | None:
    """Why ``name`` is not a fully qualified domain name, or ``None`` when it is one."""
    if not name:
        return "has no name after the 220"
    if name.startswith("["):
        return f"greets with an address ({name}), not a host name"
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return f"greets with an address ({name}), not a host name"
    labels = name.rstrip(".").lower().split(".")
    if len(labels) < 2:
        return f"greets as {name!r}, which is not a fully qualified domain name"
    if not all(LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return f"greets as {name!r}, which is not a valid host name"
    if any(".".join(labels[-len(s.split(".")) :]) == s for s in PRIVATE_SUFFIXES):
        return f"greets as {name!r}, a name that does not exist on the internet"
    return None


def versions_in(text: str) -> tuple[str, ...]:
    """The version numbers in ``text``, IPv4 addresses left out."""
    found: list[str] = []
    for match in VERSION.finditer(text):
        numbers = match.group(1)
        if _is_ipv4(numbers) or match.group(0) in found:
            continue
        found.append(match.group(0))
    return tuple(found)


def _is_ipv4(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(int(part) <= 255 for part in parts)


NEUTRAL = "the name, the word ESMTP, nothing else."
#: How to set a neutral banner, per server software.
BANNER_SETTINGS: dict[str, str] = {
    "Postfix": "Postfix: smtpd_banner = $myhostname ESMTP  (main.cf, then postfix reload)",
    "Exim": "Exim: smtp_banner = $smtp_active_hostname ESMTP  (main configuration)",
    "Sendmail": "Sendmail: O SmtpGreetingMessage=$j  (sendmail.cf), or "
    "define(`confSMTP_LOGIN_MSG', `$j') in sendmail.mc",
    "Microsoft Exchange": 'Exchange: Set-ReceiveConnector "<connector>" -Banner '
    '"220 mail.example.com"',
    "OpenSMTPD": "OpenSMTPD: listen on ... hostname mail.example.com, and smtp banner is fixed "
    "to the name",
    "Haraka": "Haraka: set the banner in config/smtp.ini (banner=...)",
    "qmail": "qmail: put the greeting text in control/smtpgreeting",
}


@hookimpl
def smtpdoctor_register_checks(register: RegisterCheck) -> None:
    """Register ``banner-policy``."""
    register(BannerPolicy)


@hookimpl
def smtpdoctor_hints(result: CheckResult) -> list[Hint] | None:
    """What to do about each banner-policy finding."""
    if result.check_id != BannerPolicy.id:
        return None
    problems = result.outcome.details.get("problems")
    software = result.outcome.details.get("software")
    hints: list[Hint] = []
    if isinstance(problems, tuple) and FQDN in problems:
        hints.append(
            Hint(
                "Greet with the server's fully qualified name",
                (
                    "Set the server's host name to the name its A/AAAA and PTR records give, "
                    "e.g. mail.example.com (RFC 5321 section 4.3.1).",
                ),
            )
        )
    if isinstance(problems, tuple) and (VERSION_SHOWN in problems or SOFTWARE_SHOWN in problems):
        named = software if isinstance(software, tuple) else ()
        steps = [BANNER_SETTINGS[name] for name in named if name in BANNER_SETTINGS]
        hints.append(
            Hint(
                "Take the software and version out of the banner",
                tuple(steps or [f"Set the greeting to '<host name> ESMTP': {NEUTRAL}"]),
            )
        )
    return hints or None
