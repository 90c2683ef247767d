"""Reading a delivered message's own account of its authentication, without I/O:
Authentication-Results (RFC 8601), Received-SPF, Received, DKIM-Signature and From — and the
comparison of our verdicts with the receiver's.  Hostile input is bounded and never raises."""

from __future__ import annotations

import pytest

from smtpdoctor.delivery.authentication import (
    BODY_CHANGED,
    Disagreement,
    DMARCVerdict,
    Evaluation,
    SignatureVerdict,
    SPFVerdict,
    compare,
    key_to_check,
)
from smtpdoctor.delivery.authresults import (
    MAX_RESULTS,
    MAX_SIGNATURES,
    AuthenticationResults,
    SignatureTags,
    header_fields,
    parse_authentication_results,
    read_delivered,
)

GMAIL = (
    "mx.google.com; dkim=pass header.i=@example.com header.s=20230601 header.b=AbCd+/9z; "
    "spf=pass (google.com: domain of a@example.com designates 203.0.113.5 as permitted "
    "sender) smtp.mailfrom=a@example.com; dmarc=pass (p=REJECT sp=REJECT dis=NONE) "
    "header.from=example.com"
)


def parsed(value: str) -> AuthenticationResults:
    result = parse_authentication_results(value)
    assert result is not None
    return result


def message(*fields: str, body: str = "body") -> bytes:
    return ("\r\n".join(fields) + "\r\n\r\n" + body + "\r\n").encode()


# -- Authentication-Results --------------------------------------------------------------------


def test_a_receivers_results_are_read_method_by_method_without_comments() -> None:
    results = parsed(GMAIL)

    assert results.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in results.results] == [
        ("dkim", "pass"),
        ("spf", "pass"),
        ("dmarc", "pass"),
    ]
    dkim = results.of("dkim")[0]
    assert dkim.property("header.s") == "20230601"
    assert dkim.property("header.b") == "AbCd+/9z"
    assert results.of("spf")[0].property("smtp.mailfrom") == "a@example.com"
    assert results.verdict("dmarc") == "pass"
    assert results.verdict("arc") is None


def test_a_quoted_id_a_version_a_reason_and_spaces_around_the_signs_are_understood() -> None:
    results = parsed(
        '"mx (1) example" 1; spf = softfail smtp.mailfrom="a;b"@example.com; '
        'dkim/1 = fail reason="bad (sig)" header.d = example.com'
    )

    assert results.authserv_id == "mx (1) example"
    spf, dkim = results.results
    assert (spf.result, spf.property("smtp.mailfrom")) == ("softfail", "a;b@example.com")
    assert (dkim.method, dkim.result, dkim.reason) == ("dkim", "fail", "bad (sig)")
    assert dkim.property("header.d") == "example.com"


def test_nested_comments_anywhere_are_dropped() -> None:
    results = parsed("mx.example.net (a (nested) comment); spf=pass (x (y) z) smtp.mailfrom=e.test")

    assert results.authserv_id == "mx.example.net"
    assert str(results.results[0]) == "spf=pass smtp.mailfrom=e.test"


def test_none_means_no_results_and_a_result_that_cannot_be_read_is_counted() -> None:
    assert parsed("example.org 1; none").results == ()

    results = parsed("example.org; dkim=pass; =oops; spf pass; dmarc=fail")

    assert [r.method for r in results.results] == ["dkim", "dmarc"]
    assert results.skipped == 2


def test_several_dkim_results_pass_when_any_passes() -> None:
    results = parsed("mx; dkim=fail header.d=a.test; dkim=pass header.d=b.test")

    assert results.verdict("dkim") == "pass"
    assert parsed("mx; dkim=neutral; dkim=fail").verdict("dkim") == "neutral"


def test_a_field_without_an_authserv_id_is_no_result() -> None:
    assert parse_authentication_results("   ") is None
    assert parse_authentication_results("(only a comment)") is None


