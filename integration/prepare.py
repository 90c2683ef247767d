"""Write the state a throwaway Postfix + Dovecot needs: certificates, users, maps, config.

Called by ``mailserver.sh start``; idempotent: passwords and certificates that exist are kept
(a certificate is made again when it expires within two days).  Everything goes under the
state directory given as the only argument; ``mailserver.json`` there tells the tests and the
benchmarks where to connect and as whom.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from smtpdoctor.lab.pki import make_pki

DOMAIN = "smtpdoctor.test"
USERS = ("alice", "bob")
HOST = "127.0.0.1"
PORTS = {
    "smtp": 25,
    "submissions": 465,
    "submission": 587,
    "imap": 143,
    "imaps": 993,
    "open_relay": 10025,
    "slow_greeting": 10026,
}


def main(state: Path, uid: int, gid: int) -> None:
    """Create or refresh everything under ``state``."""
    for sub in ("tls", "postfix", "mail", "log", "dovecot-state"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    ca_file = _certificates(state / "tls")
    users = _passwords(state / "users.json")
    _write(
        state / "postfix" / "vmailbox", "".join(f"{a} {DOMAIN}/{a.split('@')[0]}/\n" for a in users)
    )
    _write(state / "postfix" / "senders", "".join(f"{a} {a}\n" for a in users))
    _write(
        state / "dovecot-users",
        "".join(f"{a}:{{PLAIN}}{p}::::::\n" for a, p in users.items()),
        mode=0o640,
    )
    os.chown(state / "mail", uid, gid)
    info = {
        "host": HOST,
        "domain": DOMAIN,
        "ports": PORTS,
        "ca_file": str(ca_file),
        "users": users,
        "logs": {
            "postfix": str(state / "log" / "postfix.log"),
            "dovecot": str(state / "log" / "dovecot.log"),
        },
    }
    _write(state / "mailserver.json", json.dumps(info, indent=2) + "\n", mode=0o600)


def _certificates(directory: Path) -> Path:
    ca_file, cert_file, key_file = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
    )
    if cert_file.exists() and key_file.exists() and ca_file.exists():
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        if cert.not_valid_after_utc > datetime.now(UTC) + timedelta(days=2):
            return ca_file
    now = datetime.now(UTC)
    pki = make_pki(
        hostnames=("localhost", f"mail.{DOMAIN}"),
        not_before=now - timedelta(hours=1),
        not_after=now + timedelta(days=90),
    )
    _write(ca_file, pki.ca_pem)
    _write(cert_file, pki.cert_pem)
    _write(key_file, pki.key_pem, mode=0o600)
    return ca_file


def _passwords(path: Path) -> dict[str, str]:
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    users = {
        f"{name}@{DOMAIN}": known.get(f"{name}@{DOMAIN}") or secrets.token_urlsafe(12)
        for name in USERS
    }
    _write(path, json.dumps(users, indent=2) + "\n", mode=0o600)
    return users


def _write(path: Path, text: str, *, mode: int = 0o644) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
