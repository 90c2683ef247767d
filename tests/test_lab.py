"""smtpdoctor.lab beyond what the demo and smtpdoctor.testing exercise: a CA that issues a
leaf per server, servers on an event loop of one's own, what the servers refuse, and the
PKI's old place."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl

import pytest
from cryptography import x509

from smtpdoctor.lab.pki import make_ca, make_pki
from smtpdoctor.lab.scripted import ScriptedServer
from smtpdoctor.lab.smtpserver import LocalSMTPServer
from smtpdoctor.model.words import TLSMode

TIMEOUT = 5.0
#: Two loopback addresses, as the benchmark's fleet uses them (all of 127/8 is loopback).
ADDRESSES = ("127.0.0.2", "127.0.0.3")


def _ehlo_name_and_certified_addresses(
    address: str, port: int, ca_pem: str
) -> tuple[bytes, list[str]]:
    """STARTTLS verified against ``ca_pem`` only, then EHLO: the name the server gives, and
    the IP addresses its certificate is for."""
    with smtplib.SMTP(address, port, timeout=TIMEOUT) as client:
        client.starttls(context=ssl.create_default_context(cadata=ca_pem))
        assert isinstance(client.sock, ssl.SSLSocket)
        der = client.sock.getpeercert(binary_form=True)
        _, ehlo = client.ehlo()
    assert der is not None
    names = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    return ehlo.splitlines()[0], [str(ip) for ip in names.value.get_values_for_type(x509.IPAddress)]


def test_one_loop_serves_many_servers_each_with_its_leaf_from_one_ca() -> None:
    ca = make_ca()

    async def serve_and_check() -> list[tuple[bytes, list[str]]]:
        running = []
        for address in ADDRESSES:
            server = LocalSMTPServer(
                pki=ca.issue(hostnames=(), ip_addresses=(address,)),
                hostname=f"mx-{address}",
            )
            running.append(await server.serve(socket.create_server((address, 0))))
        try:
            return [
                await asyncio.to_thread(
                    _ehlo_name_and_certified_addresses,
                    address,
                    listening.sockets[0].getsockname()[1],
                    ca.ca_pem,
                )
                for address, listening in zip(ADDRESSES, running, strict=True)
            ]
        finally:
            for listening in running:
                listening.close()
                await listening.wait_closed()

    seen = asyncio.run(serve_and_check())

    assert seen == [(b"mx-127.0.0.2", ["127.0.0.2"]), (b"mx-127.0.0.3", ["127.0.0.3"])]


def test_a_server_takes_a_tls_mode_or_its_value_but_not_auto() -> None:
    assert LocalSMTPServer(tls=TLSMode.NONE).tls is TLSMode.NONE
    assert LocalSMTPServer(tls="none").tls is TLSMode.NONE
    with pytest.raises(ValueError, match="tls must be one of starttls, implicit, none"):
        LocalSMTPServer(tls=TLSMode.AUTO)


def test_chosen_greeting_extensions_and_replies_and_the_command_log() -> None:
    server = LocalSMTPServer(
        tls="none",
        users={"alice": "s3cret"},
        auth_require_tls=False,
        greeting="220-mx.example.test\n220 welcome",
        extensions=["8BITMIME"],
        replies={"rcpt": "550 5.1.1 no such user"},
    )
    with server, smtplib.SMTP(timeout=TIMEOUT) as client:
        code, greeting = client.connect(server.host, server.port)
        ehlo = client.ehlo("client.test")
        client.login("alice", "s3cret")
        refused = client.docmd("RCPT", "TO:<x@example.test>")

    assert (code, greeting) == (220, b"mx.example.test\nwelcome")
    assert ehlo == (250, b"localhost\nAUTH PLAIN LOGIN\n8BITMIME")
    assert refused == (550, b"5.1.1 no such user")
    assert server.commands[0] == "EHLO client.test"
    assert server.commands[1].startswith("AUTH ")
    assert "s3cret" not in " ".join(server.commands)
    assert server.verbs[-2:] == ["RCPT", "QUIT"]


def test_a_script_step_that_means_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="not a script step: 'sleep'"):
        ScriptedServer([b"220 hi\r\n", "sleep"])


def test_the_pki_s_old_place_still_works_for_one_release_and_says_where_to_go() -> None:
    from smtpdoctor.demo import pki as old_place

    with pytest.warns(DeprecationWarning, match=r"is now smtpdoctor\.lab\.pki\.make_pki"):
        assert old_place.make_pki is make_pki
