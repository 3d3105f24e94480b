"""Capacitated models against enumeration of site sets with an LP for the flows."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from siting.models import ModelInputError, Status
from siting.models.capacitated import capacitated_max_cover, capacitated_pmedian


def _flow(reach, w, cap, open_sites, cost=None):
    """Best flow with ``open_sites``: most weight served, or least cost serving all (cost)."""
    pairs = [(i, j) for i in range(reach.shape[0]) for j in open_sites if reach[i, j]]
    if not pairs:
        return 0.0 if cost is None or w.sum() == 0 else np.inf
    demand = np.array([[1.0 * (a == i) for a, _ in pairs] for i in range(reach.shape[0])])
    supply = np.array([[1.0 * (b == j) for _, b in pairs] for j in open_sites])
    if cost is None:
        res = linprog(-np.ones(len(pairs)), A_ub=np.vstack([demand, supply]),
                      b_ub=np.concatenate([w, cap[open_sites]]))
        return -res.fun
    res = linprog(np.array([cost[i, j] for i, j in pairs]), A_ub=supply, b_ub=cap[open_sites],
                  A_eq=demand, b_eq=w)
    return res.fun if res.status == 0 else np.inf


def _instance(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(3, 9)), int(rng.integers(2, 6))
    existing = [int(j) for j in rng.choice(m, int(rng.integers(0, 2)), replace=False)]
    forbidden = [int(j) for j in rng.choice(m, int(rng.integers(0, 2)), replace=False)
                 if j not in existing]
    cand = [j for j in range(m) if j not in existing + forbidden]
    return (rng, n, m, np.round(rng.random((n, m)) * 10, 1), rng.integers(0, 5, n).astype(float),
            rng.integers(1, 8, m).astype(float), existing, forbidden, cand)


@pytest.mark.parametrize("seed", range(30))
def test_capacitated_max_cover_matches_enumeration(seed):
    rng, _, m, cost, w, cap, existing, forbidden, cand = _instance(seed)
    p = int(rng.integers(1, m + 1))
    best = max(_flow(cost <= 5.0, w, cap, existing + list(s))
               for r in range(min(p, len(cand)) + 1) for s in itertools.combinations(cand, r))
    sol = capacitated_max_cover(cost, w, cap, cutoff=5.0, p=p, existing=existing,
                                forbidden=forbidden)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best, abs=1e-6)
    assert len(sol.new_sites) <= p
    served = sol.assignment >= 0
    assert np.all(cost[np.flatnonzero(served), sol.assignment[served]] <= 5.0)


@pytest.mark.parametrize("seed", range(30))
def test_capacitated_pmedian_matches_enumeration(seed):
    rng, n, m, cost, w, cap, existing, forbidden, cand = _instance(seed)
    p = int(rng.integers(max(1, len(existing)), len(existing) + len(cand) + 1))
    reach = rng.random((n, m)) < (0.8 if seed % 2 else 1.0)
    matrix = sp.csr_array((cost[reach], np.nonzero(reach)), shape=(n, m)) if seed % 2 else cost
    served_w = np.where(reach[:, existing + cand].any(axis=1), w, 0.0)
    best = min(_flow(reach, served_w, 3 * cap, existing + list(s), cost)
               for s in itertools.combinations(cand, p - len(existing)))
    sol = capacitated_pmedian(matrix, p, w, 3 * cap, existing=existing, forbidden=forbidden)
    if not np.isfinite(best):
        assert sol.status is Status.INFEASIBLE
        assert sol.reason
        return
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best, abs=1e-6)
    assert len(sol.sites) == p


def test_existing_capacity_overrides_candidate_capacity():
    covers = np.ones((2, 2), dtype=bool)
    sol = capacitated_max_cover(covers, [5.0, 5.0], [1.0, 1.0], p=1, existing=[0],
                                existing_capacity=[8.0])
    assert sol.objective == pytest.approx(9.0)
    assert "9 of 10" in sol.reason


def test_capacity_shortfall_is_infeasible_with_reason():
    sol = capacitated_pmedian(np.ones((3, 3)), 1, [4.0, 4.0, 4.0], [5.0, 6.0, 7.0])
    assert sol.status is Status.INFEASIBLE
    assert "hold 7" in sol.reason


def test_backends_agree_on_capacitated_models():
    rng = np.random.default_rng(2)
    cost = rng.random((12, 6)) * 10
    w, cap = rng.integers(1, 5, 12).astype(float), np.full(6, 12.0)
    ref = capacitated_pmedian(cost, 3, w, cap).objective
    for backend in ("cbc", "scip"):
        assert capacitated_pmedian(cost, 3, w, cap, backend=backend).objective == (
            pytest.approx(ref, rel=1e-6)
        )


def test_bad_capacity_input():
    with pytest.raises(ModelInputError, match="capacities"):
        capacitated_pmedian(np.ones((2, 2)), 1, [1.0, 1.0], [1.0])
    with pytest.raises(ModelInputError, match="existing_capacity"):
        capacitated_max_cover(np.ones((2, 2)), [1.0, 1.0], [1.0, 1.0], p=1, existing=[0],
                              existing_capacity=[1.0, 2.0])
