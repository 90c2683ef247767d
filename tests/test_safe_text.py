"""Server text is escaped, one way, in every output format.

A server chooses its banner, its replies and EHLO lines, the names in its certificate and
what its IMAP mailbox answers.  Whatever it puts there — a bidi override that reverses a
name, isolates, a zero-width space, a byte-order mark, an escape sequence that clears the
screen, a bell, a C1 control — reaches no output raw: the table, the transcript, JSON,
Nagios, Prometheus, ``scan``'s JSON lines and ``serve``'s pages all show it as the same
visible escape (``\\u202e``, ``\\x1b``), made by one function
(:func:`smtpdoctor.protocol.safetext.safe_text`).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from smtpdoctor.__main__ import main
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.lab.scripted import ConversationServer, Peer
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import CheckResult, Outcome, Report, Status, Target, TranscriptLine
from smtpdoctor.model.words import TLSMode
from smtpdoctor.protocol.safetext import safe_data, safe_text
from smtpdoctor.render.json import render_json
from smtpdoctor.render.nagios import render_nagios
from smtpdoctor.render.prometheus import render_prometheus
from smtpdoctor.render.table import render_table, render_transcript
from smtpdoctor.settings.sending import IMAPSecurity, IMAPSettings, SendRequest

from tests.conftest import PASSWORD, USER, RunCheck
from tests.send.sendkit import FakeIMAP, Folder, row, serving
from tests.serve.servekit import RunningServe, series, start_serve, write_config

#: Everything a hostile server puts in its text: a right-to-left override, the four bidi
#: isolates, a zero-width space, a byte-order mark, "clear the screen", a bell, and the C1
#: control sequence introducer.
HOSTILE = "\u202e\u2066\u2067\u2068\u2069\u200b\ufeff\x1b[2J\x07\x9b"
#: The characters of :data:`HOSTILE` that must never reach any output raw.
UNSAFE = frozenset(HOSTILE) - frozenset("[2J")
#: How :data:`HOSTILE` reads in every output.
ESCAPED = "\\u202e\\u2066\\u2067\\u2068\\u2069\\u200b\\ufeff\\x1b[2J\\x07\\x9b"
#: What ASCII-only text (a certificate's DNS name, an IMAP folder or header) can carry: an
#: escape sequence and a bell.
ASCII_CONTROLS = "\x1b[2J\x07"
ASCII_CONTROLS_ESCAPED = "\\x1b[2J\\x07"
SAN = f"mail{ASCII_CONTROLS}.example.test"
SAN_ESCAPED = f"mail{ASCII_CONTROLS_ESCAPED}.example.test"


def raw_characters(text: str) -> list[str]:
    """The unsafe characters in ``text``, as code points, for a readable failure."""
    return sorted(f"U+{ord(char):04X}" for char in set(text) & UNSAFE)


def assert_escaped(text: str, *forms: str) -> None:
    """No character of :data:`HOSTILE` is in ``text`` raw, and each of ``forms`` is."""
    assert not raw_characters(text), f"raw characters in the output: {raw_characters(text)}"
    for form in forms:
        assert form in text


def strings_in(value: object) -> Iterator[str]:
    """Every string in parsed JSON, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def assert_json_escaped(text: str, *forms: str) -> None:
    """JSON text whose document holds the escaped forms, not the characters, in its values:
    a consumer that prints a value prints ``\\u202e``, never U+202E."""
    assert_escaped(text)
    values = "\n".join(strings_in(json.loads(text)))
    assert_escaped(values, *forms)


# --- the one function -----------------------------------------------------------------------


def test_each_unsafe_character_is_written_as_python_writes_it() -> None:
    assert safe_text(HOSTILE) == ESCAPED
    assert safe_text("\U000e0041 tag") == "\\U000e0041 tag"
    assert safe_text("\ud800") == "\\ud800"


def test_every_space_but_the_space_and_the_separators_are_escaped() -> None:
    assert safe_text("a\xa0b\u3000c\u2028d\u2029e") == "a\\xa0b\\u3000c\\u2028d\\u2029e"


def test_on_one_line_line_breaks_and_tabs_become_spaces() -> None:
    assert safe_text("one\ntwo\r\nthree\tfour\x0bfive\x0csix") == "one two  three four five six"


