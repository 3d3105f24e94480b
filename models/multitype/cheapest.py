r"""What it would take: the least budget that makes goals hold (minimum-cost covering).

Two questions planners ask of a target, each a covering MILP on the part of the instance the
goals need (:mod:`.restrict`):

- :func:`goal_costs`: the least yuan that makes each goal hold by a phase on its own, e.g. what
  it costs to bring one community to its next tier (the set-covering side of siting, Toregas
  et al. 1971, with the tier's share conditions as partial-cover rows).
- :func:`cheapest_plan`: the least *budget scale* :math:`\sigma` at which counts of goals hold
  ("20 communities at 提升型 by 2025-09"): every phase budget :math:`B_f` is multiplied by
  :math:`\sigma`, so the answer can be checked by planning again at :math:`\sigma B`.

Formulation of :func:`cheapest_plan`: the plan's constraints (package docstring) and the goal
rows (:mod:`.goals`), with (5) replaced by :math:`\sum_{f' \le f} \text{spend}_{f'} \le \sigma
\sum_{f' \le f} B_{f'}` for every phase, minimising :math:`\sigma`. Facilities the counts do not
need are then dropped (most expensive first), so the plan's cost is at most :math:`\sigma B`.
Locked facilities (a planner's required projects) are in every plan: their yuan count in
:math:`\sigma`, and a goal's stand-alone cost is what it adds to them.

When no budget can meet a count, the diagnosis says which limit binds: no allowed site within
reach of a condition's rows (``reach``), sites only available after the deadline
(``deadline``), floor area or types per site (found by dropping those rows), or budget
released only in later phases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .._errors import ModelInputError
from .._milp import Backend, MilpProblem, MilpStatus, solve_milp
from .._result import OPTIMALITY_TOLERANCE, Status, relative_gap
from .._validate import check_index
from ..arrays import FloatArray, IntArray
from ..clock import Clock
from .goal_greedy import greedy_counts
from .goals import (
    Goal,
    GoalColumns,
    GoalCount,
    PreparedGoals,
    add_goals,
    counts_met,
    covered_starts,
    goal_holds,
    goal_values,
)
from .inputs import TypeCoverage
from .milp import Model, build_model, to_columns
from .plans import evaluate
from .prepare import TOL, Inputs, PreparedType, check_inputs, prepare_type
from .restrict import Restricted, collapse, restrict

#: HiGHS threads for the small per-goal MILPs: its thread pool costs more than these models
#: take to solve (10–30× on the demo's goals on a busy 2-core machine).
SMALL_MODEL_THREADS = 1

Binding = Literal["budget", "reach", "deadline", "floor_area", "types_per_site",
                  "floor_area+types_per_site"]
"""The limit that stops a count from being met."""


@dataclass(frozen=True)
class Blocker:
    """A share condition of a goal that no allowed site available by ``by_phase`` can meet.

    ``goal``, ``clause`` and ``condition`` index the inputs as given; ``missing`` is the amount
    (e.g. residents) still short with every such site built; ``later_phase`` the first phase by
    which it could be met (-1: never).
    """

    goal: int
    clause: int
    condition: int
    type_index: int
    by_phase: int
    missing: float
    later_phase: int


@dataclass(frozen=True)
class CountDiagnosis:
    """Why counts of goals are not met, and the smallest relaxation that would meet them.

    Attributes
    ----------
    binding
        Which limit binds (:data:`Binding`).
    count
        Index of the count concerned (-1 when it is the counts together).
    possible
        Goals of the count that some plan could make hold by its phase, at any budget.
    blockers
        For ``reach`` and ``deadline``: the conditions that stop the other goals.
    missing_yuan
        ``(F,)`` for ``budget``: yuan to add to the cumulative budget by the end of each phase.
    """

    binding: Binding
    count: int
    possible: int
    blockers: tuple[Blocker, ...] = ()
    missing_yuan: FloatArray | None = None


@dataclass(frozen=True)
class CheapestPlan:
    """The least budget scale at which counts of goals are met, and a plan that meets them.

    Attributes
    ----------
    scale
        Least factor :math:`\\sigma` found on every phase budget (inf when infeasible).
    scale_bound
        Proven lower bound on the least factor.
    budget_by_phase
        ``scale`` × each phase budget, yuan.
    build_phase, site_phase, spend_by_phase
        The plan, as in :class:`~.solution.MultiTypeSolution` (yuan per phase).
    cost
        Its total cost, yuan (≤ ``scale`` × the total budget).
    status, reason
        ``OPTIMAL`` when ``scale`` is proven least, ``FEASIBLE`` with a gap, ``INFEASIBLE`` when
        no budget meets the counts (``diagnosis`` says why).
    seconds
        Wall-clock time of the call.
    """

    scale: float
    scale_bound: float
    budget_by_phase: FloatArray
    build_phase: IntArray
    site_phase: IntArray
    spend_by_phase: FloatArray
    cost: float
    status: Status
    reason: str
    seconds: float
    diagnosis: tuple[CountDiagnosis, ...] = ()

    @property
    def gap(self) -> float:
        """Relative gap between ``scale`` and ``scale_bound``."""
        return relative_gap(self.scale, self.scale_bound, "min")


@dataclass(frozen=True)
class GoalCosts:
    """The least yuan that makes each goal hold on its own by ``by_phase``, with no budget limit.

    ``cost[g]`` is 0 for a goal that holds already, inf for one no plan can reach (then
    ``binding[g]`` names the limit, :data:`Binding` or ``together``, and ``blockers[g]`` the
    conditions for ``reach`` and ``deadline``), nan for a goal not asked about or not solved
    within the time limit; ``bound[g]`` is a proven lower bound; ``builds[g]`` the ``(site,
    type)`` pairs of the cheapest plan found.
    """

    by_phase: int
    cost: FloatArray
    bound: FloatArray
    status: tuple[Status, ...]
    builds: tuple[IntArray, ...]
    blockers: tuple[tuple[Blocker, ...], ...]
    binding: tuple[str, ...]
    seconds: float


# --------------------------------------------------------------------------- shared set-up


@dataclass(frozen=True)
class Instance:
    """Validated inputs, prepared types and goals, shared by the calls of this module."""

    inp: Inputs
    prepared: tuple[PreparedType, ...]
    goals: PreparedGoals


def prepare_instance(
    types: Sequence[TypeCoverage], goals: Sequence[Goal], counts: Sequence[GoalCount], *,
    base_cost: npt.ArrayLike, type_cost: npt.ArrayLike, allowed: npt.ArrayLike,
    phase_budgets: npt.ArrayLike, site_first_phase: npt.ArrayLike | None = None,
    site_area: npt.ArrayLike | None = None, type_area: npt.ArrayLike | None = None,
    max_types_per_site: int | None = None, locked: npt.ArrayLike | None = None,
) -> Instance:
    """Validate the arguments (as :func:`~.solve.plan_sites`) and prepare types and goals.

    With ``locked`` (the facilities every plan builds, as in :func:`~.solve.plan_sites`),
    :func:`goal_costs` answers what each goal costs on top of them and :func:`cheapest_plan`
    the least budget of plans that build them.
    """
    from .goals import prepare_goals

    if len(types) == 0:
        msg = "types is empty; give one TypeCoverage per facility type"
        raise ModelInputError(msg)
    inp = check_inputs(len(types), base_cost, type_cost, allowed, phase_budgets,
                       site_first_phase, None, site_area, type_area, max_types_per_site,
                       locked)
    prepared = tuple(prepare_type(k, tc, inp) for k, tc in enumerate(types))
    return Instance(inp, prepared, prepare_goals(goals, counts, types, prepared, inp))


def blockers(pg: PreparedGoals, g: int, phase: int) -> tuple[Blocker, ...]:
    """The conditions of goal ``g`` (and the goals it requires) that stop it by ``phase``."""
    n_phases = pg.possible.shape[1]
    out = []
    for h in pg.chain(g):
        for clause in pg.clauses[h]:
            if not clause.missing:
                continue
            short = [i for i in clause.conditions
                     if pg.conditions[i].reach[phase] < pg.conditions[i].need * (1 - TOL)]
            if clause.conditions.size - len(short) >= clause.missing:
                continue
            for i in short:
                c = pg.conditions[i]
                later = np.flatnonzero(c.reach >= c.need * (1 - TOL))
                goal, k, position = c.origin
                out.append(Blocker(goal, k, position, c.type_index, phase,
                                   float(c.need - c.reach[phase]),
                                   int(later[0]) if later.size and later[0] < n_phases else -1))
    return tuple(out)


def _goal_problem(r: Restricted) -> tuple[MilpProblem, Model, slice, GoalColumns]:
    """The sub-instance's plan MILP with no objective, plus goal rows and their columns."""
    model = build_model(r.inp, r.prepared, [])
    base = replace(model.problem, c=np.zeros(model.problem.num_col))
    problem, columns = add_goals(base, covered_starts(model), r.goals,
                                 r.inp.shape[2])
    budget = model.rows.get("budget")
    assert budget is not None
    return problem, model, budget, columns


