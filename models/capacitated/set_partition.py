"""The set-partitioning master of a single-source capacitated p-median, with subset-row cuts.

A column is a site and the set of rows it serves whole (their weights within its capacity), at
the sum of the pairs' costs. The master LP chooses columns so that every row is served once
(cover rows ``= 1``, each with an artificial column at a large cost so that every node's LP is
feasible), each site has at most one column (site rows ``<= 1``, ``= 1`` when a branch opens
it), and ``new`` candidate sites are open (the count row; an empty column per candidate site
lets a site open with nothing to serve). Its LP bound is the Dantzig-Wolfe bound of the
knapsack decomposition.

Subset-row cuts (Jepsen, Petersen, Spoorendonk & Pisinger 2008): for a set ``R`` of three rows,
at most one chosen column serves two of them, ``sum floor(|S ∩ R| / 2) x_S <= 1``: valid for
every set partition, and they cut off what the LP does with many columns each half-chosen.
They lift the bound where branching alone crawls (pmedcap20: 973.65 to about 1002, the optimum
1005), at the price of pricing with penalties (:mod:`.set_pricing`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._milp import new_highs
from ..arrays import BoolArray, FloatArray, IntArray
from .assignment import Assignment

#: Columns of the pool are held in blocks of this many (the membership matrix grows by blocks).
_BLOCK = 4096
#: HiGHS simplex strategies: primal after new columns (the basis stays primal feasible), dual
#: after new cuts or bounds (it stays dual feasible).
_PRIMAL, _DUAL = 4, 1
#: Most new cuts a row takes part in per separation round (cuts spread over the rows).
_CUTS_PER_ROW = 5
#: A violated cut's left-hand side exceeds its right-hand side by more than this.
_VIOLATED = 1e-3


@dataclass(frozen=True)
class Decision:
    """A branching decision: site ``site`` open (1) or closed (0), or, with ``row >= 0``, row
    ``row`` served by ``site`` (1) or not (0)."""

    site: int
    row: int
    value: int


@dataclass(frozen=True)
class LpPoint:
    """A master LP solution: its value, the pool columns' values and the duals."""

    value: float
    x: FloatArray  # per pool column
    cover: FloatArray  # cover rows' duals
    site: FloatArray  # site rows' duals
    count: float  # the count row's dual
    cut: FloatArray  # cut rows' duals (<= 0)
    artificial: float  # weight of rows left to the artificial columns


