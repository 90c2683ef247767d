"""Proven authentication: DKIM, SPF and DMARC of the delivered test message, checked here and
set beside what the receiving side recorded.

Given the message as it came out of the mailbox, :func:`evaluate`

* verifies every ``DKIM-Signature`` (at most :data:`~.authresults.MAX_SIGNATURES`) with
  dkimpy, fetching each key through the run's one resolver
  (:class:`~smtpdoctor.mailauth.dns.DomainDNS`, so ``--dns-server``, ``--timeout`` and the
  deadline hold) and saying why a signature does not verify: the body hash (the body
  changed: recomputed here with dkimpy's canonicalisation, not read from its error text), the
  signature (a signed header changed), the key missing, revoked, broken or too small; a
  signature this installation cannot verify (Ed25519 without PyNaCl) is undecided, never a
  failure;
* evaluates SPF (RFC 7208 ``check_host``, :mod:`smtpdoctor.mailauth.spf`) for the address the
  receiving side recorded as the client, with the run's envelope sender;
* evaluates DMARC (RFC 7489, :mod:`smtpdoctor.mailauth.dmarc`) for the From domain: it passes
  when a DKIM pass or an SPF pass is aligned with it, and a failure says which of three it is
  (:class:`DMARCFailure`): nothing aligned, an aligned signature that did not verify, or an
  aligned SPF domain that did not pass;
* compares the three verdicts with the receiver's ``Authentication-Results`` (the topmost
  whose authserv-id is of the receiving side, see :func:`~.authresults.read_delivered`;
  :func:`compare`): the two sides disagree when exactly one of them says ``pass``.

No verdict is ever an exception: what could not be checked is a ``temperror`` or
``permerror`` with the reason in words.
"""

from __future__ import annotations

import base64
import enum
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smtpdoctor.delivery.authresults import (
    AuthenticationResults,
    ConnectingClient,
    DeliveredHeaders,
    SignatureTags,
    read_delivered,
)

if TYPE_CHECKING:
    from smtpdoctor.mailauth.dmarc import DMARCRecord
    from smtpdoctor.mailauth.dns import DomainDNS
    from smtpdoctor.net.resolver import DNSFailure

__all__ = [
    "BODY_CHANGED",
    "METHODS",
    "DMARCFailure",
    "DMARCVerdict",
    "Disagreement",
    "Evaluation",
    "SPFVerdict",
    "SignatureVerdict",
    "compare",
    "evaluate",
    "evaluate_dmarc",
    "evaluate_spf",
    "key_to_check",
    "verify_signature",
]

#: The methods compared with the receiving side, in the order they are reported.
METHODS = ("dkim", "spf", "dmarc")
#: Results that say the check could not be finished: they agree or disagree with nothing.
_UNDECIDED = frozenset({"temperror"})
_LONGEST_REASON = 240
#: One label of a name a key is asked at: 1 to 63 visible ASCII characters but the dot.
_LABEL = re.compile(r"[!-\-/-~]{1,63}")
#: Why an Ed25519 signature is undecided when PyNaCl, which dkimpy verifies them with, is gone.
NACL_MISSING = "cannot verify ed25519 here (PyNaCl missing)"
#: Why a signature fails whose body hashes otherwise than its ``bh=`` says.
BODY_CHANGED = "the body hash does not match: the body was changed after it was signed"


