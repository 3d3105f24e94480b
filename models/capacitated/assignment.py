"""The single-source assignment model: each demand row is served whole by one site, or not at all.

A row here is one customer (a kindergarten class, a canteen's regular diners) that cannot be
split between sites. The model's variables are the sites' opening decisions ``y`` and one binary
``x`` per pair (row, site) the row may be assigned to: the site is allowed, reachable from the
row and large enough to hold the row's whole demand. Rows are never merged: two identical rows
may go to different sites.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._milp import MilpProblem
from .._result import Solution
from ..arrays import BoolArray, FloatArray, IntArray
from ..coverage import Sites
from ._pairs import modelled_pairs

#: Relative slack when comparing a demand with a capacity (both in weight units).
_FIT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Assignment:
    """Pairs (modelled row, allowed site) along which a row may be assigned whole.

    Attributes
    ----------
    rows
        The demand rows in the model (reachable, weight > 0), as indices of the caller's rows.
    w
        Weight of each modelled row (weight units).
    columns
        Site index of each allowed column; the first ``n_new`` are candidates (open/close
        decision), the rest existing sites (always open).
    n_new
        Number of candidate columns.
    capacity
        Capacity of each column (weight units).
    pair_row, pair_col
        Modelled row and column of each pair, sorted by row then column.
    pair_cost
        Objective coefficient of each pair: the cost of serving the whole row from the site.
    """

    rows: IntArray
    w: FloatArray
    columns: IntArray
    n_new: int
    capacity: FloatArray
    pair_row: IntArray
    pair_col: IntArray
    pair_cost: FloatArray

    @property
    def n_pairs(self) -> int:
        return int(self.pair_row.size)

    def with_cost(self, pair_cost: FloatArray) -> Assignment:
        """The same pairs with other objective coefficients."""
        return Assignment(self.rows, self.w, self.columns, self.n_new, self.capacity,
                          self.pair_row, self.pair_col, pair_cost)

    def with_pairs(self, keep: BoolArray) -> Assignment:
        """The same rows and sites with only the pairs ``keep``."""
        return Assignment(self.rows, self.w, self.columns, self.n_new, self.capacity,
                          self.pair_row[keep], self.pair_col[keep], self.pair_cost[keep])

    def problem(
        self, *, serve_all: bool, limit_row: FloatArray, limit: tuple[float, float]
    ) -> MilpProblem:
        r"""The MILP over ``[y (n_new), x (one per pair)]``, all binary.

        Rows, in order: one assignment row per modelled row (:math:`\sum_j x_{ij} = 1`, or
        :math:`\le 1` when not ``serve_all``); one capacity row per column
        (:math:`\sum_i w_i x_{ij} - Q_j y_j \le 0`, or :math:`\le Q_j` for an existing site);
        one link row :math:`x_{ij} - y_j \le 0` per pair at a candidate; the row
        ``limit[0] <= limit_row . y <= limit[1]`` (number or cost of new sites).
        """
        g, a, k = self.rows.size, self.columns.size, self.n_new
        e = self.n_pairs
        x = k + np.arange(e)
        at_new = np.flatnonzero(self.pair_col < k)
        link = g + a + np.arange(at_new.size)
        last = g + a + at_new.size
        rows = np.concatenate((self.pair_row, g + self.pair_col, g + np.arange(k), link, link,
                               np.full(k, last)))
        cols = np.concatenate((x, x, np.arange(k), x[at_new], self.pair_col[at_new],
                               np.arange(k)))
        vals = np.concatenate((np.ones(e), self.w[self.pair_row], -self.capacity[:k],
                               np.ones(at_new.size), -np.ones(at_new.size), limit_row))
        A = sp.csr_array(sp.coo_array((vals, (rows, cols)), shape=(last + 1, k + e)))
        row_lower = np.concatenate((np.ones(g) if serve_all else np.full(g, -np.inf),
                                    np.full(a + at_new.size, -np.inf), [limit[0]]))
        row_upper = np.concatenate((np.ones(g), np.zeros(k), self.capacity[k:],
                                    np.zeros(at_new.size), [limit[1]]))
        return MilpProblem(
            np.concatenate((np.zeros(k), self.pair_cost)), A, row_lower, row_upper,
            np.zeros(k + e), np.ones(k + e), np.ones(k + e, dtype=np.bool_),
        )

    def start(self, column_of_row: IntArray, open_new: BoolArray) -> FloatArray:
        """The variable vector of an assignment (column per modelled row, -1: unserved)."""
        served = np.flatnonzero(column_of_row >= 0)
        pair = _pair_index(self, served, column_of_row[served])
        v = np.zeros(self.n_new + self.n_pairs)
        v[: self.n_new] = open_new
        v[self.n_new + pair] = 1.0
        return v

    def column_of_rows(self, x: FloatArray) -> IntArray:
        """Each modelled row's column in the variable vector ``x`` (-1 when unserved)."""
        chosen = x[self.n_new:] > 0.5
        out = np.full(self.rows.size, -1, dtype=np.int64)
        out[self.pair_row[chosen]] = self.pair_col[chosen]
        return out

    def solution(
        self, problem_name: str, x: FloatArray, n_rows: int, sites: Sites, **fields: object
    ) -> Solution:
        """A Solution from the model's variables: each row's site, -1 when unserved."""
        chosen = self.columns[: self.n_new][x[: self.n_new] > 0.5]
        column = self.column_of_rows(x)
        assignment = np.full(n_rows, -1, dtype=np.int64)
        served = column >= 0
        assignment[self.rows[served]] = self.columns[column[served]]
        return Solution(
            problem=problem_name, sites=np.union1d(sites.existing, chosen), new_sites=chosen,
            assignment=assignment, **fields,  # type: ignore[arg-type]
        )


