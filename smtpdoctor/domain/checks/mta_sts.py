"""``mta-sts``: does the domain publish an MTA-STS policy (RFC 8461), can senders fetch it,
and do its MX hosts meet it?

The TXT record at ``_mta-sts.DOMAIN`` announces a policy; the policy is fetched from
``https://mta-sts.DOMAIN/.well-known/mta-sts.txt`` as a sender would (certificate verified
for ``mta-sts.DOMAIN``, no redirect followed, ``text/plain``, at most 64 KiB, the host
resolved through the audit's DNS) and parsed; then every MX host must match one of its ``mx``
patterns and, as the ``smtp`` check's port-25 probes found, offer STARTTLS with a
certificate valid for its name.  In ``enforce`` mode a sender refuses to deliver to an MX
that does not; in ``testing`` mode it only reports, so the same problems are warnings.

Senders use the policy only when exactly one well-formed ``v=STSv1`` record announces it
(RFC 8461 §3.1).  With several, or a malformed one, the policy is still fetched and parsed,
so that its problems show, but what it would do is reported as information only.
"""

from __future__ import annotations

from collections.abc import Iterable

from smtpdoctor.core.check import StashKey
from smtpdoctor.core.hookspecs import hookimpl
from smtpdoctor.domain.check import DomainCheck, DomainContext, RegisterDomainCheck
from smtpdoctor.domain.checks.mx import routing_row, unknown_mx_set
from smtpdoctor.domain.facts import EXCHANGERS, PROBES, Exchanger, ExchangerProbe
from smtpdoctor.domain.https import (
    FailureKind,
    FetchOptions,
    HTTPSFailure,
    HTTPSResponse,
    fetch,
)
from smtpdoctor.domain.mtasts import (
    POLICY_PATH,
    Mode,
    ParsedPolicy,
    Policy,
    StsRecord,
    parse_policy,
    select_sts_record,
)
from smtpdoctor.domain.txtrecord import Selection
from smtpdoctor.mailauth.dns import DNSFailure
from smtpdoctor.model.domain import Finding
from smtpdoctor.model.quantities import plural
from smtpdoctor.model.results import DetailValue, Hint, Outcome, Status

#: Set when a valid policy was fetched: what the ``tls-rpt`` check (and others) build on.
MTA_STS_POLICY: StashKey[Policy] = StashKey("domain.mta-sts.policy")

#: The largest policy a sender reads (RFC 8461 §3.3).
MAX_POLICY_BYTES = 64 * 1024
#: Below this ``max_age`` (seconds) a policy protects little between fetches.
SHORT_MAX_AGE = 86_400

_RFC = "https://www.rfc-editor.org/rfc/rfc8461"
_RECORD_URL = f"{_RFC}#section-3.1"
_POLICY_URL = f"{_RFC}#section-3.2"
_FETCH_URL = f"{_RFC}#section-3.3"
_MATCH_URL = f"{_RFC}#section-4.1"
_VALIDATION_URL = f"{_RFC}#section-4.2"
_MODES_URL = f"{_RFC}#section-5"
_EXAMPLE_RECORD = '_mta-sts.example.com. TXT "v=STSv1; id=20240601T000000"'
_EXAMPLE_POLICY = "version: STSv1 / mode: testing / mx: mx1.example.com / max_age: 604800"

