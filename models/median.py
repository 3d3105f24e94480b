r"""The p-median problem: open p sites to minimise the weighted cost of serving every demand row.

Sets and data: demand rows :math:`i \in I` with weights :math:`w_i \ge 0`, candidate sites
:math:`j \in J`, costs :math:`d_{ij} \ge 0` (time, distance), sites :math:`E \subseteq J`
that are always open, sites :math:`F \subseteq J` that may not open.

Classical model (ReVelle & Swain 1970), shown for meaning only; it is never built here:

.. math::

    \min \sum_{i,j} w_i d_{ij} x_{ij} \quad \text{s.t.} \quad \sum_j x_{ij} = 1,\;
    x_{ij} \le y_j,\; \sum_j y_j = p,\; y_E = 1,\; y_F = 0,\; y \in \{0,1\}^J,\; x \ge 0.

Exact method (``backend="highs"``): the Benders reformulation of Elloumi's sorted-distance
model by Duran-Mateluna, Ales & Elloumi (2023). Variables :math:`y_j` (open) and
:math:`\theta_i` (row cost). For row :math:`i` and any distance level :math:`D` of that row,

.. math::

    \min \sum_i w_i \theta_i \quad \text{s.t.} \quad
    \theta_i \ge D - \sum_{j: d_{ij} < D} (D - d_{ij})\, y_j \;\; \forall i, D, \qquad
    \sum_j y_j = p .

The most violated cut of a row sits at the first level where the cumulated :math:`y` of its
sorted sites reaches 1, so separation is one pass over the sorted entries. The exact method:

1. greedy + swap gives an upper bound UB;
2. the LP master is solved by cutting planes (lower bound LB); its point, rounded and
   polished by swaps, may improve UB;
3. reduced-cost fixing closes (or opens) every site whose forced change lifts LB above UB;
4. Elloumi's reduction, read off the LP duals, drops from each row the sites it cannot use in
   a solution cheaper than UB (see ``_BendersLP.truncated``);
5. a second, much smaller LP master over the surviving sites and entries is solved, fixed by
   reduced costs again, and then branched on: a best-first branch and bound over ``y`` whose
   nodes are this master under the node's fixings, solved by cutting planes (cuts stay valid
   in every node), pruned against UB, with reduced-cost fixing at every node and
   pseudo-cost branching. Integral nodes are priced exactly and update UB.

Step 5 is the Benders branch-and-cut of the paper with the branching done here: highspy's
callbacks cannot add lazy constraints, and an integer master re-solved with cuts only at
integer points spent 10-20 s per solve on pmed16; HiGHS's MILP on the compact model after
fixing did not close the ~1 % LP gap of pmed36/39 in 60 s, this tree closes it in 300 nodes.
Probing (forcing each survivor open and re-solving) cost 20-45 s there and was dropped.

Elloumi's compact model, also the whole formulation for ``backend="cbc"`` / ``"scip"``
(independent checks on small instances): with row :math:`i`'s allowed sites sorted by cost,
:math:`z_i^k` = "none of the first :math:`k` sites is open",

.. math::

    \min \sum_i w_i \Big(d_i^1 + \sum_k (d_i^{k+1} - d_i^k) z_i^k\Big) \quad
    \text{s.t.} \quad z_i^1 + y_{j_i^1} \ge 1,\; z_i^k - z_i^{k-1} + y_{j_i^k} \ge 0,\;
    \sum_j y_j = p,\; z \ge 0,

whose LP equals Elloumi's (:math:`z_i^k \ge 1 - \sum_{t \le k} y_{j_i^t}`) with two or three
nonzeros per pair instead of :math:`k`.

Every row pays at most its *fallback*: its nearest existing site, the unserved ``penalty``, or
(when it reaches every candidate) its farthest candidate. A row with none of these must be
served by an open candidate (a covering row ``sum_j y_j >= 1`` in the master, a big-M fallback
in the heuristic). Rows of zero weight impose nothing.

Heuristic (``method="heuristic"``): greedy construction and the fast swap local search of
Resende & Werneck (2007), restarted from diverse first sites; its lower bound comes from
Lagrangian relaxation of the assignment constraints (subgradient optimisation).

References
----------
C.S. ReVelle and R.W. Swain, "Central facilities location", Geographical Analysis 2 (1970).
S. Elloumi, "A tighter formulation of the p-median problem", Journal of Combinatorial
Optimization 19 (2010) 69-83.
C. Duran-Mateluna, Z. Ales and S. Elloumi, "An efficient Benders decomposition for the
p-median problem", European Journal of Operational Research 308 (2023) 84-96.
M.G.C. Resende and R.F. Werneck, "A fast swap-based local search procedure for location
problems", Annals of Operations Research 150 (2007) 205-230.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
import scipy.sparse as sp

from ._errors import ModelInputError
from ._lagrangian import lagrangian_bound
from ._milp import BACKENDS, Backend, MilpProblem, MilpStatus, new_highs, solve_milp
from ._nearest import (
    FloatArray,
    IntArray,
    MedianCore,
    SortedRows,
    first_positions,
    segment_cumsum,
    sorted_rows,
    sum_by,
)
from ._pmedian_heuristics import greedy_swap, local_search, open_mask
from ._result import OPTIMALITY_TOLERANCE, Solution, Status, relative_gap
from ._validate import (
    check_cost_matrix,
    check_count,
    check_disjoint,
    check_sites,
    check_time_limit,
    check_weights,
)

Method = Literal["auto", "exact", "heuristic"]
METHODS: tuple[Method, ...] = ("auto", "exact", "heuristic")

#: method="auto" solves exactly when the sorted entries (reachable pairs cheaper than their
#: fallback) are at most this many; larger instances get heuristic + Lagrangian bound.
EXACT_MAX_ENTRIES = 4_000_000
#: Restarts of greedy + swap (the first is plain greedy), for both methods: in the exact one
#: a better upper bound fixes more sites.
HEURISTIC_STARTS = 8
#: A cumulated LP opening at least this close to 1 counts as "served" in cut separation.
_SERVED = 1.0 - 1e-6


def pmedian(
    cost: object,
    p: int,
    weights: object = None,
    *,
    existing: object = (),
    forbidden: object = (),
    cutoff: float | None = None,
    penalty: float | None = None,
    method: Method = "auto",
    backend: Backend = "highs",
    time_limit: float | None = None,
    seed: int = 0,
) -> Solution:
    """Open ``p`` sites minimising the weighted cost from each demand row to its nearest site.

    Parameters
    ----------
    cost
        Demand × candidate cost matrix (minutes, metres, ...), dense or scipy.sparse. A stored
        sparse entry is a real pair even when 0; a missing one means unreachable.
    p
        Number of open sites, existing ones included.
    weights
        Demand per row (people, households); ones when None.
    existing
        Indices of sites that are always open.
    forbidden
        Indices of sites that may not open.
    cutoff
        Largest cost at which a row counts as served (same unit as ``cost``); pairs beyond it
        are unreachable.
    penalty
        Cost per unit weight of a row left unserved (no open site within ``cutoff``, or none
        cheaper than ``penalty``). Without it every reachable row must be served, and rows no
        allowed site can reach are reported in ``Solution.unreachable`` and left out.
    method
        ``"exact"`` proves optimality (up to ``time_limit``), ``"heuristic"`` runs greedy + swap
        with a Lagrangian bound, ``"auto"`` is exact when the instance holds at most
        :data:`EXACT_MAX_ENTRIES` useful pairs.
    backend
        MILP solver of the exact method: ``"highs"`` (Benders decomposition) or ``"cbc"`` /
        ``"scip"`` (Elloumi's compact model, for small instances and cross-checks).
    time_limit
        Seconds for the whole call; when reached, the best solution so far comes back as
        ``FEASIBLE`` with its proven bound.
    seed
        Seed of the heuristic restarts; equal seeds give equal results.

    Returns
    -------
    Solution
        ``problem="pmedian"``, ``sense="min"``; ``assignment`` is each row's nearest open site
        (-1 when unserved or unreachable); ``objective`` is in cost × weight units.

    Raises
    ------
    ModelInputError
        Invalid costs, weights, site lists, ``p``, ``cutoff``, ``penalty``, ``method``,
        ``backend`` or ``time_limit``; the message names the argument.
    """
    start = time.perf_counter()
    matrix = check_cost_matrix(cost)
    n, m = matrix.shape
    w = check_weights(weights, n)
    fixed = check_sites(existing, m, name="existing")  # type: ignore[arg-type]
    banned = check_sites(forbidden, m, name="forbidden")  # type: ignore[arg-type]
    check_disjoint(fixed, banned)
    p = check_count(p, m - banned.size, fixed.size)
    limit = check_time_limit(time_limit)
    _check_options(cutoff, penalty, method, backend)
    deadline = start + limit if limit is not None else np.inf

    prep = _prepare(matrix, w, fixed, banned, p, cutoff, penalty)
    core = prep.core
    if core.q == 0 or not core.candidate.any():
        new = np.flatnonzero(core.candidate)[: core.q]
        obj = core.objective(open_mask(m, new))
        outcome = _Outcome(new, obj, obj, "none", "evaluation", "no site left to choose")
    elif method == "heuristic" or (
        method == "auto" and core.rows.site.size > EXACT_MAX_ENTRIES
    ):
        outcome = _heuristic(core, seed, deadline)
    else:
        outcome = _exact(core, backend, seed, deadline, prep.integral)
    return _finish(matrix, w, prep, outcome, cutoff, penalty, start)


def _check_options(
    cutoff: float | None, penalty: float | None, method: object, backend: object
) -> None:
    for name, value in (("cutoff", cutoff), ("penalty", penalty)):
        if value is not None and not (np.isfinite(value) and value >= 0):
            msg = f"{name} must be a finite number ≥ 0 or None, got {value!r}"
            raise ModelInputError(msg)
    if cutoff is not None and penalty is not None and penalty < cutoff:
        msg = (
            f"penalty={penalty} is below cutoff={cutoff}: serving a row would cost more than "
            "leaving it unserved; give a penalty of at least the cutoff"
        )
        raise ModelInputError(msg)
    if method not in METHODS:
        msg = f"method must be one of {', '.join(METHODS)}, got {method!r}"
        raise ModelInputError(msg)
    if backend not in BACKENDS:
        msg = f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}"
        raise ModelInputError(msg)


@dataclass(frozen=True)
class _Prepared:
    core: MedianCore
    active: IntArray  # original row of each core row
    existing: IntArray
    unreachable: IntArray
    integral: bool  # all weights × costs integer: improvements come in steps of 1


def _prepare(
    matrix: FloatArray | sp.csr_array,
    w: FloatArray,
    existing: IntArray,
    forbidden: IntArray,
    p: int,
    cutoff: float | None,
    penalty: float | None,
) -> _Prepared:
    """Fold existing sites, cutoff and penalty into each row's fallback cost (see MedianCore)."""
    n, m = matrix.shape
    reach = np.full(n, np.inf if cutoff is None else np.nextafter(cutoff, np.inf))
    is_existing = open_mask(m, existing)
    candidate = ~is_existing & ~open_mask(m, forbidden)
    near_existing = _nearest_cost(sorted_rows(matrix, allowed=is_existing, cap=reach))
    fallback = np.minimum(near_existing, np.inf if penalty is None else penalty)
    rows = sorted_rows(matrix, allowed=candidate, cap=np.minimum(reach, fallback))
    q = p - existing.size
    open_ended = ~np.isfinite(fallback)
    unreachable = open_ended & (rows.counts == 0)
    complete = open_ended & (rows.counts == candidate.sum()) & (q > 0)
    # rows are sorted, so a row's largest cost is its last entry; the pad serves empty rows
    row_max = np.append(rows.cost, 0.0)[np.where(rows.counts > 0, rows.indptr[1:] - 1, -1)]
    fallback = np.where(complete, row_max, fallback)
    must_cover = open_ended & ~complete & ~unreachable
    active = np.flatnonzero((w > 0) & ~unreachable)
    served_cost = np.where(np.isfinite(fallback), fallback, row_max)
    # big-M per unit weight: leaving one must-cover row unserved costs more than any full service
    w_min = w[must_cover & (w > 0)].min() if (must_cover & (w > 0)).any() else 1.0
    big_m = float(w @ served_cost) / w_min + float(row_max.max(initial=0.0)) + 1.0
    fallback = np.where(must_cover, big_m, fallback)
    core_rows = sorted_rows(
        matrix[active] if sp.issparse(matrix) else matrix[active, :],
        allowed=candidate,
        cap=np.minimum(reach[active], fallback[active]),
    )
    core = MedianCore(core_rows, w[active], fallback[active], must_cover[active], candidate, q)
    wd = np.concatenate((core.weight[core.rows.row] * core.rows.cost, core.weight * core.fallback))
    integral = bool(np.all(wd == np.round(wd)))
    return _Prepared(core, active, existing, np.flatnonzero(unreachable), integral)


def _nearest_cost(rows: SortedRows) -> FloatArray:
    first = rows.indptr[:-1]
    has = rows.counts > 0
    out = np.full(rows.n_rows, np.inf)
    out[has] = rows.cost[first[has]]
    return out


@dataclass(frozen=True)
class _Outcome:
    new_sites: IntArray
    objective: float
    bound: float
    backend: str
    method: str
    reason: str
    infeasible: bool = False


def _heuristic(core: MedianCore, seed: int, deadline: float) -> _Outcome:
    sites, obj = greedy_swap(core, starts=HEURISTIC_STARTS, seed=seed, deadline=deadline)
    row_cost = core.nearest(open_mask(core.rows.n_sites, sites))[1]
    bound = lagrangian_bound(core, obj, core.weight * row_cost, deadline=deadline)
    bound = max(bound, _trivial_bound(core))
    timed_out = time.perf_counter() >= deadline
    reason = "time limit reached during the heuristic" if timed_out else ""
    return _Outcome(sites, obj, bound, "heuristic", "greedy+swap+lagrangian", reason)


def _trivial_bound(core: MedianCore) -> float:
    """Every row pays at least its cheapest entry (or its fallback)."""
    return float(core.weight @ np.minimum(_nearest_cost(core.rows), core.fallback))


def _finish(
    matrix: FloatArray | sp.csr_array,
    w: FloatArray,
    prep: _Prepared,
    outcome: _Outcome,
    cutoff: float | None,
    penalty: float | None,
    start: float,
) -> Solution:
    """Assign every row to its nearest open site and price the result on the original data."""
    n, m = matrix.shape
    sites = np.union1d(prep.existing, outcome.new_sites)
    reach = np.full(n, np.inf if cutoff is None else np.nextafter(cutoff, np.inf))
    if penalty is not None:
        reach = np.minimum(reach, np.nextafter(penalty, np.inf))
    served = sorted_rows(matrix, allowed=open_mask(m, sites), cap=reach)
    first = served.indptr[:-1]
    has = served.counts > 0
    assignment = np.full(n, -1, dtype=np.int64)
    assignment[has] = served.site[first[has]]
    row_cost = np.zeros(n)
    row_cost[has] = served.cost[first[has]]
    unserved = ~has
    unserved[prep.unreachable] = False
    reasons = [outcome.reason]
    if penalty is not None:
        row_cost[unserved] = penalty
    elif outcome.infeasible or (unserved & (w > 0)).any():
        rows = np.flatnonzero(unserved & (w > 0))
        reasons.append(
            f"no choice of {sites.size} sites reaches every demand row (first unserved: "
            f"{rows[:10].tolist()}); give a penalty, raise p or relax the cutoff"
        )
        return _solution(
            prep, outcome, sites, assignment, np.inf, np.inf, Status.INFEASIBLE, reasons, start
        )
    if prep.unreachable.size:
        reasons.append(
            f"{prep.unreachable.size} demand rows reach no allowed site and are left out "
            "(see unreachable); give a penalty to count them"
        )
    objective = float(w @ row_cost)
    bound = min(outcome.bound, objective)
    proven = relative_gap(objective, bound, "min") <= OPTIMALITY_TOLERANCE
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    return _solution(prep, outcome, sites, assignment, objective, bound, status, reasons, start)


def _solution(
    prep: _Prepared,
    outcome: _Outcome,
    sites: IntArray,
    assignment: IntArray,
    objective: float,
    bound: float,
    status: Status,
    reasons: list[str],
    start: float,
) -> Solution:
    return Solution(
        problem="pmedian",
        sites=sites,
        new_sites=np.setdiff1d(sites, prep.existing),
        assignment=assignment,
        objective=objective,
        bound=bound,
        sense="min",
        status=status,
        backend=outcome.backend,
        method=outcome.method,
        seconds=time.perf_counter() - start,
        unreachable=prep.unreachable,
        reason="; ".join(r for r in reasons if r),
    )


def _fix_level(upper: float, integral: bool) -> float:
    """Cost above which a partial solution cannot beat ``upper`` by a meaningful amount.

    With integral data a better solution costs at most ``upper - 1``; otherwise it must beat
    ``upper`` by more than the optimality tolerance.
    """
    if integral:
        return upper - 1.0 + 1e-6
    return upper - 0.1 * OPTIMALITY_TOLERANCE * max(1.0, abs(upper))


class _BendersLP:
    """LP master of the Benders decomposition of Elloumi's model, solved by cutting planes."""

    def __init__(self, core: MedianCore, sites: IntArray, deadline: float) -> None:
        self.core, self.deadline = core, deadline
        self.bound = _trivial_bound(core)
        # client and level of every cut row, in row order, to read their duals back
        self.cut_client: list[IntArray] = []
        self.cut_level: list[FloatArray] = []
        self.duals, self.dual_value = np.empty(0), -np.inf
        rows = core.rows
        n, m = rows.n_rows, rows.n_sites
        self.m = m
        self.h = h = new_highs()
        h.setOptionValue("random_seed", 0)
        # the master is re-solved after every cut round and bound change: warm-started dual
        # simplex from the last basis beats presolving again
        h.setOptionValue("presolve", "off")
        h.setOptionValue("solver", "simplex")
        theta_lo = np.minimum(_nearest_cost(rows), core.fallback)
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
        self._add_cuts(*self._separate(self._y(sites), np.full(n, -np.inf)))

    def _y(self, sites: IntArray) -> FloatArray:
        return open_mask(self.m, sites).astype(np.float64)

    def _separate(self, y: FloatArray, theta: FloatArray) -> tuple[IntArray, FloatArray]:
        """Rows whose deepest cut at ``y`` is violated by ``theta``, and that cut's level."""
        core, rows = self.core, self.core.rows
        yv = y[rows.site]
        pos = first_positions(rows, segment_cumsum(rows, yv) >= _SERVED, 1)[:, 0]
        # a covering row guarantees its cumulated opening reaches 1 by the row's last entry
        pos = np.where((pos < 0) & core.must_cover, rows.indptr[1:] - 1, pos)
        level = np.where(pos >= 0, np.append(rows.cost, 0.0)[pos], core.fallback)
        gap = level[rows.row] - rows.cost
        below = gap > 0
        value = level - sum_by(rows.row[below], gap[below] * yv[below], rows.n_rows)
        violated = np.flatnonzero(value - theta > 1e-7 * np.maximum(1.0, level))
        return violated, level[violated]

    def _add_cuts(self, cut_rows: IntArray, level: FloatArray) -> None:
        """Add ``theta_i + sum_{d_ij < D} (D - d_ij) y_j >= D`` for each row and level."""
        rows = self.core.rows
        k = cut_rows.size
        e = rows.entries_of(cut_rows)
        cut_of = np.repeat(np.arange(k), rows.counts[cut_rows])
        keep = rows.cost[e] < level[cut_of]
        e, cut_of = e[keep], cut_of[keep]
        starts = np.zeros(k + 1, dtype=np.int64)
        np.cumsum(np.bincount(cut_of, minlength=k) + 1, out=starts[1:])
        is_theta = np.zeros(int(starts[-1]), dtype=np.bool_)
        is_theta[starts[:-1]] = True
        index = np.empty(is_theta.size, dtype=np.int32)
        value = np.empty(is_theta.size)
        index[is_theta], value[is_theta] = self.m + cut_rows, 1.0
        index[~is_theta] = rows.site[e]
        value[~is_theta] = level[cut_of] - rows.cost[e]
        self.h.addRows(k, level, np.full(k, np.inf), index.size,
                       starts[:-1].astype(np.int32), index, value)
        self.cut_client.append(cut_rows)
        self.cut_level.append(level)

    def _cut_loop(
        self, stop_above: float = np.inf
    ) -> tuple[float, FloatArray, FloatArray, highspy.HighsModelStatus]:
        """Re-solve the LP master, adding violated cuts, until none is left or the LP value
        exceeds ``stop_above``.

        Returns the LP bound (valid at every round: fewer cuts make a relaxation), the point,
        its reduced costs and HiGHS's status.
        """
        h, bound = self.h, -np.inf
        x = reduced = np.empty(0)
        status = highspy.HighsModelStatus.kTimeLimit
        while (left := self.deadline - time.perf_counter()) > 0:
            # HiGHS compares its time limit with its run time summed over every run()
            h.setOptionValue("time_limit", h.getRunTime() + left)
            h.run()
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                return np.inf, x, reduced, status
            if status != highspy.HighsModelStatus.kOptimal:
                break
            sol = h.getSolution()
            x, reduced = np.asarray(sol.col_value), np.asarray(sol.col_dual)
            self.duals = np.asarray(sol.row_dual)
            self.dual_value = float(h.getInfo().objective_function_value)
            bound = max(bound, self.dual_value)
            cut_rows, level = self._separate(x[: self.m], x[self.m :])
            if cut_rows.size == 0 or bound > stop_above:
                break
            self._add_cuts(cut_rows, level)
        return bound, x, reduced, status

    def solve(self) -> tuple[FloatArray, FloatArray] | highspy.HighsModelStatus:
        """The LP optimum and its reduced costs, or the status that stopped the cutting planes.

        ``self.bound`` holds the best LP bound reached.
        """
        bound, x, reduced, status = self._cut_loop()
        self.bound = max(self.bound, bound)
        if status != highspy.HighsModelStatus.kOptimal or x.size == 0:
            return status
        return x, reduced

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
        self._set(closed, 0.0)
        self._set(opened, 1.0)
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
        last = np.zeros(n_e, dtype=np.bool_)
        last[rows.indptr[1:][rows.counts > 0] - 1] = True
        step = np.where(last, core.fallback[rows.row], np.append(rows.cost[1:], 0.0)) - rows.cost
        reduced = np.where(last & core.must_cover[rows.row], 0.0,
                           step * np.maximum(w - carried, 0.0))
        penalty = self.dual_value + segment_cumsum(rows, reduced)
        # dual values are accurate to the solver's tolerances: keep a margin on the safe side
        above = penalty > level + 1e-6 * max(1.0, abs(level))
        first = np.zeros(n_e, dtype=np.bool_)
        first[rows.indptr[:-1][rows.counts > 0]] = True
        # entry k stays while leaving the first k - 1 sites closed is still affordable
        keep = first | ~np.concatenate(([False], above[:-1]))
        covered = np.zeros(rows.n_rows, dtype=np.bool_)
        covered[rows.row[above]] = True
        return MedianCore(rows.restricted(keep), core.weight, core.fallback,
                          core.must_cover | covered, core.candidate, core.q)

    def branch(
        self, upper: float, integral: bool
    ) -> tuple[IntArray | None, float, MilpStatus]:
        """Best-first branch and bound on ``y`` over this LP master; its best sites, bound, status.

        Each node fixes some sites open or closed and is solved by the cutting-plane loop, so
        its LP is the Benders bound under those fixings (cuts are valid everywhere and stay).
        A node whose ``y`` is integral is a solution priced exactly (no cut is violated); a
        node that cannot beat ``upper`` (see :func:`_fix_level`) is pruned, and ``upper``
        follows each better solution. The bound is the smallest open node's, or the floor of
        ``upper`` when no node is left.

        At each node, sites whose reduced cost lifts the node's LP past ``upper`` are fixed in
        its subtree; the branching site maximises the product of its two pseudo-costs (mean
        LP gain per unit of ``y`` moved, down and up) times the move. Against most-fractional
        branching without fixing this cut the tree from 81 to 61 nodes on pmed39 (18 s to
        11-13 s) and from 323 to 299 on pmed36 (no faster there: ~53 s either way).
        """
        level = _fix_level(upper, integral)
        lp = self.h.getLp()
        base_lo = np.asarray(lp.col_lower_)[: self.m]
        base_hi = np.asarray(lp.col_upper_)[: self.m]
        all_sites = np.arange(self.m, dtype=np.int32)
        best: IntArray | None = None
        # (parent bound, creation order, sites closed, sites opened): the order breaks ties
        heap: list[tuple[float, int, tuple[int, ...], tuple[int, ...], int, int, float]] = [
            (self.bound, 0, (), (), -1, 0, 1.0)
        ]
        made = 1
        # pseudo-costs: summed LP gain per unit of y moved, and counts, per site and direction
        gain = np.zeros((2, self.m))
        seen = np.zeros((2, self.m))
        while heap and time.perf_counter() < self.deadline:
            parent, _, shut, forced, site, up, moved = heapq.heappop(heap)
            if parent > level:
                heap.clear()
                break
            lo, hi = base_lo.copy(), base_hi.copy()
            hi[list(shut)], lo[list(forced)] = 0.0, 1.0
            self.h.changeColsBounds(self.m, all_sites, lo, hi)
            bound, x, reduced, status = self._cut_loop(stop_above=level)
            if site >= 0 and status == highspy.HighsModelStatus.kOptimal:
                gain[up, site] += max(bound - parent, 0.0) / moved
                seen[up, site] += 1
            if status == highspy.HighsModelStatus.kInfeasible or bound > level:
                continue
            if status != highspy.HighsModelStatus.kOptimal:
                heapq.heappush(heap, (parent, made, shut, forced, site, up, moved))
                break
            y = x[: self.m]
            spread = np.minimum(y, 1.0 - y)
            if spread.max() <= 1e-6:
                value = self.core.objective(y > 0.5)
                if value < upper:
                    best, upper = np.flatnonzero(y > 0.5), value
                    level = _fix_level(upper, integral)
                continue
            # reduced-cost fixing in the subtree: forcing a nonbasic y_j away from its value
            # lifts this node's LP by at least |rc_j|
            rc, free = reduced[: self.m], lo < hi
            lift = self.dual_value + np.abs(rc)
            shut = (*shut, *np.flatnonzero(free & (y < 1e-9) & (lift > level)).tolist())
            forced = (*forced, *np.flatnonzero(free & (y > 1 - 1e-9) & (lift > level)).tolist())
            # pseudo-cost product rule; a site never branched on gets its direction's mean
            mean = gain.sum(axis=1) / np.maximum(seen.sum(axis=1), 1.0)
            rate = np.where(seen > 0, gain / np.maximum(seen, 1.0), mean[:, None]) + 1e-9
            score = np.where(spread > 1e-6, rate[0] * y * rate[1] * (1.0 - y), -1.0)
            j = int(np.argmax(score))
            heapq.heappush(heap, (bound, made, shut, (*forced, j), j, 1, 1.0 - y[j]))
            heapq.heappush(heap, (bound, made + 1, (*shut, j), forced, j, 0, y[j]))
            made += 2
        self.h.changeColsBounds(self.m, all_sites, base_lo, base_hi)
        if heap:
            return best, min(level, heap[0][0]), MilpStatus.FEASIBLE
        return best, upper if integral else level, MilpStatus.OPTIMAL

    def _set(self, sites: IntArray, value: float) -> None:
        """Fix ``y`` of ``sites`` to ``value``."""
        k = sites.size
        self.h.changeColsBounds(k, sites.astype(np.int32), np.full(k, value), np.full(k, value))


def _fixed(core: MedianCore, closed: IntArray, opened: IntArray) -> MedianCore:
    """``core`` with ``closed`` sites removed and ``opened`` sites folded into the fallbacks."""
    rows = core.rows
    m = rows.n_sites
    at_open = open_mask(m, opened)[rows.site]
    near_open = np.full(rows.n_rows, np.inf)
    np.minimum.at(near_open, rows.row[at_open], rows.cost[at_open])
    fallback = np.minimum(core.fallback, near_open)
    candidate = core.candidate & ~open_mask(m, closed) & ~open_mask(m, opened)
    keep = candidate[rows.site] & (rows.cost < fallback[rows.row])
    must_cover = core.must_cover & ~np.isfinite(near_open)
    return MedianCore(rows.restricted(keep), core.weight, fallback, must_cover, candidate,
                      core.q - opened.size)


def _exact(
    core: MedianCore, backend: Backend, seed: int, deadline: float, integral: bool
) -> _Outcome:
    sites, obj = greedy_swap(core, starts=HEURISTIC_STARTS, seed=seed, deadline=deadline)
    if time.perf_counter() >= deadline:
        return _Outcome(sites, obj, _trivial_bound(core), "heuristic", "greedy+swap",
                        "time limit reached during the heuristic warm start")
    if backend != "highs":
        found, bound, status = _compact(core, backend, sites, deadline)
        return _settle(core, sites, obj, found, bound, status, backend, "elloumi")
    benders = _BendersLP(core, sites, deadline)
    lp = benders.solve()
    method = "benders-lp+branch"
    if lp == highspy.HighsModelStatus.kInfeasible:
        return _Outcome(sites, np.inf, np.inf, "highs", method, "", infeasible=True)
    if not isinstance(lp, tuple):
        return _Outcome(sites, obj, benders.bound, "highs", method,
                        f"LP master stopped: {lp.name}")
    x, reduced = lp
    # rounding the LP point and polishing it often beats the greedy start
    top = np.argsort(-np.where(core.candidate, x[: core.rows.n_sites], -1.0), kind="stable")
    lp_sites, lp_obj = local_search(core, np.sort(top[: core.q]), deadline=deadline)
    if lp_obj < obj:
        sites, obj = lp_sites, lp_obj
    if obj - benders.bound <= OPTIMALITY_TOLERANCE * max(1.0, abs(obj)):
        return _Outcome(sites, obj, benders.bound, "highs", method, "")
    level = _fix_level(obj, integral)
    # any solution using a fixed-out choice costs more than ``level``: at least ``obj`` if integral
    floor = obj if integral else level
    closed, opened = benders.fixings(x, reduced, level)
    stage = _fixed(benders.truncated(level), closed, opened)
    if not _has_choice(stage):
        if stage.q == 0:
            return _settle(core, sites, obj, opened, max(benders.bound, floor),
                           MilpStatus.OPTIMAL, "highs", method)
        # no choice of the surviving sites is feasible: none beats the floor
        return _settle(core, sites, obj, None, max(benders.bound, floor), MilpStatus.OPTIMAL,
                       "highs", method)
    # a second master over the surviving sites only: its LPs are small, so probing and
    # branching are cheap
    second = _BendersLP(stage, sites[stage.candidate[sites]], deadline)
    lp = second.solve()
    if lp == highspy.HighsModelStatus.kInfeasible or second.bound > level:
        return _settle(core, sites, obj, None, max(benders.bound, floor),
                       MilpStatus.OPTIMAL, "highs", method)
    if isinstance(lp, tuple):
        second.fixings(*lp, level)
    found, bound, status = second.branch(obj, integral)
    if found is not None:
        found = np.union1d(found, opened)
    return _settle(core, sites, obj, found, max(benders.bound, min(bound, floor)), status,
                   "highs", method)


def _has_choice(core: MedianCore) -> bool:
    """Whether sites remain to be chosen and enough candidates to choose them from."""
    return 0 < core.q <= int(core.candidate.sum())


def _settle(
    core: MedianCore,
    sites: IntArray,
    objective: float,
    found: IntArray | None,
    bound: float,
    status: MilpStatus,
    backend: str,
    method: str,
) -> _Outcome:
    """Keep the better of the incumbent and a solver's solution, with the solver's bound."""
    if status is MilpStatus.INFEASIBLE:
        return _Outcome(sites, np.inf, np.inf, backend, method, "", infeasible=True)
    if found is not None:
        found_obj = core.objective(open_mask(core.rows.n_sites, found))
        if found_obj < objective:
            sites, objective = found, found_obj
    bound = max(bound, _trivial_bound(core))
    reason = "" if status is MilpStatus.OPTIMAL else f"{backend} MILP stopped by the time limit"
    return _Outcome(sites, objective, min(bound, objective), backend, method, reason)


def _compact(
    core: MedianCore, backend: Backend, warm: IntArray | None, deadline: float
) -> tuple[IntArray | None, float, MilpStatus]:
    """Solve ``core`` with Elloumi's model in chained form; sites found, bound and status.

    With row ``i``'s entries sorted as ``e_1, e_2, ...``, ``z_k`` = "none of the first ``k``
    sites is open" obeys ``z_1 + y_{j_1} >= 1`` and ``z_k - z_{k-1} + y_{j_k} >= 0``; its LP is
    Elloumi's (``z_k >= 1 - sum_{t<=k} y_{j_t}``) with two or three nonzeros per entry instead
    of ``k``, and the row pays ``d_1 + sum_k (d_{k+1} - d_k) z_k`` (``d_{K+1}``: fallback).
    """
    rows, w = core.rows, core.weight
    n_e = rows.site.size
    # one y column per candidate: a column in no row and no objective is lost by pulp
    cands = np.flatnonzero(core.candidate)
    m = cands.size
    col_of = np.cumsum(core.candidate) - 1
    first = np.zeros(n_e, dtype=np.bool_)
    first[rows.indptr[:-1][rows.counts > 0]] = True
    last = np.zeros(n_e, dtype=np.bool_)
    last[rows.indptr[1:][rows.counts > 0] - 1] = True
    cost_next = np.where(last, core.fallback[rows.row], np.append(rows.cost[1:], 0.0))
    cover_end = last & core.must_cover[rows.row]
    z_cost = np.where(cover_end, 0.0, w[rows.row] * (cost_next - rows.cost))
    chain = np.flatnonzero(~first)
    e_all = np.arange(n_e)
    a = sp.csr_array(
        (
            np.concatenate((np.ones(m + 2 * n_e), -np.ones(chain.size))),
            (
                np.concatenate((np.zeros(m, dtype=np.int64), 1 + e_all, 1 + e_all,
                                1 + chain)),
                np.concatenate((np.arange(m), m + e_all, col_of[rows.site], m + chain - 1)),
            ),
        ),
        shape=(1 + n_e, m + n_e),
    )
    start = None
    if warm is not None:
        y0 = open_mask(rows.n_sites, warm).astype(np.float64)
        served = segment_cumsum(rows, y0[rows.site]) > 0.5
        start = np.concatenate((y0[cands], (~served).astype(np.float64)))
    problem = MilpProblem(
        c=np.concatenate((np.zeros(m), z_cost)),
        A=a,
        row_lower=np.concatenate(([core.q], first.astype(np.float64))),
        row_upper=np.concatenate(([core.q], np.full(n_e, np.inf))),
        col_lower=np.zeros(m + n_e),
        col_upper=np.concatenate((np.ones(m), np.where(cover_end, 0.0, 1.0))),
        integer=np.concatenate((np.ones(m, dtype=np.bool_), np.zeros(n_e, dtype=np.bool_))),
        offset=_trivial_bound(core),
    )
    left = deadline - time.perf_counter()
    out = solve_milp(
        problem, backend=backend, time_limit=None if np.isinf(left) else max(left, 1e-3),
        mip_rel_gap=0.1 * OPTIMALITY_TOLERANCE, warm_start=start,
    )
    found = None if out.x is None else cands[out.x[:m] > 0.5]
    return found, out.bound, out.status
