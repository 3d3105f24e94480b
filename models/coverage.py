"""Covering models: set cover (LSCP), maximal covering (MCLP) and partial cover.

All three read a demand × candidate site coverage matrix (see :func:`coverage` in
``_coverage_matrix``), merge identical demand rows, drop rows that existing sites already cover,
and solve a MILP built from sparse arrays through :func:`solve_milp`. A greedy solution is always
passed as a warm start, so a run stopped by its time limit still returns a feasible plan with its
proven bound.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._cover_reduction import reduce_cover
from ._coverage_matrix import Coverage, coverage, covered_by, merge_rows, nearest_open
from ._errors import ModelInputError
from ._milp import Backend, MilpOutcome, MilpProblem, MilpStatus, solve_milp
from ._result import OPTIMALITY_TOLERANCE, Sense, Solution, Status, relative_gap
from ._validate import (
    check_count,
    check_disjoint,
    check_site_costs,
    check_sites,
    check_weights,
)
from .arrays import BoolArray, FloatArray, IntArray
from .clock import Clock

Method = Literal["auto", "exact", "heuristic"]


# --------------------------------------------------------------------------- shared pieces


@dataclass(frozen=True)
class Sites:
    """Validated site sets of an ``n_sites`` candidate list."""

    existing: IntArray
    forbidden: IntArray
    candidates: IntArray  # sites that may be newly opened: neither existing nor forbidden

    @property
    def allowed(self) -> IntArray:
        """Sites that may be open: existing and candidates."""
        return np.union1d(self.existing, self.candidates)


def check_site_sets(existing: Iterable[int], forbidden: Iterable[int], n_sites: int) -> Sites:
    """Validate ``existing`` and ``forbidden`` site indices and derive the candidates."""
    ex = check_sites(existing, n_sites, name="existing")
    fb = check_sites(forbidden, n_sites, name="forbidden")
    check_disjoint(ex, fb)
    return Sites(ex, fb, np.setdiff1d(np.arange(n_sites), np.union1d(ex, fb)))


@dataclass(frozen=True)
class Solved:
    """A MILP solve reduced to what a model needs; ``x`` is None only when infeasible."""

    x: FloatArray | None
    status: Status
    objective: float
    bound: float
    note: str


def solve_with_fallback(
    problem: MilpProblem,
    warm: FloatArray | None,
    *,
    backend: Backend,
    clock: Clock,
    highs_options: Mapping[str, bool | int | float | str] | None = None,
) -> Solved:
    """Solve ``problem`` (a minimisation), falling back on ``warm`` when the solver has nothing.

    The better of the solver's incumbent and ``warm`` is kept (CBC ignores warm starts), so a
    time-limited run returns ``FEASIBLE`` with the solver's proven bound rather than nothing.
    Integer columns are rounded to remove solver tolerance noise.
    """
    out = solve_milp(problem, backend=backend, time_limit=clock.remaining(), warm_start=warm,
                     highs_options=highs_options)
    if out.status is MilpStatus.INFEASIBLE:
        return Solved(None, Status.INFEASIBLE, np.inf, np.inf, "the model is infeasible")
    candidates = [x for x in (out.x, warm) if x is not None]
    if not candidates:
        return Solved(None, Status.INFEASIBLE, np.inf, out.bound, "the solver found no solution")
    x = min(candidates, key=lambda v: float(problem.c @ v))
    x = np.where(problem.integer, np.round(x), x)
    objective = float(problem.c @ x) + problem.offset
    if relative_gap(objective, out.bound, "min") <= OPTIMALITY_TOLERANCE:
        return Solved(x, Status.OPTIMAL, objective, min(out.bound, objective), "")
    note = (
        f"time limit of {clock.limit:g} s reached" if clock.limit is not None
        else f"solver stopped with status {out.status.value}"
    )
    return Solved(x, Status.FEASIBLE, objective, out.bound, note)


def binary_problem(
    c: FloatArray,
    A: sp.csr_array,
    row_lower: FloatArray,
    row_upper: FloatArray,
    n_binary: int,
    *,
    offset: float = 0.0,
) -> MilpProblem:
    """A MILP whose first ``n_binary`` columns are binary and the rest continuous in [0, 1]."""
    n = c.size
    integer = np.arange(n) < n_binary
    return MilpProblem(
        np.asarray(c, dtype=np.float64), sp.csr_array(A).astype(np.float64),
        np.asarray(row_lower, dtype=np.float64), np.asarray(row_upper, dtype=np.float64),
        np.zeros(n), np.ones(n), integer, offset,
    )


def covering_rows(A: sp.csr_array, x_row: FloatArray, y_row: FloatArray) -> sp.csr_array:
    """Rows ``y_i - sum_{j in N_i} x_j <= 0`` over ``[x, y]``, then one row ``[x_row, y_row]``."""
    top = sp.hstack([sp.csr_array(A).astype(np.float64) * -1.0, sp.eye_array(A.shape[0])])
    return sp.csr_array(sp.vstack([top, sp.csr_array(np.concatenate((x_row, y_row))[None, :])]))


def _column_rows(At: sp.csr_array, j: int) -> IntArray:
    return At.indices[At.indptr[j]:At.indptr[j + 1]].astype(np.int64)


def greedy(
    A: sp.csr_array,
    w: FloatArray,
    costs: FloatArray,
    *,
    target: float = np.inf,
    max_sites: float = np.inf,
    budget: float = np.inf,
    per_cost: bool = True,
) -> BoolArray:
    """Open sites one at a time by marginal covered weight (per unit cost when ``per_cost``).

    Stops when the covered weight reaches ``target``, ``max_sites`` are open, the budget admits
    no further site, or no site adds weight (Chvátal 1979 for costs; Nemhauser et al. 1978).
    Ties go to the lowest column. ``A`` is rows × columns (boolean CSR).
    """
    At = sp.csr_array(A.T)
    chosen = np.zeros(A.shape[1], dtype=np.bool_)
    uncovered = np.ones(A.shape[0], dtype=np.bool_)
    covered = spent = 0.0
    tol = 1e-9 * max(float(w.sum()), 1.0)
    slack = 1e-9 * max(abs(budget) if np.isfinite(budget) else 0.0, 1.0)
    while covered < target - tol and chosen.sum() < max_sites:
        gain = At @ (w * uncovered)
        ok = ~chosen & (gain > tol) & (costs <= budget - spent + slack)
        if not ok.any():
            break
        score = gain / np.maximum(costs, 1e-300) if per_cost else gain
        j = int(np.argmax(np.where(ok, score, -np.inf)))
        rows = _column_rows(At, j)
        covered += float(w[rows][uncovered[rows]].sum())
        uncovered[rows] = False
        chosen[j] = True
        spent += float(costs[j])
    return chosen


def prune(
    A: sp.csr_array, w: FloatArray, costs: FloatArray, chosen: BoolArray, target: float
) -> BoolArray:
    """Close open sites, dearest first, whose removal keeps the covered weight ≥ ``target``."""
    At = sp.csr_array(A.T)
    chosen = chosen.copy()
    count = A @ chosen.astype(np.float64)
    covered = float(w[count > 0].sum())
    tol = 1e-9 * max(float(w.sum()), 1.0)
    open_sites = np.flatnonzero(chosen)
    for j in open_sites[np.lexsort((-open_sites, -costs[open_sites]))]:
        rows = _column_rows(At, int(j))
        loss = float(w[rows][count[rows] == 1].sum())
        if covered - loss >= target - tol:
            chosen[j] = False
            count[rows] -= 1
            covered -= loss
    return chosen


def local_search(
    A: sp.csr_array,
    w: FloatArray,
    costs: FloatArray,
    chosen: BoolArray,
    *,
    max_sites: float,
    budget: float,
) -> BoolArray:
    """Improve a max-cover solution by additions and best swaps until none adds weight.

    Each round evaluates every (open, closed) swap at once: the gain of opening ``k`` minus the
    weight only ``j`` covers plus the part of it that ``k`` also covers (Teitz & Bart 1968's
    interchange, vectorised). Additions respect ``max_sites`` and ``budget``; swaps ``budget``.
    """
    At = sp.csr_array(A.T)
    chosen = chosen.copy()
    tol = 1e-9 * max(float(w.sum()), 1.0)
    slack = 1e-9 * max(abs(budget) if np.isfinite(budget) else 0.0, 1.0)
    per_cost = np.isfinite(budget)
    while True:
        count = A @ chosen.astype(np.float64)
        gain = At @ (w * (count == 0))
        spent = float(costs[chosen].sum())
        add = ~chosen & (gain > tol) & (costs <= budget - spent + slack)
        if add.any() and chosen.sum() < max_sites:
            score = gain / np.maximum(costs, 1e-300) if per_cost else gain
            chosen[int(np.argmax(np.where(add, score, -np.inf)))] = True
            continue
        open_sites = np.flatnonzero(chosen)
        if open_sites.size == 0:
            return chosen
        only = w * (count == 1)
        rows_of_open = At[open_sites]
        loss = rows_of_open @ only
        overlap = (rows_of_open.multiply(only[None, :]) @ A).toarray()
        delta = gain[None, :] - loss[:, None] + overlap
        fits = costs[None, :] - costs[open_sites][:, None] <= budget - spent + slack
        delta = np.where(fits & ~chosen[None, :], delta, -np.inf)
        best = int(np.argmax(delta))
        if delta.flat[best] <= tol:
            return chosen
        out, into = divmod(best, A.shape[1])
        chosen[open_sites[out]] = False
        chosen[into] = True


def covered_weight(A: sp.csr_array, w: FloatArray, chosen: BoolArray) -> float:
    """Weight of the rows of ``A`` that the chosen columns cover."""
    return float(w[A @ chosen.astype(np.float64) > 0].sum())


@dataclass(frozen=True)
class _Instance:
    """A validated covering instance, reduced to the rows and columns a model must decide."""

    cov: Coverage
    weights: FloatArray
    costs: FloatArray
    sites: Sites
    unreachable: IntArray
    existing_weight: float  # weight already covered by existing sites
    A: sp.csr_array  # merged open rows × candidate columns
    w: FloatArray  # merged weights of the rows of A


def _instance(
    matrix: object,
    weights: object,
    cutoff: float | None,
    site_costs: object,
    existing: Iterable[int],
    forbidden: Iterable[int],
) -> _Instance:
    cov = coverage(matrix, cutoff=cutoff)
    n, m = cov.shape
    w = check_weights(weights, n)
    costs = check_site_costs(site_costs, m)
    sites = check_site_sets(existing, forbidden, m)
    reachable = covered_by(cov.matrix, sites.allowed)
    done = covered_by(cov.matrix, sites.existing)
    todo = np.flatnonzero(reachable & ~done & (w > 0))
    A, merged_w, _ = merge_rows(cov.matrix[todo][:, sites.candidates], w[todo])
    return _Instance(
        cov, w, costs, sites, np.flatnonzero(~reachable), float(w[done].sum()), A, merged_w
    )


def _unreachable_note(inst: _Instance) -> str:
    k = inst.unreachable.size
    if k == 0:
        return ""
    return (
        f"{k} demand rows that no allowed site covers are left out of the model "
        "(listed in unreachable)"
    )


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _solution(
    problem: str,
    inst: _Instance,
    chosen: BoolArray,
    *,
    objective: float,
    bound: float,
    sense: Sense,
    status: Status,
    backend: str,
    method: str,
    clock: Clock,
    reason: str,
) -> Solution:
    new_sites = inst.sites.candidates[chosen]
    sites = np.union1d(inst.sites.existing, new_sites)
    assignment, _ = nearest_open(inst.cov, sites)
    return Solution(
        problem=problem, sites=sites, new_sites=new_sites, assignment=assignment,
        objective=objective, bound=bound, sense=sense, status=status, backend=backend,
        method=method, seconds=clock.seconds, unreachable=inst.unreachable, reason=reason,
    )


# --------------------------------------------------------------------------- set cover


def set_cover(
    matrix: object,
    *,
    cutoff: float | None = None,
    site_costs: npt.ArrayLike | None = None,
    existing: Iterable[int] = (),
    forbidden: Iterable[int] = (),
    backend: Backend = "highs",
    time_limit: float | None = None,
) -> Solution:
    r"""Location set covering problem (LSCP): cover every demand row at least new-site cost.

    Sets: demand rows :math:`i \in I`, candidate sites :math:`j \in J` (not existing, not
    forbidden), :math:`N_i \subseteq J` the candidates covering :math:`i`.
    Parameters: site cost :math:`c_j` (1 by default: fewest sites).
    Variables: :math:`x_j \in \{0, 1\}`, 1 when site :math:`j` opens.

    .. math::

        \min \sum_{j \in J} c_j x_j \quad \text{s.t.} \quad
        \sum_{j \in N_i} x_j \ge 1 \quad \forall i \in I

    Rows an existing site covers are already served and left out; identical rows are merged.

    Parameters
    ----------
    matrix
        Demand × candidate sites: a coverage matrix (``cutoff=None``) or a cost matrix, e.g.
        minutes of walking (with ``cutoff``). In a sparse cost matrix a stored 0 covers.
    cutoff
        Largest covering cost, in the units of ``matrix``.
    site_costs
        Cost of opening each candidate site (any currency unit); ones when None.
    existing
        Indices of sites that are already open: free and always open.
    forbidden
        Indices of sites that may not open.
    backend
        MILP solver: ``"highs"``, ``"cbc"`` or ``"scip"``.
    time_limit
        Seconds for the whole call; when reached, the best cover found comes back ``FEASIBLE``.

    Returns
    -------
    Solution
        ``objective`` is the cost of the new sites, ``bound`` a proven lower bound. Demand rows
        no allowed site covers are listed in ``unreachable`` and left out of the constraints.

    References
    ----------
    Toregas, C., Swain, R., ReVelle, C., Bergman, L. (1971). The location of emergency service
    facilities. Operations Research 19(6), 1363-1373.
    """
    clock = Clock(time_limit)
    inst = _instance(matrix, None, cutoff, site_costs, existing, forbidden)
    x, status, bound, note = min_cover(inst.A, inst.costs[inst.sites.candidates], backend, clock)
    objective = float(inst.costs[inst.sites.candidates][x].sum())
    return _solution(
        "set_cover", inst, x, objective=objective, bound=bound, sense="min", status=status,
        backend=backend, method="milp", clock=clock, reason=_join(note, _unreachable_note(inst)),
    )


def greedy_cover(A: sp.csr_array, costs: FloatArray) -> BoolArray:
    """Chvátal's greedy cover of every row of ``A``, with redundant columns closed."""
    ones = np.ones(A.shape[0])
    return prune(A, ones, costs, greedy(A, ones, costs, target=A.shape[0]), A.shape[0])


