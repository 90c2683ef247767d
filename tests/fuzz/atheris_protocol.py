"""Coverage-guided fuzzing of the sans-IO client with atheris (libFuzzer for Python).

pytest does not collect this file; it is for a long campaign, run once in a while::

    pip install 'smtpdoctor[fuzz]'
    python tests/fuzz/atheris_protocol.py -runs=2000000 -max_len=2048

The fuzzer's bytes are either a stream of server data in chunks (fed to the parser and
drained after each, as the session does), or a whole conversation: chunks of server data,
commands to send, replies to read, a TLS upgrade, in any order.  Anything but a
:class:`~smtpdoctor.protocol.ProtocolError` is a crash, and so is reply text a terminal would
obey or a parser holding more than its cap plus one chunk.
"""

from __future__ import annotations

import re
import sys

import atheris

with atheris.instrument_imports():
    from smtpdoctor.protocol import (
        Auth,
        AuthResponse,
        Command,
        Data,
        Ehlo,
        Helo,
        MailFrom,
        MessageContent,
        Noop,
        ProtocolError,
        Quit,
        RcptTo,
        Reply,
        ReplyParser,
        Rset,
        SMTPClient,
        StartTLS,
    )

LINE_CAP = 64
LINES_CAP = 6
CHUNK_CAP = 64
UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
COMMANDS: tuple[Command, ...] = (
    Ehlo("client.example"),
    Helo("client.example"),
    StartTLS(),
    Auth("PLAIN", "AGFsaWNlAHNlY3JldA=="),
    Auth("LOGIN"),
    AuthResponse("c2VjcmV0"),
    MailFrom("alice@example.com", ("SIZE=10",)),
    RcptTo("bob@example.org"),
    Data(),
    MessageContent(b"Subject: hi\r\n\r\n.hello\r\n"),
    Rset(),
    Noop(),
    Quit(),
)


def check_reply(reply: Reply | None) -> None:
    if reply is None:
        return
    if not 200 <= reply.code <= 599 or not 1 <= len(reply.lines) <= LINES_CAP:
        raise AssertionError(f"impossible reply {reply!r}")
    if any(UNSAFE.search(line) for line in reply.lines):
        raise AssertionError(f"unsafe text in {reply!r}")


def one_input(data: bytes) -> None:
    fuzzed = atheris.FuzzedDataProvider(data)
    if fuzzed.ConsumeBool():
        parse_stream(fuzzed)
    else:
        converse(fuzzed)


def parse_stream(fuzzed: atheris.FuzzedDataProvider) -> None:
    """Server bytes in chunks, drained after each: the parser alone, and its memory bound."""
    parser = ReplyParser(max_line_length=LINE_CAP, max_reply_lines=LINES_CAP)
    try:
        while fuzzed.remaining_bytes():
            parser.feed(fuzzed.ConsumeBytes(fuzzed.ConsumeIntInRange(0, CHUNK_CAP)))
            while (reply := parser.next_reply()) is not None:
                check_reply(reply)
    except ProtocolError:
        pass
    if parser.peak_buffered_bytes > LINE_CAP + 1 + CHUNK_CAP:
        raise AssertionError(f"buffered {parser.peak_buffered_bytes} bytes")


def converse(fuzzed: atheris.FuzzedDataProvider) -> None:
    """A whole conversation in any order: only protocol errors may come out of it."""
    client = SMTPClient(ReplyParser(max_line_length=LINE_CAP, max_reply_lines=LINES_CAP))
    while fuzzed.remaining_bytes():
        action = fuzzed.ConsumeIntInRange(0, 3)
        try:
            if action == 0:
                client.receive_data(fuzzed.ConsumeBytes(fuzzed.ConsumeIntInRange(0, CHUNK_CAP)))
                while (reply := client.next_reply()) is not None:
                    check_reply(reply)
            elif action == 1:
                command = COMMANDS[fuzzed.ConsumeIntInRange(0, len(COMMANDS) - 1)]
                if not client.send(command).endswith(b"\r\n"):
                    raise AssertionError(f"{command!r} without its CRLF")
            elif action == 2:
                check_reply(client.next_reply())
            else:
                client.tls_established()
        except ProtocolError:
            pass


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
