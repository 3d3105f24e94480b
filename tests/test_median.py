"""Tests of the p-median model: brute force, cross-solver checks, OR-Library optima, bounds."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp

from benchmarks.orlib import read_pmed
from siting.models import Clock, ModelInputError, Status
from siting.models.pmedian import pmedian
from siting.models.pmedian.sorted_rows import MedianCore

PMED = Path(__file__).parents[1] / "benchmarks" / "orlib" / "pmed"


def brute_force(
    cost: npt.NDArray[np.float64],
    p: int,
    weights: npt.NDArray[np.float64],
    *,
    reachable: npt.NDArray[np.bool_],
    existing: tuple[int, ...] = (),
    forbidden: tuple[int, ...] = (),
    cutoff: float | None = None,
    penalty: float | None = None,
) -> float:
    """Optimum by enumeration; ``reachable`` marks the real pairs of ``cost``."""
    m = cost.shape[1]
    usable = reachable & (cost <= (np.inf if cutoff is None else cutoff))
    if penalty is not None:
        usable &= cost <= penalty
    allowed = usable[:, [j for j in range(m) if j not in forbidden]]
    counted = (allowed.any(axis=1) | (penalty is not None)) & (weights > 0)
    free = [j for j in range(m) if j not in existing and j not in forbidden]
    best = np.inf
    for extra in itertools.combinations(free, p - len(existing)):
        open_ = list(existing) + list(extra)
        c = np.where(usable[:, open_], cost[:, open_], np.inf).min(axis=1)
        if penalty is not None:
            c = np.minimum(c, penalty)
        if np.isinf(c[counted]).any():
            continue
        best = min(best, float(weights[counted] @ c[counted]))
    return best


def random_case(
    seed: int, *, sparse: bool
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(4, 13)), int(rng.integers(3, 9))
    cost = rng.integers(0, 20, size=(n, m)).astype(np.float64)
    reachable = rng.random((n, m)) < 0.6 if sparse else np.ones((n, m), dtype=np.bool_)
    weights = rng.integers(0, 5, size=n).astype(np.float64)
    return cost, reachable, weights


def as_input(
    cost: npt.NDArray[np.float64], reachable: npt.NDArray[np.bool_], sparse: bool
) -> npt.NDArray[np.float64] | sp.csr_array:
    if not sparse:
        return cost
    rows, cols = np.nonzero(reachable)
    # zero costs stay stored entries: a site on the demand point is a real pair
    return sp.csr_array((cost[rows, cols], (rows, cols)), shape=cost.shape)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("seed", range(25))
def test_exact_matches_brute_force(seed: int, sparse: bool) -> None:
    cost, reachable, w = random_case(seed, sparse=sparse)
    m = cost.shape[1]
    rng = np.random.default_rng(1000 + seed)
    sites = rng.permutation(m)
    existing = (int(sites[0]),) if seed % 3 == 0 else ()
    forbidden = (int(sites[1]),) if seed % 2 == 0 else ()
    cutoff, penalty = (10.0, 25.0) if seed % 4 == 1 else (None, None)
    if sparse and seed % 5 == 0:
        penalty = 15.0
    p = int(rng.integers(max(1, len(existing)), m - len(forbidden) + 1))
    expected = brute_force(cost, p, w, reachable=reachable, existing=existing,
                           forbidden=forbidden, cutoff=cutoff, penalty=penalty)
    sol = pmedian(as_input(cost, reachable, sparse), p, w, existing=existing,
                  forbidden=forbidden, cutoff=cutoff, penalty=penalty, method="exact")
    if np.isinf(expected):
        assert sol.status is Status.INFEASIBLE
        return
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(expected, abs=1e-6)
    assert sol.bound == pytest.approx(expected, abs=1e-6)
    assert sol.sites.size == p
    assert set(existing) <= set(sol.sites.tolist())
    assert not set(forbidden) & set(sol.sites.tolist())
    served = sol.assignment >= 0
    assert np.isin(sol.assignment[served], sol.sites).all()


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("seed", range(10))
def test_heuristic_is_bracketed_by_its_bound(seed: int, sparse: bool) -> None:
    cost, reachable, w = random_case(seed, sparse=sparse)
    penalty = 30.0 if sparse else None
    p = 2
    expected = brute_force(cost, p, w, reachable=reachable, penalty=penalty)
    sol = pmedian(as_input(cost, reachable, sparse), p, w, penalty=penalty, method="heuristic")
    assert sol.bound <= expected + 1e-6
    assert sol.objective >= expected - 1e-6
    assert sol.objective - sol.bound <= sol.gap * max(1.0, sol.objective) + 1e-9


def test_heuristic_bound_on_larger_instance() -> None:
    rng = np.random.default_rng(7)
    pts = rng.random((400, 2))
    cost = np.hypot(*(pts[:200, None, :] - pts[None, 200:, :]).transpose(2, 0, 1))
    heur = pmedian(cost, 8, method="heuristic", seed=3)
    exact = pmedian(cost, 8, method="exact")
    assert exact.is_optimal
    assert heur.bound <= exact.objective + 1e-9 <= heur.objective + 2e-9
    assert heur.gap < 0.05
    again = pmedian(cost, 8, method="heuristic", seed=3)
    assert np.array_equal(again.sites, heur.sites)


@pytest.mark.parametrize("seed", range(4))
def test_backends_agree(seed: int) -> None:
    cost, reachable, w = random_case(50 + seed, sparse=seed % 2 == 1)
    kwargs = {"penalty": 18.0} if seed % 2 else {}
    matrix = as_input(cost, reachable, seed % 2 == 1)
    results = [pmedian(matrix, 2, w, backend=b, method="exact", **kwargs)
               for b in ("highs", "cbc", "scip")]
    assert all(r.status is Status.OPTIMAL for r in results)
    assert results[1].objective == pytest.approx(results[0].objective)
    assert results[2].objective == pytest.approx(results[0].objective)
    assert [r.backend for r in results] == ["highs", "cbc", "scip"]


@pytest.mark.parametrize("name", ["pmed1", "pmed2", "pmed3", "pmed4", "pmed5"])
def test_orlib_optimum(name: str) -> None:
    with (PMED / "optima.csv").open() as fh:
        optimum = {r["instance"]: float(r["optimum"]) for r in csv.DictReader(fh)}[name]
    instance = read_pmed(PMED / f"{name}.txt")
    sol = pmedian(instance.cost, instance.p)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == optimum
    assert sol.bound == pytest.approx(optimum)
    assert sol.method == "benders-lp+branch"


def test_time_limit_returns_feasible_solution() -> None:
    rng = np.random.default_rng(3)
    pts = rng.random((900, 2))
    cost = np.hypot(*(pts[:600, None, :] - pts[None, 600:, :]).transpose(2, 0, 1))
    sol = pmedian(cost, 15, method="exact", time_limit=1e-3)
    assert sol.status is Status.FEASIBLE
    assert sol.sites.size == 15
    assert 0 < sol.bound < sol.objective
    assert "time limit" in sol.reason


def test_unreachable_rows_are_reported() -> None:
    # row 1 stores no pair at all; the zero cost of (0, 1) is a real pair
    cost = sp.csr_array((np.array([1.0, 0.0, 2.0, 5.0]), (np.array([0, 0, 2, 2]),
                                                          np.array([0, 1, 0, 1]))), shape=(3, 2))
    sol = pmedian(cost, 1)
    assert sol.unreachable.tolist() == [1]
    assert sol.assignment.tolist() == [0, -1, 0]
    assert sol.objective == 3.0
    assert "unreachable" in sol.reason
    with_penalty = pmedian(cost, 1, penalty=10.0)
    assert with_penalty.unreachable.size == 0
    assert with_penalty.objective == 13.0


def test_cutoff_leaves_far_rows_unserved_at_penalty() -> None:
    cost = np.array([[1.0, 9.0], [9.0, 1.0], [5.0, 6.0]])
    sol = pmedian(cost, 1, [1.0, 1.0, 2.0], cutoff=5.0, penalty=7.0)
    assert sol.sites.tolist() == [0]
    assert sol.assignment.tolist() == [0, -1, 0]
    assert sol.objective == 1.0 + 7.0 + 10.0


def test_no_cover_without_penalty_is_infeasible() -> None:
    cost = sp.csr_array((np.array([1.0, 1.0]), (np.array([0, 1]), np.array([0, 1]))),
                        shape=(2, 3))
    sol = pmedian(cost, 1, method="exact")
    assert sol.status is Status.INFEASIBLE
    assert "penalty" in sol.reason


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"cost": [[1.0, np.nan]], "p": 1}, "cost"),
        ({"cost": [[1.0, -2.0]], "p": 1}, "cost"),
        ({"cost": [[1.0, 2.0]], "p": 1, "weights": [1.0, 2.0]}, "weights"),
        ({"cost": [[1.0, 2.0]], "p": 3}, "p"),
        ({"cost": [[1.0, 2.0]], "p": 1, "existing": [0, 1]}, "p"),
        ({"cost": [[1.0, 2.0]], "p": 1, "existing": [0], "forbidden": [0]}, "existing"),
        ({"cost": [[1.0, 2.0]], "p": 1, "existing": [5]}, "existing"),
        ({"cost": [[1.0, 2.0]], "p": 1, "cutoff": 5.0, "penalty": 1.0}, "penalty"),
        ({"cost": [[1.0, 2.0]], "p": 1, "cutoff": -1.0}, "cutoff"),
        ({"cost": [[1.0, 2.0]], "p": 1, "method": "fast"}, "method"),
        ({"cost": [[1.0, 2.0]], "p": 1, "backend": "gurobi"}, "backend"),
        ({"cost": [[1.0, 2.0]], "p": 1, "time_limit": 0}, "time_limit"),
    ],
)
def test_bad_input_names_argument(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ModelInputError, match=name):
        pmedian(**kwargs)


@pytest.mark.parametrize("seed", [0, 8, 14])
def test_branch_and_bound_matches_cbc_from_a_poor_incumbent(seed: int) -> None:
    from siting.models import MilpStatus
    from siting.models.pmedian.benders import BendersMaster
    from siting.models.pmedian.branch_and_bound import branch_and_bound
    from siting.models.pmedian.heuristics import open_mask
    from siting.models.pmedian.solve import prepare

    rng = np.random.default_rng(seed)
    pts = rng.integers(0, 100, (60, 2))
    cost = np.rint(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)))
    w = rng.integers(1, 10, 60).astype(np.float64)
    none = np.empty(0, dtype=np.int64)
    core = prepare(cost, w, none, none, 6, None, None).core
    # the first six sites: far from optimal, so the tree must find the optimum itself
    poor = np.arange(6)
    upper = core.objective(open_mask(60, poor))
    master = BendersMaster(core, poor, Clock(None))
    master.solve()
    root = master.bound
    found, bound, status = branch_and_bound(master, upper, True)
    reference = pmedian(cost, 6, w, method="exact", backend="cbc")
    assert status is MilpStatus.OPTIMAL
    assert found is not None
    assert core.objective(open_mask(60, found)) == pytest.approx(reference.objective)
    assert bound == pytest.approx(reference.objective)
    assert root < reference.objective - 1  # a real LP gap to close
    # the workers' cuts were shared and the master's bounds restored: it solves as before
    assert master.solve().bound == pytest.approx(root)


def _random_core(seed: int, n: int, p: int, scale: float = 1.0) -> MedianCore:
    from siting.models.pmedian.solve import prepare

    rng = np.random.default_rng(seed)
    pts = rng.integers(0, 100, (n, 2))
    cost = np.rint(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)) / scale)
    none = np.empty(0, dtype=np.int64)
    return prepare(cost, rng.integers(1, 10, n).astype(np.float64), none, none, p, None,
                    None).core


def test_master_copy_purge_and_dropped_cuts_keep_the_lp_value() -> None:
    from siting.models.pmedian.benders import BendersMaster

    core = _random_core(3, 50, 4)
    master = BendersMaster(core, np.arange(4), Clock(None))
    value = master.solve().bound
    twin = master.copy()
    assert twin.solve().bound == pytest.approx(value)
    master.purge()
    kept = master.cut_count
    assert kept < twin.cut_count  # slack cuts went
    assert master.solve().bound == pytest.approx(value)
    # a cut added then dropped leaves the LP as it was
    master.add_cuts(np.array([0]), np.array([core.rows.cost[core.rows.indptr[1] - 1]]))
    master.drop_cuts_since(kept)
    assert master.cut_count == kept
    assert master.solve().bound == pytest.approx(value)


def test_tree_search_does_not_depend_on_worker_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers take nodes as they come free; delays that reshuffle which worker solves which
    node must change neither the nodes solved, nor their bounds, nor the answer."""
    import random
    import threading
    import time

    from siting.models.pmedian import branch_and_bound

    inst = read_pmed(PMED / "pmed16.txt")
    solve, merge = branch_and_bound._Search._solve, branch_and_bound._Search._merge
    runs = []
    for delay_seed in range(3):
        trace: list[tuple[int, int, int, float, int]] = []
        workers: list[str] = []
        delays = random.Random(delay_seed)

        def slow_solve(self, worker, task, delays=delays, workers=workers):  # type: ignore[no-untyped-def]
            time.sleep(delays.random() * 0.01)
            workers.append(threading.current_thread().name.rsplit("_", 1)[-1])
            return solve(self, worker, task)

        def traced_merge(self, result, trace=trace):  # type: ignore[no-untyped-def]
            trace.append((result.task.index, result.task.pool.client.size, result.rows.size,
                          result.bound, result.branch))
            return merge(self, result)

        monkeypatch.setattr(branch_and_bound._Search, "_solve", slow_solve)
        monkeypatch.setattr(branch_and_bound._Search, "_merge", traced_merge)
        sol = pmedian(inst.cost, inst.p, method="exact")
        runs.append((trace, tuple(sol.sites.tolist()), workers))
    assert len(runs[0][0]) > 20  # a real tree
    assert all(run[:2] == runs[0][:2] for run in runs)
    assert len({tuple(run[2]) for run in runs}) > 1  # the workers did take different nodes


