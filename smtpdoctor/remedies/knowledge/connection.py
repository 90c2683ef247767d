"""Reaching the server and starting the conversation: DNS, TCP, the greeting and EHLO."""

from __future__ import annotations

from smtpdoctor.checks.tcp import CLOUD_BLOCKED
from smtpdoctor.discovery.environment import CLOUDS, blocked_port_hint
from smtpdoctor.model.results import Hint
from smtpdoctor.remedies.knowledge import servers
from smtpdoctor.remedies.matcher import Match, Remedy, Section, Tier

_PORTS = (
    "Mail clients submit on 587 (STARTTLS, --tls starttls) or on 465 (TLS from the first "
    "byte, --tls implicit)."
)

SECTIONS: tuple[Section, ...] = (
    Section(
        "Reaching the server (DNS and TCP)",
        (),
        (
            Remedy(
                Match(finding="tcp.dns-nxdomain"),
                Hint(
                    "The host name does not exist",
                    (
                        "Check the spelling of the server name in your app's settings.",
                        "Use the provider's submission host (e.g. smtp.gmail.com, "
                        "smtp.office365.com), not the mail domain or a web address.",
                    ),
                ),
                Tier.FINDING,
                "DNS answers NXDOMAIN for the host name",
            ),
            Remedy(
                Match(finding="tcp.dns-broken"),
                Hint(
                    "Your DNS resolves no names at all",
                    (
                        "This machine's resolver fails even for a name that always exists: it "
                        "is offline, behind a captive portal (open a web page to log in), or a "
                        "DNS filter blocks the look-up.",
                        "Try another resolver: --dns-server 1.1.1.1 (or 9.9.9.9).",
                        "Compare with the system: getent hosts NAME, and resolvectl status to "
                        "see which DNS servers are in use.",
                    ),
                ),
                Tier.FINDING,
                "NXDOMAIN for the host name and for a.root-servers.net too",
            ),
            Remedy(
                Match(finding="tcp.dns-no-address"),
                Hint(
                    "The name exists but has no address",
                    (
                        "It may be a mail domain rather than a server: use the provider's SMTP "
                        "host name.",
                    ),
                ),
                Tier.FINDING,
                "DNS has the name but no A or AAAA record",
            ),
            Remedy(
                Match(finding="tcp.dns-invalid"),
                Hint(
                    "That is not a valid host name",
                    ("Check for doubled dots, spaces or stray characters in the server name.",),
                ),
                Tier.FINDING,
                "a host name with an empty or over-long label",
            ),
            Remedy(
                Match(finding="tcp.dns-temporary"),
                Hint(
                    "Your DNS resolver did not answer",
                    ("Check this machine's network and /etc/resolv.conf, then try again.",),
                ),
                Tier.FINDING,
                "the resolver fails temporarily (SERVFAIL, EAI_AGAIN)",
            ),
            Remedy(
                Match(finding="tcp.refused"),
                Hint(
                    "Nothing listens on that port",
                    (
                        "Check the port. " + _PORTS,
                        "If you run the server: is it started, and listening on this address?",
                    ),
                ),
                Tier.FINDING,
                "connection refused (RST)",
            ),
            *(
                Remedy(
                    Match(finding=CLOUD_BLOCKED[cloud.id]),
                    blocked_port_hint(cloud.name, cloud.policies),
                    Tier.FINDING,
                    f"connecting to port {cloud.policies[0].port} times out on {cloud.name}",
                )
                for cloud in CLOUDS
                if cloud.id in CLOUD_BLOCKED
            ),
            Remedy(
                Match(finding="tcp.timeout-port-25"),
                Hint(
                    "Outgoing port 25 is probably blocked on your side",
                    (
                        "AWS EC2/Lambda, Google Cloud, most Azure subscriptions, DigitalOcean, "
                        "and many home ISPs block outgoing port 25.",
                        "Send through your provider's submission port instead: 587 (STARTTLS) "
                        "or 465 (implicit TLS), or 2525 where offered.",
                    ),
                ),
                Tier.FINDING,
                "connecting to port 25 times out",
            ),
            Remedy(
                Match(finding="tcp.timeout"),
                Hint(
                    "A firewall drops the connection",
                    (
                        "A timeout (not a refusal) means packets are silently dropped: by your "
                        "machine, your network, your cloud's security group, or the server's "
                        "firewall.",
                        "Try another port. " + _PORTS,
                    ),
                ),
                Tier.FINDING,
                "connecting times out",
            ),
            Remedy(
                Match(finding="tcp.unreachable"),
                Hint(
                    "The network cannot reach the server",
                    (
                        "A router on the way (or the server's own firewall, rejecting with "
                        "ICMP) answered that the host cannot be reached: the server may be "
                        "down, or its address wrong or out of date.",
                        "Check the address the name resolves to (getent hosts NAME) and the "
                        "path to it (traceroute, or tracert on Windows).",
                    ),
                ),
                Tier.FINDING,
                "no route to host (EHOSTUNREACH)",
            ),
            Remedy(
                Match(finding="tcp.no-network"),
                Hint(
                    "This machine is not connected to that network",
                    (
                        "The connection never left this machine: its system knows no route "
                        "to the server's address. It is offline (cable, Wi-Fi, a VPN that went "
                        "down) or has no default route: see ip route (Linux), netstat -rn "
                        "(macOS), route print (Windows).",
                        "If the address is IPv6 (or IPv4) and this machine has only the other "
                        "family, connect to an address of the family it has, or check its "
                        "IPv6 setup.",
                    ),
                ),
                Tier.FINDING,
                "network unreachable (ENETUNREACH), no usable source address",
            ),
            Remedy(
                Match(finding="tcp.no-address-in-family"),
                Hint(
                    "The name has no address of the IP version you asked for",
                    (
                        "-4 (--ipv4) connects over IPv4 only and -6 (--ipv6) over IPv6 only, "
                        "and --source-address over its own IP version only: leave the option "
                        "out, or give a source address of the family the name has.",
                        "Compare what the name publishes: dig +short A NAME and "
                        "dig +short AAAA NAME.",
                    ),
                ),
                Tier.FINDING,
                "-4 for a name with only AAAA records, or -6 for one with only A records",
            ),
            Remedy(
                Match(finding="tcp.family-broken"),
                Hint(
                    "One IP version to this server is broken",
                    (
                        "Clients that try that IP version first (most try IPv6 first) wait "
                        "for it to fail before they fall back, and those that have only it "
                        "cannot send at all.",
                        "Test this machine's route: ping -6 (or -4) a well-known host, and "
                        "ip -6 route (Linux); if only this server fails, its IPv6 (or IPv4) "
                        "listener or firewall is at fault: tell its administrator.",
                        "Until it is fixed, configure the client with the working address, "
                        "or check with -4 / -6 to see each family on its own.",
                    ),
                ),
                Tier.FINDING,
                "IPv6 (or IPv4) to the server fails while the other family connects",
            ),
            Remedy(
                Match(finding="tcp.source-address-unavailable"),
                Hint(
                    "The source address is not one of this machine's",
                    (
                        "--source-address must be an address configured on one of this "
                        "machine's interfaces: list them with ip -br addr (Linux), ifconfig "
                        "(macOS) or ipconfig (Windows).",
                        "Give one of those, or leave --source-address out to let the system "
                        "choose.",
                    ),
                ),
                Tier.FINDING,
                "--source-address names an address this machine does not have (EADDRNOTAVAIL)",
            ),
            Remedy(
                Match(finding="tcp.proxy-unreachable"),
                Hint(
                    "The proxy cannot be reached",
                    (
                        "Check the --proxy URL: host and port as your network's settings give "
                        "them (a browser's proxy settings, or a PAC file).",
                        "Is the proxy running and reachable from here? Try nc -vz HOST PORT, "
                        "and a VPN if the proxy is only inside the company network.",
                    ),
                ),
                Tier.FINDING,
                "--proxy names a port where nothing listens, or a host that does not resolve",
            ),
            Remedy(
                Match(finding="tcp.proxy-auth"),
                Hint(
                    "The proxy wants a login, or refused it",
                    (
                        "Name the proxy user in the URL (socks5://USER@HOST:PORT or "
                        "http://USER@HOST:PORT) and give its password in "
                        "$SMTPDOCTOR_PROXY_PASSWORD or --proxy-password-file.",
                        "Check the user name and password with whoever runs the proxy; some "
                        "proxies accept only a Kerberos/NTLM login, which smtpdoctor does not "
                        "speak.",
                    ),
                ),
                Tier.FINDING,
                "SOCKS5: no acceptable authentication method, or the login failed; HTTP 407",
            ),
            Remedy(
                Match(finding="tcp.proxy-refused"),
                Hint(
                    "The proxy does not allow this destination",
                    (
                        "The proxy allows only some ports (many only 443 and 80): ask for "
                        "587 (or 465, or 25) to the mail server to be allowed, or try "
                        "465/443-based submission if the provider offers it.",
                        "Without --port, smtpdoctor probes 587, 465, 25 and 2525 through the "
                        "proxy: the ports row shows which ones it lets through.",
                    ),
                ),
                Tier.FINDING,
                "SOCKS5 reply 0x02 (not allowed by ruleset) or 0x05; HTTP 403 to CONNECT",
            ),
            Remedy(
                Match(finding="tcp.proxy-destination-unreachable"),
                Hint(
                    "The proxy cannot reach the server",
                    (
                        "The proxy answered, but its own connection to the server failed: "
                        "check the host name and port, and whether the server is up.",
                        "If the server is outside, the proxy may have no route there: ask "
                        "whoever runs the proxy.",
                    ),
                ),
                Tier.FINDING,
                "SOCKS5 reply 0x03/0x04/0x06 (network or host unreachable, TTL); HTTP 502/504",
            ),
            Remedy(
                Match(finding="tcp.proxy-timeout"),
                Hint(
                    "The proxy did not answer in time",
                    (
                        "The proxy accepted the connection but did not finish its handshake: "
                        "it is overloaded, or its own connection to the server hangs (a "
                        "firewall dropping the proxy's packets to that port looks like this).",
                        "Try another port through the proxy, or raise --timeout to see "
                        "whether it answers at all.",
                    ),
                ),
                Tier.FINDING,
                "the proxy accepts TCP but never answers its handshake",
            ),
            Remedy(
                Match(finding="tcp.proxy-error"),
                Hint(
                    "The proxy failed",
                    (
                        "Check that --proxy names the right kind of proxy: socks5:// or "
                        "socks5h:// for SOCKS5, socks4:// for SOCKS4, http:// for an HTTP "
                        "proxy (CONNECT).",
                        "The proxy's own words are in the summary: whoever runs it can tell "
                        "what they mean.",
                    ),
                ),
                Tier.FINDING,
                "the proxy answered in another protocol, closed the connection, or failed",
            ),
        ),
    ),
    Section(
        "The greeting and EHLO",
        (),
        (
            Remedy(
                Match(finding="greeting.silent-implicit-tls-port"),
                Hint(
                    "This port expects TLS from the first byte",
                    ("Use --tls implicit (or port 587 with STARTTLS).",),
                ),
                Tier.FINDING,
                "no greeting on port 465 without --tls implicit",
            ),
            Remedy(
                Match(finding="greeting.silent"),
                Hint(
                    "The server accepted the connection but did not greet",
                    (
                        "If the port speaks implicit TLS, use --tls implicit.",
                        "Some servers delay the greeting on purpose for suspicious clients "
                        "(tarpitting); try a longer --timeout.",
                    ),
                ),
                Tier.FINDING,
                "connected, then silence",
            ),
            Remedy(
                Match(finding="greeting.delayed"),
                Hint(
                    "The server holds back its greeting (a tarpit)",
                    (
                        "A late 220 is usually deliberate, to wear out spam bots: a delay "
                        "before the greeting, for every client or for those the server does "
                        "not know yet.",
                        "Mail clients and apps give up: Nodemailer waits 30 s for the greeting, "
                        "monitoring checks such as check_smtp 10 s, smtpdoctor --timeout (10 s "
                        "by default). RFC 5321 asks clients to wait 5 minutes; many do not.",
                        "Keep the delay off the ports people and apps submit on (587, 465): "
                        "it belongs on port 25 only; exempt your own networks.",
                        "If nobody meant it: the server may wait for a reverse-DNS lookup of "
                        "this client's address, or be overloaded. --slow-greeting SECONDS sets "
                        "when smtpdoctor calls a greeting late.",
                    ),
                ),
                Tier.FINDING,
                "220 mail.example.com ESMTP after 6.0 s",
                servers.TARPITS,
            ),
            Remedy(
                Match(finding="greeting.other-protocol"),
                Hint("Another service runs on this port", ("Check the port number. " + _PORTS,)),
                Tier.FINDING,
                "SSH-2.0-OpenSSH_9.6 (or HTTP, POP3, IMAP, FTP) instead of 220",
            ),
            Remedy(
                Match(finding="greeting.busy"),
                Hint(
                    "The server is busy or limiting connections",
                    ("Retry later; if it persists, your IP may be rate-limited by the server.",),
                ),
                Tier.FINDING,
                "421 4.3.2 Service not available",
            ),
            Remedy(
                Match(finding="greeting.refused"),
                Hint(
                    "The server refuses this client's address",
                    (
                        "A 554 greeting usually means your IP is on a blocklist or not allowed "
                        "to connect; the reply text often says which list.",
                        "Send through your provider's submission server with authentication "
                        "instead.",
                    ),
                ),
                Tier.FINDING,
                "554 5.7.1 Service unavailable; client host blocked",
            ),
            Remedy(
                Match(finding="ehlo.rejected"),
                Hint(
                    "The server does not accept our introduction",
                    ("Try --helo-name with this machine's public, fully qualified host name.",),
                ),
                Tier.FINDING,
                "501 5.5.2 Helo command rejected: need fully-qualified hostname",
            ),
            Remedy(
                Match(finding="ehlo.helo-only"),
                Hint(
                    "The server speaks only old SMTP",
                    ("Without EHLO there is no STARTTLS and no AUTH: use another server or port.",),
                ),
                Tier.FINDING,
                "500 to EHLO, 250 to HELO",
            ),
        ),
    ),
)
