r"""The goal level of the objective: make as many goals hold as the budget allows.

:func:`~.solve.plan_sites` with goals optimises lexicographically, as a planner ranks aims: first
the goals (with hard counts as constraints), then weighted coverage with the goal value held at
what the first level reached, then money (facilities that add neither are dropped). Sequential
solves, each with the level above fixed, keep each objective in its own units; one MILP with
weights big enough to order the levels would put coefficients 10⁶ apart and let the gap
tolerance swallow the lower levels.

Goal level
----------
:math:`\max \sum_g v_g \big(z_{g,F-1} + \epsilon \sum_{f < F-1} \pi_f z_{gf}\big)` with
:math:`\epsilon = 1 / (1 + \sum_{f<F-1} \pi_f \sum_g v_g)`: goals holding at the end of the plan
come first and holding them earlier only breaks ties, so the plan that lifts the most goals by
the end wins. In particular, if the goals' stand-alone costs, cheapest first, fit in the total
budget ``k`` at a time, the goal level reaches at least ``k`` of them: the union of their
cheapest plans, built in the last phase, is feasible.

Warm start: :func:`~.lift_greedy.lift_greedy`, goals added one at a time, each priced on what
is built already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .._milp import Backend, MilpProblem, MilpStatus, solve_milp
from .._result import OPTIMALITY_TOLERANCE, Status, relative_gap
from ..arrays import BoolArray, FloatArray, IntArray
from ..clock import Clock
from ..highs_start import too_short_for_highs
from .cheapest import GoalCosts
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
from .greedy import greedy
from .inputs import TypeCoverage
from .milp import Model, build_model, to_columns
from .plans import evaluate, fits, with_locks
from .prepare import TOL, Inputs, PreparedType, Requirement, plan_spend, prepare_type

#: Share of the goal level's seconds left after the end state's LP that the end state's MILP
#: (:class:`EndState`) may take before the lift MILP gets the rest. The LP itself may take all
#: the goal level's time: it is a fraction of the lift MILP's root LP (demo: 2-3 s against
#: 24 s), so when it does not finish the lift MILP could not have finished its root either
#: (the demo's 20 s run leaves it 1.6-2.4 s where it needs 2-2.5 s). At 120 s the end
#: state's MILP proves 24.1.
END_STATE_SHARE = 0.8
#: Seconds the end state's LP may always take, whatever is left of the goal level's time: cut
#: short, the demo's bound at 20 s fell back to the shared-cost bound (at most 65 communities
#: against 32) in most runs. With this floor it proved 32 in every idle run (7 of 7; 3 of 3 with
#: 4 s), the plan step 0.5-1 s longer; beside two busy processes still 65 while the floor was
#: one of seconds (2026-12-07): it is now one of iterations (below), and there the LP takes 4 s
#: and proves 32. What it takes beyond the goal level's share comes out of the coverage level's
#: time (whose fill has a floor of its own).
END_STATE_LP_FLOOR_S = 3.0
#: Dual simplex iterations the end state's LP may take per second it is given: its limit is one
#: of work, not of seconds, so that a slower or busier machine takes longer to the same bound
#: rather than ending without one; on its floor the LP is the same everywhere. Measured on 2
#: cores, 2026-12-07: the demo's LP takes 10,119 iterations in 2.1 s idle (its first 5,000 in
#: 0.5 s); beside two busy processes it ran out of its 3 s (the bound then 65 communities
#: instead of 32); the demo scaled 4x takes 12,582 in 3.0 s, so that 4,000 per second left it
#: without a bound where 3 s did not.
END_STATE_LP_ITERATIONS_PER_S = 5_000
#: Multiple of :data:`END_STATE_LP_FLOOR_S` after which the end state's LP stops whatever its
#: iterations, so that a much slower or busier machine still ends (the demo's LP beside two
#: busy processes: 4 s), and an LP larger than the demo's, slower per iteration, costs at
#: most 3 s more than a floor in seconds did; an LP given more seconds than that stops on them.
END_STATE_LP_WALL_FACTOR = 2.0


@dataclass(frozen=True)
class GoalLevel:
    """The goal level of :func:`~.solve.plan_sites`' objective.

    Attributes
    ----------
    goals
        The goals (:class:`~.goals.Goal`); their ``value`` weighs them.
    counts
        Hard counts (:class:`~.goals.GoalCount`): the plan is ``INFEASIBLE`` when it cannot
        meet them within the budget.
    start
        ``(n_sites, n_types)`` build phases (-1 unbuilt) of a plan that meets the counts within
        the budget, e.g. :attr:`~.cheapest.CheapestPlan.build_phase`; the goal level starts
        from it.
    costs
        Stand-alone goal costs (:func:`~.cheapest.goal_costs`) for the warm start; computed
        when None.
    """

    goals: tuple[Goal, ...]
    counts: tuple[GoalCount, ...] = ()
    start: npt.ArrayLike | None = None
    costs: GoalCosts | None = None


def goal_weights(pg: PreparedGoals, inp: Inputs) -> FloatArray:
    """``(G, F)`` objective weight of each goal holding at the end of each phase (docstring)."""
    n_phases = inp.shape[2]
    weights = np.zeros((pg.n_goals, n_phases))
    early = inp.phase_weights[:-1]
    epsilon = 1.0 / (1.0 + float(early.sum()) * float(pg.value.sum()))
    weights[:, -1] = pg.value
    weights[:, :-1] = epsilon * pg.value[:, None] * early[None, :]
    return weights


def goal_level(pg: PreparedGoals, holds: BoolArray, inp: Inputs) -> float:
    """The goal level's value of a plan whose goals hold as ``holds`` (G, F)."""
    return float((goal_weights(pg, inp) * holds).sum())


