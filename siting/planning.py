"""One plan for all facility types: from a scenario to a ranked, budgeted project list.

The steps, each in its own module:

1. `siting.inputs.load_inputs` reads demand, outlets and candidate sites in one metric CRS;
2. `siting.network` builds the walking network and the sparse walking distances (metres) from
   demand points to candidate sites and to existing outlets;
3. `siting.coverage_rows` turns distances into per-type coverage rows: one row per demand point
   and population group the type serves, covered when the walking distance is within that
   group's threshold, weighted by residents, the elderly weight and the 需求清单 boost;
4. `siting.models.multitype.plan_sites` chooses which types to build at which sites in which
   phase under the shared, phased budget (co-located types pay a site's base cost once),
   building the projects the scenario requires and none it excludes (`siting.plan_edits`);
5. `siting.ranking.rank_projects` orders the chosen projects for top-down funding;
6. `siting.capacity.capacity_stage` checks the places-limited types (canteen meals, day-care and
   childcare places) against the demand within reach of the plan's facilities, phase by phase;
7. `siting.assemble` (a layer above) turns the context into the JSON-ready `Plan`.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .capacity import capacity_stage
from .context import PlanContext
from .coverage_rows import TypeRows, build_type_rows, nearest_outlet_metres
from .inputs import ScenarioInputs, load_inputs
from .messages import Text, text
from .models import Clock, Status
from .models.multitype import (
    EXISTING_COVERED,
    NOT_COVERED,
    DiminishingReturns,
    GoalLevel,
    MultiTypeSolution,
    TypeCoverage,
    plan_sites,
    prepare_instance,
)
from .network import travel_matrix
from .plan_edits import PlanEdits
from .ranking import ChosenProject, rank_projects
from .scenario import Scenario
from .scenario_streets import scenario_network
from .targets import target_counts
from .tier_goals import tier_goals
from .what_it_takes import what_it_takes

Progress = Callable[[Text], None]

#: "site 12" in the optimizer's words: a row index, named by its id for people.
_SITE_INDEX = re.compile(r"\bsite (\d+)\b")

#: Walking distances are computed up to this multiple of the longest threshold, so that blind-spot
#: tables can say how far the nearest facility is even where it is out of reach.
REPORT_REACH_FACTOR = 2.0

#: Share of ``solver.time_limit_s`` for what it would take (`siting.what_it_takes`); the plan
#: gets what is left of the same clock, so the whole optimization step honours the limit.
WHAT_IT_TAKES_SHARE = 0.7
#: Share of ``solver.time_limit_s`` the plan gets at least, even when what it would take ran
#: over its share (a busy machine, a city-sized instance): then the step takes longer than the
#: limit, by at most this share, rather than plan nothing.
PLAN_SHARE_FLOOR = 0.2
#: Share of ``solver.time_limit_s`` kept for the capacity stage (`siting.capacity`): its solves
#: fix every facility open and are proven optimal in milliseconds on the demo.
CAPACITY_SHARE = 0.05


def phase_budgets(scenario: Scenario) -> npt.NDArray[np.float64]:
    """Per-phase budgets with the total cap applied to the cumulative spend, in yuan."""
    per_phase = np.array([p.budget_yuan for p in scenario.phases], dtype=np.float64)
    cumulative = np.minimum(np.cumsum(per_phase), scenario.total_budget_yuan())
    return np.diff(cumulative, prepend=0.0)


def _returns(scenario: Scenario) -> DiminishingReturns | None:
    spec = scenario.weights.diminishing_returns
    return None if spec is None else DiminishingReturns(spec.breakpoints, spec.slopes)


def _chosen_projects(
    solution: MultiTypeSolution, inputs: ScenarioInputs
) -> list[ChosenProject]:
    """One project per (site, phase) with the types built there in that phase, and its cost."""
    sites = inputs.sites
    keys = list(inputs.catalog.types)
    type_cost = sites[[f"cost_yuan_{k}" for k in keys]].to_numpy(dtype=np.float64)
    base = sites["base_cost_yuan"].to_numpy(dtype=np.float64)
    projects = []
    for site in np.flatnonzero(solution.site_phase >= 0):
        phases = solution.build_phase[site]
        for phase in np.unique(phases[phases >= 0]):
            types = tuple(int(t) for t in np.flatnonzero(phases == phase))
            cost = float(type_cost[site, list(types)].sum())
            if phase == solution.site_phase[site]:
                cost += float(base[site])
            projects.append(ChosenProject(int(site), types, int(phase), cost))
    return projects


def _less(seconds: float | None, reserve: float) -> float | None:
    """``seconds`` less what is held back for a later step (at least 1 ms); None: no limit."""
    return None if seconds is None else max(seconds - reserve, 1e-3)


def plan_with_context(scenario: Scenario, *, progress: Progress | None = None) -> PlanContext:
    """Run the whole plan and keep every intermediate result (see the module docstring)."""
    say = progress or (lambda _msg: None)
    seconds: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        seconds[step] = now - mark
        mark = now

    say(text("progress.inputs"))
    inputs = load_inputs(scenario)
    catalog = inputs.catalog
    lap("inputs")
    say(text("progress.network"))
    network = scenario_network(scenario, inputs)
    lap("network")
    say(text("progress.distances"))
    speeds = scenario.speeds_m_per_s
    longest = max(
        ftype.threshold_m(group, speeds)
        for ftype in catalog.types.values() for group in ftype.serves
    )
    reach = REPORT_REACH_FACTOR * longest
    demand_xy = _xy(inputs.demand)
    to_sites = travel_matrix(
        network, _xy(inputs.sites), demand_xy,
        cutoff_m=reach, tolerance_m=scenario.snap_tolerance_m,
    )
    to_outlets = travel_matrix(
        network, _xy(inputs.outlets), demand_xy,
        cutoff_m=reach, tolerance_m=scenario.snap_tolerance_m,
    )
    lap("distances")
    say(text("progress.coverage"))
    nearest = nearest_outlet_metres(to_outlets.metres, inputs.outlets["types"], list(catalog.types))
    rows = tuple(
        build_type_rows(key, t, inputs, scenario, to_sites.metres, nearest[:, t])
        for t, key in enumerate(catalog.types)
    )
    communities = [str(c) for c in inputs.community_weights.index]
    values = scenario.weights.tier_values if scenario.objective == "tiers" else \
        dict.fromkeys(scenario.tier_rules().keys, 0.0)
    goals = tier_goals(rows, scenario.tier_rules(), catalog, len(communities),
                       tier_values=values)
    counts = target_counts(scenario, goals, communities)
    lap("coverage")
    keys = list(catalog.types)
    sites = inputs.sites
    allowed = np.array(
        [[key in row for key in keys] for row in sites["allowed_types"]], dtype=bool
    ).reshape(len(sites), len(keys))
    allowed[to_sites.sites.too_far] = False
    # The scenario's edits: excluded types never built, required ones always (even at a site
    # too far from the streets to reach anyone: the planner asked for it).
    edits = inputs.edits or PlanEdits.none(len(sites), len(keys))
    allowed = (allowed & ~edits.excluded) | (edits.locked >= 0)
    returns = _returns(scenario)
    types = [TypeCoverage(r.coverage, r.weight, r.existing, groups=r.community) for r in rows]
    arrays = {
        "base_cost": sites["base_cost_yuan"].to_numpy(dtype=np.float64),
        "type_cost": sites[[f"cost_yuan_{k}" for k in keys]].to_numpy(dtype=np.float64),
        "allowed": allowed,
        "phase_budgets": phase_budgets(scenario),
        "site_first_phase": sites["first_phase"].to_numpy(dtype=np.int64),
        "site_area": sites["floor_area_m2"].to_numpy(dtype=np.float64),
        "type_area": np.array([catalog.types[k].area_m2.min for k in keys], dtype=np.float64),
        "locked": edits.locked,
    }
    say(text("progress.what_it_takes"))
    solver = scenario.solver
    instance = prepare_instance(types, goals.goals, [c for c in counts.counts if c is not None],
                                **arrays)
    # The one time budget of the optimization step: what it would take, then the plan.
    clock = Clock(solver.time_limit_s)
    takes = what_it_takes(instance, goals, counts, backend=solver.backend,
                          clock=clock.part(WHAT_IT_TAKES_SHARE), mip_rel_gap=solver.mip_rel_gap)
    lap("what_it_takes")
    say(text("progress.optimizing"))
    unmet = takes.hard_unmet({i for i, t in enumerate(scenario.targets) if t.hard})
    if unmet:
        names = ", ".join(f"'{scenario.targets[i].name}'" for i in unmet)
        solution = _nothing_planned(rows, len(sites), len(scenario.phases), (
            f"hard targets {names} cannot be met within the budget; see the targets' least "
            "budgets and binding limits"))
    else:
        pursued = [counts.counts[i] for i in takes.affordable]
        level = GoalLevel(goals.goals, tuple(c for c in pursued if c is not None),
                          start=takes.start, costs=takes.costs)
        wanted = goals.goals and (scenario.objective == "tiers" or level.counts)
        solution = plan_sites(
            types, **arrays,
            returns=returns,
            goals=level if wanted else None,
            method=solver.model_method,
            backend=solver.backend,
            time_limit=max(_less(clock.remaining(), CAPACITY_SHARE * solver.time_limit_s) or 0.0,
                           PLAN_SHARE_FLOOR * solver.time_limit_s),
            mip_rel_gap=solver.mip_rel_gap,
        )
    # Sites by their ids in the optimizer's reason, not row indices.
    reason = _SITE_INDEX.sub(lambda m: f"site {sites['id'].iloc[int(m[1])]}", solution.reason)
    solution = dataclasses.replace(solution, reason=reason)
    lap("optimization")
    say(text("progress.ranking"))
    ranked = rank_projects(
        _chosen_projects(solution, inputs),
        [sp.csc_array(r.coverage) for r in rows],
        [r.weight for r in rows],
        [r.existing for r in rows],
        groups=[r.community for r in rows],
        returns=returns,
    )
    lap("ranking")
    say(text("progress.capacity"))
    # Its share of the limit, or what the what-it-takes and plan solves left of it.
    capacity_time = max(CAPACITY_SHARE * solver.time_limit_s,
                        solver.time_limit_s - takes.seconds - solution.seconds)
    capacity = capacity_stage(inputs, scenario, to_outlets.metres, to_sites.metres, solution,
                              time_limit=capacity_time, backend=solver.backend)
    lap("capacity")
    return PlanContext(
        scenario, inputs, network, to_sites, to_outlets, rows, goals, counts, takes, solution,
        tuple(ranked), seconds, capacity,
    )


def _nothing_planned(rows: tuple[TypeRows, ...], n_sites: int, n_phases: int,
                     reason: str) -> MultiTypeSolution:
    """The infeasible result of a plan that is not solved (a hard target beyond the budget)."""
    n_types = len(rows)
    return MultiTypeSolution(
        build_phase=np.full((n_sites, n_types), -1, dtype=np.int64),
        site_phase=np.full(n_sites, -1, dtype=np.int64),
        covered_phase=tuple(np.where(r.existing, EXISTING_COVERED, NOT_COVERED) for r in rows),
        covered_weight=np.zeros((n_phases, n_types)),
        existing_weight=np.array([float(r.weight[r.existing].sum()) for r in rows]),
        spend_by_phase=np.zeros(n_phases), objective=0.0, bound=float("inf"),
        status=Status.INFEASIBLE, backend="none", method="none", seconds=0.0, reason=reason)


def _xy(frame: object) -> npt.NDArray[np.float64]:
    geometry = frame.geometry  # type: ignore[attr-defined]
    if len(geometry) == 0:
        return np.empty((0, 2))
    return np.column_stack([geometry.x.to_numpy(), geometry.y.to_numpy()])
