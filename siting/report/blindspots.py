"""Facility blind spots (设施盲区): who lives beyond a facility type's walking threshold.

Per facility type and administrative unit (community, street office or district) the tables give
the residents the type serves and those aged 60+ who are outside its walking threshold before and
after the plan, and the residents-weighted median and the maximum walking time to the nearest
facility of the type (existing outlets before; outlets and new facilities after).

Walking minutes are each row's metres at its own group's speed (`siting.walking_time`)
(domain brief §5): the elderly walk slower, so the same street is more minutes for them.
Distances were computed only up to `siting.planning.REPORT_REACH_FACTOR` × the longest threshold;
beyond that a walking time is ``inf`` (no facility within the computed reach).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..walking_time import metres_to_minutes

if TYPE_CHECKING:
    from ..context import PlanContext
    from ..coverage_rows import TypeRows

Level = Literal["community", "street", "district"]

#: The administrative columns that identify a unit at each level (a community name is only
#: unique inside its street, a street inside its district).
LEVEL_COLUMNS: dict[Level, list[str]] = {
    "district": ["district"],
    "street": ["district", "street"],
    "community": ["district", "street", "community"],
}

#: Columns of a blind-spot table after the unit columns; counts are residents, times minutes.
VALUE_COLUMNS = [
    "residents", "outside_before", "outside_after",
    "residents_60_plus", "outside_60_plus_before", "outside_60_plus_after",
    "median_min_before", "median_min_after", "max_min_before", "max_min_after",
]


def _row_minutes(
    context: PlanContext, rows: TypeRows, metres: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Per row, walking minutes at the row's group speed; ``metres`` is per row."""
    speeds = context.scenario.speeds_m_per_s
    groups, code = np.unique(np.asarray(rows.group, dtype=str), return_inverse=True)
    speed = np.array([speeds.of(g) for g in groups], dtype=np.float64)[code]
    return metres_to_minutes(metres, speed)


def weighted_median(
    group: npt.NDArray[np.int64], value: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64], n_groups: int,
) -> npt.NDArray[np.float64]:
    """Per group, the smallest value with at least half of the group's weight at or below it."""
    order = np.lexsort((value, group))
    g, v, w = group[order], value[order], weight[order]
    cumulative = np.cumsum(w)
    totals = np.bincount(g, weights=w, minlength=n_groups)
    before_group = np.concatenate([[0.0], np.cumsum(totals)[:-1]])
    within = cumulative - before_group[g]
    reached = within >= 0.5 * totals[g]
    median = np.full(n_groups, np.nan)
    # Reverse so that the first qualifying row of each group is the one written last.
    median[g[reached][::-1]] = v[reached][::-1]
    return median


@dataclass(frozen=True)
class _TypeRowValues:
    """One type's per-row values, computed once and aggregated at every level."""

    key: str
    name_zh: str
    name_en: str
    point: npt.NDArray[np.int64]
    people: npt.NDArray[np.float64]
    counts: dict[str, npt.NDArray[np.float64]]
    minutes_before: npt.NDArray[np.float64]
    minutes_after: npt.NDArray[np.float64]


def _row_values(context: PlanContext) -> list[_TypeRowValues]:
    out = []
    for t, rows in enumerate(context.rows):
        ftype = context.inputs.catalog.types[rows.key]
        after = rows.existing | (context.solution.covered_phase[t] >= 0)
        elderly = rows.elderly
        people = rows.residents
        out.append(_TypeRowValues(
            key=rows.key, name_zh=ftype.name.zh, name_en=ftype.name.en, point=rows.point,
            people=people,
            counts={
                "residents": people,
                "outside_before": people * ~rows.existing,
                "outside_after": people * ~after,
                "residents_60_plus": people * elderly,
                "outside_60_plus_before": people * (elderly & ~rows.existing),
                "outside_60_plus_after": people * (elderly & ~after),
            },
            minutes_before=_row_minutes(context, rows, rows.nearest_existing_m),
            minutes_after=_row_minutes(context, rows, context.nearest_after_m[t][rows.point]),
        ))
    return out


def _aggregate(
    demand: pd.DataFrame, values: list[_TypeRowValues], level: Level
) -> pd.DataFrame:
    """The blind-spot table of ``level`` from the per-row values of every type."""
    keys = LEVEL_COLUMNS[level]
    place = demand[keys].astype(str).reset_index(drop=True)
    unit_of_point = place.groupby(keys, sort=True).ngroup().to_numpy().astype(np.int64)
    units = place.drop_duplicates().sort_values(keys).reset_index(drop=True)
    n_units = len(units)
    parts: list[pd.DataFrame] = []
    for v in values:
        codes = unit_of_point[v.point]
        worst_before = np.full(n_units, -np.inf)
        worst_after = np.full(n_units, -np.inf)
        np.maximum.at(worst_before, codes, v.minutes_before)
        np.maximum.at(worst_after, codes, v.minutes_after)
        table = units.assign(
            **{name: np.bincount(codes, weights=c, minlength=n_units)
               for name, c in v.counts.items()},
            median_min_before=weighted_median(codes, v.minutes_before, v.people, n_units),
            median_min_after=weighted_median(codes, v.minutes_after, v.people, n_units),
            max_min_before=worst_before,
            max_min_after=worst_after,
        )
        has_rows = np.bincount(codes, minlength=n_units) > 0
        parts.append(table[has_rows].assign(type=v.key, name_zh=v.name_zh, name_en=v.name_en))
    columns = ["type", "name_zh", "name_en", *keys, *VALUE_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=columns)
    result = pd.concat(parts, ignore_index=True)[columns]
    counts = VALUE_COLUMNS[:6]
    result[counts] = result[counts].round().astype(np.int64)
    minutes = VALUE_COLUMNS[6:]
    result[minutes] = result[minutes].round(1)
    return result


def blind_spot_table(context: PlanContext, *, level: Level = "community") -> pd.DataFrame:
    """Blind spots per facility type and administrative unit, before and after the plan.

    Parameters
    ----------
    context
        A finished plan (`siting.plan_with_context`).
    level
        Aggregate by community, street office or district.

    Returns
    -------
    pandas.DataFrame
        One row per type (catalog order) × unit (sorted) with columns ``type``, ``name_zh``,
        ``name_en``, the unit columns of `LEVEL_COLUMNS` and `VALUE_COLUMNS`: residents the
        type serves and those outside its threshold before/after (all served groups, and the
        60+), and the residents-weighted median and maximum walking minutes to the nearest
        facility before/after (``inf``: none within the computed reach).
    """
    return _aggregate(context.inputs.demand, _row_values(context), level)


def blind_spot_tables(context: PlanContext) -> dict[Level, pd.DataFrame]:
    """`blind_spot_table` at every level, from the district down to the community.

    The per-row walking times and counts are computed once and aggregated at each level.
    """
    values = _row_values(context)
    return {level: _aggregate(context.inputs.demand, values, level) for level in LEVEL_COLUMNS}