def affordable_bound(pg: PreparedGoals, inp: Inputs, costs: GoalCosts) -> float:
    """An upper bound on the goal level from the goals' stand-alone costs alone.

    A goal that holds at the end of a plan makes that plan cost at least the goal's proven
    stand-alone lower bound (``costs.bound``, by ``costs.by_phase``), so a goal whose bound
    exceeds every budget released by then can never hold; every other goal is counted at its
    full weight. Weak (facilities shared between goals are not charged), but always at hand
    when the goal level's MILP had no time to prove a bound of its own.
    """
    n_phases = inp.shape[2]
    if costs.by_phase not in (-1, n_phases - 1):
        return float("inf")  # costs by an earlier phase do not bound holding at the end
    lower = np.nan_to_num(np.asarray(costs.bound, dtype=float), nan=0.0)
    released = float(inp.budget_cum[-1])
    possible = lower <= released * (1 + TOL) + TOL
    return float(goal_weights(pg, inp)[possible].sum())


@dataclass(frozen=True)
class LiftResult:
    """The goal level's plan, value and proven upper bound."""

    build_phase: IntArray
    value: float
    bound: float
    status: Status
    seconds: float


@dataclass(frozen=True)
class Residual:
    """What a plan ``start`` leaves for more coverage: money, floor area, type slots and the
    rows it does not cover (rows ``start`` covers count as covered by an outlet), as inputs and
    prepared types of the same shape. A plan of it joins ``start`` by :meth:`join`."""

    start: IntArray
    inp: Inputs
    types: tuple[PreparedType, ...]

    @classmethod
    def of(cls, types: Sequence[TypeCoverage], inp: Inputs, prepared: Sequence[PreparedType],
           start: IntArray) -> Residual:
        n_phases = inp.shape[2]
        plan = evaluate(start, inp, prepared, [])
        built = start >= 0
        opened = plan.site_phase >= 0
        # Money left by the end of each phase that no later phase needs back.
        room = inp.budget_cum - np.cumsum(plan.spend)
        room = np.maximum(np.minimum.accumulate(room[::-1])[::-1], 0.0)
        slots = None if inp.max_types is None else \
            np.maximum(inp.max_types - built.sum(axis=1), 0)
        left = replace(
            inp, base_cost=np.where(opened, 0.0, inp.base_cost), allowed=inp.allowed & ~built,
            max_types=slots,
            first_phase=np.where(opened, np.maximum(inp.first_phase, plan.site_phase),
                                 inp.first_phase),
            budget_cum=room, locked=None,  # what is locked is built in ``start`` already
            site_area=None if inp.site_area is None or inp.type_area is None else
            np.maximum(inp.site_area - (inp.type_area * built).sum(axis=1), 0.0))
        rest = []
        for k, (tc, tp) in enumerate(zip(types, prepared, strict=True)):
            done = np.zeros(tp.row_map.size, dtype=bool)
            live = tp.row_map >= 0
            done[live] = plan.covered[k][tp.row_map[live]] < n_phases
            existing = np.asarray(tc.existing if tc.existing is not None else
                                  np.zeros(done.size, dtype=bool), dtype=bool) | done
            rest.append(prepare_type(k, replace(tc, existing=existing), left))
        return cls(start, left, tuple(rest))

    def join(self, more: IntArray) -> IntArray:
        """``start`` with the plan ``more`` of the residual (build phases, -1 unbuilt)."""
        return np.where(self.start >= 0, self.start, more)


