"""The goal level's greedy start: goals added one at a time, each costed on what is built.

A goal's price is what making it hold adds to the plan so far: facilities built already cost
nothing and a site already in use charges no fixed cost again. Two ways to make it hold are
priced and the cheaper taken:

- the part of the goal's stand-alone cheapest plan (:func:`~.cheapest.goal_costs`) not built
  yet;
- a greedy cover of what the goal still misses, on the plan so far (:func:`~.goal_greedy.
  make_hold`), which can use the facilities other goals brought.

The goal with the least price per value that fits in the budget is added, in the earliest phase
the budgets (and floor areas and type limits) allow, and only the goals within reach of the sites
it used are priced again. Each of the :data:`LOOK_AHEAD` cheapest goals is also tried with the
goal near it that costs least once it is built: when the two cost less per value than the
cheapest goal alone, both are added. Goals whose required goal held before the plan go first, so
each community is lifted once before any is lifted twice.

Pricing the stand-alone plans alone, as a set-union knapsack does, adds each goal's own
facilities; the demo's goals then share what their own plans happen to share, and 17 communities
fit in the budget. Pricing on the plan so far shares far more: 19, and 20 looking one goal ahead
(the end state proves 21 the most any plan lifts); São Paulo 44, 59 and 63.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from .._result import Status
from ..arrays import BoolArray, FloatArray, IntArray
from ..clock import Clock
from .cheapest import GoalCosts
from .goal_greedy import ConditionCovers, make_hold
from .goals import PreparedGoals, goal_holds
from .plans import first_cover, fits, with_locks
from .prepare import Inputs, PreparedType, plan_spend

#: How many of the cheapest goals the greedy tries, each with the goal near it that costs least
#: once it is built, against the cheapest goal alone. On the demo 6 lifts 20 communities where
#: the cheapest goal alone lifts 19 (4: 19), on São Paulo 63 instead of 59.
LOOK_AHEAD = 6


class _Price(NamedTuple):
    """One way to make a goal hold on the plan so far: yuan it adds, which way (0 the
    stand-alone plan, 1 the greedy cover: the tie-break) and the (site, type) pairs it builds."""

    cost: float
    way: int
    pairs: IntArray


def goal_sites(pg: PreparedGoals, prepared: Sequence[PreparedType],
               n_sites: int) -> sp.csc_array:
    """``(G, n_sites)`` True where a site can cover a row of a condition of the goal or of a
    goal it requires: the sites whose facilities can change the goal's price."""
    n_cond = len(pg.conditions)
    cond_sites = sp.csr_array((n_cond, n_sites), dtype=np.float64)
    kinds = np.array([c.type_index for c in pg.conditions], dtype=np.int64)
    for t, tp in enumerate(prepared):
        ids = np.flatnonzero(kinds == t)
        if not ids.size:
            continue
        rows = [pg.conditions[i].rows for i in ids]
        picks = sp.csr_array(
            (np.ones(sum(r.size for r in rows)),
             (np.repeat(ids, [r.size for r in rows]), np.concatenate(rows))),
            shape=(n_cond, tp.cover.shape[0]))
        cond_sites = cond_sites + picks @ sp.csr_array(tp.cover).astype(np.float64)
    goal_rows, cond_cols = [], []
    for g in range(pg.n_goals):
        for h in pg.chain(g):
            for clause in pg.clauses[h]:
                goal_rows += [g] * clause.conditions.size
                cond_cols += clause.conditions.tolist()
    member = sp.csr_array((np.ones(len(goal_rows)), (goal_rows, cond_cols)),
                          shape=(pg.n_goals, n_cond))
    return sp.csc_array((member @ cond_sites) > 0)


def added_cost(build: IntArray, inp: Inputs, pairs: IntArray) -> float:
    """Yuan that building ``pairs`` (site, type), none built yet, adds to ``build``: their type
    costs and the fixed cost of each site not in use yet."""
    sites = np.unique(pairs[:, 0])
    fresh = sites[(build[sites] < 0).all(axis=1)]
    return float(inp.type_cost[pairs[:, 0], pairs[:, 1]].sum() + inp.base_cost[fresh].sum())


