"""The public API is exactly what ``__all__`` lists: a change to it is deliberate."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

import smtpdoctor
import smtpdoctor.api

PUBLIC = [
    "AuthMechanism",
    "Check",
    "CheckContext",
    "CheckResult",
    "ConfigError",
    "Credentials",
    "DetailValue",
    "Doctor",
    "Endpoint",
    "ExitCode",
    "Hint",
    "MailboxCheck",
    "NameServer",
    "Observer",
    "Outcome",
    "Plan",
    "Purpose",
    "RegisterCheck",
    "Report",
    "Request",
    "RunConfig",
    "Secret",
    "SecretSources",
    "Stash",
    "StashKey",
    "Status",
    "TLSMode",
    "TestMessage",
    "__version__",
    "diagnose",
    "hookimpl",
    "reply_outcome",
]

API = [
    "Doctor",
    "Failure",
    "MailboxCheck",
    "Observer",
    "Plan",
    "PoolLimits",
    "PoolMember",
    "PoolReport",
    "Purpose",
    "Request",
    "SecretSources",
    "TestMessage",
    "diagnose",
    "failure_of",
    "parse_options",
    "plan",
    "read_password",
    "with_port",
]


def test_smtpdoctor_exports_exactly_the_public_names() -> None:
    assert smtpdoctor.__all__ == PUBLIC
    assert dir(smtpdoctor) == sorted(PUBLIC)


def test_smtpdoctor_api_exports_exactly_its_names() -> None:
    assert smtpdoctor.api.__all__ == API


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(smtpdoctor, name)

    assert value is not None
    assert name in dir(smtpdoctor)


def test_an_unknown_name_is_an_attribute_error_that_names_it() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nonexistent'"):
        _ = smtpdoctor.Nonexistent


def test_importing_smtpdoctor_loads_neither_ssl_nor_the_engine() -> None:
    """The names are loaded on first use: ``smtpdoctor --help`` must not pay for them."""
    code = (
        "import sys, smtpdoctor\n"
        "print(sorted(m for m in ('ssl', 'cryptography', 'pluggy', 'smtpdoctor.api',"
        " 'smtpdoctor.core.runner') if m in sys.modules))\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert shown.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("smtpdoctor.config", "RunConfig", "smtpdoctor.settings.config"),
        ("smtpdoctor.config", "TLSMode", "smtpdoctor.model.words"),
        ("smtpdoctor.config", "Secret", "smtpdoctor.model.credentials"),
        ("smtpdoctor.results", "DetailValue", "smtpdoctor.model.results"),
        ("smtpdoctor.results", "ExitCode", "smtpdoctor.model.words"),
        ("smtpdoctor.check", "Check", "smtpdoctor.core.check"),
        ("smtpdoctor.hookspecs", "hookimpl", "smtpdoctor.core.hookspecs"),
    ],
)
def test_a_moved_module_still_works_for_one_release_and_says_where_to_go(
    old: str, name: str, new: str
) -> None:
    module = importlib.import_module(old)

    with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} moved: .*{new}"):
        value = getattr(module, name)

    assert value is getattr(importlib.import_module(new), name)


def test_a_renamed_name_still_works_for_one_release_and_says_its_new_name() -> None:
    module = importlib.import_module("smtpdoctor.config")

    with pytest.warns(DeprecationWarning, match="smtpdoctor.model.words.Endpoint"):
        probe = module.Probe(2525, smtpdoctor.TLSMode.STARTTLS)

    assert probe == smtpdoctor.Endpoint(2525, smtpdoctor.TLSMode.STARTTLS)


def test_a_moved_module_does_not_invent_names() -> None:
    module = importlib.import_module("smtpdoctor.config")

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warning for a name that is not there
        with pytest.raises(AttributeError, match="no attribute 'Nope'"):
            _ = module.Nope
