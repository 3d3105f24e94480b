"""Dominance reductions of set covering keep the optimum and only valid covers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from siting.models import reduce_cover
from siting.models.coverage import set_cover


def _cheapest_cover(A: np.ndarray, costs: np.ndarray) -> float:
    """Brute force over every subset of columns."""
    best = np.inf
    for r in range(A.shape[1] + 1):
        for cols in itertools.combinations(range(A.shape[1]), r):
            if A[:, list(cols)].any(axis=1).all():
                best = min(best, float(costs[list(cols)].sum()))
    return best


def _random_cover(seed: int, rows: int = 9, cols: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.random((rows, cols)) < 0.35
    A[np.arange(rows), rng.integers(0, cols, rows)] = True  # every row coverable
    costs = rng.integers(1, 4, cols).astype(np.float64)
    return A, costs


@pytest.mark.parametrize("seed", range(40))
def test_reduction_keeps_the_optimum_and_covers_stay_covers(seed: int) -> None:
    A, costs = _random_cover(seed)
    kept = reduce_cover(sp.csr_array(A.astype(np.float64)), costs)
    R = A[np.ix_(kept.rows, kept.columns)]
    assert R.any(axis=1).all()  # every kept row still has a column
    assert _cheapest_cover(R, costs[kept.columns]) == _cheapest_cover(A, costs)
    # any cover of the kept rows by kept columns covers every original row
    for r in range(len(kept.columns) + 1):
        for cols in itertools.combinations(range(len(kept.columns)), r):
            if R[:, list(cols)].any(axis=1).all():
                assert A[:, kept.columns[list(cols)]].any(axis=1).all()


def test_known_dominances() -> None:
    # row 1 ⊇ row 0: it goes. Then columns 0 and 1 cover the same rows at the same cost (the
    # lower index stays) and column 2 covers what column 3 covers, dearer (it goes).
    A = np.array(
        [
            [1, 1, 0, 0],
            [1, 1, 1, 0],
            [0, 0, 1, 1],
        ],
        dtype=np.float64,
    )
    kept = reduce_cover(sp.csr_array(A), np.array([1.0, 1.0, 2.0, 1.0]))
    assert kept.rows.tolist() == [0, 2]
    assert kept.columns.tolist() == [0, 3]


@pytest.mark.parametrize("seed", range(6))
def test_set_cover_with_reduction_matches_brute_force(seed: int) -> None:
    A, costs = _random_cover(seed + 100, rows=12, cols=10)
    solution = set_cover(A, site_costs=costs)
    assert solution.objective == pytest.approx(_cheapest_cover(A, costs))
    assert A[:, solution.new_sites].any(axis=1).all()
