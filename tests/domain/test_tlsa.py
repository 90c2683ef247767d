"""TLSA records against a presented certificate chain, as a DANE sender matches them
(RFC 7672 §3.1, RFC 6698, RFC 7671): sans-IO, on real certificates made by trustme — a root,
an intermediate and a leaf for mx.example.test.

The expected association data is computed here independently of the code under test: the
whole certificate is the DER bytes trustme gave, the public key comes from the private key.
"""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from smtpdoctor.domain.tlsa import (
    MAX_CHAIN,
    TLSARecord,
    Verdict,
    association_data,
    authenticate,
    record_for,
)

MX = "mx.example.test"


def der(pem: bytes) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.decode("ascii"))


def spki_of(private_key_pem: bytes) -> bytes:
    key = load_pem_private_key(private_key_pem, password=None)
    return key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def digest(data: bytes, matching_type: int) -> bytes:
    return {0: data, 1: hashlib.sha256(data).digest(), 2: hashlib.sha512(data).digest()}[
        matching_type
    ]


@dataclass(frozen=True)
class Chain:
    """A root CA, an intermediate it signed, and a leaf the intermediate signed (DER), with
    the SPKI of each, taken from their private keys."""

    leaf: bytes
    intermediate: bytes
    root: bytes
    leaf_spki: bytes
    intermediate_spki: bytes
    root_spki: bytes

    @property
    def presented(self) -> tuple[bytes, bytes]:
        """What a well-configured server sends: the leaf, then the intermediate."""
        return (self.leaf, self.intermediate)


def make_chain(
    *names: str, key_type: trustme.KeyType = trustme.KeyType.ECDSA, common_name: str | None = None
) -> Chain:
    root = trustme.CA(key_type=key_type)
    intermediate = root.create_child_ca(key_type=key_type)
    leaf = intermediate.issue_cert(*names, key_type=key_type, common_name=common_name)
    leaf_pem, intermediate_pem = (blob.bytes() for blob in leaf.cert_chain_pems)
    return Chain(
        leaf=der(leaf_pem),
        intermediate=der(intermediate_pem),
        root=der(root.cert_pem.bytes()),
        leaf_spki=spki_of(leaf.private_key_pem.bytes()),
        intermediate_spki=spki_of(intermediate.private_key_pem.bytes()),
        root_spki=spki_of(root.private_key_pem.bytes()),
    )


def chain_subject(cert: bytes) -> str:
    """The certificate's subject as RFC 4514 text (as messages name certificates)."""
    return x509.load_der_x509_certificate(cert).subject.rfc4514_string()


@pytest.fixture(scope="module")
def chain() -> Chain:
    return make_chain(MX)


def tlsa(usage: int, selector: int, matching_type: int, cert: bytes, spki: bytes) -> TLSARecord:
    """The record computed by hand (not by the code under test)."""
    selected = cert if selector == 0 else spki
    return TLSARecord(usage, selector, matching_type, digest(selected, matching_type))


COMBINATIONS = [(selector, matching) for selector in (0, 1) for matching in (0, 1, 2)]


@pytest.mark.parametrize(("selector", "matching_type"), COMBINATIONS)
def test_a_dane_ee_record_matches_the_leaf_for_every_selector_and_matching_type(
    chain: Chain, selector: int, matching_type: int
) -> None:
    record = tlsa(3, selector, matching_type, chain.leaf, chain.leaf_spki)

    result = authenticate([record], chain.presented, [MX])

    assert result.authenticated
    assert result.checks[0].verdict is Verdict.MATCHED
    assert result.checks[0].certificate == 0
    assert "leaf certificate" in result.checks[0].explanation


@pytest.mark.parametrize(("selector", "matching_type"), COMBINATIONS)
def test_a_dane_ta_record_matches_the_intermediate_the_server_sends(
    chain: Chain, selector: int, matching_type: int
) -> None:
    record = tlsa(2, selector, matching_type, chain.intermediate, chain.intermediate_spki)

    result = authenticate([record], chain.presented, [MX])

    assert result.authenticated
    assert result.checks[0].certificate == 1
    assert "DANE-TA" in result.checks[0].explanation


def test_a_dane_ta_record_may_name_the_root_when_the_server_sends_it(chain: Chain) -> None:
    record = tlsa(2, 1, 1, chain.root, chain.root_spki)

    result = authenticate([record], (*chain.presented, chain.root), [MX])

    assert result.authenticated
    assert result.checks[0].certificate == 2


def test_a_dane_ta_record_for_a_root_the_server_does_not_send_matches_nothing(
    chain: Chain,
) -> None:
    record = tlsa(2, 1, 1, chain.root, chain.root_spki)

    result = authenticate([record], chain.presented, [MX])

    assert not result.authenticated
    assert result.checks[0].verdict is Verdict.NOT_MATCHED
    assert "RFC 7672 §3.1.2" in result.checks[0].explanation