@dataclass(frozen=True, slots=True)
class SignatureVerdict:
    """One DKIM signature, verified: ``pass``, ``fail``, ``permerror`` or ``temperror``."""

    tags: SignatureTags
    result: str
    reason: str = ""
    """Why it did not pass, in words (empty for a pass)."""
    key: str = ""
    """The key record in words (``rsa 2048 bits``), when one was found."""
    verifiable: bool = True
    """False when this installation cannot verify such a signature at all (Ed25519 without
    PyNaCl): its ``temperror`` is ours, not the DNS's."""

    def __str__(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        key = f" [key: {self.key}]" if self.key else ""
        return f"{self.tags}: {self.result}{why}{key}"


@dataclass(frozen=True, slots=True)
class SPFVerdict:
    """SPF for the connecting address the receiving side recorded."""

    result: str
    """``pass``, ``fail``, ``softfail``, ``neutral``, ``none``, ``temperror``, ``permerror``,
    or ``not-evaluated`` when the message records no address to evaluate."""
    domain: str
    """The MAIL FROM domain evaluated."""
    client: ConnectingClient | None
    explanation: str = ""
    mechanism: str | None = None
    """The term that decided (``ip4:192.0.2.0/24``), when one did."""

    def __str__(self) -> str:
        where = f" for {self.client.ip}" if self.client is not None else ""
        return f"spf={self.result} ({self.domain}{where})"


class DMARCFailure(enum.StrEnum):
    """Why DMARC fails: what the From domain is missing for a pass."""

    NOT_ALIGNED = "not-aligned"
    """No DKIM signature's ``d=`` and not the SPF (MAIL FROM) domain is aligned with From."""
    ALIGNED_DKIM_FAILED = "aligned-dkim-failed"
    """A signature's ``d=`` is aligned with From, but it did not verify here (whatever SPF
    did)."""
    ALIGNED_SPF_FAILED = "aligned-spf-failed"
    """No signature is aligned; the SPF domain is, but SPF did not pass."""


@dataclass(frozen=True, slots=True)
class DMARCVerdict:
    """DMARC for the From domain: ``pass``, ``fail``, ``none`` (no record), ``temperror``,
    ``permerror`` (no usable From, or a broken record)."""

    result: str
    from_domain: str | None
    policy: str = ""
    """The policy that applies (``none``, ``quarantine``, ``reject``); empty without one."""
    record: str = ""
    """The DMARC record's text, where one applies."""
    aligned_by: tuple[str, ...] = ()
    """What passed aligned: ``dkim d=example.com``, ``spf example.com``."""
    explanation: str = ""
    failure: DMARCFailure | None = None
    """Why a ``fail`` fails; None for any other result."""

    @property
    def enforced(self) -> bool:
        """Whether receivers that follow the policy quarantine or reject a failing message."""
        return self.policy in ("quarantine", "reject")


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A method on which our verdict and the receiving side's differ (one of them passes)."""

    method: str
    ours: str
    theirs: str
    algorithms: tuple[str, ...] = ()
    """For ``dkim``: the ``a=`` of the signatures that passed here."""
    body_changed: bool = False
    """For ``dkim`` the receiver passes: a signature failed here because the body hashes
    otherwise than it was signed — so it changed after the receiver checked it."""

    def __str__(self) -> str:
        return f"{self.method}: smtpdoctor found {self.ours}, the receiver {self.theirs}"

    @property
    def likely_cause(self) -> str:
        """What usually makes the two sides differ on this method, in words (what does, when
        :attr:`body_changed` tells).  smtpdoctor refuses RSA keys under 1024 bits and rsa-sha1
        itself, so neither is the cause of a pass here and a failure there."""
        if self.body_changed:
            return (
                "the body was changed after the receiver checked it: its hash no longer matches "
                "the signature's (a footer or disclaimer added on the way to the mailbox)"
            )
        if self.method == "dkim" and self.ours == "pass":
            if self.algorithms and set(self.algorithms) == {"ed25519-sha256"}:
                return "the receiver does not verify ed25519-sha256 signatures (RFC 8463)"
            return (
                "the receiver fetched another key (a key rotated, a DNS change not seen "
                "everywhere, a DNS view it does not share)"
            )
        if self.method == "dkim":
            return (
                "the message was changed after the receiver checked it (a footer, a header), "
                "or it is signed with rsa-sha1, which smtpdoctor refuses (RFC 8301) and some "
                "receivers still accept"
            )
        if self.method == "spf":
            return "the receiver evaluated another client address, or sees other DNS records"
        return "DMARC follows DKIM and SPF: see where they differ"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything :func:`evaluate` found about one delivered message."""

    headers: DeliveredHeaders
    signatures: tuple[SignatureVerdict, ...]
    spf: SPFVerdict
    dmarc: DMARCVerdict
    disagreements: tuple[Disagreement, ...]

    @property
    def dkim(self) -> str:
        """The DKIM verdict of the message: ``pass`` when any signature verifies, ``none``
        without signatures, else the first of ``temperror``, ``fail``, ``permerror`` found."""
        results = {verdict.result for verdict in self.signatures}
        if not results:
            return "none"
        for result in ("pass", "temperror", "fail"):
            if result in results:
                return result
        return "permerror"

    @property
    def selectors(self) -> tuple[str, ...]:
        """Each signature's ``d=`` and ``s=`` as ``domain:selector``, once each."""
        return tuple(
            dict.fromkeys(f"{sig.tags.domain}:{sig.tags.selector}" for sig in self.signatures)
        )

    def ours(self, method: str) -> str:
        """Our verdict on ``method`` (one of :data:`METHODS`)."""
        return {"dkim": self.dkim, "spf": self.spf.result, "dmarc": self.dmarc.result}[method]

    def line(self) -> str:
        """``dkim=pass spf=pass dmarc=pass``."""
        return " ".join(f"{method}={self.ours(method)}" for method in METHODS)

    @property
    def unverifiable(self) -> tuple[SignatureVerdict, ...]:
        """The signatures this installation cannot verify at all (Ed25519 without PyNaCl)."""
        return tuple(verdict for verdict in self.signatures if not verdict.verifiable)

    def dns_failures(self) -> tuple[str, ...]:
        """Why each DNS question that decided nothing failed, in words: a key look-up, SPF,
        the DMARC record (a DMARC ``temperror`` that only follows an undecided DKIM or SPF
        is not one)."""
        reasons = [
            verdict.reason
            for verdict in self.signatures
            if verdict.result == "temperror" and verdict.verifiable
        ]
        if self.spf.result == "temperror":
            reasons.append(self.spf.explanation)
        if self.dmarc.result == "temperror" and not self.dmarc.record:
            reasons.append(self.dmarc.explanation)
        return tuple(reason or "no reason given" for reason in reasons)


def evaluate(
    message: bytes, *, dns: DomainDNS, sender: str, receiving: Iterable[str] = ()
) -> Evaluation:
    """Verify the DKIM signatures of ``message``, evaluate SPF for its recorded client with the
    envelope ``sender`` and DMARC for its From domain, and compare with the receiving side's
    ``Authentication-Results`` — the receiving side named by ``receiving`` (the IMAP host,
    the recipient's domain).  Every DNS question goes to ``dns``."""
    headers = read_delivered(message, receiving)
    signatures = tuple(
        verify_signature(message, index, tags, dns) for index, tags in enumerate(headers.signatures)
    )
    spf = evaluate_spf(dns, headers.client, sender)
    dmarc = evaluate_dmarc(dns, headers, signatures, spf)
    partial = Evaluation(headers, signatures, spf, dmarc, ())
    return Evaluation(headers, signatures, spf, dmarc, compare(partial, headers.receiver))


def compare(ours: Evaluation, receiver: AuthenticationResults | None) -> tuple[Disagreement, ...]:
    """The methods on which exactly one side says ``pass``.  A method the receiver did not
    record, or that either side could not finish (``temperror``), is not compared."""
    if receiver is None:
        return ()
    found: list[Disagreement] = []
    for method in METHODS:
        theirs = receiver.verdict(method)
        mine = ours.ours(method)
        if theirs is None or mine == "not-evaluated" or {mine, theirs} & _UNDECIDED:
            continue
        if (mine == "pass") != (theirs == "pass"):
            algorithms = tuple(
                dict.fromkeys(
                    verdict.tags.algorithm
                    for verdict in ours.signatures
                    if verdict.result == "pass"
                )
            )
            if method != "dkim":
                found.append(Disagreement(method, mine, theirs))
                continue
            body_changed = mine != "pass" and any(
                verdict.reason == BODY_CHANGED for verdict in ours.signatures
            )
            found.append(Disagreement(method, mine, theirs, algorithms, body_changed))
    return tuple(found)


def key_to_check(tags: SignatureTags) -> tuple[str, str] | None:
    """``(domain, selector)`` of a signature's key, fit to be put in a command
    (``smtpdoctor domain DOMAIN --dkim-selector SELECTOR``): ``d=`` a domain name of two
    labels or more (as IDNA 2008 A-labels), ``s=`` a DKIM selector; None when either is not —
    they come from the message, and hostile text is never suggested as a command."""
    import idna

    from smtpdoctor.mailauth.dkim import DKIMKeyError, check_selector

    try:
        selector = check_selector(tags.selector)
        domain = idna.encode(tags.domain, uts46=True).decode("ascii")
    except (DKIMKeyError, idna.IDNAError, UnicodeError):
        return None
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(0 < len(label) < 64 for label in labels):
        return None
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        return domain, selector
    return None


# -- DKIM -----------------------------------------------------------------------------------------


class _KeyLookup:
    """dkimpy's ``dnsfunc``: the key's TXT record through the run's resolver, remembered."""

    def __init__(self, dns: DomainDNS) -> None:
        self._dns = dns
        self.name = ""
        self.failure = ""
        """The DNS failure in words, when the look-up failed."""
        self.kind: DNSFailure | None = None
        """How the look-up failed, when it did."""
        self.text: str | None = None

    def __call__(self, name: bytes, timeout: float = 5.0) -> bytes | None:
        from smtpdoctor.net.resolver import DNSFailure

        # the run's resolver has its own timeout and the deadline: dkimpy's is not used
        self.name = name.decode("ascii", errors="replace").rstrip(".")[:300]
        asked = _key_name(name)
        if asked is None:  # the message's d= and s=: not worth a question, never will be
            self.failure = "not a valid DNS name"
            self.kind = DNSFailure.INVALID
            return None
        answer, texts = self._dns.txt(asked)
        if not answer.found:
            self.failure = answer.explanation
            self.kind = answer.failure
            return None
        keys = [text for text in texts if "p=" in text] or list(texts)
        if not keys:
            self.failure = "it has no TXT record"
            return None
        self.text = keys[0]
        return keys[0].encode("utf-8")


def _key_name(raw: bytes) -> str | None:
    """``SELECTOR._domainkey.DOMAIN`` as dkimpy built it from ``s=`` and ``d=``, as the name to
    ask (a UTF-8 label of RFC 8616 as its IDNA A-label); None when it is not a DNS name."""
    import idna

    try:
        labels = raw.decode("utf-8").removesuffix(".").split(".")
        ascii_labels = [
            label if label.isascii() else idna.encode(label, uts46=True).decode("ascii")
            for label in labels
        ]
    except (UnicodeError, idna.IDNAError):
        return None
    name = ".".join(ascii_labels)
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in ascii_labels):
        return None
    return name