NONE = Finding(
    "mta-sts.none",
    Status.INFO,
    "No MTA-STS record: senders may deliver without TLS when an attacker strips STARTTLS",
    Hint(
        "Publish an MTA-STS policy so senders insist on TLS to your MX hosts",
        (
            "Serve the policy at https://mta-sts.<domain>/.well-known/mta-sts.txt as "
            f"text/plain, one 'key: value' per line: {_EXAMPLE_POLICY} (start in testing mode)",
            f"Publish the TXT record that announces it: {_EXAMPLE_RECORD}",
            "Publish a TLS-RPT record too, to hear about failures (see tls-rpt)",
        ),
        _RFC,
    ),
)
DNS_FAILED = Finding(
    "mta-sts.dns-failed",
    Status.WARN,
    "The MTA-STS record could not be read from DNS",
    Hint(
        "Make _mta-sts.<domain> answer",
        (
            "Ask your DNS servers directly: dig TXT _mta-sts.<domain>",
            "A sender that cannot read the record treats the domain as having no MTA-STS",
        ),
        _RECORD_URL,
    ),
)
RECORD_MULTIPLE = Finding(
    "mta-sts.record-multiple",
    Status.FAIL,
    "Several MTA-STS records: senders ignore them all",
    Hint(
        "Keep exactly one TXT record starting v=STSv1 at _mta-sts.<domain>",
        (
            "RFC 8461 §3.1: when there is not exactly one, senders act as if the domain had "
            "no MTA-STS",
            f"Delete the others, leaving one such as {_EXAMPLE_RECORD}",
        ),
        _RECORD_URL,
    ),
)
RECORD_INVALID = Finding(
    "mta-sts.record-invalid",
    Status.FAIL,
    "The MTA-STS record is malformed: senders ignore it",
    Hint(
        "Fix the TXT record at _mta-sts.<domain>",
        (
            "It must read v=STSv1; id=<1 to 32 letters and digits>; and nothing else but "
            "name=value fields",
            f"For example: {_EXAMPLE_RECORD}; change the id whenever the policy changes",
        ),
        _RECORD_URL,
    ),
)
RECORD = Finding("mta-sts.record", Status.PASS, "MTA-STS record published")