def fill(residual: Residual, clock: Clock) -> IntArray:
    """The residual's start plus the coverage greedy's plan (new weight per yuan) for what it
    leaves; it stops with what it has when ``clock`` runs out."""
    return residual.join(greedy(residual.inp, residual.types, [], "ratio", clock))


def lift_model(
    inp: Inputs, prepared: Sequence[PreparedType], reqs: Sequence[Requirement],
    pg: PreparedGoals, *, weights: FloatArray | None = None, counts: bool = True,
) -> tuple[Model, MilpProblem, GoalColumns]:
    """The plan's constraints (without diminishing returns) plus goal rows (the hard counts'
    too unless ``counts`` is False), maximising the goal level: ``weights`` (G, F) per goal and
    phase, :func:`goal_weights` by default."""
    model = build_model(replace(inp, returns=None), prepared, reqs)
    base = replace(model.problem, c=np.zeros(model.problem.num_col))
    problem, columns = add_goals(
        base, covered_starts(model), pg, inp.shape[2], count_rows=counts,
        goal_cost=-(goal_weights(pg, inp) if weights is None else weights))
    return model, problem, columns


@dataclass(frozen=True)
class EndState:
    r"""The plan's end state as a model of its own: an upper bound on the goal level and plans.

    A goal holding by phase :math:`f` holds at the end too (what is built stays), so a plan's
    goal level is at most :math:`\sum_g (\sum_f w_{gf}) z_{g,F-1}`. The plan's end state,
    built all in the last phase, spends what the plan spends in all and meets the same floor
    areas and type limits, so it is a solution of the lift model with every build before the
    last phase fixed at 0, without the requirements and hard counts (which bind earlier phases)
    and the locked facilities (fixed in their phases). That model, with the weights summed onto
    the last phase, bounds the goal level from above, its LP and its MILP's proven bound alike;
    a solution of it, built in the last phase and moved as early as the budgets allow, is a
    plan (to be checked against the requirements and counts). It is a third of the lift model's
    size and far easier: on the demo (119 communities, 527 sites, 3 phases) its LP gives 32.7
    in 2-3 s where the lift MILP's own LP takes 24 s (the shared-cost bound is 65.9), and its
    MILP proves 21 goals the most in 54 s from the greedy's 17 (bound 27.1 after 5 s, 24.1
    after 10 s), where the lift MILP's root bound is 23.3 after 200 s.
    """

    pg: PreparedGoals
    inp: Inputs
    prepared: tuple[PreparedType, ...]
    model: Model
    problem: MilpProblem
    columns: GoalColumns

    @classmethod
    def of(cls, pg: PreparedGoals, inp: Inputs, prepared: Sequence[PreparedType]) -> EndState:
        weights = np.zeros((pg.n_goals, inp.shape[2]))
        weights[:, -1] = goal_weights(pg, inp).sum(axis=1)
        model, problem, columns = lift_model(replace(inp, locked=None), prepared, [], pg,
                                             weights=weights, counts=False)
        upper = problem.col_upper.copy()
        upper[model.facilities.build[:, :-1].ravel()] = 0.0
        upper[model.facilities.open[:, :-1].ravel()] = 0.0
        return cls(pg, inp, tuple(prepared), model, replace(problem, col_upper=upper), columns)

    def lp_bound(self, clock: Clock) -> float:
        """The LP's bound, or inf when it does not finish within the dual simplex iterations
        ``clock``'s seconds are worth (:data:`END_STATE_LP_ITERATIONS_PER_S`), or within those
        seconds or :data:`END_STATE_LP_WALL_FACTOR` times :data:`END_STATE_LP_FLOOR_S`,
        whichever is longer."""
        seconds = clock.remaining()
        wall = iterations = None
        if seconds is not None:
            wall = max(seconds, END_STATE_LP_FLOOR_S * END_STATE_LP_WALL_FACTOR)
            iterations = max(1, round(seconds * END_STATE_LP_ITERATIONS_PER_S))
        out = solve_milp(self.problem.relaxed(), backend="highs", time_limit=wall,
                         lp_algorithm="simplex", iteration_limit=iterations)
        return -out.objective if out.status is MilpStatus.OPTIMAL else float("inf")

    def search(self, start: IntArray | None, clock: Clock, mip_rel_gap: float,
               ) -> tuple[float, IntArray | None]:
        """The MILP from ``start``'s end state within ``clock``: its proven bound (inf without
        one) and the plan of its best solution, moved as early as the budgets allow (None
        without a solution)."""
        inp, n_phases = self.inp, self.inp.shape[2]
        warm = None
        free = replace(inp, returns=None, locked=None)
        if start is not None:
            plan = evaluate(np.where(start >= 0, n_phases - 1, -1), free, self.prepared, [])
            warm = to_columns(plan, free, self.prepared, self.model)
            warm = np.r_[warm, goal_values(self.pg, plan.covered, n_phases, self.columns,
                                           self.problem.num_col)[warm.size:]]
        out = solve_milp(self.problem, backend="highs", time_limit=clock.remaining(),
                         mip_rel_gap=mip_rel_gap, warm_start=warm)
        bound = -out.bound if np.isfinite(out.bound) else float("inf")
        if out.x is None:
            return bound, None
        return bound, _earliest(self.model.facilities.build_phase(out.x, inp.shape[:2]), inp)


