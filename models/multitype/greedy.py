"""Budgeted greedy plans, phase by phase: the MILP's warm start and the heuristic's answer.

Lazy (Minoux 1978; the "CELF" of Leskovec et al. 2007): a facility's gain only falls as the plan
grows (coverage and its concave credit are submodular), so a gain computed earlier is an upper
bound. The candidates sit in a priority queue by score; after a pick only the candidates whose
gain may have changed, the sites reaching a row newly covered (or, under diminishing returns, a
row of a community whose coverage changed), are marked stale and recomputed when they reach the
top; a site's other types are rescored when its fixed charge is paid. Gains are computed on the
sparse site → row incidence, never on a sites × communities array, so a pick costs about the
rows its site reaches, and a greedy run about the coverage matrix's entries plus
picks × log(candidates).

References
----------
.. [1] Minoux, M. (1978). Accelerated greedy algorithms for maximizing submodular set functions.
   *Optimization Techniques*, LNCIS 7, 234–243.
.. [2] Khuller, S., Moss, A. & Naor, J. (1999). The budgeted maximum coverage problem.
   *Information Processing Letters* 70(1), 39–45.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from ..arrays import BoolArray, FloatArray, IntArray
from ..clock import Clock
from .credit import group_gain, site_credit
from .plans import Plan, evaluate, prune
from .prepare import TOL, Inputs, PreparedType, Requirement, plan_spend

GreedyRule = Literal["ratio", "shared", "gain"]
RULES: tuple[GreedyRule, ...] = ("ratio", "shared", "gain")


@dataclass
class _TypeState:
    """One type's coverage as the greedy sees it, updated after each pick."""

    rows_of_site: sp.csr_array  # sites × merged rows
    sites_of_row: sp.csr_array  # merged rows × sites
    weight: FloatArray  # merged row weights
    group: IntArray  # merged row → group (rows sorted by group)
    group_start: IntArray  # (G + 1,) first merged row of each group
    total: FloatArray  # (G,) weight of the whole group
    done: FloatArray  # (G,) existing weight plus weight the plan covers
    existing: FloatArray  # (G,) weight covered by existing outlets
    uncovered: BoolArray  # merged rows the plan does not cover yet
    coef: sp.csr_array  # merged rows × this type's requirements: their weight in each row
    req_index: IntArray  # this type's requirements, as indices into ``reqs``

    @classmethod
    def of(cls, t: int, tp: PreparedType, reqs: Sequence[Requirement]) -> _TypeState:
        mine = np.array([k for k, r in enumerate(reqs) if r.type_index == t], dtype=np.int64)
        coef = sp.csr_array(np.column_stack([reqs[k].coef for k in mine]) if mine.size
                            else np.zeros((tp.weight.size, 0)))
        return cls(
            sp.csr_array(tp.cover.T), tp.cover, tp.weight, tp.group,
            np.searchsorted(tp.group, np.arange(tp.n_groups + 1)).astype(np.int64),
            tp.total_by_group, tp.existing_by_group.copy(), tp.existing_by_group,
            np.ones(tp.weight.size, dtype=np.bool_), coef, mine)