_FETCH_STEPS = (
    "Fetch it as a sender does: curl -v --max-redirs 0 "
    "https://mta-sts.<domain>/.well-known/mta-sts.txt",
    "A sender that cannot fetch the policy delivers as if the domain had no MTA-STS",
)
POLICY_UNREACHABLE = Finding(
    "mta-sts.policy-unreachable",
    Status.FAIL,
    "The MTA-STS policy cannot be fetched",
    Hint(
        "Serve the policy over HTTPS at mta-sts.<domain>",
        (
            "mta-sts.<domain> needs an A or AAAA record (or a CNAME to your web host) and "
            "a web server on port 443 that answers HTTPS",
            *_FETCH_STEPS,
        ),
        _FETCH_URL,
    ),
)
POLICY_CERTIFICATE = Finding(
    "mta-sts.policy-certificate",
    Status.FAIL,
    "The policy host's certificate is not valid for mta-sts.<domain>",
    Hint(
        "Give mta-sts.<domain> a certificate from a public CA that names it",
        (
            "Senders verify it like a browser: trusted CA, not expired, and mta-sts.<domain> "
            "among its names (a certificate for the web site alone does not do)",
            "Let's Encrypt issues one for free: certbot certonly -d mta-sts.<domain>",
        ),
        _FETCH_URL,
    ),
)
POLICY_REDIRECT = Finding(
    "mta-sts.policy-redirect",
    Status.FAIL,
    "The policy URL redirects: senders do not follow redirects",
    Hint(
        "Serve the policy at its own URL with status 200",
        (
            "RFC 8461 §3.3: HTTP 3xx redirects must not be followed",
            "Serve /.well-known/mta-sts.txt directly on mta-sts.<domain> (no redirect to "
            "www or to another path)",
        ),
        _FETCH_URL,
    ),
)
POLICY_STATUS = Finding(
    "mta-sts.policy-status",
    Status.FAIL,
    "The policy URL does not answer 200 OK",
    Hint(
        "Serve /.well-known/mta-sts.txt with status 200",
        ("Check the path and the web server's virtual host for mta-sts.<domain>", *_FETCH_STEPS),
        _FETCH_URL,
    ),
)
POLICY_MALFORMED = Finding(
    "mta-sts.policy-malformed",
    Status.FAIL,
    "The policy host's answer is not valid HTTP/1.1",
    Hint(
        "Make mta-sts.<domain> answer plain HTTP/1.1 over TLS on port 443",
        (
            "Look at the raw answer: curl -v --http1.1 --max-redirs 0 "
            "https://mta-sts.<domain>/.well-known/mta-sts.txt",
            "Port 443 may be served by something other than a web server (a VPN, an SSH "
            "multiplexer), or a proxy may mangle the response or send oversized headers",
            "A sender that cannot read the response delivers as if the domain had no MTA-STS",
        ),
        _FETCH_URL,
    ),
)
POLICY_INTERRUPTED = Finding(
    "mta-sts.policy-interrupted",
    Status.FAIL,
    "The policy host did not finish its answer: it was too slow or closed the connection",
    Hint(
        "Make mta-sts.<domain> answer the policy promptly and completely",
        (
            "Senders give up after a short time-out; a static file served by the web server "
            "itself answers at once",
            "Check the web server's error log, and any load balancer or firewall in front "
            "of it that cuts or resets connections",
            *_FETCH_STEPS,
        ),
        _FETCH_URL,
    ),
)
POLICY_CONTENT_TYPE = Finding(
    "mta-sts.policy-content-type",
    Status.FAIL,
    "The policy is not served as text/plain",
    Hint(
        "Serve the policy with Content-Type: text/plain",
        (
            "Senders check the media type (RFC 8461 §3.3); nginx: default_type text/plain; "
            "Apache: ForceType text/plain",
        ),
        _FETCH_URL,
    ),
)
POLICY_TOO_BIG = Finding(
    "mta-sts.policy-too-big",
    Status.FAIL,
    "The policy is larger than 64 KiB: senders stop reading",
    Hint(
        "Serve the policy file itself, a few lines long",
        ("Check that the URL serves the policy and not a web page or another file",),
        _FETCH_URL,
    ),
)
POLICY_INVALID = Finding(
    "mta-sts.policy-invalid",
    Status.FAIL,
    "The MTA-STS policy is malformed: senders ignore it",
    Hint(
        "Fix the policy file",
        (
            f"One 'key: value' per line, keys in lower case: {_EXAMPLE_POLICY}",
            "version, mode and max_age exactly once; one mx line per MX host or *.domain "
            "pattern; max_age at most 31557600",
        ),
        _POLICY_URL,
    ),
)
ENFORCE = Finding("mta-sts.enforce", Status.PASS, "MTA-STS policy in enforce mode")
TESTING = Finding(
    "mta-sts.testing",
    Status.INFO,
    "MTA-STS policy in testing mode: failures are reported, not prevented",
    Hint(
        "Move to mode: enforce once TLS-RPT reports are clean",
        (
            "Read the TLS-RPT reports for a few weeks; when no sender reports failures, set "
            "mode: enforce in the policy and change the id in the _mta-sts TXT record",
        ),
        _MODES_URL,
    ),
)
MODE_NONE = Finding(
    "mta-sts.mode-none",
    Status.INFO,
    "MTA-STS policy in mode none: the policy is withdrawn",
    Hint(
        "Publish mode testing or enforce, or finish withdrawing MTA-STS",
        (
            "mode: none tells senders to forget a cached policy; after max_age seconds, "
            "delete the _mta-sts TXT record and the policy",
        ),
        _MODES_URL,
    ),
)
MAX_AGE_SHORT = Finding(
    "mta-sts.max-age-short",
    Status.WARN,
    "The policy's max_age is under a day: it protects little between fetches",
    Hint(
        "Raise max_age to weeks (604800 is one week, 31557600 the maximum)",
        (
            "Senders keep the policy max_age seconds; an attacker who blocks the fetch after "
            "it expires turns MTA-STS off for that sender",
        ),
        _POLICY_URL,
    ),
)

