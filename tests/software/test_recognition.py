"""Which software runs the server, and how smtpdoctor knows: from the greeting, the EHLO
reply and later replies, with the evidence in the report, the JSON and the table; an unknown
server stays unknown."""

from __future__ import annotations

import json
from typing import Any

import pytest

from smtpdoctor.model.software import Software
from smtpdoctor.model.words import TLSMode
from smtpdoctor.render.json import render_json
from smtpdoctor.render.table import render_table
from smtpdoctor.software import Observation, recognise
from smtpdoctor.software.recognise import TEXT_CHARACTERS
from smtpdoctor.software.signs import Place

from tests.software.conftest import Replay
from tests.software.fixtures import RECORDINGS, Recording


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda r: r.software)
def test_each_recorded_server_is_recognised_with_its_version_and_evidence(
    recording: Recording, replay: Replay
) -> None:
    report = replay(recording)

    assert report.software == Software(
        recording.name, recording.version, recording.evidence, recording.software
    )


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda r: r.software)
def test_the_json_document_names_the_software_and_how_it_was_recognised(
    recording: Recording, replay: Replay
) -> None:
    document = json.loads(render_json(replay(recording)))

    assert document["software"] == {
        "id": recording.software,
        "name": recording.name,
        "version": recording.version,
        "recognised_by": recording.evidence,
    }


def test_the_table_heading_names_the_software(replay: Replay) -> None:
    from tests.software.fixtures import EXIM

    text = render_table(replay(EXIM))

    assert "Server software: Exim 4.96 (recognised by greeting: ESMTP Exim 4.96)" in text


def test_a_server_that_gives_nothing_away_is_unknown(
    make_scripted_server: Any, run_check: Any
) -> None:

    server = make_scripted_server(
        [
            b"220 mail.example.test ESMTP\r\n",
            "recv",
            b"250-mail.example.test\r\n250 8BITMIME\r\n",
            "recv",
            b"221 Bye\r\n",
        ]
    )

    report = run_check(server.address, password=None, tls=TLSMode.NONE)

    assert report.software is None
    assert json.loads(render_json(report))["software"] is None
    assert "Server software" not in render_table(report)


@pytest.mark.parametrize(
    ("observation", "name", "version", "evidence"),
    [
        (
            Observation(
                greeting=(
                    "host.example.com ESMTP Exim 4.96 #2 Tue, 29 Nov 2022 14:33:54 +0000",
                    "We do not authorize the use of this system to transport unsolicited,",
                    "and/or bulk e-mail.",
                )
            ),
            "Exim (cPanel)",
            "4.96",
            "greeting: ESMTP Exim 4.96 and cPanel's 'We do not authorize the use of this system…'",
        ),
        (
            Observation(
                greeting=("mail.example.com ESMTP Sendmail 8.15.2/8.15.2; Mon, 1 Jan 2024",)
            ),
            "Sendmail",
            "8.15.2",
            "greeting: Sendmail 8.15.2",
        ),
        (
            Observation(greeting=("mail.example.com Microsoft ESMTP MAIL Service ready at Mon",)),
            "Microsoft Exchange",
            None,
            "greeting: Microsoft ESMTP MAIL Service",
        ),
        (
            Observation(
                greeting=(
                    "BN9PR03CA0123.outlook.office365.com Microsoft ESMTP MAIL Service ready at",
                )
            ),
            "Exchange Online (Microsoft 365)",
            None,
            "greeting: BN9PR03CA0123.outlook.office365.com Microsoft ESMTP MAIL Service",
        ),
        (
            Observation(greeting=("mail.example.com",), extensions=("STARTTLS", "X-EXPS")),
            "Microsoft Exchange",
            None,
            "EHLO extension: X-EXPS",
        ),
        (
            Observation(greeting=("mail.example.com Dovecot ready.",)),
            "Dovecot submission",
            None,
            "greeting: Dovecot ready",
        ),
        (
            Observation(greeting=("mail.example.com Stalwart ESMTP at your service",)),
            "Stalwart",
            None,
            "greeting: Stalwart ESMTP",
        ),
        (
            Observation(greeting=("altn.com ESMTP MDaemon 6.8.5; Mon, 15 Sep 2003",)),
            "MDaemon",
            "6.8.5",
            "greeting: ESMTP MDaemon 6.8.5;",
        ),
        (
            Observation(
                greeting=("mail.example.com ESMTP",),
                replies=("sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",),
            ),
            "qmail / notqmail",
            None,
            "reply: (#5.7.1)",
        ),
        (
            Observation(greeting=("smtp.gmail.com ESMTP a640c23a62f3a-a7f2a4c0a8fsm1 - gsmtp",)),
            "Google (Gmail) front end",
            None,
            "greeting: gsmtp",
        ),
        (
            Observation(replies=("5.7.54 SMTP; Unable to relay recipient in non-accepted domain",)),
            "Microsoft Exchange",
            None,
            "reply: Unable to relay recipient in non-accepted domain",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_other_software_is_recognised_by_its_own_words(
    observation: Observation, name: str, version: str | None, evidence: str
) -> None:
    found = recognise(observation)

    assert found is not None
    assert (found.name, found.version, found.evidence) == (name, version, evidence)


def test_cpanel_hosts_get_exims_advice_too() -> None:
    found = recognise(
        Observation(
            greeting=(
                "h.example.com ESMTP Exim 4.96 #2 Tue, 29 Nov 2022",
                "We do not authorize the use of this system to transport unsolicited,",
            )
        )
    )

    assert found is not None
    assert found.is_one_of(("exim",))


@pytest.mark.parametrize(
    "greeting",
    [
        "mail.example.com ESMTP",
        "mail.example.com ESMTP ready",
        "mx.example.org ESMTP Service Ready",
    ],
)
def test_a_bare_esmtp_greeting_names_no_software(greeting: str) -> None:
    assert recognise(Observation(greeting=(greeting,))) is None


def test_only_the_start_of_what_a_hostile_server_says_is_searched_for_signs() -> None:
    flood = tuple("ESMTP Exim 1.1 " * 266 for _ in range(128))  # 128 lines of ~4000 bytes
    observation = Observation(greeting=flood, replies=flood, ehlo=flood, extensions=flood)

    for place in Place:
        texts = tuple(observation.texts(place))
        assert sum(len(text) for text in texts) <= 64 * (TEXT_CHARACTERS + 1)
    software = recognise(observation)
    assert software is not None and (software.name, software.version) == ("Exim", "1.1")


@pytest.mark.parametrize(
    ("observation", "software_id"),
    [
        (
            Observation(replies=("5.7.64 TenantAttribution; Relay Access Denied [X.prod]",)),
            "exchange-online",
        ),
        (Observation(replies=("5.7.1 <someone@outside.example>: Relay access denied",)), "postfix"),
        (  # the IIS SMTP service of Windows: no Exchange, and nothing else this tool knows
            Observation(
                greeting=(
                    "relay.corp.test Microsoft ESMTP MAIL Service, Version: 10.0.17763.1697 "
                    "ready at  Thu, 3 Dec 2026 08:00:00 +0000",
                )
            ),
            None,
        ),
    ],
)
def test_words_that_look_alike_name_the_software_that_says_them_or_none(
    observation: Observation, software_id: str | None
) -> None:
    software = recognise(observation)

    assert (software.id if software is not None else None) == software_id
