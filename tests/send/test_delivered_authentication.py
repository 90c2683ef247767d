"""Proven authentication of the delivered test message: smtpdoctor verifies its DKIM
signatures, evaluates SPF for the address the receiver recorded and DMARC for the From domain,
and sets that beside the receiver's own Authentication-Results.

The peers are real: aiosmtpd takes the message, a :class:`Provider` plays the sending service
and the receiving side (it DKIM-signs with dkimpy and a key made here, records a Received
header and an Authentication-Results), the fake IMAP server delivers it, and a loopback DNS
server publishes the key, SPF and DMARC records.  Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import base64
import re
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dkim  # type: ignore[import-untyped]  # dkimpy ships no type information
import dns.message
import dns.rcode
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from smtpdoctor.delivery.authentication import (
    NACL_MISSING,
    Evaluation,
    evaluate,
    verify_signature,
)
from smtpdoctor.delivery.authresults import read_delivered
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.mailauth.dns import DomainDNS
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import CheckResult, Report, Status
from smtpdoctor.settings.config import NameServer
from smtpdoctor.settings.sending import IMAPSecurity, IMAPSettings, SendRequest

from tests.send.sendkit import PASSWORD, USER, FakeIMAP, RunCheck, _Gone, row, serving
from tests.targets.dnsserver import DNSServer

MAILBOX_PASSWORD = "imap pass phrase"
SENDER_IP = "203.0.113.5"
RECEIVER = "mx.example.test"
ALL_PASS = (
    f"{RECEIVER}; dkim=pass header.d=example.test header.s=sel; "
    "spf=pass smtp.mailfrom=example.test; dmarc=pass header.from=example.test"
)


@dataclass(frozen=True)
class Keys:
    private_pem: bytes
    public_b64: str


@pytest.fixture(scope="module")
def keys() -> Keys:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Keys(private_pem, base64.b64encode(public_der).decode())


@pytest.fixture(scope="module")
def ed_keys() -> Keys:
    """An Ed25519 key pair as dkimpy signs with it (RFC 8463): the base64 of the 32-byte
    private seed, and of the 32-byte public key for p=."""
    key = ed25519.Ed25519PrivateKey.generate()
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return Keys(base64.b64encode(seed), base64.b64encode(public).decode())


def key_record(name: str, public_b64: str, key_type: str = "rsa") -> str:
    """A DKIM key TXT record, its key split into character-strings of at most 255 bytes."""
    text = f"v=DKIM1; k={key_type}; p={public_b64}"
    strings = " ".join(f'"{chunk}"' for chunk in textwrap.wrap(text, 200, break_on_hyphens=False))
    return f"{name}. TXT {strings}"


def zone(
    keys: Keys,
    *,
    extra: str = "",
    key_at: tuple[str, ...] = ("sel._domainkey.example.test",),
    key_type: str = "rsa",
) -> str:
    return "\n".join(
        (
            'example.test. TXT "v=spf1 ip4:203.0.113.0/24 -all"',
            '_dmarc.example.test. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.test"',
            *(key_record(name, keys.public_b64, key_type) for name in key_at),
            extra,
        )
    )


@dataclass(frozen=True)
class Provider:
    """What happens to the message between aiosmtpd and the mailbox: the sending service signs
    it (``d=``/``s=``), the receiving side records the client and its verdicts."""

    keys: Keys
    domain: str = "example.test"
    selector: str = "sel"
    sign: bool = True
    client_ip: str = SENDER_IP
    results: str | None = ALL_PASS
    above: str | None = None
    """An Authentication-Results a later hop (a filter) adds above the receiver's."""
    footer: bytes = b""
    """Added to the body after signing (a list or a gateway that appends a footer)."""
    algorithm: bytes = b"rsa-sha256"
    """``ed25519-sha256`` signs with an Ed25519 key (``keys`` then holds one)."""
    author: str | None = None
    """The From address the service puts in place of the sender's before signing (a list or
    a service that sends on the author's behalf)."""

    def deliver(self, content: bytes) -> bytes:
        if self.author is not None:
            content = re.sub(
                rb"(?m)^From: .*$", f"From: {self.author}\r".encode(), content, count=1
            )
        signed = content
        if self.sign:
            signature = dkim.sign(
                content,
                self.selector.encode(),
                self.domain.encode(),
                self.keys.private_pem,
                signature_algorithm=self.algorithm,
                include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
            )
            signed = signature + content
        received = (
            f"Received: from out.example.test (out.example.test [{self.client_ip}])\r\n"
            f"\tby {RECEIVER} (Postfix) with ESMTPS; Thu, 3 Dec 2026 09:00:00 +0000\r\n"
        ).encode()
        results = "".join(
            f"Authentication-Results: {value}\r\n" for value in (self.above, self.results) if value
        ).encode()
        return results + received + signed + self.footer


