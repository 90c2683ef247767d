#!/usr/bin/env bash
# Throwaway proxies on loopback, for smtpdoctor's --proxy integration tests
# (tests/integration/test_proxies.py), next to the Postfix of integration/mailserver.sh.
#
#   integration/proxies.sh start    install (first time), configure, start; print what runs
#   integration/proxies.sh stop     stop them
#   integration/proxies.sh status   say what listens; exit 0 only when everything does
#
# Needs root and apt-get (Debian); no systemd. Each proxy listens on a loopback address of its
# own and connects out from it, so the mail server sees the proxy's address, not the client's
# (127.0.0.1):
#   127.0.0.5:1080  Dante SOCKS5, no authentication        (connects from 127.0.0.5)
#   127.0.0.6:1080  Dante SOCKS5, user name and password   (connects from 127.0.0.6), the
#                   system user smtpdoctor-proxy with a random password
#   127.0.0.7:8888  tinyproxy, HTTP CONNECT to port 465 only: CONNECT to 587 gets 403
#                   (connects from 127.0.0.7)
# Every proxy lets 127.0.0.0/8 clients reach 127.0.0.0/8 only. State (configs, pid files,
# logs, proxies.json with the URLs and the password, root only) lives in
# $SMTPDOCTOR_MAILSERVER_DIR/proxies (default /var/lib/smtpdoctor-mailserver/proxies).
set -euo pipefail

STATE=${SMTPDOCTOR_MAILSERVER_DIR:-/var/lib/smtpdoctor-mailserver}/proxies
PROXY_USER=smtpdoctor-proxy
SOCKS_OPEN=127.0.0.5
SOCKS_LOGIN=127.0.0.6
SOCKS_PORT=1080
HTTP_PROXY_ADDRESS=127.0.0.7
HTTP_PROXY_PORT=8888
HTTP_ALLOWED_PORT=465
LISTENERS=("$SOCKS_OPEN:$SOCKS_PORT" "$SOCKS_LOGIN:$SOCKS_PORT" "$HTTP_PROXY_ADDRESS:$HTTP_PROXY_PORT")

say() { echo "proxies: $*"; }
die() { echo "proxies: $*" >&2; exit 1; }

need_root() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and adds a system user)"
}

# apt-get install dante-server and tinyproxy, without recommends and without starting them
# (a policy-rc.d that says no, unless the system has one already).
install_packages() {
    if command -v danted >/dev/null && command -v tinyproxy >/dev/null; then
        return
    fi
    command -v apt-get >/dev/null || die "apt-get not found: this script needs Debian or Ubuntu"
    say "installing dante-server and tinyproxy (apt-get) ..."
    local policy=/usr/sbin/policy-rc.d placed="" log="${TMPDIR:-/tmp}/smtpdoctor-proxies-apt.log"
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && placed=yes
    fi
    {
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            dante-server tinyproxy
    } >"$log" 2>&1 || { [ -n "$placed" ] && rm -f "$policy"; tail -20 "$log" >&2; die "apt-get failed"; }
    [ -n "$placed" ] && rm -f "$policy"
    return 0
}

# The system user Dante's "username" method checks (PAM-less: Dante reads /etc/shadow), with
# a password made once and kept in proxies.json.
make_proxy_user() {
    id -u "$PROXY_USER" >/dev/null 2>&1 \
        || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PROXY_USER"
    local password
    if [ -f "$STATE/password" ]; then
        password=$(cat "$STATE/password")
    else
        password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
        (umask 077 && printf '%s' "$password" >"$STATE/password")
    fi
    echo "$PROXY_USER:$password" | chpasswd
}

write_dante_config() {
    local address=$1 method=$2 name=$3
    cat >"$STATE/$name.conf" <<EOF
# Written by integration/proxies.sh: Dante on $address, SOCKS5 method "$method".
logoutput: $STATE/$name.log
internal: $address port = $SOCKS_PORT
external: $address
clientmethod: none
socksmethod: $method
user.privileged: root
user.unprivileged: nobody
client pass {
    from: 127.0.0.0/8 to: 0.0.0.0/0
}
socks pass {
    from: 127.0.0.0/8 to: 127.0.0.0/8
    command: connect
}
socks block {
    from: 0.0.0.0/0 to: 0.0.0.0/0
}
EOF
}

