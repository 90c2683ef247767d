"""A certificate chain of one, issued by an intermediate the client cannot find (no AIA URL in
the leaf), although the root is trusted: the server forgot its intermediate; a chain that
is complete but ends in a root nobody trusts is an unknown issuer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import trustme

from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.results import Report, Status

from tests.checks.checkkit import hint_titles, row


def served(*, full_chain: bool) -> tuple[ThrowawayPKI, str]:
    """A leaf for 127.0.0.1 issued by an intermediate of a fresh root (trustme: no AIA); the
    server sends the leaf alone or with the intermediate.  Returns it and the root (PEM)."""
    root = trustme.CA()
    leaf = root.create_child_ca().issue_cert("127.0.0.1", "localhost")
    pems = [pem.bytes().decode() for pem in leaf.cert_chain_pems]
    chain = "".join(pems if full_chain else pems[:1])
    key = leaf.private_key_pem.bytes().decode()
    return ThrowawayPKI(ca_pem=root.cert_pem.bytes().decode(), cert_pem=chain, key_pem=key), (
        root.cert_pem.bytes().decode()
    )


def check(make_server: Callable[..., Any], run_check: Callable[..., Report], **kw: Any) -> Report:
    pki, root = served(full_chain=kw.pop("full_chain"))
    trusted = kw.pop("trusted", root)
    return run_check(make_server(pki=pki), ca_data=trusted)


def test_a_leaf_without_its_intermediate_is_an_incomplete_chain_though_the_root_is_given(
    make_server: Callable[..., Any], run_check: Callable[..., Report]
) -> None:
    report = check(make_server, run_check, full_chain=False)

    result = row(report, "certificate")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "certificate.incomplete-chain"
    assert "probably does not send its intermediate certificate" in result.summary
    assert hint_titles(result) == ["The server does not send its intermediate certificate"]


def test_the_same_leaf_with_its_intermediate_passes(
    make_server: Callable[..., Any], run_check: Callable[..., Report]
) -> None:
    report = check(make_server, run_check, full_chain=True)

    assert row(report, "certificate").status is Status.PASS


def test_a_full_chain_ending_in_an_untrusted_root_is_an_unknown_issuer(
    make_server: Callable[..., Any], run_check: Callable[..., Report]
) -> None:
    report = check(
        make_server, run_check, full_chain=True, trusted=trustme.CA().cert_pem.bytes().decode()
    )

    result = row(report, "certificate")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "certificate.unknown-issuer"
    assert hint_titles(result) == ["The issuer is not trusted here"]


def test_a_leaf_a_private_ca_issued_directly_sent_alone_without_any_ca_given_is_an_unknown_issuer(
    make_server: Callable[..., Any], run_check: Callable[..., Report]
) -> None:
    private = trustme.CA()
    leaf = private.issue_cert("127.0.0.1", "localhost")
    pki = ThrowawayPKI(
        ca_pem=private.cert_pem.bytes().decode(),
        cert_pem=leaf.cert_chain_pems[0].bytes().decode(),
        key_pem=leaf.private_key_pem.bytes().decode(),
    )

    report = run_check(make_server(pki=pki), ca_data=None)

    result = row(report, "certificate")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "certificate.unknown-issuer"  # not "fix your chain"
    assert "a CA this machine does not trust (the server sends only this certificate" in (
        result.summary
    )
