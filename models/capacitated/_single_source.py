"""Exact solve of a single-source model: root LP, an LP dive for an incumbent, a Lagrangian
bound, and variable fixing.

With HiGHS the MILP is not handed over as built. First:

1. the LP relaxation is solved once; its value ``LB`` bounds the optimum and its reduced costs
   say how much forcing a variable to 1 would lift the LP value;
2. an LP dive finds an incumbent: the most open fractional site is fixed open and the LP
   re-solved from its basis, until the sites are integral; the rows are then assigned to those
   sites exactly (the MILP with ``y`` fixed, a generalised assignment problem);
3. every pair (row, site) whose reduced cost lifts ``LB`` above the incumbent ``UB``, and every
   site whose forced opening does, is fixed at 0: no solution better than the incumbent uses it;
4. when sites are limited by number, the Lagrangian relaxation of the rows' assignment
   (:mod:`.lagrangian`: a 0-1 knapsack per site) is lifted from the LP's row duals by
   subgradient steps; its bound replaces ``LB`` when higher, and it fixes again, more than the
   LP can: pairs and sites at 0, and sites every better solution opens at 1.

For the p-median (every row served, sites limited by number) the pairs left after step 4 go
to branch-price-and-cut instead (:func:`solve_pmedian_by_columns`, :mod:`.branch_price`), from
the incumbent and with the Lagrangian bound; the notes below on the compact MILP are why.

Otherwise the MILP is then solved on what is left, from the incumbent. Its bound is valid for
the full model as ``min(bound, UB)``: a solution using a removed pair costs more than ``UB``.

Before branch-price-and-cut took the p-median (the figures below are of the MILP path): on
the Osman & Christofides problems (OR-Library ``pmedcap1``) one run of
``benchmarks/pmedcap_runner.py --full-model`` (2026-12, two shared cores, 60 s each) proved 17
of 18 optimal, the slowest in 24 s (pmedcap14), 104 s for the 17 in all; the full model to
HiGHS with the same options, in the same run, took 1.0-2.2x as long per problem (172 s for the
17). Without step 4 the call took 195 s for the 17, the slowest 44 s (pmedcap14). The LP gap
is what limits pmedcap20: after 60 s its bound is 977 against the optimum 1005 (LP 961,
Lagrangian 974, the Dantzig-Wolfe bound of the knapsack decomposition), and branching on sites
lifts the LP only 2-4 per branch. Measured without success (2026-12): the Dantzig-Wolfe bound
(973.65, by column generation) leaves 2.86 million (site, rows) columns within the gap to the
optimum, too many for a set-partitioning MILP; HiGHS with one Lagrangian cut per site and the
pairs fixed at the optimum's value reaches 985 after 240 s, SCIP (OR-Tools) 986 after 300 s.
Without the 60 s limit this call proves pmedcap20 optimal in 325 s (2026-12-06, 900 s limit);
given the optimum as incumbent, the MILP left after fixing (3,281 of 10,100 columns) takes
HiGHS 218 s and 10,468 nodes on its own, so a better incumbent cannot reach 60 s, nor can
HiGHS's options (two at a time on the two cores: as built 274 s, ``mip_pscost_minreliable`` 2
286 s, 16 not proven in 300 s, 4 without heuristics 994 after 300 s, no presolve 984).
Splitting that MILP on its most fractional site for the two cores does not help either: the
branch with the site closed takes 203 s (the incumbent's side), the open one 285 s.
Also measured without success (2026-12-06): a Lagrangian branch and bound on sites (the
knapsack bound at every node, 60 steps from the parent's multipliers, fixing, best first)
reached 986 after 600 s and 1,857 nodes; CP-SAT (two workers) 967 after 120 s; rows asking
every open site for the least load the others leave (44 of 120) made HiGHS slower (989 after
330 s against proven in 319 s); four leaves split on two sites with the ascent and fixing
redone in each take 13, 38, 15 and 145 s (the optimum's leaf alone is over 60 s).
CP-SAT (two workers) on the model left after fixing (4,626 of 10,100 columns, incumbent 1015)
finds 1005 within 55 s but proves only 922 (2026-12-07). Neither helps (2026-12-07): making
every open site serve its own row (the LP stays 961.17, the Lagrangian ascent takes the same
path, HiGHS 974 after 150 s); HiGHS on the model left after fixing with other random seeds (979
after 150 s); CP-SAT's bound search (``lb_tree_search`` and ``max_lp``, two workers) 980 after
90 s; the assignments of the site sets the Lagrangian opens near its optimum (best 1131: there
21 sites lie within 0.01 of the tenth knapsack value); rounded capacity cuts (the sites left
to a set of rows after fixing at 1005 open at least its demand over the capacity, rounded up;
sets grown by distance from every row): none is violated at the LP optimum. Nor (2026-12-07)
does a least load in the Dantzig-Wolfe columns (every open site serves at least the 44 units
the other nine leave): column generation ends at the same 973.65. Nor (2026-12-07) does
branch-and-price (knapsack pricing by dynamic programme over all sites at once, a column pool
shared by the nodes, the Lagrangian bound at every pricing round, best bound first, cutoff
1005 given): branching on assignments (row, site) proves 985.9 after 60 s and 991.7 after
600 s (3,636 nodes), on sites first then assignments 986.1 and 995.5 (4,606 nodes), some 2-4
units per doubling of the time; strong branching on assignments did worse at 120 s. It proves
pmedcap01, 11 and 14 in 1.4, 11 and 37 s, which the call above does already.
What does lift the bound (2026-12-07): subset-row cuts in the Dantzig-Wolfe master (for three
rows, at most one chosen column serves two of them): twelve rounds of separation, 532 cuts,
take the proven root bound from 973.65 to 1001.67 (optimum 1005; pmedcap11 to its optimum 1006
in two rounds). With the cuts a column's price is no longer a plain knapsack; priced exactly
by one small MIP per site the root took 1,291 s. A labelling in numpy that tracks the
cuts is slower still (0.2-3.3 s a site, its labels past memory at 24 rows); the depth-first
search compiled with numba in :mod:`.set_pricing` takes milliseconds for all 100 sites, and
with it branch-price-and-cut proves pmedcap20 optimal in 18-30 s (2026-12-07).
Nor does fixing by the cut master's duals before the compact MILP: at a root of 1001.92 (585
triples and 8 five-row cuts) the exact reduced costs leave 65 sites and 1,377 pairs (36 s;
1,019 pairs with exact pricing of each pair, 262 s), on which HiGHS proves 1005 in 140 s (84 s);
the cut-free knapsack's reduced costs fix nothing (the cuts' duals are large). The branching
must go on in the cut master.
With CBC or SCIP (independent checks) the full model goes to the solver unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._milp import MilpProblem, MilpStatus, highs_lp, new_highs, solve_milp
from .._result import Solution
from ..arrays import BoolArray, FloatArray, IntArray
from ..clock import Clock
from ..coverage import solve_with_fallback
from ._pairs import CallContext
from .assignment import Assignment
from .branch_price import solve_by_columns
from .lagrangian import Lagrangian

#: A y value this close to 0 or 1 counts as integral in the dive.
_INTEGRAL = 1e-6
#: Share of the remaining time the incumbent's exact assignment may take.
_ASSIGN_SHARE = 0.2
#: HiGHS 1.16's RENS heuristic looped inside a sub-MIP's presolve
#: (``HPresolve::strengthenInequalities``) for over 10 minutes past a 60 s time limit on
#: pmedcap16; without RENS the same model is solved to optimality in 17 s.
HIGHS_OPTIONS = {"mip_heuristic_run_rens": False}


@dataclass(frozen=True)
class _Root:
    """What the root LP, the dive and the Lagrangian found: the bound, an incumbent and the
    fixed variables."""

    bound: float
    incumbent: FloatArray | None
    upper: float
    fixed_out: IntArray  # variables no solution better than the incumbent sets to 1
    fixed_in: IntArray  # variables every solution better than the incumbent sets to 1


def _dive(h: Any, k: int, clock: Clock) -> FloatArray | None:
    """Fix the most open fractional site to 1 and re-solve until the sites are integral.

    Returns the LP point with integral ``y``, or None when an LP fails or time runs out.
    """
    import highspy

    while not clock.expired:
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.asarray(h.getSolution().col_value, dtype=np.float64)
        y = x[:k]
        frac = np.flatnonzero((y > _INTEGRAL) & (y < 1 - _INTEGRAL))
        if frac.size == 0:
            return x
        j = int(frac[np.argmax(y[frac])])  # argmax: the lowest index among ties
        h.changeColBounds(j, 1.0, 1.0)
        if clock.limit is not None:
            h.setOptionValue("time_limit", clock.remaining())
        h.run()
    return None


def _assign(problem: MilpProblem, y: FloatArray, clock: Clock) -> FloatArray | None:
    """The best assignment of rows to the sites ``y`` (0/1 per new site), or None."""
    k = y.size
    fixed = replace(problem, col_lower=np.concatenate((y, problem.col_lower[k:])),
                    col_upper=np.concatenate((y, problem.col_upper[k:])))
    remaining = clock.remaining()
    out = solve_milp(fixed, time_limit=None if remaining is None else remaining * _ASSIGN_SHARE,
                     highs_options=HIGHS_OPTIONS)
    if out.x is None or out.status not in (MilpStatus.OPTIMAL, MilpStatus.FEASIBLE):
        return None
    return np.where(problem.integer, np.round(out.x), out.x)


class _Incumbent:
    """The best solution found so far and its value."""

    def __init__(self, problem: MilpProblem, x: FloatArray | None) -> None:
        self.problem = problem
        self.x = x
        self.value = np.inf if x is None else float(problem.c @ x)

    def offer(self, x: FloatArray | None) -> None:
        if x is not None and float(self.problem.c @ x) < self.value:
            self.x, self.value = x, float(self.problem.c @ x)


def _cutoff(problem: MilpProblem, upper: float) -> float:
    """The value a solution must stay at or under to beat ``upper``: ``upper - 1`` (plus a
    tolerance) when every objective coefficient is an integer, else ``upper``."""
    integral = np.array_equal(problem.c, np.round(problem.c))
    return upper - 1 + 1e-6 if integral else upper + 1e-9 * max(1.0, abs(upper))


def _root(
    problem: MilpProblem, model: Assignment, clock: Clock, warm: FloatArray | None,
    lagrangian: Lagrangian | None,
) -> _Root | None:
    """Root LP, dive with an exact assignment to its sites, Lagrangian ascent and fixing; None
    when the LP fails.

    The incumbent is the better of the dive's assignment and ``warm``.
    """
    import highspy

    k = model.n_new
    h = new_highs()
    h.setOptionValue("random_seed", 0)
    if clock.limit is not None:
        h.setOptionValue("time_limit", clock.remaining())
    h.passModel(highs_lp(problem.relaxed()))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    bound = float(h.getInfo().objective_function_value)
    solution = h.getSolution()
    lp_x = np.asarray(solution.col_value, dtype=np.float64)
    reduced = np.asarray(solution.col_dual, dtype=np.float64)
    duals = np.asarray(solution.row_dual, dtype=np.float64)
    best = _Incumbent(problem, warm)
    dived = _dive(h, k, clock)
    if dived is not None:
        best.offer(_assign(problem, np.round(dived[:k]), clock))
    at_zero = lp_x <= _INTEGRAL
    out = at_zero & (bound + reduced > _cutoff(problem, best.value))
    into = np.zeros(problem.num_col, dtype=np.bool_)
    if lagrangian is not None and np.isfinite(best.value) and not clock.expired:
        u, lifted = lagrangian.ascend(duals[:lagrangian.cost.shape[0]], best.value, clock)
        bound = max(bound, lifted)
        pair_out, site_out, site_in = lagrangian.fixed(u, _cutoff(problem, best.value))
        out[:k] |= site_out
        out[k:] |= pair_out[model.pair_row, model.pair_col]
        into[:k] = site_in
    if best.x is not None:
        out &= best.x < 0.5
        into &= best.x > 0.5
    return _Root(bound, best.x, best.value, np.flatnonzero(out), np.flatnonzero(into))


def _fixed(problem: MilpProblem, root: _Root) -> MilpProblem:
    """``problem`` with the root's fixings as bounds: what no better plan uses at 0, what every
    better plan opens at 1."""
    lower, upper = problem.col_lower.copy(), problem.col_upper.copy()
    upper[root.fixed_out] = 0.0
    lower[root.fixed_in] = 1.0
    return replace(problem, col_lower=lower, col_upper=upper)


def solve_single_source(
    name: str, model: Assignment, problem: MilpProblem, warm: FloatArray | None,
    call: CallContext, lagrangian: Lagrangian | None = None,
) -> Solution:
    """Solve ``problem`` (a minimisation over ``model``'s variables) and return its Solution.

    ``warm`` is a feasible variable vector or None; ``lagrangian`` the model's relaxation when
    its sites are limited by number (None: the LP alone bounds and fixes).
    """
    root = _root(problem, model, call.clock, warm, lagrangian) if call.backend == "highs" \
        else None
    upper = np.inf
    if root is not None:
        upper, warm = root.upper, root.incumbent
        problem = _fixed(problem, root)
    solved = solve_with_fallback(problem, warm, backend=call.backend, clock=call.clock,
                                 highs_options=HIGHS_OPTIONS)
    if solved.x is None:
        why = "no assignment of whole rows to sites fits the capacities with these sites"
        return call.infeasible(name, f"{solved.note}: {why}")
    served = float(model.w[model.column_of_rows(solved.x) >= 0].sum())
    note = f"{served:g} of {float(model.w.sum()):g} weight units served, each row by one site"
    lower = -np.inf if root is None else root.bound
    return model.solution(
        name, solved.x, call.n_rows, call.sites, objective=call.sign * solved.objective,
        bound=call.sign * max(min(solved.bound, upper), min(lower, solved.objective)),
        status=solved.status, seconds=call.clock.seconds,
        reason="; ".join(t for t in (solved.note, note) if t), **call.fields(),
    )


def solve_pmedian_by_columns(
    name: str, model: Assignment, problem: MilpProblem, new: int, call: CallContext,
    lagrangian: Lagrangian | None,
) -> Solution:
    """The single-source p-median (every row served, ``new`` candidate sites open): the root
    above for an incumbent, a bound and the pairs no better plan uses, then branch-price-and-cut
    (:mod:`.branch_price`) on the pairs left. Without an incumbent from the root, the MILP."""
    root = _root(problem, model, call.clock, None, lagrangian)
    if root is None or root.incumbent is None:
        return solve_single_source(name, model, problem, None, call, lagrangian)
    k = model.n_new
    fixed = _fixed(problem, root)
    site_open = np.concatenate((fixed.col_upper[:k] > 0, np.ones(model.columns.size - k, bool)))
    left = model.with_pairs((fixed.col_upper[k:] > 0) & site_open[model.pair_col])

    def assign(sites: BoolArray) -> tuple[IntArray, float] | None:
        x = _assign(fixed, sites.astype(np.float64), call.clock)
        return None if x is None else (model.column_of_rows(x), float(problem.c @ x))

    return solve_by_columns(name, left, new, call, model.column_of_rows(root.incumbent),
                            root.upper, root.bound, assign)
