"""Pricing of the set-partitioning master: for each site, the set of rows it could serve whole
at the least reduced cost, with subset-row cuts priced in.

A column is a site ``j`` and a set ``S`` of rows whose weights fit its capacity. Its reduced
cost, less the site's and the count row's duals, is

    sum over i in S of (a_ij - pi_i)  +  sum over cuts R of rho_R * floor(|S ∩ R| / 2)

with ``pi`` the cover rows' duals and ``rho_R >= 0`` the cut's penalty (minus its dual). Without
cuts this is a 0-1 knapsack; the cuts add a penalty each time a set takes a second (fourth, …)
row of a cut. The search is a depth-first branch and bound per site over the rows of negative
``a_ij - pi_i`` (a row of non-negative value never lowers the cost: penalties are never
negative), ordered by value per weight unit, pruned by the Dantzig bound of the knapsack
without penalties: exact, and compiled with numba because it runs for every site in every
round of column generation.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

from ..arrays import BoolArray, FloatArray, IntArray

#: A row whose value ``a_ij - pi_i`` is not below minus this never enters a set.
_NEGATIVE = 1e-9
#: Relative slack when comparing a load with a capacity (weight units).
_FIT = 1e-9


@njit(cache=True)
def _dantzig(value: FloatArray, weight: FloatArray, start: int, room: float) -> float:
    """The knapsack LP bound on what items ``start:`` can add in ``room``: items taken whole by
    value per weight, the first that does not fit taken in part."""
    total = 0.0
    for k in range(start, value.size):
        if weight[k] <= room:
            total += value[k]
            room -= weight[k]
        else:
            total += value[k] * room / weight[k]
            break
    return total


@njit(cache=True)
def _take(row: int, sign: int, cut_ptr: IntArray, cut_idx: IntArray, penalty: FloatArray,
          count: IntArray) -> float:
    """Add (``sign`` 1) or remove (-1) ``row`` from the cut counts; the change of penalty."""
    change = 0.0
    for t in range(cut_ptr[row], cut_ptr[row + 1]):
        c = cut_idx[t]
        if sign > 0:
            count[c] += 1
            if count[c] % 2 == 0:
                change += penalty[c]
        else:
            if count[c] % 2 == 0:
                change -= penalty[c]
            count[c] -= 1
    return change


@njit(cache=True)
def _search(value: FloatArray, weight: FloatArray, rows: IntArray, room: float, start_value: float,
            cut_ptr: IntArray, cut_idx: IntArray, penalty: FloatArray,
            count: IntArray) -> tuple[float, BoolArray]:
    """Least ``start_value + sum(value[S]) + penalties`` over subsets ``S`` of the items that fit
    ``room``; items sorted by ``value / weight`` ascending. Returns the value and ``S``."""
    m = value.size
    best = start_value
    best_in = np.zeros(m, dtype=np.bool_)
    taken = np.zeros(m, dtype=np.bool_)
    step = np.zeros(m + 1, dtype=np.int8)
    depth = 0
    current = start_value
    left = room
    while depth >= 0:
        if depth == m:
            depth -= 1
            continue
        if step[depth] == 0:
            if current + _dantzig(value, weight, depth, left) >= best - 1e-12:
                depth -= 1
                continue
            step[depth] = 1
            if weight[depth] <= left:
                current += value[depth] + _take(rows[depth], 1, cut_ptr, cut_idx, penalty, count)
                left -= weight[depth]
                taken[depth] = True
                if current < best - 1e-12:
                    best = current
                    best_in[:] = taken
                step[depth + 1] = 0
                depth += 1
                continue
        if step[depth] == 1:
            if taken[depth]:
                current -= value[depth] - _take(rows[depth], -1, cut_ptr, cut_idx, penalty, count)
                left += weight[depth]
                taken[depth] = False
            step[depth] = 2
            step[depth + 1] = 0
            depth += 1
            continue
        depth -= 1
    return best, best_in


@njit(cache=True)
def _price(site_ptr: IntArray, site_rows: IntArray, site_cost: FloatArray, pair_rule: np.ndarray,
           weight: FloatArray, capacity: FloatArray, active: BoolArray, pi: FloatArray,
           cut_ptr: IntArray, cut_idx: IntArray, penalty: FloatArray,
           ) -> tuple[FloatArray, BoolArray]:
    """Every active site's least reduced cost and its set (a mask over the site's pairs)."""
    n_sites = site_ptr.size - 1
    out = np.full(n_sites, np.inf)
    chosen = np.zeros(site_rows.size, dtype=np.bool_)
    count = np.zeros(penalty.size, dtype=np.int64)
    for j in range(n_sites):
        if not active[j]:
            continue
        lo, hi = site_ptr[j], site_ptr[j + 1]
        start, room = 0.0, capacity[j]
        for e in range(lo, hi):
            if pair_rule[e] == 1:
                start += site_cost[e] - pi[site_rows[e]]
                start += _take(site_rows[e], 1, cut_ptr, cut_idx, penalty, count)
                room -= weight[site_rows[e]]
                chosen[e] = True
        if room < -_FIT * capacity[j]:
            for e in range(lo, hi):
                if pair_rule[e] == 1:
                    _take(site_rows[e], -1, cut_ptr, cut_idx, penalty, count)
                    chosen[e] = False
            continue
        room = max(room, 0.0) * (1 + _FIT)
        free = np.zeros(hi - lo, dtype=np.int64)
        ratio = np.zeros(hi - lo)
        m = 0
        for e in range(lo, hi):
            v = site_cost[e] - pi[site_rows[e]]
            if pair_rule[e] == 0 and v < -_NEGATIVE and weight[site_rows[e]] <= room:
                free[m] = e
                ratio[m] = v / weight[site_rows[e]]
                m += 1
        order = free[:m][np.argsort(ratio[:m], kind="mergesort")]
        value = np.empty(m)
        wt = np.empty(m)
        rows = np.empty(m, dtype=np.int64)
        for k in range(m):
            e = order[k]
            rows[k] = site_rows[e]
            value[k] = site_cost[e] - pi[rows[k]]
            wt[k] = weight[rows[k]]
        best, best_in = _search(value, wt, rows, room, start, cut_ptr, cut_idx, penalty, count)
        out[j] = best
        for k in range(m):
            if best_in[k]:
                chosen[order[k]] = True
        for e in range(lo, hi):
            if pair_rule[e] == 1:
                _take(site_rows[e], -1, cut_ptr, cut_idx, penalty, count)
    return out, chosen


def price_sites(
    site_ptr: IntArray, site_rows: IntArray, site_cost: FloatArray, pair_rule: np.ndarray,
    weight: FloatArray, capacity: FloatArray, active: BoolArray, pi: FloatArray,
    in_cut: IntArray, penalty: FloatArray,
) -> tuple[FloatArray, BoolArray]:
    """The least reduced cost (without the site's and the count row's duals) of each active
    site's best set, and the sets as a mask over the pairs.

    Parameters
    ----------
    site_ptr, site_rows, site_cost
        The pairs grouped by site (CSR: site ``j``'s rows are ``site_rows[site_ptr[j]:
        site_ptr[j + 1]]``) and the cost of serving each row whole from the site.
    pair_rule
        Per pair: 1 the row must be in the site's set, -1 it must not, 0 free (branching).
    weight, capacity
        Weight of each row and capacity of each site (weight units).
    active
        Sites to price (others get ``inf``).
    pi
        Dual of each row's cover constraint.
    in_cut, penalty
        Rows × subset-row cuts, nonzero where the row is in the cut; each cut's penalty (>= 0).

    Returns
    -------
    (values, mask)
        ``values[j]``: the least reduced cost at site ``j`` (``inf``: inactive or the rows it
        must serve do not fit); ``mask``: the rows of each site's best set.
    """
    keep = np.flatnonzero(penalty > 0)  # a cut of no penalty changes no set's value
    cuts_of_row = sp.csr_array(in_cut[:, keep], shape=(weight.size, keep.size))
    return _price(site_ptr, site_rows, site_cost, pair_rule.astype(np.int8), weight, capacity,
                  active, pi, cuts_of_row.indptr.astype(np.int64),
                  cuts_of_row.indices.astype(np.int64), np.ascontiguousarray(penalty[keep]))
