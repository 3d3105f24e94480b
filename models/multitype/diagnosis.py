"""Why no plan exists: which requirement, and the weight or yuan it lacks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._milp import MilpProblem, MilpStatus, solve_milp
from .milp import Model
from .prepare import TOL, Inputs, Requirement


def explain_infeasible(
    model: Model, inp: Inputs, reqs: Sequence[Requirement], time_limit: float | None,
) -> str:
    """Name the requirements that no budget, or not the given one, can meet, and what is missing."""
    parts = []
    for k, r in enumerate(reqs):
        name = f"requirements[{k}] (type {r.type_index}, by phase {r.by_phase})"
        if r.reachable < r.need * (1 - TOL):
            parts.append(
                f"{name} needs {r.need:.6g} more covered weight but sites allowed and available "
                f"by then can reach only {r.reachable:.6g}; allow more sites or lower its share")
            continue
        p = model.problem
        lower, upper = p.row_lower.copy(), p.row_upper.copy()
        upper[model.budget_rows] = np.inf
        others = np.arange(model.requirement_rows.start, model.requirement_rows.stop)
        lower[others[np.arange(len(reqs)) != k]] = -np.inf
        alone = MilpProblem(model.spend[[r.by_phase]].toarray().ravel(), p.A, lower, upper,
                            p.col_lower, p.col_upper, p.integer)
        out = solve_milp(alone, time_limit=time_limit)
        budget = inp.budget_cum[r.by_phase]
        if out.status is MilpStatus.INFEASIBLE:
            parts.append(f"{name} cannot be met with any budget under the site_area / "
                         "max_types_per_site limits")
        elif out.x is not None and out.bound > budget * (1 + TOL):
            parts.append(
                f"{name} needs at least {out.bound:,.0f} yuan spent by the end of phase "
                f"{r.by_phase} but the cumulative budget is {budget:,.0f} yuan "
                f"(short by {out.bound - budget:,.0f})")
    if not parts:
        return ("the requirements can each be met within the budget alone but not all together; "
                "raise the budgets or lower a share")
    return "; ".join(parts)



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