def min_cover(
    A: sp.csr_array, costs: FloatArray, backend: Backend, clock: Clock
) -> tuple[BoolArray, Status, float, str]:
    """Cheapest set of columns covering every row of ``A``; (chosen, status, bound, note).

    Dominated rows and columns are removed first (:mod:`._cover_reduction`): same optimum,
    a smaller and usually much easier model.
    """
    chosen = np.zeros(A.shape[1], dtype=np.bool_)
    if A.shape[0] == 0:
        return chosen, Status.OPTIMAL, 0.0, ""
    kept = reduce_cover(A, costs)
    R, cost_r = kept.matrix(A), costs[kept.columns]
    warm = greedy_cover(R, cost_r)
    ones = np.ones(R.shape[0])
    problem = binary_problem(cost_r, R, ones, np.full(R.shape[0], np.inf), R.shape[1])
    solved = solve_with_fallback(problem, warm.astype(np.float64), backend=backend, clock=clock)
    assert solved.x is not None  # every row has a covering column, so the model is feasible
    chosen[kept.columns] = solved.x > 0.5
    return chosen, solved.status, solved.bound, solved.note


# --------------------------------------------------------------------------- max cover


def max_cover(
    matrix: object,
    weights: npt.ArrayLike | None = None,
    *,
    cutoff: float | None = None,
    p: int | None = None,
    budget: float | None = None,
    site_costs: npt.ArrayLike | None = None,
    existing: Iterable[int] = (),
    forbidden: Iterable[int] = (),
    method: Method = "auto",
    backend: Backend = "highs",
    time_limit: float | None = None,
) -> Solution:
    r"""Maximal covering location problem (MCLP), with a site count or a budget.

    Sets: demand rows :math:`i \in I` not covered by an existing site, candidate sites
    :math:`j \in J` (not existing, not forbidden), :math:`N_i \subseteq J` those covering
    :math:`i`. Parameters: weight :math:`w_i` (e.g. residents), site cost :math:`c_j`, the
    number of new sites :math:`p` or the budget :math:`B`, and :math:`W_0`, the weight existing
    sites already cover. Variables: :math:`x_j \in \{0, 1\}` (site opens),
    :math:`y_i \in [0, 1]` (row covered; integral at an optimum, so left continuous).

    .. math::

        \max W_0 + \sum_{i \in I} w_i y_i \quad \text{s.t.} \quad
        y_i \le \sum_{j \in N_i} x_j \;\; \forall i, \qquad
        \sum_j x_j \le p \;\; \text{or} \;\; \sum_j c_j x_j \le B

    Parameters
    ----------
    matrix
        Demand × candidate sites: a coverage matrix (``cutoff=None``) or a cost matrix (with
        ``cutoff``; a stored 0 in a sparse cost matrix covers).
    weights
        Demand weight per row (e.g. residents); ones when None.
    cutoff
        Largest covering cost, in the units of ``matrix``.
    p
        Largest number of NEW sites (existing sites are open on top of them).
    budget
        Largest total cost of new sites, in the units of ``site_costs`` (budgeted MCLP).
        Give exactly one of ``p`` and ``budget``.
    site_costs
        Cost of each candidate site; only with ``budget``. Ones when None.
    existing, forbidden
        Indices of sites already open (their coverage counts) and of sites that may not open.
    method
        ``"heuristic"``: greedy (by marginal weight, or weight per cost with a budget, keeping
        the best single site as Khuller et al. 1999 require) followed by additions and swaps,
        or the LP relaxation's point rounded and polished the same way when that covers more;
        the LP relaxation (interior point) is its proven upper bound. ``"exact"``: then the
        MILP, warm-started by that solution, with every site closed whose reduced cost shows
        that opening it caps the covered weight below that solution's (on a random 2,000 x
        2,000 instance with p = 20 this closed 1,831 sites and took the call from 9.6 s to
        1.7 s). ``"auto"``: the heuristic, and the exact path only when the LP bound does not
        already prove it optimal.
    backend
        MILP solver: ``"highs"``, ``"cbc"`` or ``"scip"``.
    time_limit
        Seconds for the whole call.

    Returns
    -------
    Solution
        ``objective`` is the covered weight (existing coverage included), ``bound`` a proven
        upper bound; ``assignment`` the nearest covering open site or -1.

    References
    ----------
    Church, R., ReVelle, C. (1974). The maximal covering location problem. Papers of the
    Regional Science Association 32(1), 101-118.
    Khuller, S., Moss, A., Naor, J. (1999). The budgeted maximum coverage problem. Information
    Processing Letters 70(1), 39-45.
    """
    clock = Clock(time_limit)
    if method not in ("auto", "exact", "heuristic"):
        msg = f"method must be 'auto', 'exact' or 'heuristic', got {method!r}"
        raise ModelInputError(msg)
    inst = _instance(matrix, weights, cutoff, site_costs, existing, forbidden)
    costs = inst.costs[inst.sites.candidates]
    max_sites, cap = limits(p, budget, site_costs, inst.cov.shape[1], costs)
    A, w = inst.A, inst.w
    k, g = A.shape[1], A.shape[0]
    if p is None:
        limit_row, limit = costs, cap
    else:
        limit_row, limit = np.ones(k), float(max_sites)
    problem = binary_problem(
        np.concatenate((np.zeros(k), -w)),
        covering_rows(A, limit_row, np.zeros(g)),
        np.full(g + 1, -np.inf),
        np.concatenate((np.zeros(g), [limit])),
        k,
        offset=-inst.existing_weight,
    )
    heur = _max_cover_heuristic(A, w, costs, max_sites=max_sites, budget=cap)
    if g == 0:
        return _solution(
            "max_cover", inst, heur, objective=inst.existing_weight, bound=inst.existing_weight,
            sense="max", status=Status.OPTIMAL, backend=backend, method="milp", clock=clock,
            reason=_join("existing sites cover all reachable weight", _unreachable_note(inst)),
        )
    # the LP relaxation: its bound, its point rounded and polished, and fixings read off it
    lp = solve_milp(problem.relaxed(), backend=backend, time_limit=clock.remaining(),
                    lp_algorithm="ipm")
    lp_x = lp.x[:k] if lp.status is MilpStatus.OPTIMAL and lp.x is not None else None
    heur_value, heur_method = covered_weight(A, w, heur), "greedy+swap"
    if lp_x is not None:
        rounded = _round_lp(A, w, costs, lp_x, max_sites=max_sites, budget=cap)
        rounded_value = covered_weight(A, w, rounded)
        if rounded_value > heur_value:
            heur, heur_value, heur_method = rounded, rounded_value, "lp-rounding+swap"
    heur_x = np.concatenate((heur, A @ heur.astype(np.float64) > 0)).astype(np.float64)
    heur_value += inst.existing_weight
    if method != "exact":
        everything = float(w.sum()) + inst.existing_weight
        upper = max(-lp.bound if lp_x is not None else everything, heur_value)
        proven = relative_gap(heur_value, upper, "max") <= OPTIMALITY_TOLERANCE
        if method == "heuristic" or proven:
            return _solution(
                "max_cover", inst, heur, objective=heur_value,
                bound=heur_value if proven else upper, sense="max",
                status=Status.OPTIMAL if proven else Status.FEASIBLE, backend="heuristic",
                method=heur_method, clock=clock,
                reason=_join(
                    "" if proven else "heuristic; the gap is to the LP relaxation bound",
                    _unreachable_note(inst),
                ),
            )
    if lp_x is not None and lp.row_duals is not None:
        out = fixed_out(problem, lp, k, heur_value)
        upper_x = problem.col_upper.copy()
        upper_x[:k][out] = 0.0
        problem = dataclasses.replace(problem, col_upper=upper_x)
    solved = solve_with_fallback(problem, heur_x, backend=backend, clock=clock)
    assert solved.x is not None  # opening nothing is feasible
    return _solution(
        "max_cover", inst, solved.x[:k] > 0.5, objective=-solved.objective, bound=-solved.bound,
        sense="max", status=solved.status, backend=backend, method="milp", clock=clock,
        reason=_join(solved.note, _unreachable_note(inst)),
    )


