"""Order the chosen projects so that funding the list top-down is sensible at every budget cut.

The optimizer chooses a set of projects (a site and the facility types it gets) for the whole
budget. Planners fund lists top-down and may stop anywhere, so the list is ordered greedily by
marginal value per yuan: each next project is the one that adds the most not-yet-covered weighted
residents per yuan, given every project ranked above it (the budgeted-greedy rule of Khuller,
Moss & Naor 1999). Phases come first: a project of an earlier phase always ranks above a later
one, because the sites and budgets of later phases do not exist yet at the earlier deadline.
Residents newly covered are credited to the highest-ranked project that covers them, so the
per-project figures add up to the plan's totals without double counting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp


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


def rank_projects(
    projects: Sequence[ChosenProject],
    coverage: Sequence[sp.csc_array],
    weights: Sequence[npt.NDArray[np.float64]],
    already_covered: Sequence[npt.NDArray[np.bool_]],
) -> list[RankedProject]:
    """Rank ``projects`` by phase, then greedily by marginal weighted coverage per yuan.

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

    Returns
    -------
    list of RankedProject
        In funding order. Ties break on the lower site index, so the order is deterministic.
    """
    covered = [np.array(a, dtype=bool, copy=True) for a in already_covered]
    remaining = sorted(projects, key=lambda p: (p.phase, p.site))
    ranked: list[RankedProject] = []
    while remaining:
        phase = remaining[0].phase
        pool = [p for p in remaining if p.phase == phase]
        gains = [_gain(p, coverage, weights, covered) for p in pool]
        per_yuan = [g / max(p.cost_yuan, 1.0) for g, p in zip(gains, pool, strict=True)]
        best = int(np.argmax(per_yuan))  # first maximum: pool is sorted by site index
        chosen = pool[best]
        credited: dict[int, npt.NDArray[np.int64]] = {}
        for t in chosen.types:
            rows = _rows_of(coverage[t], chosen.site)
            new = rows[~covered[t][rows]]
            covered[t][new] = True
            credited[t] = new
        ranked.append(RankedProject(len(ranked) + 1, chosen, gains[best], credited))
        remaining.remove(chosen)
    return ranked


def _rows_of(matrix: sp.csc_array, site: int) -> npt.NDArray[np.int64]:
    start, stop = matrix.indptr[site], matrix.indptr[site + 1]
    rows = matrix.indices[start:stop][matrix.data[start:stop] != 0]
    return np.asarray(rows, dtype=np.int64)


def _gain(
    project: ChosenProject,
    coverage: Sequence[sp.csc_array],
    weights: Sequence[npt.NDArray[np.float64]],
    covered: Sequence[npt.NDArray[np.bool_]],
) -> float:
    total = 0.0
    for t in project.types:
        rows = _rows_of(coverage[t], project.site)
        total += float(weights[t][rows[~covered[t][rows]]].sum())
    return total
