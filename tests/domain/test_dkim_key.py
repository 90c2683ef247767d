"""DKIM keys: the key record parser and the ``dkim`` domain check against a loopback DNS
server."""

from __future__ import annotations

import base64
import functools

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from smtpdoctor.domain import DomainReport, DomainRequest
from smtpdoctor.domain.checks import dkim as check
from smtpdoctor.mailauth.dkim import DKIMKeyError, check_selector, parse_dkim_key
from smtpdoctor.model.results import Status

from tests.domain.domainkit import audit
from tests.targets.dnsserver import DNSServer

DKIM_ONLY = ("smtpdoctor.domain.checks.mx", "smtpdoctor.domain.checks.dkim")


def exists(zone: str, domain: str = "corp.test") -> str:
    """``zone`` with a record at ``domain`` itself, so that the name exists (the ``mx`` check
    finds NXDOMAIN for a name with only names below it, and then nothing else is judged)."""
    return f'{zone}\n{domain}. TXT "site-verification=1"'


#: RFC 8463 Appendix A's example Ed25519 key.
ED25519_P = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="


@functools.cache
def rsa_p(bits: int) -> str:
    """The base64 DER public key of an RSA key of ``bits`` bits (below 1024: a modulus made up,
    as no library generates such keys any more)."""
    if bits < 1024:
        public = rsa.RSAPublicNumbers(65537, (1 << (bits - 1)) | 0xB1).public_key()
    else:
        public = rsa.generate_private_key(65537, bits).public_key()
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def txt(text: str) -> str:
    """``text`` as zone TXT rdata: quoted strings of at most 255 characters."""
    return " ".join(f'"{text[i : i + 255]}"' for i in range(0, len(text), 255))


def dkim_audit(zone: str, *selectors: str) -> DomainReport:
    with DNSServer(exists(zone)) as dns_server:
        return audit(dns_server, "corp.test", builtins=DKIM_ONLY, dkim_selectors=selectors)


def rows(report: DomainReport) -> list[tuple[str, Status]]:
    section = report.section("dkim")
    assert section is not None
    return [(row.outcome.finding or "", row.status) for row in section.rows]


# -- the parser -------------------------------------------------------------------------------


def test_an_rsa_key_is_loaded_and_its_size_read() -> None:
    key = parse_dkim_key(f"v=DKIM1; k=rsa; p={rsa_p(2048)}")
    assert (key.key_type, key.bits, key.version, key.revoked) == ("rsa", 2048, "DKIM1", False)


def test_k_defaults_to_rsa_and_whitespace_inside_p_is_allowed() -> None:
    p = rsa_p(1024)
    key = parse_dkim_key(f"p={p[:40]} {p[40:]}")
    assert (key.key_type, key.bits) == ("rsa", 1024)


def test_an_ed25519_key_is_32_bytes() -> None:
    key = parse_dkim_key(f"v=DKIM1; k=ed25519; p={ED25519_P}")
    assert (key.key_type, key.bits, len(key.public_key)) == ("ed25519", 256, 32)


def test_flags_hashes_and_services_are_read() -> None:
    key = parse_dkim_key(f"v=DKIM1; k=ed25519; h=sha1; s=email:*; t=y:s; n=hi; x=1; p={ED25519_P}")
    assert (key.testing, key.strict, key.sha1_only, key.for_email) == (True, True, True, True)
    assert (key.notes, key.unknown_tags) == ("hi", ("x",))


def test_an_empty_p_is_a_revoked_key() -> None:
    key = parse_dkim_key("v=DKIM1; p=")
    assert key.revoked
    assert key.bits is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("k=rsa; v=DKIM1; p=", "v=DKIM1 must come first"),
        ("v=DKIM2; p=", "v=DKIM2 must come first and be DKIM1"),
        ("v=DKIM1; k=rsa", "no p= tag"),
        ("v=DKIM1; k=dsa; p=", "k=dsa is not a key type"),
        ("v=DKIM1; p=; p=", "appears twice"),
        ("v=DKIM1; nonsense; p=", "not a tag=value pair"),
        ("v=DKIM1; p=not*base64", "not base64"),
        ("v=DKIM1; p=abc", "not valid base64"),
        ("v=DKIM1; p=aGVsbG8gd29ybGQ=", "does not hold an RSA public key"),
        ("v=DKIM1; k=ed25519; p=aGVsbG8=", "this p= has 5 bytes"),
    ],
)
def test_a_key_record_verifiers_cannot_use_is_refused_in_words(text: str, words: str) -> None:
    with pytest.raises(DKIMKeyError, match=words):
        parse_dkim_key(text)


def test_a_key_of_another_type_than_k_says_is_refused() -> None:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(DKIMKeyError, match="holds a key that is not RSA"):
        parse_dkim_key(f"p={base64.b64encode(der).decode()}")


def test_a_raw_ed25519_key_under_k_rsa_is_refused() -> None:
    raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with pytest.raises(DKIMKeyError, match="RSA"):
        parse_dkim_key(f"p={base64.b64encode(raw).decode()}")


def test_selectors_are_dns_labels() -> None:
    assert check_selector("K1.Mail") == "k1.mail"
    for bad in ("", "a b", "a..b", "-x", "s1/x"):
        with pytest.raises(DKIMKeyError, match="is not a DKIM selector"):
            check_selector(bad)


# -- the dkim domain check -------------------------------------------------------------------


def test_the_check_does_not_apply_without_a_selector() -> None:
    assert not check.DKIM.applies(DomainRequest("corp.test"))
    with DNSServer("corp.test. A 192.0.2.1") as dns_server:
        report = audit(dns_server, "corp.test", builtins=DKIM_ONLY)
        asked = [name for name, _ in dns_server.questions]
    assert not [name for name in asked if "_domainkey" in name]
    assert report.section("dkim") is None


