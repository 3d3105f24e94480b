"""Greedy construction and fast vertex-substitution local search for the p-median problem.

The local search is the swap-based procedure of Resende & Werneck (2007): for the current open
set, each demand row ``i`` with nearest open site ``phi1(i)`` at cost ``d1(i)`` and second
nearest at ``d2(i)`` contributes to three arrays,

* ``gain[f]   += w_i (d1(i) - d_if)^+``                         (opening ``f`` helps ``i``),
* ``loss[g]   += w_i (d2(i) - d1(i))``  for ``g = phi1(i)``       (closing ``g`` hurts ``i``),
* ``extra[g, f] += w_i (d2(i) - max(d_if, d1(i)))`` for ``g = phi1(i)``, ``d_if < d2(i)``,

and the saving of swapping ``g`` out for ``f`` is ``gain[f] - loss[g] + extra[g, f]``, so one
pass over the entries cheaper than ``d2`` prices every swap at once. After a swap only the rows
whose ``(phi1, d1, d2)`` changed are withdrawn and re-added, which is what makes it fast.

References
----------
M.G.C. Resende and R.F. Werneck, "A fast swap-based local search procedure for location
problems", Annals of Operations Research 150 (2007) 205-230.
M.G.C. Resende and R.F. Werneck, "A hybrid heuristic for the p-median problem", Journal of
Heuristics 10 (2004) 59-88.
"""

from __future__ import annotations

import numpy as np

from ..arrays import BoolArray, FloatArray, IntArray
from ..clock import Clock
from .sorted_rows import MedianCore, first_positions, sum_by

#: Swaps after which the incrementally kept arrays are rebuilt, to stop rounding drift.
_REBUILD_EVERY = 64


def greedy(core: MedianCore, *, first: int | None = None) -> IntArray:
    """Open ``core.q`` sites one at a time, each the one that lowers the cost most.

    ``first`` forces the first site (used to diversify restarts). Ties go to the lowest index.
    """
    rows, w = core.rows, core.weight
    m = rows.n_sites
    d1 = core.fallback.copy()
    is_open = np.zeros(m, dtype=np.bool_)
    alive = np.arange(rows.site.size, dtype=np.int64)
    for step in range(core.q):
        r = rows.row[alive]
        gain = sum_by(rows.site[alive], w[r] * (d1[r] - rows.cost[alive]), m)
        gain[~core.candidate | is_open] = -np.inf
        f = first if (step == 0 and first is not None) else int(np.argmax(gain))
        is_open[f] = True
        hit = alive[rows.site[alive] == f]
        d1[rows.row[hit]] = np.minimum(d1[rows.row[hit]], rows.cost[hit])
        alive = alive[rows.cost[alive] < d1[rows.row[alive]]]
    return np.flatnonzero(is_open).astype(np.int64)


