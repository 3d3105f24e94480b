"""Covering models against brute-force enumeration, backends and bad input."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.models import ModelInputError, Status, all_pairs, coverage_matrix, merge_rows
from siting.models.coverage import max_cover, partial_cover, set_cover


@st.composite
def instances(draw: st.DrawFn, *, sparse: bool | None = None) -> dict[str, Any]:
    """Small instances: costs (dense, or sparse with stored zeros), weights, site sets, and a
    random generator for the test's own choices (p, share)."""
    n, m = draw(st.integers(3, 10)), draw(st.integers(2, 6))
    if sparse is None:
        sparse = draw(st.booleans())
    tenths = st.integers(0, 100).map(lambda v: v / 10)
    cost = np.array(draw(st.lists(tenths, min_size=n * m, max_size=n * m))).reshape(n, m)
    flags = st.lists(st.booleans(), min_size=n * m, max_size=n * m)
    reach = np.array(draw(flags)).reshape(n, m) if sparse else np.ones((n, m), dtype=bool)
    matrix = sp.csr_array((cost[reach], np.nonzero(reach)), shape=(n, m)) if sparse else cost
    existing = draw(st.lists(st.integers(0, m - 1), max_size=1, unique=True))
    forbidden = draw(st.lists(st.integers(0, m - 1).filter(lambda j: j not in existing),
                              max_size=1, unique=True))
    covers = reach & (cost <= 4.0)
    weights = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=float)
    costs = np.array(draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)), dtype=float)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return {
        "matrix": matrix, "covers": covers, "weights": weights, "costs": costs,
        "existing": existing, "forbidden": forbidden, "rng": rng,
    }


#: Property tests run a fixed, reproducible sequence of examples (CI and laptops agree).
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _subsets(inst, largest=None):
    m = inst["covers"].shape[1]
    cand = [j for j in range(m) if j not in inst["existing"] and j not in inst["forbidden"]]
    for r in range(len(cand) + 1 if largest is None else min(largest, len(cand)) + 1):
        yield from itertools.combinations(cand, r)


def _covered(inst, new):
    return inst["covers"][:, list(inst["existing"]) + list(new)].any(axis=1)


@PROPERTY
@given(inst=instances())
def test_set_cover_matches_brute_force(inst: dict[str, Any]) -> None:
    allowed = [j for j in range(inst["covers"].shape[1]) if j not in inst["forbidden"]]
    reach = inst["covers"][:, allowed].any(axis=1)
    best = min(
        inst["costs"][list(s)].sum() for s in _subsets(inst) if (_covered(inst, s) | ~reach).all()
    )
    sol = set_cover(inst["matrix"], cutoff=4.0, site_costs=inst["costs"],
                    existing=inst["existing"], forbidden=inst["forbidden"])
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best)
    assert sol.bound == pytest.approx(best)
    assert np.array_equal(sol.unreachable, np.flatnonzero(~reach))
    assert _covered(inst, sol.new_sites)[reach].all()
    assert not set(sol.new_sites) & set(inst["forbidden"])
    assert set(inst["existing"]) <= set(sol.sites)


@PROPERTY
@given(inst=instances())
def test_max_cover_matches_brute_force(inst: dict[str, Any]) -> None:
    w = inst["weights"]
    p = int(inst["rng"].integers(1, min(3, inst["covers"].shape[1]) + 1))
    best = max(w[_covered(inst, s)].sum() for s in _subsets(inst, p))
    for method in ("exact", "auto"):
        sol = max_cover(inst["matrix"], w, cutoff=4.0, p=p, existing=inst["existing"],
                        forbidden=inst["forbidden"], method=method)
        assert sol.status is Status.OPTIMAL
        assert sol.objective == pytest.approx(best)
        assert len(sol.new_sites) <= p
        assert w[_covered(inst, sol.new_sites)].sum() == pytest.approx(best)
    heur = max_cover(inst["matrix"], w, cutoff=4.0, p=p, existing=inst["existing"],
                     forbidden=inst["forbidden"], method="heuristic")
    assert heur.objective <= best + 1e-9 <= heur.bound + 2e-9
    assert heur.status is (Status.OPTIMAL if heur.gap <= 1e-6 else Status.FEASIBLE)


