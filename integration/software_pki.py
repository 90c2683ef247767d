"""Write the certificates the Exim and Haraka of the integration tests serve: a root CA, an
intermediate it signed, and a leaf for 127.0.0.1 the intermediate signed (trustme: no AIA
URL in the leaf, so a client that misses the intermediate cannot fetch it).

    software_pki.py DIR    writes DIR/ca.pem (the root to trust), DIR/leaf.pem (the leaf
                           alone), DIR/fullchain.pem (leaf, then intermediate), DIR/key.pem

Idempotent: existing files are kept.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import trustme

NAMES = ("127.0.0.1", "localhost", "mail.smtpdoctor.test")


def main(directory: Path) -> None:
    """Create the four files under ``directory`` unless they are all there."""
    files = [directory / name for name in ("ca.pem", "leaf.pem", "fullchain.pem", "key.pem")]
    if all(path.exists() for path in files):
        return
    directory.mkdir(parents=True, exist_ok=True)
    root = trustme.CA(organization_name="smtpdoctor integration root")
    leaf = root.create_child_ca().issue_cert(*NAMES)
    chain = [pem.bytes() for pem in leaf.cert_chain_pems]
    ca, only_leaf, full, key = files
    ca.write_bytes(root.cert_pem.bytes())
    only_leaf.write_bytes(chain[0])
    full.write_bytes(b"".join(chain))
    key.write_bytes(leaf.private_key_pem.bytes())
    os.chmod(key, 0o644)  # the servers' own unprivileged users read it; a throwaway key


if __name__ == "__main__":
    main(Path(sys.argv[1]))
