"""Single-source capacitated models: brute force, an independent pulp model, OR-Library pmedcap."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pulp
import pytest
import scipy.sparse as sp

from benchmarks.pmedcap import read_pmedcap
from siting import InputFileError
from siting.models import (
    ModelInputError,
    Solution,
    Status,
    capacitated_max_cover,
    capacitated_pmedian,
)

PMEDCAP = Path(__file__).parents[1] / "benchmarks" / "orlib" / "pmedcap"
FloatArray = npt.NDArray[np.float64]


def _instance(seed: int) -> tuple[FloatArray, npt.NDArray[np.bool_], FloatArray, FloatArray,
                                  list[int], list[int]]:
    """Costs, reachable pairs, weights, capacities, existing and forbidden sites (tiny)."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    cost = np.round(rng.random((n, m)) * 10, 1)
    reach = rng.random((n, m)) < (0.75 if seed % 2 else 1.0)
    existing = [int(j) for j in rng.choice(m, int(rng.integers(0, 2)), replace=False)]
    forbidden = [int(j) for j in rng.choice(m, int(rng.integers(0, 2)), replace=False)
                 if j not in existing]
    w = rng.integers(0, 6, n).astype(np.float64)
    cap = rng.integers(3, 12, m).astype(np.float64)
    return cost, reach, w, cap, existing, forbidden


def _best_assignment(cost: FloatArray, usable: npt.NDArray[np.bool_], w: FloatArray,
                     cap: FloatArray, sites: tuple[int, ...], *, cover: bool) -> float:
    """Enumerate every assignment of rows whole to ``sites`` (or to nobody when ``cover``).

    Median: least total cost serving every row of positive weight (inf when none fits).
    Cover: most weight served.
    """
    rows = [i for i in range(cost.shape[0]) if w[i] > 0 and (cover or usable[i].any())]
    options = [[j for j in sites if usable[i, j] and w[i] <= cap[j]] + ([-1] if cover else [])
               for i in rows]
    best = -np.inf if cover else np.inf
    for choice in itertools.product(*options):
        load = np.zeros(cost.shape[1])
        for i, j in zip(rows, choice, strict=True):
            if j >= 0:
                load[j] += w[i]
        if (load > cap + 1e-9).any():
            continue
        if cover:
            best = max(best, sum(w[i] for i, j in zip(rows, choice, strict=True) if j >= 0))
        else:
            best = min(best, sum(w[i] * cost[i, j] for i, j in zip(rows, choice, strict=True)))
    return best


def _check_feasible(sol: Solution, cost: FloatArray, w: FloatArray, cap: FloatArray,
                    *, per_row: bool = False) -> float:
    """Assert the assignment respects open sites and capacities; return its recomputed cost."""
    served = np.flatnonzero(sol.assignment >= 0)
    sites = sol.assignment[served]
    assert np.isin(sites, sol.sites).all()
    load = np.bincount(sites, weights=w[served], minlength=cap.size)
    assert (load <= cap + 1e-6).all()
    coef = cost[served, sites] * (1.0 if per_row else w[served])
    return float(coef.sum())


@pytest.mark.parametrize("seed", range(40))
def test_single_source_pmedian_matches_enumeration(seed: int) -> None:
    cost, reach, w, cap, existing, forbidden = _instance(seed)
    m = cost.shape[1]
    cand = [j for j in range(m) if j not in existing + forbidden]
    rng = np.random.default_rng(100 + seed)
    p = int(rng.integers(max(1, len(existing)), len(existing) + len(cand) + 1))
    allowed = np.zeros(m, dtype=np.bool_)
    allowed[existing + cand] = True
    usable = reach & allowed
    best = min(_best_assignment(cost, usable, w, cap, tuple(existing) + s, cover=False)
               for s in itertools.combinations(cand, p - len(existing)))
    matrix = sp.csr_array((cost[reach], np.nonzero(reach)), shape=cost.shape) if seed % 2 else cost
    sol = capacitated_pmedian(matrix, p, w, cap, existing=existing, forbidden=forbidden,
                              single_source=True)
    expected = Status.OPTIMAL if np.isfinite(best) else Status.INFEASIBLE
    assert (sol.status, bool(sol.reason) or sol.is_optimal) == (expected, True)
    if sol.is_optimal:
        assert (sol.objective, sol.bound, len(sol.sites)) == (
            pytest.approx(best, abs=1e-6), pytest.approx(best, abs=1e-6), p)
        assert _check_feasible(sol, cost, w, cap) == pytest.approx(best, abs=1e-6)
        counted = (w > 0) & usable.any(axis=1)
        assert (sol.assignment[counted] >= 0).all()  # every row served whole


