"""The Lagrangian of single-source models: knapsacks, bound and fixing, against enumeration."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp

from siting.models.capacitated.assignment import Assignment, assignment_pairs
from siting.models.capacitated.lagrangian import Lagrangian, forced_values, knapsacks
from siting.models.clock import Clock
from siting.models.coverage import check_site_sets

FloatArray = npt.NDArray[np.float64]


def _knapsack_by_enumeration(profit: FloatArray, weight: npt.NDArray[np.int64],
                             capacity: int) -> float:
    best = 0.0
    for take in itertools.product((0, 1), repeat=profit.size):
        chosen = np.array(take, dtype=bool)
        if weight[chosen].sum() <= capacity:
            best = min(best, float(profit[chosen].sum()))
    return best


@pytest.mark.parametrize("seed", range(20))
def test_knapsacks_and_forced_rows_match_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    g, a = int(rng.integers(1, 8)), int(rng.integers(1, 4))
    cost = np.round(rng.normal(0, 5, (g, a)), 1)
    cost[rng.random((g, a)) < 0.2] = np.inf
    weight = rng.integers(0, 7, g)
    capacity = rng.integers(0, 15, a)
    profit = np.minimum(cost, 0.0)
    value, taken = knapsacks(profit, weight, capacity)
    forced = forced_values(profit, cost, weight, capacity)
    for j in range(a):
        assert value[j] == pytest.approx(_knapsack_by_enumeration(profit[:, j], weight,
                                                                  int(capacity[j])))
        assert weight[taken[:, j]].sum() <= capacity[j]
        assert profit[taken[:, j], j].sum() == pytest.approx(value[j])
        for i in range(g):
            others = np.arange(g) != i
            if np.isinf(cost[i, j]) or weight[i] > capacity[j]:
                assert forced[i, j] == np.inf
                continue
            rest = _knapsack_by_enumeration(profit[others, j], weight[others],
                                            int(capacity[j] - weight[i]))
            assert forced[i, j] == pytest.approx(cost[i, j] + rest)


def _model(seed: int, *, serve_all: bool, unit: float = 1.0
           ) -> tuple[Assignment, tuple[float, float]]:
    """A tiny single-source model (pmedian when ``serve_all``, else max cover by count), its
    weights and capacities in multiples of ``unit``."""
    rng = np.random.default_rng(1000 + seed)
    n, m = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    cost = np.round(rng.random((n, m)) * 10, 1) + 0.1
    reach = rng.random((n, m)) < 0.8
    reach[np.arange(n), rng.integers(0, m, n)] = True  # every row reaches a site
    pairs = sp.csr_array(np.where(reach, cost, 0.0))
    w = rng.integers(1, 6, n) * unit
    cap = rng.integers(4, 14, m) * unit
    existing = [int(j) for j in rng.choice(m - 1, int(rng.integers(0, 2)), replace=False)]
    model, _, _ = assignment_pairs(pairs, w, check_site_sets(existing, (), m), cap)
    if not serve_all:
        model = model.with_cost(-model.w[model.pair_row])
    p = int(rng.integers(1, model.n_new + 1))
    return model, ((float(p), float(p)) if serve_all else (-np.inf, float(p)))


def _solutions(model: Assignment, count: int, lowest: int, *, serve_all: bool
               ) -> Iterator[tuple[tuple[int, ...], set[int], float]]:
    """Every feasible (column of each row, open new sites, cost) of ``model`` by enumeration."""
    g, k = model.rows.size, model.n_new
    options = [[-1] * (not serve_all) + [int(model.pair_col[e]) for e in
                                          np.flatnonzero(model.pair_row == i)] for i in range(g)]
    cost = {(int(i), int(j)): float(c) for i, j, c in
            zip(model.pair_row, model.pair_col, model.pair_cost, strict=True)}
    for choice in itertools.product(*options):
        load = np.zeros(model.columns.size)
        for i, j in enumerate(choice):
            if j >= 0:
                load[j] += model.w[i]
        used = {j for j in choice if 0 <= j < k}
        if (load > model.capacity + 1e-9).any() or len(used) > count:
            continue
        for extra in range(max(0, lowest - len(used)), count - len(used) + 1):
            for more in itertools.combinations(sorted(set(range(k)) - used), extra):
                yield choice, used | set(more), sum(cost[i, j] for i, j in enumerate(choice)
                                                    if j >= 0)


# 0.37: weights and capacities that are not integers, scaled and rounded down to knapsack units;
# 150: capacities above MAX_CAPACITY, scaled down to it
@pytest.mark.parametrize("unit", [1.0, 0.37, 150.0])
@pytest.mark.parametrize("serve_all", [True, False])
@pytest.mark.parametrize("seed", range(25))
def test_bound_is_valid_and_fixing_keeps_every_better_solution(seed: int, serve_all: bool,
                                                               unit: float) -> None:
    for draw in range(100 * seed, 100 * seed + 100):  # the first draw with a feasible plan
        model, limit = _model(draw, serve_all=serve_all, unit=unit)
        relaxed = Lagrangian.of(model, serve_all=serve_all, limit_row=np.ones(model.n_new),
                                limit=limit)
        assert relaxed is not None
        solutions = list(_solutions(model, relaxed.count, relaxed.lowest, serve_all=serve_all))
        if solutions:
            break
    optimum = min(s[2] for s in solutions)
    rng = np.random.default_rng(seed)
    start = rng.normal(0, 3, model.rows.size)
    u, bound = relaxed.ascend(start, optimum + 2.0, Clock(None))
    assert bound <= optimum + 1e-9
    assert bound >= relaxed.evaluate(relaxed.project(start))[0] - 1e-9
    assert relaxed.evaluate(u)[0] == pytest.approx(bound)
    assert relaxed.evaluate(u)[3].size == relaxed.count
    upper = optimum + 0.5  # fixing must keep every solution costing at most this
    pair_out, site_out, site_in = relaxed.fixed(u, upper)
    for choice, opened, value in solutions:
        if value > upper:
            continue
        assert not any(pair_out[i, j] for i, j in enumerate(choice) if j >= 0)
        assert not any(site_out[j] for j in opened)
        assert all(j in opened for j in np.flatnonzero(site_in))


def test_sites_limited_by_cost_have_no_relaxation() -> None:
    model, limit = next(m for m in (_model(s, serve_all=True) for s in range(50))
                        if m[0].n_new >= 2)
    costs = np.arange(1.0, model.n_new + 1.0)
    assert Lagrangian.of(model, serve_all=True, limit_row=costs, limit=limit) is None
    assert Lagrangian.of(model, serve_all=True, limit_row=np.ones(model.n_new),
                         limit=limit) is not None
