"""The monitoring files in docs/monitoring/ work with the real tools: Debian's ``promtool``
accepts the scrape config and the alerting rules and passes the rules' unit tests, the Grafana
dashboard asks only for series smtpdoctor writes, and a real ``prometheus`` scraping
``smtpdoctor serve`` with the shipped scrape config sees the integration Postfix pass.

The promtool tests need ``promtool`` (``apt-get install prometheus``; ``make integration``
installs it); the end-to-end test also needs the Postfix + Dovecot of
``integration/mailserver.sh`` (``SMTPDOCTOR_INTEGRATION=1``). The file checks need nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from smtpdoctor.cli.serve import DEFAULT_LISTEN
from smtpdoctor.serve.allowlist import allowed
from smtpdoctor.serve.config import Defaults, load_config

from tests.loopback import closed_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "docs" / "monitoring"
SCRAPE_CONFIG = MONITORING / "prometheus.yml"
RULES = MONITORING / "smtpdoctor-alerts.yml"
RULE_TESTS = MONITORING / "smtpdoctor-alerts.test.yml"
DASHBOARD = MONITORING / "grafana-dashboard.json"
MODULES = MONITORING / "serve.toml"
STATE = Path(os.environ.get("SMTPDOCTOR_MAILSERVER_DIR", "/var/lib/smtpdoctor-mailserver"))
#: Where the shipped files expect ``smtpdoctor serve`` to listen.
SERVE_ADDRESS = "127.0.0.1:9125"
#: The example password file of serve.toml (the file must exist for the config to load).
EXAMPLE_PASSWORD_FILE = "/etc/smtpdoctor/monitor.password"

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed: apt-get install prometheus"
)

# -- the metric names (fixed for smtpdoctor: render/prometheus.py and serve/metrics.py) --------

#: What one probe exposes (``/probe``, ``check --format prometheus``).
PROBE_METRICS = frozenset(
    {
        "probe_success",
        "probe_duration_seconds",
        "probe_dns_lookup_time_seconds",
        "probe_ip_protocol",
        "probe_ssl_earliest_cert_expiry",
        "probe_tls_version_info",
        "smtpdoctor_probe_exit_code",
        "smtpdoctor_check_status",
        "smtpdoctor_check_duration_seconds",
        "smtpdoctor_check_reply_code",
        "smtpdoctor_finding_info",
        "smtpdoctor_auth_success",
        "smtpdoctor_cert_days_left",
        "smtpdoctor_delivery_latency_seconds",
        "smtpdoctor_probe_info",
    }
)
#: What ``serve`` exposes about itself (``/metrics``), as the series are named.
SERVE_COUNTERS = frozenset({"smtpdoctor_serve_probes_total"})
SERVE_HISTOGRAMS = frozenset({"smtpdoctor_serve_probe_duration_seconds"})
SERVE_GAUGES = frozenset(
    {
        "smtpdoctor_serve_probes_in_flight",
        "smtpdoctor_serve_config_last_reload_successful",
        "smtpdoctor_serve_config_last_reload_success_timestamp_seconds",
    }
)
#: Every series name a query may use: the above, a histogram's parts, and Prometheus' ``up``.
QUERYABLE = (
    PROBE_METRICS
    | SERVE_COUNTERS
    | SERVE_GAUGES
    | {f"{name}{part}" for name in SERVE_HISTOGRAMS for part in ("_bucket", "_sum", "_count")}
    | {"up"}
)
#: Every series name an exposition may hold: also the ``_created`` series of prometheus_client.
EXPOSED = (
    (QUERYABLE - {"up"})
    | {name.removesuffix("_total") + "_created" for name in SERVE_COUNTERS}
    | {name + "_created" for name in SERVE_HISTOGRAMS}
)

# -- reading PromQL, the rules and the dashboard -----------------------------------------------

_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan"})


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression selects: identifiers outside strings, label
    matchers, ranges and groupings that are neither a function (followed by ``(``) nor an
    operator keyword."""
    text = _GROUPING.sub(" ", _RANGE.sub(" ", _MATCHERS.sub(" ", _STRING.sub('""', expr))))
    names = set()
    for match in _IDENTIFIER.finditer(text):
        if text[match.end() :].lstrip().startswith("(") or match.group().lower() in _KEYWORDS:
            continue
        names.add(match.group())
    return names


