"""Proven delivery: the test message is looked for over IMAP — IMAPS or STARTTLS, verified
certificates, INBOX and Junk/Spam, polling with back-off — and every way that can fail."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smtpdoctor.delivery.imap import (
    MAX_INTERVAL,
    DeliveryError,
    TLSOptions,
    default_imap_host,
    find_message,
    summarize_authentication_results,
)
from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import Status
from smtpdoctor.model.words import ConfigError, ExitCode
from smtpdoctor.settings.sending import IMAPSecurity, IMAPSettings, SendRequest

from tests.loopback import closed_port
from tests.send.sendkit import (
    PASSWORD,
    USER,
    FakeIMAP,
    Folder,
    RunCheck,
    message_with,
    row,
    serving,
    transcript_text,
)

TOKEN = "smtpdoctor-0123456789ab"
MAILBOX_PASSWORD = "imap pass phrase"
RESULTS = (
    "mx.example.net; spf=pass smtp.mailfrom=example.test; dkim=pass header.d=example.test; "
    "dmarc=pass header.from=example.test"
)

StartIMAP = Callable[..., FakeIMAP]
#: The ``authentication`` check that follows ``delivery`` asks DNS about the sender's domain:
#: it has its own tests (test_delivered_authentication.py, with a loopback DNS server).
AUTHENTICATION_ELSEWHERE = frozenset({"authentication"})


@pytest.fixture
def fake_imap(pki: ThrowawayPKI) -> Iterator[StartIMAP]:
    started: list[Iterator[Any]] = []

    def start(**options: Any) -> FakeIMAP:
        options.setdefault("implicit_tls", True)
        options.setdefault("users", {USER: MAILBOX_PASSWORD})
        running = serving(FakeIMAP(pki, **options))
        started.append(running)
        server: FakeIMAP = next(running)
        return server

    yield start
    for running in started:
        next(running, None)


def settings_for(
    imap: FakeIMAP, *, password: str = MAILBOX_PASSWORD, wait: float = 5.0
) -> IMAPSettings:
    security = IMAPSecurity.IMPLICIT if imap.implicit_tls else IMAPSecurity.STARTTLS
    return IMAPSettings(
        "127.0.0.1", imap.port, Credentials(USER, Secret(password)), wait=wait, tls=security
    )


class FakeClock:
    """Time that passes only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def look(imap: FakeIMAP, pki: ThrowawayPKI, clock: FakeClock | None = None, **kwargs: Any) -> Any:
    clock = clock or FakeClock()
    settings = kwargs.pop("settings", None) or settings_for(imap, **kwargs)
    return find_message(
        settings,
        token=TOKEN,
        accepted_at=clock(),
        tls=TLSOptions(ca_data=pki.ca_pem),
        step_timeout=3.0,
        clock=clock,
        sleep=clock.sleep,
    )