def _prune_for(r: Restricted, build_phase: IntArray, keep: object) -> IntArray:
    """Drop built facilities (dearest first, locked ones never) while ``keep(holds)`` stays
    true."""
    n_phases = r.inp.shape[2]
    build_phase = build_phase.copy()
    j_built, t_built = np.nonzero((build_phase >= 0) & (r.inp.lock < 0))
    order = np.argsort(-r.inp.type_cost[j_built, t_built], kind="stable")
    for j, t in zip(j_built[order], t_built[order], strict=True):
        trial = build_phase.copy()
        trial[j, t] = -1
        plan = evaluate(trial, r.inp, r.prepared, [])
        if keep(goal_holds(r.goals, plan.covered, n_phases)):  # type: ignore[operator]
            build_phase = trial
    return build_phase


def _area_and_types_binding(problem: MilpProblem, model: Model,
                            time_limit: float | None) -> Binding | None:
    """Which per-site limit makes the goal rows infeasible at any budget, or None."""
    rows = {name: model.rows[name] for name in ("floor_area", "types_per_site")
            if name in model.rows}
    for drop in (("floor_area",), ("types_per_site",), ("floor_area", "types_per_site")):
        if not all(name in rows for name in drop):
            continue
        upper = problem.row_upper.copy()
        for name in drop:
            upper[rows[name]] = np.inf
        out = solve_milp(replace(problem, row_upper=upper), time_limit=time_limit)
        if out.status is not MilpStatus.INFEASIBLE:
            return "+".join(drop)  # type: ignore[return-value]
    return None


