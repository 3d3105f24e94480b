"""Branch-price-and-cut for the single-source capacitated p-median.

The master (:mod:`._set_partition`) chooses one set of rows per open site; columns are priced
site by site (:mod:`._set_pricing`); subset-row cuts found at the root lift its bound; the tree
branches on a site being open, then on a row being served by a site, best bound first. Every
pricing round gives a Lagrangian bound (cover and cut rows relaxed with the LP's duals, the
site and count rows kept), so that a node stops pricing as soon as its bound, rounded up when
every cost is an integer, can rise no further, and is pruned as soon as it reaches the
incumbent. Incumbents come from integral node LPs and from the pool of columns solved as a
set-partitioning MILP.

On the Osman & Christofides problems this proves pmedcap20 (optimum 1005), whose LP, Lagrangian
and Dantzig-Wolfe bounds (961-974) left the compact MILP searching for minutes.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .._milp import MilpProblem, MilpStatus, solve_milp
from .._result import Solution, Status
from ..arrays import FloatArray, IntArray
from ..clock import Clock
from ._pairs import CallContext
from ._set_partition import Decision, LpPoint, SetPartitionMaster, site_bounds
from ._set_pricing import price_sites
from .assignment import Assignment

#: A column enters the master when its reduced cost is below minus this.
_ENTER = 1e-6
#: A value this close to 0 or 1 counts as integral.
_INTEGRAL = 1e-6
#: Cuts added per separation round, and rounds at the root.
_CUTS_PER_ROUND = 100
_CUT_ROUNDS = 40
#: The root's cut rounds stop when the last ``_TAIL`` rounds lifted the bound by less than this.
_TAIL, _TAIL_GAIN = 3, 0.1
#: Share of the time left that the pool's set-partitioning MILP may take for an incumbent.
_POOL_SHARE = 0.1
#: Columns whose reduced cost exceeds this share of the LP value leave it (and the gap to the
#: incumbent when smaller).
_SHED_SHARE = 0.01
#: Columns of least reduced cost in that MILP.
_POOL_COLUMNS = 2000


@dataclass(frozen=True)
class Tree:
    """What the search found: the best plan (each row's site column, -1 none), its cost, the
    proven lower bound, whether the search ended (proven), how many nodes it took and the cuts
    of the master."""

    column_of_row: IntArray | None
    value: float
    bound: float
    proven: bool
    nodes: int
    cuts: tuple[IntArray, ...]


@dataclass(order=True)
class _Node:
    bound: float
    depth_key: int
    seq: int
    decisions: tuple[Decision, ...] = field(compare=False)


class _Pricing:
    """The pairs grouped by site, and the pricing of one node's columns."""

    def __init__(self, model: Assignment) -> None:
        order = np.lexsort((model.pair_row, model.pair_col))
        self.model = model
        self.pair = order
        self.site_rows = model.pair_row[order].astype(np.int64)
        self.site_cost = model.pair_cost[order]
        self.site_of = model.pair_col[order]
        self.site_ptr = np.searchsorted(self.site_of, np.arange(model.columns.size + 1))

    def rules(self, decisions: tuple[Decision, ...]) -> IntArray:
        """Per pair (site-major): 1 the row must be in the site's set, -1 it must not."""
        rule = np.zeros(self.site_rows.size, dtype=np.int64)
        for d in decisions:
            if d.row < 0:
                continue
            here = (self.site_rows == d.row) & (self.site_of == d.site)
            if d.value:
                rule[(self.site_rows == d.row) & ~here] = -1
                rule[here] = 1
            else:
                rule[here] = -1
        return rule

    def price(self, lp: LpPoint, cuts: list[IntArray], rule: IntArray,
              upper: FloatArray) -> tuple[FloatArray, list[IntArray]]:
        """Each site's least reduced cost (before its own and the count row's duals) and set."""
        m = self.model
        values, chosen = price_sites(
            self.site_ptr, self.site_rows, self.site_cost, rule, m.w, m.capacity, upper > 0,
            lp.cover, cuts, np.maximum(-lp.cut, 0.0),
        )
        sets = [self.site_rows[lo:hi][chosen[lo:hi]]
                for lo, hi in zip(self.site_ptr[:-1], self.site_ptr[1:], strict=True)]
        return values, sets


def _lagrangian(lp: LpPoint, values: FloatArray, lower: FloatArray, upper: FloatArray,
                new: int, n_new: int) -> float:
    """The Lagrangian bound of the node: cover and cut rows relaxed with the LP's duals, each
    site choosing at most one set (exactly one when forced open) and ``new`` candidates open."""
    total = float(lp.cover.sum()) + float(np.minimum(lp.cut, 0.0).sum())
    forced = lower > 0
    if np.isinf(values[forced]).any():
        return math.inf
    existing = np.arange(values.size) >= n_new
    free_existing = existing & ~forced
    total += float(values[forced].sum()) + float(np.minimum(values[free_existing], 0.0).sum())
    left = new - int(forced[:n_new].sum())
    free_new = np.flatnonzero(~forced[:n_new] & (upper[:n_new] > 0))
    if left < 0 or left > free_new.size:
        return math.inf
    if left:
        total += float(np.sort(values[free_new])[:left].sum())
    return total


class BranchPriceCut:
    """One search over ``model`` (every row served, ``new`` candidate sites open)."""

    def __init__(self, model: Assignment, new: int, clock: Clock) -> None:
        self.model = model
        self.new = new
        self.clock = clock
        self.master = SetPartitionMaster(model, new)
        self.pricing = _Pricing(model)
        self.integral = bool(np.array_equal(model.pair_cost, np.round(model.pair_cost)))
        self.best_value = math.inf
        self.best_plan: IntArray | None = None
        self.nodes = 0

    def _rounded(self, bound: float) -> float:
        return math.ceil(bound - 1e-6) if self.integral and math.isfinite(bound) else bound

    def _beaten(self, bound: float) -> bool:
        """No plan of this bound beats the incumbent."""
        return self._rounded(bound) >= self.best_value - 1e-9

    def offer(self, column_of_row: IntArray, value: float) -> None:
        """Keep a plan (each row's site column) if it is the best so far."""
        if value < self.best_value - 1e-9:
            self.best_value, self.best_plan = value, column_of_row

    def _columns(self, decisions: tuple[Decision, ...]) -> tuple[FloatArray, FloatArray,
                                                                  IntArray]:
        lower, upper = site_bounds(decisions, self.model)
        return lower, upper, self.pricing.rules(decisions)

    def generate(self, decisions: tuple[Decision, ...], bound: float, *,
                 to_the_end: bool = False) -> tuple[LpPoint | None, float]:
        """Column generation at a node: the last LP (None: infeasible or out of time) and the
        node's best bound. Pricing stops once the bound, rounded, reaches the LP's unless
        ``to_the_end``."""
        lower, upper, rule = self._columns(decisions)
        self.master.restrict(decisions)
        while True:
            lp = self.master.solve(self.clock.remaining())
            if lp is None or self.clock.expired:
                return None, bound
            values, sets = self.pricing.price(lp, self.master.cuts, rule, upper)
            bound = max(bound, _lagrangian(lp, values, lower, upper, self.new,
                                           self.model.n_new))
            if self._beaten(bound) or (self._rounded(bound) >= self._rounded(lp.value)
                                       and not to_the_end):
                return lp, bound
            rc = values - lp.site - np.where(np.arange(values.size) < self.model.n_new,
                                             lp.count, 0.0)
            enter = np.flatnonzero(rc < -_ENTER)
            if enter.size == 0:
                return lp, max(bound, lp.value)
            if not self.master.add_columns(enter, [sets[j] for j in enter]):
                return lp, bound  # only columns dropped for good price out: the LP is no bound

    def _integral(self, lp: LpPoint) -> bool:
        """The LP chose whole columns only, and no artificial one."""
        x = lp.x
        return lp.artificial <= _INTEGRAL and not ((x > _INTEGRAL) & (x < 1 - _INTEGRAL)).any()

    def _offer_columns(self, chosen: IntArray) -> None:
        """Offer the plan of pool columns ``chosen``, at the sum of their costs."""
        plan = np.full(self.model.rows.size, -1, dtype=np.int64)
        members = self.master.members()
        for c in chosen:
            plan[members[c]] = self.master.col_site[c]
        self.offer(plan, float(self.master.col_cost[chosen].sum()))

    def _branch(self, lp: LpPoint) -> list[Decision] | None:
        """The two decisions to branch on: the most fractional candidate site, else the most
        fractional (row, site) assignment; None when the LP is integral."""
        x, site = lp.x, self.master.col_site
        k = self.model.n_new
        opened = np.bincount(site, weights=x, minlength=self.model.columns.size)[:k]
        frac = np.abs(opened - 0.5)
        j = int(np.argmin(frac))
        if frac[j] < 0.5 - _INTEGRAL:
            return [Decision(j, -1, 1), Decision(j, -1, 0)]
        used = np.flatnonzero(x > _INTEGRAL)
        members = self.master.members()[used]
        flow = sp.coo_array(
            (np.repeat(x[used], members.sum(axis=1)),
             (np.nonzero(members)[1], np.repeat(site[used], members.sum(axis=1)))),
            shape=(self.model.rows.size, self.model.columns.size)).toarray()
        gap = np.abs(flow - 0.5)
        row, at = np.unravel_index(int(np.argmin(gap)), gap.shape)
        if gap[row, at] < 0.5 - _INTEGRAL:
            return [Decision(int(at), int(row), 1), Decision(int(at), int(row), 0)]
        return None

    def _root_cuts(self, lp: LpPoint, bound: float) -> tuple[LpPoint, float]:
        """Rounds of subset-row cuts at the root until none is violated, the bound stalls or
        the incumbent is reached."""
        history = [lp.value]
        for _ in range(_CUT_ROUNDS):
            if self._beaten(bound) or self.clock.expired:
                break
            cuts = self.master.violated_cuts(lp.x, _CUTS_PER_ROUND)
            if not cuts:
                break
            self.master.add_cuts(cuts)
            found, bound_after = self.generate((), -math.inf)
            if found is None:
                break
            lp = found
            bound = bound_after
            history.append(lp.value)
            lp = self._shed(lp) or lp
            if len(history) > _TAIL and history[-1] - history[-1 - _TAIL] < _TAIL_GAIN:
                break
        return lp, bound

    def _shed(self, lp: LpPoint) -> LpPoint | None:
        """Take out of the LP the columns whose reduced cost exceeds the gap to the incumbent
        or ``_SHED_SHARE`` of the LP value; pricing brings back any it needs.
        Returns the LP re-solved (same optimum) or None when nothing was taken out."""
        gap = min(self.best_value - lp.value, _SHED_SHARE * abs(lp.value))
        drop = self.master.reduced_costs(lp) > max(gap, _ENTER)
        if not drop.any():
            return None
        self.master.drop_columns(drop)
        return self.master.solve(self.clock.remaining())

    def _fix_columns(self, lp: LpPoint, bound: float) -> tuple[LpPoint | None, float]:
        """Drop the columns no plan better than the incumbent can use: at the root LP's optimum
        (priced to the end), a column whose reduced cost lifts the LP value past the incumbent."""
        if not math.isfinite(self.best_value):
            return lp, bound
        found, bound = self.generate((), bound, to_the_end=True)
        if found is None or self._beaten(bound):
            return lp, bound
        lp = found
        target = self.best_value - 1 + 1e-6 if self.integral else self.best_value
        self.master.drop_columns(lp.value + self.master.reduced_costs(lp) > target)
        return self.master.solve(self.clock.remaining()), bound

    def pool_plan(self, lp: LpPoint, seconds: float | None) -> None:
        """Solve the pool's columns of least reduced cost as a set-partitioning MILP and offer
        its plan."""
        m, master = self.model, self.master
        keep = np.sort(np.argsort(master.reduced_costs(lp), kind="stable")[:_POOL_COLUMNS])
        members = master.members()[keep]
        site = master.col_site[keep]
        n_cols = keep.size
        g, a = m.rows.size, m.columns.size
        new_col = site < m.n_new
        rows = np.concatenate((np.nonzero(members.T)[0], g + site,
                               np.full(int(new_col.sum()), g + a)))
        cols = np.concatenate((np.nonzero(members.T)[1], np.arange(n_cols),
                               np.flatnonzero(new_col)))
        A = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(g + a + 1, n_cols))
        lower = np.concatenate((np.ones(g), np.zeros(a), [float(self.new)]))
        upper = np.concatenate((np.ones(g), np.ones(a), [float(self.new)]))
        problem = MilpProblem(master.col_cost[keep], A, lower, upper, np.zeros(n_cols),
                              np.ones(n_cols), np.ones(n_cols, dtype=np.bool_))
        out = solve_milp(problem, time_limit=seconds)
        if out.x is not None and out.status in (MilpStatus.OPTIMAL, MilpStatus.FEASIBLE):
            self._offer_columns(keep[out.x > 0.5])

    def search(self) -> Tree:
        """Root with cuts, an incumbent from the pool, then best-bound-first branching."""
        lp, bound = self.generate((), -math.inf)
        if lp is None:
            return Tree(None, math.inf, bound, False, 0, ())
        self.pool_plan(lp, self.clock.remaining(_POOL_SHARE))
        lp, bound = self._root_cuts(lp, bound)
        self.pool_plan(lp, self.clock.remaining(_POOL_SHARE))
        lp, bound = self._fix_columns(lp, bound)
        heap = [_Node(bound, 0, 0, ())]
        seq = 1
        ready = lp  # the root's LP, solved already
        while heap and not self.clock.expired:
            node = heapq.heappop(heap)
            if self._beaten(node.bound):
                continue
            if ready is None:
                ready, bound = self.generate(node.decisions, node.bound)
                if ready is None:
                    if self.clock.expired:
                        heapq.heappush(heap, node)
                    continue
            lp, ready = ready, None
            self.nodes += 1
            if self._beaten(bound):
                continue
            if self._integral(lp):
                self._offer_columns(np.flatnonzero(lp.x > 0.5))
                continue
            branch = self._branch(lp)
            if branch is None:
                continue
            for d in branch:
                heapq.heappush(heap, _Node(bound, -(len(node.decisions) + 1), seq,
                                           (*node.decisions, d)))
                seq += 1
        open_bound = min((n.bound for n in heap if not self._beaten(n.bound)), default=math.inf)
        return Tree(self.best_plan, self.best_value,
                    min(self._rounded(open_bound), self.best_value), math.isinf(open_bound),
                    self.nodes, tuple(self.master.cuts))