def _round_lp(
    A: sp.csr_array, w: FloatArray, costs: FloatArray, x: FloatArray, *, max_sites: float,
    budget: float,
) -> BoolArray:
    """Sites taken in decreasing LP value while they fit (count and budget), then polished by
    additions and swaps: often the optimum when the LP is nearly integral."""
    chosen = np.zeros(x.size, dtype=np.bool_)
    spent, count = 0.0, 0
    for j in np.argsort(-x, kind="stable"):
        if x[j] <= 0 or count >= max_sites:
            break
        if spent + costs[j] <= budget:
            chosen[j] = True
            spent, count = spent + costs[j], count + 1
    return local_search(A, w, costs, chosen, max_sites=max_sites, budget=budget)


def fixed_out(problem: MilpProblem, lp: MilpOutcome, k: int, incumbent: float) -> BoolArray:
    """Sites (the first ``k`` columns) that no solution better than ``incumbent`` opens.

    ``problem`` minimises minus the covered weight; with the LP's row duals ``pi``, opening a
    site the LP leaves closed lifts the LP value by at least its reduced cost
    ``c_j - a_j . pi``, so a site whose forced opening caps the covered weight below the
    incumbent (with a margin for the solver's tolerances) stays closed.
    """
    assert lp.x is not None
    assert lp.row_duals is not None
    reduced = problem.c[:k] - (problem.A.T @ lp.row_duals)[:k]
    cap = -(lp.bound + reduced)
    margin = 1e-6 * max(1.0, abs(incumbent))
    out: BoolArray = (lp.x[:k] <= 1e-9) & (cap < incumbent - margin)
    return out


