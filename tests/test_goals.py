"""Goals (all-or-nothing states such as a community at a tier), the goal level of plan_sites,
and minimum-cost covering (goal_costs, cheapest_plan), each checked against brute force on
tiny instances: every assignment of a phase (or none) to every allowed (site, type) pair."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp

from siting.models import MilpProblem, ModelInputError, Status, highs_start, solve_milp
from siting.models.clock import Clock
from siting.models.multitype import (
    Clause,
    Goal,
    GoalCount,
    ShareCondition,
    TypeCoverage,
    cheapest,
    cheapest_plan,
    goal_costs,
    goal_greedy,
    lifts,
    plan_sites,
    prepare_instance,
)
from siting.models.multitype import solve as plan_module
from siting.models.multitype.benders import solve_benders
from siting.models.multitype.cheapest import SMALL_MODEL_SECONDS
from siting.models.multitype.lifts import (
    EndState,
    GoalLevel,
    Residual,
    affordable_bound,
    goal_weights,
    new_goals_bound,
)
from siting.models.multitype.plans import evaluate
from siting.models.multitype.prepare import row_min
from siting.models.multitype.shared_cost import shared_cost_bound

N_PHASES = 2
N_GROUPS = 3  # communities


@dataclass(frozen=True)
class Instance:
    cover: tuple[npt.NDArray[np.bool_], ...]
    weights: tuple[npt.NDArray[np.float64], ...]
    amounts: tuple[npt.NDArray[np.float64], ...]
    existing: tuple[npt.NDArray[np.bool_], ...]
    group: tuple[npt.NDArray[np.int64], ...]
    base_cost: npt.NDArray[np.float64]
    type_cost: npt.NDArray[np.float64]
    allowed: npt.NDArray[np.bool_]
    phase_budgets: npt.NDArray[np.float64]
    site_first_phase: npt.NDArray[np.int64]
    site_area: npt.NDArray[np.float64] | None = None
    type_area: npt.NDArray[np.float64] | None = None
    max_types_per_site: int | None = None

    def types(self) -> list[TypeCoverage]:
        return [TypeCoverage(sp.csr_array(c), w, e, g) for c, w, e, g in
                zip(self.cover, self.weights, self.existing, self.group, strict=True)]

    def kwargs(self, scale: float = 1.0) -> dict[str, Any]:
        return {"base_cost": self.base_cost, "type_cost": self.type_cost,
                "allowed": self.allowed, "phase_budgets": self.phase_budgets * scale,
                "site_first_phase": self.site_first_phase, "site_area": self.site_area,
                "type_area": self.type_area, "max_types_per_site": self.max_types_per_site}

    def goals(self) -> list[Goal]:
        """Per community: 'basic' = type 0 reaches 60 % of its amounts; 'improved' requires it
        and asks for one of type 1 at 50 % or type 0 at 100 %."""
        out = []
        for c in range(N_GROUPS):
            rows = [np.flatnonzero(g == c) for g in self.group]

            def cond(t: int, share: float, rows: list[npt.NDArray[np.int64]] = rows) -> \
                    ShareCondition:
                return ShareCondition(t, rows[t], self.amounts[t][rows[t]], share)

            out.append(Goal((Clause((cond(0, 0.6),)),)))
            out.append(Goal((Clause((cond(1, 0.5), cond(0, 1.0)), at_least=1),),
                            requires=len(out) - 1))
        return out


def random_instance(seed: int) -> Instance:
    """2 types, 4–5 sites, 2 phases, at most 8 allowed pairs, rows in 3 communities."""
    rng = np.random.default_rng(seed)
    n_sites = int(rng.integers(4, 6))
    pairs = rng.choice(n_sites * 2, size=min(8, n_sites * 2), replace=False)
    allowed = np.zeros(n_sites * 2, dtype=bool)
    allowed[pairs] = True
    rows = [int(rng.integers(5, 9)) for _ in range(2)]
    options: dict[str, Any] = {}
    if seed % 3 == 0:
        options["site_area"] = rng.integers(50, 200, n_sites).astype(float)
        options["type_area"] = rng.integers(30, 120, 2).astype(float)
    if seed % 4 == 1:
        options["max_types_per_site"] = 1
    return Instance(
        cover=tuple(rng.random((r, n_sites)) < 0.4 for r in rows),
        weights=tuple(rng.integers(1, 20, r).astype(float) for r in rows),
        amounts=tuple(rng.integers(1, 30, r).astype(float) for r in rows),
        existing=tuple(rng.random(r) < 0.2 for r in rows),
        group=tuple(rng.integers(0, N_GROUPS, r) for r in rows),
        base_cost=rng.integers(0, 40, n_sites).astype(float),
        type_cost=rng.integers(5, 40, (n_sites, 2)).astype(float),
        allowed=allowed.reshape(n_sites, 2),
        phase_budgets=rng.integers(30, 120, N_PHASES).astype(float),
        site_first_phase=rng.integers(0, N_PHASES, n_sites),
        **options,
    )


@dataclass(frozen=True)
class Enumerated:
    """Every plan of an instance: build phases, cumulative spend, feasibility of its site
    limits, goal states per phase and coverage objective (linear, phase weights 1)."""

    build: npt.NDArray[np.int64]  # (P, n, T)
    spend_cum: npt.NDArray[np.float64]  # (P, F)
    limits_ok: npt.NDArray[np.bool_]  # (P,) availability, floor area, types per site
    holds: npt.NDArray[np.bool_]  # (P, G, F)
    coverage: npt.NDArray[np.float64]  # (P,)

    def within(self, budgets: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        return self.limits_ok & (self.spend_cum <= np.cumsum(budgets) + 1e-9).all(axis=1)


def enumerate_plans(inst: Instance) -> Enumerated:
    """Written from the problem statement, not from the MILP."""
    n_sites, n_types = inst.allowed.shape
    j_pair, t_pair = np.nonzero(inst.allowed)
    choice = np.array(list(itertools.product(range(-1, N_PHASES), repeat=j_pair.size)))
    build = np.full((choice.shape[0], n_sites, n_types), -1)
    build[:, j_pair, t_pair] = choice
    built = build >= 0
    phase_or_never = np.where(built, build, N_PHASES)
    ok = ~(built & (build < inst.site_first_phase[None, :, None])).any(axis=(1, 2))
    if inst.site_area is not None and inst.type_area is not None:
        ok &= ((built * inst.type_area).sum(axis=2) <= inst.site_area).all(axis=1)
    if inst.max_types_per_site is not None:
        ok &= (built.sum(axis=2) <= inst.max_types_per_site).all(axis=1)
    site_phase = phase_or_never.min(axis=2)
    spend = np.stack([((site_phase == f) * inst.base_cost).sum(axis=1)
                      + ((build == f) * inst.type_cost).sum(axis=(1, 2))
                      for f in range(N_PHASES)], axis=1)
    first = [np.where(c[None], phase_or_never[:, None, :, t], N_PHASES).min(axis=2)
             for t, c in enumerate(inst.cover)]
    coverage = sum((np.where(inst.existing[t], 0.0, inst.weights[t])
                    * np.maximum(N_PHASES - first[t], 0)).sum(axis=1) for t in range(n_types))
    goals = inst.goals()
    holds = np.zeros((choice.shape[0], len(goals), N_PHASES), dtype=bool)
    for f in range(N_PHASES):
        reached = [inst.existing[t][None] | (first[t] <= f) for t in range(n_types)]
        for g, goal in enumerate(goals):
            own = np.ones(choice.shape[0], dtype=bool)
            for clause in goal.clauses:
                met = np.zeros(choice.shape[0], dtype=int)
                for cond in clause.conditions:
                    rows = np.asarray(cond.rows)
                    a = np.asarray(cond.amounts)
                    got = (reached[cond.type_index][:, rows] * a).sum(axis=1)
                    met += got >= cond.share * a.sum() - 1e-9
                need = len(clause.conditions) if clause.at_least is None else clause.at_least
                own &= met >= need
            if goal.requires is not None:
                own &= holds[:, goal.requires, f]
            holds[:, g, f] = own
    return Enumerated(build, np.cumsum(spend, axis=1), ok, holds, np.asarray(coverage))


def level(holds: npt.NDArray[np.bool_], n_goals: int) -> npt.NDArray[np.float64]:
    """The goal level (values 1): goals held at the end, earlier phases breaking ties."""
    epsilon = 1.0 / (1.0 + (N_PHASES - 1) * n_goals)
    return np.asarray(holds[..., -1].sum(axis=-1)
                      + epsilon * holds[..., :-1].sum(axis=(-1, -2)), dtype=np.float64)


SEEDS = range(30)


@pytest.mark.parametrize("seed", SEEDS)
def test_goal_level_then_coverage_match_brute_force(seed: int) -> None:
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    ok = every.within(inst.phase_budgets)
    goal_value = level(every.holds, len(inst.goals()))
    best_goals = goal_value[ok].max()
    top = ok & (goal_value >= best_goals - 1e-9)
    solution = plan_sites(inst.types(), **inst.kwargs(), goals=GoalLevel(tuple(inst.goals())),
                          mip_rel_gap=1e-9)
    assert solution.status is Status.OPTIMAL
    assert solution.goal_status == "optimal"
    assert solution.goal_value == pytest.approx(best_goals, abs=1e-6)
    assert solution.objective == pytest.approx(every.coverage[top].max(), abs=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_coverage_bound_under_goals_holds_and_is_no_worse_than_without_them(
    seed: int,
) -> None:
    """With a goal level the coverage bound is never below the best coverage of the plans
    that hold the best goal level (brute force), nor above the decomposition's bound of the
    same instance without goals (its relaxation bounds both)."""
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    ok = every.within(inst.phase_budgets)
    goal_value = level(every.holds, len(inst.goals()))
    top = ok & (goal_value >= goal_value[ok].max() - 1e-9)
    with_goals = plan_sites(inst.types(), **inst.kwargs(), goals=GoalLevel(tuple(inst.goals())),
                            method="heuristic")
    without = plan_sites(inst.types(), **inst.kwargs(), method="heuristic")
    assert with_goals.bound >= every.coverage[top].max() - 1e-6
    assert with_goals.bound <= without.bound + 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_cheapest_plan_matches_brute_force_and_replans(seed: int) -> None:
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    goals = inst.goals()
    count = GoalCount([1, 3, 5], 2, N_PHASES - 1)  # two communities at 'improved'
    meets = every.limits_ok & (every.holds[:, [1, 3, 5], -1].sum(axis=1) >= 2)
    budget_cum = np.cumsum(inst.phase_budgets)
    found = cheapest_plan(prepare_instance(inst.types(), goals, [count], **inst.kwargs()))
    if not meets.any():
        assert found.status is Status.INFEASIBLE
        assert found.diagnosis
        return
    scale = (every.spend_cum / budget_cum).max(axis=1)
    assert found.status is Status.OPTIMAL
    assert found.scale == pytest.approx(scale[meets].min(), rel=1e-6, abs=1e-9)
    assert found.cost <= found.scale * budget_cum[-1] + 1e-6
    # Planning again at that budget meets the count; at 99 % of it, nothing can.
    again = plan_sites(inst.types(), **inst.kwargs(found.scale),
                       goals=GoalLevel(tuple(goals), (count,), start=found.build_phase))
    assert again.status is not Status.INFEASIBLE
    if found.scale > 0:
        short = plan_sites(inst.types(), **inst.kwargs(0.99 * found.scale),
                           goals=GoalLevel(tuple(goals), (count,)))
        assert short.status is Status.INFEASIBLE


@pytest.mark.parametrize("seed", SEEDS)
def test_cheapest_plan_greedy_alone_is_where_the_search_starts(seed: int) -> None:
    """``search=False``: the greedy plan alone, never below the optimum and never a proof; the
    search from it as start is the optimum (the plans of `siting.what_it_takes`' first pass)."""
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    goals = inst.goals()
    count = GoalCount([1, 3, 5], 2, N_PHASES - 1)
    meets = every.limits_ok & (every.holds[:, [1, 3, 5], -1].sum(axis=1) >= 2)
    instance = prepare_instance(inst.types(), goals, [count], **inst.kwargs())
    greedy = cheapest_plan(instance, search=False)
    assert greedy.status is Status.FEASIBLE
    assert greedy.scale_bound == 0.0
    if not meets.any():
        assert np.isinf(greedy.scale)
        return
    best = (every.spend_cum / np.cumsum(inst.phase_budgets)).max(axis=1)[meets].min()
    if np.isinf(greedy.scale):
        return  # the greedy found nothing: the search alone answers
    assert greedy.scale >= best - 1e-9
    again = plan_sites(inst.types(), **inst.kwargs(greedy.scale),
                       goals=GoalLevel(tuple(goals), (count,), start=greedy.build_phase))
    assert again.status is not Status.INFEASIBLE
    searched = cheapest_plan(instance, start=greedy.build_phase)
    assert searched.status is Status.OPTIMAL
    assert searched.scale == pytest.approx(best, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_greedy_counts_does_not_price_a_start_that_meets_the_counts(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    inst = random_instance(seed)
    instance = prepare_instance(inst.types(), inst.goals(), [GoalCount([1, 3, 5], 2, 1)],
                                **inst.kwargs())
    empty = np.full(instance.inp.shape[:2], -1, dtype=np.int64)
    first = goal_greedy.greedy_counts(instance.inp, instance.prepared, instance.goals, empty)
    if first is None:
        return
    priced: list[int] = []
    monkeypatch.setattr(goal_greedy, "make_hold", lambda *a, **k: priced.append(1))
    again = goal_greedy.greedy_counts(instance.inp, instance.prepared, instance.goals, first)
    assert again is not None
    np.testing.assert_array_equal(again, first)
    assert not priced


@pytest.mark.parametrize("seed", range(15))
def test_goal_costs_match_brute_force(seed: int) -> None:
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    # No budget limit, every site available by the last phase: the cost is the total spend.
    free = every.limits_ok
    costs = goal_costs(prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs()))
    for g in range(len(inst.goals())):
        can = free & every.holds[:, g, -1]
        if not can.any():
            assert costs.cost[g] == np.inf
            assert costs.status[g] is Status.INFEASIBLE
            assert costs.blockers[g] or not every.holds[:, g, -1].any()
            continue
        assert costs.cost[g] == pytest.approx(every.spend_cum[can, -1].min(), abs=1e-6)
        assert costs.status[g] is Status.OPTIMAL


def record_solves(monkeypatch: pytest.MonkeyPatch, module: object) -> list[float | None]:
    """Make ``module``'s ``solve_milp`` record the time limit of each MILP it solves (LPs
    are not recorded; then solve as before); returns the list the limits are appended to."""
    limits: list[float | None] = []

    def recording(problem: MilpProblem, *args: Any, **kwargs: Any) -> Any:
        if problem.integer.any():
            limits.append(kwargs.get("time_limit"))
        return solve_milp(problem, *args, **kwargs)

    monkeypatch.setattr(module, "solve_milp", recording)
    return limits


@pytest.mark.parametrize("seed", range(5))
def test_a_goal_cost_does_not_depend_on_its_share_of_a_short_limit(
    seed: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each goal's own MILP may take SMALL_MODEL_SECONDS whatever its share of the limit (here
    under 1 s): a busy machine then gives the same costs, not a cut-short answer."""
    inst = random_instance(seed)
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs())
    exact = goal_costs(instance)
    limits = record_solves(monkeypatch, cheapest)
    short = goal_costs(instance, time_limit=1.0)
    assert limits
    assert all(limit is not None and limit >= SMALL_MODEL_SECONDS for limit in limits)
    answered = ~np.isnan(short.cost)
    assert answered.any()
    assert short.cost[answered] == pytest.approx(exact.cost[answered])


def test_goal_out_of_reach_names_the_condition() -> None:
    inst = random_instance(3)
    # Community 0's type-1 rows lie beyond every site: its 'improved' goal can only use
    # type 0 at 100 %, and with no type-0 site either it cannot hold at all.
    cover = tuple(np.where((g == 0)[:, None], False, c) for c, g in
                  zip(inst.cover, inst.group, strict=True))
    existing = tuple(np.where(g == 0, False, e) for e, g in
                     zip(inst.existing, inst.group, strict=True))
    blocked = Instance(cover, inst.weights, inst.amounts, existing, inst.group, inst.base_cost,
                       inst.type_cost, inst.allowed, inst.phase_budgets, inst.site_first_phase)
    found = cheapest_plan(prepare_instance(blocked.types(), blocked.goals(),
                                           [GoalCount([0], 1, 1)], **blocked.kwargs()))
    assert found.status is Status.INFEASIBLE
    (diagnosis,) = found.diagnosis
    assert diagnosis.binding == "reach"
    assert diagnosis.possible == 0
    assert {(b.goal, b.clause, b.condition, b.type_index) for b in diagnosis.blockers} == \
        {(0, 0, 0, 0)}


def test_floor_area_binding_is_found() -> None:
    cover = (np.array([[True, False]]), np.array([[True, False]]))
    inst = Instance(
        cover, (np.ones(1), np.ones(1)), (np.ones(1), np.ones(1)),
        (np.zeros(1, dtype=bool),) * 2, (np.zeros(1, dtype=np.int64),) * 2,
        base_cost=np.zeros(2), type_cost=np.ones((2, 2)), allowed=np.ones((2, 2), dtype=bool),
        phase_budgets=np.array([10.0, 10.0]), site_first_phase=np.zeros(2, dtype=np.int64),
        site_area=np.array([100.0, 100.0]), type_area=np.array([60.0, 60.0]))
    goal = Goal((Clause((ShareCondition(0, [0], [1.0], 1.0), ShareCondition(1, [0], [1.0], 1.0))),))
    found = cheapest_plan(prepare_instance(inst.types(), [goal], [GoalCount([0], 1, 0)],
                                           **inst.kwargs()))
    assert found.status is Status.INFEASIBLE
    assert found.diagnosis[0].binding == "floor_area"


def test_budget_released_too_late_says_how_much_is_missing() -> None:
    cover = (np.array([[True]]),)
    inst = Instance(
        cover, (np.ones(1),), (np.ones(1),), (np.zeros(1, dtype=bool),),
        (np.zeros(1, dtype=np.int64),), base_cost=np.array([5.0]), type_cost=np.array([[7.0]]),
        allowed=np.ones((1, 1), dtype=bool), phase_budgets=np.array([0.0, 50.0]),
        site_first_phase=np.zeros(1, dtype=np.int64))
    goal = Goal((Clause((ShareCondition(0, [0], [1.0], 1.0),)),))
    found = cheapest_plan(prepare_instance(inst.types(), [goal], [GoalCount([0], 1, 0)],
                                           **inst.kwargs()))
    assert found.status is Status.INFEASIBLE
    (diagnosis,) = found.diagnosis
    assert diagnosis.binding == "budget"
    assert diagnosis.missing_yuan is not None
    assert diagnosis.missing_yuan[0] == pytest.approx(12.0)


@pytest.mark.parametrize(("goal", "match"), [
    (Goal((Clause((ShareCondition(5, [0], [1.0], 0.5),)),)), "type_index"),
    (Goal((Clause((ShareCondition(0, [9], [1.0], 0.5),)),)), "rows must lie"),
    (Goal((Clause((ShareCondition(0, [0], [1.0, 2.0], 0.5),)),)), "amounts"),
    (Goal((Clause((ShareCondition(0, [0], [1.0], 1.5),)),)), "share"),
    (Goal((Clause((ShareCondition(0, [0], [1.0], 0.5),), at_least=2),)), "at_least"),
    (Goal((), requires=0), "requires"),
    (Goal((), value=-1.0), "value"),
])
def test_bad_goals_raise(goal: Goal, match: str) -> None:
    inst = random_instance(0)
    with pytest.raises(ModelInputError, match=match):
        prepare_instance(inst.types(), [goal], [], **inst.kwargs())


def test_bad_counts_raise() -> None:
    inst = random_instance(0)
    with pytest.raises(ModelInputError, match="count"):
        prepare_instance(inst.types(), inst.goals(), [GoalCount([0], 0, 0)], **inst.kwargs())
    with pytest.raises(ModelInputError, match=r"goal indices|lie in"):
        prepare_instance(inst.types(), inst.goals(), [GoalCount([99], 1, 0)], **inst.kwargs())


@pytest.mark.parametrize("seed", range(15))
def test_goal_level_reaches_what_one_by_one_lifting_affords(seed: int) -> None:
    """If the goals' stand-alone costs, cheapest first, fit the budget k at a time, the plan
    holds at least k goals at its end (their union, built in the last phase, is a plan)."""
    inst = random_instance(seed)
    goals = inst.goals()
    costs = goal_costs(prepare_instance(inst.types(), goals, [], **inst.kwargs()))
    # Only goals whose required goal holds before any plan: lifting each by one step.
    first = [g for g, goal in enumerate(goals) if goal.requires is None]
    known = np.sort(costs.cost[first][np.isfinite(costs.cost[first])])
    k = int((np.cumsum(known[known > 0]) <= inst.phase_budgets.sum() + 1e-9).sum())
    solution = plan_sites(inst.types(), **inst.kwargs(), goals=GoalLevel(tuple(goals)))
    assert solution.goal_value >= k - 1e-9


@pytest.mark.parametrize("seed", range(15))
@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_the_affordable_goal_bound_is_never_below_the_best_goal_level(
    seed: int, scale: float,
) -> None:
    """Counting only goals whose stand-alone lower bound fits the whole budget bounds the goal
    level from above (brute force), and excludes some goals when the budget is small."""
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    best = level(every.holds, len(inst.goals()))[every.within(inst.phase_budgets * scale)].max()
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs(scale))
    costs = goal_costs(instance)
    bound = affordable_bound(instance.goals, instance.inp, costs)
    assert bound >= best - 1e-9
    if np.any(costs.bound > inst.phase_budgets.sum() * scale + 1e-6):
        everything = affordable_bound(instance.goals, instance.inp,
                                      replace(costs, bound=np.zeros_like(costs.bound)))
        assert bound < everything


def test_row_min_gives_rows_without_sites_the_empty_value() -> None:
    # A restricted instance drops the sites of later phases: rows 0 and 2 keep none. Their
    # first cover is "never", not the next row's (np.minimum.reduceat alone would say 1 and
    # fail on the last row).
    cover = sp.csr_array(np.array([[0, 0, 0], [1, 0, 1], [0, 0, 0], [0, 1, 0]]))
    value = np.array([3, 1, 2])
    assert row_min(cover, value, 9).tolist() == [9, 2, 9, 1]
    assert row_min(sp.csr_array((0, 3)), value, 9).tolist() == []


def first_phase_singles(every: Enumerated) -> npt.NDArray[np.bool_]:
    """Plans of one facility, built in the first phase, within the sites' limits."""
    return np.asarray(every.limits_ok & ((every.build >= 0).sum(axis=(1, 2)) == 1)
                      & (every.build <= 0).all(axis=(1, 2)))


def with_a_third_type(inst: Instance, seed: int) -> Instance:
    """``inst`` with a third type, allowed at three sites that allow another, at most two
    types per site and at most 9 allowed pairs (so that every plan can be enumerated)."""
    rng = np.random.default_rng(1000 + seed)
    n_sites = inst.base_cost.size
    allowed = inst.allowed.copy()
    j, t = np.nonzero(allowed)
    allowed[j[6:], t[6:]] = False
    third = np.zeros(n_sites, dtype=bool)
    third[rng.permutation(np.flatnonzero(allowed.any(axis=1)))[:3]] = True
    rows = int(rng.integers(5, 9))
    return replace(
        inst, allowed=np.column_stack([allowed, third]),
        cover=(*inst.cover, rng.random((rows, n_sites)) < 0.5),
        weights=(*inst.weights, rng.integers(1, 20, rows).astype(float)),
        amounts=(*inst.amounts, rng.integers(1, 30, rows).astype(float)),
        existing=(*inst.existing, np.zeros(rows, dtype=bool)),
        group=(*inst.group, rng.integers(0, N_GROUPS, rows)),
        type_cost=np.column_stack([inst.type_cost, rng.integers(5, 40, n_sites)]).astype(float),
        type_area=None if inst.type_area is None else np.r_[inst.type_area, 40.0],
        max_types_per_site=2)


def residual_instance(seed: int, three_types: bool) -> Instance:
    return with_a_third_type(random_instance(seed), seed) if three_types else \
        random_instance(seed)


RESIDUAL_CASES = [(s, three) for s in SEEDS for three in (False, True)
                  if first_phase_singles(enumerate_plans(residual_instance(s, three))).any()]


@pytest.mark.parametrize(("seed", "three_types"), RESIDUAL_CASES)
def test_the_decomposition_on_what_a_plan_leaves_finds_its_best_extension(
    seed: int, three_types: bool,
) -> None:
    """Residual (what a plan built in the first phase leaves: money, floor area, type slots,
    uncovered rows) solved by the decomposition gives the best plan that keeps that plan and
    adds to it, by brute force; every joined plan keeps the start, its budgets and the sites'
    limits."""

    inst = residual_instance(seed, three_types)
    every = enumerate_plans(inst)
    single = first_phase_singles(every)
    while not (single & every.within(inst.phase_budgets)).any():
        # no facility fits the first phase alone: a budget that admits one
        inst = replace(inst, phase_budgets=2 * inst.phase_budgets)
    types = inst.types()
    instance = prepare_instance(types, inst.goals(), [], **inst.kwargs())
    inp, prepared = instance.inp, instance.prepared
    # The start: the cheapest plan within budget that builds one facility in the first phase.
    ok = every.within(inst.phase_budgets)
    single &= ok
    start = every.build[np.flatnonzero(single)[np.argmin(every.spend_cum[single, -1])]]
    kept = ok & (every.build[:, start >= 0] == start[start >= 0]).all(axis=1)
    residual = Residual.of(types, inp, prepared, start)
    found = solve_benders(residual.inp, residual.types, [], Clock(None), None, -np.inf,
                          mip_rel_gap=1e-9)
    joined = [start] + [residual.join(b) for b in found.plans]
    for build in joined:
        assert (build[start >= 0] == start[start >= 0]).all()
        match = np.flatnonzero((every.build == build).all(axis=(1, 2)))
        assert match.size == 1
        assert ok[match[0]]
    best = max(evaluate(b, inp, prepared, []).objective for b in joined)
    assert best == pytest.approx(every.coverage[kept].max(), abs=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_without_time_for_it_the_whole_milp_is_skipped_and_the_stages_plan_kept(
    seed: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a goal level and less than WHOLE_MILP_SHARE of the limit left beyond the reserve,
    the whole MILP is not built or run (it could only return its warm start): the plan is the
    stages' plan, keeps the goal level, and says the time limit stopped it unless proven."""

    inst = random_instance(seed)
    goals = GoalLevel(tuple(inst.goals()))
    calls = record_solves(monkeypatch, plan_module)
    ran = plan_sites(inst.types(), **inst.kwargs(), goals=goals, time_limit=60.0)
    assert len(calls) == 1  # the whole MILP, with the time it was left
    calls.clear()
    monkeypatch.setattr(plan_module, "WHOLE_MILP_SHARE", 1.0)  # never enough time left
    skipped = plan_sites(inst.types(), **inst.kwargs(), goals=goals, time_limit=60.0)
    assert calls == []
    assert skipped.goal_value == pytest.approx(ran.goal_value)
    every = enumerate_plans(inst)
    match = np.flatnonzero((every.build == skipped.build_phase).all(axis=(1, 2)))
    assert match.size == 1
    assert every.within(inst.phase_budgets)[match[0]]
    assert level(every.holds, len(inst.goals()))[match[0]] == pytest.approx(ran.goal_value)
    assert skipped.bound >= every.coverage[match[0]] - 1e-6
    if skipped.status is not Status.OPTIMAL:
        assert "time limit" in skipped.reason


@pytest.mark.parametrize("seed", range(8))
def test_without_time_for_highs_to_start_the_goal_level_is_its_best_start(
    seed: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the goal level's time is shorter than HiGHS needs to load and presolve its MILP
    (too_short_for_highs), the MILP is not run: the goal level is the best of its
    starts, feasible, with no bound of its own, and the plan still holds it."""

    inst = random_instance(seed)
    goals = GoalLevel(tuple(inst.goals()))
    calls = record_solves(monkeypatch, lifts)
    monkeypatch.setattr(highs_start, "HIGHS_START_SECONDS_PER_NONZERO", 1e6)
    monkeypatch.setattr(highs_start, "HIGHS_START_MIN_NONZEROS", 0)
    every = enumerate_plans(inst)
    value = level(every.holds, len(inst.goals()))
    started = plan_sites(inst.types(), **inst.kwargs(), goals=goals, time_limit=60.0)
    assert calls == []
    assert started.goal_status == "feasible"
    match = np.flatnonzero((every.build == started.build_phase).all(axis=(1, 2)))
    assert match.size == 1
    assert every.within(inst.phase_budgets)[match[0]]
    assert value[match[0]] >= started.goal_value - 1e-6
    assert started.goal_bound >= value[every.within(inst.phase_budgets)].max() - 1e-6
    monkeypatch.setattr(highs_start, "HIGHS_START_SECONDS_PER_NONZERO", 0.0)
    again = plan_sites(inst.types(), **inst.kwargs(), goals=goals, time_limit=60.0)
    # the end state's MILP and the lift MILP run, unless a bound of the end state (its LP,
    # then its MILP) already proved the goal level optimal
    assert len(calls) == 2 or (len(calls) < 2 and again.goal_status == "optimal")


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_the_shared_cost_goal_bound_is_never_below_the_best_goal_level(
    seed: int, scale: float,
) -> None:
    """Sharing each facility's cost among the communities it reaches bounds the goal level
    from above (brute force)."""

    inst = random_instance(seed)
    every = enumerate_plans(inst)
    n_goals = len(inst.goals())
    best = level(every.holds, n_goals)[every.within(inst.phase_budgets * scale)].max()
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs(scale))
    weights = goal_weights(instance.goals, instance.inp)
    bound = shared_cost_bound(instance.goals, instance.inp, instance.prepared, weights)
    assert bound >= best - 1e-9
    assert bound <= weights.sum() + 1e-9


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_the_end_state_goal_bound_is_never_below_the_best_goal_level(
    seed: int, scale: float,
) -> None:
    """The LP of the plan's end state, weights summed onto the last phase, bounds the goal
    level from above (brute force), and no higher than every goal held from the first phase."""

    inst = random_instance(seed)
    every = enumerate_plans(inst)
    best = level(every.holds, len(inst.goals()))[every.within(inst.phase_budgets * scale)].max()
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs(scale))
    bound = EndState.of(instance.goals, instance.inp, instance.prepared).lp_bound(Clock(None))
    assert bound >= best - 1e-6
    assert bound <= goal_weights(instance.goals, instance.inp).sum() + 1e-6


def test_the_end_state_lp_stops_on_its_iterations_not_its_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The end state's LP is limited by the dual simplex iterations its seconds are worth, so
    that its bound does not depend on the machine's speed or load: given a minute worth one
    iteration, an LP that needs more ends without a bound (inf) however fast the machine; given
    a minute at the measured rate, every LP gives the bound it gives without any limit."""

    ends = []
    for seed in range(12):
        inst = random_instance(seed)
        instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs())
        end = EndState.of(instance.goals, instance.inp, instance.prepared)
        ends.append((end, end.lp_bound(Clock(None))))
    assert all(end.lp_bound(Clock(60.0)) == pytest.approx(full) for end, full in ends)
    monkeypatch.setattr(lifts, "END_STATE_LP_ITERATIONS_PER_S", 1 / 60)
    starved = [end.lp_bound(Clock(60.0)) for end, _ in ends]
    # presolve settles a few of these small LPs with no iteration at all (seeds 2 and 9)
    assert sum(np.isinf(s) for s in starved) >= 8
    assert all(np.isinf(s) or s == pytest.approx(full)
               for s, (_, full) in zip(starved, ends, strict=True))


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_the_goals_a_plan_newly_holds_never_exceed_their_bound(seed: int, scale: float) -> None:
    """Even from the best goal level itself (the tightest bound there is), the count of goals
    newly held at the end is bounded by new_goals_bound, with goals held before any plan
    (existing outlets) counted in the level (brute force)."""

    inst = random_instance(seed)
    every = enumerate_plans(inst)
    ok = every.within(inst.phase_budgets * scale)
    unbuilt = np.flatnonzero((every.build < 0).all(axis=(1, 2)))[0]
    before = every.holds[unbuilt, :, 0]
    fresh = (every.holds[:, :, -1] & ~before).sum(axis=1)
    best = level(every.holds, len(inst.goals()))[ok].max()
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs(scale))
    assert (instance.goals.before == before).all()
    assert new_goals_bound(instance.goals, best) >= fresh[ok].max()
    assert new_goals_bound(instance.goals, float("inf")) == float("inf")


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_the_end_state_search_finds_a_plan_lifting_the_most_by_the_end(
    seed: int, scale: float,
) -> None:
    """The end state's MILP, from no start, gives a plan within the phase budgets that holds
    as many goals at the end as any plan does, moved no later than the last phase, and a bound
    no lower than the best goal level (brute force)."""

    inst = random_instance(seed)
    every = enumerate_plans(inst)
    ok = every.within(inst.phase_budgets * scale)
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs(scale))
    pg, inp = instance.goals, instance.inp
    bound, plan = EndState.of(pg, inp, instance.prepared).search(None, Clock(None), 1e-9)
    assert plan is not None
    assert bound >= level(every.holds, len(inst.goals()))[ok].max() - 1e-6
    match = np.flatnonzero((every.build == plan).all(axis=(1, 2)))
    assert match.size == 1
    assert ok[match[0]]
    ends = every.holds[:, :, -1].sum(axis=1)
    assert ends[match[0]] == ends[ok].max()


@pytest.mark.parametrize("seed", range(8))
def test_a_goal_level_whose_milp_proves_nothing_keeps_the_end_state_bound(
    seed: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the goal level's MILP returns no bound (its time ran out before the root), the
    goal level's bound is the end state's LP bound, not inf."""

    inst = random_instance(seed)
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs())
    expected = EndState.of(instance.goals, instance.inp, instance.prepared).lp_bound(Clock(None))
    every = enumerate_plans(inst)
    best = level(every.holds, len(inst.goals()))[every.within(inst.phase_budgets)].max()

    def no_bound(problem: MilpProblem, *args: Any, **kwargs: Any) -> Any:
        out = solve_milp(problem, *args, **kwargs)
        return replace(out, bound=-np.inf) if problem.integer.any() else out

    monkeypatch.setattr(lifts, "solve_milp", no_bound)
    solution = plan_sites(inst.types(), **inst.kwargs(), goals=GoalLevel(tuple(inst.goals())))
    assert solution.goal_bound == pytest.approx(max(expected, solution.goal_value))
    assert solution.goal_bound >= best - 1e-6


@pytest.mark.parametrize("method", ["shared cost", "end state"])
def test_a_goal_bound_charges_a_shared_facility_once(method: str) -> None:
    """Two communities, each lifted by the one facility reaching both (cost 10, budget 10):
    shared, its cost fits once and both count (bound 2); two facilities of 10, one per
    community, leave room for one (bound 1)."""

    rows = np.array([0, 1])
    goals = [Goal((Clause((ShareCondition(0, [r], [1.0], 1.0),)),)) for r in rows]

    def bound(cover: npt.NDArray[np.bool_]) -> float:
        n = cover.shape[1]
        instance = prepare_instance(
            [TypeCoverage(sp.csr_array(cover), np.ones(2), None, rows)], goals, [],
            base_cost=np.zeros(n), type_cost=np.full((n, 1), 10.0),
            allowed=np.ones((n, 1), dtype=bool), phase_budgets=np.array([10.0]))
        pg, inp = instance.goals, instance.inp
        if method == "end state":
            return EndState.of(pg, inp, instance.prepared).lp_bound(Clock(None))
        return shared_cost_bound(pg, inp, instance.prepared, goal_weights(pg, inp))

    assert bound(np.array([[True], [True]])) == pytest.approx(2.0)
    assert bound(np.array([[True, False], [False, True]])) == pytest.approx(1.0)
