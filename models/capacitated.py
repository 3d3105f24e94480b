"""Capacitated covering and median models: each open site serves at most its capacity.

Capacities are in demand-weight units (childcare places, canteen meals per day). Demand is
splittable: a demand row is many households, so several sites may share it, and the flow
variables are continuous. ``Solution.assignment`` names the site serving the largest share of
each row (ties to the lowest index; -1 when nothing is served).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._coverage_matrix import all_pairs, coverage, merge_rows, select
from ._errors import ModelInputError
from ._milp import Backend, MilpProblem, MilpStatus, solve_milp
from ._result import Solution, Status
from ._validate import check_cost_matrix, check_count, check_site_costs, check_weights
from .arrays import BoolArray, FloatArray, IntArray
from .coverage import Clock, Sites, check_site_sets, greedy, limits, solve_with_fallback


@dataclass(frozen=True)
class _Flows:
    """A flow model on merged demand rows × allowed sites (candidates first, then existing)."""

    pairs: sp.csr_array  # merged rows × allowed sites; data = cost per weight unit
    w: FloatArray  # merged row weights
    group: IntArray  # merged row of each modelled demand row
    rows: IntArray  # the modelled demand rows
    columns: IntArray  # site index of each allowed column
    n_new: int  # the first n_new columns are candidates with an open/close decision

    def problem(
        self,
        capacity: FloatArray,
        *,
        pair_cost: FloatArray,
        serve_all: bool,
        limit_row: FloatArray,
        limit: tuple[float, float],
    ) -> MilpProblem:
        """Variables ``[y (n_new binary), z (one per pair, ≥ 0)]`` and the rows of the model."""
        g, a = self.pairs.shape
        k, nz = self.n_new, self.pairs.nnz
        row_of = np.repeat(np.arange(g), np.diff(self.pairs.indptr))
        col_of = self.pairs.indices.astype(np.int64)
        z = k + np.arange(nz)
        new_pair = np.flatnonzero(col_of < k)
        strong = g + a + np.arange(new_pair.size)
        last = g + a + new_pair.size
        rows = np.concatenate((row_of, g + col_of, g + np.arange(k), strong, strong,
                               np.full(k, last)))
        cols = np.concatenate((z, z, np.arange(k), z[new_pair], col_of[new_pair], np.arange(k)))
        vals = np.concatenate((np.ones(2 * nz), -capacity[:k], np.ones(new_pair.size),
                               -self.w[row_of[new_pair]], limit_row))
        A = sp.csr_array(sp.coo_array((vals, (rows, cols)), shape=(last + 1, k + nz)))
        row_upper = np.concatenate((self.w, np.zeros(k), capacity[k:], np.zeros(new_pair.size),
                                    [limit[1]]))
        row_lower = np.concatenate((self.w if serve_all else np.full(g, -np.inf),
                                    np.full(a + new_pair.size, -np.inf), [limit[0]]))
        return MilpProblem(
            np.concatenate((np.zeros(k), pair_cost)), A, row_lower, row_upper,
            np.zeros(k + nz), np.concatenate((np.ones(k), np.full(nz, np.inf))),
            np.arange(k + nz) < k,
        )

    def with_sites(self, problem: MilpProblem, open_new: BoolArray) -> FloatArray | None:
        """Optimal flows with the candidate sites fixed open or closed (an LP), or None."""
        y = open_new.astype(np.float64)
        fixed = replace(
            problem.relaxed(),
            col_lower=np.concatenate((y, problem.col_lower[self.n_new:])),
            col_upper=np.concatenate((y, problem.col_upper[self.n_new:])),
        )
        out = solve_milp(fixed)
        return out.x if out.status is MilpStatus.OPTIMAL else None

    def solution(
        self,
        problem_name: str,
        x: FloatArray,
        n_rows: int,
        sites: Sites,
        **fields: object,
    ) -> Solution:
        """A Solution from the model's variables; each row goes to its largest-share site."""
        k = self.n_new
        flow = x[k:]
        chosen = self.columns[:k][x[:k] > 0.5]
        row_of = np.repeat(np.arange(self.pairs.shape[0]), np.diff(self.pairs.indptr))
        served = flow > 1e-9 * max(float(self.w.max(initial=0.0)), 1.0)
        r, c, f = row_of[served], self.columns[self.pairs.indices[served]], flow[served]
        order = np.lexsort((c, -f, r))
        r, c = r[order], c[order]
        first = np.concatenate(([True], r[1:] != r[:-1])) if r.size else r.astype(np.bool_)
        best = np.full(self.pairs.shape[0], -1, dtype=np.int64)
        best[r[first]] = c[first]
        assignment = np.full(n_rows, -1, dtype=np.int64)
        assignment[self.rows] = best[self.group]
        return Solution(
            problem=problem_name, sites=np.union1d(sites.existing, chosen), new_sites=chosen,
            assignment=assignment, **fields,  # type: ignore[arg-type]
        )