@pytest.mark.parametrize("seed", range(30))
def test_single_source_max_cover_matches_enumeration(seed: int) -> None:
    cost, _, w, cap, existing, forbidden = _instance(seed)
    m = cost.shape[1]
    cand = [j for j in range(m) if j not in existing + forbidden]
    p = int(np.random.default_rng(200 + seed).integers(1, m + 1))
    covers = cost <= 5.0
    allowed = np.zeros(m, dtype=np.bool_)
    allowed[existing + cand] = True
    best = max(_best_assignment(cost, covers & allowed, w, cap, tuple(existing) + s, cover=True)
               for r in range(min(p, len(cand)) + 1) for s in itertools.combinations(cand, r))
    sol = capacitated_max_cover(cost, w, cap, cutoff=5.0, p=p, existing=existing,
                                forbidden=forbidden, single_source=True)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best, abs=1e-6)
    assert len(sol.new_sites) <= p
    _check_feasible(sol, cost, w, cap)
    served = sol.assignment >= 0
    assert np.all(cost[np.flatnonzero(served), sol.assignment[served]] <= 5.0)
    assert float(w[served].sum()) == pytest.approx(sol.objective)


@pytest.mark.parametrize("seed", range(8))
def test_single_source_max_cover_with_budget_matches_enumeration(seed: int) -> None:
    cost, _, w, cap, _, _ = _instance(seed)
    m = cost.shape[1]
    rng = np.random.default_rng(300 + seed)
    site_costs = rng.integers(1, 5, m).astype(np.float64)
    budget = float(rng.integers(int(site_costs.min()), int(site_costs.sum()) + 1))
    covers = cost <= 5.0
    best = max(_best_assignment(cost, covers, w, cap, s, cover=True)
               for r in range(m + 1) for s in itertools.combinations(range(m), r)
               if site_costs[list(s)].sum() <= budget)
    sol = capacitated_max_cover(cost, w, cap, cutoff=5.0, budget=budget, site_costs=site_costs,
                                single_source=True)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best, abs=1e-6)
    assert site_costs[sol.new_sites].sum() <= budget + 1e-9


def _pulp_optimum(cost: FloatArray, p: int, w: FloatArray, cap: FloatArray) -> float:
    """The single-source capacitated p-median written directly in pulp and solved by CBC."""
    n, m = cost.shape
    model = pulp.LpProblem("cpmp", pulp.LpMinimize)
    x = {(i, j): pulp.LpVariable(f"x_{i}_{j}", cat="Binary") for i in range(n) for j in range(m)}
    y = [pulp.LpVariable(f"y_{j}", cat="Binary") for j in range(m)]
    model += pulp.lpSum(float(w[i] * cost[i, j]) * x[i, j] for i in range(n) for j in range(m))
    for i in range(n):
        model += pulp.lpSum(x[i, j] for j in range(m)) == 1
    for j in range(m):
        model += pulp.lpSum(float(w[i]) * x[i, j] for i in range(n)) <= float(cap[j]) * y[j]
    model += pulp.lpSum(y) == p
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.LpStatus[model.status] == "Optimal"
    return float(pulp.value(model.objective))


