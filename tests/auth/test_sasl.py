"""The SASL mechanisms, byte for byte, without a network: what each one sends, which lines
are secret, and how each reacts to a challenge it cannot answer."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from smtpdoctor.protocol import sasl

from tests.auth.authkit import b64

#: RFC 2195 §2's worked example.
RFC2195_CHALLENGE = b64("<1896.697170952@postoffice.reston.mci.net>")
RFC2195_RESPONSE = "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
#: Google's XOAUTH2 documentation: the example initial response and error challenge.
GOOGLE_USER = "someuser@example.com"
GOOGLE_TOKEN = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
GOOGLE_INITIAL_RESPONSE = (
    "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52"
    "YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
)
GOOGLE_ERROR = (
    "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9t"
    "YWlsLmdvb2dsZS5jb20vIn0K"
)


def test_plain_sends_authzid_user_and_password_as_one_secret_initial_response() -> None:
    mechanism = sasl.Plain("alice", "s3cret")

    response = mechanism.initial_response()

    assert base64.b64decode(response.text) == b"\0alice\0s3cret"
    assert response.secret


def test_plain_treats_any_challenge_as_one_too_many() -> None:
    mechanism = sasl.Plain("alice", "s3cret")

    with pytest.raises(sasl.ChallengeError) as caught:
        mechanism.respond("")

    assert caught.value.finding == "auth.unexpected-challenge"
    assert str(caught.value) == "the server sent more challenges than PLAIN has answers for"


def test_login_answers_the_user_then_the_password_both_secret_whatever_the_prompts_say() -> None:
    mechanism = sasl.Login("alice", "s3cret")

    assert mechanism.initial_response() is None
    first = mechanism.respond(b64("Username:"))
    second = mechanism.respond("not even base64!")  # servers word (and encode) prompts freely

    assert (first.text, second.text) == (b64("alice"), b64("s3cret"))
    assert first.secret and second.secret


def test_login_refuses_a_third_challenge() -> None:
    mechanism = sasl.Login("alice", "s3cret")
    mechanism.respond(b64("Username:"))
    mechanism.respond(b64("Password:"))

    with pytest.raises(sasl.ChallengeError) as caught:
        mechanism.respond(b64("Password again:"))

    assert caught.value.finding == "auth.unexpected-challenge"


def test_cram_md5_reproduces_the_example_of_rfc_2195() -> None:
    mechanism = sasl.CramMD5("tim", "tanstaaftanstaaf")

    assert mechanism.initial_response() is None
    response = mechanism.respond(RFC2195_CHALLENGE)

    assert response.text == RFC2195_RESPONSE
    assert response.secret  # an eavesdropper could guess the password offline from it


def test_cram_md5_signs_the_decoded_challenge_with_hmac_md5_of_the_password() -> None:
    challenge = b"<4711.1700000000@mail.example.test>"

    response = sasl.CramMD5("alice", "s3cret").respond(b64(challenge))

    digest = hmac.new(b"s3cret", challenge, hashlib.md5).hexdigest()
    assert base64.b64decode(response.text) == f"alice {digest}".encode()
    assert "s3cret" not in base64.b64decode(response.text).decode()


@pytest.mark.parametrize(
    ("challenge", "message"),
    [
        ("<1896.697170952@host>", "the server's CRAM-MD5 challenge is not valid base64"),
        ("", "the server's CRAM-MD5 challenge is empty: there is nothing to sign"),
    ],
    ids=["not-base64", "empty"],
)
def test_cram_md5_refuses_a_challenge_it_cannot_sign(challenge: str, message: str) -> None:
    with pytest.raises(sasl.ChallengeError) as caught:
        sasl.CramMD5("alice", "s3cret").respond(challenge)

    assert caught.value.finding == "auth.bad-challenge"
    assert str(caught.value).startswith(message)


def test_a_bad_challenge_is_quoted_printable_and_short() -> None:
    hostile = "\x1b[31m" + "A" * 500 + "!"

    with pytest.raises(sasl.ChallengeError) as caught:
        sasl.CramMD5("alice", "s3cret").respond(hostile)

    assert "\x1b" not in str(caught.value)
    assert len(str(caught.value)) < 200
    assert str(caught.value).endswith("…'")


def test_cram_md5_refuses_a_second_challenge() -> None:
    mechanism = sasl.CramMD5("alice", "s3cret")
    mechanism.respond(b64("<1@host>"))

    with pytest.raises(sasl.ChallengeError) as caught:
        mechanism.respond(b64("<2@host>"))

    assert caught.value.finding == "auth.unexpected-challenge"


def test_xoauth2_initial_response_matches_googles_documented_example() -> None:
    response = sasl.XOAuth2(GOOGLE_USER, GOOGLE_TOKEN).initial_response()

    assert response.text == GOOGLE_INITIAL_RESPONSE
    assert response.secret


def test_xoauth2_answers_googles_error_challenge_with_an_empty_line_and_keeps_the_error() -> None:
    mechanism = sasl.XOAuth2(GOOGLE_USER, GOOGLE_TOKEN)

    response = mechanism.respond(GOOGLE_ERROR)

    assert response == sasl.Response("", secret=False)
    assert mechanism.error == sasl.OAuthError(
        status="401", schemes="bearer mac", scope="https://mail.google.com/"
    )


def test_xoauth2_refuses_a_second_challenge() -> None:
    mechanism = sasl.XOAuth2(GOOGLE_USER, GOOGLE_TOKEN)
    mechanism.respond(GOOGLE_ERROR)

    with pytest.raises(sasl.ChallengeError) as caught:
        mechanism.respond(GOOGLE_ERROR)

    assert caught.value.finding == "auth.unexpected-challenge"


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (
            '{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}',
            "status 401 (the token is expired, revoked, or for another account), "
            "scope https://mail.google.com/",
        ),
        (
            '{"status":"400","schemes":"bearer"}',
            "status 400 (a malformed request: is --user the token's account?)",
        ),
        (
            '{"status":"insufficient_scope","scope":"https://outlook.office.com/SMTP.Send"}',
            "status insufficient_scope (the token lacks the scope this server needs), "
            "scope https://outlook.office.com/SMTP.Send",
        ),
        ('{"status":"418"}', "status 418"),
        ("{}", "no status given"),
        ("not json at all", "not in JSON: 'not json at all'"),
        ('["a", "list"]', "not in JSON: \"['a', 'list']\""),
    ],
    ids=["google-401", "400", "rfc6750-name", "unknown-status", "empty", "not-json", "not-object"],
)
def test_an_oauth_error_is_described_in_words(document: str, words: str) -> None:
    assert sasl.OAuthError.parse(b64(document)).describe() == words


def test_an_oauth_error_that_is_not_base64_is_still_described() -> None:
    error = sasl.OAuthError.parse("{status: 401}")

    assert error.describe() == "not in JSON: '{status: 401}'"


@pytest.mark.parametrize(
    ("offered", "have_password", "have_token", "encrypted", "chosen"),
    [
        (("LOGIN", "PLAIN", "XOAUTH2", "CRAM-MD5"), True, True, True, "XOAUTH2"),
        (("LOGIN", "PLAIN", "XOAUTH2", "CRAM-MD5"), True, False, True, "PLAIN"),
        (("CRAM-MD5", "LOGIN"), True, False, True, "LOGIN"),
        (("CRAM-MD5",), True, False, True, "CRAM-MD5"),
        (("PLAIN", "LOGIN"), True, True, True, "PLAIN"),
        (("PLAIN", "LOGIN"), False, True, True, None),
        (("XOAUTH2",), True, False, True, None),
        (("GSSAPI", "NTLM"), True, True, True, None),
        (("PLAIN", "LOGIN", "CRAM-MD5"), True, False, False, "CRAM-MD5"),
        (("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"), True, True, False, "XOAUTH2"),
    ],
    ids=[
        "token-first",
        "plain-over-tls",
        "login-before-cram-md5",
        "cram-md5-last",
        "no-xoauth2-offered-falls-back-to-password",
        "token-only-but-no-xoauth2",
        "password-only-but-only-xoauth2",
        "nothing-in-common",
        "in-clear-cram-md5-keeps-the-password-off-the-wire",
        "in-clear-a-token-still-comes-first",
    ],
)
def test_auto_picks_the_strongest_offered_mechanism_we_have_a_secret_for(
    offered: tuple[str, ...],
    have_password: bool,
    have_token: bool,
    encrypted: bool,
    chosen: str | None,
) -> None:
    assert (
        sasl.choose(
            offered, have_password=have_password, have_token=have_token, encrypted=encrypted
        )
        == chosen
    )


def test_create_builds_each_mechanism_with_the_secret_it_needs() -> None:
    for name in sasl.SUPPORTED:
        mechanism = sasl.create(name, "alice", password="pw", token="tok")
        assert mechanism.name == name


@pytest.mark.parametrize(
    ("name", "password", "token", "message"),
    [
        ("XOAUTH2", "pw", None, "XOAUTH2 needs an OAuth token"),
        ("PLAIN", None, "tok", "PLAIN needs a password"),
        ("GSSAPI", "pw", "tok", "unknown SASL mechanism 'GSSAPI'"),
    ],
)
def test_create_refuses_a_mechanism_without_its_secret(
    name: str, password: str | None, token: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sasl.create(name, "alice", password=password, token=token)


def test_secret_forms_cover_the_secret_and_its_base64_with_and_without_padding() -> None:
    assert sasl.secret_forms("s3cret") == ("s3cret", "czNjcmV0")
    assert sasl.secret_forms("pass") == ("pass", "cGFzcw==", "cGFzcw")


def test_an_oauth_error_nested_too_deep_for_the_json_parser_is_still_described() -> None:
    # 3 KiB of "[" fits in one 4 KiB reply line, and is far deeper than json's recursion.
    error = sasl.OAuthError.parse(b64("[" * 3000))

    assert error.status is None
    assert error.describe().startswith("not in JSON: '[[[[")


def test_an_oauth_error_cannot_write_to_the_terminal() -> None:
    document = '{"status":"401\\u001b[2J","schemes":"bearer\\u0007","scope":"a\\u202eb"}'

    error = sasl.OAuthError.parse(b64(document))

    assert error == sasl.OAuthError(status="401\\x1b[2J", schemes="bearer\\x07", scope="a\\u202eb")


def test_a_token_echoed_in_an_oauth_error_is_hidden_before_the_error_is_cut_short() -> None:
    # Cut at 80 characters, the token's start would be shown — and no later redaction
    # recognises a token's prefix.
    token = "ya29." + "x" * 200
    mechanism = sasl.XOAuth2(GOOGLE_USER, token)

    mechanism.respond(b64(f'{{"status":"401","scope":"{"s" * 60} {token}"}}'))
    mechanism_raw = sasl.XOAuth2(GOOGLE_USER, token)
    mechanism_raw.respond(b64(f"{'n' * 60} {token} not json"))

    assert mechanism.error is not None and mechanism_raw.error is not None
    assert mechanism.error.scope == "s" * 60 + " [redacted]"
    assert "ya29" not in mechanism_raw.error.describe()
