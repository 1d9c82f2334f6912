"""A failed reading of an input into its declared types is one line naming the wrong field and what is wrong."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import pytest

from vpce_guard import identifiers
from vpce_guard.schemas import check_fields, problem


class Rule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    port: int

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not a TCP port")


class Group(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1)]
    rules: tuple[Rule, ...] = ()


def problem_of(data: Any, whole: str = "the group", under: str = "") -> str:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert(data, Group)
    return problem(raised.value, whole, under)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"name": ""}, "name: Expected `str` of length >= 1"),
        ({"name": "a", "rules": [{"port": 1}, {"port": "443"}]}, "rules[1].port: Expected `int`, got `str`"),
        ({"name": "a", "rules": [{"port": 70000}]}, "rules[0]: port 70000 is not a TCP port"),
        ({"name": "a", "colour": "red"}, "the group: Object contains unknown field `colour`"),
        ({}, "the group: Object missing required field `name`"),
        ([], "the group: Expected `object`, got `array`"),
    ],
)
def test_the_problem_names_the_path_of_the_wrong_field_and_what_is_wrong(data: Any, said: str) -> None:
    assert problem_of(data) == said


def test_a_path_below_an_outer_one_is_joined_to_it() -> None:
    assert problem_of({"name": "a", "rules": [{}]}, under="groups[3]") == (
        "groups[3].rules[0]: Object missing required field `port`"
    )
    assert problem_of({"name": 1}, under="groups[3]") == "groups[3].name: Expected `str`, got `int`"
    assert problem_of([], under="groups[3]") == "groups[3]: Expected `object`, got `array`"


def test_text_that_is_not_json_is_said_of_the_whole() -> None:
    with pytest.raises(msgspec.DecodeError) as raised:
        msgspec.json.decode(b'{"name": x}', type=Group)
    assert problem(raised.value, "the message") == "the message: JSON is malformed: invalid character (byte 9)"


class Place(msgspec.Struct, frozen=True):
    account_id: str
    region: str | None = None

    def __post_init__(self) -> None:
        check_fields(self, account_id=identifiers.account_id, region=identifiers.region)


def test_a_field_check_in_post_init_names_the_field_and_skips_a_field_left_out() -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert({"account_id": "123"}, Place)
    assert problem(raised.value, "the place") == (
        "the place: account_id '123' is not an AWS account id: an account id is exactly 12 digits"
    )
    assert msgspec.convert({"account_id": "111122223333"}, Place).region is None
    with pytest.raises(msgspec.ValidationError, match="region 'mars-1' is not a known AWS region"):
        msgspec.convert({"account_id": "111122223333", "region": "mars-1"}, Place)


def test_json_nested_deeper_than_the_stack_is_said_of_the_whole_or_below_the_outer_path() -> None:
    with pytest.raises(RecursionError) as raised:
        msgspec.json.decode(b"[" * 100_000 + b"]" * 100_000)
    assert problem(raised.value, "the message").startswith("the message: maximum recursion depth exceeded")
    assert problem(raised.value, "the message", "detail").startswith("detail: maximum recursion depth exceeded")
