"""The MILP interface (``siting.models.solve_milp``) and the input checks every model shares
(seen through the public `pmedian`)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from siting.models import (
    BACKENDS,
    Backend,
    Clock,
    MilpProblem,
    MilpStatus,
    ModelInputError,
    is_feasible,
    pmedian,
    solve_milp,
)


def _knapsack(integer: bool) -> MilpProblem:
    # max 5a + 4b + 3c  s.t. 2a + 3b + c <= 5, 4a + b + 2c <= 11, 3a + 4b + 2c <= 8
    A = sp.csr_array(np.array([[2.0, 3, 1], [4, 1, 2], [3, 4, 2]]))
    return MilpProblem(
        -np.array([5.0, 4, 3]), A, np.full(3, -np.inf), np.array([5.0, 11, 8]),
        np.zeros(3), np.full(3, np.inf), np.full(3, integer), offset=1.0,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_known_milp_and_lp(backend):
    milp = solve_milp(_knapsack(True), backend=backend)
    assert milp.status is MilpStatus.OPTIMAL
    assert milp.objective == pytest.approx(-13.0 + 1.0)
    assert milp.bound <= milp.objective + 1e-9
    lp = solve_milp(_knapsack(False), backend=backend)
    assert lp.status is MilpStatus.OPTIMAL
    assert lp.objective == pytest.approx(-13.0 + 1.0)  # this LP has an integral optimum


@pytest.mark.parametrize("backend", BACKENDS)
def test_infeasible_model(backend):
    problem = MilpProblem(
        np.ones(1), sp.csr_array(np.ones((1, 1))), np.array([2.0]), np.array([np.inf]),
        np.zeros(1), np.ones(1), np.array([True]),
    )
    assert solve_milp(problem, backend=backend).status is MilpStatus.INFEASIBLE


def test_unknown_backend_is_rejected():
    with pytest.raises(ModelInputError, match="backend"):
        solve_milp(_knapsack(True), backend="gurobi")  # type: ignore[arg-type]


def test_a_cost_matrix_keeps_sparse_zeros_and_bad_entries_are_refused():
    # A stored zero is a real pair: site 0 serves row 0 at no cost, site 1 serves row 1 at 1.
    cost = sp.csr_array((np.array([0.0, 1.0]), (np.array([0, 1]), np.array([0, 1]))),
                        shape=(2, 2))
    assert pmedian(cost, 2).objective == 1.0
    with pytest.raises(ModelInputError, match="rows 1"):
        pmedian(np.array([[1.0, 2.0], [np.inf, 0.0]]), 1)
    with pytest.raises(ModelInputError, match="negative"):
        pmedian(np.array([[-1.0]]), 1)
    with pytest.raises(ModelInputError, match="2-D"):
        pmedian(np.ones(3), 1)


def test_site_lists_and_counts_are_checked():
    cost = np.arange(20.0).reshape(5, 4)
    # Repeated existing sites count once: p = 2 with sites 1 and 3 fixed opens nothing new.
    assert pmedian(cost, 2, existing=[3, 1, 3]).sites.tolist() == [1, 3]
    with pytest.raises(ModelInputError, match="not a mask"):
        pmedian(cost, 2, existing=np.array([True, False, False, False]))
    with pytest.raises(ModelInputError, match="outside"):
        pmedian(cost, 2, forbidden=[4])
    with pytest.raises(ModelInputError, match="at least 2"):
        pmedian(cost, 1, existing=[0, 1])
    with pytest.raises(ModelInputError, match="both existing and forbidden"):
        pmedian(cost, 2, existing=[1], forbidden=[1, 2])


def test_weights_and_time_limits_are_checked():
    cost = np.array([[0.0, 4.0], [3.0, 0.0], [1.0, 2.0]])
    # No weights: every row weighs 1 (site 0 then costs 0 + 3 + 1 = 4, site 1 4 + 0 + 2 = 6).
    assert pmedian(cost, 1).objective == 4.0
    with pytest.raises(ModelInputError, match="rows 1"):
        pmedian(cost, 1, [1.0, -1.0, 1.0])
    assert Clock(None).limit is None
    assert Clock(2).limit == 2.0
    with pytest.raises(ModelInputError, match="time_limit"):
        pmedian(cost, 1, time_limit=-1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_column_in_no_row_and_without_cost_gets_a_value(backend: Backend) -> None:
    # min x0 s.t. x0 >= 1, x1 free of rows and costs in [2, 5]: CBC through pulp drops x1.
    problem = MilpProblem(
        c=np.array([1.0, 0.0]),
        A=sp.csr_array(np.array([[1.0, 0.0]])),
        row_lower=np.array([1.0]),
        row_upper=np.array([np.inf]),
        col_lower=np.array([0.0, 2.0]),
        col_upper=np.array([3.0, 5.0]),
        integer=np.array([True, True]),
    )
    out = solve_milp(problem, backend=backend)
    assert out.status is MilpStatus.OPTIMAL
    assert out.objective == pytest.approx(1.0)
    assert out.x is not None
    assert 2.0 <= out.x[1] <= 5.0


def _multi_knapsack(seed: int = 3, n: int = 60) -> MilpProblem:
    # Strongly correlated profits and weights over four rows: thousands of nodes for HiGHS.
    rng = np.random.default_rng(seed)
    weights = rng.integers(20, 100, (4, n)).astype(float)
    profit = weights.mean(axis=0) + 10.0
    return MilpProblem(-profit, sp.csr_array(weights), np.full(4, -np.inf),
                       weights.sum(axis=1) / 2, np.zeros(n), np.ones(n), np.ones(n, dtype=bool))


def test_an_iteration_limit_ends_an_lp_on_work_not_seconds():
    """An LP given too few simplex iterations ends without its optimum however long its time
    limit, and not as timed out; given enough, it gives the unlimited LP's optimum."""
    lp = _multi_knapsack(n=200).relaxed()
    full = solve_milp(lp, lp_algorithm="simplex")
    assert full.status is MilpStatus.OPTIMAL
    starved = solve_milp(lp, lp_algorithm="simplex", iteration_limit=2, time_limit=60.0)
    assert starved.status is not MilpStatus.OPTIMAL
    assert not starved.timed_out
    enough = solve_milp(lp, lp_algorithm="simplex", iteration_limit=100_000, time_limit=60.0)
    assert enough.status is MilpStatus.OPTIMAL
    assert enough.objective == pytest.approx(full.objective)


