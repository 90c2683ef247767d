"""Every address of a name (``Doctor.survey``): each A/AAAA address checked like the name, the
members compared, each difference a finding — against real servers on loopback addresses
that share one port and one name (``poolkit``)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from itertools import chain, repeat

import pytest

from smtpdoctor.api import Doctor, PoolLimits, Request, TestMessage
from smtpdoctor.core.hooks import HintContext, hookimpl
from smtpdoctor.core.plugins import PluginSelection
from smtpdoctor.model.results import CheckResult, Hint, Report, Status
from smtpdoctor.model.words import ConfigError, ExitCode
from smtpdoctor.pool.compare import (
    AUTH_DIFFERS,
    CERTIFICATE_DIFFERS,
    GREETING_DIFFERS,
    NO_ADDRESSES,
    STARTTLS_DIFFERS,
    TLS_DIFFERS,
    UNREACHABLE_MEMBERS,
    VERDICTS_DIFFER,
)
from smtpdoctor.pool.survey import DEADLINE_PASSED, INTERRUPTED, survey
from smtpdoctor.render.pool import render_pool_json, render_pool_nagios, render_pool_table
from smtpdoctor.settings.config import RunConfig

from tests.net.proxykit import Pproxy
from tests.pool.poolkit import HOST_NAME, PASSWORD, SHORT_DAYS, SILENT, PoolLab


def findings(pool_rows: tuple[CheckResult, ...]) -> list[str | None]:
    return [row.outcome.finding for row in pool_rows]


def test_every_address_of_the_name_is_checked_once_each_on_its_own(
    lab: PoolLab, doctor: Doctor
) -> None:
    before = {address: lab.connections(address) for address in lab.servers}

    pool = doctor.survey(doctor.plan(lab.request("pool.test")))

    assert [(m.address, m.family) for m in pool.members] == [
        ("127.0.0.2", 4),
        ("127.0.0.3", 4),
        ("127.0.0.4", 4),
    ]
    for member in pool.members:
        tcp = member.report.result("tcp")
        assert tcp is not None and tcp.outcome.details["address"] == member.address
        assert member.report.target.host == "pool.test"
    after = {address: lab.connections(address) for address in lab.servers}
    assert {a: after[a] - before[a] for a in after if after[a] != before[a]} == {
        "127.0.0.2": 1,
        "127.0.0.3": 1,
        "127.0.0.4": 1,
    }
    assert pool.addresses == 3 and pool.not_checked == ()


def test_each_member_verifies_its_certificate_for_the_name_not_the_address(
    lab: PoolLab, doctor: Doctor
) -> None:
    pool = doctor.survey(doctor.plan(lab.request("agree.pool.test")))

    for member in pool.members:
        certificate = member.report.result("certificate")
        assert certificate is not None and certificate.status is Status.PASS
        assert certificate.outcome.details["verification"] == "passed"
        assert certificate.summary.startswith("valid for agree.pool.test")


def test_a_member_without_starttls_is_named(lab: PoolLab, doctor: Doctor) -> None:
    pool = doctor.survey(doctor.plan(lab.request("pool.test")))

    row = pool.row(STARTTLS_DIFFERS)
    assert row is not None and row.status is Status.WARN
    assert row.summary == (
        "1 of 3 pool members does not offer STARTTLS: 127.0.0.4; "
        "2 of 3 offer STARTTLS: 127.0.0.2, 127.0.0.3"
    )
    assert row.outcome.details["groups"] == ("no: 127.0.0.4", "yes: 127.0.0.2, 127.0.0.3")


def test_a_member_serving_another_certificate_is_named_with_its_expiry(
    lab: PoolLab, doctor: Doctor
) -> None:
    pool = doctor.survey(doctor.plan(lab.request("pool.test")))

    row = pool.row(CERTIFICATE_DIFFERS)
    short, usual = pool.members[1].facts, pool.members[0].facts
    assert row is not None and row.status is Status.WARN
    assert short.days_left == SHORT_DAYS
    assert short.fingerprint is not None and usual.fingerprint is not None
    assert row.summary == (
        f"1 of 3 pool members serves the certificate expiring in {SHORT_DAYS} days, on "
        f"{short.not_after} (SHA-256 {short.fingerprint[:11]}…): 127.0.0.3; "
        f"1 of 3 serves one valid until {usual.not_after} "
        f"(SHA-256 {usual.fingerprint[:11]}…): 127.0.0.2"
    )


def test_the_member_without_tls_is_left_out_of_the_certificate_and_tls_comparison(
    lab: PoolLab, doctor: Doctor
) -> None:
    pool = doctor.survey(doctor.plan(lab.request("pool.test")))

    assert findings(pool.comparison) == [STARTTLS_DIFFERS, CERTIFICATE_DIFFERS]
    assert pool.row(TLS_DIFFERS) is None


def test_different_auth_mechanisms_are_a_difference(lab: PoolLab, doctor: Doctor) -> None:
    pool = doctor.survey(doctor.plan(lab.request("auth.pool.test")))

    row = pool.row(AUTH_DIFFERS)
    assert row is not None and row.status is Status.WARN
    assert row.summary == (
        "1 of 2 pool members offers AUTH LOGIN PLAIN: 127.0.0.2; "
        "1 of 2 offers AUTH CRAM-MD5 LOGIN PLAIN: 127.0.0.5"
    )
    assert pool.exit_code is ExitCode.WARNING


def test_an_address_where_nothing_listens_is_an_unreachable_member(
    lab: PoolLab, doctor: Doctor
) -> None:
    pool = doctor.survey(doctor.plan(lab.request("dead.pool.test")))

    row = pool.row(UNREACHABLE_MEMBERS)
    assert row is not None and row.status is Status.WARN
    assert row.summary == (
        f"1 of 2 pool members cannot be reached: {SILENT} (refused); 127.0.0.2 answers"
    )
    silent = pool.member(SILENT)
    assert silent is not None and silent.facts.reach == "refused"
    assert pool.exit_code is ExitCode.CRITICAL  # the member's own tcp row failed


def test_members_that_agree_are_one_pass_row(lab: PoolLab, doctor: Doctor) -> None:
    pool = doctor.survey(doctor.plan(lab.request("agree.pool.test")))

    assert [(row.status, row.outcome.finding) for row in pool.comparison] == [(Status.PASS, None)]
    assert pool.comparison[0].summary.startswith(
        f"2 pool members agree on everything compared: all answer, greet as {HOST_NAME}, "
        "offer STARTTLS, negotiate TLSv1.3, serve one certificate, valid until "
    )
    assert pool.differences == ()
    assert pool.exit_code is ExitCode.OK


def test_greeting_names_that_differ_are_a_fact_not_a_warning(lab: PoolLab, doctor: Doctor) -> None:
    pool = doctor.survey(doctor.plan(lab.request("names.pool.test")))

    assert [(row.status, row.outcome.finding) for row in pool.comparison] == [
        (Status.PASS, None),
        (Status.INFO, GREETING_DIFFERS),
    ]
    assert pool.comparison[1].summary.startswith(
        f"1 of 2 pool members greets as {HOST_NAME}: 127.0.0.2; "
        "1 of 2 greets as mx2.pool.test: 127.0.0.8"
    )
    assert pool.exit_code is ExitCode.OK


def test_a_login_that_works_on_one_member_only_is_a_difference(
    lab: PoolLab, doctor: Doctor
) -> None:
    pool = doctor.survey(doctor.plan(lab.login("login.pool.test")))

    row = pool.row(VERDICTS_DIFFER)
    assert row is not None and row.status is Status.WARN
    assert row.summary == (
        "the members look alike, but their checks end differently: "
        "1 of 2 pool members ends FAILED: 127.0.0.9 (auth); 1 of 2 ends OK: 127.0.0.2"
    )
    assert pool.exit_code is ExitCode.CRITICAL


def test_no_password_shows_in_any_output_of_a_survey(lab: PoolLab, doctor: Doctor) -> None:
    pool = doctor.survey(doctor.plan(lab.login("login.pool.test")))
    encoded = base64.b64encode(f"\0alice@example.test\0{PASSWORD}".encode()).decode()

    outputs = [
        render_pool_table(pool, transcript=True),
        render_pool_json(pool, transcript=True),
        render_pool_nagios(pool),
        repr(pool),
    ]

    assert "AUTH PLAIN [redacted]" in outputs[0]
    for text in outputs:
        assert PASSWORD not in text
        assert encoded not in text


def test_the_comparison_rows_carry_the_knowledge_base_hints(lab: PoolLab, doctor: Doctor) -> None:
    pool = doctor.survey(doctor.plan(lab.request("pool.test")))

    titles = {row.outcome.finding: [hint.title for hint in row.hints] for row in pool.comparison}
    assert titles == {
        STARTTLS_DIFFERS: ["Not every pool member offers STARTTLS"],
        CERTIFICATE_DIFFERS: ["Pool members serve different certificates"],
    }


class PoolHints:
    """A plugin with its own advice for certificate differences."""

    def __init__(self) -> None:
        self.contexts: list[HintContext] = []

    @hookimpl
    def smtpdoctor_hints(self, result: CheckResult, context: HintContext) -> list[Hint]:
        if result.outcome.finding != CERTIFICATE_DIFFERS:
            return []
        self.contexts.append(context)
        return [Hint("Ask the certificate team", ("They renew through one pipeline.",))]


def test_plugins_add_hints_to_the_comparison_rows_as_to_any_row(lab: PoolLab) -> None:
    plugin = PoolHints()
    doctor = Doctor(PluginSelection(autoload=False), extra_plugins=[plugin])

    pool = doctor.survey(doctor.plan(lab.request("pool.test")))

    row = pool.row(CERTIFICATE_DIFFERS)
    assert row is not None
    assert [hint.title for hint in row.hints] == [
        "Pool members serve different certificates",
        "Ask the certificate team",
    ]
    assert [(c.host, c.port) for c in plugin.contexts] == [("pool.test", lab.port)]


def test_ipv4_and_ipv6_addresses_are_members_alike(lab: PoolLab, doctor: Doctor) -> None:
    pool = doctor.survey(doctor.plan(lab.request("dual.pool.test")))

    assert [(m.address, m.family) for m in pool.members] == [
        ("127.0.0.2", 4),
        ("127.0.0.7", 4),
        ("::1", 6),
    ]
    ipv6 = pool.member("::1")
    assert ipv6 is not None
    tcp = ipv6.report.result("tcp")
    assert tcp is not None and tcp.outcome.details["family"] == 6


def test_minus_4_leaves_the_ipv6_address_out(lab: PoolLab, doctor: Doctor) -> None:
    before = lab.connections("::1")

    pool = doctor.survey(doctor.plan(lab.request("dual.pool.test", family=4)))

    assert [m.address for m in pool.members] == ["127.0.0.2", "127.0.0.7"]
    assert pool.addresses == 2 and pool.not_checked == ()
    assert lab.connections("::1") == before


def test_minus_6_on_a_pool_without_ipv6_checks_nothing_and_says_why(
    lab: PoolLab, doctor: Doctor
) -> None:
    pool = doctor.survey(doctor.plan(lab.request("pool.test", family=6)))

    assert pool.members == ()
    assert [(row.status, row.outcome.finding) for row in pool.comparison] == [
        (Status.FAIL, NO_ADDRESSES)
    ]
    assert pool.comparison[0].summary == (
        "no address of pool.test to check: pool.test has no IPv6 address (it has: "
        "127.0.0.2, 127.0.0.3, 127.0.0.4), and the run is limited to IPv6 (-6)"
    )
    assert pool.comparison[0].hints[0].title == "The name has no address to check"
    assert pool.exit_code is ExitCode.CRITICAL


def test_a_name_that_does_not_exist_has_no_members(lab: PoolLab, doctor: Doctor) -> None:
    pool = doctor.survey(doctor.plan(lab.request("missing.pool.test")))

    assert pool.members == ()
    assert findings(pool.comparison) == [NO_ADDRESSES]
    assert "NXDOMAIN" in pool.comparison[0].summary


def test_at_most_the_member_limit_is_checked_and_the_rest_named(
    lab: PoolLab, doctor: Doctor
) -> None:
    before = {address: lab.connections(address) for address in lab.servers}

    pool = doctor.survey(doctor.plan(lab.request("big.pool.test")), limits=PoolLimits(members=3))

    assert [m.address for m in pool.members] == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    assert [(n.address, n.reason) for n in pool.not_checked] == [
        ("127.0.0.5", "over the limit of 3 members"),
        ("127.0.0.7", "over the limit of 3 members"),
    ]
    assert pool.addresses == 5
    assert lab.connections("127.0.0.5") == before["127.0.0.5"]
    assert lab.connections("127.0.0.7") == before["127.0.0.7"]


def test_members_checked_at_once_are_reported_as_one_after_the_other(
    lab: PoolLab, doctor: Doctor
) -> None:
    plan = doctor.plan(lab.request("pool.test"))

    at_once = doctor.survey(plan, limits=PoolLimits(concurrency=3))
    in_turn = doctor.survey(plan)

    assert [m.address for m in at_once.members] == [m.address for m in in_turn.members]
    assert findings(at_once.comparison) == findings(in_turn.comparison)


def test_no_member_starts_after_the_survey_deadline(lab: PoolLab, doctor: Doctor) -> None:
    plan = doctor.plan(lab.request("pool.test"))
    # the survey starts at 0, the first member at 1; from then on the clock reads 100
    clock = chain([0.0, 1.0], repeat(100.0)).__next__

    pool = survey(
        plan.config,
        lambda config: doctor.run(replace(plan, config=config)),
        limits=PoolLimits(deadline=10.0),
        clock=clock,
    )

    assert [m.address for m in pool.members] == ["127.0.0.2"]
    assert [(n.address, n.reason) for n in pool.not_checked] == [
        ("127.0.0.3", DEADLINE_PASSED),
        ("127.0.0.4", DEADLINE_PASSED),
    ]


def test_a_member_runs_under_what_is_left_of_the_survey_deadline(
    lab: PoolLab, doctor: Doctor
) -> None:
    plan = doctor.plan(lab.request("one.pool.test", deadline=60.0))
    seen: list[RunConfig] = []

    def run(config: RunConfig) -> Report:
        seen.append(config)
        return doctor.run(replace(plan, config=config))

    # the survey starts at 0 and its member at 1: 6.5 of its 7.5 seconds are left
    survey(
        plan.config,
        run,
        limits=PoolLimits(deadline=7.5),
        clock=chain([0.0, 1.0], repeat(2.0)).__next__,
    )

    assert [(c.address, c.deadline, c.host) for c in seen] == [("127.0.0.2", 6.5, "one.pool.test")]


def test_an_address_typed_as_the_target_is_one_member(lab: PoolLab, doctor: Doctor) -> None:
    request = Request(
        f"127.0.0.2:{lab.port}",
        ca_data=lab.certificates.ca_pem,
        insecure=True,  # the certificate names pool.test, not 127.0.0.2
        plugins=PluginSelection(autoload=False),
    )

    pool = doctor.survey(doctor.plan(request))

    assert [m.address for m in pool.members] == ["127.0.0.2"]
    assert [(row.status, row.summary) for row in pool.comparison] == [
        (Status.INFO, "127.0.0.2 is an address, not a name: one member, nothing to compare")
    ]


def test_a_name_with_one_address_says_there_is_nothing_to_compare(
    lab: PoolLab, doctor: Doctor
) -> None:
    pool = doctor.survey(doctor.plan(lab.request("one.pool.test")))

    assert [row.summary for row in pool.comparison] == [
        "one.pool.test has one address (127.0.0.2): nothing to compare"
    ]
    assert pool.exit_code is ExitCode.OK


def test_a_survey_sends_no_test_message(lab: PoolLab, doctor: Doctor) -> None:
    plan = doctor.plan(lab.login("pool.test", send=TestMessage("bob@example.test")))

    with pytest.raises(ConfigError, match="--all-addresses sends no test message"):
        doctor.survey(plan)


def test_the_json_names_the_address_and_family_of_every_connection(
    lab: PoolLab, doctor: Doctor
) -> None:
    pool = doctor.survey(doctor.plan(lab.request("dual.pool.test")))

    document = json.loads(render_pool_json(pool))

    for member in document["members"]:
        tcp = next(c for c in member["report"]["checks"] if c["id"] == "tcp")
        assert (tcp["details"]["address"], tcp["details"]["family"]) == (
            member["address"],
            member["family"],
        )
    assert [m["family"] for m in document["members"]] == [4, 4, 6]


def test_ctrl_c_in_one_member_ends_the_survey_there(lab: PoolLab, doctor: Doctor) -> None:
    plan = doctor.plan(lab.request("pool.test"))

    def interrupted(config: RunConfig) -> Report:  # as the runner reports a Ctrl-C
        return replace(doctor.run(replace(plan, config=config)), interrupted=True)

    pool = survey(plan.config, interrupted)

    assert [m.address for m in pool.members] == ["127.0.0.2"]
    assert [(n.address, n.reason) for n in pool.not_checked] == [
        ("127.0.0.3", INTERRUPTED),
        ("127.0.0.4", INTERRUPTED),
    ]
    assert pool.interrupted and pool.exit_status == 130


def test_through_a_socks4_proxy_only_the_ipv4_members_are_checked_each_through_it(
    lab: PoolLab, doctor: Doctor
) -> None:
    proxy = Pproxy()
    proxy.start()
    try:
        pool = doctor.survey(doctor.plan(lab.request("dual.pool.test", proxy=proxy.url("socks4"))))
    finally:
        proxy.stop()

    assert [m.address for m in pool.members] == ["127.0.0.2", "127.0.0.7"]  # SOCKS4: no IPv6
    for member in pool.members:
        tcp = member.report.result("tcp")
        assert tcp is not None and tcp.outcome.details["path"] == "proxy"


def test_a_survey_through_a_proxy_that_resolves_names_itself_is_refused_in_words(
    lab: PoolLab, doctor: Doctor
) -> None:
    plan = doctor.plan(lab.request("dual.pool.test", proxy="socks5h://127.0.0.1:1080"))

    with pytest.raises(ConfigError, match="--all-addresses cannot go through a socks5h:// proxy"):
        doctor.survey(plan)


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"send": TestMessage("bob@example.test")}, "--all-addresses sends no test message"),
        ({"proxy": "socks5h://127.0.0.1:1080"}, "cannot go through a socks5h:// proxy"),
    ],
)
def test_a_request_for_a_survey_that_cannot_be_made_is_refused_before_any_plan(
    settings: dict[str, object], said: str
) -> None:
    with pytest.raises(ConfigError, match=said):
        Request("pool.test:587", all_addresses=True, **settings)  # type: ignore[arg-type]
