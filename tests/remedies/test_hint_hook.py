"""The ``smtpdoctor_hints`` hook as plugins see it: the knowledge base answers first, old
one-argument implementations keep working, and a broken plugin costs only its own hints."""

from __future__ import annotations

from smtpdoctor import hookimpl
from smtpdoctor.core import runner
from smtpdoctor.core.plugins import make_plugin_manager
from smtpdoctor.model.credentials import Credentials, Secret
from smtpdoctor.model.results import CheckResult, Hint, Report
from smtpdoctor.model.words import TLSMode
from smtpdoctor.settings.config import RunConfig

from tests.remedies.hintcases import QUIT_ANSWERED, StartScripted

SECRET = "app password here"


class OneArgument:
    """A plugin written before the hook had a ``context``."""

    @hookimpl
    def smtpdoctor_hints(self, result: CheckResult) -> list[Hint] | None:
        if result.check_id == "auth":
            return [Hint("Plugin: call the help desk", ("extension 1234",))]
        return None


class Broken:
    @hookimpl
    def smtpdoctor_hints(self, result: CheckResult) -> list[Hint]:
        raise RuntimeError(f"boom while looking at {SECRET}")


def refused_login(scripted: StartScripted, *plugins: object) -> Report:
    server = scripted(
        [
            b"220 smtp.mail.yahoo.com ESMTP ready\r\n",
            "recv",
            b"250-smtp.mail.yahoo.com\r\n250 AUTH PLAIN LOGIN XOAUTH2\r\n",
            "recv",
            b"535 5.7.0 (#AUTH005) Too many bad auth attempts.\r\n",
            *QUIT_ANSWERED,
        ]
    )
    host, port = server.address
    config = RunConfig(
        host=host,
        port=port,
        tls=TLSMode.NONE,
        allow_plaintext_auth=True,
        credentials=Credentials("alice@yahoo.com", Secret(SECRET)),
        timeout=3.0,
        deadline=20.0,
    )
    return runner.run(config, make_plugin_manager(extra_plugins=plugins, load_entry_points=False))


def auth_titles(report: Report) -> list[str]:
    auth = report.result("auth")
    assert auth is not None
    return [hint.title for hint in auth.hints]


def test_an_implementation_without_context_still_works_after_the_knowledge_base(
    scripted: StartScripted,
) -> None:
    report = refused_login(scripted, OneArgument())

    assert auth_titles(report) == [
        "Yahoo and AOL need an app password",
        "Plugin: call the help desk",
    ]


def test_a_broken_hint_plugin_costs_only_its_own_hints(scripted: StartScripted) -> None:
    report = refused_login(scripted, OneArgument(), Broken())  # loaded last, called first

    titles = auth_titles(report)
    assert titles[0] == "Yahoo and AOL need an app password"
    assert titles[-1] == "Plugin: call the help desk"
    assert len(titles) == 3
    assert titles[1].startswith("(a hint plugin failed: ")
    assert "raised RuntimeError" in titles[1]
    assert SECRET not in titles[1]
