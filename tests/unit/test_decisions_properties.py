"""The configuration boundary, by generated inputs: any text or document is either refused with a ConfigError
or read exactly as written; nothing is coerced, dropped or crashes."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vpce_guard.checks import CHECKS
from vpce_guard.decisions import ConfigError, GuardConfig, Mode

KEYS = ("dry_run", "change_budget", "trusted_accounts", "org_id", "baseline", "modes")
# Values of every TOML type, and the near misses people write: ids as numbers, digits as one string.
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["111122223333", "o-a1b2c3d4e5", "enforce", "ticket", "off", "s3", *CHECKS]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from([*CHECKS, "x"]), inner, max_size=3),
    max_leaves=8,
)
documents = st.dictionaries(st.sampled_from([*KEYS, "colour"]), values, max_size=6)


@settings(max_examples=300)
@given(documents)
def test_a_document_is_refused_or_read_exactly_as_written(document: dict[str, Any]) -> None:
    try:
        config = GuardConfig.from_document(document)
    except ConfigError:
        return  # refused, its first problem named: never read as something else
    assert set(document) <= set(KEYS)
    assert config.dry_run is document.get("dry_run", False)
    assert config.change_budget == document.get("change_budget", 10)
    assert config.settings.trusted_accounts == set(document.get("trusted_accounts", []))
    assert all(isinstance(account, str) and len(account) == 12 for account in config.settings.trusted_accounts)
    assert config.settings.org_ids == ({document["org_id"]} if "org_id" in document else set())
    assert dict(config.modes) == {check_id: Mode(mode) for check_id, mode in document.get("modes", {}).items()}


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_any_text_is_a_configuration_or_a_config_error(text: str) -> None:
    with contextlib.suppress(ConfigError):
        GuardConfig.from_toml(text)


@settings(max_examples=200)
@given(st.text(max_size=200), st.sampled_from(["", "o-a1b2c3d4e5"]))
def test_the_functions_configuration_never_fails_and_never_names_another_organization(
    text: str, organization_id: str
) -> None:
    config = GuardConfig.for_stack(text, "SSM parameter /p", organization_id)

    assert config.settings.org_ids == ({organization_id} if organization_id else set())