@pytest.fixture
def deliver_through(
    pki: ThrowawayPKI, smtp_server: LocalSMTPServer, run_check: RunCheck
) -> Iterator[Any]:
    """Send the test message through aiosmtpd, let ``provider`` treat it, deliver it over IMAP
    and run smtpdoctor with ``--dns-server`` set to a DNS server for ``zone``."""
    started: list[Iterator[Any]] = []

    def run(
        provider: Provider,
        zone_text: str,
        imap_class: type[FakeIMAP] = FakeIMAP,
        **dns_options: Any,
    ) -> tuple[Report, DNSServer]:
        imap = imap_class(
            pki,
            implicit_tls=True,
            users={USER: MAILBOX_PASSWORD},
            feed=lambda: [provider.deliver(message.content) for message in smtp_server.messages],
        )
        running = serving(imap)
        next(running)
        started.append(running)
        settings = IMAPSettings(
            "127.0.0.1",
            imap.port,
            Credentials(USER, Secret(MAILBOX_PASSWORD)),
            wait=5.0,
            tls=IMAPSecurity.IMPLICIT,
        )
        with DNSServer(zone_text, **dns_options) as dns_server:
            report = run_check(
                smtp_server,
                send=SendRequest(USER, USER),
                verify=settings,
                dns_servers=(dns_server.name_server,),
                timeout=3.0,
            )
        return report, dns_server

    yield run
    for running in started:
        next(running, None)


def authentication(report: Report) -> CheckResult:
    result = row(report, "authentication")
    assert row(report, "delivery").status is Status.PASS
    return result


def test_a_signed_aligned_message_passes_and_the_receiver_agrees(
    keys: Keys, deliver_through: Any
) -> None:
    report, dns_server = deliver_through(Provider(keys), zone(keys))

    result = authentication(report)
    details = result.outcome.details
    assert result.status is Status.PASS, result.summary
    assert result.summary.startswith("DKIM, SPF and DMARC pass for example.test and the receiver")
    assert (details["dkim"], details["spf"], details["dmarc"]) == ("pass", "pass", "pass")
    assert details["dkim_signatures"] == ("d=example.test s=sel: pass [key: rsa 2048 bits]",)
    assert details["dkim_selectors"] == ("example.test:sel",)
    assert (details["spf_client_ip"], details["spf_client_ip_from"]) == (SENDER_IP, "Received")
    assert details["dmarc_aligned_by"] == ("dkim d=example.test", "spf example.test")
    assert details["dmarc_policy"] == "reject"
    assert (details["receiver"], details["receiver_dkim"], details["disagreements"]) == (
        RECEIVER,
        "pass",
        (),
    )
    assert ("sel._domainkey.example.test.", "TXT") in dns_server.questions
    assert ("_dmarc.example.test.", "TXT") in dns_server.questions


