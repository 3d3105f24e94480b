"""The credit a plan earns per group: covered weight, or its diminishing-returns value."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .._errors import ModelInputError
from ..arrays import FloatArray, IntArray
from .inputs import DiminishingReturns


def group_gain(
    covered: npt.ArrayLike, total: npt.ArrayLike, existing: npt.ArrayLike,
    returns: DiminishingReturns | None,
) -> FloatArray:
    r"""Elementwise :math:`W\varphi((E + C)/W) - W\varphi(E/W)` (``C`` when ``returns`` is None).

    Written as :math:`\min_k (a_k (E + C) + d_k W) - \min_k (a_k E + d_k W)`, which needs no
    division, so an empty group (W = 0) is worth 0.
    """
    c = np.asarray(covered, dtype=np.float64)
    if returns is None:
        return c
    a, d = np.array(returns.slopes), returns.intercepts
    w = np.asarray(total, dtype=np.float64)[..., None]
    e = np.asarray(existing, dtype=np.float64)[..., None]
    return np.asarray((a * (e + c[..., None]) + d * w).min(axis=-1) - (a * e + d * w).min(axis=-1),
                      dtype=np.float64)


def coverage_utility(
    covered_weight_by_group: npt.ArrayLike,
    total_by_group: npt.ArrayLike,
    existing_by_group: npt.ArrayLike,
    returns: DiminishingReturns | None,
) -> float:
    r"""Value of newly covered weight under diminishing returns, summed over groups.

    :math:`\sum_g W_g\,\varphi\big((E_g + C_g)/W_g\big) - W_g\,\varphi(E_g/W_g)`, the credit
    :func:`plan_sites` gives one type in one phase, so a ranking that values projects with it
    agrees with the optimizer.

    Parameters
    ----------
    covered_weight_by_group
        :math:`C_g`, weight newly covered in each group (people × priority); any shape.
    total_by_group
        :math:`W_g`, total weight of each group's rows (covered or not, reachable or not);
        broadcastable to ``covered_weight_by_group``.
    existing_by_group
        :math:`E_g`, weight already covered by existing outlets; broadcastable likewise.
    returns
        The concave value :math:`\varphi`; None values weight linearly (:math:`\sum_g C_g`).

    Returns
    -------
    float
        The summed credit, in weight units.

    Raises
    ------
    ModelInputError
        Negative or non-finite weights, or shapes that do not broadcast.
    """
    arrays = []
    for name, value in (("covered_weight_by_group", covered_weight_by_group),
                        ("total_by_group", total_by_group),
                        ("existing_by_group", existing_by_group)):
        arr = np.asarray(value, dtype=np.float64)
        if not np.isfinite(arr).all() or (arr < 0).any():
            msg = f"{name} must be finite and ≥ 0 (weight per group)"
            raise ModelInputError(msg)
        arrays.append(arr)
    try:
        c, w, e = np.broadcast_arrays(*arrays)
    except ValueError as exc:
        msg = f"covered, total and existing weights by group must broadcast together: {exc}"
        raise ModelInputError(msg) from exc
    return float(group_gain(c, w, e, returns).sum())


def site_group_credit(
    reach: sp.csr_array, fresh: FloatArray, group: IntArray, done: FloatArray,
    total: FloatArray, existing: FloatArray, returns: DiminishingReturns | None,
) -> sp.coo_array:
    """Credit each site would add in each group by covering the rows it reaches, on top of
    what is covered: a sites × groups sparse array over the (site, group) pairs the sites
    reach, never a dense one.

    ``reach`` is sites × rows (the rows each site reaches), ``fresh`` the weight each row would
    add (0 for rows covered already), ``group`` each row's group and ``done`` the new weight
    already covered per group.
    """
    by_group = sp.csr_array((fresh, (np.arange(fresh.size), group)),
                            shape=(fresh.size, total.size))
    delta = sp.coo_array(reach.astype(np.float64) @ by_group)
    if returns is not None:
        g = delta.col
        delta.data = (group_gain(done[g] + delta.data, total[g], existing[g], returns)
                      - group_gain(done[g], total[g], existing[g], returns))
    return delta


def site_credit(
    reach: sp.csr_array, fresh: FloatArray, group: IntArray, done: FloatArray,
    total: FloatArray, existing: FloatArray, returns: DiminishingReturns | None,
) -> FloatArray:
    """Credit each site would add by covering the rows it reaches, on top of what is covered
    (:func:`site_group_credit` summed over groups)."""
    if returns is None:
        return np.asarray(reach.astype(np.float64) @ fresh, dtype=np.float64)
    added = site_group_credit(reach, fresh, group, done, total, existing, returns)
    return np.bincount(added.row, weights=added.data, minlength=reach.shape[0]).astype(np.float64)