def _earliest(build: IntArray, inp: Inputs) -> IntArray:
    """``build`` with each facility (in site, type order) moved to the earliest phase whose
    cumulative budgets, with the moves before it, allow it."""
    out = build.copy()
    for site, kind in zip(*np.nonzero(out >= 0), strict=True):
        pair = np.array([[site, kind]])
        spend = plan_spend(out, inp)
        out[site, kind] = next((f for f in range(int(inp.first_phase[site]), int(out[site, kind]))
                                if fits(out, inp, pair, f, spend)), out[site, kind])
    return out


def new_goals_bound(pg: PreparedGoals, bound: float) -> float:
    """The most goals any plan newly holds by its end, when ``bound`` bounds its goal level
    from above.

    The goal level counts the goals held before any plan at their values and each goal a plan
    newly holds at its own value, at least the least value of the goals a plan could newly
    hold; rounded down with a margin for the LP's tolerance. Inf when such a goal is worth
    nothing or ``bound`` is not finite, 0 when no goal can newly hold.
    """
    fresh = ~pg.before & pg.possible[:, -1]
    if not fresh.any():
        return 0.0
    least = float(pg.value[fresh].min())
    if least <= 0 or not np.isfinite(bound):
        return float("inf")
    room = (bound - float(pg.value[pg.before].sum())) / least
    return float(max(np.floor(room + 1e-6 * max(1.0, abs(room))), 0.0))


def _best_start(inp: Inputs, prepared: Sequence[PreparedType], reqs: Sequence[Requirement],
                pg: PreparedGoals, builds: Sequence[IntArray]) -> tuple[float, IntArray] | None:
    """The plan of ``builds`` meeting ``reqs`` and the counts with the highest goal level."""
    best: tuple[float, IntArray] | None = None
    for build in builds:
        plan = evaluate(build, inp, prepared, reqs)
        holds = goal_holds(pg, plan.covered, inp.shape[2])
        if plan.meets_requirements and counts_met(pg, holds).all():
            value = goal_level(pg, holds, inp)
            if best is None or value > best[0] + TOL:
                best = (value, build)
    return best


def _proven(best: tuple[float, IntArray] | None, bound: float, mip_rel_gap: float) -> bool:
    """Whether ``bound`` proves the plan ``best`` (value, build) optimal."""
    return best is not None and relative_gap(best[0], max(bound, best[0]), "max") <= max(
        OPTIMALITY_TOLERANCE, mip_rel_gap)