@PROPERTY
@given(inst=instances())
def test_budgeted_max_cover_matches_brute_force(inst: dict[str, Any]) -> None:
    w, costs = inst["weights"], inst["costs"] + 1.0
    cand_costs = [costs[j] for s in _subsets(inst, 1) for j in s]
    budget = float(max(cand_costs, default=1.0)) + 1.0
    best = max(w[_covered(inst, s)].sum() for s in _subsets(inst)
               if costs[list(s)].sum() <= budget)
    sol = max_cover(inst["matrix"], w, cutoff=4.0, budget=budget, site_costs=costs,
                    existing=inst["existing"], forbidden=inst["forbidden"], method="exact")
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best)
    assert costs[sol.new_sites].sum() <= budget + 1e-9
    heur = max_cover(inst["matrix"], w, cutoff=4.0, budget=budget, site_costs=costs,
                     existing=inst["existing"], forbidden=inst["forbidden"], method="heuristic")
    assert costs[heur.new_sites].sum() <= budget + 1e-9
    assert heur.objective <= best + 1e-9 <= heur.bound + 2e-9


@PROPERTY
@given(inst=instances())
def test_partial_cover_matches_brute_force(inst: dict[str, Any]) -> None:
    w = inst["weights"] + 1.0
    share = float(inst["rng"].choice([0.3, 0.6, 0.9, 1.0]))
    feasible = [inst["costs"][list(s)].sum() for s in _subsets(inst)
                if w[_covered(inst, s)].sum() >= share * w.sum() - 1e-9]
    sol = partial_cover(inst["matrix"], w, share=share, cutoff=4.0, site_costs=inst["costs"],
                        existing=inst["existing"], forbidden=inst["forbidden"])
    if not feasible:
        assert sol.status is Status.INFEASIBLE
        assert "cover only" in sol.reason
        return
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(min(feasible))
    assert w[_covered(inst, sol.new_sites)].sum() >= share * w.sum() - 1e-9


def test_sparse_stored_zero_cost_covers():
    cost = sp.csr_array((np.array([0.0, 9.0]), (np.array([0, 1]), np.array([0, 1]))),
                        shape=(2, 2))
    sol = set_cover(cost, cutoff=5.0)
    assert sol.sites.tolist() == [0]
    assert sol.unreachable.tolist() == [1]
    assert sol.assignment.tolist() == [0, -1]
    assert "unreachable" in sol.reason


def test_coverage_matrix_conventions():
    dense = coverage_matrix(np.array([[0, 2], [1, 0]]), cutoff=None).matrix.toarray()
    assert dense.tolist() == [[False, True], [True, False]]
    stored_zero = sp.csr_array((np.array([0, 1]), (np.array([0, 1]), np.array([0, 1]))),
                               shape=(2, 2))
    assert coverage_matrix(stored_zero, cutoff=None).matrix.nnz == 1
    # a stored 0 cost is a real pair
    assert coverage_matrix(stored_zero, cutoff=0.0).matrix.nnz == 1
    assert all_pairs(np.zeros((2, 3))).nnz == 6


def test_merge_rows_is_exact_and_sums_weights():
    rng = np.random.default_rng(3)
    costs = rng.integers(0, 3, (400, 5)).astype(float)  # round costs: worst case for hashing
    merged, w, group = merge_rows(all_pairs(costs), np.arange(400.0))
    assert merged.shape[0] == np.unique(costs, axis=0).shape[0]
    assert np.array_equal(merged[group].toarray(), costs)
    assert w.sum() == pytest.approx(np.arange(400.0).sum())


def test_identical_rows_merge_without_changing_the_answer():
    rng = np.random.default_rng(5)
    base = rng.random((30, 12)) < 0.3
    sol = max_cover(base, np.arange(30.0), p=3, method="exact")
    doubled = max_cover(np.vstack([base, base]), np.tile(np.arange(30.0), 2) / 2, p=3,
                        method="exact")
    assert doubled.objective == pytest.approx(sol.objective)