def limits(
    p: object, budget: object, site_costs: object, n_sites: int, costs: FloatArray
) -> tuple[float, float]:
    """Check ``p``/``budget``; return (largest number of new sites, largest new-site cost).

    ``costs`` are the costs of the candidate sites, which a budget must be able to afford.
    """
    if (p is None) == (budget is None):
        msg = "give exactly one of p (number of new sites) and budget (total new-site cost)"
        raise ModelInputError(msg)
    if p is not None:
        if site_costs is not None:
            msg = "site_costs only apply with budget; drop site_costs or give budget instead of p"
            raise ModelInputError(msg)
        return float(check_count(p, n_sites, 0, name="p")), np.inf
    b = float(budget)  # type: ignore[arg-type]
    if not np.isfinite(b) or b < 0:
        msg = f"budget must be a finite cost ≥ 0, got {budget!r}"
        raise ModelInputError(msg)
    if costs.size and b < costs.min():
        msg = (
            f"budget={b:g} is below the cheapest candidate site cost {costs.min():g}; "
            f"raise budget to at least {costs.min():g}"
        )
        raise ModelInputError(msg)
    return np.inf, b


def _max_cover_heuristic(
    A: sp.csr_array, w: FloatArray, costs: FloatArray, *, max_sites: float, budget: float
) -> BoolArray:
    per_cost = bool(np.isfinite(budget))
    start = greedy(A, w, costs, max_sites=max_sites, budget=budget, per_cost=per_cost)
    if per_cost:
        single = np.zeros_like(start)
        gain = sp.csr_array(A.T) @ w
        affordable = costs <= budget
        if affordable.any():
            single[int(np.argmax(np.where(affordable, gain, -np.inf)))] = True
        if covered_weight(A, w, single) > covered_weight(A, w, start):
            start = single
    return local_search(A, w, costs, start, max_sites=max_sites, budget=budget)


