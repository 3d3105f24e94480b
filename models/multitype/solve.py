"""The entry point :func:`plan_sites`: validate, greedy warm start, MILP (or LP bound), result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from .._errors import ModelInputError
from .._milp import BACKENDS, Backend, MilpOutcome, MilpStatus, solve_milp
from .._result import OPTIMALITY_TOLERANCE, Status, relative_gap
from ..clock import Clock
from .benders import solve_benders
from .bounds import knapsack_bound, lp_relaxation
from .cheapest import Instance, describe, goal_costs, reach_diagnosis
from .diagnosis import diagnose, nothing_affordable
from .goals import PreparedGoals, counts_met, goal_holds, goal_values, prepare_goals
from .greedy import best_greedy
from .inputs import CoverageRequirement, DiminishingReturns, TypeCoverage
from .lift_greedy import goal_sites, lift_greedy
from .lifts import (
    GoalLevel,
    LiftResult,
    Residual,
    affordable_bound,
    fill,
    goal_level,
    goal_weights,
    lift_stage,
    new_goals_bound,
    with_goal_floor,
)
from .milp import build_model, to_columns
from .plans import Plan, evaluate, prune, site_phases
from .prepare import (
    TOL,
    Inputs,
    check_inputs,
    prepare_requirements,
    prepare_type,
)
from .shared_cost import shared_cost_bound
from .solution import NOT_COVERED, Infeasibility, MultiTypeSolution, describe_all

Method = Literal["benders", "milp", "heuristic"]
#: Share of the time left after the goals' stand-alone costs and the coverage relaxation for
#: the goal level (the first objective with goals); the coverage it leaves gets the rest.
#: Helsinki's goal MILP finds its plan (31.24, 11 communities lifted) in its root's
#: heuristics after about 12 s: with 35 % of the time after the costs it had 25.08 (9) beside
#: two busy processes; with half it keeps 31.24 there, and the three scenarios' plans, idle and
#: loaded, are the same (2026-12-06).
GOAL_LEVEL_SHARE = 0.5
#: Seconds the goal level's greedy starts may always price goals, whatever is left: they take
#: 0.5-0.7 s on the demo, 1.3 s on São Paulo and 2.6-3.3 s at 16x (40 s limit, where the share
#: is less); cut short beside two busy processes they lifted 19 of the demo's communities
#: instead of 20 (2026-12-07).
PRICING_FLOOR_S = 5.0
#: Share of the time limit the greedy warm start may take; the bound and search get the rest.
GREEDY_SHARE = 0.3
#: Share of the time left after the goal level for filling its plan with the coverage greedy.
FILL_SHARE = 0.5
#: Seconds the fill may always take, whatever is left: it takes 0.1-0.2 s on the demo, where the
#: goal level leaves it 0-0.25 s at 20 s, and a fill cut short left 3 of the plan's 40
#: facilities unbuilt and 19 % less coverage in one run of three (2026-12-07).
FILL_FLOOR_S = 2.0
#: With goals, share of the time left after the goals' stand-alone costs for the
#: decomposition's relaxation, the coverage level's bound (it ends earlier when its cuts
#: converge); the goal level gets what it leaves.
RELAXATION_SHARE = 0.3
#: Share of the time left after the goal level's fill for the decomposition on what the goal
#: level's plan leaves (:class:`~.lifts.Residual`); the whole MILP gets the rest.
RESIDUAL_SHARE = 0.5
#: With a goal level, the whole MILP (with the goal floor, after the decomposition on the
#: residual) runs only when at least this share of the time limit is left for it beyond the
#: reserve. With less it adds nothing but time: on the demo scaled 16× (targets mode, 8.5 s
#: for the plan) building it and HiGHS's start took 4.5 s to return its warm start under a
#: 1 ms limit, the plan stage 18 s in all; on the demo 0.9 s (2026-12-06).
WHOLE_MILP_SHARE = 0.1


def plan_sites(
    types: Sequence[TypeCoverage],
    *,
    base_cost: npt.ArrayLike,
    type_cost: npt.ArrayLike,
    allowed: npt.ArrayLike,
    phase_budgets: npt.ArrayLike,
    site_first_phase: npt.ArrayLike | None = None,
    phase_weights: npt.ArrayLike | None = None,
    site_area: npt.ArrayLike | None = None,
    type_area: npt.ArrayLike | None = None,
    max_types_per_site: int | None = None,
    locked: npt.ArrayLike | None = None,
    requirements: Sequence[CoverageRequirement] = (),
    returns: DiminishingReturns | None = None,
    goals: GoalLevel | None = None,
    method: Method = "benders",
    backend: Backend = "highs",
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
) -> MultiTypeSolution:
    """Choose which facility types to build at which sites in which phase, under one budget.

    Maximizes phase-weighted new coverage, or with ``returns`` its diminishing-returns credit per
    group (see the module docstring for the formulation and its sources).

    Parameters
    ----------
    types
        One :class:`TypeCoverage` per facility type, all over the same ``n_sites`` sites.
    base_cost
        ``(n_sites,)`` yuan paid once when a site is first used (rent, fit-out), however many
        types it hosts.
    type_cost
        ``(n_sites, n_types)`` yuan to add type ``t`` at site ``j``.
    allowed
        Boolean ``(n_sites, n_types)``: type ``t`` may be built at site ``j``.
    phase_budgets
        ``(n_phases,)`` yuan released in each phase; unspent money carries over, so spending by
        the end of phase ``f`` is limited by the budgets released up to ``f``.
    site_first_phase
        ``(n_sites,)`` earliest phase each site is available (default 0 for all).
    phase_weights
        ``(n_phases,)`` positive weight of the coverage at the end of each phase. The default (all
        ones) counts coverage at every phase end, so a row covered in phase ``f`` earns its
        weight ``n_phases - f`` times and earlier coverage scores more.
    site_area, type_area
        Floor area: ``(n_sites,)`` m² available and ``(n_types,)`` or ``(n_sites, n_types)`` m²
        per facility; give both or neither.
    max_types_per_site
        Most facility types one site may host.
    locked
        Integer ``(n_sites, n_types)``: the phase in which type ``t`` must be built at site
        ``j`` (a project the planner requires), -1 where the plan is free. Every method builds
        them and optimizes the rest around them; they are never pruned. To exclude a site or
        a type there, leave it out of ``allowed``.
    requirements
        Hard :class:`CoverageRequirement` targets.
    returns
        Credit each (type, group) by a concave function of its covered share instead of by
        covered weight (rows grouped by :attr:`TypeCoverage.groups`); None keeps the linear
        objective.
    goals
        A goal level above coverage (:mod:`.lifts`): first make as many goals hold as the
        budget allows (meeting its hard counts), then maximise coverage with that many held,
        then drop facilities that add neither. Coverage is first added to the goal level's
        plan with what it leaves (greedy, then with ``"benders"`` the decomposition on the
        leftover money, :class:`~.lifts.Residual`); the whole MILP with the goal rows, whatever
        ``method``, starts from the best of these and may also move the goal level's
        facilities (with ``"benders"`` only when :data:`WHOLE_MILP_SHARE` of the limit is left
        for it). The time limit is shared: a fifth for the goals' stand-alone costs when not
        given, up to 30 % of the rest for the coverage relaxation (the coverage bound), half of
        what it leaves for the goal level, a fifth of the limit kept for pruning and
        reporting.
    method
        ``"benders"`` (default) solves the model by its Benders decomposition
        (:mod:`.benders`: facilities in a master problem, coverage as cuts, HiGHS), which scales
        with the facilities and the coverage matrix's entries; ``"milp"`` solves the whole MILP
        with ``backend``; ``"heuristic"`` returns the greedy plan with the LP bound of the
        decomposition's cut rounds. Both solving methods start from the greedy plan, which is
        returned when nothing better is found within ``time_limit``.
    backend
        MILP solver of ``method="milp"``: ``"highs"``, ``"cbc"`` or ``"scip"``. Bounds and the
        decomposition always use HiGHS.
    time_limit
        Seconds for the whole call: greedy, MILP, LP bound and the solves that explain an
        infeasible requirement share this one deadline.
    mip_rel_gap
        Relative gap at which the MILP stops; the result is ``OPTIMAL`` only when the gap is
        within :data:`~siting.models._result.OPTIMALITY_TOLERANCE`.

    Returns
    -------
    MultiTypeSolution
        ``INFEASIBLE`` (never an exception) when a requirement cannot be met, with one
        :class:`~.solution.Infeasibility` record per cause in ``infeasible`` (requirement,
        binding limit, weight or yuan missing) and a reason made of them. A budget below the
        cheapest single project gives an ``OPTIMAL`` empty plan with a reason saying so (unless
        a requirement needs new coverage, which is then ``INFEASIBLE``).

    Raises
    ------
    ModelInputError
        Inconsistent or invalid inputs: wrong shapes, NaN or negative costs, budgets, weights
        or areas, out-of-range phase, type or row indices, non-boolean masks; ``locked``
        facilities not allowed, before their site's first phase, beyond its floor area or
        types per site, or costing more than the budget released by their phase.

    Notes
    -----
    Rows already covered by an existing outlet get ``covered_phase`` :data:`EXISTING_COVERED`
    and no credit. Facilities that cover nothing earlier than the rest of the plan are dropped
    from the returned plan (objective unchanged, spending lower). The greedy (lazy, at most
    :data:`GREEDY_SHARE` of the time limit) costs about the coverage matrix's entries plus
    picks × log(candidates); the decomposition's master has ``allowed pairs × n_phases``
    binaries plus one credit column per (type, group, phase), the whole MILP also one
    continuous column per merged row and phase.
    """
    clock = Clock(time_limit)
    if len(types) == 0:
        msg = "types is empty; give one TypeCoverage per facility type"
        raise ModelInputError(msg)
    if method not in ("benders", "milp", "heuristic"):
        msg = f"method must be 'benders', 'milp' or 'heuristic', got {method!r}"
        raise ModelInputError(msg)
    if backend not in BACKENDS:
        msg = f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}"
        raise ModelInputError(msg)
    inp = check_inputs(len(types), base_cost, type_cost, allowed, phase_budgets,
                       site_first_phase, phase_weights, site_area, type_area, max_types_per_site,
                       locked)
    if returns is not None and not isinstance(returns, DiminishingReturns):
        msg = f"returns must be a DiminishingReturns or None, got {type(returns).__name__}"
        raise ModelInputError(msg)
    inp = replace(inp, returns=returns)
    prepared = tuple(prepare_type(k, tc, inp) for k, tc in enumerate(types))
    reqs = prepare_requirements(requirements, types, prepared, inp)
    n, n_types, n_phases = inp.shape

    def finish(plan: Plan, bound: float, status: Status, backend_used: str, method_used: str,
               reason: str = "", infeasible: tuple[Infeasibility, ...] = ()) -> MultiTypeSolution:
        covered_phase = tuple(
            np.where(tp.row_map >= 0, c[np.maximum(tp.row_map, 0)], tp.row_map) if c.size
            else tp.row_map
            for tp, c in zip(prepared, plan.covered, strict=True))
        covered_phase = tuple(np.where(c == n_phases, NOT_COVERED, c) for c in covered_phase)
        pairs = list(zip(prepared, plan.covered, strict=True))
        weight = np.array([[tp.weight @ (c <= f) for tp, c in pairs]
                           for f in range(n_phases)]).reshape(n_phases, n_types)
        value = 0.0 if lift is None else lift.value
        if lift is not None and pg is not None and status is not Status.INFEASIBLE:
            # The plan's own level: the coverage level's facilities may hold more goals.
            value = goal_level(pg, goal_holds(pg, plan.covered, n_phases), inp)
        return MultiTypeSolution(
            build_phase=plan.build_phase, site_phase=plan.site_phase,
            covered_phase=covered_phase, covered_weight=weight,
            existing_weight=np.array([tp.existing_weight for tp in prepared]),
            spend_by_phase=plan.spend, objective=plan.objective, bound=bound, status=status,
            backend=backend_used, method=method_used, seconds=clock.seconds,
            reason=reason or describe_all(infeasible), infeasible=infeasible,
            goal_value=value,
            goal_bound=lift.bound if lift is not None else 0.0,
            goal_status=lift.status.value if lift is not None else "",
            new_goals_bound=new_goals_bound(pg, lift.bound)
            if lift is not None and pg is not None else 0.0)

    # What the plan came from: HiGHS (or CBC, SCIP) solving the MILP, or the greedy heuristic.
    solver, algorithm = {"heuristic": ("heuristic", "greedy"), "benders": ("highs", "benders"),
                         "milp": (backend, "milp")}[method]

    def infeasible(bound: float = float("inf")) -> MultiTypeSolution:
        records = diagnose(build_model(inp, prepared, reqs), inp, reqs, clock)
        return finish(empty, bound, Status.INFEASIBLE, solver, algorithm, infeasible=records)

    empty = evaluate(np.full((n, n_types), -1, dtype=np.int64), inp, prepared, reqs)
    lift: LiftResult | None = None
    relaxed_bound = np.inf  # the decomposition's relaxation, run when there are goals
    pg = None if goals is None else prepare_goals(goals.goals, goals.counts, types, prepared, inp)
    if pg is not None and not pg.counts and \
            not (pg.possible[:, -1] & ~pg.before & (pg.value > 0)).any():
        goals = pg = None  # no goal can be gained: the plan is the coverage plan
    if goals is not None and pg is not None:
        blocked = reach_diagnosis(pg)
        if blocked:
            return finish(empty, float("inf"), Status.INFEASIBLE, solver, algorithm,
                          describe(blocked, pg))
        costs = goals.costs
        if costs is None:
            left = clock.remaining()
            costs = goal_costs(Instance(inp, prepared, pg), backend=backend,
                               time_limit=None if left is None else 0.2 * left)
        start_plan = (np.full((n, n_types), -1, dtype=np.int64) if goals.start is None
                      else np.asarray(goals.start, dtype=np.int64))
        if method != "milp":
            # The coverage any plan reaches bounds the coverage the goal level leaves: the
            # decomposition's tightened relaxation (cut rounds only) is a far better bound than
            # the whole MILP's LP. It ends when its cuts converge (1.3 s on the demo), so it
            # runs first, within its share, and the goal level gets the time it does not use.
            relaxed_bound = solve_benders(inp, prepared, reqs, clock.part(RELAXATION_SHARE),
                                          None, -np.inf, integer=False).bound
        left = clock.remaining()
        share = None if left is None else GOAL_LEVEL_SHARE * left
        # The greedy starts price goals on the plan so far while the share lasts, and for
        # PRICING_FLOOR_S at least; the goal level's solves then get the whole share, since
        # the end state's LP needs about all of it on the demo (2 of its 2-2.5 s at 20 s): the
        # greedy's half second comes out of the coverage level's time.
        pricing = clock.part(GOAL_LEVEL_SHARE, PRICING_FLOOR_S)
        near = goal_sites(pg, prepared, n)
        greedy_starts = [lift_greedy(inp, prepared, pg, costs, start_plan, pricing, on_plan=on,
                                     near=near) for on in (True, False)]
        lift = lift_stage(inp, prepared, reqs, pg, [start_plan, *greedy_starts], backend=backend,
                          time_limit=share, mip_rel_gap=mip_rel_gap)
        if lift.status is not Status.OPTIMAL:  # the cheap bounds cannot beat a proof
            lift = replace(lift, bound=min(lift.bound, affordable_bound(pg, inp, costs),
                                           shared_cost_bound(pg, inp, prepared,
                                                             goal_weights(pg, inp))))
        if not np.isfinite(lift.value):
            why = ("the goal counts cannot be met within the budget" if lift.status is
                   Status.INFEASIBLE else "no plan meeting the goal counts found within the "
                   f"time limit of {clock.limit} s (not proven infeasible); raise time_limit")
            return finish(empty, float("inf"), Status.INFEASIBLE, solver, algorithm, why)
    if any(r.reachable < r.need * (1 - TOL) for r in reqs):
        return infeasible()
    broke = nothing_affordable(inp)
    if broke and empty.meets_requirements and lift is None:
        return finish(empty, 0.0, Status.OPTIMAL, solver, algorithm, broke)

    residual = None
    if pg is not None and lift is not None:
        # The coverage greedy on what the goal level leaves (money unspent helps nobody),
        # within half the time left and FILL_FLOOR_S at least: it stops with what it has; the
        # relaxation, the decomposition on the same residual and the whole MILP share the rest.
        residual = Residual.of(types, inp, prepared, lift.build_phase)
        filled = fill(residual, clock.part(FILL_SHARE, FILL_FLOOR_S))
        greedy = prune(evaluate(filled, inp, prepared, reqs), inp, prepared, reqs)
    else:
        greedy = best_greedy(inp, prepared, reqs, Clock(
            None if clock.limit is None else clock.limit * GREEDY_SHARE))
    cheap_bound = min(knapsack_bound(inp, prepared), relaxed_bound)
    candidates = [(greedy, "greedy")] if greedy.meets_requirements else []
    unsolved = ""
    warm_plan = greedy  # the best plan known: the whole MILP's warm start
    if residual is not None and lift is not None and pg is not None and method == "benders":
        # The decomposition on what the goal level's plan leaves: a coverage plan like any
        # other, whose plans keep every goal the goal level's plan holds (coverage only grows).
        # It ends on its own within a second or two on the scenarios; the whole MILP below,
        # which may also move the goal level's facilities, starts from the better plan.
        more = np.where(lift.build_phase >= 0, -1, greedy.build_phase)
        start_value = evaluate(more, residual.inp, residual.types, []).objective
        decomposed = solve_benders(
            residual.inp, residual.types, [], clock.part(RESIDUAL_SHARE),
            (more, site_phases(more)), start_value, mip_rel_gap=mip_rel_gap)
        for joined in (residual.join(b) for b in decomposed.plans):
            plan = prune(evaluate(joined, inp, prepared, reqs), inp, prepared, reqs)
            if plan.meets_requirements and plan.objective > warm_plan.objective and \
                    _keeps_goals(plan, pg, inp, lift):
                warm_plan = plan
                candidates.append((plan, algorithm))
    # With a goal level, a fifth of the limit stays for pruning and reporting the plan.
    reserve = 0.2 * clock.limit if lift is not None and clock.limit is not None else 0.0
    left = clock.remaining()
    if lift is not None and method != "milp" and left is not None and clock.limit is not None \
            and left - reserve < WHOLE_MILP_SHARE * clock.limit:
        # Too little time for the whole MILP to add a plan or a bound to what the stages found.
        bound, found, stopped = cheap_bound, [], True
    elif method == "milp" or lift is not None:
        model = build_model(inp, prepared, reqs)
        if pg is not None and lift is not None:
            model, goal_columns = with_goal_floor(model, pg, inp, lift.value)
        warm = to_columns(warm_plan, inp, prepared, model) if warm_plan.meets_requirements \
            else None
        if warm is not None and pg is not None and lift is not None:
            warm = np.r_[warm, goal_values(pg, warm_plan.covered, n_phases, goal_columns,
                                           model.problem.num_col)[warm.size:]]
        left = clock.remaining()
        out: MilpOutcome = solve_milp(
            model.problem, backend=backend,
            time_limit=None if left is None else max(left - reserve, 1e-3),
            mip_rel_gap=mip_rel_gap, warm_start=warm)
        if out.status is MilpStatus.INFEASIBLE:
            return infeasible()
        # HiGHS can overrun a tiny time limit on a large LP: no fallback once time is up.
        bound = min(cheap_bound,
                    -out.bound / model.weight_scale if np.isfinite(out.bound)
                    else np.inf if clock.expired else lp_relaxation(model, clock.remaining())[0])
        found = [] if out.x is None else [model.facilities.build_phase(out.x, (n, n_types))]
        stopped = out.status is not MilpStatus.OPTIMAL
    else:
        start = (greedy.build_phase, greedy.site_phase) if greedy.meets_requirements else None
        decomposed = solve_benders(inp, prepared, reqs, clock, start,
                                   greedy.objective if start else -np.inf,
                                   integer=method == "benders", mip_rel_gap=mip_rel_gap)
        if decomposed.infeasible:
            return infeasible()
        bound = min(cheap_bound, decomposed.bound)
        found = list(decomposed.plans)
        stopped = clock.expired or not decomposed.lp_converged
        unsolved = decomposed.unsolved
    for build_phase in found:
        plan = prune(evaluate(build_phase, inp, prepared, reqs), inp, prepared, reqs)
        # With a goal level, only plans that hold it (round-off can break a row by a hair).
        if plan.meets_requirements and (pg is None or lift is None
                                        or _keeps_goals(plan, pg, inp, lift)):
            candidates.append((plan, algorithm))
    if not candidates:
        if method == "heuristic":
            missed = tuple(
                Infeasibility(k, r.type_index, r.by_phase, "heuristic", "weight", r.need,
                              r.need - float(short))
                for k, (r, short) in enumerate(zip(reqs, greedy.shortfall, strict=True))
                if short > 0)
            return finish(empty, bound, Status.INFEASIBLE, solver, algorithm, infeasible=missed)
        return finish(empty, bound, Status.INFEASIBLE, solver, algorithm,
                      infeasible=(Infeasibility(None, None, None, "deadline"),))
    plan, used = max(candidates, key=lambda c: c[0].objective)
    gap = relative_gap(plan.objective, bound, "max")
    if gap <= OPTIMALITY_TOLERANCE:
        return finish(plan, bound, Status.OPTIMAL, solver, used)
    if method == "heuristic":
        why = "greedy plan"
    elif unsolved:
        why = unsolved
    elif stopped and clock.limit is not None:
        why = f"stopped by the time limit of {clock.limit:.1f} s"
    else:
        why = f"stopped at mip_rel_gap={mip_rel_gap}"
    return finish(plan, bound, Status.FEASIBLE, solver, used, f"{why}; gap {gap:.3%}")


def _keeps_goals(plan: Plan, pg: PreparedGoals, inp: Inputs, lift: LiftResult) -> bool:
    """Whether ``plan`` meets the goal counts and the goal level the first level reached."""
    holds = goal_holds(pg, plan.covered, inp.shape[2])
    return bool(counts_met(pg, holds).all()) and \
        goal_level(pg, holds, inp) >= lift.value - TOL * max(1.0, lift.value)
