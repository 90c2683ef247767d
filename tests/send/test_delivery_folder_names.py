"""A mailbox whose folder names smtpdoctor cannot send back (raw UTF-8 without UTF8=ACCEPT,
RFC 6855): passed over, never a crash."""

from __future__ import annotations

from smtpdoctor.demo.server import LocalSMTPServer
from smtpdoctor.lab.pki import ThrowawayPKI
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import Status
from smtpdoctor.settings.sending import IMAPSecurity, IMAPSettings, SendRequest

from tests.conftest import PASSWORD, USER, RunCheck
from tests.send.sendkit import FakeIMAP, Folder, row, serving


def test_a_folder_listed_with_a_raw_utf8_name_is_passed_over_not_crashed_on(
    smtp_server: LocalSMTPServer, pki: ThrowawayPKI, run_check: RunCheck
) -> None:
    folder = "Indésirables"
    imap = FakeIMAP(
        pki,
        implicit_tls=True,
        users={USER: PASSWORD},
        folders={folder: Folder(flags="\\Junk")},
        feed=lambda: [message.content for message in smtp_server.messages],
        feed_folder=folder,
    )
    running = serving(imap)
    next(running)
    try:
        settings = IMAPSettings(
            "127.0.0.1",
            imap.port,
            Credentials(USER, Secret(PASSWORD)),
            wait=1.0,
            tls=IMAPSecurity.IMPLICIT,
        )
        report = run_check(smtp_server, send=SendRequest(USER, USER), verify=settings)
    finally:
        next(running, None)

    delivery = row(report, "delivery")  # the message sits in the folder it cannot name back
    assert delivery.status is Status.FAIL, delivery.summary
    assert delivery.outcome.finding == "delivery.not-found"