def test_a_body_changed_after_signing_fails_dkim_by_its_body_hash(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(
        keys,
        footer=b"-- \r\nAdded by a gateway after signing\r\n",
        results=f"{RECEIVER}; dkim=fail header.d=example.test; spf=pass; dmarc=pass",
    )

    report, _ = deliver_through(provider, zone(keys))

    result = authentication(report)
    assert result.status is Status.WARN
    assert result.outcome.finding == "authentication.dkim-fail"
    assert "the body hash does not match" in result.summary
    assert "smtpdoctor domain example.test --dkim-selector sel" in result.summary
    assert result.outcome.details["dkim"] == "fail"
    assert result.outcome.details["dmarc"] == "pass"  # SPF still passes aligned
    assert result.hints[0].title == "No DKIM signature of the message verifies"


def test_a_signature_whose_key_is_not_published_is_a_permanent_error(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(keys, results=f"{RECEIVER}; dkim=neutral (no key); spf=pass; dmarc=pass")

    report, _ = deliver_through(provider, zone(keys, key_at=()))

    result = authentication(report)
    assert result.outcome.finding == "authentication.dkim-fail"
    assert result.outcome.details["dkim_signatures"] == (
        "d=example.test s=sel: permerror (no key is published at sel._domainkey.example.test: "
        "no such name (NXDOMAIN))",
    )


def test_a_recorded_client_outside_the_spf_record_fails_spf_while_dkim_carries_dmarc(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(
        keys,
        client_ip="198.51.100.7",
        results=f"{RECEIVER}; dkim=pass; spf=fail smtp.mailfrom=example.test; dmarc=pass",
    )

    report, _ = deliver_through(provider, zone(keys))

    result = authentication(report)
    details = result.outcome.details
    assert result.status is Status.WARN
    assert result.outcome.finding == "authentication.spf-not-pass"
    assert "spf=fail (example.test for 198.51.100.7)" in result.summary
    assert details["spf_client_ip"] == "198.51.100.7"
    assert details["dmarc_aligned_by"] == ("dkim d=example.test",)


def test_a_from_domain_nothing_is_aligned_with_fails_dmarc_under_its_reject_policy(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(
        keys,
        domain="esp.test",
        author="news@example.org",
        results=f"{RECEIVER}; dkim=pass header.d=esp.test; spf=pass; dmarc=fail",
    )
    dmarc_record = '_dmarc.example.org. TXT "v=DMARC1; p=reject"'

    report, _ = deliver_through(
        provider, zone(keys, key_at=("sel._domainkey.esp.test",), extra=dmarc_record)
    )

    result = authentication(report)
    assert result.status is Status.FAIL
    assert result.outcome.finding == "authentication.dmarc-fail"
    assert result.summary.startswith(
        "DMARC fails for example.org (p=reject: receivers that enforce it quarantine or reject "
        "the message): no DKIM signature is aligned with example.org (signed by esp.test (pass)); "
        "the SPF domain example.test is not aligned with example.org (spf=pass (example.test for "
        "203.0.113.5)) (adkim=r, aspf=r)."
    )
    assert result.outcome.details["dmarc_failure"] == "not-aligned"
    assert result.hints[0].title == "DMARC fails: neither DKIM nor SPF is aligned with From"


def test_an_aligned_spf_domain_that_does_not_pass_fails_dmarc_as_such_not_as_unaligned(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(
        keys,
        domain="esp.test",
        client_ip="198.51.100.7",
        results=f"{RECEIVER}; dkim=pass header.d=esp.test; spf=fail; dmarc=fail",
    )

    report, _ = deliver_through(provider, zone(keys, key_at=("sel._domainkey.esp.test",)))

    result = authentication(report)
    assert result.status is Status.FAIL
    assert result.outcome.finding == "authentication.dmarc-aligned-spf-fail"
    assert result.summary.startswith("DMARC fails for example.test (p=reject: receivers that ")
    assert (
        "no DKIM signature is aligned with example.test (signed by esp.test (pass)); SPF for "
        "example.test is aligned with example.test but did not pass (spf=fail (example.test for "
        "198.51.100.7))" in result.summary
    )
    assert result.outcome.details["dkim"] == "pass"
    assert result.outcome.details["dmarc_failure"] == "aligned-spf-failed"
    assert result.hints[0].title == "DMARC fails: SPF is aligned with From but does not pass"


def test_an_aligned_signature_that_does_not_verify_fails_dmarc_as_such_not_as_unaligned(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(
        keys,
        client_ip="198.51.100.7",
        footer=b"-- \r\nAdded by a gateway after signing\r\n",
        results=f"{RECEIVER}; dkim=fail header.d=example.test; spf=fail; dmarc=fail",
    )

    report, _ = deliver_through(provider, zone(keys))

    result = authentication(report)
    assert result.status is Status.FAIL
    assert result.outcome.finding == "authentication.dmarc-aligned-dkim-fail"
    assert (
        "the DKIM signature d=example.test s=sel is aligned with example.test but did not verify "
        "here (fail: the body hash does not match: the body was changed after it was signed); "
        "SPF for example.test is aligned with example.test but did not pass" in result.summary
    )
    assert "check the key with: smtpdoctor domain example.test --dkim-selector sel" in (
        result.summary
    )
    assert result.outcome.details["dmarc_failure"] == "aligned-dkim-failed"
    assert (
        result.hints[0].title == "DMARC fails: the DKIM signature aligned with From does not verify"
    )


def test_a_receiver_that_passed_dmarc_makes_the_disagreement_the_finding_not_a_dmarc_failure(
    keys: Keys, deliver_through: Any
) -> None:
    # the mailbox side adds a footer after the receiver verified the message
    provider = Provider(
        keys,
        client_ip="198.51.100.7",
        footer=b"-- \r\n[EXTERNAL] added by the mailbox store\r\n",
        results=f"{RECEIVER}; dkim=pass header.d=example.test; spf=fail "
        "smtp.mailfrom=example.test; dmarc=pass header.from=example.test",
    )

    report, _ = deliver_through(provider, zone(keys))

    result = authentication(report)
    assert result.status is Status.WARN
    assert result.outcome.finding == "authentication.disagrees"
    assert result.summary.startswith(
        "the receiver passed DMARC for example.test, and its verdict is the one that counted; "
        "smtpdoctor fails it because the DKIM signature d=example.test s=sel is aligned with "
        "example.test but did not verify here (fail: the body hash does not match"
    )
    assert (
        "where the two sides differ: dkim: smtpdoctor found fail, the receiver pass (the body "
        "was changed after the receiver checked it: its hash no longer matches the signature's "
        "(a footer or disclaimer added on the way to the mailbox))." in result.summary
    )
    assert "quarantine or reject" not in result.summary
    assert result.outcome.details["dmarc_failure"] == "aligned-dkim-failed"
    assert [hint.title for hint in result.hints] == [
        "smtpdoctor and the receiving server disagree on authentication"
    ]


def test_a_dmarc_pass_in_results_not_recognisably_the_receivers_does_not_excuse_a_failure(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(
        keys,
        client_ip="198.51.100.7",
        footer=b"-- \r\nchanged\r\n",
        results="forged.elsewhere.test; dkim=pass; spf=pass; dmarc=pass",
    )

    report, _ = deliver_through(provider, zone(keys))

    result = authentication(report)
    assert result.status is Status.FAIL
    assert result.outcome.finding == "authentication.dmarc-aligned-dkim-fail"
    assert "not recognisably the receiving side's" in result.summary


def test_a_receiver_that_disagrees_is_named_beside_our_verdict(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(keys, results=f"{RECEIVER}; dkim=fail; spf=pass; dmarc=pass")

    report, _ = deliver_through(provider, zone(keys))

    result = authentication(report)
    assert result.status is Status.WARN
    assert result.outcome.finding == "authentication.disagrees"
    assert (
        "dkim: smtpdoctor found pass, the receiver fail (the receiver fetched another key (a key "
        "rotated, a DNS change not seen everywhere, a DNS view it does not share)?)"
        in result.summary
    )
    assert f"receiver {RECEIVER}: dkim=fail spf=pass dmarc=pass" in result.summary
    assert result.outcome.details["disagreements"] == (
        "dkim: smtpdoctor found pass, the receiver fail",
    )


def test_an_unsigned_message_says_the_sending_service_does_not_sign(
    keys: Keys, deliver_through: Any
) -> None:
    report, _ = deliver_through(Provider(keys, sign=False, results=None), zone(keys))

    result = authentication(report)
    assert result.outcome.finding == "authentication.dkim-missing"
    assert "no DKIM signature: the sending service does not sign mail from example.test" in (
        result.summary
    )
    assert "the receiver recorded no Authentication-Results" in result.summary
    assert result.outcome.details["receiver"] is None


def test_a_key_lookup_the_dns_server_fails_is_a_dns_failure_not_a_verdict(
    keys: Keys, deliver_through: Any
) -> None:
    report, _ = deliver_through(
        Provider(keys), zone(keys), servfail={"sel._domainkey.example.test."}
    )

    result = authentication(report)
    assert result.outcome.finding == "authentication.dns-failed"
    assert result.summary.startswith("DKIM could not be checked: a DNS question failed")
    assert result.outcome.details["dkim"] == "temperror"


def test_a_message_too_large_to_fetch_whole_is_not_verified(
    keys: Keys, deliver_through: Any
) -> None:
    report, _ = deliver_through(Provider(keys, footer=b"x" * 300_000 + b"\r\n"), zone(keys))

    result = authentication(report)
    assert result.status is Status.INFO
    assert result.outcome.finding == "authentication.not-verified"
    assert "larger than 262143 bytes" in result.summary


def test_no_password_appears_in_the_row(keys: Keys, deliver_through: Any) -> None:
    report, _ = deliver_through(Provider(keys), zone(keys))

    text = repr(authentication(report))
    assert PASSWORD not in text
    assert MAILBOX_PASSWORD not in text
    assert base64.b64encode(MAILBOX_PASSWORD.encode()).decode() not in text


def test_without_imap_verification_there_is_no_authentication_row(
    smtp_server: LocalSMTPServer, run_check: RunCheck
) -> None:
    report = run_check(smtp_server, send=SendRequest(USER, USER))

    assert row(report, "send").status is Status.PASS
    assert report.result("authentication") is None


@pytest.mark.parametrize(
    "signature",
    [
        b"DKIM-Signature: garbage",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=sel; h=from; bh=!!!; b=!!!",
        b"DKIM-Signature: v=1; a=rsa-md5; d=example.test; s=sel; h=from; bh=AA==; b=AA==",
        b"DKIM-Signature: v=1; a=rsa-sha256; d="
        + b"x" * 5000
        + b"; s=sel; h=from; bh=AA==; b=AA==",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=\xff\xfe.test; s=\x00; h=from; bh=AA==; b=AA==",
    ],
    ids=["no-tags", "bad-base64", "unknown-algorithm", "huge-domain", "binary"],
)
def test_a_broken_signature_is_a_permanent_error_never_an_exception(
    keys: Keys, signature: bytes
) -> None:
    content = signature + b"\r\nFrom: alice@example.test\r\nSubject: x\r\n\r\nbody\r\n"

    with DNSServer(zone(keys)) as dns_server:
        dns = DomainDNS((dns_server.name_server,), timeout=2.0, deadline_at=time.monotonic() + 10)
        evaluation = evaluate(content, dns=dns, sender=USER)

    assert [verdict.result for verdict in evaluation.signatures] == ["permerror"]
    assert evaluation.signatures[0].reason
    assert evaluation.dkim == "permerror"


# -- Ed25519 (RFC 8463) ---------------------------------------------------------------------------


def test_an_ed25519_signed_message_verifies_end_to_end(ed_keys: Keys, deliver_through: Any) -> None:
    provider = Provider(ed_keys, algorithm=b"ed25519-sha256")

    report, _ = deliver_through(provider, zone(ed_keys, key_type="ed25519"))

    result = authentication(report)
    assert result.status is Status.PASS, result.summary
    assert result.outcome.details["dkim_signatures"] == (
        "d=example.test s=sel: pass [key: ed25519 256 bits]",
    )
    assert result.outcome.details["disagreements"] == ()


def signed_message(keys: Keys, *, algorithm: bytes = b"rsa-sha256") -> bytes:
    """A message from alice@example.test, signed d=example.test s=sel, and the receiver's
    Authentication-Results passing it all, as a mailbox would hand it over."""
    content = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: x\r\n\r\nhi\r\n"
    signature: bytes = dkim.sign(
        content, b"sel", b"example.test", keys.private_pem, signature_algorithm=algorithm
    )
    received = f"Received: from out.example.test (out [{SENDER_IP}]) by {RECEIVER}\r\n"
    return f"Authentication-Results: {ALL_PASS}\r\n{received}".encode() + signature + content


def evaluated(message: bytes, zone_text: str) -> Evaluation:
    """``message`` evaluated with a DNS server for ``zone_text``."""
    with DNSServer(zone_text) as dns_server:
        resolver = DomainDNS(
            (dns_server.name_server,), timeout=2.0, deadline_at=time.monotonic() + 10
        )
        return evaluate(message, dns=resolver, sender=USER, receiving=("example.test",))


def test_without_pynacl_an_ed25519_signature_is_undecided_not_failed_nor_disagreed_on(
    ed_keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = signed_message(ed_keys, algorithm=b"ed25519-sha256")
    monkeypatch.delattr(dkim, "nacl")  # as dkimpy is when "import nacl" failed

    evaluation = evaluated(message, zone(ed_keys, key_type="ed25519"))

    (verdict,) = evaluation.signatures
    assert (verdict.result, verdict.reason, verdict.verifiable) == (
        "temperror",
        NACL_MISSING,
        False,
    )
    assert evaluation.dkim == "temperror"
    assert evaluation.disagreements == ()  # the receiver's dkim=pass is not contradicted
    assert evaluation.dns_failures() == ()  # and DNS is not blamed
    assert evaluation.dmarc.result == "pass"  # SPF still passes aligned


# -- why a signature does not verify -------------------------------------------------------------


@pytest.mark.parametrize("canonicalize", [(b"simple", b"simple"), (b"relaxed", b"relaxed")])
def test_a_body_changed_after_signing_is_told_by_its_recomputed_body_hash(
    keys: Keys, canonicalize: tuple[bytes, bytes]
) -> None:
    content = b"From: alice@example.test\r\nSubject: x\r\n\r\nthe body as signed\r\n"
    signature = dkim.sign(
        content, b"sel", b"example.test", keys.private_pem, canonicalize=canonicalize
    )
    changed = signature + content.replace(b"as signed", b"as changed")

    evaluation = evaluated(changed, zone(keys))

    (verdict,) = evaluation.signatures
    assert (verdict.result, verdict.key) == ("fail", "rsa 2048 bits")
    assert verdict.reason == (
        "the body hash does not match: the body was changed after it was signed"
    )


def test_a_key_for_another_service_is_not_mistaken_for_a_changed_body(keys: Keys) -> None:
    # dkimpy refuses it with a ValidationError after fetching the key, as it does a body hash
    tlsrpt_key = f'sel._domainkey.example.test. TXT "v=DKIM1; k=rsa; s=tlsrpt; p={keys.public_b64}"'

    evaluation = evaluated(signed_message(keys), zone(keys, key_at=(), extra=tlsrpt_key))

    (verdict,) = evaluation.signatures
    assert verdict.result == "permerror"
    assert verdict.reason.startswith("the signature is invalid: ")
    assert "body" not in verdict.reason


class YXDomainServer:
    """A DNS server on 127.0.0.1 answering every question YXDOMAIN: an answer that is neither
    "no such name" nor "no records", which the resolver reports as an error of its own."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.name_server = NameServer("127.0.0.1", self._socket.getsockname()[1])

    def __enter__(self) -> YXDomainServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            reply = dns.message.make_response(dns.message.from_wire(data))
            reply.set_rcode(dns.rcode.YXDOMAIN)
            self._socket.sendto(reply.to_wire(), peer)


def test_a_key_look_up_the_resolver_reports_an_error_for_is_temporary_not_a_missing_key(
    keys: Keys,
) -> None:
    message = signed_message(keys)
    tags = read_delivered(message).signatures[0]

    with YXDomainServer() as server:
        dns_client = DomainDNS(
            (server.name_server,), timeout=2.0, deadline_at=time.monotonic() + 10
        )
        verdict = verify_signature(message, 0, tags, dns_client)

    assert verdict.result == "temperror"
    assert verdict.reason.startswith("the key could not be fetched: the DNS look-up failed")


def test_a_signature_whose_d_and_s_make_no_dns_name_is_permanent_and_asks_nobody(
    keys: Keys,
) -> None:
    content = (
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=" + b"s" * 70 + b"; h=from; "
        b"bh=AA==; b=AA==\r\nFrom: alice@example.test\r\n\r\nbody\r\n"
    )

    with DNSServer(zone(keys)) as dns_server:
        dns_client = DomainDNS(
            (dns_server.name_server,), timeout=2.0, deadline_at=time.monotonic() + 10
        )
        verdict = verify_signature(content, 0, read_delivered(content).signatures[0], dns_client)
        asked = [name for name, _ in dns_server.questions if "_domainkey" in name]

    assert verdict.result == "permerror"
    assert verdict.reason.startswith("its d= and s= do not make a DNS name")
    assert asked == []


def test_a_signature_made_with_rsa_sha1_fails_however_well_it_verifies(keys: Keys) -> None:
    message = signed_message(keys, algorithm=b"rsa-sha1")
    tags = read_delivered(message).signatures[0]

    with DNSServer(zone(keys)) as dns_server:
        dns_client = DomainDNS(
            (dns_server.name_server,), timeout=2.0, deadline_at=time.monotonic() + 10
        )
        verdict = verify_signature(message, 0, tags, dns_client)

    assert verdict.result == "fail"
    assert "rsa-sha1, which verifiers must not accept (RFC 8301 §3.1)" in verdict.reason


# -- what the row suggests, whose verdicts it reads ----------------------------------------------


def test_a_selector_that_is_not_one_is_never_suggested_as_a_command(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(keys, selector="$(reboot)", results=None)

    report, _ = deliver_through(provider, zone(keys))

    result = authentication(report)
    assert result.outcome.finding == "authentication.dkim-fail"
    assert "s=$(reboot): permerror" in result.summary
    assert "smtpdoctor domain" not in result.summary


def test_a_filters_results_above_the_receivers_are_passed_over_for_the_receivers(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(keys, above="scanner.elsewhere.test; dkim=fail; spf=fail; dmarc=fail")

    report, _ = deliver_through(provider, zone(keys))

    result = authentication(report)
    assert result.status is Status.PASS, result.summary
    assert "and the receiver agrees" in result.summary
    assert (result.outcome.details["receiver"], result.outcome.details["receiver_recognised"]) == (
        RECEIVER,
        True,
    )


def test_results_not_recognisably_the_receiving_sides_are_named_as_such(
    keys: Keys, deliver_through: Any
) -> None:
    provider = Provider(keys, results="forged.elsewhere.test; dkim=fail; spf=pass; dmarc=pass")

    report, _ = deliver_through(provider, zone(keys))

    result = authentication(report)
    assert result.outcome.finding == "authentication.disagrees"
    assert (
        "the topmost Authentication-Results, by forged.elsewhere.test (not recognisably the "
        "receiving side's: judge whether it is): dkim=fail spf=pass dmarc=pass" in result.summary
    )
    assert result.outcome.details["receiver_recognised"] is False


# -- fetching the message ------------------------------------------------------------------------


class HangsUpOnTheWholeMessage(FakeIMAP):
    """Finds the message like any server, then drops the connection when asked for all of it."""

    def _fetch_whole(self, selected: str | None, number: int, items: bytes) -> tuple[bytes, bytes]:
        raise _Gone


def test_a_connection_lost_while_fetching_the_whole_message_leaves_delivery_proven(
    keys: Keys, deliver_through: Any
) -> None:
    report, _ = deliver_through(Provider(keys), zone(keys), imap_class=HangsUpOnTheWholeMessage)

    result = authentication(report)  # asserts that delivery passed
    assert result.status is Status.INFO
    assert result.outcome.finding == "authentication.not-verified"
    assert "the IMAP connection broke while sending it" in result.summary
