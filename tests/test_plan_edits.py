"""Plan edits: projects a planner requires (locked) and sites or types excluded.

The model side (``locked`` of `plan_sites`, `prepare_instance`) is checked against brute force
on tiny instances: every assignment of a phase (or none) to every allowed (site, type) pair,
kept when it builds the locked facilities in their phases. The scenario side
(``sites.required`` / ``sites.excluded``) is checked end to end on the Kaifeng demo.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp

from siting.models import ModelInputError, Status
from siting.models.multitype import (
    Clause,
    Goal,
    GoalCount,
    GoalLevel,
    ShareCondition,
    TypeCoverage,
    cheapest_plan,
    goal_costs,
    plan_sites,
    prepare_instance,
)

N_PHASES = 2
N_GROUPS = 3
METHODS = ("benders", "milp", "heuristic")


@dataclass(frozen=True)
class Instance:
    """Two types over a few sites, rows in three communities, some facilities locked."""

    cover: tuple[npt.NDArray[np.bool_], ...]
    weights: tuple[npt.NDArray[np.float64], ...]
    existing: tuple[npt.NDArray[np.bool_], ...]
    group: tuple[npt.NDArray[np.int64], ...]
    base_cost: npt.NDArray[np.float64]
    type_cost: npt.NDArray[np.float64]
    allowed: npt.NDArray[np.bool_]
    phase_budgets: npt.NDArray[np.float64]
    site_first_phase: npt.NDArray[np.int64]
    locked: npt.NDArray[np.int64]
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
                "type_area": self.type_area, "max_types_per_site": self.max_types_per_site,
                "locked": self.locked}

    def goals(self) -> list[Goal]:
        """Per community: type 0 within reach of 60 % of its rows' weight."""
        out = []
        for c in range(N_GROUPS):
            rows = np.flatnonzero(self.group[0] == c)
            out.append(Goal((Clause((ShareCondition(0, rows, self.weights[0][rows], 0.6),)),)))
        return out


def random_instance(seed: int) -> Instance:
    """2 types, 4–5 sites, 2 phases, at most 8 allowed pairs, one or two of them locked."""
    rng = np.random.default_rng(1000 + seed)
    n_sites = int(rng.integers(4, 6))
    pairs = rng.choice(n_sites * 2, size=min(8, n_sites * 2), replace=False)
    allowed = np.zeros(n_sites * 2, dtype=bool)
    allowed[pairs] = True
    allowed = allowed.reshape(n_sites, 2)
    rows = [int(rng.integers(5, 9)) for _ in range(2)]
    first = rng.integers(0, N_PHASES, n_sites)
    locked = np.full((n_sites, 2), -1, dtype=np.int64)
    j, t = np.nonzero(allowed)
    for k in rng.choice(j.size, size=int(rng.integers(1, 3)), replace=False):
        locked[j[k], t[k]] = int(rng.integers(first[j[k]], N_PHASES))
    options: dict[str, Any] = {}
    if seed % 3 == 0:
        options["site_area"] = rng.integers(80, 200, n_sites).astype(float)
        options["type_area"] = rng.integers(30, 90, 2).astype(float)
    if seed % 4 == 1:
        options["max_types_per_site"] = 1
    return Instance(
        cover=tuple(rng.random((r, n_sites)) < 0.4 for r in rows),
        weights=tuple(rng.integers(1, 20, r).astype(float) for r in rows),
        existing=tuple(rng.random(r) < 0.2 for r in rows),
        group=tuple(rng.integers(0, N_GROUPS, r) for r in rows),
        base_cost=rng.integers(0, 40, n_sites).astype(float),
        type_cost=rng.integers(5, 40, (n_sites, 2)).astype(float),
        allowed=allowed,
        phase_budgets=rng.integers(60, 140, N_PHASES).astype(float),
        site_first_phase=first, locked=locked, **options)