def test_a_node_limit_ends_a_solve_on_work_the_same_way_every_time():
    problem = _multi_knapsack()
    first = solve_milp(problem, node_limit=3, time_limit=60.0)
    again = solve_milp(problem, node_limit=3, time_limit=60.0)
    assert first.status is MilpStatus.FEASIBLE
    assert not first.timed_out
    assert first.x is not None
    assert again.x is not None
    assert np.array_equal(first.x, again.x)
    assert (first.objective, first.bound) == (again.objective, again.bound)
    assert first.bound <= first.objective
    cut_short = solve_milp(problem, time_limit=1e-3)
    assert cut_short.status in (MilpStatus.FEASIBLE, MilpStatus.NO_SOLUTION)
    assert cut_short.timed_out
    assert not solve_milp(_knapsack(True)).timed_out


def test_a_milp_too_short_for_highs_to_start_returns_its_warm_start_at_once(monkeypatch):
    """Below HIGHS_START_SECONDS_PER_NONZERO × nonzeros the MILP is not handed to HiGHS: a
    feasible warm start comes back FEASIBLE with no bound, an infeasible one or none as
    NO_SOLUTION, both marked as stopped by the time; an LP and an unlimited solve still run."""
    from siting.models import highs_start
    from siting.models.highs_start import too_short_for_highs

    problem = _knapsack(True)
    monkeypatch.setattr(highs_start, "HIGHS_START_SECONDS_PER_NONZERO", 1.0)  # 9 s for 9 nnz
    assert not too_short_for_highs(9, 8.9), "a small model always starts"
    monkeypatch.setattr(highs_start, "HIGHS_START_MIN_NONZEROS", 9)
    assert too_short_for_highs(9, 8.9)
    assert not too_short_for_highs(9, 9.1)
    assert not too_short_for_highs(9, None)
    # HiGHS solves this knapsack to optimality at once: FEASIBLE without a bound says it was
    # not started.
    warm = np.array([1.0, 0.0, 3.0])  # the third row: 3 + 6 > 8
    out = solve_milp(problem, time_limit=1.0, warm_start=warm)
    assert out.status is MilpStatus.NO_SOLUTION
    assert out.x is None
    assert out.timed_out
    warm = np.array([1.0, 0.0, 2.0])  # rows 4, 8, 7: feasible, value -11 (+ offset 1)
    out = solve_milp(problem, time_limit=1.0, warm_start=warm)
    assert out.status is MilpStatus.FEASIBLE
    assert out.timed_out
    np.testing.assert_array_equal(out.x, warm)
    assert out.objective == pytest.approx(-11.0 + 1.0)
    assert out.bound == -np.inf
    assert solve_milp(problem, time_limit=1.0).status is MilpStatus.NO_SOLUTION
    started = solve_milp(problem, time_limit=10.0, warm_start=warm)
    assert started.status is MilpStatus.OPTIMAL
    assert started.objective == pytest.approx(-13.0 + 1.0)
    assert solve_milp(_knapsack(False), time_limit=1.0).status is MilpStatus.OPTIMAL  # an LP


def test_feasibility_check_of_a_point():
    problem = _knapsack(True)
    assert is_feasible(problem, np.array([1.0, 0.0, 2.0]))
    assert is_feasible(problem, np.array([1.0, 0.0, 2.0 + 1e-9]))
    assert not is_feasible(problem, np.array([1.0, 0.0, 1.5]))  # not integral
    assert not is_feasible(problem, np.array([-1.0, 0.0, 0.0]))  # below a column's bound
    assert not is_feasible(problem, np.array([3.0, 0.0, 0.0]))  # 6 > 5 in the first row
    assert not is_feasible(problem, np.array([1.0, 0.0]))  # wrong length
    assert not is_feasible(problem, np.array([np.nan, 0.0, 0.0]))
    assert is_feasible(_knapsack(False), np.array([1.0, 0.0, 1.5]))
