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
   a solution cheaper than UB (see ``BendersMaster.truncated`` in :mod:`.benders`);
5. a second, much smaller LP master over the surviving sites and entries, started from the
   first one's binding cuts and final basis, is solved, fixed by reduced costs again, and then
   branched on (:mod:`.branch_and_bound`): a best-first branch and bound over ``y`` whose nodes
   are this master under the node's fixings, solved by cutting planes from the parent's
   basis, pruned against UB, with reduced-cost fixing at every node, pseudo-cost branching
   and two copies of the master solving nodes in parallel. Integral nodes are priced exactly
   and update UB.

Step 5 is the Benders branch-and-cut of the paper with the branching done here: highspy's
callbacks cannot add lazy constraints, and an integer master re-solved with cuts only at
integer points spent 10-20 s per solve on pmed16; HiGHS's MILP on the compact model after
fixing did not close the ~1 % LP gap of pmed36/39 in 60 s (nor in 120 s on pmed36 in 2026-11),
this tree closes it in about 280 nodes.
Probing (forcing each survivor open and re-solving) cost 20-45 s there and was dropped; see
:mod:`.branch_and_bound` for the tree's own measurements.

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

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from .._errors import ModelInputError
from .._milp import BACKENDS, Backend, MilpProblem, MilpStatus, solve_milp
from .._result import OPTIMALITY_TOLERANCE, Solution, Status, relative_gap
from .._validate import (
    check_cost_matrix,
    check_count,
    check_disjoint,
    check_sites,
    check_weights,
)
from ..arrays import FloatArray, IntArray
from ..clock import Clock
from .benders import OPTIMAL, PRUNED, BendersMaster, fix_level
from .branch_and_bound import branch_and_bound
from .heuristics import greedy, greedy_swap, local_search, open_mask
from .lagrangian import lagrangian_bound
from .sorted_rows import MedianCore, segment_cumsum, sorted_rows

Method = Literal["auto", "exact", "heuristic"]
METHODS: tuple[Method, ...] = ("auto", "exact", "heuristic")

#: method="auto" solves exactly when the sorted entries (reachable pairs cheaper than their
#: fallback) are at most this many; larger instances get heuristic + Lagrangian bound.
EXACT_MAX_ENTRIES = 4_000_000
#: Restarts of greedy + swap (the first is plain greedy) when the heuristic is the answer.
HEURISTIC_STARTS = 8
#: Restarts before an exact solve, whose LP point is rounded and polished too: on OR-Library
#: pmed21-40 four instead of eight left 4 of 20 incumbents worse by at most 0.3 % (the tree
#: closed them) and took all 20 from 36 s to 31 s.
EXACT_STARTS = 4


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
        :data:`EXACT_MAX_ENTRIES` useful pairs. The exact method uses two threads (HiGHS LPs
        side by side); its result does not depend on their timing.
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
    clock = Clock(time_limit)
    matrix = check_cost_matrix(cost)
    n, m = matrix.shape
    w = check_weights(weights, n)
    fixed = check_sites(existing, m, name="existing")  # type: ignore[arg-type]
    banned = check_sites(forbidden, m, name="forbidden")  # type: ignore[arg-type]
    check_disjoint(fixed, banned)
    p = check_count(p, m - banned.size, fixed.size)
    _check_options(cutoff, penalty, method, backend)

    prep = prepare(matrix, w, fixed, banned, p, cutoff, penalty)
    core = prep.core
    if core.q == 0 or not core.candidate.any():
        new = np.flatnonzero(core.candidate)[: core.q]
        obj = core.objective(open_mask(m, new))
        outcome = _Outcome(new, obj, obj, "none", "evaluation", "no site left to choose")
    elif method == "heuristic" or (
        method == "auto" and core.rows.site.size > EXACT_MAX_ENTRIES
    ):
        outcome = _heuristic(core, seed, clock)
    else:
        outcome = _exact(core, backend, seed, clock, prep.integral)
    return _finish(matrix, w, prep, outcome, cutoff, penalty, clock)


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


