"""Lagrangian bound of a single-source assignment model whose sites are limited by number.

Relaxing each row's assignment constraint with a multiplier :math:`u_i` splits the model: every
site solves a 0-1 knapsack (which rows it would serve, at cost :math:`c_{ij} - u_i`, within its
capacity) and the sites are chosen by number, the most negative knapsack values first. The
value :math:`L(u)` bounds the optimum from below for any :math:`u` (any :math:`u \\le 0` when a
row may stay unserved). Started from the LP's duals it equals the LP bound; subgradient steps
lift it towards the Dantzig-Wolfe bound, since a knapsack packs whole rows where the LP packs
fractions (pmedcap14: LP 965.0, after 300 steps 971.6, optimum 982).

The same knapsacks bound what forcing one decision costs, which removes from the MILP every
decision no solution better than the incumbent takes: a site whose opening (or closing) lifts
:math:`L(u)` above the incumbent, a pair (row, site) whose forced assignment does.

Knapsack weights must be integers: when rows' weights are not, or a capacity exceeds
``MAX_CAPACITY``, weights and capacities are scaled and rounded down, which only enlarges what
a site may hold, so the bound stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arrays import BoolArray, FloatArray, IntArray
from ..clock import Clock
from .assignment import Assignment

#: Largest knapsack capacity in integer units; larger capacities are scaled down to it.
MAX_CAPACITY = 1000
#: Most knapsack cells (rows × sites × capacity units) the relaxation may hold: beyond it the
#: dynamic programme's tables (tens of megabytes) cost more than they save.
MAX_CELLS = 4_000_000
#: Subgradient steps: a count of steps rather than seconds, so the bound and what it removes
#: come out the same on any machine.
STEPS = 300
#: Steps without a better bound after which the step size is halved.
PATIENCE = 10


@dataclass(frozen=True)
class Lagrangian:
    """The relaxed model: dense costs (rows × columns, inf where no pair) and integer knapsacks.

    ``count`` is how many new sites the relaxation opens (the most its limit row allows);
    ``lowest`` the fewest it must open. Existing sites (columns from ``n_new`` on) are open.
    """

    cost: FloatArray
    weight: IntArray
    capacity: IntArray
    n_new: int
    count: int
    lowest: int
    serve_all: bool

    @classmethod
    def of(cls, model: Assignment, *, serve_all: bool, limit_row: FloatArray,
           limit: tuple[float, float]) -> Lagrangian | None:
        """The relaxation of ``model``, or None when there are no sites to choose (the MILP is an
        assignment to open sites), when sites are limited by cost, not number, or when its
        knapsack tables would exceed ``MAX_CELLS``."""
        k = model.n_new
        if k == 0 or not np.array_equal(limit_row, np.ones(k)):
            return None
        w, cap = _integer_units(model.w, model.capacity)
        g, a = model.rows.size, model.columns.size
        if g * a * (int(cap.max(initial=0)) + 1) > MAX_CELLS:
            return None
        cost = np.full((g, a), np.inf)
        cost[model.pair_row, model.pair_col] = model.pair_cost
        count = k if not np.isfinite(limit[1]) else min(k, int(np.floor(limit[1] + 1e-9)))
        lowest = 0 if not np.isfinite(limit[0]) else max(0, int(np.ceil(limit[0] - 1e-9)))
        return cls(cost, w, cap, k, count, lowest, serve_all)

    def project(self, u: FloatArray) -> FloatArray:
        """``u`` made valid: a row that may stay unserved takes a multiplier ≤ 0."""
        return u if self.serve_all else np.minimum(u, 0.0)

    def evaluate(self, u: FloatArray) -> tuple[float, FloatArray, BoolArray, IntArray]:
        """``L(u)``, each column's knapsack value, the rows each knapsack takes and the new
        sites the relaxation opens (ascending)."""
        value, taken = knapsacks(np.minimum(self.cost - u[:, None], 0.0), self.weight,
                                  self.capacity)
        opened = self._opened(value)
        return float(u.sum() + value[opened].sum() + value[self.n_new:].sum()), value, taken, \
            opened

    def _opened(self, value: FloatArray) -> IntArray:
        order = np.argsort(value[:self.n_new], kind="stable")
        return np.sort(order[:self.count])

    def ascend(self, u: FloatArray, target: float, clock: Clock) -> tuple[FloatArray, float]:
        """Subgradient ascent from ``u`` with Polyak steps towards ``target`` (an incumbent's
        value): the best multipliers and their bound. Ends after ``STEPS`` steps, or earlier
        when ``clock`` runs out."""
        u = self.project(u)
        best_u, best, stall, scale = u, -np.inf, 0, 1.0
        for _ in range(STEPS):
            bound, _, taken, opened = self.evaluate(u)
            if bound > best + 1e-9:
                best_u, best, stall = u, bound, 0
            else:
                stall += 1
                if stall >= PATIENCE:
                    scale, stall = scale / 2, 0
            open_cols = np.concatenate((opened, np.arange(self.n_new, self.cost.shape[1])))
            step = 1.0 - taken[:, open_cols].sum(axis=1)
            if not self.serve_all:
                step[(u >= 0) & (step > 0)] = 0.0  # the multiplier is held at 0 by its sign
            norm = float(step @ step)
            if norm == 0 or scale < 1e-4 or bound >= target - 1e-9 or clock.expired:
                break
            u = self.project(u + scale * max(target - bound, 1e-6 * abs(target)) / norm * step)
        return best_u, best

    def fixed(self, u: FloatArray, upper: float) -> tuple[BoolArray, BoolArray, BoolArray]:
        """What no solution costing less than ``upper`` does, by the bound at ``u``.

        Returns pairs (rows × columns) it does not take, new sites it does not open and new
        sites it cannot do without.
        """
        bound, value, _, opened = self.evaluate(u)
        k = self.n_new
        is_open = np.zeros(self.cost.shape[1], dtype=np.bool_)
        is_open[opened] = True
        is_open[k:] = True
        free = np.sort(value[:k][~is_open[:k]])
        # opening a closed site swaps out the weakest open one; closing an open one brings in
        # the best closed one, or nothing when fewer sites are allowed
        if self.count:
            open_lb = np.where(is_open, bound, bound - float(value[opened].max()) + value)
        else:
            open_lb = np.where(is_open, bound, np.inf)
        bring = float(free[0]) if free.size else np.inf
        if self.count - 1 >= self.lowest:
            bring = min(bring, 0.0)
        close_lb = np.where(is_open[:k], bound - value[:k] + bring, bound)
        margin = 1e-9 * max(1.0, abs(upper))
        forced = forced_values(np.minimum(self.cost - u[:, None], 0.0), self.cost - u[:, None],
                                self.weight, self.capacity)
        pair_lb = open_lb[None, :] - value[None, :] + forced
        pair_out = pair_lb > upper + margin
        pair_out[:, :k][:, open_lb[:k] > upper + margin] = True
        return pair_out, open_lb[:k] > upper + margin, close_lb > upper + margin


def _integer_units(w: FloatArray, capacity: FloatArray) -> tuple[IntArray, IntArray]:
    """Integer knapsack weights and capacities, rounded down after scaling when needed."""
    top = float(capacity.max(initial=0.0))
    integral = np.array_equal(w, np.round(w)) and np.array_equal(capacity, np.round(capacity))
    scale = 1.0 if integral and top <= MAX_CAPACITY else MAX_CAPACITY / max(top, 1e-12)
    return (np.floor(w * scale + 1e-9).astype(np.int64),
            np.floor(capacity * scale + 1e-9).astype(np.int64))


def knapsacks(profit: FloatArray, weight: IntArray, capacity: IntArray
              ) -> tuple[FloatArray, BoolArray]:
    """Every column's 0-1 knapsack: least total ``profit`` (rows × columns, ≤ 0) of rows whose
    weights fit its capacity. Returns the values and the rows each takes (lowest rows first
    among equal values)."""
    g, a = profit.shape
    top = int(capacity.max(initial=0))
    best = np.zeros((a, top + 1))
    took = np.zeros((g, a, top + 1), dtype=np.bool_)
    for i in range(g):
        wi = int(weight[i])
        if wi > top:
            continue
        candidate = best[:, :top + 1 - wi] + profit[i][:, None]
        better = candidate < best[:, wi:] - 1e-12
        took[i, :, wi:] = better
        best[:, wi:] = np.where(better, candidate, best[:, wi:])
    taken = np.zeros((g, a), dtype=np.bool_)
    room = capacity.copy()
    columns = np.arange(a)
    for i in range(g - 1, -1, -1):
        taken[i] = took[i, columns, room]
        room = room - taken[i] * weight[i]
    return best[columns, capacity], taken


def forced_values(profit: FloatArray, cost: FloatArray, weight: IntArray, capacity: IntArray
                  ) -> FloatArray:
    """Each column's knapsack value when row ``i`` is forced in (rows × columns; inf when the
    row does not fit or has no pair): its own ``cost`` plus the best of the other rows in
    what capacity is left."""
    g, a = profit.shape
    top = int(capacity.max(initial=0))
    prefix = np.zeros((g + 1, a, top + 1))
    for i in range(g):
        prefix[i + 1] = prefix[i]
        wi = int(weight[i])
        if wi <= top:
            prefix[i + 1][:, wi:] = np.minimum(prefix[i][:, wi:],
                                               prefix[i][:, :top + 1 - wi] + profit[i][:, None])
    out = np.full((g, a), np.inf)
    suffix = np.zeros((a, top + 1))
    units = np.arange(top + 1)
    columns = np.arange(a)[:, None]
    for i in range(g - 1, -1, -1):
        left = capacity - weight[i]  # room for the other rows, per column
        fits = left >= 0
        rest = np.clip(left[:, None] - units[None, :], 0, top)
        combined = np.where(units[None, :] <= left[:, None],
                            prefix[i] + suffix[columns, rest], np.inf).min(axis=1)
        out[i] = np.where(fits & np.isfinite(cost[i]), cost[i] + combined, np.inf)
        wi = int(weight[i])
        if wi <= top:
            suffix[:, wi:] = np.minimum(suffix[:, wi:], suffix[:, :top + 1 - wi] +
                                        profit[i][:, None])
    return out