def test_a_dane_ta_record_cannot_name_the_leaf(chain: Chain) -> None:
    record = tlsa(2, 1, 1, chain.leaf, chain.leaf_spki)

    result = authenticate([record], chain.presented, [MX])

    assert not result.authenticated
    assert result.checks[0].certificate == 0
    assert "DANE-EE (3 x x)" in result.checks[0].explanation


def test_a_dane_ee_record_naming_the_intermediate_does_not_authenticate(chain: Chain) -> None:
    record = tlsa(3, 1, 1, chain.intermediate, chain.intermediate_spki)

    result = authenticate([record], chain.presented, [MX])

    assert not result.authenticated
    assert result.checks[0].certificate == 1
    assert "not the leaf" in result.checks[0].explanation


def test_dane_ta_needs_a_leaf_that_names_the_mx_host() -> None:
    other = make_chain("www.example.test")
    record = tlsa(2, 1, 1, other.intermediate, other.intermediate_spki)

    result = authenticate([record], other.presented, [MX])

    assert not result.authenticated
    assert "www.example.test" in result.checks[0].explanation
    assert MX in result.checks[0].explanation


def test_dane_ta_accepts_the_tlsa_base_domain_as_the_leaf_name() -> None:
    other = make_chain("mail.provider.test")
    record = tlsa(2, 1, 1, other.intermediate, other.intermediate_spki)

    result = authenticate([record], other.presented, [MX, "mail.provider.test"])

    assert result.authenticated


def test_a_wildcard_leaf_covers_exactly_one_label() -> None:
    wildcard = make_chain("*.example.test")
    record = tlsa(2, 1, 1, wildcard.intermediate, wildcard.intermediate_spki)

    assert authenticate([record], wildcard.presented, [MX]).authenticated
    assert not authenticate([record], wildcard.presented, ["a.mx.example.test"]).authenticated


def test_dane_ee_does_not_care_about_the_leafs_names() -> None:
    other = make_chain("www.example.test")
    record = tlsa(3, 1, 1, other.leaf, other.leaf_spki)

    assert authenticate([record], other.presented, [MX]).authenticated


def test_dane_ta_needs_the_leaf_to_chain_to_the_anchor(chain: Chain) -> None:
    stranger = make_chain(MX)
    record = tlsa(2, 1, 1, stranger.intermediate, stranger.intermediate_spki)

    result = authenticate([record], (chain.leaf, stranger.intermediate), [MX])

    assert not result.authenticated
    assert "does not chain" in result.checks[0].explanation


def test_dane_ta_builds_the_path_from_the_leaf_whatever_order_the_chain_came_in(
    chain: Chain,
) -> None:
    record = tlsa(2, 1, 1, chain.root, chain.root_spki)

    result = authenticate([record], (chain.leaf, chain.root, chain.intermediate), [MX])

    assert result.authenticated, result.checks[0].explanation
    assert result.checks[0].certificate == 1
    assert chain_subject(chain.intermediate) in result.checks[0].explanation


def test_dane_ta_skips_unrelated_certificates_the_server_sends(chain: Chain) -> None:
    stranger = make_chain("other.example.test")
    record = tlsa(2, 1, 1, chain.intermediate, chain.intermediate_spki)

    result = authenticate(
        [record], (chain.leaf, stranger.intermediate, stranger.root, chain.intermediate), [MX]
    )

    assert result.authenticated, result.checks[0].explanation
    assert result.checks[0].certificate == 3


def test_dane_ta_names_how_far_the_leaf_chains_when_the_anchor_is_out_of_reach(
    chain: Chain,
) -> None:
    stranger = make_chain(MX)
    record = tlsa(2, 1, 1, stranger.root, stranger.root_spki)

    result = authenticate([record], (chain.leaf, stranger.root, chain.intermediate), [MX])

    assert not result.authenticated
    explanation = result.checks[0].explanation
    assert "does not chain" in explanation
    assert f"chains up to {chain_subject(chain.intermediate)}" in explanation


def test_dane_ta_with_a_leaf_no_presented_certificate_issued_names_its_issuer(
    chain: Chain,
) -> None:
    stranger = make_chain(MX)
    record = tlsa(2, 1, 1, stranger.intermediate, stranger.intermediate_spki)

    result = authenticate([record], (chain.leaf, stranger.intermediate), [MX])

    assert f"its issuer is {chain_subject(chain.intermediate)}" in result.checks[0].explanation


def test_a_chain_of_copies_ends_the_path_search(chain: Chain) -> None:
    stranger = make_chain(MX)
    record = tlsa(2, 1, 1, stranger.root, stranger.root_spki)
    copies = (chain.leaf, *(chain.intermediate,) * (MAX_CHAIN - 2), stranger.root)

    result = authenticate([record], copies, [MX])

    assert not result.authenticated
    assert result.checks[0].certificate == MAX_CHAIN - 1