def prepare(
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
    near_existing = sorted_rows(matrix, allowed=is_existing, cap=reach).first_cost()
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
    # the caps only came down (complete rows: their farthest entry; must-cover rows: big-M)
    core_rows = rows.subset(active, np.minimum(reach[active], fallback[active]))
    core = MedianCore(core_rows, w[active], fallback[active], must_cover[active], candidate, q)
    wd = np.concatenate((core.weight[core.rows.row] * core.rows.cost, core.weight * core.fallback))
    integral = bool(np.all(wd == np.round(wd)))
    return _Prepared(core, active, existing, np.flatnonzero(unreachable), integral)


@dataclass(frozen=True)
class _Outcome:
    new_sites: IntArray
    objective: float
    bound: float
    backend: str
    method: str
    reason: str
    infeasible: bool = False


def _heuristic(core: MedianCore, seed: int, clock: Clock) -> _Outcome:
    sites, obj = greedy_swap(core, starts=HEURISTIC_STARTS, seed=seed, clock=clock)
    row_cost = core.nearest(open_mask(core.rows.n_sites, sites))[1]
    bound = lagrangian_bound(core, obj, core.weight * row_cost, clock=clock)
    bound = max(bound, core.trivial_bound())
    timed_out = clock.expired
    reason = "time limit reached during the heuristic" if timed_out else ""
    return _Outcome(sites, obj, bound, "heuristic", "greedy+swap+lagrangian", reason)


def _finish(
    matrix: FloatArray | sp.csr_array,
    w: FloatArray,
    prep: _Prepared,
    outcome: _Outcome,
    cutoff: float | None,
    penalty: float | None,
    clock: Clock,
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
            prep, outcome, sites, assignment, np.inf, np.inf, Status.INFEASIBLE, reasons, clock
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
    return _solution(prep, outcome, sites, assignment, objective, bound, status, reasons, clock)


def _solution(
    prep: _Prepared,
    outcome: _Outcome,
    sites: IntArray,
    assignment: IntArray,
    objective: float,
    bound: float,
    status: Status,
    reasons: list[str],
    clock: Clock,
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
        seconds=clock.seconds,
        unreachable=prep.unreachable,
        reason="; ".join(r for r in reasons if r),
    )


def fixed_core(core: MedianCore, closed: IntArray, opened: IntArray) -> MedianCore:
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
    core: MedianCore, backend: Backend, seed: int, clock: Clock, integral: bool
) -> _Outcome:
    if backend != "highs":
        sites, obj = greedy_swap(core, starts=EXACT_STARTS, seed=seed, clock=clock)
        if clock.expired:
            return _heuristic_only(core, sites, obj, -np.inf)
        found, bound, status = solve_compact(core, backend, sites, clock)
        return _settle(core, sites, obj, found, bound, status, backend, "elloumi")
    # the LP master (HiGHS, which releases the GIL) is solved while greedy + swap runs
    start = greedy(core)
    benders = BendersMaster(core, start, clock)
    with ThreadPoolExecutor(max_workers=1) as pool:
        solving = pool.submit(benders.solve)
        sites, obj = greedy_swap(core, starts=EXACT_STARTS, seed=seed, clock=clock,
                                 plain=start)
        lp = solving.result()
    if clock.expired:
        return _heuristic_only(core, sites, obj, benders.bound)
    method = "benders-lp+branch"
    if lp.status in PRUNED:
        return _Outcome(sites, np.inf, np.inf, "highs", method, "", infeasible=True)
    if lp.status != OPTIMAL:
        return _Outcome(sites, obj, benders.bound, "highs", method,
                        f"LP master stopped: {lp.status.name}")
    x, reduced = lp.x, lp.reduced
    # rounding the LP point and polishing it often beats the greedy start
    top = np.argsort(-np.where(core.candidate, x[: core.rows.n_sites], -1.0), kind="stable")
    lp_sites, lp_obj = local_search(core, np.sort(top[: core.q]), clock=clock)
    if lp_obj < obj:
        sites, obj = lp_sites, lp_obj
    if obj - benders.bound <= OPTIMALITY_TOLERANCE * max(1.0, abs(obj)):
        return _Outcome(sites, obj, benders.bound, "highs", method, "")
    level = fix_level(obj, integral)
    # any solution using a fixed-out choice costs more than ``level``: at least ``obj`` if integral
    floor = obj if integral else level
    closed, opened = benders.fixings(x, reduced, level)
    stage = fixed_core(benders.truncated(level), closed, opened)
    if not _has_choice(stage):
        if stage.q == 0:
            return _settle(core, sites, obj, opened, max(benders.bound, floor),
                           MilpStatus.OPTIMAL, "highs", method)
        # no choice of the surviving sites is feasible: none beats the floor
        return _settle(core, sites, obj, None, max(benders.bound, floor), MilpStatus.OPTIMAL,
                       "highs", method)
    # a second master over the surviving sites only: its LPs are small, so branching is cheap
    second = BendersMaster(stage, sites[stage.candidate[sites]], clock)
    second.inherit_cuts(benders)
    lp = second.solve()
    if lp.status in PRUNED or second.bound > level:
        return _settle(core, sites, obj, None, max(benders.bound, floor),
                       MilpStatus.OPTIMAL, "highs", method)
    if lp.status == OPTIMAL:
        second.fixings(lp.x, lp.reduced, level)
    found, bound, status = branch_and_bound(second, obj, integral)
    if found is not None:
        found = np.union1d(found, opened)
    return _settle(core, sites, obj, found, max(benders.bound, min(bound, floor)), status,
                   "highs", method)


def _heuristic_only(core: MedianCore, sites: IntArray, obj: float, bound: float) -> _Outcome:
    """The warm start's sites when time ran out; ``bound``: the LP bound reached, if any."""
    return _Outcome(sites, obj, max(core.trivial_bound(), bound), "heuristic", "greedy+swap",
                    "time limit reached during the heuristic warm start")


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
    bound = max(bound, core.trivial_bound())
    reason = "" if status is MilpStatus.OPTIMAL else f"{backend} MILP stopped by the time limit"
    return _Outcome(sites, objective, min(bound, objective), backend, method, reason)


def solve_compact(
    core: MedianCore, backend: Backend, warm: IntArray | None, clock: Clock
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
    first, last = rows.ends(last=False), rows.ends(last=True)
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
        offset=core.trivial_bound(),
    )
    out = solve_milp(
        problem, backend=backend, time_limit=clock.remaining(),
        mip_rel_gap=0.1 * OPTIMALITY_TOLERANCE, warm_start=start,
    )
    found = None if out.x is None else cands[out.x[:m] > 0.5]
    return found, out.bound, out.status