def _pair_index(model: Assignment, row: IntArray, col: IntArray) -> IntArray:
    """Index of each pair (row, col); pairs are sorted by row then column."""
    key = model.pair_row * model.columns.size + model.pair_col
    index = np.searchsorted(key, row * model.columns.size + col)
    if index.size and (index.max() >= key.size or (key[index] != row * model.columns.size + col)
                       .any()):
        msg = "an assignment uses a (row, site) pair the model does not have"
        raise ValueError(msg)
    return index.astype(np.int64)


def assignment_pairs(
    pairs: sp.csr_array, w: FloatArray, sites: Sites, capacity: FloatArray
) -> tuple[Assignment, IntArray, IntArray]:
    """The single-source model of ``pairs`` (demand × all sites, data = cost of the pair).

    Returns the model (pair costs as stored in ``pairs``), the rows no allowed site reaches and
    the reachable rows of positive weight that no reachable site is large enough to hold.
    """
    sub, rows, columns, unreachable = modelled_pairs(pairs, w, sites)
    row_of = np.repeat(np.arange(rows.size), np.diff(sub.indptr))
    col_cap = capacity[columns]
    fits = w[rows][row_of] <= col_cap[sub.indices] * (1 + _FIT_TOLERANCE)
    too_big = np.setdiff1d(np.arange(rows.size), row_of[fits])
    model = Assignment(
        rows=rows, w=w[rows], columns=columns, n_new=int(sites.candidates.size),
        capacity=col_cap, pair_row=row_of[fits], pair_col=sub.indices[fits].astype(np.int64),
        pair_cost=sub.data[fits].astype(np.float64),
    )
    return model, unreachable, rows[too_big]


def greedy_assignment(model: Assignment, open_columns: BoolArray) -> IntArray:
    """Assign rows whole to open columns, heaviest rows first, each to its cheapest open column
    with room left (ties to the lowest column); a row that fits nowhere stays unserved (-1).

    A feasible start for the solver, not an optimum: it respects every capacity.
    """
    room = np.where(open_columns, model.capacity, -np.inf)
    out = np.full(model.rows.size, -1, dtype=np.int64)
    open_pair = open_columns[model.pair_col]
    starts = np.searchsorted(model.pair_row, np.arange(model.rows.size + 1))
    for r in np.lexsort((np.arange(model.rows.size), -model.w)):
        e = np.arange(starts[r], starts[r + 1])
        e = e[open_pair[e] & (room[model.pair_col[e]] >= model.w[r] * (1 - _FIT_TOLERANCE))]
        if e.size:
            best = e[np.lexsort((model.pair_col[e], model.pair_cost[e]))[0]]
            out[r] = model.pair_col[best]
            room[out[r]] -= model.w[r]
    return out