write_tinyproxy_config() {
    cat >"$STATE/tinyproxy.conf" <<EOF
# Written by integration/proxies.sh: an HTTP proxy whose CONNECT reaches port $HTTP_ALLOWED_PORT only.
User nobody
Group nogroup
Listen $HTTP_PROXY_ADDRESS
Port $HTTP_PROXY_PORT
Bind $HTTP_PROXY_ADDRESS
Timeout 30
MaxClients 20
LogFile "$STATE/tinyproxy.log"
LogLevel Info
PidFile "$STATE/tinyproxy.pid"
Allow 127.0.0.0/8
ConnectPort $HTTP_ALLOWED_PORT
DisableViaHeader Yes
EOF
    touch "$STATE/tinyproxy.log" "$STATE/tinyproxy.pid"
    chown nobody:nogroup "$STATE/tinyproxy.log" "$STATE/tinyproxy.pid"
}

write_info() {
    local password
    password=$(cat "$STATE/password")
    (umask 077 && cat >"$STATE/proxies.json" <<EOF
{
  "socks5": {"url": "socks5://$SOCKS_OPEN:$SOCKS_PORT", "address": "$SOCKS_OPEN"},
  "socks5_login": {
    "url": "socks5://$PROXY_USER@$SOCKS_LOGIN:$SOCKS_PORT",
    "address": "$SOCKS_LOGIN",
    "password": "$password"
  },
  "http": {
    "url": "http://$HTTP_PROXY_ADDRESS:$HTTP_PROXY_PORT",
    "address": "$HTTP_PROXY_ADDRESS",
    "allowed_port": $HTTP_ALLOWED_PORT
  }
}
EOF
)
}

running() {
    local pidfile=$1
    [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

stop_one() {
    local pidfile=$1
    if running "$pidfile"; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        local tries=0
        while running "$pidfile" && [ "$tries" -lt 50 ]; do
            sleep 0.1
            tries=$((tries + 1))
        done
    fi
    rm -f "$pidfile"
}

listening() {
    local address=${1%:*} port=${1##*:}
    (exec 3<>"/dev/tcp/$address/$port") 2>/dev/null
}

wait_for_listeners() {
    local listener tries
    for listener in "${LISTENERS[@]}"; do
        tries=0
        until listening "$listener"; do
            tries=$((tries + 1))
            [ "$tries" -lt 100 ] || die "nothing listens on $listener after 20 s; see $STATE/*.log"
            sleep 0.2
        done
    done
}

start() {
    need_root
    install_packages
    mkdir -p "$STATE"
    chmod 755 "$STATE"
    make_proxy_user
    write_dante_config "$SOCKS_OPEN" none socks5-open
    write_dante_config "$SOCKS_LOGIN" username socks5-login
    write_tinyproxy_config
    write_info
    # Restarted on every start, so that a changed configuration is in force. Daemons get log
    # files, never our stdout/stderr (a daemon holding a pipe makes a piped caller wait).
    local name
    for name in socks5-open socks5-login; do
        stop_one "$STATE/$name.pid"
        danted -D -f "$STATE/$name.conf" -p "$STATE/$name.pid" \
            >>"$STATE/$name.log" 2>&1 </dev/null || die "danted ($name) did not start: see $STATE/$name.log"
    done
    stop_one "$STATE/tinyproxy.pid"
    touch "$STATE/tinyproxy.pid" && chown nobody:nogroup "$STATE/tinyproxy.pid"
    tinyproxy -c "$STATE/tinyproxy.conf" >>"$STATE/tinyproxy.log" 2>&1 </dev/null \
        || die "tinyproxy did not start: see $STATE/tinyproxy.log"
    wait_for_listeners
    info
}

stop() {
    need_root
    local name
    for name in socks5-open socks5-login tinyproxy; do
        stop_one "$STATE/$name.pid"
    done
    say "stopped"
}

status() {
    local listener down=0
    for listener in "${LISTENERS[@]}"; do
        if listening "$listener"; then
            say "$listener listening"
        else
            say "$listener DOWN"
            down=1
        fi
    done
    return "$down"
}

info() {
    say "running (state in $STATE)"
    say "  socks5://$SOCKS_OPEN:$SOCKS_PORT  Dante, no authentication"
    say "  socks5://$PROXY_USER@$SOCKS_LOGIN:$SOCKS_PORT  Dante, user name and password (in $STATE/proxies.json, root only)"
    say "  http://$HTTP_PROXY_ADDRESS:$HTTP_PROXY_PORT  tinyproxy, CONNECT to port $HTTP_ALLOWED_PORT only"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
