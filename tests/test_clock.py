"""The one time budget (`siting.models.Clock`)."""

from __future__ import annotations

import time

import pytest

from siting.models import Clock, ModelInputError


def test_a_clock_without_a_limit_never_runs_out() -> None:
    clock = Clock(None)
    assert clock.remaining() is None
    assert clock.remaining(0.5) is None
    assert not clock.expired
    assert clock.part(0.3).remaining() is None


def test_remaining_shares_what_is_left() -> None:
    clock = Clock(100.0)
    left = clock.remaining()
    assert left is not None
    assert 99.0 < left <= 100.0
    half = clock.remaining(0.5)
    assert half is not None
    assert 49.0 < half <= 50.0
    part = clock.part(0.25)
    assert part.limit is not None
    assert 24.0 < part.limit <= 25.0


def test_a_spent_clock_keeps_a_floor_for_the_solver_and_says_it_ran_out() -> None:
    clock = Clock(1e-3)
    time.sleep(0.01)
    assert clock.expired
    assert clock.remaining() == pytest.approx(1e-3)
    assert clock.seconds >= 0.01
    assert clock.part(0.5).limit == pytest.approx(1e-3)


def test_a_part_with_a_floor_gets_the_floor_when_less_is_left() -> None:
    spent = Clock(1e-3)
    time.sleep(0.01)
    assert spent.part(0.5, at_least=2.0).limit == pytest.approx(2.0)
    roomy = Clock(100.0).part(0.5, at_least=2.0)
    assert roomy.limit is not None
    assert 49.0 < roomy.limit <= 50.0
    assert Clock(None).part(0.5, at_least=2.0).limit is None


@pytest.mark.parametrize("limit", [0.0, -1.0, float("nan"), float("inf")])
def test_a_limit_that_is_not_a_positive_number_is_refused(limit: float) -> None:
    with pytest.raises(ModelInputError, match="time_limit"):
        Clock(limit)