def test_in_json_line_feeds_and_tabs_stay_and_other_breaks_are_escaped() -> None:
    assert safe_text("one\ntwo\r\tthree\x0c", multiline=True) == "one\ntwo\\r\tthree\\x0c"


def test_smtpdoctors_own_words_and_any_script_are_kept() -> None:
    words = "login refused → try an app password — see … Grüße, 你好, مرحبا, \ufffd"
    assert safe_text(words) == words


def test_a_backslash_is_kept_so_text_made_safe_once_is_never_escaped_twice() -> None:
    assert safe_text("C:\\mail \\x1b") == "C:\\mail \\x1b"


def test_data_for_json_is_made_safe_in_every_string_keys_included() -> None:
    data = {"a\u202e": ["x\x1b", ("y\u200b",)], "n": 1, "ok": None}

    assert safe_data(data) == {"a\\u202e": ["x\\x1b", ["y\\u200b"]], "n": 1, "ok": None}


@given(st.text())
def test_no_output_holds_a_character_a_terminal_would_not_simply_show(text: str) -> None:
    assert safe_text(text).isprintable()
    assert safe_text(text, multiline=True).replace("\n", "").replace("\t", "").isprintable()


@given(st.text())
def test_the_policy_is_idempotent(text: str) -> None:
    for multiline in (False, True):
        once = safe_text(text, multiline=multiline)
        assert safe_text(once, multiline=multiline) == once


@given(st.text(alphabet=st.characters(blacklist_characters="\\")))
def test_text_without_backslashes_can_be_read_back_exactly(text: str) -> None:
    shown = safe_text(text, multiline=True)

    assert shown.encode("latin-1", "backslashreplace").decode("unicode_escape") == text


@given(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")
        )
    )
)
def test_printable_text_is_unchanged(text: str) -> None:
    assert safe_text(text) == text


# --- a hostile server, through every format -------------------------------------------------