def verify_signature(
    message: bytes, index: int, tags: SignatureTags, dns: DomainDNS
) -> SignatureVerdict:
    """Verify the ``index``-th ``DKIM-Signature`` of ``message`` (whose tags are ``tags``),
    asking ``dns`` for the key."""
    import dkim  # type: ignore[import-untyped]  # dkimpy ships no type information

    lookup = _KeyLookup(dns)
    verifier: Any = None
    try:
        verifier = dkim.DKIM(message, minkey=1024)  # parses the message: may raise as well
        verified = bool(verifier.verify(idx=index, dnsfunc=lookup))
    except dkim.ValidationError as exc:
        # raised before the key look-up for a malformed or expired signature, after it for a
        # body that hashes differently: which one, is decided from the body, not the words
        if lookup.text is not None and _body_changed(verifier):
            return SignatureVerdict(
                tags,
                "fail",
                BODY_CHANGED,
                _describe_key(lookup.text),
            )
        return SignatureVerdict(tags, "permerror", f"the signature is invalid: {_words(exc)}")
    except dkim.NaClNotFoundError:  # an Ed25519 key, and PyNaCl could not be imported
        return SignatureVerdict(
            tags, "temperror", NACL_MISSING, _describe_key(lookup.text), verifiable=False
        )
    except dkim.KeyFormatError as exc:  # raised for a key below minkey
        return SignatureVerdict(
            tags, "permerror", f"the key is unusable: {_words(exc)}", _describe_key(lookup.text)
        )
    except dkim.DKIMException as exc:
        return SignatureVerdict(tags, "permerror", f"it cannot be verified: {_words(exc)}")
    except Exception as exc:  # noqa: BLE001 - hostile input must not break the verifier's caller
        return SignatureVerdict(
            tags, "permerror", f"the verifier failed on it ({type(exc).__name__}: {_words(exc)})"
        )
    if verified and tags.algorithm.lower() == "rsa-sha1":
        return SignatureVerdict(
            tags,
            "fail",
            "it is signed with rsa-sha1, which verifiers must not accept (RFC 8301 §3.1): "
            "sign with rsa-sha256",
            _describe_key(lookup.text),
        )
    if verified:
        return SignatureVerdict(tags, "pass", key=_describe_key(lookup.text))
    return _why_not(tags, lookup)


