"""p-center against brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from siting.models import ModelInputError, Status
from siting.models.center import pcenter


def _brute(dist, p, w, existing, forbidden):
    m = dist.shape[1]
    cand = [j for j in range(m) if j not in existing and j not in forbidden]
    rows = (w > 0) & np.isfinite(dist[:, existing + cand]).any(axis=1)
    best = np.inf
    for chosen in itertools.combinations(cand, p - len(existing)):
        open_sites = existing + list(chosen)
        best = min(best, dist[rows][:, open_sites].min(axis=1).max() if rows.any() else 0.0)
    return best


@pytest.mark.parametrize("seed", range(80))
def test_pcenter_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(3, 12)), int(rng.integers(2, 8))
    cost = np.round(rng.random((n, m)) * 10, 1)
    cost[rng.random((n, m)) < 0.1] = 0.0
    if seed % 2:
        reach = rng.random((n, m)) < 0.6
        dist = np.where(reach, cost, np.inf)
        matrix = sp.csr_array((cost[reach], np.nonzero(reach)), shape=(n, m))
    else:
        dist = matrix = cost
    existing = [int(j) for j in rng.choice(m, int(rng.integers(0, 2)), replace=False)]
    forbidden = [int(j) for j in rng.choice(m, int(rng.integers(0, 2)), replace=False)
                 if j not in existing]
    p = int(rng.integers(max(1, len(existing)), m - len(forbidden) + 1))
    w = rng.integers(0, 3, n).astype(float)
    best = _brute(dist, p, w, existing, forbidden)
    sol = pcenter(matrix, p, w, existing=existing, forbidden=forbidden)
    if not np.isfinite(best):
        assert sol.status is Status.INFEASIBLE
        return
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best)
    assert sol.bound == pytest.approx(best)
    assert len(sol.sites) <= p
    assert set(existing) <= set(sol.sites)
    served = (sol.assignment >= 0) & (w > 0)
    assert np.all(dist[np.flatnonzero(served), sol.assignment[served]] <= best + 1e-12)


def test_pcenter_reports_unreachable_rows():
    cost = sp.csr_array((np.array([1.0, 2.0]), (np.array([0, 1]), np.array([0, 0]))),
                        shape=(3, 2))
    sol = pcenter(cost, 1)
    assert sol.unreachable.tolist() == [2]
    assert sol.objective == pytest.approx(2.0)


def test_pcenter_time_limit_is_feasible_not_optimal():
    rng = np.random.default_rng(1)
    pts = rng.random((300, 2))
    dist = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    sol = pcenter(dist, 12, time_limit=0.05)
    assert sol.status is Status.FEASIBLE
    assert sol.bound < sol.objective
    assert sol.objective == pytest.approx(dist[:, sol.sites].min(axis=1).max())


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({"p": 3}, "p=3"), ({"p": 0}, "at least 1"), ({"p": 1, "existing": [0, 1]}, "existing")],
)
def test_pcenter_bad_input(kwargs, words):
    with pytest.raises(ModelInputError, match=words):
        pcenter(np.ones((2, 2)), **kwargs)