def test_a_message_in_the_inbox_is_found_over_imaps(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    imap = fake_imap(
        folders={"INBOX": Folder(messages=[message_with(TOKEN, authentication_results=RESULTS)])}
    )

    found = look(imap, pki)

    assert found is not None
    assert found.folder == "INBOX"
    assert not found.junk
    assert found.searches == 1
    assert found.authentication_results == (RESULTS,)
    assert summarize_authentication_results(found.authentication_results) == (
        "spf=pass dkim=pass dmarc=pass"
    )
    assert "LOGIN" in imap.commands
    assert imap.commands[-1] == "LOGOUT"


def test_a_message_is_found_over_starttls_on_another_port(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    imap = fake_imap(implicit_tls=False, folders={"INBOX": Folder(messages=[message_with(TOKEN)])})

    found = look(imap, pki)

    assert found is not None
    assert imap.commands.index("STARTTLS") < imap.commands.index("LOGIN")


def test_a_late_message_is_found_by_polling_with_growing_pauses(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    imap = fake_imap(later=[("INBOX", message_with(TOKEN), 12)])
    clock = FakeClock()

    found = look(imap, pki, clock, wait=60.0)

    assert found is not None
    assert found.searches > 5
    assert clock.sleeps == sorted(clock.sleeps)
    assert clock.sleeps[0] < clock.sleeps[-1] <= MAX_INTERVAL
    assert found.latency == pytest.approx(sum(clock.sleeps))


def test_a_message_in_the_junk_folder_is_found_there(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    imap = fake_imap(
        folders={
            "Archive": Folder(),
            "Junk": Folder(flags="\\HasNoChildren \\Junk", messages=[message_with(TOKEN)]),
        }
    )

    found = look(imap, pki)

    assert found is not None
    assert found.folder == "Junk"
    assert found.junk


def test_a_spam_folder_is_recognised_by_its_name_without_a_flag(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    imap = fake_imap(folders={"[Gmail]/Spam": Folder(messages=[message_with(TOKEN)])})

    found = look(imap, pki)

    assert found is not None
    assert (found.folder, found.junk) == ("[Gmail]/Spam", True)


def test_a_subject_match_without_the_token_header_is_not_the_message(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    impostor = message_with(TOKEN).replace(TOKEN.encode() + b"\r\n\r\n", b"other\r\n\r\n")
    imap = fake_imap(folders={"INBOX": Folder(messages=[impostor])})

    assert look(imap, pki, wait=2.0) is None


def test_no_message_within_the_wait_is_none_after_searching_until_then(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    imap = fake_imap()
    clock = FakeClock()

    assert look(imap, pki, clock, wait=20.0) is None
    assert sum(clock.sleeps) == pytest.approx(20.0)


def test_a_wrong_imap_password_is_a_refused_login_without_the_password(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    imap = fake_imap()

    with pytest.raises(DeliveryError) as raised:
        look(imap, pki, password="not the password")

    assert raised.value.finding == "delivery.imap-login-refused"
    assert "refused the login as alice@example.test" in str(raised.value)
    assert "[AUTHENTICATIONFAILED]" in str(raised.value)
    assert "not the password" not in str(raised.value)


class EchoingIMAP(FakeIMAP):
    """Refuses every login, quoting the password back as it arrived (escaped, when quoted)."""

    def _login(self, user: str, password: str) -> bytes:
        return b"NO [AUTHENTICATIONFAILED] no user with password " + password.encode()


@pytest.mark.parametrize("password", ["imap only secret", 'imap "only" secret\\'])
def test_an_imap_server_echoing_the_password_does_not_get_it_into_the_error(
    pki: ThrowawayPKI, password: str
) -> None:
    """The IMAP password may differ from the SMTP one (--imap-password-file), so the
    runner's redactor does not know it: the delivery error must not carry it."""
    running = serving(EchoingIMAP(pki, implicit_tls=True, users={}))
    imap = next(running)
    try:
        with pytest.raises(DeliveryError) as raised:
            look(imap, pki, password=password)
    finally:
        next(running, None)

    message = str(raised.value)
    assert raised.value.finding == "delivery.imap-login-refused"
    assert "no user with password [redacted]" in message
    assert "only" not in message


def test_non_ascii_bytes_where_imap_wants_ascii_are_an_imap_error(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    imap = fake_imap(capability_extra=b" X-\xff\xfe")

    with pytest.raises(DeliveryError) as raised:
        look(imap, pki)

    assert raised.value.finding == "delivery.imap-error"
    assert "not ASCII" in str(raised.value)


def test_a_non_ascii_password_logs_in_with_authenticate_plain(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    imap = fake_imap(
        users={USER: "pässwörd"}, folders={"INBOX": Folder(messages=[message_with(TOKEN)])}
    )

    assert look(imap, pki, password="pässwörd") is not None
    assert "AUTHENTICATE" in imap.commands
    assert "LOGIN" not in imap.commands


def test_no_login_without_starttls_on_a_plain_port(fake_imap: StartIMAP, pki: ThrowawayPKI) -> None:
    imap = fake_imap(implicit_tls=False, starttls=False)

    with pytest.raises(DeliveryError) as raised:
        look(imap, pki)

    assert raised.value.finding == "delivery.imap-starttls-not-offered"
    assert "LOGIN" not in imap.commands


def test_an_untrusted_imap_certificate_is_refused_before_login(fake_imap: StartIMAP) -> None:
    imap = fake_imap(implicit_tls=False)
    clock = FakeClock()

    with pytest.raises(DeliveryError) as raised:
        find_message(
            settings_for(imap),
            token=TOKEN,
            accepted_at=clock(),
            tls=TLSOptions(),
            step_timeout=3.0,
            clock=clock,
            sleep=clock.sleep,
        )

    assert raised.value.finding == "delivery.imap-tls-failed"
    assert "certificate was refused" in str(raised.value)
    assert "LOGIN" not in imap.commands


def test_nothing_listening_is_unreachable(pki: ThrowawayPKI) -> None:
    settings = IMAPSettings("127.0.0.1", closed_port(), Credentials(USER, Secret("x")))

    with pytest.raises(DeliveryError) as raised:
        find_message(settings, token=TOKEN, accepted_at=0.0, tls=TLSOptions(), step_timeout=3.0)

    assert raised.value.finding == "delivery.imap-unreachable"
    assert "connection refused" in str(raised.value)


def test_a_silent_server_is_a_timeout(fake_imap: StartIMAP, pki: ThrowawayPKI) -> None:
    imap = fake_imap(implicit_tls=False, silent=True)

    with pytest.raises(DeliveryError) as raised:
        find_message(
            settings_for(imap),
            token=TOKEN,
            accepted_at=0.0,
            tls=TLSOptions(ca_data=pki.ca_pem),
            step_timeout=0.5,
        )

    assert raised.value.finding == "delivery.imap-timeout"


@pytest.mark.timeout(30)
def test_a_server_that_drips_bytes_is_cut_off_at_the_end_of_the_wait(
    fake_imap: StartIMAP, pki: ThrowawayPKI
) -> None:
    """Each byte comes well within the step timeout, so no read ever times out; the
    greeting just never ends.  The search still ends when the wait does (plus one step)."""
    imap = fake_imap(implicit_tls=False, drip=True)

    with pytest.raises(DeliveryError) as raised:
        find_message(
            settings_for(imap, wait=1.0),
            token=TOKEN,
            accepted_at=time.monotonic(),
            tls=TLSOptions(ca_data=pki.ca_pem),
            step_timeout=0.5,
        )

    assert raised.value.finding == "delivery.imap-timeout"
    assert "did not answer in time" in str(raised.value)


def test_a_host_name_that_cannot_exist_is_an_unknown_host() -> None:
    settings = IMAPSettings("bad..name", 993, Credentials(USER, Secret("x")))

    with pytest.raises(DeliveryError) as raised:
        find_message(settings, token=TOKEN, accepted_at=0.0, tls=TLSOptions(), step_timeout=3.0)

    assert raised.value.finding == "delivery.imap-host-unknown"


def test_the_imap_host_is_derived_from_the_smtp_host() -> None:
    assert default_imap_host("smtp.gmail.com") == "imap.gmail.com"
    assert default_imap_host("smtp.office365.com") == "outlook.office365.com"
    assert default_imap_host("smtp.example.org") == "imap.example.org"
    assert default_imap_host("mail.example.org") == "mail.example.org"
    assert default_imap_host("127.0.0.1") == "127.0.0.1"


def test_authentication_results_are_summarised_or_their_absence_said() -> None:
    assert summarize_authentication_results(()) == (
        "no Authentication-Results header (the receiving server added none)"
    )
    assert (
        summarize_authentication_results(
            ("mx.google.com; dkim=none; spf=softfail (google.com: domain ...) smtp.mailfrom=x",)
        )
        == "dkim=none spf=softfail"
    )


# -- the delivery check, end to end: aiosmtpd accepts, the fake IMAP server delivers ---------


def verify_through(
    imap: FakeIMAP, *, password: str = MAILBOX_PASSWORD, wait: float = 5.0
) -> IMAPSettings:
    return settings_for(imap, password=password, wait=wait)


def captured_by(server: LocalSMTPServer) -> Callable[[], list[bytes]]:
    return lambda: [message.content for message in server.messages]


def test_a_sent_message_is_proven_delivered(
    smtp_server: LocalSMTPServer, fake_imap: StartIMAP, run_check: RunCheck
) -> None:
    imap = fake_imap(feed=captured_by(smtp_server))

    report = run_check(
        smtp_server,
        send=SendRequest(USER, USER),
        verify=verify_through(imap),
        disabled=AUTHENTICATION_ELSEWHERE,
    )

    result = row(report, "delivery")
    assert result.status is Status.PASS
    assert result.summary.startswith("delivered to INBOX within ")
    assert result.outcome.details["folder"] == "INBOX"
    assert result.outcome.details["token"] == row(report, "send").outcome.details["token"]
    # the IMAP connection's path, as the tcp row gives the SMTP one's
    assert result.outcome.details["path"] == "direct"
    assert result.outcome.details["imap_address"] == "127.0.0.1"
    assert result.outcome.details["imap_family"] == 4
    assert report.exit_code is ExitCode.OK
    assert "* IMAP: found in INBOX" in transcript_text(report)
    assert MAILBOX_PASSWORD not in transcript_text(report) + repr(report)


def test_a_message_in_junk_is_a_warning_with_what_to_do(
    smtp_server: LocalSMTPServer, fake_imap: StartIMAP, run_check: RunCheck
) -> None:
    imap = fake_imap(
        folders={"Junk": Folder(flags="\\Junk")},
        feed=captured_by(smtp_server),
        feed_folder="Junk",
    )

    report = run_check(
        smtp_server,
        send=SendRequest(USER, USER),
        verify=verify_through(imap),
        disabled=AUTHENTICATION_ELSEWHERE,
    )

    result = row(report, "delivery")
    assert result.status is Status.WARN
    assert result.outcome.finding == "delivery.junk"
    assert result.summary.startswith("delivered to Junk (Junk/Spam) within ")
    assert result.hints[0].title == "The message arrived, but in Junk/Spam"
    assert report.exit_code is ExitCode.WARNING


def test_a_message_that_never_arrives_fails_after_the_wait(
    smtp_server: LocalSMTPServer, fake_imap: StartIMAP, run_check: RunCheck
) -> None:
    imap = fake_imap()

    report = run_check(
        smtp_server, send=SendRequest(USER, USER), verify=verify_through(imap, wait=1.0)
    )

    result = row(report, "delivery")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "delivery.not-found"
    assert "within 1 s" in result.summary
    assert result.hints[0].title == "The server accepted the message, but it did not arrive (yet)"


def test_a_refused_imap_login_fails_the_delivery_row_with_its_hint(
    smtp_server: LocalSMTPServer, fake_imap: StartIMAP, run_check: RunCheck
) -> None:
    imap = fake_imap()

    report = run_check(
        smtp_server, send=SendRequest(USER, USER), verify=verify_through(imap, password="nope")
    )

    result = row(report, "delivery")
    assert result.status is Status.FAIL
    assert result.outcome.finding == "delivery.imap-login-refused"
    assert result.hints[0].title == "The IMAP server refused the login"
    assert row(report, "send").status is Status.PASS


def test_delivery_is_not_looked_for_when_nothing_was_sent(
    smtp_server: LocalSMTPServer, fake_imap: StartIMAP, run_check: RunCheck
) -> None:
    imap = fake_imap()

    report = run_check(
        smtp_server,
        password="wrong",
        send=SendRequest(USER, USER),
        verify=verify_through(imap),
    )

    assert row(report, "delivery").summary == "not run: auth failed"
    assert imap.connections == 0


_ = PASSWORD


@pytest.mark.parametrize("wait", [0.0, -1.0, math.nan, math.inf])
def test_a_wait_that_is_not_a_positive_number_of_seconds_is_refused(wait: float) -> None:
    with pytest.raises(ConfigError, match="--verify-timeout must be a positive number"):
        IMAPSettings("imap.example.test", 993, Credentials(USER, Secret("x")), wait=wait)