def test_a_renewed_key_leaves_the_old_record_unmatched_and_says_what_the_new_one_is(
    chain: Chain,
) -> None:
    renewed = make_chain(MX)
    old_record = tlsa(3, 1, 1, chain.leaf, chain.leaf_spki)

    result = authenticate([old_record], renewed.presented, [MX])

    assert not result.authenticated
    assert hashlib.sha256(renewed.leaf_spki).hexdigest() in result.checks[0].explanation


def test_one_matching_record_among_several_authenticates(chain: Chain) -> None:
    stale = tlsa(3, 1, 1, make_chain(MX).leaf, make_chain(MX).leaf_spki)
    current = tlsa(3, 1, 1, chain.leaf, chain.leaf_spki)

    result = authenticate([stale, current], chain.presented, [MX])

    assert result.authenticated
    assert [check.verdict for check in result.checks] == [Verdict.NOT_MATCHED, Verdict.MATCHED]


def test_rsa_keys_match_like_ec_keys() -> None:
    rsa = make_chain(MX, key_type=trustme.KeyType.RSA)

    assert authenticate([tlsa(3, 1, 2, rsa.leaf, rsa.leaf_spki)], rsa.presented, [MX]).authenticated
    assert authenticate(
        [tlsa(2, 0, 1, rsa.intermediate, rsa.intermediate_spki)], rsa.presented, [MX]
    ).authenticated


@pytest.mark.parametrize(
    ("usage", "selector", "matching_type", "data_size", "why"),
    [
        (0, 1, 1, 32, "PKIX-TA(0) is not used for SMTP"),
        (1, 1, 1, 32, "PKIX-EE(1) is not used for SMTP"),
        (4, 1, 1, 32, "usage 4 is not defined"),
        (3, 2, 1, 32, "selector 2 is not defined"),
        (3, 1, 3, 32, "matching type 3 is not defined"),
        (3, 1, 1, 31, "has 32 bytes, this one 31"),
        (3, 1, 2, 32, "has 64 bytes, this one 32"),
        (3, 1, 0, 0, "empty"),
    ],
)
def test_records_a_sender_ignores_are_unusable_and_say_why(
    chain: Chain, usage: int, selector: int, matching_type: int, data_size: int, why: str
) -> None:
    record = TLSARecord(usage, selector, matching_type, bytes(data_size))

    result = authenticate([record], chain.presented, [MX])

    assert record.unusable() != ""
    assert result.checks[0].verdict is Verdict.UNUSABLE
    assert why in result.checks[0].explanation


def test_pkix_usages_are_unusable_even_when_their_data_matches(chain: Chain) -> None:
    record = tlsa(1, 1, 1, chain.leaf, chain.leaf_spki)

    result = authenticate([record], chain.presented, [MX])

    assert not result.authenticated
    assert "RFC 7672 §3.1.3" in result.checks[0].explanation


def test_a_certificate_that_does_not_parse_is_named_not_a_crash(chain: Chain) -> None:
    record = tlsa(2, 1, 1, chain.intermediate, chain.intermediate_spki)

    result = authenticate([record], (b"\x30\x03garbage", chain.intermediate), [MX])

    assert not result.authenticated
    assert "does not parse" in result.chain[0]


def test_no_certificate_at_all_matches_nothing(chain: Chain) -> None:
    result = authenticate([tlsa(3, 1, 1, chain.leaf, chain.leaf_spki)], (), [MX])

    assert not result.authenticated
    assert "no certificate" in result.checks[0].explanation


def test_only_the_first_certificates_of_a_long_chain_are_read(chain: Chain) -> None:
    result = authenticate([], (chain.leaf,) * (MAX_CHAIN + 5), [MX])

    assert len(result.chain) == MAX_CHAIN


def test_record_for_gives_the_recommended_3_1_1_record(chain: Chain) -> None:
    record = record_for(chain.leaf)

    assert record.text == f"3 1 1 {hashlib.sha256(chain.leaf_spki).hexdigest()}"


def test_association_data_of_a_whole_certificate_is_its_der(chain: Chain) -> None:
    assert association_data(chain.leaf, 0, 0) == chain.leaf
    assert association_data(chain.leaf, 1, 0) == chain.leaf_spki


def test_association_data_refuses_undefined_parameters_in_words(chain: Chain) -> None:
    with pytest.raises(ValueError, match="selector 7 is not defined"):
        association_data(chain.leaf, 7, 1)
    with pytest.raises(ValueError, match="matching type 9 is not defined"):
        association_data(chain.leaf, 1, 9)


def test_a_long_record_is_shortened_for_messages_but_kept_whole_as_text(chain: Chain) -> None:
    record = tlsa(3, 0, 0, chain.leaf, chain.leaf_spki)

    assert record.text.endswith(chain.leaf.hex())
    assert str(record).endswith(f"… ({len(chain.leaf)} bytes)")
    assert len(str(record)) < 100
