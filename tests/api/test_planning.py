"""The policy of a run, decided once for every front door: who logs in, with which secrets,
where, and what is sent.  These plans need no network: the targets are provider addresses
(the provider table knows their server) and addresses typed with their port."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor import (
    AuthMechanism,
    ConfigError,
    Endpoint,
    MailboxCheck,
    Purpose,
    Request,
    Secret,
    SecretSources,
    TestMessage,
    TLSMode,
)
from smtpdoctor.api import Doctor, plan, read_password
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.demo.server import LocalSMTPServer

PASSWORD = "correct horse battery"


class Asked:
    """A person at a terminal who answers every question with the same password."""

    def __init__(self, answer: str = PASSWORD) -> None:
        self.questions: list[str] = []
        self._answer = answer

    def __call__(self, question: str) -> str:
        self.questions.append(question)
        return self._answer


# -- who logs in -----------------------------------------------------------------------------


def test_an_address_logs_in_as_itself_when_a_password_is_at_hand() -> None:
    sources = SecretSources(environ={"SMTPDOCTOR_PASSWORD": PASSWORD})

    decided = plan(Request("alice@gmail.com", secrets=sources))

    assert decided.host == "smtp.gmail.com"
    assert decided.endpoint == Endpoint(465, TLSMode.IMPLICIT)
    assert decided.config.credentials is not None
    assert decided.config.credentials.username == "alice@gmail.com"
    assert [row.check_id for row in decided.preamble] == ["target"]


def test_an_address_without_a_secret_or_a_person_to_ask_only_lists_the_mechanisms() -> None:
    decided = plan(Request("alice@gmail.com"))

    assert decided.config.credentials is None


def test_a_person_to_ask_is_enough_to_log_in_as_the_address() -> None:
    asked = Asked()

    decided = plan(Request("alice@gmail.com", secrets=SecretSources(ask=asked)))

    assert asked.questions == ["Password for alice@gmail.com"]
    assert decided.config.credentials is not None
    assert decided.config.credentials.password == Secret(PASSWORD)


def test_the_user_given_wins_over_the_address() -> None:
    sources = SecretSources(password=Secret(PASSWORD))

    decided = plan(Request("alice@gmail.com", user="admin@example.com", secrets=sources))

    assert decided.config.credentials is not None
    assert decided.config.credentials.username == "admin@example.com"


def test_a_user_without_any_password_source_is_refused_in_words() -> None:
    with pytest.raises(ConfigError, match="needs a password: set SMTPDOCTOR_PASSWORD"):
        plan(Request("127.0.0.1:2525", user="alice"))


# -- which secrets ---------------------------------------------------------------------------


def test_the_password_is_taken_from_the_first_source_in_order(tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    password_file.write_text("from the file\n", encoding="utf-8")
    environ = {"SMTPDOCTOR_PASSWORD": "from the environment"}
    asked = Asked()

    by_value = SecretSources(password=Secret("given"), password_file=password_file, ask=asked)
    by_file = SecretSources(password_file=password_file, environ=environ, ask=asked)
    by_environment = SecretSources(environ=environ, ask=asked)

    assert read_password(by_value, "alice") == Secret("given")
    assert read_password(by_file, "alice") == Secret("from the file")
    assert read_password(by_environment, "alice") == Secret("from the environment")
    assert asked.questions == []


def test_xoauth2_needs_a_token() -> None:
    request = Request(
        "127.0.0.1:2525",
        user="alice@example.com",
        auth_mechanism=AuthMechanism.XOAUTH2,
        secrets=SecretSources(password=Secret(PASSWORD)),
    )

    with pytest.raises(ConfigError, match="xoauth2 needs an OAuth token"):
        plan(request)


def test_a_token_without_a_user_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("ya29.token\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="an OAuth token needs the user it belongs to"):
        plan(Request("127.0.0.1:2525", secrets=SecretSources(oauth_token_file=token_file)))


def test_with_a_token_no_one_is_asked_for_a_password_but_a_given_one_is_kept() -> None:
    asked = Asked()
    token_only = SecretSources(oauth_token=Secret("ya29.token"), ask=asked)
    both = SecretSources(
        oauth_token=Secret("ya29.token"), environ={"SMTPDOCTOR_PASSWORD": PASSWORD}, ask=asked
    )

    with_token = plan(Request("127.0.0.1:2525", user="alice@example.com", secrets=token_only))
    with_both = plan(Request("127.0.0.1:2525", user="alice@example.com", secrets=both))

    assert asked.questions == []
    assert with_token.config.credentials is not None
    assert with_token.config.credentials.password is None
    assert with_token.config.oauth_token == Secret("ya29.token")
    assert with_both.config.credentials is not None
    assert with_both.config.credentials.password == Secret(PASSWORD)


# -- where ----------------------------------------------------------------------------------


def test_a_port_given_for_a_target_without_one_replaces_the_port_matrix() -> None:
    decided = plan(Request("127.0.0.1", port=2525))

    assert decided.endpoint == Endpoint(2525, TLSMode.STARTTLS)
    assert decided.preamble == ()


def test_the_tls_mode_asked_for_wins_over_the_providers() -> None:
    decided = plan(Request("alice@gmail.com", tls=TLSMode.STARTTLS))

    assert decided.endpoint == Endpoint(587, TLSMode.STARTTLS)


def test_a_typed_address_or_mail_domain_is_the_servers_own_mail_domain() -> None:
    assert plan(Request("alice@gmail.com")).config.mail_domain == "gmail.com"
    assert plan(Request("gmail.com")).config.mail_domain == "gmail.com"


def test_a_typed_server_names_no_mail_domain() -> None:
    assert plan(Request("smtp.gmail.com:587")).config.mail_domain is None


# -- limits ----------------------------------------------------------------------------------


def test_the_delayed_greeting_threshold_is_passed_on_to_the_run() -> None:
    assert plan(Request("127.0.0.1", port=2525, slow_greeting=12.5)).config.slow_greeting == 12.5


# -- what is sent, and where it is looked for --------------------------------------------------


def test_the_test_message_comes_from_the_login_user_unless_a_sender_is_given() -> None:
    sources = SecretSources(password=Secret(PASSWORD))
    message = TestMessage("bob@example.org")

    decided = plan(
        Request("127.0.0.1:2525", user="alice@example.com", secrets=sources, send=message)
    )

    assert decided.config.send is not None
    assert decided.config.send.sender == "alice@example.com"
    assert decided.config.send.recipient == "bob@example.org"


def test_a_test_message_without_any_sender_is_refused() -> None:
    with pytest.raises(ConfigError, match="--send-to needs a sender: give --from ADDRESS"):
        plan(Request("127.0.0.1:2525", send=TestMessage("bob@example.org")))


def test_looking_for_the_message_needs_the_message() -> None:
    with pytest.raises(ConfigError, match="--verify-imap needs a test message"):
        Request("127.0.0.1:2525", verify=MailboxCheck())


def test_the_mailbox_check_reuses_the_login_and_extends_the_deadline() -> None:
    request = Request(
        "127.0.0.1:2525",
        user="alice@example.com",
        secrets=SecretSources(password=Secret(PASSWORD)),
        deadline=30.0,
        send=TestMessage("alice@example.com"),
        verify=MailboxCheck(imap_host="127.0.0.1:1993", wait=45.0),
    )

    decided = plan(request)

    verify = decided.config.verify
    assert verify is not None
    assert (verify.host, verify.port) == ("127.0.0.1", 1993)
    assert verify.credentials.username == "alice@example.com"
    assert verify.credentials.password == Secret(PASSWORD)
    assert decided.config.deadline == pytest.approx(75.0, abs=1.0)  # less the time planning took


def test_another_mailbox_user_needs_its_own_password_and_is_asked_for_it() -> None:
    asked = Asked("imap secret")
    request = Request(
        "127.0.0.1:2525",
        user="alice@example.com",
        secrets=SecretSources(password=Secret(PASSWORD), ask=asked),
        send=TestMessage("bob@example.com"),
        verify=MailboxCheck(imap_host="127.0.0.1:1993", imap_user="bob@example.com"),
    )

    decided = plan(request)

    assert asked.questions == ["IMAP password for bob@example.com"]
    assert decided.config.verify is not None
    assert decided.config.verify.credentials.password == Secret("imap secret")
    assert decided.config.secrets() == (PASSWORD, "imap secret")


# -- a send ---------------------------------------------------------------------------------


def test_a_send_logs_in_as_its_sender_on_port_587_by_default() -> None:
    request = Request(
        "mail.example.com",
        purpose=Purpose.SEND,
        secrets=SecretSources(password=Secret(PASSWORD)),
        send=TestMessage("bob@example.org", "alice@example.com"),
    )

    decided = plan(request)

    assert decided.endpoint == Endpoint(587, TLSMode.STARTTLS)
    assert decided.config.credentials is not None
    assert decided.config.credentials.username == "alice@example.com"
    assert decided.preamble == ()


def test_a_send_needs_a_password_and_says_how_to_give_one() -> None:
    request = Request(
        "mail.example.com",
        purpose=Purpose.SEND,
        send=TestMessage("bob@example.org", "alice@example.com"),
    )

    with pytest.raises(ConfigError, match="needs a password: set SMTPDOCTOR_PASSWORD"):
        plan(request)


def test_a_send_goes_through_a_server_not_an_address() -> None:
    request = Request(
        "alice@example.com",
        purpose=Purpose.SEND,
        secrets=SecretSources(password=Secret(PASSWORD)),
        send=TestMessage("bob@example.org", "alice@example.com"),
    )

    with pytest.raises(ConfigError, match="is an email address; give the mail server"):
        plan(request)


def test_a_send_without_a_message_is_not_a_request() -> None:
    with pytest.raises(ConfigError, match="a send needs a message"):
        Request("mail.example.com", purpose=Purpose.SEND)


# -- the CA file -------------------------------------------------------------------------------


def test_a_ca_file_that_does_not_load_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    broken = tmp_path / "ca.pem"
    broken.write_text("not a certificate\n")

    with pytest.raises(ConfigError, match=r"ca\.pem"):
        plan(Request("127.0.0.1:587", ca_file=broken))


def test_a_doctor_reads_a_ca_file_once_for_all_its_runs(
    tmp_path: Path, smtp_server: LocalSMTPServer
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(smtp_server.ca_pem)
    request = Request(f"{smtp_server.host}:{smtp_server.port}", ca_file=ca_file)
    doctor = Doctor(PluginSelection(autoload=False))
    assert doctor.diagnose(request).result("certificate") is not None  # loaded once, verified
    ca_file.write_text("not a certificate any more\n")

    assert doctor.plan(request).host == smtp_server.host  # the loaded store stands
    with pytest.raises(ConfigError):
        plan(request)  # a plan of its own reads the file again