def lift_stage(
    inp: Inputs, prepared: Sequence[PreparedType], reqs: Sequence[Requirement],
    pg: PreparedGoals, starts: Sequence[IntArray], *, backend: Backend,
    time_limit: float | None, mip_rel_gap: float,
) -> LiftResult:
    """Solve the goal level from the best of ``starts`` (plans meeting ``reqs`` and the counts)
    within ``time_limit`` seconds, building the model included (the end state's LP may take
    the iterations of :data:`END_STATE_LP_FLOOR_S` at least, whatever they take on this
    machine).

    The end state (:class:`EndState`) comes first: its LP, then its MILP from the best start
    within :data:`END_STATE_SHARE` of the time left. Their bounds stand where the lift MILP has
    no time to prove one, the MILP's plan joins the starts, and when a bound proves the best
    start optimal the lift MILP is not run.

    Returns the best plan found (a start when the MILP finds nothing better in time, or when
    the time left is too short for HiGHS to start: :mod:`~siting.models.highs_start`, checked
    on the end state's size before each model is solved and before the lift model is built),
    its goal level value and the better of the two proven upper bounds (inf without one).
    """
    clock = Clock(time_limit)
    n_phases = inp.shape[2]
    no_pairs = np.empty((0, 2), dtype=np.int64)
    if inp.locked is not None:
        # Every plan builds the locked facilities; a start that cannot take them is dropped.
        starts = [build for build in (with_locks(s, inp) for s in starts)
                  if fits(build, inp, no_pairs, 0)]
    best = _best_start(inp, prepared, reqs, pg, starts)
    # The end state first: its LP needs about all of the demo's time at 20 s. It is the lift
    # model without the count and requirement rows, so its size tells as well whether HiGHS has
    # time to start.
    end_state = EndState.of(pg, inp, prepared)
    lp_clock = clock.part(1.0, END_STATE_LP_FLOOR_S)
    if best is not None and too_short_for_highs(end_state.problem.A.nnz, lp_clock.remaining()):
        # Too little time for HiGHS to start searching: the best start, with no bound of its own.
        return LiftResult(best[1], best[0], np.inf, Status.FEASIBLE, clock.seconds)
    end = end_state.lp_bound(lp_clock)
    if np.isfinite(end) and not clock.expired and not _proven(best, end, mip_rel_gap):
        searched, end_plan = end_state.search(None if best is None else best[1],
                                              clock.part(END_STATE_SHARE), mip_rel_gap)
        end = min(end, searched)
        if end_plan is not None:
            # a plan, once the locked facilities join it within the budgets
            end_plan = with_locks(end_plan, inp)
            kept = fits(end_plan, inp, no_pairs, 0)
            best = _best_start(inp, prepared, reqs, pg, ([] if best is None else [best[1]])
                               + ([end_plan] if kept else []))
    if best is not None and _proven(best, end, mip_rel_gap):
        return LiftResult(best[1], best[0], max(end, best[0]), Status.OPTIMAL, clock.seconds)
    if best is not None and too_short_for_highs(end_state.problem.A.nnz, clock.remaining()):
        # The end state took the time HiGHS would need: no lift model is built for nothing.
        return LiftResult(best[1], best[0], max(end, best[0]), Status.FEASIBLE, clock.seconds)
    model, problem, columns = lift_model(inp, prepared, reqs, pg)
    warm = None
    if best is not None:
        plan = evaluate(best[1], inp, prepared, reqs)
        warm = to_columns(plan, replace(inp, returns=None), prepared, model)
        warm = np.r_[warm, goal_values(pg, plan.covered, n_phases, columns,
                                       problem.num_col)[warm.size:]]
    out = solve_milp(problem, backend=backend, time_limit=clock.remaining(),
                     mip_rel_gap=mip_rel_gap,
                     warm_start=warm)
    if out.status is MilpStatus.INFEASIBLE:
        return LiftResult(np.full(inp.shape[:2], -1, dtype=np.int64), -np.inf, -np.inf,
                          Status.INFEASIBLE, clock.seconds)
    bound = min(-out.bound if np.isfinite(out.bound) else np.inf, end)
    if out.x is not None:
        found = _best_start(inp, prepared, reqs, pg,
                            [model.facilities.build_phase(out.x, inp.shape[:2])])
        if found is not None and (best is None or found[0] > best[0] + TOL):
            best = found
    if best is None:
        return LiftResult(np.full(inp.shape[:2], -1, dtype=np.int64), -np.inf, bound,
                          Status.FEASIBLE, clock.seconds)
    bound = max(bound, best[0])
    gap = relative_gap(best[0], bound, "max")
    status = Status.OPTIMAL if gap <= max(OPTIMALITY_TOLERANCE, mip_rel_gap) else \
        Status.FEASIBLE
    return LiftResult(best[1], best[0], bound, status, clock.seconds)


def with_goal_floor(model: Model, pg: PreparedGoals, inp: Inputs,
                    value: float) -> tuple[Model, GoalColumns]:
    """The plan's MILP with goal rows and the goal level held at ``value`` or more."""
    problem, columns = add_goals(model.problem, covered_starts(model), pg, inp.shape[2])
    weights = goal_weights(pg, inp).ravel()
    live = weights > 0
    floor = sp.csr_array((weights[live], (np.zeros(int(live.sum()), dtype=np.int64),
                                          columns.z.ravel()[live])), shape=(1, problem.num_col))
    # The plan found for the goal level meets the floor exactly; round-off gets a hair of slack.
    problem = MilpProblem(
        problem.c, sp.csr_array(sp.vstack([problem.A, floor], format="csr")),
        np.r_[problem.row_lower, value - TOL * max(1.0, abs(value))],
        np.r_[problem.row_upper, np.inf], problem.col_lower, problem.col_upper,
        problem.integer, problem.offset)
    return replace(model, problem=problem), columns