# --------------------------------------------------------------------------- goal costs


def goal_costs(
    instance: Instance, goal_ids: Sequence[int] | None = None, *, by_phase: int | None = None,
    backend: Backend = "highs", time_limit: float | None = None, mip_rel_gap: float = 1e-6,
) -> GoalCosts:
    """The least yuan that makes each goal hold on its own by ``by_phase`` (default the last).

    Each goal (with the goals it requires) is a small MILP over the sites within reach of its
    rows, minimising spend with no budget limit: a goal costs what it costs. With locked
    facilities, it costs what it adds to the locked facilities built by ``by_phase`` (0 when
    they make it hold). ``time_limit``
    covers the whole call and is shared among the goals; a goal whose solve is cut short keeps
    its best plan, its bound and status ``FEASIBLE``.
    """
    clock = Clock(time_limit)
    pg, inp = instance.goals, instance.inp
    n_phases = inp.shape[2]
    phase = n_phases - 1 if by_phase is None else check_index(by_phase, n_phases, "by_phase",
                                                                "a phase index")
    ids = list(range(pg.n_goals)) if goal_ids is None else [int(g) for g in goal_ids]
    # Goals not asked about stay nan.
    cost = np.full(pg.n_goals, np.nan)
    bound = np.full(pg.n_goals, np.nan)
    status = [Status.OPTIMAL] * pg.n_goals
    builds = [np.empty((0, 2), dtype=np.int64)] * pg.n_goals
    blocked: list[tuple[Blocker, ...]] = [()] * pg.n_goals
    binding: list[str] = [""] * pg.n_goals
    todo = []
    for g in ids:
        if pg.before[g]:
            cost[g] = bound[g] = 0.0
            continue
        if not pg.possible[g, phase]:
            cost[g] = bound[g] = np.inf
            status[g] = Status.INFEASIBLE
            blocked[g] = blockers(pg, g, phase)
            binding[g] = "deadline" if pg.possible[g].any() else "reach"
            continue
        todo.append(g)
    for done, g in enumerate(todo):
        if clock.expired:  # the goals left stay nan: not solved within the time limit
            bound[g] = 0.0
            status[g] = Status.FEASIBLE
            continue
        # At least SMALL_MODEL_SECONDS: a goal's answer must not depend on the machine's load.
        share = clock.part(1.0 / (len(todo) - done), SMALL_MODEL_SECONDS).limit
        r = collapse(restrict(inp, instance.prepared, pg, [g], phase + 1, counts=False), [phase])
        problem, model, budget, columns = _goal_problem(r)
        z = columns.z
        last = budget.stop - 1
        upper = problem.row_upper.copy()
        upper[budget] = np.inf
        col_lower = problem.col_lower.copy()
        col_lower[z[int(np.searchsorted(r.goal_index, g)), -1]] = 1.0
        c = np.zeros(problem.num_col)
        c[:model.problem.num_col] = model.problem.A[[last]].toarray().ravel()
        out = solve_milp(replace(problem, c=c, row_upper=upper, col_lower=col_lower),
                         backend=backend, time_limit=share, mip_rel_gap=mip_rel_gap,
                         threads=SMALL_MODEL_THREADS)
        scale = model.money_scale  # the spend row is in yuan × this
        if out.status is MilpStatus.INFEASIBLE:
            cost[g] = bound[g] = np.inf
            status[g] = Status.INFEASIBLE
            binding[g] = _area_and_types_binding(replace(problem, row_upper=upper, col_lower=
                                                         col_lower), model, share) or "together"
            continue
        if out.x is None:  # stopped by the time limit before any plan
            bound[g] = max(0.0, out.bound / scale) if np.isfinite(out.bound) else 0.0
            status[g] = Status.FEASIBLE
            continue
        sub = model.facilities.build_phase(out.x, r.inp.shape[:2])
        own = int(np.searchsorted(r.goal_index, g))
        sub = _prune_for(r, sub, lambda holds, k=own: bool(holds[k, -1]))
        plan = evaluate(sub, r.inp, r.prepared, [])
        locked = float(evaluate(r.inp.lock, r.inp, r.prepared, []).spend.sum())
        cost[g] = float(plan.spend.sum()) - locked
        bound[g] = min(cost[g], max(0.0, out.bound / scale - locked))
        status[g] = (Status.OPTIMAL if relative_gap(cost[g], bound[g], "min") <=
                     max(OPTIMALITY_TOLERANCE, mip_rel_gap) else Status.FEASIBLE)
        j, k = np.nonzero((sub >= 0) & (r.inp.lock < 0))
        builds[g] = np.column_stack([r.sites[j], r.types[k]]).astype(np.int64)
    return GoalCosts(phase, cost, bound, tuple(status), tuple(builds), tuple(blocked),
                     tuple(binding), clock.seconds)



