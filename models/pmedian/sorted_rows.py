"""Each demand row's reachable sites, sorted by cost: the data structure of the p-median code.

A cost matrix (dense or sparse) becomes flat CSR-like arrays in which the entries of a row are
sorted by cost (ties by site index). Every p-median step then reads "the sites closer than a
threshold" as a boolean mask over these flat arrays, with no Python loop over rows or pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..arrays import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class SortedRows:
    """Reachable (row, site, cost) entries, grouped by row and sorted by cost within a row.

    Attributes
    ----------
    indptr
        Row ``i`` owns entries ``indptr[i]:indptr[i + 1]``.
    site, cost, row
        Site index, cost (model units) and row index of each entry.
    n_sites
        Number of columns of the original matrix.
    """

    indptr: IntArray
    site: IntArray
    cost: FloatArray
    row: IntArray
    n_sites: int

    @property
    def n_rows(self) -> int:
        return int(self.indptr.size - 1)

    @property
    def counts(self) -> IntArray:
        return np.diff(self.indptr)

    def entries_of(self, rows: IntArray) -> IntArray:
        """Flat entry indices of ``rows`` (in row order, each row's entries sorted by cost)."""
        starts = self.indptr[rows]
        return ranges(starts, self.indptr[rows + 1] - starts)

    def first_cost(self) -> FloatArray:
        """Each row's smallest cost (its first entry); inf for a row without entries."""
        has = self.counts > 0
        out = np.full(self.n_rows, np.inf)
        out[has] = self.cost[self.indptr[:-1][has]]
        return out

    def ends(self, *, last: bool) -> BoolArray:
        """Flags, per entry, of each non-empty row's first (or last) entry."""
        out = np.zeros(self.site.size, dtype=np.bool_)
        out[(self.indptr[1:] - 1 if last else self.indptr[:-1])[self.counts > 0]] = True
        return out

    def restricted(self, keep: BoolArray) -> SortedRows:
        """The same rows holding only the entries flagged in ``keep``."""
        row = self.row[keep]
        indptr = offsets(np.bincount(row, minlength=self.n_rows))
        return SortedRows(indptr, self.site[keep], self.cost[keep], row, self.n_sites)

    def subset(self, rows: IntArray, cap: FloatArray) -> SortedRows:
        """Rows ``rows``, renumbered in that order, keeping their entries cheaper than ``cap``
        (one per kept row; entries beyond the caps these rows were built with are gone)."""
        e = self.entries_of(rows)
        row = np.repeat(np.arange(rows.size, dtype=np.int64), self.counts[rows])
        keep = self.cost[e] < cap[row]
        e, row = e[keep], row[keep]
        indptr = offsets(np.bincount(row, minlength=rows.size))
        return SortedRows(indptr, self.site[e], self.cost[e], row, self.n_sites)


def offsets(counts: IntArray) -> IntArray:
    """Where each of consecutive groups of ``counts`` items starts, then the total (CSR
    ``indptr``)."""
    out = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def ranges(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenation of ``arange(s, s + n)`` for each pair, without a Python loop."""
    shift = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return np.arange(int(lengths.sum()), dtype=np.int64) + shift


def sorted_rows(
    cost: FloatArray | sp.csr_array, *, allowed: BoolArray, cap: FloatArray
) -> SortedRows:
    """Entries of ``cost`` whose site is ``allowed`` and whose cost is below the row's ``cap``.

    A stored sparse entry is a real pair even when it is 0; a missing one is unreachable.
    """
    n, m = cost.shape
    if sp.issparse(cost):
        csr = sp.csr_array(cost)
        row = np.repeat(np.arange(n, dtype=np.int64), np.diff(csr.indptr))
        site = csr.indices.astype(np.int64)
        value = csr.data.astype(np.float64)
        keep = allowed[site] & (value < cap[row])
        row, site, value = row[keep], site[keep], value[keep]
        order = np.lexsort((site, value, row))
        row, site, value = row[order], site[order], value[order]
    else:
        dense = np.asarray(cost, dtype=np.float64)
        cols = np.flatnonzero(allowed)
        sub = dense[:, cols]
        order2 = np.argsort(sub, axis=1, kind="stable")
        value2 = np.take_along_axis(sub, order2, axis=1)
        keep = value2 < cap[:, None]
        row = np.repeat(np.arange(n, dtype=np.int64), keep.sum(axis=1))
        site = cols[order2[keep]].astype(np.int64)
        value = value2[keep]
    return SortedRows(offsets(np.bincount(row, minlength=n)), site, value, row, m)


def first_positions(rows: SortedRows, flags: BoolArray, count: int) -> IntArray:
    """Per row, the entry indices of its first ``count`` flagged entries (-1 where missing).

    Returns an ``(n_rows, count)`` array; with ``flags`` = "site is open" this gives each
    row's nearest and second-nearest open sites.
    """
    hits = np.flatnonzero(flags)
    first = np.searchsorted(hits, rows.indptr[:-1])
    out = np.full((rows.n_rows, count), -1, dtype=np.int64)
    if hits.size == 0:
        return out
    for k in range(count):
        at = first + k
        pos = hits[np.minimum(at, hits.size - 1)]
        valid = (at < hits.size) & (pos < rows.indptr[1:])
        out[:, k] = np.where(valid, pos, -1)
    return out


def sum_by(index: IntArray, values: FloatArray, size: int) -> FloatArray:
    """``out[k] = sum(values[index == k])`` for ``k < size``, always float64 (even if empty)."""
    return np.bincount(index, weights=values, minlength=size).astype(np.float64, copy=False)


def segment_cumsum(rows: SortedRows, values: FloatArray) -> FloatArray:
    """Cumulative sum of ``values`` (one per entry) restarted at the start of each row."""
    total = np.cumsum(values, dtype=np.float64)
    before = np.concatenate(([0.0], total))[rows.indptr[:-1]]
    out: FloatArray = total - np.repeat(before, rows.counts)
    return out


@dataclass(frozen=True)
class MedianCore:
    """The p-median left to optimise once fixed parts are folded in.

    Choose ``q`` sites among ``candidate`` to minimise ``sum_i weight[i] * min(fallback[i],
    min_{j open} cost[i, j])``. ``fallback`` is what a row pays when no open candidate is
    closer: its nearest existing site, the unserved penalty, the row's farthest candidate when
    the row reaches every candidate, or a big-M when it must be covered (``must_cover``). Only
    entries cheaper than the fallback are stored in ``rows``.
    """

    rows: SortedRows
    weight: FloatArray
    fallback: FloatArray
    must_cover: BoolArray
    candidate: BoolArray
    q: int

    def nearest(self, is_open: BoolArray) -> tuple[IntArray, FloatArray]:
        """Entry index of each row's nearest open site (-1: fallback) and the row's cost."""
        pos = first_positions(self.rows, is_open[self.rows.site], 1)[:, 0]
        if self.rows.cost.size == 0:
            return pos, self.fallback.copy()
        cost = np.where(pos >= 0, self.rows.cost[np.maximum(pos, 0)], self.fallback)
        return pos, cost

    def objective(self, is_open: BoolArray) -> float:
        return float(self.weight @ self.nearest(is_open)[1])

    def trivial_bound(self) -> float:
        """Every row pays at least its cheapest entry (or its fallback)."""
        return float(self.weight @ np.minimum(self.rows.first_cost(), self.fallback))
