"""Exact solve of a single-source model: root LP, an LP dive for an incumbent, pair elimination.

With HiGHS the MILP is not handed over as built. First:

1. the LP relaxation is solved once; its value ``LB`` bounds the optimum and its reduced costs
   say how much forcing a variable to 1 would lift the LP value;
2. an LP dive finds an incumbent: the most open fractional site is fixed open and the LP
   re-solved from its basis, until the sites are integral; the rows are then assigned to those
   sites exactly (the MILP with ``y`` fixed, a generalised assignment problem);
3. every pair (row, site) whose reduced cost lifts ``LB`` above the incumbent ``UB``, and every
   site whose forced opening does, is fixed at 0: no solution better than the incumbent uses it.

The MILP is then solved on what is left, from the incumbent. Its bound is valid for the full
model as ``min(bound, UB)``: a solution using an eliminated pair costs more than ``UB``.

On the Osman & Christofides problems (OR-Library ``pmedcap1``) elimination kept 11-74 % of the
pairs (all of them on pmedcap08, whose LP gap is 6 %). In one run of
``benchmarks/pmedcap_runner.py --full-model`` (2026-12, two shared cores, 60 s each) this call
proved 17 of 18 problems optimal in 255 s in all, the full model to HiGHS with the same options
16 of 18 in 311 s (0.2-7.7x per problem; pmedcap05 and 15 were slower this way). The LP gap,
not the model size, is what limits the hard problems: 4-6 % on pmedcap08 and 20, where the
bound of HiGHS's branch and cut closes slowly either way. With CBC or SCIP (independent checks)
the full model goes to the solver unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._milp import MilpProblem, MilpStatus, highs_lp, new_highs, solve_milp
from .._result import Solution
from ..arrays import FloatArray, IntArray
from ..clock import Clock
from ..coverage import solve_with_fallback
from ._assignment import Assignment
from ._pairs import CallContext

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
    """What the root LP and the dive found: the bound, an incumbent and the fixed variables."""

    bound: float
    incumbent: FloatArray | None
    upper: float
    fixed_out: IntArray  # variables no solution better than the incumbent sets to 1


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


def _root(
    problem: MilpProblem, k: int, clock: Clock, warm: FloatArray | None
) -> _Root | None:
    """Root LP, dive and exact assignment to the dive's sites; None when the LP fails.

    The incumbent is the better of that assignment and ``warm``.
    """
    import highspy

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
    dived = _dive(h, k, clock)
    incumbent, upper = warm, np.inf if warm is None else float(problem.c @ warm)
    if dived is not None:
        y = np.round(dived[:k])
        fixed = replace(problem, col_lower=np.concatenate((y, problem.col_lower[k:])),
                        col_upper=np.concatenate((y, problem.col_upper[k:])))
        remaining = clock.remaining()
        out = solve_milp(fixed, time_limit=None if remaining is None else
                         remaining * _ASSIGN_SHARE, highs_options=HIGHS_OPTIONS)
        if out.x is not None and out.status in (MilpStatus.OPTIMAL, MilpStatus.FEASIBLE):
            assigned = np.where(problem.integer, np.round(out.x), out.x)
            if float(problem.c @ assigned) < upper:
                incumbent, upper = assigned, float(problem.c @ assigned)
    margin = 1e-9 * max(1.0, abs(upper))
    at_zero = lp_x <= _INTEGRAL
    out_vars = np.flatnonzero(at_zero & (bound + reduced > upper + margin))
    if incumbent is not None:
        out_vars = out_vars[incumbent[out_vars] < 0.5]
    return _Root(bound, incumbent, upper, out_vars.astype(np.int64))


def solve_single_source(
    name: str, model: Assignment, problem: MilpProblem, warm: FloatArray | None,
    call: CallContext,
) -> Solution:
    """Solve ``problem`` (a minimisation over ``model``'s variables) and return its Solution.

    ``warm`` is a feasible variable vector or None.
    """
    root = _root(problem, model.n_new, call.clock, warm) if call.backend == "highs" else None
    upper = np.inf
    if root is not None:
        upper, warm = root.upper, root.incumbent
        upper_bounds = problem.col_upper.copy()
        upper_bounds[root.fixed_out] = 0.0
        problem = replace(problem, col_upper=upper_bounds)
    solved = solve_with_fallback(problem, warm, backend=call.backend, clock=call.clock,
                                 highs_options=HIGHS_OPTIONS)
    if solved.x is None:
        why = "no assignment of whole rows to sites fits the capacities with these sites"
        return call.infeasible(name, f"{solved.note}: {why}")
    served = float(model.w[model.column_of_rows(solved.x) >= 0].sum())
    note = f"{served:g} of {float(model.w.sum()):g} weight units served, each row by one site"
    return model.solution(
        name, solved.x, call.n_rows, call.sites, objective=call.sign * solved.objective,
        bound=call.sign * min(solved.bound, upper), status=solved.status,
        seconds=call.clock.seconds, reason="; ".join(t for t in (solved.note, note) if t),
        **call.fields(),
    )
