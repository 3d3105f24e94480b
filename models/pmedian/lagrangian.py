"""Lagrangian lower bound for the p-median problem, by subgradient optimisation.

Relaxing the assignment constraints ``sum_j x_ij + u_i = 1`` (``u_i``: row ``i`` pays its
fallback) with multipliers ``lambda_i`` leaves, for every ``lambda``,

``L(lambda) = sum_i [lambda_i + min(0, w_i f_i - lambda_i)] + (sum of the q smallest rho_j)``,
``rho_j = sum_i min(0, w_i d_ij - lambda_i)``,

a valid lower bound on the optimum (weak duality). Its maximum equals the LP bound. The
multipliers follow Polyak steps ``mu (UB - L) / ||g||^2`` towards the heuristic upper bound
``UB``, with ``mu`` halved when the bound stalls (Beasley 1993).

References
----------
J.E. Beasley, "Lagrangean heuristics for location problems", European Journal of Operational
Research 65 (1993) 383-399.
"""

from __future__ import annotations

import numpy as np

from ..arrays import FloatArray
from ..clock import Clock
from .sorted_rows import MedianCore, sum_by

#: Iterations without improvement after which the step factor is halved.
_PATIENCE = 20
#: Step factor below which the subgradient search stops.
_MIN_STEP = 1e-4


def lagrangian_bound(
    core: MedianCore,
    upper: float,
    start: FloatArray,
    *,
    max_iterations: int = 1000,
    clock: Clock | None = None,
) -> float:
    """Best Lagrangian lower bound found from multipliers ``start`` (one per row).

    ``upper`` is the objective of a known solution; the search stops when the bound reaches it.
    """
    rows, w, fb = core.rows, core.weight, core.fallback
    m, q = rows.n_sites, core.q
    wd = w[rows.row] * rows.cost
    wf = w * fb
    lam = np.minimum(start.astype(np.float64), wf)
    best, mu, stall = -np.inf, 2.0, 0
    # a gap below this is rounding noise, not room for improvement
    tol = 1e-9 * max(1.0, abs(upper))
    for _ in range(max_iterations):
        reduced = np.minimum(0.0, wd - lam[rows.row])
        rho = sum_by(rows.site, reduced, m)
        rho[~core.candidate] = np.inf
        chosen = np.argpartition(rho, q - 1)[:q] if q > 0 else np.empty(0, dtype=np.int64)
        value = float(lam.sum() + np.minimum(0.0, wf - lam).sum() + rho[chosen].sum())
        if value > best + tol:
            best, stall = value, 0
        else:
            stall += 1
            if stall >= _PATIENCE:
                mu, stall = mu / 2.0, 0
        if best >= upper - tol or mu < _MIN_STEP or (clock is not None and clock.expired):
            break
        is_chosen = np.zeros(m, dtype=np.bool_)
        is_chosen[chosen] = True
        served = (reduced < 0) & is_chosen[rows.site]
        g = 1.0 - (wf < lam) - np.bincount(rows.row[served], minlength=rows.n_rows)
        norm = float(g @ g)
        if norm == 0.0:
            break
        lam = np.minimum(lam + mu * (upper - value) / norm * g, wf)
    return best