def test_microsoft_365s_field_without_an_authserv_id_keeps_every_result() -> None:
    parsed = parse_authentication_results(
        "spf=pass (sender IP is 192.0.2.7) smtp.mailfrom=example.com; dkim=pass (signature "
        "was verified) header.d=example.com;dmarc=pass action=none header.from=example.com;"
        "compauth=pass reason=100"
    )

    assert parsed is not None
    assert parsed.authserv_id == ""
    assert [parsed.verdict(method) for method in ("spf", "dkim", "dmarc")] == [
        "pass",
        "pass",
        "pass",
    ]


def test_hostile_results_are_bounded() -> None:
    many = "mx; " + "; ".join(f"x{n}=pass" for n in range(1000))
    huge = "mx; spf=pass smtp.mailfrom=" + "a" * 1_000_000
    unclosed = "mx; spf=pass (" + "(" * 10_000 + ' smtp.mailfrom="'

    assert len(parsed(many).results) == MAX_RESULTS
    assert parsed(many).skipped == 1000 - MAX_RESULTS
    assert parsed(huge).results[0].result == "pass"
    assert parsed(unclosed).results[0].properties == ()


# -- the message's header fields --------------------------------------------------------------


def test_header_fields_are_unfolded_in_order_with_bad_bytes_replaced() -> None:
    raw = b"A: one\r\n two\r\nB:\xff\r\nnot a field\r\nC: x\n\tmore\n\nBody: no\n"

    assert header_fields(raw) == (("A", "one two"), ("B", "\ufffd"), ("C", "x more"))


def test_the_connecting_address_comes_from_the_receivers_authentication_results_first() -> None:
    delivered = read_delivered(
        message(
            "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=a.test "
            "smtp.client-ip=2001:DB8::5",
            "Received-SPF: pass (mx: ok) client-ip=198.51.100.1; helo=out.a.test;",
            "Received: from out.a.test (out.a.test [203.0.113.5]) by mx.example.net",
        )
    )

    assert delivered.client is not None
    assert (delivered.client.ip, delivered.client.source, delivered.client.helo) == (
        "2001:db8::5",
        "Authentication-Results smtp.client-ip",
        "out.a.test",
    )


def test_received_spf_gives_the_address_and_helo_when_authentication_results_do_not() -> None:
    delivered = read_delivered(
        message(
            "Received-SPF: softfail (mx.example.net: transitioning) client-ip=198.51.100.1; "
            "envelope-from=a@a.test; helo=out.a.test;",
            "Received: from out.a.test (out.a.test [203.0.113.5]) by mx.example.net",
        )
    )

    assert delivered.client is not None
    assert (delivered.client.ip, delivered.client.helo) == ("198.51.100.1", "out.a.test")
    assert delivered.client.source == "Received-SPF client-ip"


def test_the_first_received_from_outside_the_sites_own_networks_is_the_client() -> None:
    delivered = read_delivered(
        message(
            "Received: from mail.example.net by mail.example.net (Dovecot) with LMTP",
            "Received: from localhost (localhost [127.0.0.1]) by mx.example.net (amavis)",
            "Received: from relay (relay [10.1.2.3]) by mx.example.net",
            "Received: from out.a.test (out.a.test [IPv6:2001:db8::7])\r\n"
            "\tby mx.example.net (Postfix) with ESMTPS id 4Xy for <b@example.net>",
            "Received: from laptop ([198.51.100.9]) by out.a.test",
        )
    )

    assert delivered.client is not None
    assert (delivered.client.ip, delivered.client.helo) == ("2001:db8::7", "out.a.test")
    assert delivered.client.source == "Received"


def test_a_message_that_records_no_outside_address_has_no_client() -> None:
    delivered = read_delivered(message("Received: from [127.0.0.1] by mx (by [203.0.113.1])"))

    assert delivered.client is None