class SetPartitionMaster:
    """The master LP over a growing pool of columns, kept in one HiGHS instance that re-solves
    from its last basis after columns, cuts or bounds change."""

    def __init__(self, model: Assignment, new: int) -> None:
        import highspy

        self.model = model
        self.new = new
        g, a = model.rows.size, model.columns.size
        self.n_rows, self.n_sites = g, a
        self.cuts: list[IntArray] = []
        self.in_cut = np.zeros((g, 0), dtype=np.int64)  # rows × cuts: 1 where the row is in it
        self.col_site = np.zeros(0, dtype=np.int64)
        self.col_cost = np.zeros(0)
        self._members = np.zeros((0, g), dtype=np.bool_)
        self._n_cols = 0
        self._seen: set[tuple[int, bytes]] = set()
        self._pair_key = model.pair_row * a + model.pair_col  # sorted: pairs by row, then site
        self.big = float(model.pair_cost.max(initial=0.0)) * 2 + 1.0
        inf = highspy.kHighsInf
        h = new_highs()
        h.setOptionValue("presolve", "off")
        h.setOptionValue("random_seed", 0)
        count_lower = [float(new)] if model.n_new else []
        lower = np.concatenate((np.ones(g), np.full(a, -inf), count_lower))
        upper = np.concatenate((np.ones(g), np.ones(a), count_lower))
        empty = np.zeros(0, dtype=np.int32)
        h.addRows(lower.size, lower, upper, 0, empty, empty, np.zeros(0))
        rows = np.arange(g, dtype=np.int32)
        h.addCols(g, np.full(g, self.big), np.zeros(g), np.full(g, inf), g, rows, rows,
                  np.ones(g))
        self.h = h
        self._count_row = g + a if model.n_new else -1
        self._first_cut_row = lower.size
        self._simplex = _PRIMAL
        self.add_columns(np.arange(model.n_new), [np.zeros(0, dtype=np.int64)] * model.n_new)

    @property
    def n_cols(self) -> int:
        """Columns in the pool (artificials not counted)."""
        return self._n_cols

    def members(self) -> BoolArray:
        """Pool columns × rows: the rows each column serves."""
        return self._members[: self._n_cols]

    def cut_coefficients(self, member: BoolArray) -> IntArray:
        """Coefficients of each cut for the sets ``member`` (sets × rows): how many pairs of
        the cut's rows each set serves, ``floor(|S ∩ R| / 2)``."""
        out: IntArray = (member.astype(np.int64) @ self.in_cut) // 2
        return out

    def add_columns(self, sites: IntArray, sets: list[IntArray]) -> int:
        """Add the columns (site, rows) not already in the pool; return how many were added."""
        import highspy

        keep_site, keep_rows = [], []
        for j, rows in zip(sites.tolist(), sets, strict=True):
            key = (int(j), np.sort(rows).astype(np.int64).tobytes())
            if key not in self._seen:
                self._seen.add(key)
                keep_site.append(int(j))
                keep_rows.append(np.sort(rows).astype(np.int64))
        if not keep_site:
            return 0
        n = len(keep_site)
        member = np.zeros((n, self.n_rows), dtype=np.bool_)
        for t, rows in enumerate(keep_rows):
            member[t, rows] = True
        site = np.asarray(keep_site, dtype=np.int64)
        cost = np.asarray([self._cost(j, rows) for j, rows in zip(keep_site, keep_rows,
                                                                   strict=True)])
        cuts = self.cut_coefficients(member)
        starts, index, value = [], [], []
        nnz = 0
        for t in range(n):
            cut_at = np.flatnonzero(cuts[t])
            rows = np.concatenate((keep_rows[t], [self.n_rows + site[t]],
                                   [self._count_row] if site[t] < self.model.n_new
                                   and self._count_row >= 0 else [],
                                   self._first_cut_row + cut_at)).astype(np.int32)
            vals = np.concatenate((np.ones(rows.size - cut_at.size), cuts[t, cut_at]))
            starts.append(nnz)
            index.append(rows)
            value.append(vals.astype(np.float64))
            nnz += rows.size
        self.h.addCols(n, cost, np.zeros(n), np.full(n, highspy.kHighsInf), nnz,
                       np.asarray(starts, dtype=np.int32), np.concatenate(index),
                       np.concatenate(value))
        self._grow(n)
        self._members[self._n_cols: self._n_cols + n] = member
        self.col_site = np.concatenate((self.col_site, site))
        self.col_cost = np.concatenate((self.col_cost, cost))
        self._n_cols += n
        self._simplex = _PRIMAL
        return n

    def _grow(self, n: int) -> None:
        if self._n_cols + n > self._members.shape[0]:
            extra = max(_BLOCK, n)
            self._members = np.concatenate(
                (self._members, np.zeros((extra, self.n_rows), dtype=np.bool_)))

    def _cost(self, site: int, rows: IntArray) -> float:
        """The cost of serving ``rows`` whole from ``site``."""
        m = self.model
        index = np.searchsorted(self._pair_key, rows * m.columns.size + site)
        return float(m.pair_cost[index].sum())

    def add_cuts(self, cuts: list[IntArray]) -> None:
        """Add subset-row cuts (each a set of three rows: at most one chosen column serves two)."""
        import highspy

        n, g = len(cuts), self.n_rows
        added = np.zeros((g, n), dtype=np.int64)
        for c, rows in enumerate(cuts):
            added[rows, c] = 1
            self.cuts.append(np.sort(rows).astype(np.int64))
        self.in_cut = np.concatenate((self.in_cut, added), axis=1)
        rows_of_cols = sp.csr_array((self.members().astype(np.int64) @ added // 2).T)
        self._simplex = _DUAL
        self.h.addRows(n, np.full(n, -highspy.kHighsInf), np.ones(n), rows_of_cols.nnz,
                       rows_of_cols.indptr[:-1].astype(np.int32),
                       (g + rows_of_cols.indices).astype(np.int32),
                       rows_of_cols.data.astype(np.float64))

    def drop_cuts(self, drop: BoolArray) -> None:
        """Remove cuts (their rows) from the master."""
        at = np.flatnonzero(drop)
        if at.size == 0:
            return
        self.h.deleteRows(at.size, (self._first_cut_row + at).astype(np.int32))
        self.cuts = [c for c, gone in zip(self.cuts, drop, strict=True) if not gone]
        self.in_cut = self.in_cut[:, ~drop]
        self._simplex = _DUAL

    def restrict(self, decisions: tuple[Decision, ...]) -> None:
        """Set the site rows' and the pool columns' bounds to the node of ``decisions``."""
        import highspy

        a, g = self.n_sites, self.n_rows
        lower, upper = site_bounds(decisions, self.model)
        self.h.changeRowsBounds(a, (g + np.arange(a)).astype(np.int32), lower, upper)
        upper_col = np.where(self.banned(decisions), 0.0, highspy.kHighsInf)
        idx = (g + np.arange(self._n_cols)).astype(np.int32)
        self.h.changeColsBounds(idx.size, idx, np.zeros(idx.size), upper_col)
        self._simplex = _DUAL

    def banned(self, decisions: tuple[Decision, ...]) -> BoolArray:
        """Pool columns a node of ``decisions`` may not use."""
        members, site = self.members(), self.col_site
        out = np.zeros(self._n_cols, dtype=np.bool_)
        for d in decisions:
            if d.row < 0:
                if d.value == 0:
                    out |= site == d.site
            elif d.value == 0:
                out |= (site == d.site) & members[:, d.row]
            else:
                out |= (site != d.site) & members[:, d.row]
                out |= (site == d.site) & ~members[:, d.row]
        return out

    def solve(self, seconds: float | None) -> LpPoint | None:
        """Solve the LP from the last basis; None when it is infeasible or stops early."""
        import highspy

        h = self.h
        h.setOptionValue("simplex_strategy", self._simplex)
        # HiGHS counts an instance's time limit from its creation, over all its runs.
        h.setOptionValue("time_limit", np.inf if seconds is None
                         else float(h.getRunTime()) + max(seconds, 1e-3))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        s = h.getSolution()
        x = np.asarray(s.col_value, dtype=np.float64)
        dual = np.asarray(s.row_dual, dtype=np.float64)
        g, a = self.n_rows, self.n_sites
        return LpPoint(
            value=float(h.getInfo().objective_function_value), x=x[g:], cover=dual[:g],
            site=dual[g: g + a], count=float(dual[self._count_row]) if self._count_row >= 0
            else 0.0, cut=dual[self._first_cut_row:], artificial=float(x[:g].sum()),
        )

    def violated_cuts(self, x: FloatArray, most: int) -> list[IntArray]:
        """Up to ``most`` subset-row cuts on three rows that ``x`` violates, most violated first,
        none already in the master, no row in more than `_CUTS_PER_ROW` of them."""
        chosen = np.flatnonzero(x > 1e-9)
        if chosen.size == 0:
            return []
        b = self.members()[chosen].astype(np.float64)
        weight = x[chosen]
        pair = (b * weight[:, None]).T @ b  # rows × rows: weight of columns serving both
        first, second = np.nonzero(np.triu(pair > 1e-9, 1))
        if first.size == 0:
            return []
        both = b[:, first] * b[:, second] * weight[:, None]  # columns × pairs
        three = both.T @ b  # pairs × rows: weight of columns serving all three
        lhs = pair[first, second][:, None] + pair[first] + pair[second] - 2 * three
        third = np.arange(self.n_rows)
        lhs[third[None, :] <= second[:, None]] = 0.0
        at_pair, at_row = np.nonzero(lhs > 1 + _VIOLATED)
        order = np.lexsort((at_row, at_pair, -lhs[at_pair, at_row]))
        known = {tuple(c.tolist()) for c in self.cuts}
        used = np.zeros(self.n_rows, dtype=np.int64)
        out: list[IntArray] = []
        for t in order:
            cut = np.array([first[at_pair[t]], second[at_pair[t]], at_row[t]], dtype=np.int64)
            if tuple(cut.tolist()) in known or used[cut].max() >= _CUTS_PER_ROW:
                continue
            out.append(cut)
            used[cut] += 1
            if len(out) >= most:
                break
        return out

    def drop_columns(self, drop: BoolArray) -> None:
        """Remove pool columns from the LP (pricing adds one again when it prices out)."""
        at = np.flatnonzero(drop)
        if at.size == 0:
            return
        for c in at:
            rows = np.flatnonzero(self._members[c])
            self._seen.discard((int(self.col_site[c]), rows.astype(np.int64).tobytes()))
        self.h.deleteCols(at.size, (self.n_rows + at).astype(np.int32))
        keep = np.flatnonzero(~drop)
        self._members = self._members[keep].copy()
        self.col_site = self.col_site[keep]
        self.col_cost = self.col_cost[keep]
        self._n_cols = keep.size

    def reduced_costs(self, lp: LpPoint) -> FloatArray:
        """Each pool column's reduced cost at the duals of ``lp``."""
        members = self.members()
        new = self.col_site < self.model.n_new
        return (self.col_cost - members @ lp.cover - lp.site[self.col_site] - new * lp.count
                - self.cut_coefficients(members) @ lp.cut)


def site_bounds(decisions: tuple[Decision, ...], model: Assignment) -> tuple[FloatArray,
                                                                            FloatArray]:
    """Lower and upper bounds of each site's row (how many of its columns may be chosen)."""
    a = model.columns.size
    lower, upper = np.zeros(a), np.ones(a)
    for d in decisions:
        if d.row < 0:
            (lower if d.value else upper)[d.site] = float(d.value)
        elif d.value == 1:
            lower[d.site] = 1.0
    return lower, upper
