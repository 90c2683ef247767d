# Everything runs inside .venv (the example plugins' tests in .venv-plugins), created on first
# use from the python3 on PATH (3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The example plugins: separate distributions, tested in a venv of their own (smtpdoctor and
# the plugins, editable), so that .venv's smtpdoctor stays the product: builtins only.
PLUGINS := plugins/smtpdoctor-banner-policy plugins/smtpdoctor-open-relay
PLUGINS_VENV := .venv-plugins
PLUGINS_BIN := $(PLUGINS_VENV)/bin
PLUGINS_STAMP := $(PLUGINS_VENV)/.installed

.PHONY: demo test lint typecheck unit integration plugins-test clean bench

demo: $(STAMP)  ## check a local STARTTLS+AUTH server with a throwaway certificate, end to end
	$(BIN)/smtpdoctor demo

bench: $(STAMP)  ## compare with swaks and check_smtp over a delayed relay, scan a 1,000-server fleet (root; not part of `make test`)
	bench/run.sh

test: lint typecheck unit plugins-test  ## ruff, mypy, the test suite, the example plugins' tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

# Needs root and apt-get (Debian): installs Postfix + Dovecot (and the proxies Dante and
# tinyproxy) on first use, fetches Exim from Debian's package files (not installed) and
# Haraka from npm, starts them on loopback, runs tests/integration against them, and stops
# them again. integration/dnssec.sh installs unbound and ldnsutils: the DANE test signs its
# zones and runs its own unbound.
integration: $(STAMP)  ## send through a real Postfix and find the mail with a real Dovecot; real Exim and Haraka
	integration/mailserver.sh start
	integration/proxies.sh start
	integration/exim.sh start
	integration/haraka.sh start
	integration/dnssec.sh install
	status=0; SMTPDOCTOR_INTEGRATION=1 $(BIN)/pytest -m integration tests/integration \
		|| status=$$?; integration/haraka.sh stop; integration/exim.sh stop; \
		integration/proxies.sh stop; integration/mailserver.sh stop; exit $$status

plugins-test: $(PLUGINS_STAMP)  ## run the example plugins' own tests, in .venv-plugins
	for plugin in $(PLUGINS); do $(PLUGINS_BIN)/pytest $$plugin || exit 1; done

# Also drops the example plugins from .venv, where earlier Makefiles installed them.
$(PLUGINS_STAMP): $(STAMP) pyproject.toml $(addsuffix /pyproject.toml,$(PLUGINS))
	test -x $(PLUGINS_BIN)/python || $(PYTHON) -m venv $(PLUGINS_VENV)
	$(PLUGINS_BIN)/python -m pip install --quiet --upgrade pip
	$(PLUGINS_BIN)/python -m pip install --quiet -e '.[test]' $(foreach plugin,$(PLUGINS),-e '$(plugin)[test]')
	$(BIN)/python -m pip uninstall --quiet --yes $(notdir $(PLUGINS)) 2>/dev/null
	rm -f $(VENV)/.plugins-installed
	touch $(PLUGINS_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,demo]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) $(PLUGINS_VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis build *.egg-info