@dataclass(frozen=True)
class Enumerated:
    """Every plan building the locked facilities in their phases (written from the problem
    statement, not from the MILP): cumulative spend, site limits, goals held, coverage."""

    build: npt.NDArray[np.int64]  # (P, n, T)
    spend_cum: npt.NDArray[np.float64]  # (P, F)
    limits_ok: npt.NDArray[np.bool_]  # (P,)
    holds: npt.NDArray[np.bool_]  # (P, G, F)
    coverage: npt.NDArray[np.float64]  # (P,) linear, phase weights 1

    def within(self, budgets: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        return self.limits_ok & (self.spend_cum <= np.cumsum(budgets) + 1e-9).all(axis=1)


def enumerate_plans(inst: Instance, *, locked: bool = True) -> Enumerated:
    n_sites, n_types = inst.allowed.shape
    j_pair, t_pair = np.nonzero(inst.allowed)
    choice = np.array(list(itertools.product(range(-1, N_PHASES), repeat=j_pair.size)))
    build = np.full((choice.shape[0], n_sites, n_types), -1)
    build[:, j_pair, t_pair] = choice
    if locked:
        keep = (build[:, inst.locked >= 0] == inst.locked[inst.locked >= 0]).all(axis=1)
        build = build[keep]
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
    holds = np.zeros((build.shape[0], len(goals), N_PHASES), dtype=bool)
    for f in range(N_PHASES):
        reached = inst.existing[0][None] | (first[0] <= f)
        for g, goal in enumerate(goals):
            (clause,) = goal.clauses
            (cond,) = clause.conditions
            rows, amounts = np.asarray(cond.rows), np.asarray(cond.amounts)
            holds[:, g, f] = (reached[:, rows] * amounts).sum(axis=1) >= \
                cond.share * amounts.sum() - 1e-9
    return Enumerated(build, np.cumsum(spend, axis=1), ok, holds, np.asarray(coverage))


def locks_fit(inst: Instance, every: Enumerated) -> bool:
    """Whether the locked facilities alone fit the budgets and the site limits."""
    alone = (every.build == np.where(inst.locked >= 0, inst.locked, -1)).all(axis=(1, 2))
    return bool((alone & every.within(inst.phase_budgets)).any())


def assert_locks_built(build_phase: npt.NDArray[np.int64], inst: Instance) -> None:
    mask = inst.locked >= 0
    assert (build_phase[mask] == inst.locked[mask]).all()


SEEDS = range(24)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", SEEDS)
def test_locked_facilities_are_built_and_the_rest_is_optimal(seed: int, method: str) -> None:
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    if not locks_fit(inst, every):
        with pytest.raises(ModelInputError, match="locked"):
            plan_sites(inst.types(), **inst.kwargs(), method=method)  # type: ignore[arg-type]
        return
    ok = every.within(inst.phase_budgets)
    best = float(every.coverage[ok].max())
    free = enumerate_plans(inst, locked=False)
    assert best <= float(free.coverage[free.within(inst.phase_budgets)].max()) + 1e-9
    sol = plan_sites(inst.types(), **inst.kwargs(), method=method,  # type: ignore[arg-type]
                     mip_rel_gap=1e-9)
    assert_locks_built(sol.build_phase, inst)
    assert (np.cumsum(sol.spend_by_phase) <= np.cumsum(inst.phase_budgets) + 1e-6).all()
    assert sol.bound >= best - 1e-7 * max(1.0, best)
    if method == "heuristic":
        assert sol.objective <= best + 1e-6
    else:
        assert sol.status is Status.OPTIMAL
        assert sol.objective == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_goal_level_with_locked_facilities_matches_brute_force(seed: int) -> None:
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    if not locks_fit(inst, every):
        return
    ok = every.within(inst.phase_budgets)
    epsilon = 1.0 / (1.0 + (N_PHASES - 1) * N_GROUPS)
    value = every.holds[..., -1].sum(axis=-1) + epsilon * every.holds[..., :-1].sum(axis=(1, 2))
    top = ok & (value >= value[ok].max() - 1e-9)
    sol = plan_sites(inst.types(), **inst.kwargs(), goals=GoalLevel(tuple(inst.goals())),
                     mip_rel_gap=1e-9)
    assert_locks_built(sol.build_phase, inst)
    assert sol.goal_value == pytest.approx(value[ok].max(), abs=1e-6)
    assert sol.objective == pytest.approx(every.coverage[top].max(), abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_least_budgets_include_the_locked_facilities(seed: int) -> None:
    inst = random_instance(seed)
    every = enumerate_plans(inst)
    if not locks_fit(inst, every):
        return
    instance = prepare_instance(inst.types(), inst.goals(), [GoalCount([0, 1, 2], 2, 1)],
                                **inst.kwargs())
    # The least budget factor of plans that build the locks and lift two communities.
    meets = every.limits_ok & (every.holds[:, :, -1].sum(axis=1) >= 2)
    found = cheapest_plan(instance)
    if not meets.any():
        assert found.status is Status.INFEASIBLE
    else:
        scale = (every.spend_cum / np.cumsum(inst.phase_budgets)).max(axis=1)
        assert found.status is Status.OPTIMAL
        assert found.scale == pytest.approx(scale[meets].min(), rel=1e-6, abs=1e-9)
        assert_locks_built(found.build_phase, inst)
    # A goal's own cost is what it adds to the locked facilities.
    alone = (every.build == np.where(inst.locked >= 0, inst.locked, -1)).all(axis=(1, 2))
    locked_cost = float(every.spend_cum[alone, -1][0])
    costs = goal_costs(instance)
    for g in range(N_GROUPS):
        can = every.limits_ok & every.holds[:, g, -1]
        if can.any():
            assert costs.cost[g] == pytest.approx(every.spend_cum[can, -1].min() - locked_cost,
                                                  abs=1e-6)
            locked_pairs = {tuple(p) for p in np.argwhere(inst.locked >= 0)}
            assert not {tuple(p) for p in costs.builds[g]} & locked_pairs


def one_site_instance(**change: Any) -> dict[str, Any]:
    """Arguments of a two-site, two-type, two-phase plan, with ``change`` applied."""
    kwargs: dict[str, Any] = {
        "base_cost": np.array([10.0, 10.0]), "type_cost": np.full((2, 2), 20.0),
        "allowed": np.array([[True, True], [True, False]]),
        "phase_budgets": np.array([40.0, 40.0]), "site_first_phase": np.array([0, 1]),
        "site_area": np.array([80.0, 100.0]), "type_area": np.array([60.0, 30.0]),
    }
    return {**kwargs, **change}


TYPES = [TypeCoverage(np.ones((1, 2), dtype=bool), np.ones(1))] * 2


@pytest.mark.parametrize(("locked", "change", "match"), [
    (np.array([[-1, -1]]), {}, r"locked must have shape \(2, 2\)"),
    (np.array([[0.0, -1], [-1, -1]]), {}, "integer phase"),
    (np.array([[2, -1], [-1, -1]]), {}, r"phase index in 0\.\.1"),
    (np.array([[-1, -1], [-1, 0]]), {}, "not allowed"),
    (np.array([[-1, -1], [0, -1]]), {}, "before site 1 is available"),
    (np.array([[0, 0], [-1, -1]]), {}, "need 90 m²"),
    (np.array([[0, 0], [-1, -1]]), {"site_area": None, "type_area": None,
                                    "max_types_per_site": 1}, "max_types_per_site=1"),
    (np.array([[0, 0], [-1, -1]]), {"site_area": None, "type_area": None},
     "cost 50 yuan by the end of phase 0"),
])
def test_bad_locks_raise(locked: Any, change: dict[str, Any], match: str) -> None:
    with pytest.raises(ModelInputError, match=match):
        plan_sites(TYPES, **one_site_instance(**change), locked=locked)
    with pytest.raises(ModelInputError, match=match):
        prepare_instance(TYPES, [], [], **one_site_instance(**change), locked=locked)
