"""Coverage matrices: which candidate sites cover which demand rows.

A covering model sees a demand × site boolean CSR matrix. It is built either from a coverage
matrix given directly or from a cost matrix and a cutoff (a pair covers when its cost is at most
the cutoff). Each stored pair keeps its travel cost so that demand rows can be assigned to their
nearest covering open site. Identical demand rows are merged (weights summed) before a model is
built: they have the same constraints, so merging them is exact and shrinks the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._errors import ModelInputError
from ._validate import check_cost_matrix
from .arrays import BoolArray, FloatArray, IntArray

#: Seed of the random column keys used to hash rows; fixed so that merging is deterministic.
_HASH_SEED = 20_240_901


@dataclass(frozen=True)
class Coverage:
    """Which sites cover which demand rows, with the travel cost of each covering pair.

    Attributes
    ----------
    matrix
        Boolean CSR array, demand × sites, sorted indices; a stored entry covers.
    cost
        Travel cost of each stored pair, aligned with ``matrix.indices``; zeros when the caller
        gave a coverage matrix without costs (ties then go to the lowest site index).
    """

    matrix: sp.csr_array
    cost: FloatArray

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.matrix.shape[0]), int(self.matrix.shape[1]))


def all_pairs(cost: FloatArray | sp.csr_array) -> sp.csr_array:
    """Return a validated cost matrix as CSR, keeping every dense entry including zeros.

    ``scipy.sparse`` drops zeros when it converts a dense array, but a zero cost is a real pair
    (a site on the demand point), so the dense case is laid out entry by entry.
    """
    if sp.issparse(cost):
        return sp.csr_array(cost)
    n, m = cost.shape
    return sp.csr_array(
        (cost.ravel().copy(), np.tile(np.arange(m), n), np.arange(n + 1) * m), shape=(n, m)
    )


def select(pairs: sp.csr_array, keep: BoolArray) -> sp.csr_array:
    """The stored entries of ``pairs`` where ``keep`` (aligned with ``pairs.data``) is True.

    Unlike arithmetic on sparse arrays this keeps stored zeros, which are real pairs.
    """
    row_of = np.repeat(np.arange(pairs.shape[0]), np.diff(pairs.indptr))
    indptr = np.concatenate(([0], np.cumsum(np.bincount(row_of[keep], minlength=pairs.shape[0]))))
    return sp.csr_array((pairs.data[keep], pairs.indices[keep], indptr), shape=pairs.shape)


def within(pairs: sp.csr_array, cutoff: float) -> Coverage:
    """Coverage of the pairs in the CSR cost matrix ``pairs`` whose cost is at most ``cutoff``."""
    near = select(pairs, pairs.data <= cutoff)
    matrix = sp.csr_array(
        (np.ones(near.nnz, dtype=np.bool_), near.indices, near.indptr), shape=near.shape
    )
    return Coverage(matrix, near.data + 0.0)


def coverage(matrix: object, *, cutoff: float | None, name: str = "matrix") -> Coverage:
    """Validate ``matrix`` and return its coverage.

    Parameters
    ----------
    matrix
        Demand × candidate sites. With ``cutoff=None`` a coverage matrix: dense entries that are
        True or nonzero cover; in a sparse matrix the stored nonzero entries cover. With a cutoff,
        a cost matrix (e.g. minutes of walking): a pair covers when its cost is at most the
        cutoff, and in a sparse cost matrix a stored 0 is a real pair and covers.
    cutoff
        Largest covering cost, in the units of ``matrix``; None when ``matrix`` is a coverage
        matrix.
    """
    if cutoff is not None:
        limit = float(cutoff)
        if not np.isfinite(limit) or limit < 0:
            msg = f"cutoff must be a finite cost ≥ 0 (same units as {name}), got {cutoff!r}"
            raise ModelInputError(msg)
        return within(all_pairs(check_cost_matrix(matrix, name=name)), limit)
    if sp.issparse(matrix):
        csr = sp.csr_array(cast(sp.csr_array, matrix))
        csr.sum_duplicates()
        if csr.ndim != 2 or 0 in csr.shape:
            msg = f"{name} must be a non-empty 2-D coverage matrix, got shape {csr.shape}"
            raise ModelInputError(msg)
        covers = csr.data != 0
        if np.issubdtype(csr.data.dtype, np.floating) and np.isnan(csr.data).any():
            msg = f"{name} holds NaN entries; a coverage matrix holds True/False or 1/0"
            raise ModelInputError(msg)
        csr = sp.csr_array((covers, csr.indices, csr.indptr), shape=csr.shape)
        csr.eliminate_zeros()
        csr.sort_indices()
        return Coverage(csr, np.zeros(csr.nnz))
    dense = np.asarray(matrix)
    if dense.ndim != 2 or 0 in dense.shape:
        msg = f"{name} must be a non-empty 2-D coverage matrix, got shape {dense.shape}"
        raise ModelInputError(msg)
    if not (dense.dtype == np.bool_ or np.issubdtype(dense.dtype, np.number)):
        msg = f"{name} must hold True/False or numbers, got dtype {dense.dtype}"
        raise ModelInputError(msg)
    if np.issubdtype(dense.dtype, np.floating) and np.isnan(dense).any():
        msg = f"{name} holds NaN entries; a coverage matrix holds True/False or 1/0"
        raise ModelInputError(msg)
    csr = sp.csr_array(dense != 0)
    return Coverage(csr, np.zeros(csr.nnz))


def _mix(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The splitmix64 finalizer: spreads every input bit over the whole word.

    Float bits of round costs end in long runs of zeros, which a plain multiply would lose.
    """
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def merge_rows(
    matrix: sp.csr_array, weights: FloatArray, key: IntArray | None = None,
) -> tuple[sp.csr_array, FloatArray, IntArray]:
    """Merge identical rows (same stored columns and values), summing their weights.

    Rows are grouped by a seeded hash and then compared entry by entry, so only truly identical
    rows are ever merged. With ``key`` (one integer per row, e.g. a community), rows with
    different keys are never merged and merged rows come sorted by key. Returns the merged
    matrix, the merged weights and, for each input row, the index of its merged row. Merged rows
    appear in a deterministic order.
    """
    n = matrix.shape[0]
    if n == 0:
        return matrix, weights, np.empty(0, dtype=np.int64)
    rng = np.random.default_rng(_HASH_SEED)
    keys = rng.integers(1, 2**64 - 1, size=(2, matrix.shape[1]), dtype=np.uint64, endpoint=True)
    bits = (np.asarray(matrix.data, dtype=np.float64) + 0.0).view(np.uint64)  # -0.0 → 0.0
    terms = np.stack((keys[0][matrix.indices], _mix(keys[1][matrix.indices] ^ bits)))
    # uint64 sums wrap around, which is what a hash wants.
    sums = np.zeros((2, terms.shape[1] + 1), dtype=np.uint64)
    np.cumsum(terms, axis=1, dtype=np.uint64, out=sums[:, 1:])
    h = sums[:, matrix.indptr[1:]] - sums[:, matrix.indptr[:-1]]
    nnz = np.diff(matrix.indptr)
    label = np.zeros(n, dtype=np.int64) if key is None else np.asarray(key, dtype=np.int64)
    order = np.lexsort((np.arange(n), h[1], h[0], nnz, label))
    s = sp.csr_array(matrix[order]).astype(np.float64)
    # Neighbours in hash order are compared exactly: their values, and their patterns because a
    # stored zero (a real pair) vanishes from a difference of values.
    pattern = sp.csr_array((np.ones(s.nnz), s.indices, s.indptr), shape=s.shape)
    same = label[order][1:] == label[order][:-1]
    for m in (s, pattern):
        diff = sp.csr_array(m[1:] - m[:-1])
        diff.eliminate_zeros()
        same &= np.diff(diff.indptr) == 0
    first = np.concatenate(([True], ~same))
    group_sorted = np.cumsum(first) - 1
    group = np.empty(n, dtype=np.int64)
    group[order] = group_sorted
    merged = sp.csr_array(matrix[order[first]])
    merged.sort_indices()
    merged_weights = np.bincount(group, weights=weights, minlength=merged.shape[0])
    return merged, merged_weights.astype(np.float64), group


