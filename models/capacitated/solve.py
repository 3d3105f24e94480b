"""The capacitated models' entry points: validate once, then build the splittable or the
single-source model and solve it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .._coverage_matrix import all_pairs, coverage
from .._errors import ModelInputError
from .._milp import Backend
from .._result import Solution
from .._validate import check_cost_matrix, check_count, check_site_costs, check_weights
from ..arrays import BoolArray, FloatArray, IntArray
from ..clock import Clock
from ..coverage import check_site_sets, greedy, limits
from ._flows import flows, solve_flows
from ._pairs import CallContext
from ._single_source import solve_pmedian_by_columns, solve_single_source
from .assignment import Assignment, assignment_pairs, greedy_assignment
from .lagrangian import Lagrangian

CostPer = Literal["weight_unit", "row"]
COST_PER: tuple[CostPer, ...] = ("weight_unit", "row")


def _site_capacity(
    capacities: object, existing: Iterable[int], existing_capacity: object, n_sites: int
) -> FloatArray:
    """Per-site capacity, with ``existing_capacity`` (aligned with ``existing``) overriding."""
    cap = check_weights(capacities, n_sites, name="capacities")
    if existing_capacity is None:
        return cap
    order = np.asarray(list(existing), dtype=np.int64)
    values = np.asarray(existing_capacity, dtype=np.float64).ravel()
    if values.size != order.size or not np.isfinite(values).all() or (values < 0).any():
        msg = (
            f"existing_capacity must hold one finite capacity ≥ 0 per existing site "
            f"({order.size}), in the order of existing; got {values.size} values"
        )
        raise ModelInputError(msg)
    cap = cap.copy()
    cap[order] = values
    return cap


def _rows_too_big(rows: IntArray, w: FloatArray) -> str:
    """Why a single-source p-median is infeasible when ``rows`` fit no site they reach."""
    shown = ", ".join(f"{int(r)} ({w[r]:g})" for r in rows[:10])
    more = f" and {rows.size - 10} more" if rows.size > 10 else ""
    return (f"single_source: demand rows {shown}{more} (row (weight)) are larger than every "
            f"site they can reach; raise those sites' capacities or split the rows")


def _check_choice(value: object, name: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        msg = f"{name} must be one of {', '.join(allowed)}, got {value!r}"
        raise ModelInputError(msg)


def capacitated_max_cover(
    matrix: object,
    weights: npt.ArrayLike,
    capacities: npt.ArrayLike,
    *,
    cutoff: float | None = None,
    p: int | None = None,
    budget: float | None = None,
    site_costs: npt.ArrayLike | None = None,
    existing: Iterable[int] = (),
    existing_capacity: npt.ArrayLike | None = None,
    forbidden: Iterable[int] = (),
    single_source: bool = False,
    backend: Backend = "highs",
    time_limit: float | None = None,
) -> Solution:
    r"""Capacitated maximal covering: serve the most weight within reach and capacity.

    Sets: demand rows :math:`i \in I`, candidate sites :math:`K`, existing sites :math:`E`,
    covering pairs :math:`(i, j)` with :math:`j \in K \cup E`.
    Parameters: weight :math:`w_i`, capacity :math:`Q_j` (weight units), site cost :math:`c_j`,
    :math:`p` new sites or budget :math:`B`. Variables: :math:`y_j \in \{0, 1\}` for
    :math:`j \in K`; flow :math:`z_{ij} \ge 0` (weight of :math:`i` served by :math:`j`).

    .. math::

        \max \sum_{ij} z_{ij} \quad \text{s.t.} \quad
        \sum_j z_{ij} \le w_i, \quad
        \sum_i z_{ij} \le Q_j y_j \; (j \in K), \quad
        \sum_i z_{ij} \le Q_j \; (j \in E), \quad
        z_{ij} \le w_i y_j, \quad
        \sum_{j \in K} y_j \le p \;\text{or}\; \sum_{j \in K} c_j y_j \le B

    The constraints :math:`z_{ij} \le w_i y_j` are implied but tighten the LP relaxation.
    Demand is splittable; identical rows are merged, which is exact for splittable demand.

    With ``single_source=True`` each row is served whole by one site or not at all
    (:math:`z_{ij} = w_i x_{ij}`, :math:`x_{ij} \in \{0, 1\}`): maximise
    :math:`\sum_{ij} w_i x_{ij}` s.t. :math:`\sum_j x_{ij} \le 1`,
    :math:`\sum_i w_i x_{ij} \le Q_j y_j` (:math:`Q_j` for :math:`j \in E`),
    :math:`x_{ij} \le y_j`, and the same limit on :math:`y`. A pair exists only if the
    row's whole demand fits the site (:math:`w_i \le Q_j`); rows are not merged.

    Parameters
    ----------
    matrix, cutoff, p, budget, site_costs, existing, forbidden, backend, time_limit
        As in :func:`siting.models.coverage.max_cover`.
    weights
        Demand per row, in the units of ``capacities`` (e.g. children aged 0-3).
    capacities
        Capacity of each site if opened, in weight units (e.g. childcare places).
    existing_capacity
        Capacities of the existing sites, in the order of ``existing``; None uses
        ``capacities``.
    single_source
        Serve each row whole by one site (a class, a household's children) instead of splitting
        it between sites.

    Returns
    -------
    Solution
        ``objective`` is the served weight, ``bound`` an upper bound; ``reason`` gives the
        served total. ``assignment`` is each row's site (its largest-share site when split).

    References
    ----------
    Current, J. R., Storbeck, J. E. (1988). Capacitated covering models. Environment and
    Planning B 15(2), 153-163. Church & ReVelle (1974).
    """
    clock = Clock(time_limit)
    cov = coverage(matrix, cutoff=cutoff)
    n, m = cov.shape
    w = check_weights(weights, n)
    sites = check_site_sets(existing, forbidden, m)
    cap = _site_capacity(capacities, existing, existing_capacity, m)
    costs = check_site_costs(site_costs, m)[sites.candidates]
    max_sites, cap_budget = limits(p, budget, site_costs, m, costs)
    pairs = sp.csr_array((cov.cost, cov.matrix.indices, cov.matrix.indptr), shape=cov.shape)
    k = sites.candidates.size
    limit_row = np.ones(k) if p is not None else costs
    limit = (-np.inf, max_sites if p is not None else cap_budget)
    if single_source:
        model, unreachable, _ = assignment_pairs(pairs, w, sites, cap)
        model = model.with_cost(-model.w[model.pair_row])
        problem = model.problem(serve_all=False, limit_row=limit_row, limit=limit)
        new_cover = sp.csr_array(
            (np.ones(model.n_pairs), (model.pair_row, model.pair_col)),
            shape=(model.rows.size, model.columns.size),
        )[:, :k].astype(np.bool_)
        open_new = greedy(sp.csr_array(new_cover), model.w, costs, max_sites=max_sites,
                          budget=cap_budget, per_cost=p is None)
        warm = _assigned_start(model, open_new)
        call = CallContext(n, sites, unreachable, -1.0, backend, clock)
        relaxed = Lagrangian.of(model, serve_all=False, limit_row=limit_row, limit=limit)
        return solve_single_source("capacitated_max_cover", model, problem, warm, call, relaxed)
    split, unreachable = flows(pairs, w, sites)
    problem = split.problem(cap[split.columns], pair_cost=-np.ones(split.pairs.nnz),
                            serve_all=False, limit_row=limit_row, limit=limit)
    cover_new = sp.csr_array(split.pairs[:, :k]).astype(np.bool_)
    warm_sites = greedy(cover_new, split.w, costs, max_sites=max_sites, budget=cap_budget,
                        per_cost=p is None)
    call = CallContext(n, sites, unreachable, -1.0, backend, clock)
    return solve_flows("capacitated_max_cover", split, problem, warm_sites, call)


def _assigned_start(model: Assignment, open_new: BoolArray) -> FloatArray:
    """The variables of ``open_new`` with rows greedily assigned whole (a feasible start)."""
    open_columns = np.concatenate((open_new, np.ones(model.columns.size - model.n_new,
                                                      dtype=np.bool_)))
    return model.start(greedy_assignment(model, open_columns), open_new)


def capacitated_pmedian(
    cost: object,
    p: int,
    weights: npt.ArrayLike,
    capacities: npt.ArrayLike,
    *,
    existing: Iterable[int] = (),
    existing_capacity: npt.ArrayLike | None = None,
    forbidden: Iterable[int] = (),
    single_source: bool = False,
    cost_per: CostPer = "weight_unit",
    backend: Backend = "highs",
    time_limit: float | None = None,
) -> Solution:
    r"""Capacitated p-median: serve all demand from p sites at least travel cost.

    Sets: demand rows :math:`i \in I` (weight > 0, reachable), candidate sites :math:`K`,
    existing sites :math:`E`, stored pairs :math:`(i, j)`. Parameters: weight :math:`w_i`,
    travel cost :math:`d_{ij}` per weight unit, capacity :math:`Q_j`.

    Splittable demand (default): a row is many households, and several sites may share it.
    Variables :math:`y_j \in \{0, 1\}` (:math:`j \in K`), flow :math:`z_{ij} \ge 0`:

    .. math::

        \min \sum_{ij} d_{ij} z_{ij} \quad \text{s.t.} \quad
        \sum_j z_{ij} = w_i, \quad
        \sum_i z_{ij} \le Q_j y_j \; (j \in K), \quad
        \sum_i z_{ij} \le Q_j \; (j \in E), \quad
        z_{ij} \le w_i y_j, \quad
        \sum_{j \in K} y_j = p - |E|

    With a dense cost matrix the model has one flow per (row, allowed site) pair; give a sparse
    matrix of the reachable pairs for large instances.

    Single source (``single_source=True``): each row is served whole by one site, the
    capacitated p-median of Osman & Christofides (1994) (also the capacitated clustering
    problem, Mulvey & Beck 1984). Variables :math:`y_j` and :math:`x_{ij} \in \{0, 1\}`, with
    :math:`a_{ij}` the cost of serving row :math:`i` whole from :math:`j`
    (:math:`a_{ij} = w_i d_{ij}`, or the given cost when ``cost_per="row"``):

    .. math::

        \min \sum_{ij} a_{ij} x_{ij} \quad \text{s.t.} \quad
        \sum_j x_{ij} = 1, \quad
        \sum_i w_i x_{ij} \le Q_j y_j \; (j \in K), \quad
        \sum_i w_i x_{ij} \le Q_j \; (j \in E), \quad
        x_{ij} \le y_j, \quad
        \sum_{j \in K} y_j = p - |E|

    A pair exists only if the row's demand fits the site (:math:`w_i \le Q_j`). The linking
    rows :math:`x_{ij} \le y_j` make this the strong formulation (Ceselli & Righini 2005
    compare it with Lagrangian and column generation bounds). With HiGHS the root LP and an LP
    dive give a bound and an incumbent first, and the pairs whose reduced cost lifts the bound
    above the incumbent are eliminated; the rest is solved by branch-price-and-cut on the
    set-partitioning form (one column per site and set of rows it serves, subset-row cuts,
    Ceselli & Righini 2005; Jepsen et al. 2008), with the MILP as fallback (see
    :mod:`siting.models.capacitated._single_source`). Other backends get the MILP.

    Parameters
    ----------
    cost
        Demand × candidate sites travel cost (e.g. minutes); sparse: absent = unreachable.
    p
        Number of open sites, existing sites included.
    weights
        Demand per row, in the units of ``capacities``.
    capacities, existing_capacity, existing, forbidden, backend, time_limit
        As in :func:`capacitated_max_cover`.
    single_source
        Serve each row whole by one site instead of splitting it between sites.
    cost_per
        ``"weight_unit"``: ``cost[i, j]`` is per unit of weight (minutes per child), so serving
        row ``i`` costs ``weights[i] * cost[i, j]``. ``"row"``: ``cost[i, j]`` is the cost of
        serving all of row ``i`` from ``j``, the convention of the capacitated p-median
        literature (OR-Library ``pmedcap1``: the sum of distances, whatever the demands).

    Returns
    -------
    Solution
        ``objective`` is the total cost; ``INFEASIBLE`` with a reason when the largest
        capacities cannot hold the demand, a row fits no site it can reach (single source) or
        the reachable pairs cannot route it. A time-limited run is ``FEASIBLE`` with its gap.

    References
    ----------
    Mulvey, J. M., Beck, M. P. (1984). Solving capacitated clustering problems. European
    Journal of Operational Research 18(3), 339-348.
    Osman, I. H., Christofides, N. (1994). Capacitated clustering problems by hybrid simulated
    annealing and tabu search. International Transactions in Operational Research 1(3),
    317-336.
    Ceselli, A., Righini, G. (2005). A branch-and-price algorithm for the capacitated p-median
    problem. Networks 45(3), 125-142.
    Jepsen, M., Petersen, B., Spoorendonk, S., Pisinger, D. (2008). Subset-row inequalities
    applied to the vehicle-routing problem with time windows. Operations Research 56(2),
    497-511.
    Wentges, P. (1997). Weighted Dantzig-Wolfe decomposition for linear mixed-integer
    programming. International Transactions in Operational Research 4(2), 151-162.
    ReVelle & Swain (1970).
    """
    clock = Clock(time_limit)
    _check_choice(cost_per, "cost_per", COST_PER)
    pairs = all_pairs(check_cost_matrix(cost))
    n, m = pairs.shape
    w = check_weights(weights, n)
    sites = check_site_sets(existing, forbidden, m)
    p = check_count(p, sites.allowed.size, sites.existing.size, name="p")
    cap = _site_capacity(capacities, existing, existing_capacity, m)
    new = p - sites.existing.size
    by_capacity = np.lexsort((sites.candidates, -cap[sites.candidates]))
    most = float(cap[sites.existing].sum() + cap[sites.candidates][by_capacity[:new]].sum())
    reach = np.diff(sp.csr_array(pairs[:, sites.allowed]).indptr) > 0
    demand = float(w[reach].sum())
    if most < demand * (1 - 1e-9):
        reason = (f"the {p} largest allowed capacities hold {most:g} but the demand is "
                  f"{demand:g}; raise p or capacities")
        shortfall = CallContext(n, sites, np.flatnonzero(~reach), 1.0, backend, clock)
        return shortfall.infeasible("capacitated_pmedian", reason)
    k = sites.candidates.size
    warm = np.zeros(k, dtype=np.bool_)
    warm[by_capacity[:new]] = True
    if single_source:
        model, unreachable, too_big = assignment_pairs(pairs, w, sites, cap)
        call = CallContext(n, sites, unreachable, 1.0, backend, clock)
        if too_big.size:
            return call.infeasible("capacitated_pmedian", _rows_too_big(too_big, w))
        model = model.with_cost(model.pair_cost * (model.w[model.pair_row]
                                                   if cost_per == "weight_unit" else 1.0))
        limit = (float(new), float(new))
        problem = model.problem(serve_all=True, limit_row=np.ones(k), limit=limit)
        relaxed = Lagrangian.of(model, serve_all=True, limit_row=np.ones(k), limit=limit)
        if backend == "highs" and model.rows.size:
            return solve_pmedian_by_columns("capacitated_pmedian", model, problem, new, call,
                                            relaxed)
        return solve_single_source("capacitated_pmedian", model, problem, None, call, relaxed)
    if cost_per == "row":
        row_of = np.repeat(np.arange(n), np.diff(pairs.indptr))
        with np.errstate(divide="ignore", invalid="ignore"):
            per_unit = np.where(w[row_of] > 0, pairs.data / w[row_of], 0.0)
        pairs = sp.csr_array((per_unit, pairs.indices, pairs.indptr), shape=pairs.shape)
    split, unreachable = flows(pairs, w, sites)
    problem = split.problem(
        cap[split.columns], pair_cost=split.pairs.data, serve_all=True,
        limit_row=np.ones(k), limit=(float(new), float(new)),
    )
    call = CallContext(n, sites, unreachable, 1.0, backend, clock)
    return solve_flows("capacitated_pmedian", split, problem, warm, call)
