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
    || ! perl -MNet::SSLeay -e1 2>/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "bench: run as root to install swaks and check_smtp" >&2; exit 1; }
    echo "bench: installing swaks and monitoring-plugins-standard (apt-get) ..." >&2
    {
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            swaks libnet-ssleay-perl monitoring-plugins-standard
    } >"${TMPDIR:-/tmp}/smtpdoctor-bench-apt.log" 2>&1 \
        || { tail -20 "${TMPDIR:-/tmp}/smtpdoctor-bench-apt.log" >&2; exit 1; }
fi
# smtpdoctor is measured as people install it: a wheel built from this checkout in a venv of
# its own (no editable-install import hook, none of the example plugins of the dev venv).
RELEASE=${SMTPDOCTOR_BENCH_RELEASE:-${TMPDIR:-/tmp}/smtpdoctor-bench-release}
echo "bench: installing smtpdoctor from this checkout into $RELEASE ..." >&2
{
    [ -x "$RELEASE/bin/python" ] || python3 -m venv "$RELEASE"
    "$RELEASE/bin/python" -m pip install --quiet .
} >"${TMPDIR:-/tmp}/smtpdoctor-bench-pip.log" 2>&1 \
    || { tail -20 "${TMPDIR:-/tmp}/smtpdoctor-bench-pip.log" >&2; exit 1; }
rm -rf build
export SMTPDOCTOR_BENCH_BIN="$RELEASE/bin/smtpdoctor"
# Postfix and Dovecot are installed and started by integration/mailserver.sh, from the bench.
exec "$PYTHON" -m bench "$@"
