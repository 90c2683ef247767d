#!/usr/bin/env bash
# Real DNSSEC for smtpdoctor's DANE integration test (tests/integration/test_dane_unbound.py).
#
#   integration/dnssec.sh install   install unbound and ldnsutils (first time); print versions
#   integration/dnssec.sh status    exit 0 only when every program the test runs is installed
#
# Needs root and apt-get (Debian); no systemd. Nothing is started here: the test itself makes
# its zones, signs them with ldns-keygen and ldns-signzone, and runs its own unbound (a
# validating resolver serving those zones from auth-zone:, trust anchors from the test's
# keys) as a subprocess on 127.0.0.1 and a random port, with its own configuration in a
# temporary directory, and stops it when done. The Debian unbound service is never started:
# a policy-rc.d that says "no" keeps apt-get from starting it.
set -euo pipefail

PROGRAMS=(unbound unbound-checkconf ldns-keygen ldns-signzone drill)

say() { echo "dnssec: $*"; }
die() { echo "dnssec: $*" >&2; exit 1; }

installed() {
    local program
    for program in "${PROGRAMS[@]}"; do
        command -v "$program" >/dev/null || return 1
    done
}

install() {
    if ! installed; then
        [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages)"
        command -v apt-get >/dev/null || die "apt-get not found: this script needs Debian or Ubuntu"
        say "installing unbound and ldnsutils (apt-get) ..."
        local policy=/usr/sbin/policy-rc.d placed="" log="${TMPDIR:-/tmp}/smtpdoctor-dnssec-apt.log"
        if [ ! -e "$policy" ]; then
            # removed however this function ends (an error, Ctrl-C): never left behind
            trap "rm -f '$policy'" EXIT
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && placed=yes
        fi
        {
            apt-get update -q
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                unbound ldnsutils
        } >"$log" 2>&1 || { tail -20 "$log" >&2; die "apt-get failed"; }
        if [ -n "$placed" ]; then
            rm -f "$policy"
            trap - EXIT
        fi
        installed || die "installed, but still missing one of: ${PROGRAMS[*]}"
    fi
    say "$(unbound -V 2>/dev/null | head -1); $(ldns-signzone -v 2>&1 | head -1)"
}

status() {
    local program missing=0
    for program in "${PROGRAMS[@]}"; do
        if command -v "$program" >/dev/null; then
            say "$program: $(command -v "$program")"
        else
            say "$program: MISSING (run: $0 install)"
            missing=1
        fi
    done
    return "$missing"
}

case "${1:-}" in
    install) install ;;
    status) status ;;
    *) echo "usage: $0 install|status" >&2; exit 2 ;;
esac
