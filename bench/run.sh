#!/usr/bin/env bash
# `make bench`: install the peers from Debian packages, then run every benchmark and print the
# markdown tables (python -m bench --help lists the knobs; extra arguments are passed on).
#
# Needs root on Debian/Ubuntu for apt-get, for integration/mailserver.sh (Postfix + Dovecot)
# and to bind the fleet on 127.0.x.y. All traffic stays on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

if ! command -v swaks >/dev/null || [ ! -x /usr/lib/nagios/plugins/check_smtp ] \
    || ! perl -MNet::SSLeay -e1 2>/dev/null || [ ! -x /usr/bin/prometheus-blackbox-exporter ]; then
    [ "$(id -u)" -eq 0 ] || { echo "bench: run as root to install the peers" >&2; exit 1; }
    echo "bench: installing swaks, monitoring-plugins-standard and" \
        "prometheus-blackbox-exporter (apt-get) ..." >&2
    {
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            swaks libnet-ssleay-perl monitoring-plugins-standard prometheus-blackbox-exporter
    } >"${TMPDIR:-/tmp}/smtpdoctor-bench-apt.log" 2>&1 \
        || { tail -20 "${TMPDIR:-/tmp}/smtpdoctor-bench-apt.log" >&2; exit 1; }
fi
# smtpdoctor is measured as people install it: a wheel built from this checkout in a venv of
# its own (no editable-install import hook, none of the example plugins of the dev venv),
# with the `serve` extra for the probe endpoint benchmark and the soak.
RELEASE=${SMTPDOCTOR_BENCH_RELEASE:-${TMPDIR:-/tmp}/smtpdoctor-bench-release}
echo "bench: installing smtpdoctor from this checkout into $RELEASE ..." >&2
{
    [ -x "$RELEASE/bin/python" ] || python3 -m venv "$RELEASE"
    "$RELEASE/bin/python" -m pip install --quiet ".[serve]"
} >"${TMPDIR:-/tmp}/smtpdoctor-bench-pip.log" 2>&1 \
    || { tail -20 "${TMPDIR:-/tmp}/smtpdoctor-bench-pip.log" >&2; exit 1; }
rm -rf build
# checkdmarc, the peer of `smtpdoctor domain`, from the package index into a venv of its own.
CHECKDMARC=${SMTPDOCTOR_BENCH_CHECKDMARC:-${TMPDIR:-/tmp}/smtpdoctor-bench-checkdmarc}
echo "bench: installing checkdmarc into $CHECKDMARC ..." >&2
{
    [ -x "$CHECKDMARC/bin/python" ] || python3 -m venv "$CHECKDMARC"
    "$CHECKDMARC/bin/python" -m pip install --quiet checkdmarc
} >"${TMPDIR:-/tmp}/smtpdoctor-bench-checkdmarc-pip.log" 2>&1 \
    || { tail -20 "${TMPDIR:-/tmp}/smtpdoctor-bench-checkdmarc-pip.log" >&2; exit 1; }
export SMTPDOCTOR_BENCH_CHECKDMARC="$CHECKDMARC"
export SMTPDOCTOR_BENCH_BIN="$RELEASE/bin/smtpdoctor"
# Postfix and Dovecot are installed and started by integration/mailserver.sh, from the bench.
exec "$PYTHON" -m bench "$@"