class _SwapState:
    """Open sites held in slots, the two nearest open sites per row and the swap prices."""

    def __init__(self, core: MedianCore, open_sites: IntArray) -> None:
        self.core = core
        m = core.rows.n_sites
        self.slot_site = open_sites.astype(np.int64).copy()
        self.slot_of = np.full(m, -1, dtype=np.int64)
        self.slot_of[self.slot_site] = np.arange(self.slot_site.size)
        self.rebuild()

    def _nearest_two(self) -> tuple[IntArray, FloatArray, FloatArray]:
        rows, fb = self.core.rows, self.core.fallback
        pos = first_positions(rows, self.slot_of[rows.site] >= 0, 2)
        # index -1 (no open site in the row) lands on the pads; masked by np.where
        cost = np.append(rows.cost, 0.0)
        site = np.append(rows.site, 0)
        s1 = np.where(pos[:, 0] >= 0, self.slot_of[site[pos[:, 0]]], -1)
        d1 = np.where(pos[:, 0] >= 0, cost[pos[:, 0]], fb)
        d2 = np.where(pos[:, 1] >= 0, cost[pos[:, 1]], fb)
        return s1, d1, d2

    def rebuild(self) -> None:
        self.s1, self.d1, self.d2 = self._nearest_two()
        q, m = self.slot_site.size, self.core.rows.n_sites
        self.gain = np.zeros(m)
        self.loss = np.zeros(q)
        self.extra = np.zeros((q, m))
        self._add(np.arange(self.core.rows.n_rows, dtype=np.int64), 1.0)

    def _add(self, rows_idx: IntArray, sign: float) -> None:
        rows, w = self.core.rows, self.core.weight
        s1, d1, d2 = self.s1, self.d1, self.d2
        served = rows_idx[s1[rows_idx] >= 0]
        np.add.at(self.loss, s1[served], sign * w[served] * (d2[served] - d1[served]))
        e = rows.entries_of(rows_idx)
        r = rows.row[e]
        e_mask = rows.cost[e] < d2[r]
        e, r = e[e_mask], r[e_mask]
        c, site, wr = rows.cost[e], rows.site[e], w[r]
        closer = c < d1[r]
        np.add.at(self.gain, site[closer], sign * wr[closer] * (d1[r[closer]] - c[closer]))
        has = s1[r] >= 0
        np.add.at(
            self.extra,
            (s1[r[has]], site[has]),
            sign * wr[has] * (d2[r[has]] - np.maximum(c[has], d1[r[has]])),
        )

    def best_swap(self) -> tuple[int, int, float]:
        """Slot to close, site to open and the predicted saving of the best swap."""
        profit = self.gain[None, :] - self.loss[:, None] + self.extra
        profit[:, ~self.core.candidate | (self.slot_of >= 0)] = -np.inf
        flat = int(np.argmax(profit))
        k, f = divmod(flat, profit.shape[1])
        return k, f, float(profit[k, f])

    def swap(self, k: int, f: int) -> None:
        old_s1, old_d1, old_d2 = self.s1, self.d1, self.d2
        self.slot_of[self.slot_site[k]] = -1
        self.slot_site[k] = f
        self.slot_of[f] = k
        s1, d1, d2 = self._nearest_two()
        changed = np.flatnonzero((s1 != old_s1) | (d1 != old_d1) | (d2 != old_d2))
        self._add(changed, -1.0)
        self.s1, self.d1, self.d2 = s1, d1, d2
        self._add(changed, 1.0)

    @property
    def objective(self) -> float:
        return float(self.core.weight @ self.d1)


def local_search(
    core: MedianCore, open_sites: IntArray, *, clock: Clock | None = None
) -> tuple[IntArray, float]:
    """Best-improvement swaps from ``open_sites`` until no swap saves cost (or ``clock``'s limit).

    Returns the sorted open sites and their objective.
    """
    state = _SwapState(core, open_sites)
    if state.slot_site.size == 0 or not core.candidate.any():
        return np.sort(state.slot_site), state.objective
    # a saving below this is rounding noise in the summed prices, not an improvement
    tol = 1e-9 * max(1.0, abs(state.objective))
    swaps = 0
    while clock is None or not clock.expired:
        k, f, saving = state.best_swap()
        if saving <= tol:
            break
        before, g = state.objective, int(state.slot_site[k])
        state.swap(k, f)
        swaps += 1
        if state.objective >= before - tol:
            state.swap(k, g)
            state.rebuild()
            break
        if swaps % _REBUILD_EVERY == 0:
            state.rebuild()
    return np.sort(state.slot_site), state.objective


def greedy_swap(
    core: MedianCore,
    *,
    starts: int = 1,
    seed: int = 0,
    clock: Clock | None = None,
    plain: IntArray | None = None,
) -> tuple[IntArray, float]:
    """Best of ``starts`` runs of greedy + swap search; run 0 is plain greedy (its sites may
    come as ``plain`` when the caller has them already).

    Later runs force a random first site drawn with ``numpy.random.default_rng(seed)``, so the
    result is reproducible for a given seed. ``clock``'s limit is checked between and inside runs.
    """
    rng = np.random.default_rng(seed)
    cands = np.flatnonzero(core.candidate)
    if plain is None:
        plain = greedy(core)
    best_sites, best_obj = local_search(core, plain, clock=clock)
    for _ in range(1, starts):
        if clock is not None and clock.expired:
            break
        first = int(rng.choice(cands))
        sites, obj = local_search(core, greedy(core, first=first), clock=clock)
        if obj < best_obj - 1e-9 * max(1.0, abs(best_obj)):
            best_sites, best_obj = sites, obj
    return best_sites, best_obj


def open_mask(n_sites: int, sites: IntArray) -> BoolArray:
    """Boolean "is open" mask of length ``n_sites``."""
    mask = np.zeros(n_sites, dtype=np.bool_)
    mask[sites] = True
    return mask