def test_dkim_signatures_are_read_topmost_first_and_bounded() -> None:
    signatures = [
        f"DKIM-Signature: v=1; a=rsa-sha256; d=Example{n}.TEST.; s=s{n};\r\n b=abc"
        for n in range(12)
    ]
    delivered = read_delivered(message(*signatures, "From: a@example0.test"))

    assert len(delivered.signatures) == MAX_SIGNATURES
    assert delivered.signature_fields == 12
    first = delivered.signatures[0]
    assert (first.domain, first.selector, first.algorithm) == ("example0.test", "s0", "rsa-sha256")
    assert first.key_name == "s0._domainkey.example0.test"


def test_the_from_domain_is_that_of_the_single_from_address() -> None:
    assert read_delivered(message('From: "Doe, Jane" <Jane@Mail.Example.COM.>')).from_domain == (
        "mail.example.com"
    )
    for fields, problem in (
        ((), "the message has no From header"),
        (("From: a@a.test", "From: b@b.test"), "the message has 2 From headers"),
        (("From: a@a.test, b@b.test",), "the From header holds 2 addresses, not one"),
    ):
        delivered = read_delivered(message(*fields, "Subject: x"))
        assert (delivered.from_domain, delivered.from_problem) == (None, problem)


def test_without_a_recognisable_receiver_the_topmost_results_are_read_marked_as_such() -> None:
    delivered = read_delivered(
        message(
            "Authentication-Results: mx.example.net; dkim=fail",
            "Authentication-Results: submit.a.test; dkim=pass",
        )
    )

    assert delivered.receiver is not None
    assert delivered.receiver.authserv_id == "mx.example.net"
    assert delivered.receiver_recognised is False
    assert len(delivered.authentication_results) == 2


def test_the_receivers_results_are_the_topmost_whose_authserv_id_is_of_the_receiving_side() -> None:
    delivered = read_delivered(
        message(
            "Authentication-Results: scanner.filter.test; dkim=fail; spf=fail "
            "smtp.client-ip=198.51.100.66",
            "Authentication-Results: mx2.example.net; dkim=pass; spf=pass "
            "smtp.client-ip=203.0.113.5",
            "Authentication-Results: submit.a.test; dkim=pass",
        ),
        receiving=("imap.example.net", "example.org"),
    )

    assert delivered.receiver is not None
    assert (delivered.receiver.authserv_id, delivered.receiver_recognised) == (
        "mx2.example.net",
        True,
    )
    assert delivered.client is not None
    assert delivered.client.ip == "203.0.113.5"  # the receiver's, not the filter's


def test_the_host_that_wrote_the_topmost_received_names_the_receiving_side() -> None:
    delivered = read_delivered(
        message(
            "Authentication-Results: forged.a.test; dkim=pass",
            "Received: from out.a.test (out.a.test [203.0.113.5]) by mx1.mail.example.co.uk "
            "(Postfix)",
            "Authentication-Results: mail.example.co.uk; dkim=fail",
        )
    )

    assert delivered.receiver is not None
    assert (delivered.receiver.authserv_id, delivered.receiver_recognised) == (
        "mail.example.co.uk",
        True,
    )


def test_names_of_the_receiving_side_that_are_no_domain_names_recognise_nothing() -> None:
    delivered = read_delivered(
        message("Authentication-Results: 127.0.0.1; dkim=pass", "Received: by 2001:db8::1"),
        receiving=("127.0.0.1", "localhost", "", "a b.test"),
    )

    assert delivered.receiver is not None
    assert delivered.receiver_recognised is False


# -- ours beside the receiver's ---------------------------------------------------------------


def ours(*, dkim: str, spf: str, dmarc: str) -> Evaluation:
    headers = read_delivered(message("DKIM-Signature: d=a.test; s=sel", "From: x@a.test"))
    signature = SignatureVerdict(headers.signatures[0], dkim)
    return Evaluation(
        headers,
        (signature,),
        SPFVerdict(spf, "a.test", None),
        DMARCVerdict(dmarc, "a.test"),
        (),
    )