@pytest.mark.parametrize("seed", range(4))
def test_single_source_pmedian_matches_an_independent_pulp_model(seed: int) -> None:
    """24 rows × 10 sites with tight capacities: our model (HiGHS, and CBC through our model)
    against a model written separately in pulp (CBC)."""
    rng = np.random.default_rng(seed)
    pts = rng.integers(0, 100, (24, 2)).astype(np.float64)
    cost = np.floor(np.hypot(*(pts[:, None, :] - pts[None, :10, :]).transpose(2, 0, 1)))
    w = rng.integers(1, 10, 24).astype(np.float64)
    p = 4
    cap = np.full(10, np.ceil(1.1 * w.sum() / p))
    reference = _pulp_optimum(cost, p, w, cap)
    for backend in ("highs", "cbc"):
        sol = capacitated_pmedian(cost, p, w, cap, single_source=True, backend=backend)
        assert sol.status is Status.OPTIMAL
        assert sol.objective == pytest.approx(reference, rel=1e-9)
        assert _check_feasible(sol, cost, w, cap) == pytest.approx(reference, rel=1e-9)


def test_single_source_costs_at_least_split_demand() -> None:
    rng = np.random.default_rng(7)
    cost = rng.random((30, 12)) * 10
    w = rng.integers(1, 8, 30).astype(np.float64)
    cap = np.full(12, 40.0)
    split = capacitated_pmedian(cost, 4, w, cap)
    whole = capacitated_pmedian(cost, 4, w, cap, single_source=True)
    assert whole.is_optimal
    assert split.is_optimal
    assert whole.objective >= split.objective - 1e-9


def test_cost_per_row_equals_weighted_costs() -> None:
    rng = np.random.default_rng(3)
    cost = rng.random((15, 6)) * 10
    w = rng.integers(1, 6, 15).astype(np.float64)
    cap = np.full(6, 25.0)
    for single in (False, True):
        per_unit = capacitated_pmedian(cost, 3, w, cap, single_source=single)
        per_row = capacitated_pmedian(cost * w[:, None], 3, w, cap, single_source=single,
                                      cost_per="row")
        assert per_row.objective == pytest.approx(per_unit.objective, rel=1e-9)


def test_row_larger_than_every_reachable_site_is_infeasible_with_reason() -> None:
    cost = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 1.0]])
    sol = capacitated_pmedian(cost, 2, [3.0, 3.0, 9.0], [8.0, 8.0], single_source=True)
    assert sol.status is Status.INFEASIBLE
    assert "2 (9)" in sol.reason
    assert "larger than every site" in sol.reason
    # split demand can still serve it across the two sites
    assert capacitated_pmedian(cost, 2, [3.0, 3.0, 9.0], [8.0, 8.0]).is_optimal


@pytest.mark.parametrize("backend", ["highs", "cbc", "scip"])
def test_max_cover_leaves_a_row_larger_than_every_site_unserved(backend: str) -> None:
    """Covering may leave rows out: the row of 9 fits neither site, the rows of 2 and 3 share
    the site of 5 (the other site holds only 4, so one of them could go there instead)."""
    sol = capacitated_max_cover(np.ones((3, 2)), [9.0, 2.0, 3.0], [5.0, 4.0], p=2, cutoff=2.0,
                                single_source=True, backend=backend)  # type: ignore[arg-type]
    assert sol.is_optimal
    assert sol.objective == pytest.approx(5.0)
    assert sol.assignment[0] == -1
    assert (sol.assignment[1:] >= 0).all()
    assert "5 of 14" in sol.reason


def test_bin_packing_infeasibility_is_reported() -> None:
    """Three rows of 6 into two sites of 10: enough capacity in total, not whole."""
    sol = capacitated_pmedian(np.ones((3, 2)), 2, [6.0, 6.0, 6.0], [10.0, 10.0],
                              single_source=True)
    assert sol.status is Status.INFEASIBLE
    assert sol.reason


def test_existing_sites_keep_their_capacity_in_single_source() -> None:
    cost = np.array([[0.0, 5.0], [0.0, 5.0], [5.0, 0.0]])
    sol = capacitated_pmedian(cost, 2, [4.0, 4.0, 1.0], [4.0, 10.0], existing=[0],
                              existing_capacity=[8.0], single_source=True)
    assert sol.is_optimal
    assert sol.assignment.tolist() == [0, 0, 1]
    assert sol.objective == pytest.approx(0.0)