def test_second_master_inherits_valid_cuts() -> None:
    """The stage's master seeded with the first master's binding cuts has the same LP value
    and never cuts off the optimum (found by CBC on Elloumi's compact model)."""
    from siting.models.pmedian.benders import BendersMaster, fix_level
    from siting.models.pmedian.heuristics import open_mask
    from siting.models.pmedian.solve import fixed_core, solve_compact

    core = _random_core(0, 60, 6)
    sites, _, _ = solve_compact(core, "cbc", None, Clock(None))
    assert sites is not None
    best = core.objective(open_mask(60, sites))
    master = BendersMaster(core, np.arange(6), Clock(None))
    lp = master.solve()
    assert master.bound < best - 1  # a gap, so the stage keeps a choice
    level = fix_level(best + 3, True)  # an incumbent a little worse than the optimum
    closed, opened = master.fixings(lp.x, lp.reduced, level)
    assert opened.size > 0  # some rows' fallbacks come down to an opened site
    stage = fixed_core(master.truncated(level), closed, opened)
    assert stage.candidate.sum() > stage.q
    start = sites[stage.candidate[sites]]
    plain = BendersMaster(stage, start, Clock(None))
    seeded = BendersMaster(stage, start, Clock(None))
    seeded.inherit_cuts(master)
    assert seeded.cut_count > plain.cut_count
    value = seeded.solve().bound
    assert value == pytest.approx(plain.solve().bound)
    assert value <= best + 1e-6