# --------------------------------------------------------------------------- cheapest plan


def cheapest_plan(
    instance: Instance, *, start: npt.ArrayLike | None = None, backend: Backend = "highs",
    time_limit: float | None = None, mip_rel_gap: float = 1e-6, search: bool = True,
) -> CheapestPlan:
    """The least factor on every phase budget at which all counts of ``instance`` are met.

    ``start``, ``(n_sites, n_types)`` build phases (-1 unbuilt), is a plan to build on for the
    warm start (e.g. the cheapest plan of some of the counts): the warm start keeps its
    facilities and adds what the other counts need. It changes the answer only through the
    warm start. A ``start`` that meets every count already is the warm start as it is (pruned).

    ``search=False`` returns the greedy warm start alone (``FEASIBLE``, scale bound 0; inf
    without a plan): no relax-and-fix, no MILP, hence no proof of infeasibility either. Its
    answer does not depend on the clock when the greedy finishes, so a caller can find the
    greedy plans of several questions first and search from them with the time left.

    Returns
    -------
    CheapestPlan
        ``INFEASIBLE`` with a :class:`CountDiagnosis` per failing count when no budget meets
        them (never an exception).
    """
    clock = Clock(time_limit)
    pg, inp = instance.goals, instance.inp
    n, n_types, _ = inp.shape
    empty = np.full((n, n_types), -1, dtype=np.int64)
    budgets = np.diff(inp.budget_cum, prepend=0.0)

    def result(scale: float, bound: float, build_phase: IntArray, status: Status, reason: str,
               diagnosis: tuple[CountDiagnosis, ...] = ()) -> CheapestPlan:
        plan = evaluate(build_phase, inp, instance.prepared, [])
        by_phase = scale * budgets if np.isfinite(scale) else np.full_like(budgets, np.inf)
        return CheapestPlan(scale, bound, by_phase, build_phase, plan.site_phase,
                            plan.spend, float(plan.spend.sum()), status, reason,
                            clock.seconds, diagnosis)

    if not pg.counts:
        least = _budget_scale(inp, instance.prepared, inp.lock)
        return result(least, least, inp.lock, Status.OPTIMAL, "no counts to meet")
    unreachable = reach_diagnosis(pg)
    if unreachable:
        return result(np.inf, np.inf, empty, Status.INFEASIBLE, describe(unreachable, pg),
                      unreachable)
    due = sorted({phase for _, _, phase in pg.counts})
    members = [int(g) for m, _, phase in pg.counts for g in m if pg.possible[g, phase]]
    # Budgets are checked at the end of each phase a count is due or a facility is locked in
    # (the spans' ends), so the collapsed instance keeps every locked facility in its phase.
    spans = sorted({*due, *(int(f) for f in np.unique(inp.lock[inp.lock >= 0]))})
    r = collapse(restrict(inp, instance.prepared, pg, members, spans[-1] + 1), spans)

    # The greedy warm start within the whole limit: it does not depend on the clock when it
    # finishes, so re-planning at the least budget, or on a busier machine, finds the same
    # plan; the MILP rarely improves on it within the limit (never on the demo's targets), and
    # a greedy cut short for the MILP's sake left a target with no plan on a loaded machine.
    # When it fails or runs out, a quarter of what is left goes to relax-and-fix; a quarter of
    # what then remains stays for pruning and evaluating the plan.
    kept = None
    if start is not None:
        given = np.asarray(start, dtype=np.int64)[np.ix_(r.sites, r.types)]
        kept = np.where(given >= 0, np.searchsorted(r.phases, np.maximum(given, 0)), -1)
        kept[kept >= r.phases.size] = -1  # built after the last due phase: no help
    if r.inp.locked is not None:
        kept = np.where(r.inp.lock >= 0, r.inp.lock, -1 if kept is None else kept)
    meets = lambda holds: bool(counts_met(r.goals, holds).all())  # noqa: E731
    greedy = greedy_counts(
        r.inp, r.prepared, r.goals, kept if kept is not None else
        np.full((len(r.sites), len(r.types)), -1, dtype=np.int64),
        fallback=lambda g, phase, build: _exact_hold(r, g, phase, build, backend,
                                                     clock.part(0.25, SMALL_MODEL_SECONDS).limit),
        clock=clock)
    if greedy is not None:
        greedy = _prune_for(r, greedy, meets)
    if not search:
        if greedy is None:
            return result(np.inf, 0.0, empty, Status.FEASIBLE,
                          "the greedy found no plan meeting the counts")
        whole = r.lift(greedy, n, n_types, inp.locked)
        return result(_budget_scale(inp, instance.prepared, whole), 0.0, whole,
                      Status.FEASIBLE, "greedy plan, not searched")
    problem, model, budget, columns = _goal_problem(r)
    z = columns.z
    full = _scaled_budget_rows(problem, model, r)
    warm: FloatArray | None
    if greedy is not None:
        warm = _sub_columns(greedy, r, model, columns, full)
    else:
        warm = _relax_and_fix(full, r, z, model, kept, backend, clock.remaining(0.25), mip_rel_gap)
    out = solve_milp(full, backend=backend, time_limit=clock.remaining(0.75),
                     mip_rel_gap=mip_rel_gap, warm_start=warm)
    if out.status is MilpStatus.INFEASIBLE:
        free = replace(full, row_upper=np.where(
            np.isin(np.arange(full.num_row), np.arange(budget.start, budget.stop)), np.inf,
            full.row_upper))
        per_site = _area_and_types_binding(free, model, clock.remaining())
        found: Binding = per_site if per_site is not None else "budget"
        diagnosis = CountDiagnosis(found, -1, 0)
        if found == "budget":
            # Money released only in later phases: the yuan missing by each due phase.
            spend_row = full.A[[budget.stop - 1]].toarray().ravel()
            cheapest = solve_milp(replace(free, c=spend_row), time_limit=clock.remaining())
            if cheapest.x is not None:
                whole = r.lift(model.facilities.build_phase(cheapest.x, r.inp.shape[:2]), n,
                               n_types, inp.locked)
                spend = np.cumsum(evaluate(whole, inp, instance.prepared, []).spend)
                diagnosis = CountDiagnosis("budget", -1, 0,
                                           missing_yuan=np.maximum(0.0, spend - inp.budget_cum))
        return result(np.inf, np.inf, empty, Status.INFEASIBLE, describe([diagnosis], pg),
                      (diagnosis,))
    plans = [] if greedy is None else [r.lift(greedy, n, n_types, inp.locked)]
    if out.x is not None:
        plans.append(r.lift(_prune_for(r, model.facilities.build_phase(out.x, r.inp.shape[:2]),
                                       meets), n, n_types, inp.locked))
    if not plans:
        return result(np.inf, max(out.bound, 0.0) / _scale_unit(r), empty, Status.FEASIBLE,
                      f"no plan meeting the counts found within {clock.limit} s; raise time_limit")
    scales = [_budget_scale(inp, instance.prepared, w) for w in plans]
    best = int(np.argmin(scales))  # ties: the greedy plan, which does not depend on time
    scale, whole = scales[best], plans[best]
    bound = min(scale, max(0.0, float(out.bound)) / _scale_unit(r))
    gap = relative_gap(scale, bound, "min")
    status = Status.OPTIMAL if gap <= max(OPTIMALITY_TOLERANCE, mip_rel_gap) else \
        Status.FEASIBLE
    reason = "" if status is Status.OPTIMAL else f"stopped by the time limit; gap {gap:.3%}"
    return result(scale, bound, whole, status, reason)