def _flows(pairs: sp.csr_array, w: FloatArray, sites: Sites) -> tuple[_Flows, IntArray]:
    """The flow model of ``pairs`` (demand × all sites); returns it and the unreachable rows."""
    columns = np.concatenate((sites.candidates, sites.existing))
    allowed = np.zeros(pairs.shape[1], dtype=np.bool_)
    allowed[columns] = True
    usable = select(pairs, allowed[pairs.indices])
    reachable = np.diff(usable.indptr) > 0
    rows = np.flatnonzero(reachable & (w > 0))
    merged, mw, group = merge_rows(sp.csr_array(usable[rows][:, columns]), w[rows])
    return _Flows(merged, mw, group, rows, columns, sites.candidates.size), np.flatnonzero(
        ~reachable
    )


def _capacity(
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


def _solve(
    name: str,
    flows: _Flows,
    problem: MilpProblem,
    warm_sites: BoolArray,
    *,
    n_rows: int,
    sites: Sites,
    unreachable: IntArray,
    sign: float,
    backend: Backend,
    clock: Clock,
) -> Solution:
    warm = flows.with_sites(problem, warm_sites)
    solved = solve_with_fallback(problem, warm, backend=backend, clock=clock)
    common = {
        "backend": backend, "method": "milp", "sense": "max" if sign < 0 else "min",
        "unreachable": unreachable,
    }
    if solved.x is None:
        return Solution(
            problem=name, sites=sites.existing, assignment=np.full(n_rows, -1),
            objective=np.inf * sign, bound=np.inf * sign, status=Status.INFEASIBLE,
            seconds=clock.seconds,
            reason=f"{solved.note}: capacities or reach cannot serve all demand with these sites",
            **common,  # type: ignore[arg-type]
        )
    served = float(solved.x[flows.n_new:].sum())
    note = f"{served:g} of {float(flows.w.sum()):g} weight units served"
    return flows.solution(
        name, solved.x, n_rows, sites, objective=sign * solved.objective,
        bound=sign * solved.bound, status=solved.status, seconds=clock.seconds,
        reason="; ".join(t for t in (solved.note, note) if t), **common,
    )


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
    backend: Backend = "highs",
    time_limit: float | None = None,
) -> Solution:
    r"""Capacitated maximal covering: serve the most weight within reach and capacity.

    Sets: merged demand rows :math:`i \in I`, candidate sites :math:`K`, existing sites
    :math:`E`, covering pairs :math:`(i, j)` with :math:`j \in K \cup E`.
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

    Returns
    -------
    Solution
        ``objective`` is the served weight, ``bound`` an upper bound; ``reason`` gives the
        served total. ``assignment`` is each row's largest-share site.

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
    cap = _capacity(capacities, existing, existing_capacity, m)
    costs = check_site_costs(site_costs, m)[sites.candidates]
    max_sites, cap_budget = limits(p, budget, site_costs, m, costs)
    pairs = sp.csr_array((cov.cost, cov.matrix.indices, cov.matrix.indptr), shape=cov.shape)
    flows, unreachable = _flows(pairs, w, sites)
    k = flows.n_new
    problem = flows.problem(
        cap[flows.columns], pair_cost=-np.ones(flows.pairs.nnz), serve_all=False,
        limit_row=np.ones(k) if p is not None else costs,
        limit=(-np.inf, max_sites if p is not None else cap_budget),
    )
    cover_new = sp.csr_array(flows.pairs[:, :k]).astype(np.bool_)
    warm = greedy(cover_new, flows.w, costs, max_sites=max_sites, budget=cap_budget,
                  per_cost=p is None)
    return _solve(
        "capacitated_max_cover", flows, problem, warm, n_rows=n, sites=sites,
        unreachable=unreachable, sign=-1.0, backend=backend, clock=clock,
    )


def capacitated_pmedian(
    cost: object,
    p: int,
    weights: npt.ArrayLike,
    capacities: npt.ArrayLike,
    *,
    existing: Iterable[int] = (),
    existing_capacity: npt.ArrayLike | None = None,
    forbidden: Iterable[int] = (),
    backend: Backend = "highs",
    time_limit: float | None = None,
) -> Solution:
    r"""Capacitated p-median: serve all demand from p sites at least weighted travel cost.

    Sets: merged demand rows :math:`i \in I` (weight > 0, reachable), candidate sites
    :math:`K`, existing sites :math:`E`, stored pairs :math:`(i, j)`. Parameters: weight
    :math:`w_i`, travel cost :math:`d_{ij}` (per weight unit), capacity :math:`Q_j`.
    Variables: :math:`y_j \in \{0, 1\}` (:math:`j \in K`), flow :math:`z_{ij} \ge 0`.

    .. math::

        \min \sum_{ij} d_{ij} z_{ij} \quad \text{s.t.} \quad
        \sum_j z_{ij} = w_i, \quad
        \sum_i z_{ij} \le Q_j y_j \; (j \in K), \quad
        \sum_i z_{ij} \le Q_j \; (j \in E), \quad
        z_{ij} \le w_i y_j, \quad
        \sum_{j \in K} y_j = p - |E|

    Demand is splittable (a row is many households). With a dense cost matrix the model has one
    flow per (row, allowed site) pair; give a sparse matrix of the reachable pairs for large
    instances.

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

    Returns
    -------
    Solution
        ``objective`` is the total weighted cost; ``INFEASIBLE`` with a reason when the largest
        capacities cannot hold the demand or the reachable pairs cannot route it.

    References
    ----------
    Mulvey, J. M., Beck, M. P. (1984). Solving capacitated clustering problems. European
    Journal of Operational Research 18(3), 339-348. ReVelle & Swain (1970).
    """
    clock = Clock(time_limit)
    pairs = all_pairs(check_cost_matrix(cost))
    n, m = pairs.shape
    w = check_weights(weights, n)
    sites = check_site_sets(existing, forbidden, m)
    p = check_count(p, sites.allowed.size, sites.existing.size, name="p")
    cap = _capacity(capacities, existing, existing_capacity, m)
    flows, unreachable = _flows(pairs, w, sites)
    k = flows.n_new
    new = p - sites.existing.size
    by_capacity = np.lexsort((sites.candidates, -cap[sites.candidates]))
    most = float(cap[sites.existing].sum() + cap[sites.candidates][by_capacity[:new]].sum())
    if most < float(flows.w.sum()) * (1 - 1e-9):
        return Solution(
            problem="capacitated_pmedian", sites=sites.existing, assignment=np.full(n, -1),
            objective=np.inf, bound=np.inf, sense="min", status=Status.INFEASIBLE,
            backend=backend, method="milp", seconds=clock.seconds, unreachable=unreachable,
            reason=(
                f"the {p} largest allowed capacities hold {most:g} but the demand is "
                f"{float(flows.w.sum()):g}; raise p or capacities"
            ),
        )
    problem = flows.problem(
        cap[flows.columns], pair_cost=flows.pairs.data, serve_all=True,
        limit_row=np.ones(k), limit=(float(new), float(new)),
    )
    warm = np.zeros(k, dtype=np.bool_)
    warm[by_capacity[:new]] = True
    return _solve(
        "capacitated_pmedian", flows, problem, warm, n_rows=n, sites=sites,
        unreachable=unreachable, sign=1.0, backend=backend, clock=clock,
    )
