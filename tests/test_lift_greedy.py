"""The goal level's greedy start (`siting.models.multitype.lift_greedy`): goals added one at a
time, each priced on what is built already.

Checked against the brute force of `test_goals` (every plan of small random instances) and on a
hand-made case where pricing on the plan so far lifts a community that the goals' stand-alone
plans cannot afford.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from test_goals import N_PHASES, enumerate_plans, level, random_instance

from siting.models.clock import Clock
from siting.models.multitype import (
    Clause,
    Goal,
    GoalLevel,
    ShareCondition,
    TypeCoverage,
    goal_costs,
    plan_sites,
    prepare_instance,
)
from siting.models.multitype.goals import goal_holds
from siting.models.multitype.lift_greedy import goal_sites, lift_greedy
from siting.models.multitype.plans import evaluate, fits
from siting.models.multitype.prepare import plan_spend


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_the_greedy_plan_is_a_plan_and_affords_the_cheapest_goals_one_by_one(
    seed: int, scale: float,
) -> None:
    """The plan is one of the brute force's plans within the budgets; it holds as many goals
    as their stand-alone costs, cheapest first, afford (each goal's price on the plan so far is
    at most its stand-alone cost), and the same call gives the same plan."""
    inst = random_instance(seed)
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs(scale))
    costs = goal_costs(instance)
    start = np.full(inst.allowed.shape, -1, dtype=np.int64)
    build = lift_greedy(instance.inp, instance.prepared, instance.goals, costs, start)
    every = enumerate_plans(inst)
    match = np.flatnonzero((every.build == build).all(axis=(1, 2)))
    assert match.size == 1
    assert every.within(inst.phase_budgets * scale)[match[0]]
    held = level(every.holds[match[0]], len(inst.goals()))
    if inst.site_area is None and inst.max_types_per_site is None:
        first = [g for g, goal in enumerate(inst.goals()) if goal.requires is None]
        known = np.sort(costs.cost[first][np.isfinite(costs.cost[first])])
        k = int((np.cumsum(known[known > 0]) <= (inst.phase_budgets * scale).sum() + 1e-9).sum())
        assert held >= k - 1e-9
    again = lift_greedy(instance.inp, instance.prepared, instance.goals, costs, start)
    np.testing.assert_array_equal(again, build)


def shared_canteen_case() -> tuple[list[TypeCoverage], list[Goal], dict[str, object]]:
    """Communities A and B, one row each of a market (type 0) and a canteen (type 1); a goal
    per community asks for both. Site 0's market reaches A and B (100 yuan), site 1's canteen
    A (10), site 2 hosts both types for B (60 each), site 3's canteen reaches B (70).

    A's cheapest plan is sites 0 and 1 (110), B's site 2 twice (120): together 230. Once A's
    plan is built, site 0's market serves B too and B only needs a canteen: 60 more, 170 in all.
    """
    market = sp.csr_array(np.array([[1, 0, 0, 0], [1, 0, 1, 0]], dtype=bool))
    canteen = sp.csr_array(np.array([[0, 1, 0, 0], [0, 0, 1, 1]], dtype=bool))
    group = np.array([0, 1])
    types = [TypeCoverage(c, np.ones(2), None, group) for c in (market, canteen)]
    goals = [Goal((Clause((ShareCondition(0, [r], [1.0], 1.0),
                           ShareCondition(1, [r], [1.0], 1.0))),)) for r in (0, 1)]
    costs = np.array([[100.0, 0.0], [0.0, 10.0], [60.0, 60.0], [0.0, 70.0]])
    kwargs = {"base_cost": np.zeros(4), "type_cost": costs, "allowed": costs > 0,
              "phase_budgets": np.array([180.0])}
    return types, goals, kwargs


def test_a_goal_priced_on_the_plan_so_far_uses_what_other_goals_built() -> None:
    types, goals, kwargs = shared_canteen_case()
    instance = prepare_instance(types, goals, [], **kwargs)  # type: ignore[arg-type]
    costs = goal_costs(instance)
    np.testing.assert_allclose(costs.cost, [110.0, 120.0])
    start = np.full((4, 2), -1, dtype=np.int64)
    build = lift_greedy(instance.inp, instance.prepared, instance.goals, costs, start)
    holds = goal_holds(instance.goals, evaluate(build, instance.inp, instance.prepared,
                                                []).covered, 1)
    assert holds[:, -1].all()
    np.testing.assert_array_equal(np.argwhere(build >= 0), [[0, 0], [1, 1], [2, 1]])
    # Priced by the stand-alone plans only (asked so, or once its clock has run out): one goal.
    for alone in (lift_greedy(instance.inp, instance.prepared, instance.goals, costs, start,
                              on_plan=False),
                  lift_greedy(instance.inp, instance.prepared, instance.goals, costs, start,
                              Clock(1e-9))):
        holds = goal_holds(instance.goals, evaluate(alone, instance.inp, instance.prepared,
                                                    []).covered, 1)
        assert holds[:, -1].tolist() == [True, False]


def test_goal_sites_are_the_sites_reaching_a_goal_or_a_goal_it_requires() -> None:
    inst = random_instance(3)
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs())
    pg, prepared = instance.goals, instance.prepared
    near = goal_sites(pg, prepared, inst.allowed.shape[0]).toarray()
    for g in range(pg.n_goals):
        expected = np.zeros(inst.allowed.shape[0], dtype=bool)
        for h in pg.chain(g):
            for clause in pg.clauses[h]:
                for i in clause.conditions:
                    c = pg.conditions[int(i)]
                    expected |= sp.csr_array(prepared[c.type_index].cover[c.rows]).toarray() \
                        .any(axis=0)
        np.testing.assert_array_equal(near[g], expected)


@pytest.mark.parametrize("seed", range(12))
def test_fits_given_the_plans_spend_checks_the_added_sites_alike(seed: int) -> None:
    """`fits` with the plan's spend (the greedy's quick check of the sites added) answers as
    the full check for every plan within the limits and every pair added in every phase."""
    inst = random_instance(seed)
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs())
    inp = instance.inp
    every = enumerate_plans(inst)
    rng = np.random.default_rng(seed)
    plans = every.build[every.within(inst.phase_budgets)]
    for build in plans[rng.choice(len(plans), size=min(20, len(plans)), replace=False)]:
        spend = plan_spend(build, inp)
        free = np.argwhere((build < 0) & inst.allowed)
        for pairs in [free[:0], *(free[[k]] for k in range(len(free))), free]:
            for phase in range(N_PHASES):
                assert fits(build, inp, pairs, phase, spend) == fits(build, inp, pairs, phase)


def test_two_goals_sharing_a_site_go_in_together_when_cheaper_per_goal_than_any_one() -> None:
    """A's plan costs 100, B's and C's 120 each, but they share site 1's market (110) and then
    need a canteen each (10): B and C together cost 65 a goal, less than A. With 140 yuan the
    cheapest goal first lifts A alone; looking one goal ahead lifts B and C."""
    market = sp.csr_array(np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]], dtype=bool))
    canteen = sp.csr_array(np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=bool))
    group = np.arange(3)
    types = [TypeCoverage(c, np.ones(3), None, group) for c in (market, canteen)]
    goals = [Goal((Clause((ShareCondition(0, [r], [1.0], 1.0),
                           ShareCondition(1, [r], [1.0], 1.0))),)) for r in range(3)]
    costs = np.array([[50.0, 50.0], [110.0, 0.0], [0.0, 10.0], [0.0, 10.0]])
    instance = prepare_instance(types, goals, [], base_cost=np.zeros(4), type_cost=costs,
                                allowed=costs > 0, phase_budgets=np.array([140.0]))
    goal_prices = goal_costs(instance)
    np.testing.assert_allclose(goal_prices.cost, [100.0, 120.0, 120.0])
    start = np.full((4, 2), -1, dtype=np.int64)
    held = {}
    for on_plan in (True, False):
        build = lift_greedy(instance.inp, instance.prepared, instance.goals, goal_prices, start,
                            on_plan=on_plan)
        held[on_plan] = goal_holds(instance.goals, evaluate(
            build, instance.inp, instance.prepared, []).covered, 1)[:, -1].tolist()
    assert held == {True: [False, True, True], False: [True, False, False]}


@pytest.mark.parametrize("seed", range(30))
def test_a_plan_with_no_time_left_still_holds_what_the_greedy_lifts(seed: int) -> None:
    """The goal level's greedy start is cheap and the plan's floor: given the goals' costs
    (as siting gives those its what-it-takes step found), it runs to its end whatever the time
    limit (``PRICING_FLOOR_S``), so a plan given a microsecond holds at least the goal level of
    the greedy plan priced without a clock, within the budgets; and the goal level reported is
    the returned plan's (the coverage level's facilities may hold more goals)."""
    inst = random_instance(seed)
    instance = prepare_instance(inst.types(), inst.goals(), [], **inst.kwargs())
    costs = goal_costs(instance)
    start = np.full(inst.allowed.shape, -1, dtype=np.int64)
    greedy = lift_greedy(instance.inp, instance.prepared, instance.goals, costs, start)
    every = enumerate_plans(inst)
    n_goals = len(inst.goals())
    greedy_level = level(every.holds[(every.build == greedy).all(axis=(1, 2))], n_goals)
    rushed = plan_sites(inst.types(), **inst.kwargs(),
                        goals=GoalLevel(tuple(inst.goals()), costs=costs),
                        method="heuristic", time_limit=1e-6)
    match = np.flatnonzero((every.build == rushed.build_phase).all(axis=(1, 2)))
    assert match.size == 1
    assert every.within(inst.phase_budgets)[match[0]]
    assert rushed.goal_value == pytest.approx(level(every.holds[match[0]], n_goals))
    assert rushed.goal_value >= greedy_level.item() - 1e-9