#: Seconds a goal's own MILP may always take (its stand-alone cost in `goal_costs`, the greedy
#: warm start of `cheapest_plan`), whatever the time left: these solve in well under a second,
#: and an answer that depends on the clock would differ on a busier machine and would not be
#: found again by re-planning at the least budget (`cheapest_plan` must be reproducible).
SMALL_MODEL_SECONDS = 5.0


def _exact_hold(r: Restricted, g: int, phase: int, build: IntArray, backend: Backend,
                time_limit: float | None) -> IntArray | None:
    """``build`` plus the least-cost facilities that make goal ``g`` of ``r`` hold by
    ``phase`` (the goal's own MILP, ``build`` kept); None when there are none."""
    own = restrict(r.inp, r.prepared, r.goals, [g], phase + 1, counts=False)
    problem, model, budget, columns = _goal_problem(own)
    col_lower = problem.col_lower.copy()
    _keep_built(col_lower, model, build[np.ix_(own.sites, own.types)])
    col_lower[columns.z[int(np.searchsorted(own.goal_index, g)), phase]] = 1.0
    upper = problem.row_upper.copy()
    upper[budget] = np.inf
    c = np.zeros(problem.num_col)
    c[:model.problem.num_col] = model.problem.A[[budget.stop - 1]].toarray().ravel()
    out = solve_milp(replace(problem, c=c, row_upper=upper, col_lower=col_lower),
                     backend=backend, time_limit=time_limit, threads=SMALL_MODEL_THREADS)
    if out.x is None:
        return None
    found = model.facilities.build_phase(out.x, own.inp.shape[:2])
    merged = build.copy()
    sub = merged[np.ix_(own.sites, own.types)]
    merged[np.ix_(own.sites, own.types)] = np.where(sub >= 0, sub, found)
    return merged


