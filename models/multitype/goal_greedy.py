"""Greedy plans that make goals hold: the warm start of the minimum-cost covering MILPs.

A goal holds when each of its clauses holds, and a share condition of a clause is a partial
set cover of the condition's rows by the sites that may host its type. :func:`make_hold` covers
each condition still short with Chvátal's greedy rule [1]_ (the most missing amount per yuan
first, a site's fixed charge counted only while it is unused, floor area and types per site
respected), taking for an at-least clause the conditions whose greedy cover costs least.
:func:`greedy_counts` meets counts of goals the same way, one goal at a time: the goal whose
greedy cover adds the least cost to the plan so far, counts in order of their phase.

References
----------
.. [1] Chvátal, V. (1979). A greedy heuristic for the set-covering problem. *Mathematics of
   Operations Research* 4(3), 233–235.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ..arrays import BoolArray, IntArray
from ..clock import Clock
from .goals import Condition, PreparedGoals, goal_holds
from .plans import evaluate
from .prepare import TOL, Inputs, PreparedType, row_min


class Cut(NamedTuple):
    """A condition's cover cut out of its type's: its rows × the sites reaching any of them
    (``cover``), the same sites × its rows (``by_site``), both CSR, and those sites' indices."""

    cover: sp.csr_array
    by_site: sp.csr_array
    sites: IntArray


class ConditionCovers:
    """Each condition's :class:`Cut`, made on first use and kept for the next: goals are made
    to hold many times over on one plan."""

    def __init__(self, pg: PreparedGoals, prepared: Sequence[PreparedType]) -> None:
        self._pg, self._prepared = pg, prepared
        self._cut: dict[int, Cut] = {}

    def __call__(self, i: int) -> Cut:
        found = self._cut.get(i)
        if found is None:
            c = self._pg.conditions[i]
            rows = sp.csr_array(self._prepared[c.type_index].cover[c.rows])
            sites, local = np.unique(rows.indices, return_inverse=True)
            cover = sp.csr_array((rows.data, local.reshape(-1), rows.indptr),
                                 shape=(rows.shape[0], sites.size))
            found = self._cut[i] = Cut(cover, sp.csr_array(cover.T), sites.astype(np.int64))
        return found


def _rows_covered(cut: Cut, built: IntArray, phase: int, n_phases: int) -> BoolArray:
    """Which rows of a condition (its ``cut``) the facilities ``built`` (build phase per site
    of the type, -1 unbuilt) cover by ``phase``."""
    at = built[cut.sites]
    return row_min(cut.cover, np.where(at >= 0, at, n_phases), n_phases) <= phase


def _cover(inp: Inputs, c: Condition, cut: Cut, phase: int,
           build: IntArray) -> tuple[IntArray, float] | None:
    """The sites where the greedy adds ``c``'s type to ``build`` until ``c`` is met by
    ``phase``, and the yuan they add; None when the allowed sites cannot get there. Only the
    condition's own rows and the sites reaching them (its ``cut``) are looked at: a
    community's, not the city's."""
    t, amount, need, sites = c.type_index, c.amount, c.need, cut.sites
    covered = _rows_covered(cut, build[:, t], phase, inp.shape[2])
    missing = need - float(amount @ covered)
    built = build[sites] >= 0
    usable = inp.allowed[sites, t] & (inp.first_phase[sites] <= phase) & ~built[:, t]
    if inp.site_area is not None and inp.type_area is not None:
        area_left = inp.site_area[sites] - (inp.type_area[sites] * built).sum(axis=1)
        usable &= inp.type_area[sites, t] <= area_left + TOL
    if inp.max_types is not None:
        usable &= inp.max_types[sites] - built.sum(axis=1) > 0
    type_cost, base_cost = inp.type_cost[sites, t], inp.base_cost[sites]
    opened: BoolArray = np.asarray(built.any(axis=1), dtype=bool)
    added = 0.0
    picked: list[int] = []
    while missing > TOL * max(need, 1.0):
        gain = np.asarray(cut.by_site @ (amount * ~covered), dtype=np.float64)
        cost = type_cost + np.where(opened, 0.0, base_cost)
        score = np.where(usable & (gain > 0),
                         np.minimum(gain, missing) / np.maximum(cost, TOL), -1.0)
        if not (score >= 0).any():  # no usable site reaches a row still missing
            return None
        j = int(np.argmax(score))  # ties: the lower site index
        picked.append(int(sites[j]))
        added += float(cost[j])
        opened[j] = True
        usable[j] = False
        covered[cut.by_site.indices[cut.by_site.indptr[j]:cut.by_site.indptr[j + 1]]] = True
        missing = need - float(amount @ covered)
    return np.array(picked, dtype=np.int64), added


