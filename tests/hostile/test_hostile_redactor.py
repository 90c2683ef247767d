"""Specification of the :class:`~smtpdoctor.secrets.redaction.Redactor`: the last line of defence
that takes secrets — plain, or inside any base64 blob — out of what the runner hands out."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import CheckResult, Hint, Outcome, Status, TranscriptLine
from smtpdoctor.secrets.redaction import Redactor
from smtpdoctor.settings.config import RunConfig
from smtpdoctor.settings.sending import IMAPSettings, SendRequest

PASSWORD = "correct horse battery staple"
USER = "alice@example.test"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


redact = Redactor([PASSWORD]).text


def test_the_secret_itself_is_replaced() -> None:
    assert redact(f"password was {PASSWORD}!") == "password was [redacted]!"


def test_a_login_answer_padded_or_not_is_replaced() -> None:
    answer = b64(PASSWORD.encode())
    assert redact(f"S: 500 unknown command {answer}") == "S: 500 unknown command [redacted]"
    assert redact(f"x {answer.rstrip('=')} y") == "x [redacted] y"


def test_a_whole_auth_plain_blob_is_replaced_with_the_user_name_in_it() -> None:
    blob = b64(f"\0{USER}\0{PASSWORD}".encode())
    assert redact(f"cannot send b'AUTH PLAIN {blob}\\r\\n'") == (
        "cannot send b'AUTH PLAIN [redacted]\\r\\n'"
    )


def test_an_xoauth2_blob_is_replaced() -> None:
    token = "ya29.a0AfH6SMBx-token"
    blob = b64(f"user={USER}\x01auth=Bearer {token}\x01\x01".encode())
    assert Redactor([token]).text(f"AUTH XOAUTH2 {blob}") == "AUTH XOAUTH2 [redacted]"


@given(
    prefix=st.binary(max_size=40),
    suffix=st.binary(max_size=40),
    secret=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=6),
)
def test_a_secret_anywhere_inside_a_base64_blob_takes_the_whole_blob_with_it(
    prefix: bytes, suffix: bytes, secret: str
) -> None:
    blob = b64(prefix + secret.encode() + suffix)
    assert Redactor([secret]).text(f"<{blob}>") == "<[redacted]>"


def test_short_secrets_are_replaced_only_in_their_exact_base64_form() -> None:
    short = Redactor(["abc"])
    assert short.text("abc abcd") == "abc abcd"
    assert short.text(f"answer {b64(b'abc')}") == "answer [redacted]"


def test_text_without_secrets_is_unchanged_and_no_secrets_change_nothing() -> None:
    text = "250-mail.example.test\n250 AUTH PLAIN LOGIN"
    assert redact(text) == text
    assert Redactor([]).text(f"{PASSWORD}") == PASSWORD


def test_every_text_of_a_result_is_redacted() -> None:
    hint = Hint(f"title {PASSWORD}", (f"step {PASSWORD}",), f"https://x/{PASSWORD}")
    outcome = Outcome(
        Status.ERROR,
        f"crashed: {PASSWORD}",
        details={"error": PASSWORD, "words": ("ok", PASSWORD), "count": 3},
        reply_text=f"535 {PASSWORD}",
        hints=(hint,),
    )
    result = Redactor([PASSWORD]).result(CheckResult("auth", "Authentication", outcome, (hint,)))

    assert PASSWORD not in repr(result)
    assert result.summary == "crashed: [redacted]"
    assert dict(result.outcome.details) == {
        "error": "[redacted]",
        "words": ("ok", "[redacted]"),
        "count": 3,
    }
    assert result.outcome.reply_text == "535 [redacted]"
    assert result.hints[0].steps == ("step [redacted]",)


def test_the_transcript_is_redacted_line_by_line() -> None:
    lines = (TranscriptLine(0.1, "S", f"500 {PASSWORD}"), TranscriptLine(0.2, "C", "QUIT"))
    assert [line.text for line in Redactor([PASSWORD]).transcript(lines)] == [
        "500 [redacted]",
        "QUIT",
    ]


def test_the_secrets_of_a_run_are_its_password_and_its_token() -> None:
    config = RunConfig(
        host="mail.example.test",
        credentials=Credentials(USER, Secret(PASSWORD)),
        oauth_token=Secret("token-123"),
    )
    assert config.secrets() == (PASSWORD, "token-123")
    assert RunConfig(host="mail.example.test").secrets() == ()


def test_the_imap_password_of_a_delivery_check_is_a_secret_of_the_run_too() -> None:
    config = RunConfig(
        host="mail.example.test",
        credentials=Credentials(USER, Secret(PASSWORD)),
        send=SendRequest(USER, USER, "test", None),
        verify=IMAPSettings("imap.example.test", 993, Credentials(USER, Secret("imap-secret"))),
    )
    assert config.secrets() == (PASSWORD, "imap-secret")


def test_a_megabyte_of_hostile_base64_is_redacted_without_blowing_up() -> None:
    """No backtracking: a long run of base64 letters costs one pass."""
    noise = "A" * 1_000_000
    assert redact(noise) == noise
    planted = noise + b64(PASSWORD.encode()) + noise
    assert redact(planted) == "[redacted]"