class _Greedy:
    """One greedy run under one rule (see :func:`greedy`)."""

    def __init__(self, inp: Inputs, types: Sequence[PreparedType], reqs: Sequence[Requirement],
                 rule: GreedyRule, clock: Clock) -> None:
        self.inp, self.reqs, self.rule, self.clock = inp, reqs, rule, clock
        n, n_types, _ = inp.shape
        self.state = [_TypeState.of(t, tp, reqs) for t, tp in enumerate(types)]
        self.build_phase = np.full((n, n_types), -1, dtype=np.int64)
        self.opened = np.zeros(n, dtype=np.bool_)
        self.short = np.array([r.need for r in reqs], dtype=np.float64)
        self.area_left = inp.site_area.copy() if inp.site_area is not None else None
        self.slots = inp.max_types.copy() if inp.max_types is not None else np.full(n, n_types)
        self.share = (np.maximum(np.minimum(inp.allowed.sum(axis=1), self.slots), 1)
                      if rule == "shared" else np.ones(n))
        self.spent = 0.0
        # Locked facilities are built at the start of their phase; their floor area and type
        # slots are held for them from the start, and their yuan from the phases before.
        lock = inp.lock
        self.locked = lock >= 0
        self.slots -= self.locked.sum(axis=1)
        if self.area_left is not None and inp.type_area is not None:
            self.area_left -= (inp.type_area * self.locked).sum(axis=1)
        self.lock_cum = np.cumsum(plan_spend(lock, inp))
        self.version = np.zeros((n, n_types), dtype=np.int64)
        self.stale = np.zeros((n, n_types), dtype=np.bool_)

    # ---------------------------------------------------------------- gains

    def gains(self, t: int, sites: IntArray, f: int, stage: str) -> FloatArray:
        """Marginal gain of adding type ``t`` at each of ``sites`` in phase ``f``."""
        st = self.state[t]
        sub = st.rows_of_site[sites]
        if stage == "requirements":
            active = np.flatnonzero((self.short[st.req_index] > 0)
                                    & (np.array([self.reqs[k].by_phase for k in st.req_index],
                                                dtype=np.int64) >= f))
            if active.size == 0:
                return np.zeros(sites.size)
            left = sp.csr_array(sp.diags_array(st.uncovered.astype(np.float64))
                                @ st.coef[:, active])
            reach = sp.coo_array(sub.astype(np.float64) @ left)
            capped = np.minimum(reach.data, self.short[st.req_index[active]][reach.col])
            return np.bincount(reach.row, weights=capped, minlength=sites.size).astype(np.float64)
        return site_credit(sub, st.weight * st.uncovered, st.group, st.done - st.existing,
                           st.total, st.existing, self.inp.returns)

    def gain_one(self, t: int, j: int, f: int, stage: str) -> float:
        """:meth:`gains` of one site, on the CSR arrays directly (no sparse-matrix objects)."""
        st = self.state[t]
        rows = st.rows_of_site.indices[st.rows_of_site.indptr[j]:st.rows_of_site.indptr[j + 1]]
        rows = rows[st.uncovered[rows]]
        if stage == "requirements" or rows.size == 0:
            return float(self.gains(t, np.array([j]), f, stage)[0]) if rows.size else 0.0
        fresh = st.weight[rows]
        if self.inp.returns is None:
            return float(fresh.sum())
        # Merged rows are sorted by group, so a site's rows come in runs of one group.
        groups = st.group[rows]
        first = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        g = groups[first]
        delta = np.add.reduceat(fresh, first)
        now = st.done[g] - st.existing[g]
        return float((group_gain(now + delta, st.total[g], st.existing[g], self.inp.returns)
                      - group_gain(now, st.total[g], st.existing[g], self.inp.returns)).sum())

    def cost(self, j: int, t: int) -> float:
        """Yuan to add type ``t`` at site ``j`` now (the fixed charge while the site is unused)."""
        return float(self.inp.type_cost[j, t]) + (0.0 if self.opened[j]
                                                  else float(self.inp.base_cost[j]))

    def score(self, gain: FloatArray, j: IntArray, t: IntArray) -> FloatArray:
        if self.rule == "gain":
            return gain
        charge = self.inp.type_cost[j, t] + np.where(self.opened[j], 0.0,
                                                     self.inp.base_cost[j] / self.share[j])
        return np.divide(gain, charge, out=np.full_like(gain, np.inf), where=charge > 0)

    # ---------------------------------------------------------------- run

    def fits(self, j: int, t: int) -> bool:
        """Site ``j`` can still take type ``t`` (slots and floor area; these only shrink)."""
        if self.slots[j] <= 0:
            return False
        return self.area_left is None or self.inp.type_area is None or \
            bool(self.inp.type_area[j, t] <= self.area_left[j])

    def stage(self, f: int, stage: str) -> None:
        """Pick facilities by score until none is affordable, useful and fits."""
        inp = self.inp
        n_types = inp.shape[1]
        # Money by the end of phase f, less what later locked facilities need (at most their
        # cost alone; less when they share a site the plan opened earlier).
        room = inp.budget_cum[f:] - (self.lock_cum[f:] - self.lock_cum[f])
        money = float(room.min()) + TOL * max(1.0, inp.budget_cum[f])
        heap: list[tuple[float, int, int]] = []
        for t in range(n_types):
            sites = np.flatnonzero(inp.allowed[:, t] & (inp.first_phase <= f)
                                   & (self.build_phase[:, t] < 0) & ~self.locked[:, t])
            gain = self.gains(t, sites, f, stage)
            keep = gain > 0
            sites, gain = sites[keep], gain[keep]
            ts = np.full(sites.size, t)
            self.stale[sites, t] = False
            heap += zip((-self.score(gain, sites, ts)).tolist(), (sites * n_types + t).tolist(),
                        self.version[sites, t].tolist(), strict=True)
        heapq.heapify(heap)
        while heap and not self.clock.expired:
            _, item, version = heapq.heappop(heap)
            j, t = divmod(item, n_types)
            if version != self.version[j, t] or self.build_phase[j, t] >= 0:
                continue
            if self.stale[j, t]:
                self.push(heap, j, t, f, stage)
                continue
            if not self.fits(j, t) or self.cost(j, t) > money - self.spent:
                continue  # never again this phase: money, slots and area only shrink
            self.pick(heap, j, t, f, stage)

    def push(self, heap: list[tuple[float, int, int]], j: int, t: int, f: int,
             stage: str) -> None:
        """Recompute the score of ``(j, t)`` and queue it (dropped when it gains nothing)."""
        self.version[j, t] += 1
        self.stale[j, t] = False
        gain = self.gain_one(t, j, f, stage)
        if gain > 0:
            score = float(self.score(np.array([gain]), np.array([j]), np.array([t]))[0])
            heapq.heappush(heap, (-score, j * self.inp.shape[1] + t, int(self.version[j, t])))

    def pick(self, heap: list[tuple[float, int, int]], j: int, t: int, f: int,
             stage: str) -> None:
        """Build type ``t`` at site ``j`` in phase ``f`` and mark the gains it changes."""
        inp, st = self.inp, self.state[t]
        self.spent += self.cost(j, t)
        self.build_phase[j, t] = f
        if not self.locked[j, t]:  # a locked facility's room was held from the start
            self.slots[j] -= 1
            if self.area_left is not None and inp.type_area is not None:
                self.area_left[j] -= inp.type_area[j, t]
        rows = st.rows_of_site.indices[st.rows_of_site.indptr[j]:st.rows_of_site.indptr[j + 1]]
        newly = rows[st.uncovered[rows]]
        st.uncovered[newly] = False
        np.add.at(st.done, st.group[newly], st.weight[newly])
        met = np.asarray(sp.csr_array(st.coef[newly]).sum(axis=0), dtype=np.float64).ravel()
        due = np.array([self.reqs[k].by_phase >= f for k in st.req_index], dtype=np.bool_)
        if st.req_index.size and newly.size:
            self.short[st.req_index[due]] -= met[due]
        # Gains that may have fallen: sites reaching a newly covered row, under diminishing
        # returns a row of a group whose coverage changed, and, in the requirements stage, a
        # row of a requirement whose shortfall changed.
        touched = newly
        if inp.returns is not None and newly.size:
            groups = np.unique(st.group[newly])
            touched = np.concatenate([np.arange(st.group_start[g], st.group_start[g + 1])
                                      for g in groups])
        if stage == "requirements" and newly.size and st.req_index.size:
            changed = np.flatnonzero(met > 0)
            touched = np.union1d(touched, sp.csc_array(st.coef)[:, changed].tocoo().row)
        if touched.size:
            self.stale[st.sites_of_row[touched].indices, t] = True
        if not self.opened[j]:
            # The site's other types no longer pay its fixed charge: their scores rise.
            self.opened[j] = True
            for other in np.flatnonzero(inp.allowed[j] & (self.build_phase[j] < 0)):
                self.push(heap, j, int(other), f, stage)

    def run(self) -> IntArray:
        lock = self.inp.lock
        for f in range(self.inp.shape[2]):
            for j, t in zip(*np.nonzero(lock == f), strict=True):
                self.pick([], int(j), int(t), f, "coverage")  # stage() builds the queue
            for stage in ("requirements", "coverage"):
                if self.reqs or stage == "coverage":
                    self.stage(f, stage)
        return self.build_phase