# --------------------------------------------------------------------------- partial cover


def partial_cover(
    matrix: object,
    weights: npt.ArrayLike | None = None,
    *,
    share: float,
    cutoff: float | None = None,
    site_costs: npt.ArrayLike | None = None,
    existing: Iterable[int] = (),
    forbidden: Iterable[int] = (),
    backend: Backend = "highs",
    time_limit: float | None = None,
) -> Solution:
    r"""Partial set cover: cover at least a share of the demand weight at least new-site cost.

    Sets and parameters as in :func:`max_cover`, with :math:`W` the total weight and
    :math:`s \in (0, 1]` the share. Variables: :math:`x_j \in \{0, 1\}`,
    :math:`y_i \in [0, 1]`.

    .. math::

        \min \sum_j c_j x_j \quad \text{s.t.} \quad
        y_i \le \sum_{j \in N_i} x_j \;\; \forall i, \qquad
        W_0 + \sum_i w_i y_i \ge s W

    Parameters
    ----------
    matrix, weights, cutoff, site_costs, existing, forbidden, backend, time_limit
        As in :func:`max_cover`.
    share
        Smallest covered share of the total weight, in (0, 1] (e.g. 0.9 for 90 % of residents).

    Returns
    -------
    Solution
        ``objective`` is the new-site cost. When even every allowed site together cannot reach
        the share, the status is ``INFEASIBLE`` and ``reason`` gives the reachable share.

    References
    ----------
    Daskin, M. S. (1995). Network and Discrete Location: Models, Algorithms, and Applications,
    Wiley, section 4.4 (covering a fraction of demand); Church & ReVelle (1974).
    """
    clock = Clock(time_limit)
    s = float(share)
    if not 0 < s <= 1:
        msg = f"share must be in (0, 1] (e.g. 0.9 for 90 % of the weight), got {share!r}"
        raise ModelInputError(msg)
    inst = _instance(matrix, weights, cutoff, site_costs, existing, forbidden)
    costs = inst.costs[inst.sites.candidates]
    A, w = inst.A, inst.w
    total = float(inst.weights.sum())
    need = s * total - inst.existing_weight
    tol = 1e-9 * max(total, 1.0)
    reachable = inst.existing_weight + float(w.sum())
    if need > float(w.sum()) + tol:
        return Solution(
            problem="partial_cover", sites=inst.sites.existing, assignment=np.full(
                inst.cov.shape[0], -1), objective=np.inf, bound=np.inf, sense="min",
            status=Status.INFEASIBLE, backend=backend, method="milp", seconds=clock.seconds,
            unreachable=inst.unreachable,
            reason=(
                f"even all allowed sites cover only {reachable / max(total, 1e-300):.4%} of the "
                f"weight, below share={s:g}; lower share or allow more sites"
            ),
        )
    warm = prune(A, w, costs, greedy(A, w, costs, target=need), need)
    if need <= tol:
        return _solution(
            "partial_cover", inst, warm, objective=0.0, bound=0.0, sense="min",
            status=Status.OPTIMAL, backend=backend, method="milp", clock=clock,
            reason="existing sites already cover the share",
        )
    k, g = A.shape[1], A.shape[0]
    problem = binary_problem(
        np.concatenate((costs, np.zeros(g))),
        covering_rows(A, np.zeros(k), w),
        np.concatenate((np.full(g, -np.inf), [need - tol])),
        np.concatenate((np.zeros(g), [np.inf])),
        k,
    )
    warm_x = np.concatenate((warm, A @ warm.astype(np.float64) > 0)).astype(np.float64)
    solved = solve_with_fallback(problem, warm_x, backend=backend, clock=clock)
    assert solved.x is not None  # all candidates together reach the share
    return _solution(
        "partial_cover", inst, solved.x[:k] > 0.5, objective=solved.objective,
        bound=solved.bound, sense="min", status=solved.status, backend=backend, method="milp",
        clock=clock, reason=_join(solved.note, _unreachable_note(inst)),
    )
