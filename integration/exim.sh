#!/usr/bin/env bash
# A real Exim 4 on 127.0.0.1, from Debian's package files, for smtpdoctor's integration tests.
#
#   integration/exim.sh start    fetch (first time), configure, start; print what runs
#   integration/exim.sh stop     stop it
#
# Exim is NOT installed: installing exim4 would remove Postfix (both provide mail-transport-
# agent). `apt-get download` fetches exim4-daemon-light, exim4-base and exim4-config, and
# `dpkg -x` unpacks them under the state directory; only the shared libraries the binary
# links against are installed with apt-get (the package's own Depends, minus exim4-* and
# debconf), and the user Debian-exim the binary was built for is created. Exim runs with its
# own configuration (-C), spool and logs, as a daemon on 127.0.0.1 only:
#   10587  submission: STARTTLS with the full chain, AUTH PLAIN/LOGIN only after STARTTLS
#          (auth_advertise_hosts), one user; relaying refused without a login ("550 relay not
#          permitted"); nothing is delivered anywhere (no routers)
#   10588  the same, serving only the leaf certificate: an incomplete chain
# State: $SMTPDOCTOR_SOFTWARE_DIR/exim (default /var/lib/smtpdoctor-software/exim);
# software.json there tells the tests where to connect and as whom.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BASE=${SMTPDOCTOR_SOFTWARE_DIR:-/var/lib/smtpdoctor-software}
STATE=$BASE/exim
TLS=$BASE/tls
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
EXIM=$STATE/root/usr/sbin/exim4
PORT=10587
LEAF_PORT=10588
USER_NAME=alice@smtpdoctor.test
PACKAGES=(exim4-daemon-light exim4-base exim4-config)

say() { echo "exim: $*"; }
die() { echo "exim: $*" >&2; exit 1; }

fetch() {
    [ -x "$EXIM" ] && return
    say "fetching ${PACKAGES[*]} (apt-get download, dpkg -x; not installed) ..."
    mkdir -p "$STATE/debs" && cd "$STATE/debs"
    apt-get download "${PACKAGES[@]}" >"$STATE/apt.log" 2>&1 \
        || { apt-get update -q >>"$STATE/apt.log" 2>&1 && apt-get download "${PACKAGES[@]}" >>"$STATE/apt.log" 2>&1; } \
        || { tail -5 "$STATE/apt.log" >&2; die "apt-get download failed"; }
    local deb
    for deb in ./*.deb; do dpkg -x "$deb" "$STATE/root"; done
    cd - >/dev/null
    [ -x "$EXIM" ] || die "no exim4 binary in the packages"
}

libraries() {
    ldd "$EXIM" | grep -q "not found" || return 0
    local deb depends
    deb=$(ls "$STATE"/debs/exim4-daemon-light_*.deb)
    # Depends: "exim4-base (>= 4.96), libc6 (>= 2.34), libidn12 (>= 1.13), ..." -> the libraries
    depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/[(|].*//; s/ //g' \
        | grep -v -e '^exim4' -e '^debconf' -e '^$')
    say "installing the libraries it links against: $(echo $depends) ..."
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $depends \
        >>"$STATE/apt.log" 2>&1 || { tail -5 "$STATE/apt.log" >&2; die "apt-get install failed"; }
    ! ldd "$EXIM" | grep "not found" >&2 || die "libraries still missing"
}

configure() {
    id -u Debian-exim >/dev/null 2>&1 \
        || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin Debian-exim
    mkdir -p "$STATE/spool" "$STATE/log"
    chown -R Debian-exim "$STATE/spool" "$STATE/log"
    "$PYTHON" "$HERE/software_pki.py" "$TLS"
    local password
    [ -f "$STATE/password" ] || (umask 077; "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(18))' >"$STATE/password")
    password=$(cat "$STATE/password")
    (umask 077; cat >"$STATE/exim.conf") <<CONF
# Written by integration/exim.sh: a submission server for smtpdoctor's integration tests.
primary_hostname = exim.smtpdoctor.test
spool_directory = $STATE/spool
log_file_path = $STATE/log/%slog
pid_file_path = $STATE/exim.pid
daemon_smtp_ports = $PORT : $LEAF_PORT
local_interfaces = 127.0.0.1
host_lookup =
rfc1413_hosts =
keep_environment =
message_size_limit = 10M
tls_advertise_hosts = *
tls_certificate = \${if eq{\$received_port}{$LEAF_PORT}{$TLS/leaf.pem}{$TLS/fullchain.pem}}
tls_privatekey = $TLS/key.pem
auth_advertise_hosts = \${if eq{\$tls_in_cipher}{}{}{*}}
domainlist local_domains = smtpdoctor.test
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  accept authenticated = *
  require message = relay not permitted
          domains = +local_domains
  accept

begin routers
begin transports
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and{{eq{\$auth2}{$USER_NAME}}{eq{\$auth3}{$password}}}}
  server_set_id = \$auth2
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if and{{eq{\$auth1}{$USER_NAME}}{eq{\$auth2}{$password}}}}
  server_set_id = \$auth1
CONF
    chmod 644 "$STATE/exim.conf"  # Exim reads it after giving up root
    "$EXIM" -C "$STATE/exim.conf" -bV >"$STATE/log/check.log" 2>&1 \
        || { tail -5 "$STATE/log/check.log" >&2; die "configuration refused"; }
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
    [ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, useradd)"
    fetch
    libraries
    configure
    stop quietly
    # -bd: a daemon that detaches; it never holds the caller's stdout or stderr
    "$EXIM" -C "$STATE/exim.conf" -bd </dev/null >"$STATE/log/daemon.log" 2>&1 \
        || { tail -5 "$STATE/log/daemon.log" >&2; die "the daemon did not start"; }
    local tries=0
    until listening "$PORT" && listening "$LEAF_PORT"; do
        tries=$((tries + 1))
        [ "$tries" -le 40 ] || { tail -5 "$STATE/log/mainlog" "$STATE/log/paniclog" >&2 2>/dev/null; die "not listening on $PORT and $LEAF_PORT after 10 s"; }
        sleep 0.25
    done
    say "Exim $("$EXIM" -C "$STATE/exim.conf" -bV | sed -n '1s/Exim version \([^ ]*\).*/\1/p') on 127.0.0.1:$PORT (full chain) and :$LEAF_PORT (leaf only); $STATE/software.json"
}

stop() {
    local pid
    [ -f "$STATE/exim.pid" ] || { [ "${1:-}" = quietly ] || say "not running"; return 0; }
    pid=$(cat "$STATE/exim.pid")
    if kill "$pid" 2>/dev/null; then
        local tries=0
        while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 40 ]; do sleep 0.25; tries=$((tries + 1)); done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    fi
    rm -f "$STATE/exim.pid"
    [ "${1:-}" = quietly ] || say "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