POLICY_UNUSED = Finding(
    "mta-sts.policy-unused",
    Status.INFO,
    "The policy would apply once the MTA-STS record is fixed: until then senders ignore it",
)
NOT_APPLICABLE = Finding(
    "mta-sts.not-applicable", Status.SKIP, "Not checked: the domain does not exist (NXDOMAIN)"
)
NULL_MX = Finding(
    "mta-sts.null-mx", Status.INFO, "Not applicable: the domain accepts no mail (null MX)"
)
MX_UNKNOWN = Finding("mta-sts.mx-unknown", Status.INFO, "The MX hosts to compare are unknown")
MX_COVERED = Finding("mta-sts.mx-covered", Status.PASS, "Every MX host matches the policy")
_COVER_HINT = Hint(
    "Add an mx line for the host to the policy (or remove the MX record)",
    (
        "One line per host, such as mx: mx1.example.com, or mx: *.example.com for every "
        "host one label below example.com",
        "Then change the id in the _mta-sts TXT record so senders fetch the policy again",
    ),
    _MATCH_URL,
)
MX_NOT_COVERED = Finding(
    "mta-sts.mx-not-covered",
    Status.FAIL,
    "An MX host is not in the enforced policy: senders refuse to deliver to it",
    _COVER_HINT,
)
TESTING_MX_NOT_COVERED = Finding(
    "mta-sts.testing-mx-not-covered",
    Status.WARN,
    "An MX host is not in the policy: enforce mode would refuse it",
    _COVER_HINT,
)
MX_TLS_NOT_PROBED = Finding(
    "mta-sts.mx-tls-not-probed",
    Status.INFO,
    "STARTTLS and certificates of the MX hosts not checked",
)
MX_TLS_OK = Finding(
    "mta-sts.mx-tls-ok",
    Status.PASS,
    "Every MX host offers STARTTLS with a certificate valid for its name",
)
_STARTTLS_HINT = Hint(
    "Offer STARTTLS on port 25 of every MX host",
    (
        "Postfix: smtpd_tls_security_level = may with smtpd_tls_chain_files set; Exim: "
        "tls_advertise_hosts = * with tls_certificate and tls_privatekey",
        "Check with: smtpdoctor check <mx host> --port 25",
    ),
    _VALIDATION_URL,
)
MX_NO_STARTTLS = Finding(
    "mta-sts.mx-no-starttls",
    Status.FAIL,
    "An MX host does not do STARTTLS: enforcing senders refuse to deliver to it",
    _STARTTLS_HINT,
)
TESTING_MX_NO_STARTTLS = Finding(
    "mta-sts.testing-mx-no-starttls",
    Status.WARN,
    "An MX host does not do STARTTLS: enforce mode would refuse it",
    _STARTTLS_HINT,
)
_CERTIFICATE_HINT = Hint(
    "Give every MX host a certificate from a public CA that names the MX host",
    (
        "Under MTA-STS the certificate must chain to a trusted root, be unexpired and name "
        "the MX host exactly as the MX record does (RFC 8461 §4.2)",
        "Send the intermediate certificates too; see the smtp section's certificate row",
    ),
    _VALIDATION_URL,
)
MX_CERTIFICATE_INVALID = Finding(
    "mta-sts.mx-certificate-invalid",
    Status.FAIL,
    "An MX host's certificate is not valid for it: enforcing senders refuse to deliver",
    _CERTIFICATE_HINT,
)
TESTING_MX_CERTIFICATE_INVALID = Finding(
    "mta-sts.testing-mx-certificate-invalid",
    Status.WARN,
    "An MX host's certificate is not valid for it: enforce mode would refuse it",
    _CERTIFICATE_HINT,
)

_FETCH_FINDINGS = {
    FailureKind.CERTIFICATE: POLICY_CERTIFICATE,
    FailureKind.REDIRECT: POLICY_REDIRECT,
    FailureKind.STATUS: POLICY_STATUS,
    FailureKind.CONTENT_TYPE: POLICY_CONTENT_TYPE,
    FailureKind.TOO_BIG: POLICY_TOO_BIG,
    FailureKind.PROTOCOL: POLICY_MALFORMED,
    FailureKind.TIMEOUT: POLICY_INTERRUPTED,
    FailureKind.CLOSED: POLICY_INTERRUPTED,
}