@pytest.mark.parametrize(
    ("record", "finding", "status", "words"),
    [
        (f"v=DKIM1; k=rsa; p={rsa_p(2048)}", check.KEY, Status.PASS, "RSA key of 2048 bits"),
        (f"v=DKIM1; k=ed25519; p={ED25519_P}", check.KEY, Status.PASS, "Ed25519 key"),
        (f"v=DKIM1; p={rsa_p(1024)}", check.SHORT_KEY, Status.WARN, "recommends 2048"),
        (f"v=DKIM1; p={rsa_p(768)}", check.WEAK_KEY, Status.FAIL, "requires at least 1024"),
        ("v=DKIM1; p=", check.REVOKED, Status.WARN, "the key is revoked"),
        ("v=DKIM1; k=rsa", check.INVALID, Status.FAIL, "no p= tag"),
    ],
)
def test_a_selectors_key_is_judged_by_what_it_holds(
    record: str, finding: object, status: Status, words: str
) -> None:
    report = dkim_audit(f"s1._domainkey.corp.test. TXT {txt(record)}", "s1")
    section = report.section("dkim")
    assert section is not None
    row = section.rows[0]
    assert (row.outcome.finding, row.status) == (getattr(finding, "id", None), status)
    assert words in row.summary
    assert row.summary.startswith(("selector s1", "s1._domainkey.corp.test"))


def test_a_missing_selector_fails_naming_what_was_asked() -> None:
    report = dkim_audit("corp.test. A 192.0.2.1", "s1")
    row = report.row(check.MISSING.id)
    assert row is not None
    assert row.status is Status.FAIL
    assert row.summary == (
        "no key for selector s1: TXT s1._domainkey.corp.test: no such name (NXDOMAIN)."
    )


def test_testing_sha1_only_and_not_for_email_each_add_a_row() -> None:
    record = f"v=DKIM1; t=y; h=sha1; s=tlsrpt; p={rsa_p(2048)}"
    report = dkim_audit(f"s1._domainkey.corp.test. TXT {txt(record)}", "s1")
    assert rows(report) == [
        (check.KEY.id, Status.PASS),
        (check.TESTING.id, Status.WARN),
        (check.SHA1_ONLY.id, Status.FAIL),
        (check.NOT_FOR_EMAIL.id, Status.FAIL),
    ]


def test_several_records_for_one_selector_fail() -> None:
    zone = f"""
    s1._domainkey.corp.test. TXT "v=DKIM1; k=ed25519; p={ED25519_P}"
    s1._domainkey.corp.test. TXT "v=DKIM1; p="
    """
    report = dkim_audit(zone, "s1")
    assert rows(report) == [(check.SEVERAL.id, Status.FAIL)]


def test_a_lookup_time_out_is_a_warning() -> None:
    with DNSServer("corp.test. A 192.0.2.1", drop={"s1._domainkey.corp.test."}) as dns_server:
        report = audit(
            dns_server, "corp.test", builtins=DKIM_ONLY, dkim_selectors=("s1",), timeout=0.3
        )
    assert rows(report) == [(check.LOOKUP_FAILED.id, Status.WARN)]


def test_each_selector_is_checked() -> None:
    zone = f"""
    s1._domainkey.corp.test. TXT "v=DKIM1; k=ed25519; p={ED25519_P}"
    """
    with DNSServer(exists(zone)) as dns_server:
        report = audit(
            dns_server,
            "corp.test",
            builtins=DKIM_ONLY,
            dkim_selectors=("s1", "S2"),
        )
        asked = {name for name, _ in dns_server.questions if "_domainkey" in name}
    assert rows(report) == [
        (check.KEY.id, Status.PASS),
        (check.MISSING.id, Status.FAIL),
    ]
    assert asked == {"s1._domainkey.corp.test.", "s2._domainkey.corp.test."}


def test_selectors_beyond_the_limit_are_named_not_asked() -> None:
    selectors = tuple(f"s{n}" for n in range(12))
    report = dkim_audit("corp.test. A 192.0.2.1", *selectors)
    row = report.row(check.NOT_CHECKED.id)
    assert row is not None
    assert row.outcome.details["not_checked"] == ("s10", "s11")


def test_a_cname_to_an_email_services_key_is_followed_and_named() -> None:
    zone = f"""
    s1._domainkey.corp.test. CNAME s1.dkim.esp.example.
    s1.dkim.esp.example. TXT "v=DKIM1; k=ed25519; p={ED25519_P}"
    """
    report = dkim_audit(zone, "s1")
    row = report.row(check.KEY.id)
    assert row is not None
    assert row.summary.startswith("selector s1 (a CNAME to s1.dkim.esp.example): Ed25519 key")
    assert row.outcome.details["canonical_name"] == "s1.dkim.esp.example"


def test_a_record_too_long_to_be_read_is_named_as_such_not_as_bad_base64() -> None:
    record = "v=DKIM1; k=rsa; p=" + rsa_p(2048) * 30
    assert len(record) > 8192
    report = dkim_audit(f"s1._domainkey.corp.test. TXT {txt(record)}", "s1")
    assert rows(report) == [(check.INVALID.id, Status.FAIL)]
    row = report.row(check.INVALID.id)
    assert row is not None
    assert "longer than 8192 characters" in row.summary
    assert "base64" not in row.summary


def test_a_domain_that_does_not_exist_gets_one_skip_row() -> None:
    with DNSServer(f's1._domainkey.corp.test. TXT "v=DKIM1; k=ed25519; p={ED25519_P}"') as dns:
        report = audit(dns, "corp.test", builtins=DKIM_ONLY, dkim_selectors=("s1",))
    assert rows(report) == [(check.NOT_APPLICABLE.id, Status.SKIP)]