def _keep_built(col_lower: FloatArray, model: Model, kept: IntArray) -> None:
    """Lower bounds (in place) that keep the facilities of ``kept`` (build phases per site and
    type) built from their phase on, and their sites open."""
    fac = model.facilities
    phases = np.arange(fac.build.shape[1])
    first = kept[fac.site, fac.type]
    col_lower[fac.build[(first[:, None] >= 0) & (phases >= first[:, None])]] = 1.0
    opened = np.where(kept >= 0, kept, phases.size).min(axis=1)
    col_lower[fac.open[phases >= opened[:, None]]] = 1.0


def _sub_columns(build: IntArray, r: Restricted, model: Model, columns: GoalColumns,
                 full: MilpProblem) -> FloatArray:
    """The MILP columns of a sub-instance plan: build, open, covered, goal columns, σ̃ last."""
    plan = evaluate(build, r.inp, r.prepared, [])
    x = goal_values(r.goals, plan.covered, r.inp.shape[2], columns, full.num_col)
    x[:model.problem.num_col] = to_columns(plan, r.inp, r.prepared, model)
    last = float(r.inp.budget_cum[-1])
    share = r.inp.budget_cum / last if last > 0 else np.zeros_like(r.inp.budget_cum)
    spend = np.cumsum(plan.spend) / _cost_unit(r.inp)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(share > 0, spend / share, np.where(spend > 0, np.inf, 0.0))
    x[-1] = float(ratio.max(initial=0.0))
    return x