def test_bad_cost_per_names_the_argument() -> None:
    with pytest.raises(ModelInputError, match="cost_per"):
        capacitated_pmedian(np.ones((2, 2)), 1, [1.0, 1.0], [5.0, 5.0],
                            cost_per="per_row")  # type: ignore[arg-type]


def test_time_limited_single_source_reports_feasible_with_its_gap() -> None:
    """pmedcap08 takes HiGHS far more than 5 s to prove: the result must say so."""
    inst = read_pmedcap(PMEDCAP / "pmedcap08.txt")
    sol = capacitated_pmedian(inst.cost, inst.p, inst.demand, inst.capacity, single_source=True,
                              cost_per="row", time_limit=5.0)
    assert sol.status is Status.FEASIBLE
    assert sol.gap > 0
    assert sol.bound <= 820 <= sol.objective
    assert "time limit" in sol.reason
    assert _check_feasible(sol, inst.cost, inst.demand, inst.capacity,
                           per_row=True) == pytest.approx(sol.objective)


def _solve_pmedcap(name: str) -> tuple[Solution, float]:
    inst = read_pmedcap(PMEDCAP / f"{name}.txt")
    sol = capacitated_pmedian(inst.cost, inst.p, inst.demand, inst.capacity, single_source=True,
                              cost_per="row")
    assert _check_feasible(sol, inst.cost, inst.demand, inst.capacity,
                           per_row=True) == pytest.approx(sol.objective)
    assert inst.best is not None or name in ("pmedcap02", "pmedcap03")
    return sol, float(inst.best) if inst.best is not None else np.nan


@pytest.mark.parametrize(("name", "optimum"), [("pmedcap01", 713), ("pmedcap02", 740),
                                               ("pmedcap04", 651), ("pmedcap06", 778)])
def test_pmedcap_fast_problems_reach_the_published_optimum(name: str, optimum: float) -> None:
    sol, printed = _solve_pmedcap(name)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(optimum)
    assert np.isnan(printed) or printed == optimum


@pytest.mark.slow
@pytest.mark.parametrize(("name", "optimum"), [("pmedcap03", 751), ("pmedcap05", 664),
                                               ("pmedcap09", 715), ("pmedcap13", 1026)])
def test_pmedcap_slower_problems_reach_the_published_optimum(name: str, optimum: float) -> None:
    sol, _ = _solve_pmedcap(name)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(optimum)


def test_matrix_layout_reads_like_the_coordinates(tmp_path: Path) -> None:
    """The complete-matrix layout (Ceselli & Righini) of problem 1, written from its
    coordinates, reads back to the same instance."""
    block = read_pmedcap(PMEDCAP / "pmedcap01.txt")
    text = [f"{block.n} {block.p}"]
    text += [" ".join(f"{v:g}" for v in row) for row in block.cost]
    text += [" ".join(f"{v:g}" for v in block.demand), " ".join(f"{v:g}" for v in block.capacity)]
    path = tmp_path / "p550-1.txt"
    path.write_text("\n".join(text) + "\n")
    matrix = read_pmedcap(path)
    np.testing.assert_array_equal(matrix.cost, block.cost)
    np.testing.assert_array_equal(matrix.demand, block.demand)
    assert matrix.p == block.p
    assert matrix.best is None
    assert block.best == 713
    assert block.cost[0, 1] == 86  # points (2, 62), (80, 25): 86.33 rounded down


@pytest.mark.parametrize(("text", "message"), [
    (" 1 713\n 2 1 120\n 1 0 0 3\n 3 4 0 2\n", "numbered 3"),
    (" 1 713\n 2 1 120\n 1 0 0 3\n", "ends early"),
    (" 1 713\n 2 1 120\n 1 0 0 3\n 2 4 x 2\n", "'x'"),
    ("2 1\n0 1\n1 0\n1 1\n", "ends early"),
    ("2 3\n0 1\n1 0\n1 1\n5 5\n", "p=3"),
])
def test_malformed_pmedcap_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputFileError, match=message) as info:
        read_pmedcap(path)
    assert "bad.txt" in str(info.value)
