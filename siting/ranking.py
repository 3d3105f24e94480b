"""Order the chosen projects so that funding the list top-down is sensible at every budget cut.

The optimizer chooses a set of projects (a site and the facility types it gets) for the whole
budget. Planners fund lists top-down and may stop anywhere, so the list is ordered greedily by
marginal value per yuan: each next project is the one that adds the most value per yuan, given
every project ranked above it, valued exactly as the optimizer values coverage (weighted
residents, with diminishing returns per community when the scenario asks for them); this is the
budgeted-greedy rule of Khuller, Moss & Naor (1999). Phases come first: a project of an
earlier phase always ranks above a later one, because the sites and budgets of later phases
do not exist yet at the earlier deadline.
Residents newly covered are credited to the highest-ranked project that covers them, so the
per-project figures add up to the plan's totals without double counting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .models.multitype import DiminishingReturns, coverage_utility


@dataclass(frozen=True)
class ChosenProject:
    """A project as the optimizer returned it: ``site`` index, type indices, phase index, yuan."""

    site: int
    types: tuple[int, ...]
    phase: int
    cost_yuan: float


@dataclass(frozen=True)
class RankedProject:
    """A project with its rank (1 = fund first) and the rows it is credited with, per type."""

    rank: int
    project: ChosenProject
    marginal_value: float
    credited_rows: dict[int, npt.NDArray[np.int64]]


def _weight_by_group(
    group: npt.NDArray[np.int64], weight: npt.NDArray[np.float64], size: int
) -> npt.NDArray[np.float64]:
    return np.bincount(group, weights=weight, minlength=size).astype(np.float64)


@dataclass
class _TypeState:
    """Running coverage of one type while the list is built, per diminishing-returns group."""

    coverage: sp.csc_array
    weight: npt.NDArray[np.float64]
    group: npt.NDArray[np.int64]
    covered: npt.NDArray[np.bool_]
    total: npt.NDArray[np.float64]
    existing: npt.NDArray[np.float64]
    gained: npt.NDArray[np.float64]

    def new_rows(self, site: int) -> npt.NDArray[np.int64]:
        start, stop = self.coverage.indptr[site], self.coverage.indptr[site + 1]
        rows = self.coverage.indices[start:stop][self.coverage.data[start:stop] != 0]
        rows = np.asarray(rows, dtype=np.int64)
        new: npt.NDArray[np.int64] = rows[~self.covered[rows]]
        return new

    def added(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return _weight_by_group(self.group[rows], self.weight[rows], self.total.size)

    def gain(self, rows: npt.NDArray[np.int64], returns: DiminishingReturns | None) -> float:
        after = coverage_utility(self.gained + self.added(rows), self.total, self.existing, returns)
        before = coverage_utility(self.gained, self.total, self.existing, returns)
        return float(after - before)


def rank_projects(
    projects: Sequence[ChosenProject],
    coverage: Sequence[sp.csc_array],
    weights: Sequence[npt.NDArray[np.float64]],
    already_covered: Sequence[npt.NDArray[np.bool_]],
    *,
    groups: Sequence[npt.NDArray[np.int64]] | None = None,
    returns: DiminishingReturns | None = None,
) -> list[RankedProject]:
    """Rank ``projects`` by phase, then greedily by marginal value per yuan.

    Parameters
    ----------
    projects
        The chosen projects.
    coverage
        Per facility type, a boolean rows × sites matrix (CSC, so a site's rows are one slice):
        row r is within the type's walking threshold of site j.
    weights
        Per type, the value of covering each row (residents × priority weights).
    already_covered
        Per type, rows covered before the plan (by existing outlets).
    groups, returns
        Per type, the diminishing-returns group (community) of each row, and the concave value
        of a group's coverage share: the same valuation as the optimizer
        (`siting.models.multitype.coverage_utility`). None values coverage linearly.

    Returns
    -------
    list of RankedProject
        In funding order. Ties break on the lower site index, so the order is deterministic.
    """
    states = []
    for t, cover in enumerate(coverage):
        group = (np.zeros(weights[t].size, dtype=np.int64) if groups is None
                 else np.asarray(groups[t], dtype=np.int64))
        size = int(group.max()) + 1 if group.size else 1
        existing = np.asarray(already_covered[t], dtype=bool)
        states.append(_TypeState(
            coverage=cover, weight=weights[t], group=group, covered=existing.copy(),
            total=_weight_by_group(group, weights[t], size),
            existing=_weight_by_group(group[existing], weights[t][existing], size),
            gained=np.zeros(size),
        ))
    remaining = sorted(projects, key=lambda p: (p.phase, p.site))
    ranked: list[RankedProject] = []
    while remaining:
        phase = remaining[0].phase
        pool = [p for p in remaining if p.phase == phase]
        gains = [
            sum(states[t].gain(states[t].new_rows(p.site), returns) for t in p.types)
            for p in pool
        ]
        per_yuan = [g / max(p.cost_yuan, 1.0) for g, p in zip(gains, pool, strict=True)]
        best = int(np.argmax(per_yuan))  # first maximum: pool is sorted by site index
        chosen = pool[best]
        credited: dict[int, npt.NDArray[np.int64]] = {}
        for t in chosen.types:
            state = states[t]
            new = state.new_rows(chosen.site)
            state.gained += state.added(new)
            state.covered[new] = True
            credited[t] = new
        ranked.append(RankedProject(len(ranked) + 1, chosen, gains[best], credited))
        remaining.remove(chosen)
    return ranked
