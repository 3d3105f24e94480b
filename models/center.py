"""The p-center problem: the smallest radius within which p sites serve every demand row."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._coverage_matrix import all_pairs, covered_by, merge_rows, nearest_open, select, within
from ._milp import Backend
from ._result import Solution, Status
from ._validate import check_cost_matrix, check_count, check_weights
from .arrays import FloatArray, IntArray
from .clock import Clock
from .coverage import Sites, check_site_sets, greedy_cover, min_cover


def pcenter(
    cost: object,
    p: int,
    weights: npt.ArrayLike | None = None,
    *,
    existing: Iterable[int] = (),
    forbidden: Iterable[int] = (),
    backend: Backend = "highs",
    time_limit: float | None = None,
) -> Solution:
    r"""Vertex p-center: open p sites minimising the largest cost to the nearest open site.

    Sets: demand rows :math:`i \in I` with weight > 0, allowed sites :math:`J` (existing sites
    :math:`E \subseteq J` always open). Parameters: travel cost :math:`d_{ij}`, :math:`p`.

    .. math::

        \min_{S \subseteq J,\; E \subseteq S,\; |S| = p} \; \max_{i \in I} \min_{j \in S} d_{ij}

    Solved exactly by search over the sorted distinct costs :math:`r`: a radius is feasible when
    the set cover of :math:`\{(i, j) : d_{ij} \le r\}` (rows existing sites cover at :math:`r`
    dropped) needs at most :math:`p - |E|` new sites (Minieka 1970; Daskin 1995, section 5.3).
    Each step first tries the greedy cover, which proves feasibility when it is small enough,
    and otherwise solves the set-cover MILP to optimality. The search starts between the lower
    bound :math:`\max_i \min_{j \in J} d_{ij}` and the radius of the greedy farthest-first
    solution (Gonzalez 1985), so the optimum found is proven.

    Parameters
    ----------
    cost
        Demand × candidate sites travel cost (e.g. minutes). Sparse: absent pairs are
        unreachable and a stored 0 is a real pair.
    p
        Number of open sites, existing sites included.
    weights
        Demand weights; only whether a row has weight > 0 matters (rows with 0 are ignored).
    existing, forbidden
        Indices of sites always open and of sites that may not open.
    backend
        MILP solver for the set-cover steps.
    time_limit
        Seconds for the whole call; when reached, the best radius found comes back
        ``FEASIBLE`` with the largest radius proven infeasible as ``bound``.

    Returns
    -------
    Solution
        ``objective`` is the largest nearest-site cost over the rows served; ``bound`` a proven
        lower bound. Rows no allowed site reaches are in ``unreachable``; if p sites cannot
        reach every other row (sparse costs), the status is ``INFEASIBLE``.

    References
    ----------
    Hakimi, S. L. (1964). Optimum locations of switching centers and the absolute centers and
    medians of a graph. Operations Research 12(3), 450-459.
    Minieka, E. (1970). The m-center problem. SIAM Review 12(1), 138-139.
    Daskin, M. S. (1995). Network and Discrete Location. Wiley.
    Gonzalez, T. F. (1985). Clustering to minimize the maximum intercluster distance.
    Theoretical Computer Science 38, 293-306.
    """
    clock = Clock(time_limit)
    pairs = all_pairs(check_cost_matrix(cost))
    n, m = pairs.shape
    w = check_weights(weights, n)
    sites = check_site_sets(existing, forbidden, m)
    p = check_count(p, m, sites.existing.size, name="p")
    allowed = np.zeros(m, dtype=np.bool_)
    allowed[sites.allowed] = True
    reach = within(select(pairs, allowed[pairs.indices]), np.inf)
    _, best = nearest_open(reach, sites.allowed)
    unreachable = np.flatnonzero(~np.isfinite(best))
    rows = np.flatnonzero((w > 0) & np.isfinite(best))
    lower = float(best[rows].max()) if rows.size else 0.0
    search = _RadiusSearch(
        sp.csr_array(select(pairs, allowed[pairs.indices])[rows]), sites, p, backend, clock
    )
    chosen = search.farthest_first()
    upper = search.radius(chosen)
    radii = np.unique(search.pairs.data[search.pairs.data >= lower])
    # The optimum lies in radii[lo:hi + 1]; hi == radii.size while no radius is known feasible.
    lo = 0
    hi = int(np.searchsorted(radii, upper)) if np.isfinite(upper) else radii.size
    note = ""
    while lo < hi:
        mid = (lo + hi) // 2
        verdict, found = search.feasible(float(radii[mid]))
        if verdict is None:
            note = f"time limit of {clock.limit:g} s reached during the radius search"
            break
        if verdict:
            chosen = found
            upper = search.radius(chosen)
            hi = int(np.searchsorted(radii, upper))
        else:
            lo = mid + 1
    if not np.isfinite(upper):
        return Solution(
            problem="pcenter", sites=sites.existing, assignment=np.full(n, -1), objective=np.inf,
            bound=np.inf, sense="min", status=Status.INFEASIBLE, backend=backend,
            method="radius search", seconds=clock.seconds, unreachable=unreachable,
            reason=f"p={p} sites cannot reach every reachable demand row with weight > 0; raise p",
        )
    open_sites = np.union1d(sites.existing, chosen)
    assignment, _ = nearest_open(reach, open_sites)
    return Solution(
        problem="pcenter", sites=open_sites, new_sites=chosen, assignment=assignment,
        objective=upper, bound=float(radii[lo]) if rows.size else 0.0, sense="min",
        status=Status.FEASIBLE if note else Status.OPTIMAL, backend=backend,
        method="radius search", seconds=clock.seconds, unreachable=unreachable, reason=note,
    )


class _RadiusSearch:
    """Feasibility checks of radii for p-center on the pairs of the rows that must be served."""

    def __init__(
        self, pairs: sp.csr_array, sites: Sites, p: int, backend: Backend, clock: Clock
    ) -> None:
        self.pairs = pairs
        self.sites = sites
        self.new = p - sites.existing.size  # sites left to open
        self.backend = backend
        self.clock = clock
        self.columns = sp.csc_array(pairs)
        self.reach = within(pairs, np.inf)

    def _distance(self, open_sites: IntArray) -> FloatArray:
        """Cost from each row to its nearest site in ``open_sites`` (inf when none reaches)."""
        return nearest_open(self.reach, open_sites)[1]

    def radius(self, chosen: IntArray) -> float:
        """Largest nearest-site cost with the existing sites and ``chosen`` open."""
        if self.pairs.shape[0] == 0:
            return 0.0
        return float(self._distance(np.union1d(self.sites.existing, chosen)).max())

    def farthest_first(self) -> IntArray:
        """Greedy: open the candidate nearest to the row farthest from the open sites."""
        dist = self._distance(self.sites.existing)
        chosen: list[int] = []
        cand = np.zeros(self.pairs.shape[1], dtype=np.bool_)
        cand[self.sites.candidates] = True
        while len(chosen) < self.new and dist.size and dist.max() > 0:
            far = int(np.argmax(dist))
            lo, hi = self.pairs.indptr[far], self.pairs.indptr[far + 1]
            cols, costs = self.pairs.indices[lo:hi], self.pairs.data[lo:hi]
            ok = cand[cols]
            if not ok.any():
                break
            j = int(cols[ok][np.argmin(costs[ok])])
            cand[j] = False
            chosen.append(j)
            a, b = self.columns.indptr[j], self.columns.indptr[j + 1]
            idx = self.columns.indices[a:b]
            dist[idx] = np.minimum(dist[idx], self.columns.data[a:b])
        return np.sort(np.asarray(chosen, dtype=np.int64))

    def feasible(self, r: float) -> tuple[bool | None, IntArray]:
        """Whether p sites serve every row within ``r``; None when the time limit cut it short.

        Returns the verdict and, when feasible, the new sites of a cover.
        """
        cov = within(self.pairs, r).matrix
        todo = ~covered_by(cov, self.sites.existing)
        A, _, _ = merge_rows(sp.csr_array(cov[np.flatnonzero(todo)][:, self.sites.candidates]),
                             np.ones(int(todo.sum())))
        if (np.diff(A.indptr) == 0).any():
            return False, np.empty(0, dtype=np.int64)
        ones = np.ones(A.shape[1])
        quick = greedy_cover(A, ones)
        if quick.sum() <= self.new:
            return True, self.sites.candidates[quick]
        if self.clock.expired:
            return None, np.empty(0, dtype=np.int64)
        chosen, status, bound, _ = min_cover(A, ones, self.backend, self.clock)
        if chosen.sum() <= self.new:
            return True, self.sites.candidates[chosen]
        if status is Status.OPTIMAL or bound > self.new + 1e-6:
            return False, np.empty(0, dtype=np.int64)
        return None, np.empty(0, dtype=np.int64)
