"""Dominance reductions of a set covering problem, before any solver sees it.

A set covering problem is a 0/1 matrix ``A`` (rows to cover × columns) and column costs.
Two classic reductions (Toregas & ReVelle 1973; Beasley 1987) keep the optimum value:

- **row dominance**: when row ``k``'s columns are a subset of row ``i``'s, any cover of ``k``
  covers ``i``, so row ``i`` goes;
- **column dominance**: when column ``l`` covers every remaining row that column ``j`` covers
  and costs no more, any cover using ``j`` stays a cover, no dearer, with ``l`` instead, so
  column ``j`` goes (equal columns: the lower index stays, for determinism).

Each removal can enable the other, so both run until nothing changes. A cover of the reduced
problem covers the original one, its optimum is the original optimum, and the LP bound of the
reduced problem is a valid bound of the original. Subset tests use the sparse products
``A Aᵀ`` and ``Aᵀ A``: row ``k`` ⊆ row ``i`` exactly when their overlap equals ``|k|``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .arrays import BoolArray, FloatArray, IntArray

#: Passes of row then column dominance at most (each pass is two sparse products).
MAX_PASSES = 10
#: Skip the reductions when the products would hold more pairs than this (dense coverage:
#: every site covering most rows), where they cost more than they save.
MAX_PAIRS = 20_000_000


@dataclass(frozen=True)
class ReducedCover:
    """The rows and columns of ``A`` left after the reductions (indices into the original)."""

    rows: IntArray
    columns: IntArray

    def matrix(self, A: sp.csr_array) -> sp.csr_array:
        return sp.csr_array(A[self.rows][:, self.columns])


def reduce_cover(A: sp.csr_array, costs: FloatArray) -> ReducedCover:
    """Drop dominated rows and columns of the covering matrix ``A`` (values > 0 cover).

    Every row must have at least one column; the result keeps that true. Nothing is reduced
    when the subset tests would be too large (see :data:`MAX_PAIRS`).
    """
    rows = np.arange(A.shape[0])
    columns = np.arange(A.shape[1])
    per_row, per_column = np.diff(A.indptr), np.bincount(A.indices, minlength=A.shape[1])
    if max(per_row @ per_row, per_column @ per_column) > MAX_PAIRS:
        return ReducedCover(rows, columns)
    pattern = sp.csr_array((np.ones(A.nnz), A.indices, A.indptr), shape=A.shape)
    pattern.eliminate_zeros()
    for _ in range(MAX_PASSES):
        current = sp.csr_array(pattern[rows][:, columns])
        keep_rows = _minimal_rows(current)
        current = sp.csr_array(current[keep_rows])
        keep_columns = _undominated_columns(current, costs[columns])
        rows, columns = rows[keep_rows], columns[keep_columns]
        if keep_rows.all() and keep_columns.all():
            break
    return ReducedCover(rows, columns)


def _minimal_rows(A: sp.csr_array) -> BoolArray:
    """Rows not implied by another row (no other row's columns are a subset of theirs)."""
    size = np.diff(A.indptr).astype(np.float64)
    overlap = sp.coo_array(A @ A.T)
    i, k = overlap.row, overlap.col
    # row k ⊆ row i; of two equal rows, the higher index goes
    implied = (i != k) & (overlap.data == size[k]) & ((size[i] > size[k]) | (i > k))
    keep = np.ones(A.shape[0], dtype=np.bool_)
    keep[i[implied]] = False
    return keep


def _undominated_columns(A: sp.csr_array, costs: FloatArray) -> BoolArray:
    """Columns no other column dominates (covers a superset of its rows for no more)."""
    At = sp.csr_array(A.T)
    size = np.diff(At.indptr).astype(np.float64)
    keep = size > 0  # a column covering no remaining row is never needed
    overlap = sp.coo_array(At @ A)
    j, l_ = overlap.row, overlap.col
    # column j's rows ⊆ column l's rows, l no dearer; of two equal columns at equal cost,
    # the higher index goes
    subset = (j != l_) & (overlap.data == size[j]) & (costs[l_] <= costs[j])
    strict = (size[l_] > size[j]) | (costs[l_] < costs[j]) | (l_ < j)
    keep[j[subset & strict]] = False
    return keep
