"""Why no plan exists: which requirement, and the weight or yuan it lacks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .._milp import MilpOutcome, MilpProblem, MilpStatus, solve_milp
from ..clock import Clock
from .milp import Model
from .prepare import TOL, Inputs, Requirement
from .solution import Infeasibility, Limit

_SITE_LIMITS: tuple[Limit, ...] = ("floor_area", "types_per_site")


def diagnose(
    model: Model, inp: Inputs, reqs: Sequence[Requirement], clock: Clock,
) -> tuple[Infeasibility, ...]:
    """Why no plan meets the requirements, as records.

    First each requirement alone: out of reach of the allowed sites, or costing more than the
    budget released by its phase (a proven least cost). When each can be met alone, the
    requirements together: the per-site limits (floor area, types per site) with any budget,
    then the least spend by the end of each phase a requirement is due. A single requirement
    is never stopped by the per-site limits alone: one facility fits every allowed site.

    Each solve gets what is left of ``clock``; what is not settled in time is a ``deadline``
    record.
    """
    records = [rec for k, r in enumerate(reqs)
               if (rec := _alone(k, r, model, inp, clock)) is not None]
    return tuple(records) or _together(model, inp, reqs, clock)


def _solve(model: Model, cost: npt.NDArray[np.float64], clock: Clock, *,
           dropped: Sequence[str], only: int | None = None) -> MilpOutcome:
    """Minimize ``cost`` over the plan's rows less the blocks ``dropped`` (and, with ``only``,
    every requirement but that one)."""
    p = model.problem
    lower, upper = p.row_lower.copy(), p.row_upper.copy()
    for name in dropped:
        if name in model.rows:
            upper[model.rows[name]] = np.inf
    if only is not None:
        others = np.arange(model.rows["requirements"].start, model.rows["requirements"].stop)
        lower[np.delete(others, only)] = -np.inf
    return solve_milp(MilpProblem(cost, p.A, lower, upper, p.col_lower, p.col_upper, p.integer),
                      time_limit=clock.remaining())


def _alone(
    k: int, r: Requirement, model: Model, inp: Inputs, clock: Clock,
) -> Infeasibility | None:
    """The record of requirement ``k`` alone, or None when it can be met alone."""
    if r.reachable < r.need * (1 - TOL):
        return Infeasibility(k, r.type_index, r.by_phase, "reach", "weight", r.need, r.reachable)
    if clock.expired:
        return Infeasibility(k, r.type_index, r.by_phase, "deadline")
    out = _solve(model, model.spend[[r.by_phase]].toarray().ravel(), clock,
                 dropped=("budget", *_SITE_LIMITS), only=k)
    budget = float(inp.budget_cum[r.by_phase])
    if np.isfinite(out.bound) and out.bound > budget * (1 + TOL):
        return Infeasibility(k, r.type_index, r.by_phase, "budget", "yuan", float(out.bound),
                             budget)
    if out.status is MilpStatus.OPTIMAL:
        return None
    return Infeasibility(k, r.type_index, r.by_phase, "deadline")


def _together(
    model: Model, inp: Inputs, reqs: Sequence[Requirement], clock: Clock,
) -> tuple[Infeasibility, ...]:
    """Records for requirements that can each be met alone but not all together."""
    nothing = np.zeros(model.problem.num_col)
    limits = [name for name in _SITE_LIMITS if name in model.rows]
    if limits and _solve(model, nothing, clock, dropped=("budget",)).status is \
            MilpStatus.INFEASIBLE:
        alone = [name for name in limits if _solve(
            model, nothing, clock, dropped=("budget", *(n for n in limits if n != name)),
        ).status is MilpStatus.INFEASIBLE]
        return tuple(Infeasibility(None, None, None, name) for name in alone) or \
            (Infeasibility(None, None, None, "site_limits"),)
    short = []
    for f in sorted({r.by_phase for r in reqs}):
        out = _solve(model, model.spend[[f]].toarray().ravel(), clock, dropped=("budget",))
        budget = float(inp.budget_cum[f])
        if np.isfinite(out.bound) and out.bound > budget * (1 + TOL):
            short.append(Infeasibility(None, None, f, "budget", "yuan", float(out.bound), budget))
    if short:
        return tuple(short)
    if clock.expired:
        return (Infeasibility(None, None, None, "deadline"),)
    return (Infeasibility(None, None, None, "together"),)


def nothing_affordable(inp: Inputs) -> str:
    """Why no single facility fits any phase's cumulative budget, or "" when one does."""
    cost = np.where(inp.allowed, inp.type_cost + inp.base_cost[:, None], np.inf)
    need = cost.min(axis=1)
    # Cumulative budgets never decrease, so the last phase offers the most money.
    budget = inp.budget_cum[-1]
    if (need <= budget * (1 + TOL)).any():
        return ""
    if not np.isfinite(need).any():
        return "no (site, type) pair is allowed (or fits its site's floor area); nothing is built"
    j = int(np.argmin(need))
    return (f"the total budget of {budget:,.0f} yuan is below the cheapest project "
            f"({need[j]:,.0f} yuan at site {j}); nothing is built")