class MTASTS(DomainCheck):
    """The MTA-STS record, the policy it announces, and whether the MX hosts meet it."""

    id = "mta-sts"
    title = "MTA-STS"
    requires = ("mx", "smtp")
    findings = (
        NOT_APPLICABLE,
        NULL_MX,
        NONE,
        DNS_FAILED,
        RECORD_MULTIPLE,
        RECORD_INVALID,
        RECORD,
        POLICY_UNREACHABLE,
        POLICY_CERTIFICATE,
        POLICY_REDIRECT,
        POLICY_STATUS,
        POLICY_MALFORMED,
        POLICY_INTERRUPTED,
        POLICY_CONTENT_TYPE,
        POLICY_TOO_BIG,
        POLICY_INVALID,
        POLICY_UNUSED,
        ENFORCE,
        TESTING,
        MODE_NONE,
        MAX_AGE_SHORT,
        MX_UNKNOWN,
        MX_COVERED,
        MX_NOT_COVERED,
        TESTING_MX_NOT_COVERED,
        MX_TLS_NOT_PROBED,
        MX_TLS_OK,
        MX_NO_STARTTLS,
        TESTING_MX_NO_STARTTLS,
        MX_CERTIFICATE_INVALID,
        TESTING_MX_CERTIFICATE_INVALID,
    )

    def run(self, ctx: DomainContext) -> Iterable[Outcome]:
        instead = routing_row(ctx, no_domain=NOT_APPLICABLE, null_mx=NULL_MX)
        if instead is not None:
            return [instead]
        record_row, selection = self._record(ctx)
        if selection is None:
            return [record_row]
        fetched = self._fetch(ctx)
        if isinstance(fetched, HTTPSFailure):
            return [record_row, _fetch_failure(fetched)]
        parsed = parse_policy(fetched.body)
        policy = parsed.policy
        if policy is None:
            return [record_row, _invalid_policy_row(parsed, fetched)]
        exchangers = ctx.stash.get(EXCHANGERS)
        if selection.value is None:
            return [record_row, _unused_policy_row(parsed, policy, fetched, exchangers)]
        ctx.stash[MTA_STS_POLICY] = policy
        rows = [record_row, _policy_row(parsed, policy, fetched)]
        if policy.mode is not Mode.NONE and policy.max_age < SHORT_MAX_AGE:
            rows.append(
                MAX_AGE_SHORT.outcome(
                    f"max_age is {policy.max_age} s ({_duration(policy.max_age)}); RFC 8461 "
                    "suggests weeks",
                    {"max_age": policy.max_age},
                )
            )
        if policy.mode is Mode.NONE:
            return rows
        if not exchangers:
            why = unknown_mx_set(ctx) or "the mx check found none"
            return [*rows, MX_UNKNOWN.outcome(f"no MX host to compare with the policy: {why}")]
        rows += _coverage(policy, exchangers)
        rows += _tls(policy, exchangers, ctx.stash.get(PROBES))
        return rows

    def _record(self, ctx: DomainContext) -> tuple[Outcome, Selection[StsRecord] | None]:
        """The record's row, and what was found when some ``v=STSv1`` record was (``None``
        when there is none or DNS failed: then no policy is looked for)."""
        name = f"_mta-sts.{ctx.domain}"
        answer, texts = ctx.dns.txt(name)
        if answer.failure in (DNSFailure.NXDOMAIN, DNSFailure.NO_ANSWER):
            summary = f"no TXT record at {name}: {answer.explanation}"
            return NONE.outcome(summary, {"name": name}), None
        if answer.failure is not None:
            return (
                DNS_FAILED.outcome(
                    f"TXT {name} could not be read: {answer.explanation}", {"name": name}
                ),
                None,
            )
        selection = select_sts_record(texts)
        details: dict[str, DetailValue] = {"name": name, "records": selection.records[:8]}
        if not selection.records:
            details["other_records"] = texts[:8]
            summary = f"{name} has {plural(len(texts), 'TXT record')}, none starting v=STSv1"
            return NONE.outcome(summary, details), None
        if selection.multiple:
            shown = "; ".join(repr(record) for record in selection.records[:4])
            summary = (
                f"{name} has {len(selection.records)} records starting v=STSv1 ({shown}); "
                "senders need exactly one"
            )
            return RECORD_MULTIPLE.outcome(summary, details), selection
        if selection.value is None:
            summary = f"{name} {selection.records[0]!r}: {selection.error}"
            return RECORD_INVALID.outcome(summary, details), selection
        details["id"] = selection.value.id
        return RECORD.outcome(f"{name}: {selection.records[0]!r}", details), selection

    def _fetch(self, ctx: DomainContext) -> HTTPSResponse | HTTPSFailure:
        request = ctx.request
        options = FetchOptions(
            timeout=request.timeout,
            deadline_at=ctx.deadline_at,
            port=request.https_port,
            max_body=MAX_POLICY_BYTES,
            content_type="text/plain",
            ca_file=request.ca_file,
            family=request.family,
            source_address=request.source_address,
            resolve=ctx.dns.client.resolve_for_connect,
        )
        return fetch(f"mta-sts.{ctx.domain}", POLICY_PATH, options)


