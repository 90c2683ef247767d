#!/usr/bin/env bash
# A throwaway Postfix + Dovecot on 127.0.0.1, for smtpdoctor's integration tests and benchmarks.
#
#   integration/mailserver.sh start    install (first time), configure, start; print what runs
#   integration/mailserver.sh stop     stop both
#   integration/mailserver.sh status   say what listens; exit 0 only when everything does
#
# Needs root and apt-get (Debian); no systemd. Idempotent: `start` on a running server
# reconfigures and reloads it. Nothing leaves this machine: Postfix's only transport off the
# box is `error:`. State lives in $SMTPDOCTOR_MAILSERVER_DIR
# (default /var/lib/smtpdoctor-mailserver); see integration/README.md.
# `start` also installs prometheus (promtool) and chromium, which other integration tests drive.
#
# Ports on 127.0.0.1: SMTP 25, submission 587, submissions 465, IMAP 143, IMAPS 993, and two
# misconfigured smtpd services for the tests of what smtpdoctor must catch:
#   10025  an OPEN RELAY for every IPv4 client, no AUTH: mynetworks = 0.0.0.0/0 with
#          smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination (Postfix
#          refuses a bare `permit` there); what it relays bounces through the `error:`
#          transports, so nothing leaves
#   10026  a SLOW GREETING: smtpd_client_restrictions = sleep 6 with smtpd_delay_reject = no,
#          so the 220 comes after 6 s (a tarpit)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
STATE=${SMTPDOCTOR_MAILSERVER_DIR:-/var/lib/smtpdoctor-mailserver}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
VMAIL=smtpdoctor-vmail
DOVECOT_CONF=$STATE/dovecot.conf
DOVECOT_RUN=/run/smtpdoctor-dovecot
OPEN_RELAY_PORT=10025
SLOW_GREETING_PORT=10026
PORTS=(25 465 587 143 993 "$OPEN_RELAY_PORT" "$SLOW_GREETING_PORT")
NOTHING_LEAVES="error:this test server delivers nothing off this machine"

say() { echo "mailserver: $*"; }
die() { echo "mailserver: $*" >&2; exit 1; }

need_root() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and binds ports 25, 143, 465, 587, 993)"
}

install_packages() {
    if command -v postfix >/dev/null && command -v dovecot >/dev/null \
        && [ -x /usr/lib/dovecot/imap ]; then
        return
    fi
    say "installing postfix and dovecot (apt-get) ..."
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    echo "postfix postfix/mailname string mail.smtpdoctor.test" | debconf-set-selections
    apt_install postfix dovecot-core dovecot-imapd
}

# What the integration tests run besides the mail server: Prometheus and promtool
# (tests/integration/test_prometheus.py), headless Chromium (serve's status page test).
install_test_tools() {
    if command -v prometheus >/dev/null && command -v promtool >/dev/null \
        && command -v chromium >/dev/null; then
        return
    fi
    say "installing prometheus and chromium (apt-get) ..."
    apt_install prometheus chromium fonts-liberation
}

# apt-get install PACKAGES, without recommends, and without starting their daemons.
apt_install() {
    command -v apt-get >/dev/null || die "apt-get not found: this script needs Debian or Ubuntu"
    # Keep the packages from starting their daemons with the stock configuration.
    local policy=/usr/sbin/policy-rc.d placed=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && placed=yes
    fi
    {
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
    } >"${TMPDIR:-/tmp}/smtpdoctor-mailserver-apt.log" 2>&1 \
        || { [ -n "$placed" ] && rm -f "$policy"; tail -20 "${TMPDIR:-/tmp}/smtpdoctor-mailserver-apt.log" >&2; die "apt-get failed"; }
    [ -n "$placed" ] && rm -f "$policy"
    return 0
}

make_vmail_user() {
    id -u "$VMAIL" >/dev/null 2>&1 \
        || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$VMAIL"
}