def test_cut_slack_and_keys_match_the_cuts_written_out() -> None:
    """The tree picks pool cuts by their slack at a parent's LP point: that slack, computed
    from the open sites' entries, equals the cut's row evaluated in full; equal cuts share a
    key, and cuts sharing a key have the same row and the same entries."""
    from siting.models.pmedian.benders import BendersMaster

    core = _random_core(5, 40, 4)
    rows = core.rows
    master = BendersMaster(core, np.arange(4), Clock(None))
    rng = np.random.default_rng(5)
    client = rng.integers(0, 40, 200)
    # levels at entry costs (as separation makes them), between them, and past the last one
    pick = rows.indptr[client] + rng.integers(0, rows.counts[client])
    level = np.where(rng.random(200) < 0.7, rows.cost[pick], rows.cost[pick] + 0.5)
    level[:5] = rows.cost[rows.indptr[client[:5] + 1] - 1] + 3.0
    y = np.where(rng.random(40) < 0.4, rng.random(40), 0.0)
    x = np.concatenate((y, rng.uniform(0, 80, 40)))
    cuts = master.cut_rows(client, level)
    for k in range(client.size):
        e = slice(cuts.indptr[k], cuts.indptr[k + 1])
        row_value = cuts.value[e] @ x[cuts.index[e]]
        slack = master.cut_slack(master.cut_keys(client[k : k + 1], level[k : k + 1]),
                                 client[k : k + 1], level[k : k + 1], x)
        assert slack[0] == pytest.approx(row_value - level[k], abs=1e-9)
    keys = master.cut_keys(client, level)
    same = (client[:, None] == client[None, :]) & (level[:, None] == level[None, :])
    cut_sets = [frozenset(cuts.index[cuts.indptr[k] : cuts.indptr[k + 1]].tolist())
                for k in range(client.size)]
    for a in range(client.size):
        for b in range(client.size):
            if keys[a] == keys[b]:
                assert client[a] == client[b]
                assert cut_sets[a] == cut_sets[b]
            if same[a, b]:
                assert keys[a] == keys[b]