def _fetch_failure(failure: HTTPSFailure) -> Outcome:
    finding = _FETCH_FINDINGS.get(failure.kind, POLICY_UNREACHABLE)
    details: dict[str, DetailValue] = {
        "url": failure.url,
        "failure": failure.kind.value,
        "address": failure.peer,
    }
    if failure.status is not None:
        details["status"] = failure.status
    if failure.location is not None:
        details["location"] = failure.location
    if failure.content_type is not None:
        details["content_type"] = failure.content_type
    return finding.outcome(failure.explanation, details)


def _fetched_details(parsed: ParsedPolicy, fetched: HTTPSResponse) -> dict[str, DetailValue]:
    return {
        "url": fetched.url,
        "address": fetched.peer,
        "content_type": fetched.header("content-type"),
        "bytes": len(fetched.body),
        "chunked": fetched.chunked,
        "line_ending": parsed.line_ending,
        "ignored_keys": parsed.ignored[:16],
    }


def _invalid_policy_row(parsed: ParsedPolicy, fetched: HTTPSResponse) -> Outcome:
    details = _fetched_details(parsed, fetched)
    details["errors"] = parsed.errors[:16]
    return POLICY_INVALID.outcome(
        f"the policy at {fetched.url} is invalid: {'; '.join(parsed.errors[:4])}", details
    )


def _policy_details(
    parsed: ParsedPolicy, policy: Policy, fetched: HTTPSResponse
) -> tuple[str, dict[str, DetailValue]]:
    """The policy in words (``mode enforce, max_age …, mx …``) and the row's details."""
    details = _fetched_details(parsed, fetched)
    details.update({"mode": policy.mode.value, "max_age": policy.max_age, "mx": policy.mx[:32]})
    patterns = ", ".join(policy.mx[:8]) + (" …" if len(policy.mx) > 8 else "")
    words = f"mode {policy.mode}, max_age {policy.max_age} s ({_duration(policy.max_age)})" + (
        f", mx {patterns}" if policy.mx else ""
    )
    return words, details


def _policy_row(parsed: ParsedPolicy, policy: Policy, fetched: HTTPSResponse) -> Outcome:
    words, details = _policy_details(parsed, policy, fetched)
    finding = {Mode.ENFORCE: ENFORCE, Mode.TESTING: TESTING, Mode.NONE: MODE_NONE}[policy.mode]
    return finding.outcome(words, details)


def _unused_policy_row(
    parsed: ParsedPolicy,
    policy: Policy,
    fetched: HTTPSResponse,
    exchangers: tuple[Exchanger, ...] | None,
) -> Outcome:
    """The policy a broken record announces: what it would do, not what senders do."""
    words, details = _policy_details(parsed, policy, fetched)
    summary = f"the policy ({words}) would apply once the _mta-sts record is fixed"
    if policy.mode is not Mode.NONE and exchangers:
        outside = tuple(
            exchanger.host for exchanger in exchangers if policy.pattern_for(exchanger.host) is None
        )
        details["not_covered"] = outside
        summary += (
            f"; MX {', '.join(outside)} would not match its mx patterns"
            if outside
            else "; every MX host matches its mx patterns"
        )
    return POLICY_UNUSED.outcome(summary, details)