def hostile_certificate() -> ThrowawayPKI:
    """A self-signed certificate whose subject (and so issuer) and DNS name carry
    :data:`HOSTILE`, valid for 127.0.0.1 so that it verifies when trusted."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Bank{HOSTILE}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"mail{HOSTILE}.example.test"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(SAN), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return ThrowawayPKI(ca_pem=pem, cert_pem=pem, key_pem=key_pem)


def hostile_conversation(pki: ThrowawayPKI) -> Callable[[Peer], None]:
    """A server whose banner, EHLO domain and keywords (before and inside TLS), STARTTLS
    answer, AUTH refusal and goodbye all carry :data:`HOSTILE`."""
    text = HOSTILE.encode()
    context = pki.server_context()

    def converse(peer: Peer) -> None:
        peer.send(b"220 mail.example.test ESMTP " + text + b"\r\n")
        peer.expect("EHLO")
        peer.send(b"250-mail" + text + b".example.test\r\n250-X-" + text + b"\r\n250 STARTTLS\r\n")
        peer.expect("STARTTLS")
        peer.send(b"220 2.0.0 go ahead " + text + b"\r\n")
        peer.start_tls(context)
        peer.expect("EHLO")
        peer.send(
            b"250-mail" + text + b".example.test\r\n250-X-" + text + b"\r\n250 AUTH PLAIN\r\n"
        )
        while True:
            line = peer.read_line()
            if line.upper().startswith("QUIT"):
                peer.send(b"221 2.0.0 bye " + text + b"\r\n")
                peer.close()
            if line.upper().startswith("AUTH"):
                if line.count(" ") < 2:  # AUTH PLAIN without an initial response
                    peer.send(b"334 \r\n")
                    peer.read_line()
                peer.send(b"535 5.7.8 no " + text + b"\r\n")
            else:
                peer.send(b"502 5.5.2 what? " + text + b"\r\n")

    return converse


@pytest.fixture
def hostile_pki() -> ThrowawayPKI:
    return hostile_certificate()


@pytest.fixture
def hostile_server(hostile_pki: ThrowawayPKI) -> Iterator[ConversationServer]:
    with ConversationServer(hostile_conversation(hostile_pki)) as server:
        yield server


@pytest.fixture
def ca_file(tmp_path: Path, hostile_pki: ThrowawayPKI) -> Path:
    """The hostile certificate, trusted (``--ca-file``): its names are shown, not refused."""
    path = tmp_path / "hostile-ca.pem"
    path.write_text(hostile_pki.ca_pem, encoding="utf-8")
    return path


def check(
    server: ConversationServer,
    ca_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *options: str,
) -> str:
    """``smtpdoctor check`` the hostile server, logging in; what it printed."""
    host, port = server.address
    monkeypatch.setenv("SMTPDOCTOR_PASSWORD", PASSWORD)
    monkeypatch.setenv("COLUMNS", "200")
    main(
        [
            "check",
            f"{host}:{port}",
            "--tls",
            "starttls",
            "--ca-file",
            str(ca_file),
            "--user",
            USER,
            "--timeout",
            "3",
            *options,
        ]
    )
    captured = capsys.readouterr()
    return captured.out


#: What every report of the hostile server shows, escaped: the banner (greeting), the EHLO
#: domain and keywords, the certificate's names, the refused login's reply.
SEEN_IN_REPORT = (
    f"ESMTP {ESCAPED}",
    f"mail{ESCAPED}.example.test",
    f"535 5.7.8 no {ESCAPED}",
)


def test_the_table_and_transcript_show_every_server_text_escaped(
    hostile_server: ConversationServer,
    ca_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = check(hostile_server, ca_file, capsys, monkeypatch, "--transcript")

    assert_escaped(out, *SEEN_IN_REPORT, f"221 2.0.0 bye {ESCAPED}", f"X-{ESCAPED}")


def test_the_json_report_holds_every_server_text_escaped_in_its_values(
    hostile_server: ConversationServer,
    ca_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = check(hostile_server, ca_file, capsys, monkeypatch, "--format", "json", "--transcript")

    assert_json_escaped(out, *SEEN_IN_REPORT, f"X-{ESCAPED}", SAN_ESCAPED, f"O=Bank{ESCAPED}")
    document = json.loads(out)
    certificate = next(c for c in document["checks"] if c["id"] == "certificate")
    assert SAN_ESCAPED in certificate["details"]["sans"]
    assert f"Bank{ESCAPED}" in certificate["details"]["issuer"]
    assert f"CN=mail{ESCAPED}.example.test" in certificate["details"]["subject"]
    auth = next(c for c in document["checks"] if c["id"] == "auth")
    assert auth["reply"]["text"] == f"5.7.8 no {ESCAPED}"


def test_the_nagios_lines_show_the_server_text_escaped(
    hostile_server: ConversationServer,
    ca_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = check(hostile_server, ca_file, capsys, monkeypatch, "--format", "nagios")

    assert_escaped(out, f"535 5.7.8 no {ESCAPED}")


def test_the_prometheus_exposition_holds_no_raw_server_text(
    hostile_server: ConversationServer,
    ca_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = check(hostile_server, ca_file, capsys, monkeypatch, "--format", "prometheus")

    assert_escaped(out, 'smtpdoctor_finding_info{check="auth"')


def test_scan_json_lines_hold_every_server_text_escaped(
    hostile_server: ConversationServer,
    ca_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    host, port = hostile_server.address
    targets = tmp_path / "targets.txt"
    targets.write_text(f"{host}:{port}\n")

    main(["scan", str(targets), "--tls", "starttls", "--ca-file", str(ca_file), "--timeout", "3"])

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert_json_escaped(lines[0], f"ESMTP {ESCAPED}", f"mail{ESCAPED}.example.test", SAN_ESCAPED)


@pytest.fixture
def make_serve() -> Iterator[Callable[..., RunningServe]]:
    """Start ``serve``s on loopback (as tests/serve's fixture); all are stopped after the test."""
    started: list[RunningServe] = []

    def start(*args: Any, **kwargs: Any) -> RunningServe:
        running = start_serve(*args, **kwargs)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def test_serve_debug_output_and_pages_show_every_server_text_escaped(
    hostile_server: ConversationServer,
    ca_file: Path,
    tmp_path: Path,
    make_serve: Callable[..., RunningServe],
) -> None:
    host, port = hostile_server.address
    config = write_config(
        tmp_path,
        f"""
        [server]
        allowed_targets = ["127.0.0.1"]

        [modules.login]
        tls = "starttls"
        ca_file = "{ca_file}"
        user = "{USER}"
        password_env = "SMTP_PASSWORD"
        timeout = 3
        """,
    )
    serve = make_serve(config, environ={"SMTP_PASSWORD": PASSWORD})
    query = f"/probe?target={host}:{port}&module=login"

    debug = serve.get(query + "&debug=true").text
    metrics = serve.get(query).text
    status = serve.get("/").text
    probe = serve.get("/probes/1").text

    assert_escaped(debug, *SEEN_IN_REPORT, f"221 2.0.0 bye {ESCAPED}")
    assert_escaped(metrics, 'smtpdoctor_finding_info{check="auth"')
    assert_escaped(status, f"535 5.7.8 no {ESCAPED}")
    assert_escaped(probe, *SEEN_IN_REPORT)


# --- an IMAP mailbox's answers ----------------------------------------------------------------


def test_an_imap_servers_folder_name_and_verdict_header_reach_every_format_escaped(
    smtp_server: LocalSMTPServer, pki: ThrowawayPKI, run_check: RunCheck
) -> None:
    folder = f"Junk{ASCII_CONTROLS}"
    results = f"mx.example.net; x-verdict={ASCII_CONTROLS}"  # no SPF, DKIM, DMARC: shown whole
    imap = FakeIMAP(
        pki,
        implicit_tls=True,
        users={USER: PASSWORD},
        folders={folder: Folder(flags="\\Junk")},
        feed=lambda: [
            b"Authentication-Results: " + results.encode() + b"\r\n" + message.content
            for message in smtp_server.messages
        ],
        feed_folder=folder,
    )
    running = serving(imap)
    next(running)
    try:
        settings = IMAPSettings(
            "127.0.0.1",
            imap.port,
            Credentials(USER, Secret(PASSWORD)),
            wait=5.0,
            tls=IMAPSecurity.IMPLICIT,
        )
        report = run_check(
            smtp_server,
            send=SendRequest(USER, USER),
            verify=settings,
            disabled=frozenset({"authentication"}),  # it would ask DNS about the sender
        )
    finally:
        next(running, None)

    delivery = row(report, "delivery")
    assert delivery.status is Status.WARN, delivery.summary
    assert_everything_escaped(
        report, f"Junk{ASCII_CONTROLS_ESCAPED}", f"x-verdict={ASCII_CONTROLS_ESCAPED}"
    )


# --- what the renderers make of a report ----------------------------------------------------


def assert_everything_escaped(report: Report, *forms: str) -> None:
    """Every builtin format of ``report`` shows ``forms`` escaped (Nagios and Prometheus only
    what they show of it) and no character of :data:`HOSTILE` raw."""
    assert_escaped(render_table(report, width=400) + render_transcript(report), *forms)
    assert_json_escaped(render_json(report, transcript=True), *forms)
    assert_escaped(render_nagios(report))
    assert_escaped(render_prometheus(report))


def hostile_report() -> Report:
    """A report whose host name (from DNS) and every text field carry :data:`HOSTILE`."""
    outcome = Outcome(
        Status.FAIL,
        f"the server said {HOSTILE}",
        details={"banner": HOSTILE, "names": (HOSTILE,)},
        finding="plugin.odd",
        reply_code=554,
        enhanced_code="5.7.1",
        reply_text=f"5.7.1 {HOSTILE}",
    )
    return Report(
        target=Target(f"mx{HOSTILE}.example.test", 25, TLSMode.NONE),
        results=(CheckResult("odd", f"Odd {HOSTILE}", outcome, duration=0.1),),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        duration=0.2,
        tool_version="0",
        transcript=(TranscriptLine(0.0, "S", f"554 5.7.1 {HOSTILE}"),),
    )


def test_every_renderer_escapes_every_field_of_a_report() -> None:
    report = hostile_report()

    assert_everything_escaped(report, f"mx{ESCAPED}.example.test", f"the server said {ESCAPED}")
    assert_escaped(render_nagios(report), f"mx{ESCAPED}.example.test", f"said {ESCAPED}")


def test_a_prometheus_label_holds_the_escape_which_the_exposition_escapes_once_more() -> None:
    exposition = render_prometheus(hostile_report())

    parsed = series(exposition)
    (labels,) = parsed["smtpdoctor_probe_info"]
    assert ("host", f"mx{ESCAPED}.example.test") in labels
    assert_escaped(exposition, 'host="mx\\\\u202e')


def test_a_json_consumer_sees_the_escape_literally() -> None:
    document = json.loads(render_json(hostile_report()))

    assert document["checks"][0]["reply"]["text"] == "5.7.1 " + ESCAPED
    assert document["target"]["host"] == f"mx{ESCAPED}.example.test"
