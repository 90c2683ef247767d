#!/usr/bin/env bash
# A real Haraka on 127.0.0.1, from npm, for smtpdoctor's integration tests.
#
#   integration/haraka.sh start    install (first time), configure, start; print what runs
#   integration/haraka.sh stop     stop it
#
# Haraka $VERSION is installed with npm into the state directory (Node.js and npm from
# apt-get when missing); `haraka -i` makes a configuration directory per instance, each run
# as one process (nodes=0) on 127.0.0.1:
#   10589  STARTTLS (tls plugin, the full chain in config/tls_cert.pem), auth/flat_file with
#          one user (it offers AUTH before STARTTLS to clients on private networks such as
#          loopback, by design), rcpt_to.in_host_list: smtpdoctor.test only, so relaying
#          is refused without a login ("550 I cannot deliver mail for <…>"); queue/discard
#   10590  the same, serving only the leaf certificate: an incomplete chain
# State: $SMTPDOCTOR_SOFTWARE_DIR/haraka (default /var/lib/smtpdoctor-software/haraka);
# software.json there tells the tests where to connect and as whom.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BASE=${SMTPDOCTOR_SOFTWARE_DIR:-/var/lib/smtpdoctor-software}
STATE=$BASE/haraka
TLS=$BASE/tls
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
VERSION=3.3.4
HARAKA=$STATE/npm/node_modules/.bin/haraka
PORT=10589
LEAF_PORT=10590
USER_NAME=alice@smtpdoctor.test

say() { echo "haraka: $*"; }
die() { echo "haraka: $*" >&2; exit 1; }

install() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        say "installing nodejs and npm (apt-get) ..."
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends nodejs npm; } >"$STATE/apt.log" 2>&1 \
            || { tail -5 "$STATE/apt.log" >&2; die "apt-get failed"; }
    fi
    [ -x "$HARAKA" ] && return
    say "installing Haraka $VERSION (npm, into $STATE/npm) ..."
    mkdir -p "$STATE/npm"
    npm install --prefix "$STATE/npm" --no-audit --no-fund --ignore-scripts "Haraka@$VERSION" \
        >"$STATE/npm.log" 2>&1 || { tail -5 "$STATE/npm.log" >&2; die "npm install failed"; }
    [ -x "$HARAKA" ] || die "no haraka after npm install"
}

# instance NAME PORT CERTIFICATE PASSWORD: a configuration directory for one Haraka process
instance() {
    local dir=$STATE/$1 port=$2 certificate=$3 password=$4
    [ -d "$dir/config" ] || "$HARAKA" -i "$dir" >"$STATE/$1-init.log" 2>&1 \
        || { tail -5 "$STATE/$1-init.log" >&2; die "haraka -i failed"; }
    printf 'tls\nauth/flat_file\nrcpt_to.in_host_list\nqueue/discard\n' >"$dir/config/plugins"
    printf 'smtpdoctor.test\n' >"$dir/config/host_list"
    printf 'haraka.smtpdoctor.test\n' >"$dir/config/me"
    printf '[main]\nlisten=127.0.0.1:%s\nnodes=0\n' "$port" >"$dir/config/smtp.ini"
    printf 'key=tls_key.pem\ncert=tls_cert.pem\n' >"$dir/config/tls.ini"
    cp "$certificate" "$dir/config/tls_cert.pem"
    cp "$TLS/key.pem" "$dir/config/tls_key.pem"
    (umask 077; printf '[core]\nmethods=PLAIN,LOGIN\n[users]\n%s=%s\n' "$USER_NAME" "$password" \
        >"$dir/config/auth_flat_file.ini")
}

configure() {
    "$PYTHON" "$HERE/software_pki.py" "$TLS"
    [ -f "$STATE/password" ] || (umask 077; "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(18))' >"$STATE/password")
    local password
    password=$(cat "$STATE/password")
    instance full "$PORT" "$TLS/fullchain.pem" "$password"
    instance leaf "$LEAF_PORT" "$TLS/leaf.pem" "$password"
    (umask 077; "$PYTHON" - "$STATE/software.json" "$password" <<PY
import json, sys
json.dump({"host": "127.0.0.1", "port": $PORT, "leaf_port": $LEAF_PORT,
           "user": "$USER_NAME", "password": sys.argv[2], "ca_file": "$TLS/ca.pem"},
          open(sys.argv[1], "w"))
PY
    )
}

listening() { "$PYTHON" -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1).close()" "$1" 2>/dev/null; }

start() {
    mkdir -p "$STATE"
    install
    configure
    stop quietly
    local name
    for name in full leaf; do
        # detached, in its own session; it never holds the caller's stdout or stderr
        setsid "$HARAKA" -c "$STATE/$name" </dev/null >"$STATE/$name.log" 2>&1 &
        echo $! >"$STATE/$name.pid"
    done
    local tries=0
    until listening "$PORT" && listening "$LEAF_PORT"; do
        tries=$((tries + 1))
        [ "$tries" -le 120 ] || { tail -5 "$STATE/full.log" "$STATE/leaf.log" >&2; stop quietly; die "not listening on $PORT and $LEAF_PORT after 30 s"; }
        sleep 0.25
    done
    say "Haraka $VERSION on 127.0.0.1:$PORT (full chain) and :$LEAF_PORT (leaf only); $STATE/software.json"
}

stop() {
    local name pid stopped=""
    for name in full leaf; do
        [ -f "$STATE/$name.pid" ] || continue
        pid=$(cat "$STATE/$name.pid")
        if kill "$pid" 2>/dev/null; then
            local tries=0
            while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 40 ]; do sleep 0.25; tries=$((tries + 1)); done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
            stopped=yes
        fi
        rm -f "$STATE/$name.pid"
    done
    [ "${1:-}" = quietly ] || say "$([ -n "$stopped" ] && echo stopped || echo "not running")"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