def test_cut_rows_taken_and_extended_equal_the_rows_built_directly() -> None:
    from siting.models.pmedian.benders import BendersMaster

    core = _random_core(6, 30, 3)
    master = BendersMaster(core, np.arange(3), Clock(None))
    rng = np.random.default_rng(6)
    client = rng.integers(0, 30, 50)
    level = core.rows.cost[core.rows.indptr[client] + rng.integers(0, core.rows.counts[client])]
    ids = np.array([7, 3, 3, 49, 0])
    a, b = master.cut_rows(client[:20], level[:20]), master.cut_rows(client[20:], level[20:])
    for got, want in ((master.cut_rows(client, level).take(ids),
                       master.cut_rows(client[ids], level[ids])),
                      (a.extended(b), master.cut_rows(client, level))):
        for field in ("level", "indptr", "index", "value"):
            np.testing.assert_array_equal(getattr(got, field), getattr(want, field))


@pytest.mark.parametrize("sparse", [False, True])
def test_subset_of_sorted_rows_equals_sorting_the_subset(sparse: bool) -> None:
    from siting.models.pmedian.sorted_rows import sorted_rows

    rng = np.random.default_rng(4)
    dense = rng.integers(0, 20, (30, 25)).astype(np.float64)
    matrix = sp.csr_array(np.where(rng.random((30, 25)) < 0.7, dense, 0.0)) if sparse else dense
    allowed = rng.random(25) < 0.8
    cap = rng.uniform(5, 25, 30)
    rows = sorted_rows(matrix, allowed=allowed, cap=cap)
    keep = np.array([3, 0, 7, 12, 29])
    lower = np.minimum(cap[keep], rng.uniform(0, 25, keep.size))
    got = rows.subset(keep, lower)
    want = sorted_rows(matrix[keep] if sparse else matrix[keep, :], allowed=allowed, cap=lower)
    for field in ("indptr", "site", "cost", "row"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
    assert got.site.size > 0
