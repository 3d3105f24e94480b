"""Branch-price-and-cut for the single-source capacitated p-median: the compiled pricing against
enumeration, the search against brute force, and pmedcap20 (the Osman & Christofides problem the
compact MILP could not prove within a minute)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from benchmarks.pmedcap import read_pmedcap
from siting.models import Status, capacitated_pmedian
from siting.models.capacitated.assignment import assignment_pairs
from siting.models.capacitated.branch_price import BranchPriceCut
from siting.models.capacitated.set_pricing import price_sites
from siting.models.clock import Clock
from siting.models.coverage import check_site_sets

PMEDCAP = Path(__file__).parents[1] / "benchmarks" / "orlib" / "pmedcap"


def _enumerated(rows: list[int], costs: list[float], rules: list[int], w: np.ndarray, cap: float,
                pi: np.ndarray, cuts: list[np.ndarray], penalty: np.ndarray) -> float:
    """The least reduced cost at one site by trying every subset of its rows."""
    best = math.inf
    for k in range(len(rows) + 1):
        for take in itertools.combinations(range(len(rows)), k):
            if any(rules[t] == -1 for t in take) or any(
                    r == 1 and t not in take for t, r in enumerate(rules)):
                continue
            chosen = [rows[t] for t in take]
            if w[chosen].sum() > cap:
                continue
            value = sum(costs[t] - pi[rows[t]] for t in take)
            value += sum(p * (np.isin(c, chosen).sum() // 2) for c, p in zip(cuts, penalty,
                                                                          strict=True))
            best = min(best, value)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_pricing_with_cut_penalties_matches_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 9, 3
    w = rng.integers(1, 6, n).astype(float)
    cap = rng.integers(5, 15, m).astype(float)
    cost = rng.integers(0, 10, (n, m)).astype(float)
    reach = rng.random((n, m)) < 0.8
    pi = rng.integers(0, 12, n).astype(float)
    cuts = [np.sort(rng.choice(n, 3, replace=False)) for _ in range(4)]
    cuts.append(np.sort(rng.choice(n, 5, replace=False)))
    penalty = rng.random(len(cuts)) * 4 * (rng.random(len(cuts)) < 0.8)
    ptr, rows, costs = [0], [], []
    for j in range(m):
        at = np.flatnonzero(reach[:, j])
        rows += at.tolist()
        costs += cost[at, j].tolist()
        ptr.append(len(rows))
    rules = rng.choice([0, 0, 0, 0, 1, -1], len(rows))
    for j in range(m):  # at most one row forced per site
        forced = [e for e in range(ptr[j], ptr[j + 1]) if rules[e] == 1]
        rules[forced[1:]] = 0
    in_cut = np.zeros((n, len(cuts)), dtype=np.int64)
    for c, members in enumerate(cuts):
        in_cut[members, c] = 1
    values, chosen = price_sites(np.array(ptr), np.array(rows), np.array(costs), rules, w, cap,
                                 np.ones(m, dtype=np.bool_), pi, in_cut, penalty)
    for j in range(m):
        span = range(ptr[j], ptr[j + 1])
        expected = _enumerated([rows[e] for e in span], [costs[e] for e in span],
                               [int(rules[e]) for e in span], w, cap[j], pi, cuts, penalty)
        assert values[j] == pytest.approx(expected, abs=1e-9)
        if math.isfinite(expected):
            taken = [rows[e] for e in span if chosen[e]]
            assert w[taken].sum() <= cap[j]
            assert [rows[e] for e in span if rules[e] == 1] == \
                [rows[e] for e in span if rules[e] == 1 and chosen[e]]
            assert not any(chosen[e] for e in span if rules[e] == -1)


def _brute_force(cost: np.ndarray, p: int, w: np.ndarray, cap: np.ndarray) -> float:
    """Optimum of the single-source p-median by trying every site set and assignment."""
    n, m = cost.shape
    best = math.inf
    for sites in itertools.combinations(range(m), p):
        for assign in itertools.product(sites, repeat=n):
            load = np.bincount(assign, weights=w, minlength=m)
            if (load <= cap).all():
                best = min(best, float(cost[np.arange(n), assign].sum()))
    return best


def _search(cost: np.ndarray, p: int, w: np.ndarray, cap: np.ndarray) -> BranchPriceCut:
    n, m = cost.shape
    pairs = sp.csr_array((cost.ravel(), np.tile(np.arange(m), n), np.arange(0, n * m + 1, m)),
                         shape=(n, m))
    model, _, _ = assignment_pairs(pairs, w, check_site_sets((), (), m), cap)
    return BranchPriceCut(model, p, Clock(None))


@pytest.mark.parametrize("seed", range(12))
def test_search_without_a_start_proves_the_brute_force_optimum(seed: int) -> None:
    """From no incumbent, with cuts and branching (tight capacities, integer costs)."""
    rng = np.random.default_rng(seed)
    n, m, p = 7, 5, 3
    cost = rng.integers(0, 20, (n, m)).astype(float)
    w = rng.integers(1, 6, n).astype(float)
    cap = np.full(m, float(np.ceil(w.sum() / p * 1.15)))
    expected = _brute_force(cost, p, w, cap)
    search = _search(cost, p, w, cap)
    tree = search.search()
    if math.isinf(expected):
        assert tree.column_of_row is None
        return
    assert tree.proven
    assert tree.value == pytest.approx(expected)
    assert tree.bound == pytest.approx(expected)
    plan = tree.column_of_row
    assert plan is not None
    assert (plan >= 0).all()
    assert cost[np.arange(n), plan].sum() == pytest.approx(expected)
    assert (np.bincount(plan, weights=w, minlength=m) <= cap + 1e-9).all()
    assert np.unique(plan).size <= p


def test_search_branches_when_the_root_is_fractional() -> None:
    """A seed whose root LP, cuts included, is fractional: the tree takes more than one node
    and still ends at the brute-force optimum."""
    for seed in range(200):
        rng = np.random.default_rng(seed)
        cost = rng.integers(0, 20, (7, 5)).astype(float)
        w = rng.integers(1, 6, 7).astype(float)
        cap = np.full(5, float(np.ceil(w.sum() / 3 * 1.15)))
        tree = _search(cost, 3, w, cap).search()
        if tree.nodes > 1:
            assert tree.proven
            assert tree.value == pytest.approx(_brute_force(cost, 3, w, cap))
            return
    pytest.fail("no seed of 200 needed branching")


@pytest.mark.slow
def test_pmedcap20_is_proven_optimal() -> None:
    """Osman & Christofides problem 20 (optimum 1005): root bound 973.65 without cuts."""
    inst = read_pmedcap(PMEDCAP / "pmedcap20.txt")
    sol = capacitated_pmedian(inst.cost, inst.p, inst.demand, inst.capacity, single_source=True,
                              cost_per="row")
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(1005)
    assert sol.bound == pytest.approx(1005)
    assert sol.method == "branch_price_cut"
    load = np.bincount(sol.assignment, weights=inst.demand, minlength=inst.n)
    assert (load <= inst.capacity).all()
    assert inst.cost[np.arange(inst.n), sol.assignment].sum() == pytest.approx(1005)
    assert np.unique(sol.assignment).size <= inst.p