def test_the_sides_disagree_when_exactly_one_says_pass() -> None:
    receiver = parsed("mx; dkim=fail; spf=pass; dmarc=pass")

    found = compare(ours(dkim="pass", spf="pass", dmarc="pass"), receiver)

    assert [str(d) for d in found] == ["dkim: smtpdoctor found pass, the receiver fail"]


def test_two_different_failures_unrecorded_methods_and_temporary_errors_are_no_disagreement() -> (
    None
):
    receiver = parsed("mx; dkim=neutral; spf=temperror")

    assert compare(ours(dkim="permerror", spf="fail", dmarc="fail"), receiver) == ()
    assert compare(ours(dkim="pass", spf="pass", dmarc="pass"), None) == ()


def test_a_disagreement_on_dkim_we_pass_names_the_likely_cause_by_the_algorithm() -> None:
    causes = {
        algorithm: Disagreement("dkim", "pass", "fail", algorithms).likely_cause
        for algorithm, algorithms in (
            ("ed25519", ("ed25519-sha256",)),
            ("sha256", ("rsa-sha256",)),
            ("both", ("rsa-sha256", "ed25519-sha256")),
        )
    }

    assert causes["ed25519"] == (
        "the receiver does not verify ed25519-sha256 signatures (RFC 8463)"
    )
    assert causes["sha256"] == causes["both"]
    assert causes["sha256"].startswith("the receiver fetched another key")
    assert all("bits" not in cause and "sha1" not in cause for cause in causes.values())


def test_compare_records_the_algorithms_of_the_signatures_that_passed_here() -> None:
    headers = read_delivered(
        message("DKIM-Signature: a=ed25519-sha256; d=a.test; s=sel", "From: x@a.test")
    )
    evaluation = Evaluation(
        headers,
        (SignatureVerdict(headers.signatures[0], "pass"),),
        SPFVerdict("pass", "a.test", None),
        DMARCVerdict("pass", "a.test"),
        (),
    )

    (found,) = compare(evaluation, parsed("mx; dkim=fail"))

    assert found.algorithms == ("ed25519-sha256",)
    assert found.likely_cause == (
        "the receiver does not verify ed25519-sha256 signatures (RFC 8463)"
    )


def test_a_dkim_failure_by_a_changed_body_is_told_as_the_cause_of_a_disagreement() -> None:
    headers = read_delivered(message("DKIM-Signature: d=a.test; s=sel", "From: x@a.test"))

    def disagreement(reason: str) -> Disagreement:
        evaluation = Evaluation(
            headers,
            (SignatureVerdict(headers.signatures[0], "fail", reason),),
            SPFVerdict("pass", "a.test", None),
            DMARCVerdict("pass", "a.test"),
            (),
        )
        (found,) = compare(evaluation, parsed("mx; dkim=pass"))
        return found

    changed = disagreement(BODY_CHANGED)
    other = disagreement("the signature does not verify with the key at sel._domainkey.a.test")

    assert changed.body_changed is True
    assert changed.likely_cause.startswith("the body was changed after the receiver checked it")
    assert other.body_changed is False
    assert other.likely_cause.startswith("the message was changed after the receiver checked it")


@pytest.mark.parametrize(
    ("domain", "selector", "expected"),
    [
        ("example.com", "s1", ("example.com", "s1")),
        ("Mail.Example.COM", "Sel-2024.a", ("mail.example.com", "sel-2024.a")),
        ("bücher.example", "s1", ("xn--bcher-kva.example", "s1")),
        ("example.com", "", None),
        ("example.com", "$(reboot)", None),
        ("example.com", "s1; rm -rf ~", None),
        ("example.com --dns-server 192.0.2.1", "s1", None),
        ("localhost", "s1", None),
        ("192.0.2.1", "s1", None),
        ("", "s1", None),
        ("x" * 64 + ".example", "s1", None),
    ],
)
def test_only_a_valid_domain_and_selector_are_offered_for_a_command(
    domain: str, selector: str, expected: tuple[str, str] | None
) -> None:
    assert key_to_check(SignatureTags(domain, selector, "rsa-sha256")) == expected
