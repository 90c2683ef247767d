"""The redactor and blobs cut short: a server echoing our AUTH line, or an error quoting only
its first bytes, must not show what the cut left of the password's base64."""

from __future__ import annotations

import base64
import re

from hypothesis import given
from hypothesis import strategies as st

from smtpdoctor.protocol.errors import RemoteProtocolError
from smtpdoctor.protocol.reply import ReplyParser
from smtpdoctor.secrets.redaction import Redactor, _markers

#: Secret and neighbours from disjoint alphabets, so any three bytes of the secret found in
#: the output can only have come from the secret.
secrets = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%&*"), min_size=3)
neighbours = st.binary(max_size=40).map(lambda raw: bytes(b % 26 + 0x61 for b in raw))


def shown_bytes_of(secret: str, text: str) -> set[bytes]:
    """Every three consecutive bytes of ``secret`` that some base64 word of ``text`` decodes
    to, at any alignment."""
    raw = secret.encode()
    windows = {raw[i : i + 3] for i in range(len(raw) - 2)}
    found: set[bytes] = set()
    for word in re.findall(r"[A-Za-z0-9+/]+", text):
        for offset in range(4):
            digits = word[offset:]
            usable = len(digits) - (len(digits) % 4 == 1)
            decoded = base64.b64decode(digits[:usable] + "=" * (-usable % 4))
            found |= {window for window in windows if window in decoded}
    return found


@given(secret=secrets, before=neighbours, after=neighbours, cut=st.integers(0, 200))
def test_a_blob_cut_anywhere_shows_no_three_bytes_of_the_secret(
    secret: str, before: bytes, after: bytes, cut: int
) -> None:
    blob = base64.b64encode(before + secret.encode() + after).decode()
    redact = Redactor([secret]).text

    cut_short = (f"AUTH PLAIN {blob[:cut]}…", f"AUTH PLAIN {blob[:cut]}x")
    cut_open = (f"…{blob[cut:]}\\r\\n'", f"x{blob[cut:]}")
    for text in (*cut_short, *cut_open):
        assert not shown_bytes_of(secret, redact(text)), text


def test_a_parser_error_quoting_the_start_of_an_echoed_auth_line_hides_the_password() -> None:
    """The parser quotes 60 bytes of a line that is not a reply: here, our own AUTH PLAIN
    line echoed back, cut inside the password."""
    user, password = "bob.smith@example-company.test", "correct-horse-battery-staple"
    blob = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    parser = ReplyParser()
    parser.feed(f"AUTH PLAIN {blob}\r\n".encode())
    try:
        parser.next_reply()
    except RemoteProtocolError as exc:
        error = str(exc)
    assert blob[:49] in error  # the cut shows the first four bytes of the password

    redacted = Redactor([password]).text(error)

    assert "AUTH PLAIN [redacted]…" in redacted
    assert not shown_bytes_of(password, redacted)


def test_a_word_that_merely_holds_a_marker_is_left_alone() -> None:
    """Markers only say which words to decode; the decoded bytes decide."""
    secret = "correct-horse-battery-staple"
    for marker in _markers(secret.encode()):
        text = f"250-the quick brown fox {marker}Q SIZE 1234"
        assert Redactor([secret]).text(text) == text
