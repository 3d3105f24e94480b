"""Branch-price-and-cut for the single-source capacitated p-median.

The master (:mod:`.set_partition`) chooses one set of rows per open site; columns are priced
site by site (:mod:`.set_pricing`), at the LP's duals and at duals smoothed towards those of
the best bound so far (Wentges 1997); subset-row cuts, in rounds at the root and one round at
every other node, lift the bound; the tree branches on a site being open, then on a row being
served by a site, best bound first. Every pricing gives a Lagrangian bound (cover and cut rows
relaxed, the site and count rows kept), so that a node stops pricing as soon as its bound,
rounded up when every cost is an integer, can rise no further, and is pruned as soon as it
reaches the incumbent. Incumbents come from integral node LPs, from the best assignment to the
sites a node's LP opens most, and from the pool's columns solved as a set-partitioning MILP.

On the Osman & Christofides problems (2026-12-07, two shared cores) this proves pmedcap20
(optimum 1005) in 18-30 s, whose LP, Lagrangian and Dantzig-Wolfe bounds (961-974) left the
compact MILP searching for five minutes; its root with cuts is at 1001.67.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from .._milp import MilpProblem, MilpStatus, solve_milp
from .._result import Solution, Status
from ..arrays import BoolArray, FloatArray, IntArray
from ..clock import Clock
from ._pairs import CallContext
from .assignment import Assignment
from .set_partition import Decision, LpPoint, SetPartitionMaster, site_bounds

#: A column enters the master when its reduced cost is below minus this.
_ENTER = 1e-6
#: A value this close to 0 or 1 counts as integral.
_INTEGRAL = 1e-6
#: A cut whose dual is this close to 0 at the end of the root's rounds leaves the master.
_IDLE_CUT = 1e-9
#: Weight of the best duals so far in the duals priced (Wentges' smoothing).
_SMOOTHING = 0.7
#: Cuts added per separation round, and rounds at the root.
_CUTS_PER_ROUND = 100
_CUT_ROUNDS = 40
#: Rounds of cuts at every node after the root.
_NODE_CUT_ROUNDS = 1
#: The root's cut rounds stop when the last ``_TAIL`` rounds lifted the bound by less than this.
_TAIL, _TAIL_GAIN = 3, 0.1
#: Share of the time left that the pool's set-partitioning MILP may take for an incumbent.
_POOL_SHARE = 0.1
#: Columns whose reduced cost exceeds this share of the LP value leave it (and the gap to the
#: incumbent when smaller).
_SHED_SHARE = 0.01
#: Most branch-and-bound nodes of that MILP (a limit of work: the same plan under any load).
_POOL_NODES = 500
#: The tree's nodes after which it runs too (besides at the root, without and with cuts).
_POOL_AFTER = frozenset(2 ** k for k in range(1, 30))
#: Columns of least reduced cost in that MILP.
_POOL_COLUMNS = 2000


#: The best assignment of every row to a set of open candidate sites (a mask): each row's site
#: column and the cost, or None when none fits or time ran out.
Assigner = Callable[[BoolArray], "tuple[IntArray, float] | None"]


@dataclass(frozen=True)
class Tree:
    """What the search found: the best plan (each row's site column, -1 none), its cost, the
    proven lower bound, whether the search ended (proven), how many nodes it took and how many
    cuts the master holds."""

    column_of_row: IntArray | None
    value: float
    bound: float
    proven: bool
    nodes: int
    cuts: int


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

    def price(self, lp: LpPoint, in_cut: IntArray, rule: IntArray,
              upper: FloatArray) -> tuple[FloatArray, BoolArray]:
        """Each site's least reduced cost (before its own and the count row's duals) at the
        duals of ``lp``, and its set (a mask over the pairs, site-major)."""
        from .set_pricing import price_sites  # numba: imported by the models that price

        m = self.model
        return price_sites(
            self.site_ptr, self.site_rows, self.site_cost, rule, m.w, m.capacity, upper > 0,
            lp.cover, in_cut, np.maximum(-lp.cut, 0.0),
        )

    def sets(self, chosen: BoolArray, sites: IntArray) -> list[IntArray]:
        """The rows of each of ``sites``' sets in the mask ``chosen``."""
        return [self.site_rows[self.site_ptr[j]:self.site_ptr[j + 1]]
                [chosen[self.site_ptr[j]:self.site_ptr[j + 1]]] for j in sites]

    def values_at(self, lp: LpPoint, master: SetPartitionMaster, chosen: BoolArray,
                  priced: FloatArray) -> FloatArray:
        """The value of each site's set in ``chosen`` at the duals of ``lp`` (the pricing's
        objective; ``inf`` where ``priced`` is)."""
        a, g = self.model.columns.size, self.model.rows.size
        site, row = self.site_of[chosen], self.site_rows[chosen]
        member = np.zeros((a, g), dtype=np.bool_)
        member[site, row] = True
        out = np.bincount(site, weights=self.site_cost[chosen] - lp.cover[row], minlength=a) \
            + master.cut_coefficients(member) @ np.maximum(-lp.cut, 0.0)
        return np.where(np.isinf(priced), np.inf, out)