def greedy(
    inp: Inputs, types: Sequence[PreparedType], reqs: Sequence[Requirement], rule: GreedyRule,
    clock: Clock,
) -> IntArray:
    """Budgeted greedy, phase by phase: requirements first, then weighted coverage.

    In each phase it repeatedly adds the affordable (site, type) with the largest ``rule`` score:
    new weight per yuan (``ratio``, the Khuller–Moss–Naor rule, fixed charge included while the
    site is unused), the same with an unused site's fixed charge shared among the types it can
    host (``shared``, which values co-location) or new weight (``gain``, which covers their
    best-single-item case). While a requirement due in this phase or later is short, only its
    missing weight counts. Locked facilities (``inp.locked``) are built first in their phase,
    and the money, floor area and type slots they need are kept for them. Ties go to the
    lowest ``site × n_types + type``. Stops early, with the plan so far, when ``clock`` runs
    out.
    """
    return _Greedy(inp, types, reqs, rule, clock).run()


def best_greedy(inp: Inputs, types: Sequence[PreparedType], reqs: Sequence[Requirement],
                clock: Clock) -> Plan:
    """The best plan of the three rules (fewest requirement shortfalls, then objective)."""
    plans = []
    for rule in RULES:
        plans.append(evaluate(greedy(inp, types, reqs, rule, clock), inp, types, reqs))
        if clock.expired:
            break
    best = max(plans, key=lambda p: (-float(p.shortfall.sum()), p.objective))
    return prune(best, inp, types, reqs)