def _relax_and_fix(problem: MilpProblem, r: Restricted, z: IntArray, model: Model,
                   kept: IntArray | None, backend: Backend, time_limit: float | None,
                   mip_rel_gap: float) -> FloatArray | None:
    """A warm start: the goals the LP relaxation leans on most, made to hold at least cost.

    The facilities of ``kept`` (build phases of the sub-instance) stay built. Per count, the
    ``count`` goals with the largest LP value at its phase (ties: lower index) are fixed to hold
    and the others left free; the MILP that remains is close to independent covering problems
    per goal and solves fast. None when it finds nothing in the time given.
    """
    clock = Clock(time_limit)
    col_lower = problem.col_lower.copy()
    if kept is not None:
        _keep_built(col_lower, model, kept)
        problem = replace(problem, col_lower=col_lower)
    lp = solve_milp(problem.relaxed(), backend="highs", lp_algorithm="simplex",
                    time_limit=clock.remaining(0.5))
    if lp.x is None:
        return None
    for members, need, phase in r.goals.counts:
        value = lp.x[z[members, phase]]
        chosen = members[np.lexsort((members, -value))[:need]]
        col_lower[z[chosen, phase]] = 1.0
    fixed = solve_milp(replace(problem, col_lower=col_lower), backend=backend,
                       time_limit=clock.remaining(),
                       mip_rel_gap=mip_rel_gap)
    return fixed.x


def _budget_scale(inp: Inputs, prepared: Sequence[PreparedType], build: IntArray) -> float:
    """The least factor on the budgets that a plan's spend by each phase fits in."""
    cum = np.cumsum(evaluate(build, inp, prepared, []).spend)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(inp.budget_cum > 0, cum / inp.budget_cum,
                         np.where(cum > 0, np.inf, 0.0))
    return float(ratio.max(initial=0.0))


def _cost_unit(inp: Inputs) -> float:
    """Yuan per model unit: the median cost of an allowed (site, type) with its site, so that
    the model does not depend on the budgets (scaling them changes nothing but σ)."""
    cost = (inp.type_cost + inp.base_cost[:, None])[inp.allowed]
    positive = cost[cost > 0]
    return float(np.median(positive)) if positive.size else 1.0


def _scale_unit(r: Restricted) -> float:
    """σ̃ of the model per unit of the budget factor σ: B_last / cost unit."""
    last = float(r.inp.budget_cum[-1])
    return (last if last > 0 else 1.0) / _cost_unit(r.inp)


