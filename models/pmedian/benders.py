r"""LP master of the Benders decomposition of Elloumi's p-median model, solved by cutting planes.

Duran-Mateluna, Ales & Elloumi (2023): variables :math:`y_j` (site open) and :math:`\theta_i`
(cost of row :math:`i`); for row :math:`i` and a distance level :math:`D` of that row,

.. math::

    \theta_i \ge D - \sum_{j: d_{ij} < D} (D - d_{ij})\, y_j, \qquad \sum_j y_j = q .

The most violated cut of a row sits at the first level where the cumulated :math:`y` of its
sorted sites reaches 1, so separation is one pass over the sorted entries. The master is one
HiGHS LP re-solved by dual simplex from its last basis after every round of cuts and every
change of bounds; :class:`BendersMaster` also reads fixings and Elloumi's reduction off its
duals, and can be copied for the parallel branch and bound (:mod:`.branch_and_bound`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from .._milp import new_highs
from .._result import OPTIMALITY_TOLERANCE
from ..arrays import FloatArray, IntArray
from ..clock import Clock
from .heuristics import open_mask
from .sorted_rows import MedianCore, offsets, ranges, segment_cumsum, sum_by

#: A cumulated LP opening at least this close to 1 counts as "served" in cut separation.
_SERVED = 1.0 - 1e-6
#: LP statuses after which a node cannot beat the incumbent.
PRUNED = (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kObjectiveBound)
OPTIMAL = highspy.HighsModelStatus.kOptimal
BASIC = highspy.HighsBasisStatus.kBasic


def fix_level(upper: float, integral: bool) -> float:
    """Cost above which a partial solution cannot beat ``upper`` by a meaningful amount.

    With integral data a better solution costs at most ``upper - 1``; otherwise it must beat
    ``upper`` by more than the optimality tolerance.
    """
    if integral:
        return upper - 1.0 + 1e-6
    return upper - 0.1 * OPTIMALITY_TOLERANCE * max(1.0, abs(upper))


@dataclass(frozen=True)
class Basis:
    """A basis of the master as plain lists of HiGHS statuses: one per column, one per row in
    row order."""

    cols: list[Any]
    rows: list[Any]


@dataclass(frozen=True)
class LPOutcome:
    """One solve of the master by cutting planes.

    ``bound`` is valid whatever the status (fewer cuts make a relaxation); ``x`` and
    ``reduced`` (column values and reduced costs) are empty unless ``status`` is optimal.
    """

    bound: float
    x: FloatArray
    reduced: FloatArray
    status: highspy.HighsModelStatus
    converged: bool = True


@dataclass(frozen=True)
class CutRows:
    """Cuts as sparse rows of the master: right-hand sides (the levels) and CSR entries."""

    level: FloatArray
    indptr: IntArray
    index: npt.NDArray[np.int32]
    value: FloatArray

    def take(self, ids: IntArray) -> CutRows:
        """The cuts numbered ``ids``, in that order."""
        lengths = np.diff(self.indptr)[ids]
        e = ranges(self.indptr[ids], lengths)
        return CutRows(self.level[ids], offsets(lengths), self.index[e], self.value[e])

    def extended(self, other: CutRows) -> CutRows:
        """These cuts, then ``other``."""
        return CutRows(np.concatenate((self.level, other.level)),
                       np.concatenate((self.indptr, self.indptr[-1] + other.indptr[1:])),
                       np.concatenate((self.index, other.index)),
                       np.concatenate((self.value, other.value)))


class BendersMaster:
    """The LP master over ``core``: columns ``y`` (one per site) then ``theta`` (one per row)."""

    def __init__(self, core: MedianCore, sites: IntArray, clock: Clock) -> None:
        self.core, self.clock = core, clock
        self.bound = core.trivial_bound()
        # client and level of every cut row, in row order, to read their duals back
        self.cut_client: list[IntArray] = []
        self.cut_level: list[FloatArray] = []
        self.duals, self.dual_value = np.empty(0), -np.inf
        rows = core.rows
        n, m = rows.n_rows, rows.n_sites
        self.m = m
        self.h = h = _new_lp()
        theta_lo = np.minimum(rows.first_cost(), core.fallback)
        theta_hi = np.where(rows.counts == 0, core.fallback, np.inf)
        empty_i = np.empty(0, dtype=np.int32)
        h.addCols(
            m + n,
            np.concatenate((np.zeros(m), core.weight)),
            np.concatenate((np.zeros(m), theta_lo)),
            np.concatenate((core.candidate.astype(np.float64), theta_hi)),
            0, empty_i, empty_i, np.empty(0),
        )
        cands = np.flatnonzero(core.candidate).astype(np.int32)
        h.addRows(1, np.array([core.q], float), np.array([core.q], float), cands.size,
                  np.zeros(1, dtype=np.int32), cands, np.ones(cands.size))
        cover = np.flatnonzero(core.must_cover)
        e = rows.entries_of(cover)
        starts = np.concatenate(([0], np.cumsum(rows.counts[cover])[:-1])).astype(np.int32)
        h.addRows(cover.size, np.ones(cover.size), np.full(cover.size, np.inf), e.size,
                  starts, rows.site[e].astype(np.int32), np.ones(e.size))
        self.first_cut = 1 + cover.size
        self.add_cuts(*self._separate(open_mask(m, sites).astype(np.float64), np.full(n, -np.inf)))

    def copy(self) -> BendersMaster:
        """An independent master with the same rows, bounds and basis."""
        twin = object.__new__(BendersMaster)
        twin.__dict__.update(self.__dict__)
        twin.cut_client, twin.cut_level = list(self.cut_client), list(self.cut_level)
        twin.h = _new_lp()
        twin.h.passModel(self.h.getLp())
        twin.h.setBasis(self.h.getBasis())
        return twin

    @property
    def cut_count(self) -> int:
        return int(self.h.getNumRow()) - self.first_cut

    def _separate(self, y: FloatArray, theta: FloatArray) -> tuple[IntArray, FloatArray]:
        """Rows whose deepest cut at ``y`` is violated by ``theta``, and that cut's level.

        Only entries of open (``y > 0``) sites change a cut's value or its level, so the pass
        runs over those: a few percent of the entries at a typical LP point.
        """
        core, rows = self.core, self.core.rows
        n = rows.n_rows
        yv = y[rows.site]
        on = np.flatnonzero(yv > 0)
        row, cost, weight = rows.row[on], rows.cost[on], yv[on]
        total = np.cumsum(weight)
        start = np.searchsorted(row, np.arange(n))
        cumulated = total - np.concatenate(([0.0], total))[start][row]
        served = np.flatnonzero(cumulated >= _SERVED)[::-1]
        first = np.full(n, -1)
        first[row[served]] = served  # the reversed order leaves each row's first one
        level = np.where(first >= 0, np.append(cost, 0.0)[first], core.fallback)
        # a covering row guarantees its cumulated opening reaches 1 by the row's last entry
        open_ended = (first < 0) & core.must_cover & (rows.counts > 0)
        level[open_ended] = rows.cost[rows.indptr[1:][open_ended] - 1]
        gap = np.maximum(level[row] - cost, 0.0)
        value = level - sum_by(row, gap * weight, n)
        violated = np.flatnonzero(value - theta > 1e-7 * np.maximum(1.0, level))
        return violated, level[violated]

    def add_cuts(self, cut_rows: IntArray, level: FloatArray) -> None:
        """Add ``theta_i + sum_{d_ij < D} (D - d_ij) y_j >= D`` for each row and level."""
        self.add_rows(cut_rows, self.cut_rows(cut_rows, level))

    def cut_rows(self, cut_rows: IntArray, level: FloatArray) -> CutRows:
        """The cuts of rows ``cut_rows`` at levels ``level`` as rows of this master."""
        rows = self.core.rows
        k = cut_rows.size
        e = rows.entries_of(cut_rows)
        cut_of = np.repeat(np.arange(k), rows.counts[cut_rows])
        keep = rows.cost[e] < level[cut_of]
        e, cut_of = e[keep], cut_of[keep]
        starts = offsets(np.bincount(cut_of, minlength=k) + 1)  # + 1: the theta entry
        is_theta = np.zeros(int(starts[-1]), dtype=np.bool_)
        is_theta[starts[:-1]] = True
        index = np.empty(is_theta.size, dtype=np.int32)
        value = np.empty(is_theta.size)
        index[is_theta], value[is_theta] = self.m + cut_rows, 1.0
        index[~is_theta] = rows.site[e]
        value[~is_theta] = level[cut_of] - rows.cost[e]
        return CutRows(level, starts, index, value)

    def add_rows(self, client: IntArray, cuts: CutRows) -> None:
        """Add ``cuts``, the cuts of rows ``client``."""
        k = client.size
        self.h.addRows(k, cuts.level, np.full(k, np.inf), cuts.index.size,
                       cuts.indptr[:-1].astype(np.int32), cuts.index, cuts.value)
        self.cut_client.append(client)
        self.cut_level.append(cuts.level)

    def inherit_cuts(self, other: BendersMaster) -> None:
        """Add the cuts binding at ``other``'s last LP optimum, carried over to this master.

        This master's core must restrict ``other``'s to solutions cheaper than a level (sites
        closed or opened, rows truncated, as :meth:`truncated` and fixings make it): a cut
        ``theta_i >= D - sum (D - d_ij) y_j`` stays valid without the closed sites' terms, and
        a level above a row's fallback here (an opened site nearer than ``D``) comes down to
        the fallback.

        The next solve starts from ``other``'s final basis: its columns' statuses (sites no
        longer free at their lower bound), those cuts nonbasic and every other row basic;
        HiGHS completes the basis where the counts differ. On pmed36 this took the second
        master's solve from 0.38 s to 0.03 s.
        """
        count = other.duals.size - other.first_cut
        if count <= 0:
            return
        before = int(self.h.getNumRow())
        binding = other.duals[other.first_cut :] > 1e-9
        client = np.concatenate(other.cut_client)[:count][binding]
        level = np.concatenate(other.cut_level)[:count][binding]
        level = np.minimum(level, self.core.fallback[client])
        order = np.lexsort((level, client))
        client, level = client[order], level[order]
        new = np.ones(client.size, dtype=np.bool_)
        new[1:] = (np.diff(client) != 0) | (np.diff(level) != 0)
        self.add_cuts(client[new], level[new])
        basis = other.h.getBasis()
        cols = list(basis.col_status)
        if len(cols) != int(self.h.getNumCol()):
            return
        for j in np.flatnonzero(~self.core.candidate):
            cols[j] = highspy.HighsBasisStatus.kLower
        rows = [BASIC] * int(self.h.getNumRow())
        rows[0] = basis.row_status[0]  # the count of open sites
        rows[before:] = [highspy.HighsBasisStatus.kLower] * (len(rows) - before)
        start = highspy.HighsBasis()
        start.col_status, start.row_status, start.valid = cols, rows, True
        self.h.setBasis(start)

    @cached_property
    def _ranks(self) -> tuple[FloatArray, IntArray]:
        """The distinct entry costs, and each entry's key: its row, then the rank of its cost
        (nondecreasing in entry order). Built on first use; build it before :meth:`copy`."""
        rows = self.core.rows
        values = np.unique(rows.cost)
        return values, rows.row * (values.size + 1) + np.searchsorted(values, rows.cost)

    def cut_keys(self, client: IntArray, level: FloatArray) -> IntArray:
        """One integer per cut: the key an entry of the cut's row at cost ``level`` would
        have, so the cut's entries are those with smaller keys.

        Equal cuts have equal keys. A cut's level is one of its row's costs or the row's
        fallback (above them all), as separation makes it, so different cuts of a row have
        different keys too and the key identifies the cut.
        """
        values = self._ranks[0]
        return client * (values.size + 1) + np.searchsorted(values, level)

    def cut_slack(self, key: IntArray, client: IntArray, level: FloatArray,
                  x: FloatArray) -> FloatArray:
        """``theta_i + sum_{d_ij < D} (D - d_ij) y_j - D`` of each cut at the point ``x``
        (negative: violated), from the entries of open sites only; ``key`` from
        :meth:`cut_keys`."""
        rows = self.core.rows
        values, entry_key = self._ranks
        yv = x[rows.site]
        on = np.flatnonzero(yv > 0)
        s1 = np.concatenate(([0.0], np.cumsum(yv[on])))
        s2 = np.concatenate(([0.0], np.cumsum(yv[on] * rows.cost[on])))
        on_key = entry_key[on]
        start = np.searchsorted(on_key, client * (values.size + 1))
        end = np.searchsorted(on_key, key)
        slack: FloatArray = (x[self.m + client] - level + level * (s1[end] - s1[start])
                             - (s2[end] - s2[start]))
        return slack

    def cuts_since(self, count: int) -> tuple[IntArray, FloatArray]:
        """Clients and levels of the cuts after the first ``count``."""
        client = np.concatenate(self.cut_client)[count:]
        return client, np.concatenate(self.cut_level)[count:]

    def drop_cuts_since(self, count: int) -> None:
        """Delete the cuts after the first ``count`` (the basis is invalid afterwards unless
        they were all basic: the next solve must start from :meth:`restore`)."""
        extra = self.cut_count - count
        if extra <= 0:
            return
        rows = np.arange(self.first_cut + count, self.first_cut + count + extra, dtype=np.int32)
        self.h.deleteRows(extra, rows)
        self.cut_client = [np.concatenate(self.cut_client)[:count]]
        self.cut_level = [np.concatenate(self.cut_level)[:count]]

    def purge(self) -> None:
        """Delete the cuts that are slack at the last LP point (their slack is basic and > 0).

        A best-first tree re-solves the master hundreds of times; most cuts of the root's
        cutting-plane rounds no longer touch the optimum and only slow every simplex iteration.
        Deleting basic rows keeps the basis valid.
        """
        count = self.cut_count
        if count == 0:
            return
        level = np.concatenate(self.cut_level)
        activity = np.asarray(self.h.getSolution().row_value)[self.first_cut :]
        status = self.h.getBasis().row_status[self.first_cut :]
        basic = np.fromiter((s == BASIC for s in status),
                            dtype=np.bool_, count=count)
        slack = basic & (activity > level + 1e-6 * np.maximum(1.0, level))
        drop = np.flatnonzero(slack)
        if drop.size == 0:
            return
        self.h.deleteRows(drop.size, (drop + self.first_cut).astype(np.int32))
        self.cut_client = [np.concatenate(self.cut_client)[~slack]]
        self.cut_level = [level[~slack]]

    def stop_above(self, value: float) -> None:
        """Let dual simplex stop once the LP value passes ``value`` (status objective bound)."""
        self.h.setOptionValue("objective_bound", value)

    def set_site_bounds(self, lower: FloatArray, upper: FloatArray) -> None:
        """Bounds of every ``y`` column."""
        self.h.changeColsBounds(self.m, np.arange(self.m, dtype=np.int32), lower, upper)

    def site_bounds(self) -> tuple[FloatArray, FloatArray]:
        lp = self.h.getLp()
        return (np.asarray(lp.col_lower_)[: self.m].copy(),
                np.asarray(lp.col_upper_)[: self.m].copy())

    def snapshot(self) -> Basis:
        """The current basis, to re-solve a related LP from it (see :meth:`restore`)."""
        basis = self.h.getBasis()
        return Basis(list(basis.col_status), list(basis.row_status))

    def restore(self, basis: Basis) -> None:
        """Start the next solve from ``basis``, one status per column and row of the LP.

        The solver's own state is cleared first, so the solve depends on the LP, the basis and
        the options only, never on what this copy solved before: the tree's workers take nodes
        in whatever order they come free and must still find the same answers.
        """
        self.h.clearSolver()
        start = highspy.HighsBasis()
        start.col_status, start.row_status, start.valid = basis.cols, basis.rows, True
        self.h.setBasis(start)

    def cut_loop(self, stop_above: float = np.inf, rounds: int = 10**9) -> LPOutcome:
        """Re-solve the master, adding violated cuts, until none is left or the LP value
        exceeds ``stop_above`` (or the option ``objective_bound`` stops the dual simplex)."""
        h, bound = self.h, -np.inf
        x = reduced = np.empty(0)
        status = highspy.HighsModelStatus.kTimeLimit
        while not self.clock.expired:
            # HiGHS compares its time limit with its run time summed over every run()
            left = self.clock.remaining()
            h.setOptionValue("time_limit", np.inf if left is None else h.getRunTime() + left)
            h.run()
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                return LPOutcome(np.inf, np.empty(0), np.empty(0), status)
            if status == highspy.HighsModelStatus.kObjectiveBound:
                # dual simplex stopped once its (valid) dual objective passed the bound
                value = max(bound, float(h.getInfo().objective_function_value))
                return LPOutcome(value, np.empty(0), np.empty(0), status)
            if status != OPTIMAL:
                break
            sol = h.getSolution()
            x, reduced = np.asarray(sol.col_value), np.asarray(sol.col_dual)
            self.duals = np.asarray(sol.row_dual)
            self.dual_value = float(h.getInfo().objective_function_value)
            bound = max(bound, self.dual_value)
            cut_rows, level = self._separate(x[: self.m], x[self.m :])
            if cut_rows.size == 0 or bound > stop_above:
                return LPOutcome(bound, x, reduced, status)
            self.add_cuts(cut_rows, level)
            rounds -= 1
            if rounds <= 0:
                return LPOutcome(bound, x, reduced, status, converged=False)
        return LPOutcome(bound, np.empty(0), np.empty(0), status)

    def solve(self) -> LPOutcome:
        """The LP optimum by cutting planes; ``self.bound`` keeps the best LP bound reached."""
        out = self.cut_loop()
        self.bound = max(self.bound, out.bound)
        return out

    def fixings(
        self, x: FloatArray, reduced: FloatArray, level: float
    ) -> tuple[IntArray, IntArray]:
        """Sites that must stay closed / open in any solution cheaper than ``level``.

        Forcing a nonbasic ``y_j`` away from its LP value raises the LP bound by at least
        ``|reduced cost|``; the fixed sites are bounded in this master too.
        """
        y, rc = x[: self.m], reduced[: self.m]
        free = self.core.candidate
        closed = np.flatnonzero(free & (y < 1e-9) & (self.bound + rc > level))
        opened = np.flatnonzero(free & (y > 1 - 1e-9) & (self.bound - rc > level))
        lower, upper = self.site_bounds()
        upper[closed], lower[opened] = 0.0, 1.0
        self.set_site_bounds(lower, upper)
        return closed, opened

    def truncated(self, level: float) -> MedianCore:
        r"""``core`` keeping per row only the sites usable in a solution cheaper than ``level``.

        Elloumi's reduction, read off the last LP's duals: the cut duals :math:`\pi_{iD}` give
        the dual of Elloumi's row :math:`z_i^k \ge 1 - \sum_{t \le k} y_{j_i^t}` as
        :math:`(d_i^{k+1} - d_i^k) \sum_{D > d_i^k} \pi_{iD}`, so :math:`z_i^k` has reduced
        cost :math:`r_i^k = (d_i^{k+1} - d_i^k)(w_i - \sum_{D > d_i^k} \pi_{iD}) \ge 0` and any
        solution in which none of row :math:`i`'s first :math:`k` sites is open costs at least
        :math:`LB + \sum_{t \le k} r_i^t`. Where that passes ``level`` the row keeps its first
        :math:`k` sites only and must be served by one of them.
        """
        core, rows = self.core, self.core.rows
        count = self.duals.size - self.first_cut
        if count <= 0:
            return core
        client = np.concatenate(self.cut_client)[:count]
        cut_level = np.concatenate(self.cut_level)[:count]
        pi = np.maximum(self.duals[self.first_cut :], 0.0)
        n_e = rows.site.size
        # entries and cuts merged by (row, cost), a cut before an entry of equal cost, so the
        # running sum of pi at an entry is what the row's cuts with D <= d_e carry
        key_row = np.concatenate((rows.row, client))
        order = np.lexsort((np.arange(key_row.size) < n_e, np.concatenate((rows.cost, cut_level)),
                            key_row))
        running = np.empty(key_row.size)
        running[order] = np.cumsum(np.concatenate((np.zeros(n_e), pi))[order])
        before_row = np.concatenate(([0.0], np.cumsum(sum_by(client, pi, rows.n_rows))))
        carried = before_row[rows.row + 1] - running[:n_e]
        w = core.weight[rows.row]
        last = rows.ends(last=True)
        step = np.where(last, core.fallback[rows.row], np.append(rows.cost[1:], 0.0)) - rows.cost
        reduced = np.where(last & core.must_cover[rows.row], 0.0,
                           step * np.maximum(w - carried, 0.0))
        penalty = self.dual_value + segment_cumsum(rows, reduced)
        # dual values are accurate to the solver's tolerances: keep a margin on the safe side
        above = penalty > level + 1e-6 * max(1.0, abs(level))
        first = rows.ends(last=False)
        # entry k stays while leaving the first k - 1 sites closed is still affordable
        keep = first | ~np.concatenate(([False], above[:-1]))
        covered = np.zeros(rows.n_rows, dtype=np.bool_)
        covered[rows.row[above]] = True
        return MedianCore(rows.restricted(keep), core.weight, core.fallback,
                          core.must_cover | covered, core.candidate, core.q)


def _new_lp() -> Any:
    h = new_highs()
    h.setOptionValue("random_seed", 0)
    # the master is re-solved after every cut round and bound change: warm-started dual
    # simplex from the last basis beats presolving again
    h.setOptionValue("presolve", "off")
    h.setOptionValue("solver", "simplex")
    # no scaling: factors computed from whatever LP a copy first solved differ between copies,
    # and so would their answers
    h.setOptionValue("simplex_scale_strategy", 0)
    return h