configure_postfix() {
    local uid=$1 gid=$2
    [ -f /etc/postfix/main.cf ] || touch /etc/postfix/main.cf
    postconf -e \
        "compatibility_level = 3.6" \
        "myhostname = mail.smtpdoctor.test" \
        "mydomain = smtpdoctor.test" \
        "myorigin = \$myhostname" \
        "mydestination = localhost" \
        "inet_interfaces = 127.0.0.1" \
        "inet_protocols = ipv4" \
        "mynetworks = 127.0.0.1/32" \
        "smtpd_relay_restrictions = reject_unauth_destination" \
        "default_transport = $NOTHING_LEAVES" \
        "relay_transport = $NOTHING_LEAVES" \
        "smtp_dns_support_level = disabled" \
        "smtpd_peername_lookup = no" \
        "alias_maps =" "alias_database =" \
        "biff = no" "append_dot_mydomain = no" \
        "virtual_mailbox_domains = smtpdoctor.test" \
        "virtual_mailbox_base = $STATE/mail" \
        "virtual_mailbox_maps = texthash:$STATE/postfix/vmailbox" \
        "virtual_uid_maps = static:$uid" \
        "virtual_gid_maps = static:$gid" \
        "virtual_minimum_uid = $uid" \
        "smtpd_sender_login_maps = texthash:$STATE/postfix/senders" \
        "smtpd_tls_cert_file = $STATE/tls/server.pem" \
        "smtpd_tls_key_file = $STATE/tls/server.key" \
        "smtpd_tls_security_level = may" \
        "smtpd_sasl_type = dovecot" \
        "smtpd_sasl_path = private/auth" \
        "smtpd_sasl_auth_enable = no" \
        "maillog_file = $STATE/log/postfix.log"
    postconf -M "submission/inet=submission inet n - n - - smtpd"
    postconf -M "smtps/inet=smtps inet n - n - - smtpd"
    postconf -M "postlog/unix-dgram=postlog unix-dgram n - n - 1 postlogd"
    local service
    for service in submission smtps; do
        postconf -P \
            "$service/inet/syslog_name=postfix/$service" \
            "$service/inet/smtpd_sasl_auth_enable=yes" \
            "$service/inet/smtpd_tls_auth_only=yes" \
            "$service/inet/smtpd_client_restrictions=permit_sasl_authenticated,reject" \
            "$service/inet/smtpd_sender_restrictions=reject_sender_login_mismatch" \
            "$service/inet/smtpd_relay_restrictions=reject_unauth_destination"
    done
    postconf -P "submission/inet/smtpd_tls_security_level=encrypt" \
        "smtps/inet/smtpd_tls_wrappermode=yes"
    configure_misconfigured_services
    postconf -F '*/*/chroot = n'
    postfix check >>"$STATE/log/postfix.log" 2>&1 || die "postfix check failed: see $STATE/log/postfix.log"
}

# Two smtpd services that are wrong on purpose, each on its own loopback port.
configure_misconfigured_services() {
    local relay="127.0.0.1:$OPEN_RELAY_PORT" slow="127.0.0.1:$SLOW_GREETING_PORT"
    postconf -M "$relay/inet=$relay inet n - n - - smtpd" \
        "$slow/inet=$slow inet n - n - - smtpd"
    # An open relay: any client, any recipient, no login (relayed mail bounces via error:).
    # The classic mistake, a mynetworks that holds everyone: Postfix will not start an smtpd
    # whose relay restrictions lack reject_unauth_destination (or the like), so no bare permit.
    # smtpd_reject_unlisted_recipient = no, or RCPT to a domain whose transport is error: is
    # refused as an unknown user (550 5.1.1) and the relay would never show.
    postconf -P \
        "$relay/inet/syslog_name=postfix/openrelay" \
        "$relay/inet/smtpd_sasl_auth_enable=no" \
        "$relay/inet/mynetworks=0.0.0.0/0" \
        "$relay/inet/smtpd_relay_restrictions=permit_mynetworks,reject_unauth_destination" \
        "$relay/inet/smtpd_reject_unlisted_recipient=no"
    # A tarpit: the restriction runs at connect time (smtpd_delay_reject = no), before the 220;
    # "sleep,6" is "sleep 6" in a master.cf -o value, which cannot hold a space.
    postconf -P \
        "$slow/inet/syslog_name=postfix/slowgreeting" \
        "$slow/inet/smtpd_delay_reject=no" \
        "$slow/inet/smtpd_client_restrictions=sleep,6"
}