def solve_by_columns(name: str, model: Assignment, new: int, call: CallContext,
                     start: IntArray, upper: float, lower: float) -> Solution:
    """The single-source capacitated p-median over ``model`` (every row served, ``new``
    candidate sites open) by branch-price-and-cut, from the plan ``start`` (each row's column)
    of cost ``upper``; ``lower`` is a bound already proven (a Lagrangian bound)."""
    search = BranchPriceCut(model, new, call.clock)
    search.offer(start, upper)
    tree = search.search()
    plan = search.best_plan if search.best_plan is not None else start
    open_new = np.zeros(model.n_new, dtype=np.bool_)
    open_new[plan[(plan >= 0) & (plan < model.n_new)]] = True
    idle = np.flatnonzero(~open_new)[: new - int(open_new.sum())]
    open_new[idle] = True  # sites opened with nothing to serve: the count is met
    how = (f"branch-price-and-cut: {tree.nodes} nodes, {len(tree.cuts)} subset-row cuts"
           if tree.proven else
           f"time limit: branch-price-and-cut stopped after {tree.nodes} nodes")
    bound = min(max(tree.bound, lower), search.best_value)
    return model.solution(
        name, model.start(plan, open_new), call.n_rows, call.sites,
        objective=call.sign * search.best_value, bound=call.sign * bound,
        status=Status.OPTIMAL if tree.proven else Status.FEASIBLE, seconds=call.clock.seconds,
        reason=f"{how}; {float(model.w.sum()):g} weight units served, each row by one site",
        **{**call.fields(), "method": "branch_price_cut"},
    )