class _Greedy:
    """A plan being built goal by goal, and the prices of the goals open on it."""

    def __init__(self, inp: Inputs, prepared: Sequence[PreparedType], pg: PreparedGoals,
                 costs: GoalCosts, build: IntArray, clock: Clock, on_plan: bool,
                 near: sp.csc_array) -> None:
        self.inp, self.prepared, self.pg, self.costs, self.clock = inp, prepared, pg, costs, clock
        self.on_plan = on_plan
        self.covers = ConditionCovers(pg, prepared)
        self.build = build
        self.spend = plan_spend(build, inp)
        self.holds = self._holds()
        self.near = near
        # Goals near a site in use: with none, a goal's greedy cover costs at least its
        # cheapest plan, when that is proven for holding at the end, and is not worth pricing.
        in_use: FloatArray = np.asarray((build >= 0).any(axis=1), dtype=np.float64)
        self.touched: BoolArray = np.asarray(self.near.astype(np.float64) @ in_use) > 0
        self.proven = np.isfinite(costs.cost) & (costs.by_phase in (-1, inp.shape[2] - 1)) & \
            np.array([s is Status.OPTIMAL for s in costs.status], dtype=bool)
        # A goal is dropped when its price fails to make it hold (which cannot happen).
        self.wanted = (pg.value > 0) & pg.possible[:, -1]
        self.prices: dict[int, list[_Price]] = {}

    def _holds(self) -> BoolArray:
        n_phases = self.inp.shape[2]
        covered = [first_cover(tp, self.build[:, t], n_phases)
                   for t, tp in enumerate(self.prepared)]
        return goal_holds(self.pg, covered, n_phases)[:, -1]

    def _fits(self, pairs: IntArray, phase: int) -> bool:
        return fits(self.build, self.inp, pairs, phase, self.spend)

    def _ways(self, g: int, build: IntArray, near_use: bool) -> list[_Price]:
        """The ways to make goal ``g`` hold at the end of ``build``, cheapest first. The greedy
        cover is left out without ``on_plan``, once the clock has run out, and while no site
        near the goal is in use (``near_use``) and its cheapest plan is proven."""
        inp, out = self.inp, []
        if np.isfinite(self.costs.cost[g]):
            pairs = self.costs.builds[g]
            new = pairs[build[pairs[:, 0], pairs[:, 1]] < 0]
            out.append(_Price(added_cost(build, inp, new), 0, new))
        if self.on_plan and not self.clock.expired and (near_use or not self.proven[g]):
            found = make_hold(inp, self.prepared, self.pg, g, inp.shape[2] - 1, build,
                              self.covers)
            if found is not None:
                new = np.argwhere((found >= 0) & (build < 0))
                out.append(_Price(added_cost(build, inp, new), 1, new))
        return sorted(out, key=lambda p: (p.cost, p.way))

    def price(self, goals: IntArray, among: BoolArray) -> None:
        """Price ``goals`` again; those not ``among`` the pass's goals, holding already or
        waiting for a required goal have none."""
        pg, holds = self.pg, self.holds
        required = np.maximum(pg.requires, 0)
        open_ = ~holds & self.wanted & among & ((pg.requires < 0) | holds[required])
        for g in goals.tolist():
            found = self._ways(g, self.build, bool(self.touched[g])) if open_[g] else []
            if found:
                self.prices[g] = found
            else:
                self.prices.pop(g, None)

    def _partner(self, g: int, first: _Price, among: BoolArray) -> tuple[int, _Price] | None:
        """The open goal near the sites ``first`` (a price of goal ``g``) uses that costs least
        once ``first`` is built, with that price; None when none fits. A goal that ``first``
        makes hold already builds nothing and is no partner."""
        last = self.inp.shape[2] - 1
        trial = self.build.copy()
        trial[first.pairs[:, 0], first.pairs[:, 1]] = last
        spend = plan_spend(trial, self.inp)
        best: tuple[int, _Price] | None = None
        for h in np.unique(self.near[:, np.unique(first.pairs[:, 0])].tocoo().row).tolist():
            if h == g or h not in self.prices or not among[h]:
                continue
            fitting = [p for p in self._ways(h, trial, True)
                       if fits(trial, self.inp, p.pairs, last, spend)]
            if fitting and fitting[0].pairs.size and \
                    (best is None or fitting[0].cost < best[1].cost):
                best = (h, fitting[0])
        return best

    def _add(self, price: _Price) -> IntArray:
        """Build ``price``'s pairs in the earliest phase the limits allow; the sites used."""
        inp, new = self.inp, price.pairs
        last = inp.shape[2] - 1
        earliest = int(inp.first_phase[new[:, 0]].max(initial=0))
        self.build[new[:, 0], new[:, 1]] = next(
            (f for f in range(earliest, last) if self._fits(new, f)), last)
        self.spend = plan_spend(self.build, inp)
        return np.unique(new[:, 0])

    def _choose(self, among: BoolArray) -> list[tuple[int, _Price]] | None:
        """The next goal and its price, or two when a goal near the first costs so little
        once the first is built that the two cost less per value than any one goal (while the
        clock allows looking :data:`LOOK_AHEAD` goals ahead); None when no price fits."""
        pg, last = self.pg, self.inp.shape[2] - 1
        ranked = sorted(self.prices, key=lambda h: (self.prices[h][0].cost / pg.value[h], h))
        singles: list[tuple[int, _Price]] = []
        for g in ranked:
            fitting = [p for p in self.prices[g] if self._fits(p.pairs, last)]
            if fitting:
                singles.append((g, fitting[0]))
            # The budget left has shrunk below a price: the goal waits in its next price,
            # or leaves until a facility near it lowers its prices.
            if len(fitting) < len(self.prices[g]):
                if fitting:
                    self.prices[g] = fitting
                else:
                    del self.prices[g]
            if len(singles) == LOOK_AHEAD or (singles and not self.on_plan):
                break
        if not singles:
            return None
        best = [singles[0]]
        ratio = singles[0][1].cost / pg.value[singles[0][0]]
        for g, price in singles if self.on_plan else []:
            if self.clock.expired:
                break
            found = self._partner(g, price, among)
            if found is not None:
                pair = (price.cost + found[1].cost) / (pg.value[g] + pg.value[found[0]])
                if pair < ratio - 1e-9 * max(1.0, ratio):
                    best, ratio = [(g, price), found], pair
        return best

    def fill(self, among: BoolArray) -> None:
        """Add the goals ``among`` (a pass), the cheapest per value first, while they fit."""
        pg = self.pg
        self.prices.clear()
        self.price(np.arange(pg.n_goals), among)
        while self.prices:
            chosen = self._choose(among)
            if chosen is None:
                break
            sites = []
            for g, price in chosen:
                self.prices.pop(g, None)
                sites.append(self._add(price))
            was, self.holds = self.holds, self._holds()
            for g, _ in chosen:
                self.wanted[g] &= bool(self.holds[g])
            required = np.maximum(pg.requires, 0)
            unlocked = (pg.requires >= 0) & self.holds[required] & ~was[required]
            touched = self.near[:, np.unique(np.concatenate(sites))].tocoo().row
            self.touched[touched] = True
            self.price(np.unique(np.concatenate(
                (touched, np.flatnonzero(unlocked | (self.holds & ~was))))), among)


def lift_greedy(
    inp: Inputs, prepared: Sequence[PreparedType], pg: PreparedGoals, costs: GoalCosts,
    start: IntArray, clock: Clock | None = None, *, on_plan: bool = True,
    near: sp.csc_array | None = None,
) -> IntArray:
    """``start`` plus goals, the cheapest per value on the plan so far first, while the budget
    allows (module docstring). Without ``on_plan``, and once ``clock`` runs out, a goal's price
    is what its stand-alone plan adds, which is quick: the set-union knapsack's greedy.
    ``near`` is :func:`goal_sites` when the caller has it (both starts use it)."""
    plan = _Greedy(inp, prepared, pg, costs, with_locks(start, inp), clock or Clock(None),
                   on_plan, goal_sites(pg, prepared, inp.shape[0]) if near is None else near)
    plan.fill(np.array([r < 0 or pg.before[r] for r in pg.requires], dtype=bool))
    plan.fill(np.ones(pg.n_goals, dtype=bool))
    return plan.build
