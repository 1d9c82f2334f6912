"""Service details are reused by a warm function for a while, per region."""

from __future__ import annotations

from vpce_guard.collect import ServiceDetailsCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_fresh_answer_is_reused() -> None:
    cache = ServiceDetailsCache(max_age=60, clock=Clock())
    cache.put("us-east-1", {"ServiceDetails": []})

    assert cache.get("us-east-1") == {"ServiceDetails": []}


def test_an_answer_older_than_the_max_age_is_asked_again() -> None:
    clock = Clock()
    cache = ServiceDetailsCache(max_age=60, clock=clock)
    cache.put("us-east-1", {"ServiceDetails": []})
    clock.now = 61

    assert cache.get("us-east-1") is None


def test_answers_are_kept_per_region() -> None:
    cache = ServiceDetailsCache(max_age=60, clock=Clock())
    cache.put("us-east-1", {"ServiceDetails": []})

    assert cache.get("eu-west-1") is None
