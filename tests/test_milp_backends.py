"""The MILP interface (models/_milp.py) and the validation helpers (models/_validate.py)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from siting.models._errors import ModelInputError
from siting.models._milp import BACKENDS, Backend, MilpProblem, MilpStatus, solve_milp
from siting.models._validate import (
    check_cost_matrix,
    check_count,
    check_disjoint,
    check_sites,
    check_time_limit,
    check_weights,
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


def test_check_cost_matrix_keeps_sparse_zeros_and_rejects_bad_entries():
    cost = sp.csr_array((np.array([0.0, 1.0]), (np.array([0, 1]), np.array([0, 1]))),
                        shape=(2, 2))
    assert check_cost_matrix(cost).nnz == 2
    with pytest.raises(ModelInputError, match="rows 1"):
        check_cost_matrix(np.array([[1.0, 2.0], [np.inf, 0.0]]))
    with pytest.raises(ModelInputError, match="negative"):
        check_cost_matrix(np.array([[-1.0]]))
    with pytest.raises(ModelInputError, match="2-D"):
        check_cost_matrix(np.ones(3))


def test_site_and_count_helpers():
    assert check_sites([3, 1, 3], 4, name="existing").tolist() == [1, 3]
    with pytest.raises(ModelInputError, match="not a mask"):
        check_sites(np.array([True, False]), 2, name="existing")
    with pytest.raises(ModelInputError, match="outside"):
        check_sites([4], 4, name="forbidden")
    assert check_count(2, 5, 1) == 2
    with pytest.raises(ModelInputError, match="at least 2"):
        check_count(1, 5, 2)
    with pytest.raises(ModelInputError, match="both existing and forbidden"):
        check_disjoint(np.array([1]), np.array([1, 2]))


def test_weights_and_time_limit_helpers():
    assert check_weights(None, 3).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ModelInputError, match="rows 1"):
        check_weights([1.0, -1.0], 2)
    assert check_time_limit(None) is None
    assert check_time_limit(2) == 2.0
    with pytest.raises(ModelInputError, match="time_limit"):
        check_time_limit(-1)


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