def _body_changed(verifier: Any) -> bool:
    """Whether the body of the message ``verifier`` (a ``dkim.DKIM`` that verified a signature)
    hashes differently from the signature's ``bh=``, computed with dkimpy's own
    canonicalisation and hash for the signature's ``c=``, ``a=`` and ``l=``; False when that
    cannot be told (a tag missing or malformed)."""
    from dkim.canonicalization import CanonicalizationPolicy  # type: ignore[import-untyped]
    from dkim.crypto import HASH_ALGORITHMS  # type: ignore[import-untyped]

    fields = getattr(verifier, "signature_fields", None)
    if not isinstance(fields, dict):
        return False
    try:
        policy = CanonicalizationPolicy.from_c_value(fields.get(b"c", b"simple/simple"))
        body = policy.canonicalize_body(verifier.body)
        if b"l" in fields:
            body = body[: int(fields[b"l"])]
        expected = base64.b64decode(re.sub(rb"\s+", b"", fields[b"bh"]), validate=True)
        digest: bytes = HASH_ALGORITHMS[fields[b"a"]](body).digest()
    except Exception:  # noqa: BLE001 - a tag dkimpy let through but we cannot use: not told
        return False
    return digest != expected


def _why_not(tags: SignatureTags, lookup: _KeyLookup) -> SignatureVerdict:
    """The verdict on a signature dkimpy did not verify and raised nothing about."""
    from smtpdoctor.mailauth.dkim import DKIMKeyError, parse_dkim_key
    from smtpdoctor.net.resolver import DNSFailure

    if not lookup.name:
        return SignatureVerdict(tags, "permerror", "the signature could not be read")
    if lookup.text is None:
        # only DNS saying "no such name" or "no TXT record" (or an answer without one) is
        # permanent; a timeout, SERVFAIL or any other error of the resolver is not
        if lookup.kind in (DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER, None):
            return SignatureVerdict(
                tags, "permerror", f"no key is published at {lookup.name[:100]}: {lookup.failure}"
            )
        if lookup.kind is DNSFailure.INVALID:  # d= and s= are the message's: so it stays
            return SignatureVerdict(
                tags,
                "permerror",
                f"its d= and s= do not make a DNS name to fetch the key from: {lookup.failure}",
            )
        return SignatureVerdict(
            tags, "temperror", f"the key could not be fetched: {lookup.failure}"
        )
    try:
        key = parse_dkim_key(lookup.text)
    except DKIMKeyError as exc:
        return SignatureVerdict(
            tags, "permerror", f"the key record at {lookup.name} is broken: {exc}"
        )
    if key.revoked:
        return SignatureVerdict(
            tags, "fail", f"the key at {lookup.name} is revoked (p= is empty)", "revoked"
        )
    if not key.for_email:
        return SignatureVerdict(
            tags,
            "permerror",
            f"the key at {lookup.name} is not for email (s=)",
            _describe_key(lookup.text),
        )
    return SignatureVerdict(
        tags,
        "fail",
        f"the signature does not verify with the key at {lookup.name}: a signed header was "
        "changed after signing, or the key is not the signer's",
        _describe_key(lookup.text),
    )


