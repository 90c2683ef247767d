"""``auth`` against scripted servers: providers' exact failure paths, and servers whose
challenges make no sense — every one answered, cancelled or reported, never a hang, never a
leaked secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import Report, Status
from smtpdoctor.model.words import AuthMechanism, TLSMode

from tests.auth.authkit import (
    GREETING,
    PASSWORD,
    QUIT_ANSWERED,
    TOKEN,
    USER,
    RunCheck,
    StartScripted,
    auth_server,
    b64,
    ehlo_offering,
    hint_titles,
    row,
    sent_lines,
    transcript_lines,
)

GOOGLE_ERROR = b64(
    json.dumps({"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"})
)
GMAIL_535 = (
    b"535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
    b"535 5.7.8  https://support.google.com/mail/?p=BadCredentials d2-20020a05\r\n"
)
CANCELLED = b"501 5.7.0 Auth aborted\r\n"


def xoauth2_response(user: str, token: str) -> str:
    return b64(f"user={user}\x01auth=Bearer {token}\x01\x01")


def run_in_clear(run_check: RunCheck, server: tuple[str, int], **fields: object) -> Report:
    """Check a plaintext scripted server, allowing the login in clear."""
    return run_check(server, tls=TLSMode.NONE, allow_plaintext_auth=True, **fields)


def with_token(**fields: object) -> dict[str, object]:
    return {"password": None, "credentials": Credentials(USER), "oauth_token": Secret(TOKEN)}


def everything_shown(report: Report) -> str:
    rows = [
        f"{result.summary} {result.outcome.reply_text} {result.outcome.details}"
        for result in report.results
    ]
    return "\n".join([*rows, *transcript_lines(report)])


# -- providers ------------------------------------------------------------------------------


def test_gmails_xoauth2_failure_is_decoded_answered_with_an_empty_line_and_reported(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        auth_server(("LOGIN", "PLAIN", "XOAUTH2"), f"334 {GOOGLE_ERROR}\r\n".encode(), GMAIL_535)
    )

    report = run_in_clear(run_check, server.address, **with_token())

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.token-rejected"
    assert result.outcome.reply_code == 535
    assert result.outcome.enhanced_code == "5.7.8"
    assert "OAuth error: status 401 (the token is expired, revoked, or for another account)" in (
        result.summary
    )
    lines = sent_lines(server)
    assert lines[1:] == [f"AUTH XOAUTH2 {xoauth2_response(USER, TOKEN)}", "", "QUIT"]
    assert "The OAuth token was refused" in hint_titles(result)


def test_microsofts_flat_535_to_a_token_is_a_refused_token_without_details(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        auth_server(
            ("LOGIN", "XOAUTH2"),
            b"535 5.7.3 Authentication unsuccessful [SN4PR0201CA0047.namprd02.prod.outlook.com]"
            b"\r\n",
        )
    )

    report = run_in_clear(run_check, server.address, **with_token())

    result = row(report, "auth")
    assert result.outcome.finding == "auth.token-rejected"
    assert result.summary == (
        f"login as {USER} with XOAUTH2 refused: 535 5.7.3 Authentication unsuccessful "
        "[SN4PR0201CA0047.namprd02.prod.outlook.com]"
    )
    assert "oauth_status" not in result.outcome.details
    assert "The OAuth token was refused" in hint_titles(result)


def test_a_temporary_failure_to_a_token_is_temporary_not_a_refused_token(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(auth_server(("XOAUTH2",), b"454 4.7.0 Temporary authentication failure\r\n"))

    report = run_in_clear(run_check, server.address, **with_token())

    result = row(report, "auth")
    assert result.outcome.finding == "auth.temporary-failure"
    assert "The OAuth token was refused" not in hint_titles(result)


def test_cram_md5_sends_the_hmac_of_the_challenge_and_never_the_password(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    challenge = b"<31.1764000000@smtp.example.test>"
    server = scripted(
        auth_server(
            ("CRAM-MD5",),
            f"334 {b64(challenge)}\r\n".encode(),
            b"235 2.7.0 Authentication successful\r\n",
        )
    )

    report = run_in_clear(run_check, server.address)

    assert row(report, "auth").status is Status.PASS
    lines = sent_lines(server)
    assert lines[1] == "AUTH CRAM-MD5"
    digest = hmac.new(PASSWORD.encode(), challenge, hashlib.md5).hexdigest()
    assert base64.b64decode(lines[2]) == f"{USER} {digest}".encode()
    assert PASSWORD.encode() not in b"".join(server.received)
    assert b64(PASSWORD).encode() not in b"".join(server.received)


# -- challenges that make no sense ----------------------------------------------------------


def test_a_cram_md5_challenge_that_is_not_base64_is_cancelled_and_reported(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        auth_server(("CRAM-MD5",), b"334 <1896.697170952@smtp.example.test>\r\n", CANCELLED)
    )

    report = run_in_clear(run_check, server.address)

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.bad-challenge"
    assert result.summary == (
        f"login as {USER} with CRAM-MD5 abandoned: the server's CRAM-MD5 challenge is not "
        "valid base64: '<1896.697170952@smtp.example.test>'; smtpdoctor cancelled it (the "
        "server answered 501 5.7.0 Auth aborted)"
    )
    assert sent_lines(server)[1:] == ["AUTH CRAM-MD5", "*", "QUIT"]


def test_a_challenge_to_plains_initial_response_is_one_too_many(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(auth_server(("PLAIN",), b"334 \r\n", CANCELLED))

    report = run_in_clear(run_check, server.address)

    result = row(report, "auth")
    assert result.outcome.finding == "auth.unexpected-challenge"
    assert "the server sent more challenges than PLAIN has answers for" in result.summary
    assert sent_lines(server)[2:] == ["*", "QUIT"]


def test_a_third_login_challenge_is_cancelled_after_the_two_answers(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    prompt = b"334 " + b64("Password:").encode() + b"\r\n"
    server = scripted(auth_server(("LOGIN",), prompt, prompt, prompt, CANCELLED))

    report = run_in_clear(run_check, server.address, auth_mechanism=AuthMechanism.LOGIN)

    result = row(report, "auth")
    assert result.outcome.finding == "auth.unexpected-challenge"
    assert sent_lines(server)[1:] == ["AUTH LOGIN", b64(USER), b64(PASSWORD), "*", "QUIT"]
    assert client_lines(report) == ["AUTH LOGIN", "[redacted]", "[redacted]", "*", "QUIT"]


def test_a_second_xoauth2_error_challenge_is_cancelled(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    error = f"334 {GOOGLE_ERROR}\r\n".encode()
    server = scripted(auth_server(("XOAUTH2",), error, error, CANCELLED))

    report = run_in_clear(run_check, server.address, **with_token())

    result = row(report, "auth")
    assert result.outcome.finding == "auth.unexpected-challenge"
    assert sent_lines(server)[2:] == ["", "*", "QUIT"]


def test_the_servers_answer_to_our_own_cancel_gets_the_hint_of_the_finding_not_of_its_code(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    prompt = b"334 " + b64("Password:").encode() + b"\r\n"
    server = scripted(auth_server(("LOGIN", "PLAIN"), prompt, prompt, prompt, CANCELLED))

    report = run_in_clear(run_check, server.address, auth_mechanism=AuthMechanism.LOGIN)

    result = row(report, "auth")
    assert result.outcome.finding == "auth.unexpected-challenge"
    assert hint_titles(result) == ["The server keeps challenging"]
    # the 501 answers our "*", so it decided nothing: no code for hints, plugins or metrics
    assert result.outcome.reply_code is None
    assert result.outcome.enhanced_code is None
    assert result.outcome.details["cancel_reply"] == "501 5.7.0 Auth aborted"
    assert result.summary.endswith(
        "smtpdoctor cancelled it (the server answered 501 5.7.0 Auth aborted)"
    )


def test_a_challenge_that_cannot_be_answered_gets_the_hint_of_a_broken_mechanism(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(auth_server(("CRAM-MD5",), b"334 not base64!\r\n", CANCELLED))

    report = run_in_clear(run_check, server.address)

    result = row(report, "auth")
    assert result.outcome.finding == "auth.bad-challenge"
    assert hint_titles(result) == ["The server's challenge makes no sense"]
    assert result.outcome.reply_code is None


def test_a_server_that_keeps_challenging_after_the_cancel_ends_the_check_without_hanging(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(auth_server(("PLAIN",), b"334 \r\n", b"334 \r\n"))

    report = run_in_clear(run_check, server.address)

    result = row(report, "auth")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "auth.unexpected-challenge"
    assert result.summary.endswith("(the server answered 334)")
    assert "QUIT" not in sent_lines(server)  # SMTP has no way to say QUIT mid-exchange
    # the rest of the run went on
    assert row(report, "posture").outcome.finding == "posture.plaintext-auth"


def test_a_server_that_echoes_our_auth_line_back_does_not_make_it_visible(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    initial = b64(f"\0{USER}\0{PASSWORD}")
    server = scripted(
        auth_server(
            ("PLAIN",),
            f'500 5.5.1 Command unrecognized: "AUTH PLAIN {initial}" ({PASSWORD})\r\n'.encode(),
        )
    )

    report = run_in_clear(run_check, server.address)

    result = row(report, "auth")
    assert result.outcome.finding == "auth.failed"
    shown = everything_shown(report)
    assert initial not in shown
    assert PASSWORD not in shown
    assert '500 5.5.1 Command unrecognized: "AUTH PLAIN [redacted]" ([redacted])' in shown


def test_a_server_that_echoes_the_cram_md5_answer_does_not_make_it_visible(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    # The answer is not the password, but it lets anyone who sees it guess the password
    # offline, so it is as secret as the password.
    challenge = b"<77.1764000000@smtp.example.test>"
    digest = hmac.new(PASSWORD.encode(), challenge, hashlib.md5).hexdigest()
    answer = b64(f"{USER} {digest}")
    server = scripted(
        auth_server(
            ("CRAM-MD5",),
            f"334 {b64(challenge)}\r\n".encode(),
            f"535 5.7.8 {answer} does not match\r\n".encode(),
        )
    )

    report = run_in_clear(run_check, server.address)

    result = row(report, "auth")
    assert result.summary == (
        f"login as {USER} with CRAM-MD5 refused: 535 5.7.8 [redacted] does not match"
    )
    assert answer not in everything_shown(report)
    assert sent_lines(server)[2] == answer  # it did go to the server


def test_a_server_that_echoes_the_token_in_a_broken_reply_does_not_leak_it(
    scripted: StartScripted, run_check: RunCheck
) -> None:
    server = scripted(
        [
            GREETING,
            "recv",
            ehlo_offering("XOAUTH2"),
            "recv",
            f"this is no reply: {TOKEN}\r\n".encode(),
            *QUIT_ANSWERED,
        ]
    )

    report = run_in_clear(run_check, server.address, **with_token(), timeout=1.0)

    result = row(report, "auth")
    assert result.outcome.finding == "auth.protocol-error"
    assert TOKEN not in everything_shown(report)


def client_lines(report: Report) -> list[str]:
    """What the client said from AUTH on, as the transcript shows it."""
    lines = [line.text for line in report.transcript if line.direction == "C"]
    return lines[next(i for i, line in enumerate(lines) if line.startswith("AUTH")) :]
