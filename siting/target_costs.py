"""What a scenario target costs the rest of the plan.

Each target is measured by solving the plan again without it under the same time limit and
comparing objective, coverage per type, spend and the builds each plan makes that the other does
not (what the target displaces).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._base import Record
from .context import PlanContext
from .planning import plan_with_context
from .scenario import Scenario


class TargetCost(Record):
    """What one target costs the rest of the plan: the plan with all targets minus the plan
    without this one, under the same time limit.

    Objectives are in the optimizer's weighted resident-equivalents (phase-weighted), coverage
    in residents after the last phase, spend in yuan. ``displaced`` lists the builds
    (``site: type @ phase``) the plan makes without the target but not with it; ``added`` the
    reverse. Both solves carry their status and gap: a difference smaller than the gaps is not
    proven.
    """

    name: str
    tier: str
    by_phase: str
    communities: list[str]
    status_with: str
    status_without: str
    gap_with: float
    gap_without: float
    objective_with: float
    objective_without: float
    objective_lost: float
    spend_with_yuan: float
    spend_without_yuan: float
    added_yuan: float
    covered_with: dict[str, int]
    covered_without: dict[str, int]
    coverage_lost: dict[str, int]
    displaced: list[str]
    added: list[str]


Replan = Callable[[Scenario], PlanContext]


def _builds(context: PlanContext) -> dict[tuple[int, int], int]:
    phase = context.solution.build_phase
    return {(int(j), int(t)): int(phase[j, t]) for j, t in np.argwhere(phase >= 0)}


def _covered(context: PlanContext) -> dict[str, int]:
    return {r.key: round(float(r.residents[r.existing | (c >= 0)].sum()))
            for r, c in zip(context.rows, context.solution.covered_phase, strict=True)}


def _gap(context: PlanContext) -> float:
    gap = context.solution.gap
    return gap if np.isfinite(gap) else -1.0


def target_costs(
    context: PlanContext, *, replan: Replan | None = None, time_limit_s: float | None = None,
) -> list[TargetCost]:
    """Cost and displacement of each target of ``context``'s scenario.

    Parameters
    ----------
    context
        The plan solved with every target (`siting.plan_with_context`).
    replan
        Runs a scenario into a `PlanContext`; default `siting.plan_with_context`.
    time_limit_s
        Solver limit of each plan without a target; default the scenario's.

    Returns
    -------
    list[TargetCost]
        One per target, in scenario order (``gap`` -1 for an infeasible plan).
    """
    if replan is None:
        replan = plan_with_context
    scenario = context.scenario
    solver = scenario.solver if time_limit_s is None else \
        scenario.solver.model_copy(update={"time_limit_s": time_limit_s})
    keys = list(context.inputs.catalog.types)
    site_ids = context.inputs.sites["id"].astype(str).to_numpy()
    phases = [p.key for p in scenario.phases]
    with_builds, with_cover = _builds(context), _covered(context)
    type_cost = context.inputs.sites[[f"cost_yuan_{k}" for k in keys]].to_numpy(dtype=np.float64)
    base = context.inputs.sites["base_cost_yuan"].to_numpy(dtype=np.float64)
    out = []
    for n, target in enumerate(scenario.targets):
        others = scenario.targets[:n] + scenario.targets[n + 1:]
        alone = replan(scenario.model_copy(update={"targets": others, "solver": solver}))
        builds, cover = _builds(alone), _covered(alone)

        added = set(with_builds) - set(builds)
        new_sites = {j for j, _ in added} - {j for j, _ in builds}
        out.append(TargetCost(
            name=target.name, tier=target.tier, by_phase=target.by_phase,
            communities=list(target.communities),
            status_with=context.solution.status.value, status_without=alone.solution.status.value,
            gap_with=_gap(context), gap_without=_gap(alone),
            objective_with=context.solution.objective,
            objective_without=alone.solution.objective,
            objective_lost=alone.solution.objective - context.solution.objective,
            spend_with_yuan=float(context.solution.spend_by_phase.sum()),
            spend_without_yuan=float(alone.solution.spend_by_phase.sum()),
            added_yuan=float(sum(type_cost[j, t] for j, t in added) + base[list(new_sites)].sum()),
            covered_with=with_cover, covered_without=cover,
            coverage_lost={k: cover[k] - with_cover[k] for k in keys},
            displaced=[f"{site_ids[j]}: {keys[t]} @ {phases[builds[(j, t)]]}"
                       for j, t in sorted(set(builds) - set(with_builds))],
            added=[f"{site_ids[j]}: {keys[t]} @ {phases[with_builds[(j, t)]]}"
                   for j, t in sorted(added)],
        ))
    return out