def _coverage(policy: Policy, exchangers: tuple[Exchanger, ...]) -> list[Outcome]:
    enforce = policy.mode is Mode.ENFORCE
    rows: list[Outcome] = []
    covered: list[str] = []
    for exchanger in exchangers:
        pattern = policy.pattern_for(exchanger.host)
        if pattern is not None:
            covered.append(f"{exchanger.host} ({pattern})")
            continue
        finding = MX_NOT_COVERED if enforce else TESTING_MX_NOT_COVERED
        consequence = (
            "senders that enforce the policy will not deliver to it"
            if enforce
            else "in enforce mode senders would not deliver to it"
        )
        rows.append(
            finding.outcome(
                f"MX {exchanger.host} matches none of the policy's mx patterns "
                f"({', '.join(policy.mx[:8])}): {consequence}",
                {"mx": exchanger.host, "patterns": policy.mx[:32]},
            )
        )
    if covered and not rows:
        rows.append(
            MX_COVERED.outcome(
                f"{plural(len(covered), 'MX host')} matched: {', '.join(covered)}",
                {"matched": tuple(covered)},
            )
        )
    return rows


def _tls(
    policy: Policy,
    exchangers: tuple[Exchanger, ...],
    probes: tuple[ExchangerProbe, ...] | None,
) -> list[Outcome]:
    if probes is None:
        return [
            MX_TLS_NOT_PROBED.outcome(
                "the MX hosts were not probed on port 25 (--no-smtp, or the smtp check did "
                "not run): STARTTLS and their certificates are unknown"
            )
        ]
    enforce = policy.mode is Mode.ENFORCE
    by_host = {probe.host: probe for probe in probes}
    rows: list[Outcome] = []
    good: list[str] = []
    unknown: list[str] = []
    for exchanger in exchangers:
        probe = by_host.get(exchanger.host)
        why = _not_known(probe)
        if probe is None or why:
            unknown.append(f"{exchanger.host}: {why}")
        elif not probe.starttls:
            finding = MX_NO_STARTTLS if enforce else TESTING_MX_NO_STARTTLS
            summary = (
                f"MX {exchanger.host}: STARTTLS was not offered, or its handshake failed "
                "(see the smtp section)"
            )
            rows.append(finding.outcome(summary, {"mx": exchanger.host}))
        elif not probe.certificate_valid:
            finding = MX_CERTIFICATE_INVALID if enforce else TESTING_MX_CERTIFICATE_INVALID
            problem = probe.certificate_problem or "the certificate is not valid for it"
            rows.append(finding.outcome(f"MX {exchanger.host}: {problem}", {"mx": exchanger.host}))
        else:
            good.append(exchanger.host)
    if unknown:
        rows.append(
            MX_TLS_NOT_PROBED.outcome(
                f"not known for {plural(len(unknown), 'MX host')}: {'; '.join(unknown)}",
                {"not_probed": tuple(unknown)},
            )
        )
    if good and not rows:
        rows.append(
            MX_TLS_OK.outcome(
                f"STARTTLS with a valid certificate on {', '.join(good)}", {"mx": tuple(good)}
            )
        )
    return rows


def _not_known(probe: ExchangerProbe | None) -> str:
    """Why ``probe`` cannot tell whether its MX meets the policy's TLS requirements (from
    the verdict the ``smtp`` check wrote into it), or ``""`` when it can."""
    if probe is None:
        return "not probed"
    if probe.not_probed:
        return probe.not_probed
    if probe.starttls is None:
        return probe.certificate_problem or "the probe did not get as far as STARTTLS"
    if probe.starttls and probe.certificate_valid is None:
        return probe.certificate_problem or "the certificate was not checked"
    return ""


def _duration(seconds: int) -> str:
    """``604800`` → ``7 days``; under a day, hours or minutes."""
    if seconds >= 86_400:
        return plural(seconds // 86_400, "day")
    if seconds >= 3600:
        return plural(seconds // 3600, "hour")
    return plural(seconds // 60, "minute")


@hookimpl
def smtpdoctor_register_domain_checks(register: RegisterDomainCheck) -> None:
    """Register the ``mta-sts`` domain check."""
    register(MTASTS)