configure_dovecot() {
    local uid=$1 gid=$2
    chown root:dovecot "$STATE/dovecot-users"
    cat >"$DOVECOT_CONF" <<EOF
# Written by integration/mailserver.sh; a throwaway IMAP server on 127.0.0.1.
protocols = imap
listen = 127.0.0.1
base_dir = $DOVECOT_RUN
state_dir = $STATE/dovecot-state
log_path = $STATE/log/dovecot.log
ssl = required
ssl_cert = <$STATE/tls/server.pem
ssl_key = <$STATE/tls/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
# No penalty for wrong passwords: the tests try one on purpose.
auth_failure_delay = 0
mail_location = maildir:$STATE/mail/%d/%n
first_valid_uid = $uid
first_valid_gid = $gid
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $STATE/dovecot-users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$STATE/mail/%d/%n
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Junk {
    special_use = \\Junk
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 143
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = 993
    ssl = yes
  }
}
service auth {
  unix_listener /var/spool/postfix/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
    mkdir -p /var/spool/postfix/private
}

dovecot_running() {
    [ -f "$DOVECOT_RUN/master.pid" ] && kill -0 "$(cat "$DOVECOT_RUN/master.pid")" 2>/dev/null
}

wait_for_ports() {
    local port tries
    for port in "${PORTS[@]}"; do
        tries=0
        until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
            tries=$((tries + 1))
            [ "$tries" -lt 100 ] || die "nothing listens on 127.0.0.1:$port after 20 s; see $STATE/log/"
            sleep 0.2
        done
    done
}

start() {
    need_root
    install_packages
    install_test_tools
    make_vmail_user
    local uid gid
    uid=$(id -u "$VMAIL")
    gid=$(id -g "$VMAIL")
    [ -x "$PYTHON" ] || die "no Python with smtpdoctor at $PYTHON (make the venv first, or set PYTHON)"
    mkdir -p "$STATE"
    chmod 755 "$STATE"
    "$PYTHON" "$HERE/prepare.py" "$STATE" "$uid" "$gid"
    configure_postfix "$uid" "$gid"
    configure_dovecot "$uid" "$gid"
    # Daemons get log files, never our stdout/stderr: a daemon holding a pipe makes a piped
    # caller (CI, `make integration | tee`) wait forever.
    if postfix status >/dev/null 2>&1; then
        postfix reload >>"$STATE/log/postfix.log" 2>&1 </dev/null
    else
        postfix start >>"$STATE/log/postfix.log" 2>&1 </dev/null
    fi
    if dovecot_running; then
        dovecot -c "$DOVECOT_CONF" reload >>"$STATE/log/dovecot.log" 2>&1 </dev/null
    else
        dovecot -c "$DOVECOT_CONF" >>"$STATE/log/dovecot.log" 2>&1 </dev/null
    fi
    wait_for_ports
    info
}

stop() {
    need_root
    if command -v postfix >/dev/null && postfix status >/dev/null 2>&1; then
        postfix stop >/dev/null 2>&1 </dev/null || true
    fi
    if dovecot_running; then
        dovecot -c "$DOVECOT_CONF" stop >/dev/null 2>&1 </dev/null || true
    fi
    say "stopped"
}

status() {
    local port down=0
    for port in "${PORTS[@]}"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            say "127.0.0.1:$port listening"
        else
            say "127.0.0.1:$port DOWN"
            down=1
        fi
    done
    return "$down"
}

info() {
    say "running on 127.0.0.1 (state in $STATE)"
    say "  SMTP 25 (STARTTLS offered, no AUTH), submission 587 (STARTTLS + AUTH), submissions 465 (implicit TLS + AUTH)"
    say "  IMAP 143 (STARTTLS), IMAPS 993"
    say "  misconfigured on purpose: $OPEN_RELAY_PORT an open relay (no AUTH), $SLOW_GREETING_PORT a greeting delayed 6 s"
    say "  CA certificate: $STATE/tls/ca.pem"
    say "  users: alice@smtpdoctor.test, bob@smtpdoctor.test (passwords: $STATE/users.json, root only)"
    say "  everything as JSON: $STATE/mailserver.json; logs: $STATE/log/"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
