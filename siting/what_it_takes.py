"""What it would take: the least money that lifts each community a tier and meets each target.

Two minimum-cost covering questions (`siting.models.multitype.cheapest`), asked before the plan
is optimised and answered with their proven bounds:

- per community, the least yuan that brings it to its next tier by the end of the plan, on its
  own and with no budget limit (``cost_to_next_tier``), and the projects that do it;
- per target, the least factor on every phase budget at which the plan meets it *together with
  every target pursued before it* (`siting.targets` priority): re-running with
  ``--budget-scale`` at that factor meets the target, because the plan meets its targets in
  that order when it can. Its minimum budget is the factor × the scenario's total budget.

The targets the budget affords (factor ≤ 1), in priority order until the first that it does not,
become hard counts of the plan, which starts from their cheapest plan; a hard target beyond
the budget makes the plan infeasible (`siting.planning`).

Time: the call shares ``solver.time_limit_s`` with the plan: this module gets ``share`` of it
(costs first, then every target's greedy plan, then the targets' searches from those plans), the
plan the rest; what is cut short is reported as not proven. The greedy plans come before any
search so that a target's plan does not depend on how long the searches before it ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from .models import Backend, Clock
from .models.multitype import CheapestPlan, GoalCosts, Instance, cheapest_plan, goal_costs
from .targets import TargetCounts
from .tier_goals import TierGoals

#: A budget factor this close above 1 still counts as affordable (float round-off in the MILP).
SCALE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class TargetBudget:
    """The least budget of one target, pursued after the targets before it.

    ``plan`` meets this target and every target pursued before it in priority order (None when
    the target's tier cannot be planned). A target no budget meets after those is set aside
    (later targets are judged without it); ``alone`` is then its own cheapest plan, which says
    whether it fails on its own or only with the targets before it.
    """

    target: int
    plan: CheapestPlan | None
    alone: CheapestPlan | None = None

    @property
    def scale(self) -> float:
        """The least budget factor found (inf without a plan)."""
        return self.plan.scale if self.plan is not None else float("inf")

    @property
    def affordable(self) -> bool:
        """Met within the scenario's budget (factor ≤ 1, a plan found)."""
        return self.plan is not None and np.isfinite(self.plan.scale) and \
            self.plan.scale <= 1 + SCALE_TOLERANCE


@dataclass(frozen=True)
class WhatItTakes:
    """Per community its current and next tier and what the next costs; per target its budget.

    Attributes
    ----------
    tier_before
        ``(n_communities,)`` index of the tier held before the plan, -1 below the lowest.
    next_goal
        ``(n_communities,)`` goal of the next tier, -1 at the top or when it cannot be planned.
    costs
        Stand-alone cost of every next-tier goal by the end of the plan.
    targets
        One per scenario target, in scenario order.
    affordable
        Targets (scenario indices, priority order) the plan must meet: those the budget affords,
        in priority order until the first that it does not (targets set aside skipped).
    start
        Build phases ``(n_sites, n_types)`` of the cheapest plan of the ``affordable`` targets.
    seconds
        Wall-clock time spent here.
    """

    tier_before: npt.NDArray[np.int64]
    next_goal: npt.NDArray[np.int64]
    costs: GoalCosts
    targets: tuple[TargetBudget, ...]
    affordable: tuple[int, ...]
    start: npt.NDArray[np.int64] | None
    seconds: float

    def hard_unmet(self, hard: set[int]) -> list[int]:
        """Hard targets the budget cannot meet (their ``plan`` scale above 1 or infeasible)."""
        return [t.target for t in self.targets if t.target in hard and not t.affordable]


def _tiers_before(goals: TierGoals, before: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    if before.size == 0:  # no goal at all (e.g. a catalog without the tier rules' types)
        held = np.zeros(goals.index.shape, dtype=bool)
    else:
        held = np.where(goals.index >= 0, before[np.maximum(goals.index, 0)], False)
    # Tiers chain upwards, so the number held from the bottom is the index of the highest + 1.
    return np.asarray(np.cumprod(held, axis=1).sum(axis=1) - 1, dtype=np.int64)


def _greedy_plans(with_counts: Callable[[list[int]], Instance], counted: list[int],
                  backend: Backend, clock: Clock) -> tuple[dict[int, CheapestPlan], list[int]]:
    """Each target's greedy plan (`cheapest_plan` without its search), in priority order, each
    built on the last one found and meeting its counts too, within all the time left; and the
    targets it found a plan for."""
    greedy: dict[int, CheapestPlan] = {}
    chained: list[int] = []
    for i in counted:
        base = greedy[chained[-1]].build_phase if chained else None
        greedy[i] = cheapest_plan(with_counts([*chained, i]), start=base, backend=backend,
                                  time_limit=clock.remaining(), search=False)
        if np.isfinite(greedy[i].scale):
            chained.append(i)
    return greedy, chained


def what_it_takes(
    instance: Instance, goals: TierGoals, targets: TargetCounts, *, backend: Backend = "highs",
    clock: Clock | None = None, mip_rel_gap: float = 1e-4,
) -> WhatItTakes:
    """Answer both questions of the module docstring within ``clock``'s limit.

    Parameters
    ----------
    instance
        The plan's inputs with every tier goal (`siting.models.multitype.prepare_instance`).
    goals
        The tier goals of every community.
    targets
        The targets' goal counts and priority.
    backend, mip_rel_gap
        MILP solver and relative gap of every solve (`siting.models.multitype.cheapest_plan`).
    clock
        This step's share of the plan's time budget (`siting.models.Clock.part`); None: no
        limit.
    """
    clock = clock if clock is not None else Clock(None)
    pg = instance.goals
    tier_before = _tiers_before(goals, pg.before)
    n_tiers = goals.index.shape[1]
    next_goal = np.array([goals.index[c, k + 1] if k + 1 < n_tiers else -1
                          for c, k in enumerate(tier_before)], dtype=np.int64)

    costs = goal_costs(instance, [int(g) for g in next_goal if g >= 0],
                       backend=backend, time_limit=clock.remaining(0.3), mip_rel_gap=mip_rel_gap)
    # Position of each target's count among the instance's counts (targets without one skip).
    slot = {i: k for k, i in enumerate(i for i, c in enumerate(targets.counts) if c is not None)}
    counted = [i for i in targets.priority if i in slot]

    def with_counts(kept: list[int]) -> Instance:
        return replace(instance, goals=replace(pg, counts=tuple(pg.counts[slot[j]] for j in kept)))

    # First every target's greedy plan, then the searches from them with what remains: the
    # greedy plans do not depend on the clock when they finish, so a search that runs long on
    # an earlier target (or a busier machine) cannot leave a later one without a plan.
    greedy, chained = _greedy_plans(with_counts, counted, backend, clock)
    budgets: dict[int, TargetBudget] = {}
    pursued: list[int] = []
    for n, i in enumerate(targets.priority):
        if i not in slot:
            budgets[i] = TargetBudget(i, None)
            continue
        share = 1.0 / (len(targets.priority) - n)
        # Built on its greedy plan (which then stands unless the search beats it), else on the
        # cheapest plan of the targets before it (only its warm start).
        ready = greedy[i] if np.isfinite(greedy[i].scale) else None
        before = ready if ready is not None else budgets[pursued[-1]].plan if pursued else None
        left = clock.remaining(share)
        if ready is not None and chained[:chained.index(i)] == pursued and left is not None \
                and left < ready.seconds:
            # Less time than the greedy took: too little for a search to build its model and
            # improve on it (16x: 1-3 s each for nothing), so the greedy plan stands.
            plan = ready
        else:
            plan = cheapest_plan(
                with_counts([*pursued, i]), start=None if before is None else before.build_phase,
                backend=backend, time_limit=left, mip_rel_gap=mip_rel_gap)
        if np.isfinite(plan.scale):
            budgets[i] = TargetBudget(i, plan)
            pursued.append(i)
            continue
        # No budget meets it after the ones before: set it aside, and say why on its own.
        alone = cheapest_plan(
            with_counts([i]),
            backend=backend, time_limit=clock.remaining(share), mip_rel_gap=mip_rel_gap) \
            if pursued else None
        budgets[i] = TargetBudget(i, plan, alone)
    # A later target's plan meets the earlier ones too: each target gets the least budget of
    # any plan from its own on (heuristic plans need not be monotone), and the plan pursues the
    # longest prefix the budget affords.
    best: TargetBudget | None = None
    for i in reversed(pursued):
        own = budgets[i]
        if best is None or own.scale <= best.scale:
            best = own
        budgets[i] = replace(own, plan=best.plan)
    affordable = [i for n, i in enumerate(pursued)
                  if any(budgets[j].affordable for j in pursued[n:])]
    chosen = next((budgets[i].plan for i in reversed(affordable)), None)
    return WhatItTakes(tier_before, next_goal, costs,
                       tuple(budgets[i] for i in range(len(targets.counts))), tuple(affordable),
                       None if chosen is None else chosen.build_phase,
                       clock.seconds)