@pytest.mark.parametrize("backend", ["highs", "cbc", "scip"])
def test_backends_agree(backend):
    rng = np.random.default_rng(11)
    covers = rng.random((40, 15)) < 0.2
    w = rng.integers(1, 9, 40).astype(float)
    reference = max_cover(covers, w, p=4, method="exact")
    assert max_cover(covers, w, p=4, method="exact", backend=backend).objective == (
        pytest.approx(reference.objective)
    )
    assert set_cover(covers, backend=backend).objective == pytest.approx(
        set_cover(covers).objective
    )
    assert partial_cover(covers, w, share=0.7, backend=backend).objective == pytest.approx(
        partial_cover(covers, w, share=0.7).objective
    )


def test_time_limit_returns_feasible_cover_with_gap():
    rng = np.random.default_rng(0)
    covers = rng.random((400, 400)) < 0.03
    sol = set_cover(covers, time_limit=0.05)
    assert sol.status is Status.FEASIBLE
    assert sol.gap > 0
    assert "time limit" in sol.reason
    reach = covers.any(axis=1)
    assert covers[:, sol.sites].any(axis=1)[reach].all()


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: set_cover(np.array([[1.0, np.nan]]), cutoff=1.0), "NaN"),
        (lambda: set_cover(np.array([[1.0, -2.0]]), cutoff=1.0), "negative"),
        (lambda: set_cover(np.ones((2, 2)), cutoff=-1.0), "cutoff"),
        (lambda: max_cover(np.ones((3, 2)), np.ones(2), p=1), "weights"),
        (lambda: max_cover(np.ones((3, 2)), p=3), "p=3"),
        (lambda: max_cover(np.ones((3, 2))), "exactly one of p"),
        (lambda: max_cover(np.ones((3, 2)), p=1, budget=2.0), "exactly one of p"),
        (lambda: max_cover(np.ones((3, 2)), budget=1.0, site_costs=[2.0, 3.0]),
         "cheapest candidate site cost 2"),
        (lambda: max_cover(np.ones((3, 2)), p=1, site_costs=[2.0, 3.0]), "site_costs"),
        (lambda: max_cover(np.ones((3, 2)), p=1, method="fast"), "method"),  # type: ignore[arg-type]
        (lambda: partial_cover(np.ones((3, 2)), share=0.0), "share"),
        (lambda: partial_cover(np.ones((3, 2)), share=1.5), "share"),
        (lambda: set_cover(np.ones((3, 2)), existing=[0], forbidden=[0]), "both existing"),
        (lambda: set_cover(np.ones((3, 2)), forbidden=[5]), "forbidden"),
        (lambda: set_cover(np.ones((3, 2)), time_limit=0), "time_limit"),
    ],
)
def test_bad_input_names_the_argument(call, words):
    with pytest.raises(ModelInputError, match=words):
        call()


def test_existing_coverage_counts_in_max_cover():
    covers = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)
    sol = max_cover(covers, [5.0, 1.0, 2.0], p=1, existing=[0])
    assert sol.objective == pytest.approx(7.0)
    assert sol.new_sites.tolist() == [2]
    assert sol.sites.tolist() == [0, 2]
    assert sol.assignment.tolist() == [0, -1, 2]


def test_reduced_cost_fixing_keeps_every_better_solution():
    """Sites fixed closed by the MCLP's LP reduced costs are in no solution better than the
    incumbent (brute force over every choice of at most p sites)."""
    from siting.models import MilpStatus, solve_milp
    from siting.models.coverage import binary_problem, covering_rows, fixed_out

    fixed = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n, m, p = 40, 12, 3
        covers = rng.random((n, m)) < 0.2
        w = rng.integers(1, 10, n).astype(float)
        A = sp.csr_array(covers.astype(float))
        problem = binary_problem(
            np.concatenate((np.zeros(m), -w)), covering_rows(A, np.ones(m), np.zeros(n)),
            np.full(n + 1, -np.inf), np.concatenate((np.zeros(n), [p])), m,
        )
        lp = solve_milp(problem.relaxed(), lp_algorithm="ipm")
        assert lp.status is MilpStatus.OPTIMAL
        values = {s: w[covers[:, list(s)].any(axis=1)].sum()
                  for r in range(p + 1) for s in itertools.combinations(range(m), r)}
        incumbent = float(np.quantile(list(values.values()), 0.9))
        out = fixed_out(problem, lp, m, incumbent)
        for sites, value in values.items():
            if value > incumbent:
                assert not out[list(sites)].any(), (seed, sites)
        fixed += int(out.sum())
    assert fixed > 0  # the rule does fix sites