def _describe_key(text: str | None) -> str:
    """``rsa 2048 bits``, ``ed25519 256 bits, testing (t=y)``; empty without a usable key."""
    from smtpdoctor.mailauth.dkim import DKIMKeyError, parse_dkim_key

    if text is None:
        return ""
    try:
        key = parse_dkim_key(text)
    except DKIMKeyError:
        return ""
    if key.revoked:
        return "revoked"
    testing = ", testing (t=y)" if key.testing else ""
    return f"{key.key_type} {key.bits} bits{testing}"


def _words(exc: BaseException) -> str:
    """An exception's message on one line, bounded, bytes shown as text."""
    text = " ".join(str(exc).split()).replace("b'", "'")
    return text[:_LONGEST_REASON]


# -- SPF and DMARC --------------------------------------------------------------------------------


def evaluate_spf(dns: DomainDNS, client: ConnectingClient | None, sender: str) -> SPFVerdict:
    """SPF ``check_host()`` for the recorded client and the envelope ``sender``'s domain."""
    from smtpdoctor.mailauth.spf import check_host

    domain = sender.rpartition("@")[2].lower().rstrip(".")
    if client is None:
        return SPFVerdict(
            "not-evaluated",
            domain,
            None,
            "the message records no outside address it came from (no Authentication-Results "
            "client-ip, no Received-SPF, no Received header with a public address)",
        )
    result = check_host(dns, client.ip, domain, sender, helo=client.helo or domain)
    return SPFVerdict(str(result.verdict), domain, client, result.explanation, result.mechanism)