def _spend(inp: Inputs, build: IntArray) -> float:
    built = build >= 0
    return float((inp.type_cost * built).sum() + inp.base_cost[built.any(axis=1)].sum())


def make_hold(inp: Inputs, prepared: Sequence[PreparedType], pg: PreparedGoals, g: int,
              phase: int, build: IntArray, covers: ConditionCovers | None = None,
              ) -> IntArray | None:
    """``build`` plus greedy covers that make goal ``g`` (and the goals it requires) hold by
    ``phase``; None when the greedy cannot. ``covers`` keeps the conditions' covers from one
    call to the next."""
    n_phases = inp.shape[2]
    cut = covers or ConditionCovers(pg, prepared)
    build = build.copy()
    for h in pg.chain(g):
        for clause in pg.clauses[h]:
            if not clause.missing:
                continue
            short = [int(i) for i in clause.conditions
                     if pg.conditions[i].amount @ _rows_covered(
                         cut(int(i)), build[:, pg.conditions[i].type_index], phase, n_phases)
                     < pg.conditions[i].need * (1 - TOL)]
            needed = clause.missing - (clause.conditions.size - len(short))
            if needed <= 0:
                continue
            # Large facilities first, so that small ones do not take the room they need.
            area = inp.type_area.max(axis=0) if inp.type_area is not None else \
                np.zeros(len(prepared))
            short.sort(key=lambda i: -area[pg.conditions[i].type_index])
            # Cover the cheapest conditions first, each on the plan so far.
            options = []
            for i in short:
                c = pg.conditions[i]
                found = _cover(inp, c, cut(i), phase, build)
                if found is not None:
                    options.append((found[1], i))
            if len(options) < needed:
                return None
            for _, i in sorted(options)[:needed]:
                c = pg.conditions[i]
                found = _cover(inp, c, cut(i), phase, build)
                if found is None:
                    return None
                build[found[0], c.type_index] = phase
    return build


Hold = Callable[[int, int, IntArray], "IntArray | None"]
"""``(goal, phase, build)`` → ``build`` plus what makes the goal hold by the phase, or None."""


def greedy_counts(inp: Inputs, prepared: Sequence[PreparedType], pg: PreparedGoals,
                  build: IntArray, *, fallback: Hold | None = None,
                  clock: Clock | None = None) -> IntArray | None:
    """``build`` plus greedy covers until every count of ``pg`` is met; None when they cannot
    be met this way, or not before ``clock`` runs out. ``fallback`` makes a goal hold when the
    greedy cover cannot (floor area packed badly, say), e.g. by solving the goal's own MILP.

    Lazy: a goal's added cost is recomputed only when it comes to the top of the queue, and
    taken when it is still no dearer than the next one (sharing sites with goals taken since
    can only have made it cheaper or left it as it was, in the common case).
    """
    n_phases = inp.shape[2]
    covers = ConditionCovers(pg, prepared)

    def hold(g: int, phase: int, build: IntArray) -> IntArray | None:
        if clock is not None and clock.expired:
            return None  # every goal left fails, so the counts are not met
        found = make_hold(inp, prepared, pg, g, phase, build, covers)
        if found is None and fallback is not None:
            found = fallback(g, phase, build)
        return found

    for members, need, phase in sorted(pg.counts, key=lambda c: c[2]):
        holds = goal_holds(pg, evaluate(build, inp, prepared, []).covered, n_phases)
        held = int(holds[members, phase].sum())
        if held >= need:
            continue  # met already (e.g. by a start built for it): nothing to price
        queue: list[tuple[float, int]] = []
        base = _spend(inp, build)
        for g in members:
            if holds[g, phase] or not pg.possible[g, phase]:
                continue
            found = hold(int(g), phase, build)
            if found is not None:
                heapq.heappush(queue, (_spend(inp, found) - base, int(g)))
        while held < need:
            if not queue:
                return None
            _, g = heapq.heappop(queue)
            if holds[g, phase]:
                continue
            found = hold(g, phase, build)
            if found is None:
                continue
            extra = _spend(inp, found) - _spend(inp, build)
            if queue and extra > queue[0][0] + TOL:
                heapq.heappush(queue, (extra, g))
                continue
            build = found
            holds = goal_holds(pg, evaluate(build, inp, prepared, []).covered, n_phases)
            held = int(holds[members, phase].sum())
    return build