def _between(center: LpPoint, lp: LpPoint, weight: float) -> LpPoint:
    """Duals ``weight`` of the way from ``lp``'s to ``center``'s (Wentges' smoothing: pricing
    there steadies the duals that column generation makes swing); both of one master's cuts."""
    return replace(lp, cover=weight * center.cover + (1 - weight) * lp.cover,
                   cut=weight * center.cut + (1 - weight) * lp.cut)


def _lagrangian(lp: LpPoint, values: FloatArray, lower: FloatArray, upper: FloatArray,
                new: int, n_new: int) -> float:
    """The Lagrangian bound of the node: cover and cut rows relaxed with the duals of ``lp``,
    ``values`` each site's least priced set, each site choosing at most one set (exactly one
    when forced open) and ``new`` candidates open."""
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

    def __init__(self, model: Assignment, new: int, clock: Clock,
                 assign: Assigner | None = None) -> None:
        self.model = model
        self.new = new
        self.clock = clock
        self.assign = assign
        self._tried: set[bytes] = set()
        self.master = SetPartitionMaster(model, new)
        self.pricing = _Pricing(model)
        self.integral = bool(np.array_equal(model.pair_cost, np.round(model.pair_cost)))
        self.best_value = math.inf
        self.best_plan: IntArray | None = None
        self.nodes = 0

    def _assign_most_open(self, lp: LpPoint) -> None:
        """Offer the best assignment to the ``new`` candidate sites the LP opens most (ties to
        the lowest index), once per set of sites."""
        if self.assign is None or self._integral(lp):
            return
        k = self.model.n_new
        opened = np.bincount(self.master.col_site, weights=lp.x, minlength=k)[:k]
        chosen = np.zeros(k, dtype=np.bool_)
        chosen[np.argsort(-opened, kind="stable")[: self.new]] = True
        key = np.packbits(chosen).tobytes()
        if key in self._tried:
            return
        self._tried.add(key)
        found = self.assign(chosen)
        if found is not None:
            self.offer(*found)

    def _rounded(self, bound: float) -> float:
        return math.ceil(bound - 1e-6) if self.integral and math.isfinite(bound) else bound

    def _beaten(self, bound: float) -> bool:
        """No plan of this bound beats the incumbent."""
        return self._rounded(bound) >= self.best_value - 1e-9

    def offer(self, column_of_row: IntArray, value: float) -> None:
        """Keep a plan (each row's site column) if it is the best so far."""
        if value < self.best_value - 1e-9:
            self.best_value, self.best_plan = value, column_of_row

    def generate(self, decisions: tuple[Decision, ...],
                 bound: float) -> tuple[LpPoint | None, float]:
        """Column generation at a node: the last LP (None: infeasible or out of time) and the
        node's best bound. Pricing stops once the bound, rounded, reaches the LP's."""
        lower, upper = site_bounds(decisions, self.model)
        rule = self.pricing.rules(decisions)
        self.master.restrict(decisions)
        new_site = np.arange(self.model.columns.size) < self.model.n_new
        center: LpPoint | None = None  # the duals of the best Lagrangian bound so far
        best = -math.inf
        while True:
            lp = self.master.solve(self.clock.remaining())
            if lp is None or self.clock.expired:
                return None, bound
            sites: list[IntArray] = []
            sets: list[IntArray] = []
            # Priced at the LP's duals and, once there is a centre, at the smoothed duals too
            # (Wentges): more columns per LP solve, and the bound climbs steadily.
            for at in [lp] if center is None else [_between(center, lp, _SMOOTHING), lp]:
                values, chosen = self.pricing.price(at, self.master.in_cut, rule, upper)
                lagrangian = _lagrangian(at, values, lower, upper, self.new, self.model.n_new)
                if lagrangian > best:
                    center, best = at, lagrangian
                bound = max(bound, lagrangian)
                if self._beaten(bound) or self._rounded(bound) >= self._rounded(lp.value):
                    return lp, bound
                if at is not lp:
                    values = self.pricing.values_at(lp, self.master, chosen, values)
                enter = np.flatnonzero(values - lp.site - np.where(new_site, lp.count, 0.0)
                                       < -_ENTER)
                sites.append(enter)
                sets += self.pricing.sets(chosen, enter)
            if enter.size == 0:  # the LP's own duals price no column: it is optimal
                return lp, max(bound, lp.value)
            if not self.master.add_columns(np.concatenate(sites), sets):
                return lp, bound  # columns the LP has priced out again (tolerances): no bound

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

    def _root_cuts(self, lp: LpPoint, bound: float) -> tuple[LpPoint | None, float]:
        """Rounds of subset-row cuts at the root until none is violated, the bound stalls or
        the incumbent is reached; then the cuts left idle go. The LP is None when time ran
        out."""
        history = [lp.value]
        for _ in range(_CUT_ROUNDS):
            if self._beaten(bound):
                return lp, bound
            cuts = self.master.violated_cuts(lp.x, _CUTS_PER_ROUND)
            if not cuts:
                break
            self.master.add_cuts(cuts)
            found, bound = self.generate((), bound)
            found = None if found is None else self._shed(found)
            if found is None:
                return None, bound
            lp = found
            history.append(lp.value)
            if len(history) > _TAIL and history[-1] - history[-1 - _TAIL] < _TAIL_GAIN:
                break
        idle = np.abs(lp.cut) <= _IDLE_CUT
        if not idle.any() or self._beaten(bound):
            return lp, bound
        self.master.drop_cuts(idle)
        return self.master.solve(self.clock.remaining()), bound

    def _node_cuts(self, decisions: tuple[Decision, ...], lp: LpPoint,
                   bound: float) -> tuple[LpPoint | None, float]:
        """Rounds of subset-row cuts at a node (they hold at every node); None when time ran
        out or the node turned out infeasible."""
        for _ in range(_NODE_CUT_ROUNDS):
            if self._beaten(bound) or self._integral(lp):
                break
            cuts = self.master.violated_cuts(lp.x, _CUTS_PER_ROUND)
            if not cuts:
                break
            self.master.add_cuts(cuts)
            found, bound = self.generate(decisions, bound)
            if found is None:
                return None, bound
            lp = found
        return lp, bound

    def _shed(self, lp: LpPoint) -> LpPoint | None:
        """Take out of the LP the columns whose reduced cost exceeds the gap to the incumbent
        or ``_SHED_SHARE`` of the LP value; pricing brings back any it needs.
        Returns the LP re-solved (same optimum; ``lp`` itself when nothing was taken out), or
        None when time ran out."""
        gap = min(self.best_value - lp.value, _SHED_SHARE * abs(lp.value))
        drop = self.master.reduced_costs(lp) > max(gap, _ENTER)
        if not drop.any():
            return lp
        self.master.drop_columns(drop)
        return self.master.solve(self.clock.remaining())

    def _pool_start(self, keep: IntArray) -> FloatArray | None:
        """The incumbent as a choice of the columns ``keep``, when they hold all of it."""
        if self.best_plan is None:
            return None
        members, site = self.master.members()[keep], self.master.col_site[keep]
        x = np.zeros(keep.size)
        for j in np.unique(self.best_plan):
            rows = self.best_plan == j
            at = np.flatnonzero((site == j) & (members == rows).all(axis=1))
            if at.size == 0:
                return None
            x[at[0]] = 1.0
        return x

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
        out = solve_milp(problem, time_limit=seconds, node_limit=_POOL_NODES,
                         warm_start=self._pool_start(keep))
        if out.x is not None and out.status in (MilpStatus.OPTIMAL, MilpStatus.FEASIBLE):
            self._offer_columns(keep[out.x > 0.5])

    def search(self) -> Tree:
        """Root with cuts, an incumbent from the pool, then best-bound-first branching."""
        lp, bound = self.generate((), -math.inf)
        if lp is None:
            return Tree(None, math.inf, bound, False, 0, 0)
        self.pool_plan(lp, self.clock.remaining(_POOL_SHARE))
        self._assign_most_open(lp)
        cut_lp, bound = self._root_cuts(lp, bound)
        if cut_lp is not None:
            self._assign_most_open(cut_lp)
            self.pool_plan(cut_lp, self.clock.remaining(_POOL_SHARE))
        heap = [_Node(bound, 0, 0, ())]
        seq = 1
        ready = cut_lp  # the root's LP, solved already (None: solve it again if time is left)
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
            if self.nodes in _POOL_AFTER:
                self.pool_plan(lp, self.clock.remaining(_POOL_SHARE))
            if self._beaten(bound):
                continue
            self._assign_most_open(lp)  # nothing to assign when the LP is integral
            found, bound = self._node_cuts(node.decisions, lp, bound)
            if found is None:
                if self.clock.expired:
                    heapq.heappush(heap, _Node(bound, node.depth_key, node.seq, node.decisions))
                continue
            lp = found
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
                    self.nodes, len(self.master.cuts))


def solve_by_columns(name: str, model: Assignment, new: int, call: CallContext,
                     start: IntArray, upper: float, lower: float, assign: Assigner) -> Solution:
    """The single-source capacitated p-median over ``model`` (every row served, ``new``
    candidate sites open) by branch-price-and-cut, from the plan ``start`` (each row's column)
    of cost ``upper``; ``lower`` is a bound already proven (a Lagrangian bound); ``assign``
    the best assignment to a set of sites, for incumbents."""
    search = BranchPriceCut(model, new, call.clock, assign)
    search.offer(start, upper)
    tree = search.search()
    plan = search.best_plan if search.best_plan is not None else start
    open_new = np.zeros(model.n_new, dtype=np.bool_)
    open_new[plan[(plan >= 0) & (plan < model.n_new)]] = True
    idle = np.flatnonzero(~open_new)[: new - int(open_new.sum())]
    open_new[idle] = True  # sites opened with nothing to serve: the count is met
    how = (f"branch-price-and-cut: {tree.nodes} nodes, {tree.cuts} subset-row cuts"
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