def evaluate_dmarc(
    dns: DomainDNS,
    headers: DeliveredHeaders,
    signatures: tuple[SignatureVerdict, ...],
    spf: SPFVerdict,
) -> DMARCVerdict:
    """DMARC for the From domain of ``headers``: a DKIM or SPF pass aligned with it passes."""
    from smtpdoctor.mailauth.dmarc import LookupProblem, aligned, lookup_dmarc

    author = headers.from_domain
    if author is None:
        return DMARCVerdict("permerror", None, explanation=headers.from_problem)
    lookup = lookup_dmarc(dns, author)
    record = lookup.record
    if record is None:
        result = {LookupProblem.DNS: "temperror", LookupProblem.NO_RECORD: "none"}.get(
            lookup.problem or LookupProblem.NO_RECORD, "permerror"
        )
        return DMARCVerdict(result, author, explanation=lookup.failure)
    by = [
        f"dkim d={verdict.tags.domain}"
        for verdict in signatures
        if verdict.result == "pass" and aligned(author, verdict.tags.domain, record.adkim)
    ]
    if spf.result == "pass" and aligned(author, spf.domain, record.aspf):
        by.append(f"spf {spf.domain}")
    base = DMARCVerdict(
        "pass", author, lookup.effective_policy, record.text, tuple(dict.fromkeys(by))
    )
    if by:
        return base
    failure, explanation = _why_dmarc_fails(author, record, signatures, spf)
    if spf.result == "temperror" or any(v.result == "temperror" for v in signatures):
        return DMARCVerdict("temperror", author, base.policy, record.text, (), explanation)
    return DMARCVerdict("fail", author, base.policy, record.text, (), explanation, failure)


def _why_dmarc_fails(
    author: str,
    record: DMARCRecord,
    signatures: tuple[SignatureVerdict, ...],
    spf: SPFVerdict,
) -> tuple[DMARCFailure, str]:
    """Which :class:`DMARCFailure` it is, and the explanation in words: what is aligned with
    ``author`` and did not pass, or what is not aligned."""
    from smtpdoctor.mailauth.dmarc import aligned

    failed_aligned = [v for v in signatures if aligned(author, v.tags.domain, record.adkim)]
    spf_aligned = aligned(author, spf.domain, record.aspf)
    if failed_aligned:
        dkim_said = "; ".join(
            f"the DKIM signature {v.tags} is aligned with {author} but did not verify here "
            f"({v.result}: {v.reason or 'no reason given'})"
            for v in failed_aligned
        )
    elif signatures:
        domains = ", ".join(
            dict.fromkeys(f"{v.tags.domain or '?'} ({v.result})" for v in signatures)
        )
        dkim_said = f"no DKIM signature is aligned with {author} (signed by {domains})"
    else:
        dkim_said = "the message carries no DKIM signature"
    if spf_aligned:
        spf_said = f"SPF for {spf.domain} is aligned with {author} but did not pass ({spf})"
    else:
        spf_said = f"the SPF domain {spf.domain} is not aligned with {author} ({spf})"
    if failed_aligned:
        failure = DMARCFailure.ALIGNED_DKIM_FAILED
    elif spf_aligned:
        failure = DMARCFailure.ALIGNED_SPF_FAILED
    else:
        failure = DMARCFailure.NOT_ALIGNED
    modes = f"adkim={record.adkim}, aspf={record.aspf}"
    return failure, f"{dkim_said}; {spf_said} ({modes})"