def rule_expressions() -> list[str]:
    """Every ``expr:`` of the alerting rules (each is written on one line)."""
    text = RULES.read_text()
    expressions = re.findall(r"^\s+expr: (.+)$", text, re.MULTILINE)
    assert len(expressions) == len(alert_names()), "an alert whose expr is not on one line"
    return expressions


def alert_names() -> list[str]:
    return re.findall(r"^\s+- alert: (\w+)$", RULES.read_text(), re.MULTILINE)


def dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return document


def panels(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, those inside collapsed rows too."""
    for panel in document["panels"]:
        yield panel
        yield from panel.get("panels", [])


def row_panels(document: dict[str, Any], title: str) -> list[dict[str, Any]]:
    """The panels under the row called ``title``, up to the next row."""
    found: list[dict[str, Any]] = []
    inside = False
    for panel in document["panels"]:
        if panel["type"] == "row":
            inside = panel["title"] == title
        elif inside:
            found.append(panel)
    assert found, f"no panels under a row called {title}"
    return found


def dashboard_queries(document: dict[str, Any]) -> list[str]:
    """Every PromQL expression of the panels, and the metric each variable reads its values
    from (``label_values(METRIC{...}, label)``)."""
    queries = [target["expr"] for panel in panels(document) for target in panel.get("targets", [])]
    for variable in document["templating"]["list"]:
        if variable["type"] == "query":
            found = re.fullmatch(r"label_values\((.+), *\w+\)", variable["definition"])
            assert found, f"variable {variable['name']}: not a label_values() query"
            queries.append(found.group(1))
    return queries


#: Grafana's variables in the dashboard's queries, as Prometheus must see them.
GRAFANA_VARIABLES = {"$job": ".*", "$instance": ".*", "$serve_job": ".*", "$__rate_interval": "1m"}


def as_prometheus_sees_it(query: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        query = query.replace(variable, value)
    assert "$" not in query, f"an unknown Grafana variable in {query}"
    return query


def scrape_config_modules() -> list[str]:
    return re.findall(r"^\s+module: ([\w.-]+)$", SCRAPE_CONFIG.read_text(), re.MULTILINE)


def scrape_config_targets() -> list[tuple[str, str]]:
    """(target, module) of each example target of the probe job."""
    text = SCRAPE_CONFIG.read_text()
    groups = re.findall(r"- targets: \[(.+)\]\n\s+labels:\n\s+module: ([\w.-]+)\n", text)
    return [
        (target.strip().strip('"'), module)
        for targets, module in groups
        for target in targets.split(",")
    ]


def promtool(*arguments: str | Path, cwd: Path = MONITORING) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *map(str, arguments)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


# -- promtool ----------------------------------------------------------------------------------


@needs_promtool
def test_the_scrape_config_and_the_rules_it_loads_pass_promtool_check_config() -> None:
    done = promtool("check", "config", SCRAPE_CONFIG)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "is valid prometheus config file syntax" in done.stdout
    assert f"SUCCESS: {len(alert_names())} rules found" in done.stdout


@needs_promtool
def test_the_alerting_rules_pass_promtool_check_rules() -> None:
    done = promtool("check", "rules", RULES)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(alert_names())} rules found" in done.stdout


@needs_promtool
def test_the_alerting_rules_pass_their_promtool_unit_tests() -> None:
    done = promtool("test", "rules", RULE_TESTS)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_rules_have_the_alerts_the_monitoring_docs_promise() -> None:
    assert set(alert_names()) == {
        "SMTPProbeFailing",
        "SMTPCertificateExpiringSoon",
        "SMTPAuthFailing",
        "SMTPDeliverySlow",
        "SMTPDoctorServeDown",
        "SMTPDoctorServeReloadFailed",
        "SMTPDoctorServeOverloaded",
    }
    documented = (ROOT / "docs" / "monitoring.md").read_text()
    assert all(f"`{name}`" in documented for name in alert_names())


def test_the_monitoring_docs_list_every_series_of_a_probe() -> None:
    documented = (ROOT / "docs" / "monitoring.md").read_text()

    assert all(re.search(rf"^\| `{name}[{{`]", documented, re.MULTILINE) for name in PROBE_METRICS)


@pytest.mark.parametrize("alert", alert_names())
def test_every_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not(alert: str) -> None:
    tests = RULE_TESTS.read_text()
    checks = re.findall(rf"alertname: {alert}\n\s+exp_alerts:(.*)\n(.*)\n", tests)

    assert any(rest.strip() == "[]" for rest, _ in checks), f"{alert} never shown silent"
    assert any(rest == "" and "- exp_labels:" in item for rest, item in checks), (
        f"{alert} never shown firing"
    )


# -- the files agree with the metric names and with each other ---------------------------------


def test_every_alert_asks_only_for_series_smtpdoctor_writes() -> None:
    for expr in rule_expressions():
        names = metric_names(expr)
        assert names, f"no series in {expr}"
        assert names <= QUERYABLE, f"unknown series {names - QUERYABLE} in {expr}"


def test_every_dashboard_query_asks_only_for_series_smtpdoctor_writes() -> None:
    queries = dashboard_queries(dashboard())

    assert len(queries) > 10
    for query in queries:
        names = metric_names(query)
        assert names, f"no series in {query}"
        assert names <= QUERYABLE, f"unknown series {names - QUERYABLE} in {query}"


def test_the_dashboard_shows_success_steps_certificates_tls_and_reply_codes() -> None:
    shown = set().union(*map(metric_names, dashboard_queries(dashboard())))

    assert {
        "probe_success",
        "smtpdoctor_check_duration_seconds",
        "probe_ssl_earliest_cert_expiry",
        "probe_tls_version_info",
        "smtpdoctor_check_reply_code",
        "smtpdoctor_serve_probes_total",
    } <= shown


def test_the_dashboard_takes_its_datasource_from_a_variable_and_names_no_other() -> None:
    document = dashboard()
    variables = {variable["name"]: variable for variable in document["templating"]["list"]}

    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in panels(document):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert all(target["datasource"] == panel["datasource"] for target in panel["targets"])
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"]["uid"] == "${datasource}"
    assert "__inputs" not in document  # nothing to fill in on import


def test_the_dashboard_panels_have_unique_ids_and_do_not_overlap_on_the_grid() -> None:
    document = dashboard()
    everything = list(panels(document))
    cells: dict[tuple[int, int], str] = {}

    assert document["title"] and document["uid"] and isinstance(document["schemaVersion"], int)
    assert len({panel["id"] for panel in everything}) == len(everything)
    for panel in everything:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]
        refs = [target["refId"] for target in panel.get("targets", [])]
        assert len(set(refs)) == len(refs), panel["title"]


def test_the_example_modules_load_and_allow_the_scrape_configs_targets(tmp_path: Path) -> None:
    password_file = tmp_path / "monitor.password"
    password_file.write_text("not-a-real-password\n")
    text = MODULES.read_text()
    assert EXAMPLE_PASSWORD_FILE in text
    modules = tmp_path / "serve.toml"
    modules.write_text(text.replace(EXAMPLE_PASSWORD_FILE, str(password_file)))

    config = load_config(modules, Defaults())

    assert set(scrape_config_modules()) <= set(config.modules)
    targets = scrape_config_targets()
    assert {module for _, module in targets} == set(scrape_config_modules())
    for target, module_name in targets:
        host, port = target.rsplit(":", 1)
        module = config.modules[module_name]
        assert allowed(host, int(port), config.server.allowed_targets, module.allowed_targets)
        assert module.port == int(port), f"{target} is not on {module_name}'s port"


def test_the_scrape_config_and_the_docs_point_prometheus_where_serve_listens_by_default() -> None:
    scrape_config = SCRAPE_CONFIG.read_text()
    replacements = re.findall(r"replacement: (\S+)", scrape_config)

    assert SERVE_ADDRESS == DEFAULT_LISTEN
    assert replacements == [SERVE_ADDRESS]
    assert f'- targets: ["{SERVE_ADDRESS}"]' in scrape_config
    assert SERVE_ADDRESS in (ROOT / "docs" / "monitoring.md").read_text()


# -- a real Prometheus scraping a real serve probing the integration Postfix -------------------

#: The probes of the end-to-end test: (module, port); every module of the shipped scrape config
#: and one that logs in with a wrong password.
E2E_TARGETS = (("submission", 587), ("submissions", 465), ("mx", 25), ("wrong_password", 587))
ALICE = "alice@smtpdoctor.test"


def e2e_modules(mailserver: dict[str, Any], directory: Path) -> Path:
    """serve's module file for the integration Postfix: the shipped modules' names and TLS
    modes, with the integration CA and alice's password (or a wrong one) in files."""
    right, wrong = directory / "alice.password", directory / "wrong.password"
    right.write_text(mailserver["users"][ALICE] + "\n")
    wrong.write_text("not-alices-password\n")
    for file in (right, wrong):
        file.chmod(0o600)
    host, ca_file = mailserver["host"], mailserver["ca_file"]
    ports = sorted({port for _, port in E2E_TARGETS})
    allow = ", ".join(f'"{host}:{port}"' for port in ports)
    login = f'user = "{ALICE}"\npassword_file = "{right}"\n'
    config = directory / "serve.toml"
    config.write_text(
        f"[server]\nallowed_targets = [{allow}]\n\n"
        f'[modules.submission]\ntls = "starttls"\nport = 587\nca_file = "{ca_file}"\n{login}\n'
        f'[modules.submissions]\ntls = "implicit"\nport = 465\nca_file = "{ca_file}"\n{login}\n'
        f'[modules.mx]\ntls = "starttls"\nport = 25\nca_file = "{ca_file}"\n\n'
        f'[modules.wrong_password]\ntls = "starttls"\nport = 587\nca_file = "{ca_file}"\n'
        f'user = "{ALICE}"\npassword_file = "{wrong}"\n'
    )
    return config


def e2e_scrape_config(host: str, serve_port: int, directory: Path) -> Path:
    """The shipped scrape config with its example targets replaced by the integration
    Postfix's, serve's port, and intervals short enough for a test. The rules file is copied
    beside it, where its ``rule_files`` expects it."""
    text = SCRAPE_CONFIG.read_text()
    targets = "".join(
        f'      - targets: ["{host}:{port}"]\n        labels:\n          module: {module}\n'
        for module, port in E2E_TARGETS
    )
    text, groups = re.subn(
        r"(  - job_name: smtpdoctor\n(?:.*\n)*?    static_configs:\n)"
        r"(?:.*\n)*?(    relabel_configs:\n)",
        lambda found: found.group(1) + targets + found.group(2),
        text,
    )
    assert groups == 1, "the probe job's static_configs were not found"
    for old, new in (
        ("scrape_interval: 1m", "scrape_interval: 5s"),
        ("evaluation_interval: 1m", "evaluation_interval: 2s"),
        ("scrape_timeout: 45s", "scrape_timeout: 5s"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    text = text.replace(SERVE_ADDRESS, f"127.0.0.1:{serve_port}")
    shutil.copy(RULES, directory / RULES.name)
    config = directory / "prometheus.yml"
    config.write_text(text)
    return config


@dataclass(frozen=True)
class Process:
    """A program the test started, and the file its output goes to."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="module")
def start(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str, list[str], dict[str, str] | None], Process]]:
    """Start programs (output to a file in a temporary folder); all are stopped at the end."""
    tmp_path = tmp_path_factory.mktemp("programs")
    started: list[Process] = []

    def run(name: str, command: list[str], env: dict[str, str] | None = None) -> Process:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output, stderr=output, env=env
            )
        started.append(Process(process, log))
        return started[-1]

    yield run
    for each in reversed(started):
        each.process.send_signal(signal.SIGTERM)
        try:
            each.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            each.process.kill()
            each.process.wait()


def http_get(port: int, path: str, **query: str) -> tuple[int, bytes]:
    url = f"http://127.0.0.1:{port}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback
            status: int = answer.status
            return status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def wait_until_answering(program: Process, port: int, path: str) -> None:
    """Wait (at most 60 s) until ``GET path`` answers 200; fail with the program's output if
    it exits or never answers."""
    for _ in range(300):
        if http_get(port, path)[0] == 200:
            return
        if program.process.poll() is not None:
            pytest.fail(f"exited with {program.process.returncode}:\n{program.output()}")
        time.sleep(0.2)
    pytest.fail(f"no answer on 127.0.0.1:{port}{path}:\n{program.output()}")


@dataclass(frozen=True)
class PrometheusAPI:
    """Prometheus' HTTP API on a loopback port."""

    port: int

    def get(self, path: str, **query: str) -> Any:
        status, body = http_get(self.port, path, **query)
        answer = json.loads(body)
        assert status == 200 and answer["status"] == "success", answer
        return answer["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The instant vector ``promql`` evaluates to now."""
        data = self.get("/api/v1/query", query=promql)
        result: list[dict[str, Any]] = data["result"]
        return result

    def value(self, promql: str) -> float:
        """The one sample ``promql`` selects."""
        result = self.query(promql)
        assert len(result) == 1, f"{promql}: {result}"
        return float(result[0]["value"][1])

    def wait_for(self, promql: str, count: int | None) -> None:
        """Wait (at most 90 s) until ``promql`` has ``count`` series (``None``: any number
        but none)."""
        for _ in range(450):
            found = len(self.query(promql))
            if found == count or (count is None and found):
                return
            time.sleep(0.2)
        pytest.fail(f"{promql}: {self.query(promql)} after 90 s")


@pytest.fixture(scope="module")
def prometheus(
    tmp_path_factory: pytest.TempPathFactory,
    start: Callable[[str, list[str], dict[str, str] | None], Process],
) -> PrometheusAPI:
    """serve with modules for the integration Postfix, and Debian's prometheus scraping it
    with the shipped scrape config and rules, until every target has been scraped and the
    rules have been evaluated on the results (the tests below share them)."""
    if os.environ.get("SMTPDOCTOR_INTEGRATION") != "1":
        pytest.skip("needs the Postfix + Dovecot of integration/mailserver.sh: make integration")
    if PROMETHEUS is None:
        pytest.skip("prometheus is not installed: apt-get install prometheus")
    mailserver: dict[str, Any] = json.loads((STATE / "mailserver.json").read_text())
    tmp_path = tmp_path_factory.mktemp("prometheus")
    serve_port, prometheus_port = closed_port(), closed_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMTPDOCTOR_")}
    env["SMTPDOCTOR_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    modules = e2e_modules(mailserver, tmp_path)
    command = [sys.executable, "-m", "smtpdoctor", "serve", "--config", str(modules)]
    serve = start("serve", [*command, "--listen", f"127.0.0.1:{serve_port}"], env)
    wait_until_answering(serve, serve_port, "/metrics")
    config = e2e_scrape_config(mailserver["host"], serve_port, tmp_path)
    command = [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}"]
    command += [f"--web.listen-address=127.0.0.1:{prometheus_port}", "--log.level=warn"]
    server = start("prometheus", command, None)
    wait_until_answering(server, prometheus_port, "/-/ready")
    api = PrometheusAPI(prometheus_port)
    api.wait_for('probe_success{job="smtpdoctor"}', len(E2E_TARGETS))
    api.wait_for('up{job="smtpdoctor_serve"} == 1', 1)
    # /metrics may be scraped before the first probe ends, when no probe is counted yet.
    api.wait_for('smtpdoctor_serve_probes_total{job="smtpdoctor_serve"}', None)
    api.wait_for('ALERTS{module="wrong_password"}', 2)  # SMTPAuthFailing, SMTPProbeFailing
    return api


def earliest_not_after(pem_file: Path) -> float:
    return min(
        certificate.not_valid_after_utc.timestamp()
        for certificate in x509.load_pem_x509_certificates(pem_file.read_bytes())
    )


@pytest.mark.timeout(180)
def test_prometheus_scraping_serve_sees_the_postfix_submission_port_pass(
    prometheus: PrometheusAPI,
) -> None:
    submission = 'job="smtpdoctor", instance="127.0.0.1:587", module="submission"'

    assert prometheus.value(f"probe_success{{{submission}}}") == 1
    assert prometheus.value(f"probe_ssl_earliest_cert_expiry{{{submission}}}") == (
        earliest_not_after(STATE / "tls" / "server.pem")
    )
    assert prometheus.value(f'probe_tls_version_info{{{submission}, version="TLS 1.3"}}') == 1
    assert prometheus.value(f"smtpdoctor_auth_success{{{submission}}}") == 1
    assert prometheus.value(f'smtpdoctor_check_status{{{submission}, check="auth"}} == 1') == 1
    assert prometheus.query(f'smtpdoctor_check_status{{{submission}, status="pass"}} == 1')


@pytest.mark.timeout(180)
def test_every_example_module_passes_against_postfix_and_a_wrong_password_fails_the_probe(
    prometheus: PrometheusAPI,
) -> None:
    success = {
        series["metric"]["module"]: float(series["value"][1])
        for series in prometheus.query('probe_success{job="smtpdoctor"}')
    }
    wrong = 'instance="127.0.0.1:587", module="wrong_password"'

    assert success == {"submission": 1, "submissions": 1, "mx": 1, "wrong_password": 0}
    assert prometheus.value(f"smtpdoctor_auth_success{{{wrong}}}") == 0
    assert prometheus.value(f'smtpdoctor_finding_info{{{wrong}, finding="auth.rejected"}}') == 1
    assert not prometheus.query('smtpdoctor_auth_success{module="mx"}')  # no login tried


@pytest.mark.timeout(180)
def test_the_shipped_rules_load_into_prometheus_and_only_the_wrong_password_is_pending(
    prometheus: PrometheusAPI,
) -> None:
    groups = prometheus.get("/api/v1/rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    alerts = prometheus.query("ALERTS")

    assert sorted(rule["name"] for rule in rules) == sorted(alert_names())
    assert all(rule["health"] == "ok" for rule in rules), rules
    assert sorted(
        (a["metric"]["alertname"], a["metric"]["module"], a["metric"]["alertstate"]) for a in alerts
    ) == [
        ("SMTPAuthFailing", "wrong_password", "pending"),
        ("SMTPProbeFailing", "wrong_password", "pending"),
    ]


@pytest.mark.timeout(180)
def test_every_series_prometheus_scraped_from_serve_has_a_name_on_the_fixed_list(
    prometheus: PrometheusAPI,
) -> None:
    names = set(prometheus.get("/api/v1/label/__name__/values"))
    ours = {name for name in names if name.startswith(("probe_", "smtpdoctor_"))}

    assert ours - EXPOSED == set()
    assert {"probe_success", "smtpdoctor_serve_probes_total"} <= ours


@pytest.mark.timeout(180)
def test_every_dashboard_query_runs_on_prometheus_and_the_target_panels_show_data(
    prometheus: PrometheusAPI,
) -> None:
    document = dashboard()
    targets_row = [
        target["expr"]
        for panel in row_panels(document, "Targets")
        for target in panel["targets"]
        if "delivery" not in target["expr"]  # serve's modules do not check delivery
    ]

    for query in dashboard_queries(document):
        prometheus.query(as_prometheus_sees_it(query))  # a syntax error fails the request
    for query in targets_row:
        assert prometheus.query(as_prometheus_sees_it(query)), query