def covered_by(matrix: sp.csr_array, sites: IntArray) -> BoolArray:
    """Rows of ``matrix`` that at least one of ``sites`` covers."""
    mask = np.zeros(matrix.shape[1], dtype=np.bool_)
    mask[sites] = True
    return np.asarray(matrix @ mask.astype(np.float64)) > 0


def nearest_open(cov: Coverage, sites: IntArray) -> tuple[IntArray, FloatArray]:
    """For each demand row, the nearest covering site among ``sites`` and its cost.

    Ties go to the lowest site index; rows no site in ``sites`` covers get -1 and ``inf``.
    """
    n = cov.shape[0]
    mask = np.zeros(cov.shape[1], dtype=np.bool_)
    mask[sites] = True
    row_of = np.repeat(np.arange(n), np.diff(cov.matrix.indptr))
    keep = mask[cov.matrix.indices]
    rows, cols, cost = row_of[keep], cov.matrix.indices[keep], cov.cost[keep]
    order = np.lexsort((cols, cost, rows))
    rows, cols, cost = rows[order], cols[order], cost[order]
    first = np.concatenate(([True], rows[1:] != rows[:-1])) if rows.size else rows.astype(bool)
    site = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    site[rows[first]] = cols[first]
    dist[rows[first]] = cost[first]
    return site, dist