def _scaled_budget_rows(problem: MilpProblem, model: Model, r: Restricted) -> MilpProblem:
    """``problem`` minimising σ̃ with the budget rows ``spend_f / u - σ̃ B_f / B_last ≤ 0``
    (``u`` the cost unit), written from the inputs so that the MILP is the same, bit for bit,
    whatever the scale of the budgets: re-planning at σ × the budgets finds the same plan."""
    n, _, n_phases = r.inp.shape
    unit = _cost_unit(r.inp)
    last = float(r.inp.budget_cum[-1])
    share = r.inp.budget_cum / last if last > 0 else np.zeros(n_phases)
    fac = model.facilities
    phases = np.arange(n_phases)
    sigma = problem.num_col
    rows = np.r_[np.broadcast_to(phases, fac.build.shape).ravel(), np.tile(phases, n), phases]
    cols = np.r_[fac.build.ravel(), fac.open.ravel(), np.full(n_phases, sigma)]
    vals = np.r_[np.repeat(r.inp.type_cost[fac.site, fac.type] / unit, n_phases),
                 np.repeat(r.inp.base_cost / unit, n_phases), -share]
    budget = model.rows["budget"]
    head = sp.csr_array(problem.A[:budget.start])
    tail = sp.csr_array(problem.A[budget.stop:])
    rows_new = sp.csr_array((vals, (rows, cols)), shape=(n_phases, sigma + 1))
    matrix = sp.csr_array(sp.vstack([
        sp.hstack([head, sp.csr_array((head.shape[0], 1))]), rows_new,
        sp.hstack([tail, sp.csr_array((tail.shape[0], 1))])], format="csr"))
    lower = np.r_[problem.row_lower[:budget.start], np.full(n_phases, -np.inf),
                  problem.row_lower[budget.stop:]]
    upper = np.r_[problem.row_upper[:budget.start], np.zeros(n_phases),
                  problem.row_upper[budget.stop:]]
    return MilpProblem(np.r_[np.zeros(sigma), 1.0], matrix, lower, upper,
                       np.r_[problem.col_lower, 0.0], np.r_[problem.col_upper, np.inf],
                       np.r_[problem.integer, False])


def missing_yuan(plan: CheapestPlan, budget_cum: FloatArray) -> FloatArray:
    """Yuan to add to the cumulative budget by the end of each phase for ``plan`` to fit."""
    return np.asarray(np.maximum(0.0, np.cumsum(plan.spend_by_phase) - budget_cum),
                      dtype=np.float64)


def reach_diagnosis(pg: PreparedGoals) -> tuple[CountDiagnosis, ...]:
    """The counts that no budget can meet because too few goals can hold by their phase."""
    out = []
    for k, (members, need, phase) in enumerate(pg.counts):
        possible = int(pg.possible[members, phase].sum())
        if possible < need:
            later = pg.possible[members].sum(axis=0) >= need
            binding: Binding = "deadline" if later.any() else "reach"
            stopped = [g for g in members if not pg.possible[g, phase]]
            out.append(CountDiagnosis(
                binding, k, possible,
                tuple(b for g in stopped for b in blockers(pg, int(g), phase))))
    return tuple(out)


def describe(diagnosis: Sequence[CountDiagnosis], pg: PreparedGoals) -> str:
    """The diagnoses in one line of English (callers name goals and types in their words)."""
    return "; ".join(_describe(d, pg) for d in diagnosis)


def _describe(d: CountDiagnosis, pg: PreparedGoals) -> str:
    what = "the counts together" if d.count < 0 else f"counts[{d.count}]"
    if d.binding in ("reach", "deadline"):
        need = pg.counts[d.count][1]
        first = d.blockers[0] if d.blockers else None
        detail = "" if first is None else (
            f"; e.g. goals[{first.goal}] clause {first.clause} condition {first.condition} "
            f"(type {first.type_index}) lacks {first.missing:.6g} within reach of every "
            "allowed site")
        when = " by its phase (possible later)" if d.binding == "deadline" else ""
        return (f"{what} needs {need} goals but only {d.possible} can hold{when} at any "
                f"budget{detail}")
    if d.binding == "budget":
        return (f"{what}: the budget released by an early phase is zero or too small at any "
                "scale")
    return f"{what} cannot be met at any budget under the {d.binding.replace('+', ' and ')} limits"
