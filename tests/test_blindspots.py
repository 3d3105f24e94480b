"""Blind-spot tables (设施盲区) on the small synthetic Kaifeng scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siting import Plan, PlanContext
from siting.report.blindspots import (
    LEVEL_COLUMNS,
    VALUE_COLUMNS,
    Level,
    blind_spot_tables,
    weighted_median,
)


@pytest.fixture(scope="module")
def tables(context: PlanContext) -> dict[Level, pd.DataFrame]:
    return blind_spot_tables(context)


def test_city_totals_match_the_plans_coverage_summary(
    tables: dict[Level, pd.DataFrame], plan: Plan
) -> None:
    totals = tables["district"].groupby("type")[
        ["residents", "outside_before", "outside_after"]].sum()
    for s in plan.type_summary:
        row = totals.loc[s.type]
        assert row["residents"] == pytest.approx(s.residents, abs=len(tables["district"]))
        assert row["outside_before"] == pytest.approx(s.residents - s.covered_before, abs=5)
        assert row["outside_after"] == pytest.approx(s.residents - s.covered_after, abs=5)


def test_levels_add_up(tables: dict[Level, pd.DataFrame]) -> None:
    counts = VALUE_COLUMNS[:6]
    by_district = tables["district"].groupby(["type", "district"])[counts].sum()
    for level in ("street", "community"):
        rolled = tables[level].groupby(["type", "district"])[counts].sum()
        assert (rolled - by_district).abs().to_numpy().max() <= len(tables[level])
    assert set(LEVEL_COLUMNS["community"]) <= set(tables["community"].columns)


def test_the_plan_never_lengthens_a_walk(
    tables: dict[Level, pd.DataFrame], context: PlanContext
) -> None:
    for level, frame in tables.items():
        assert (frame["outside_after"] <= frame["outside_before"]).all(), level
        assert (frame["outside_60_plus_after"] <= frame["outside_after"]).all(), level
        assert (frame["median_min_after"] <= frame["median_min_before"]).all(), level
        assert (frame["max_min_after"] <= frame["max_min_before"]).all(), level
        assert (frame["median_min_after"] <= frame["max_min_after"]).all(), level
    for t, rows in enumerate(context.rows):
        assert np.all(context.nearest_after_m[t][rows.point] <= rows.nearest_existing_m)


def test_covered_rows_are_within_the_threshold_after(context: PlanContext) -> None:
    covered = 0
    for t, rows in enumerate(context.rows):
        after = rows.existing | (context.solution.covered_phase[t] >= 0)
        metres = context.nearest_after_m[t][rows.point]
        assert np.all(metres[after] <= rows.threshold_m[after] + 1e-6), rows.key
        assert np.all(metres[~after] > rows.threshold_m[~after]), rows.key
        covered += int(after.sum())
    assert covered > 0


def test_weighted_median_takes_half_of_the_weight() -> None:
    group = np.array([0, 0, 0, 1, 1, 1])
    value = np.array([3.0, 1.0, 2.0, 5.0, 9.0, np.inf])
    weight = np.array([1.0, 1.0, 10.0, 5.0, 1.0, 1.0])
    assert weighted_median(group, value, weight, 3)[:2].tolist() == [2.0, 5.0]
    assert np.isnan(weighted_median(group, value, weight, 3)[2])
