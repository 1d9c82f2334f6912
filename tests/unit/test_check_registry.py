"""The registry of checks: the stable ids the README lists, one module per check, named for its id."""

from __future__ import annotations

import importlib

import pytest

from vpce_guard.checks import CHECKS, select_checks

DESIGN_CHECK_IDS = [
    "private-dns-disabled", "vpc-dns-disabled", "policy-any-principal", "policy-wildcard-action",
    "policy-foreign-principal", "az-coverage", "sg-https-blocked", "sg-open-to-world",
    "gateway-route-coverage", "missing-baseline-endpoint", "policy-any-resource",
    "nacl-blocks-https",
    "s3-interface-bypasses-gateway", "interface-where-gateway-serves",
    "endpoint-idle",
]  # fmt: skip


def test_the_design_checks_are_registered_in_order() -> None:
    assert list(CHECKS) == DESIGN_CHECK_IDS


@pytest.mark.parametrize("check_id", DESIGN_CHECK_IDS)
def test_each_check_lives_in_the_module_named_for_its_id(check_id: str) -> None:
    module = importlib.import_module(f"vpce_guard.checks.{check_id.replace('-', '_')}")

    assert module.CHECK is CHECKS[check_id]


@pytest.mark.parametrize("check_id", DESIGN_CHECK_IDS)
def test_each_check_lists_its_scenarios_in_its_docstring(check_id: str) -> None:
    module = importlib.import_module(f"vpce_guard.checks.{check_id.replace('-', '_')}")

    assert module.__doc__ is not None
    assert module.__doc__.startswith(f"{check_id}:")
    assert "Scenarios:" in module.__doc__


def test_selecting_checks_keeps_the_order_given() -> None:
    assert [check.id for check in select_checks(["sg-open-to-world", "az-coverage"])] == [
        "sg-open-to-world",
        "az-coverage",
    ]


def test_selecting_an_unknown_check_names_it() -> None:
    with pytest.raises(ValueError, match="unknown check id"):
        select_checks(["no-such-check"])
