"""The shared identifier validators: account ids, organization ids and regions, refused with a reason."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpce_guard.identifiers import account_id, known_regions, org_id, region

SETTINGS = settings(max_examples=200)


def accepts(validator: Callable[[str], str], value: str) -> bool:
    """Whether the validator takes the value, returning it unchanged, rather than raising ValueError."""
    try:
        return validator(value) == value
    except ValueError:
        return False


@pytest.mark.parametrize("value", ["123456789012", "000000000001"])
def test_an_account_id_of_twelve_digits_is_accepted(value: str) -> None:
    assert account_id(value) == value


@pytest.mark.parametrize("value", ["abc", "12345", "1234567890123", " 123456789012", "12345678901٢", ""])
def test_anything_but_twelve_ascii_digits_is_not_an_account_id(value: str) -> None:
    with pytest.raises(ValueError, match="exactly 12 digits"):
        account_id(value)


def test_an_organization_id_is_o_and_ten_to_thirty_two_lowercase_letters_or_digits() -> None:
    assert org_id("o-a1b2c3d4e5") == "o-a1b2c3d4e5"


@pytest.mark.parametrize("value", ["foo", "o-abc", "o-ABCDEFGHIJ", "o-" + "a" * 33, "r-a1b2c3d4e5"])
def test_other_organization_ids_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not an organization id"):
        org_id(value)


@pytest.mark.parametrize("value", ["us-east-1", "eu-west-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1"])
def test_regions_of_the_aws_china_and_govcloud_partitions_are_known(value: str) -> None:
    assert region(value) == value


@pytest.mark.parametrize("value", ["not a region!", "us-east-99", "US-EAST-1", "", "us-iso-east-1"])
def test_other_regions_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not a known AWS region"):
        region(value)


@SETTINGS
@given(st.text())
def test_an_account_id_is_accepted_exactly_when_it_is_twelve_ascii_digits(value: str) -> None:
    valid = re.fullmatch(r"[0-9]{12}", value) is not None
    assert accepts(account_id, value) == valid


@SETTINGS
@given(st.one_of(st.text(), st.from_regex(r"o-[a-z0-9]{8,34}", fullmatch=True)))
def test_an_organization_id_is_accepted_exactly_when_it_has_the_api_form(value: str) -> None:
    valid = re.fullmatch(r"o-[a-z0-9]{10,32}", value) is not None
    assert accepts(org_id, value) == valid


@SETTINGS
@given(st.one_of(st.text(), st.sampled_from(sorted(known_regions()))))
def test_a_region_is_accepted_exactly_when_botocore_knows_it(value: str) -> None:
    assert accepts(region, value) == (value in known_regions())
