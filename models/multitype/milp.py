"""The plan as a MILP in cumulative variables (formulation in the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._milp import MilpProblem
from .._validate import FloatArray, IntArray
from .credit import group_gain
from .plans import Plan
from .prepare import Inputs, PreparedType, Requirement


@dataclass(frozen=True)
class Model:
    problem: MilpProblem
    spend: sp.csr_array  # (F, n_cols) cumulative spend by the end of each phase
    budget_rows: slice
    requirement_rows: slice
    z_offsets: IntArray  # first covered_{t,·,·} column of each type
    weight_scale: float  # the problem's objective is -weight_scale × the plan's objective


def _triplets(rows: IntArray, cols: IntArray, vals: FloatArray | float,
              shape: tuple[int, int]) -> sp.csr_array:
    data = np.broadcast_to(np.asarray(vals, dtype=np.float64), rows.shape)
    return sp.csr_array((data, (rows, cols)), shape=shape)


def _monotone(first_col: int, n_items: int, n_phases: int, n_cols: int) -> sp.csr_array:
    """Rows ``x[i, f-1] - x[i, f] ≤ 0`` for cumulative variables laid out item-major."""
    cur = (first_col + np.arange(n_items)[:, None] * n_phases + np.arange(1, n_phases)).ravel()
    rows = np.arange(cur.size)
    return _triplets(np.r_[rows, rows], np.r_[cur - 1, cur],
                     np.r_[np.ones(cur.size), -np.ones(cur.size)], (cur.size, n_cols))


def _credit_rows(
    inp: Inputs, types: Sequence[PreparedType], z_offsets: IntArray, v_offsets: IntArray,
    n_cols: int, scale: float,
) -> tuple[sp.csr_array, FloatArray, FloatArray]:
    r"""Hypograph rows of the credit ``v`` per (type, group, phase), their right sides and caps.

    One row :math:`v_{tgf} - a_k \sum_{m \in g} w_m\, covered_{tmf} \le a_k E + d_k W -
    W\varphi(E/W)` per linear piece :math:`k` of the returns. A piece wholly below the group's
    existing share or above its reachable share never binds there and is left out. The cap of
    each ``v`` is the credit of everything the group can reach. Weights are multiplied by
    ``scale``.
    """
    assert inp.returns is not None
    n_phases = inp.shape[2]
    phases = np.arange(n_phases)
    a, d = np.array(inp.returns.slopes), inp.returns.intercepts
    points = np.array(inp.returns.breakpoints)
    low, high = np.r_[-np.inf, points], np.r_[points, np.inf]
    rows, cols, vals, rhs, caps = [], [], [], [], []
    n_rows = 0
    for t, tp in enumerate(types):
        total, existing = scale * tp.total_by_group, scale * tp.existing_by_group
        reach = scale * tp.by_group(tp.weight)
        # Shares of the group's weight; a group of zero weight reaches nothing (reach = 0).
        known = np.divide(existing, total, out=np.zeros_like(total), where=total > 0)
        reachable = np.divide(existing + reach, total, out=np.zeros_like(total), where=total > 0)
        active = ((high >= known[:, None]) & (low <= reachable[:, None])
                  & (reach > 0)[:, None])
        g_pair, k_pair = np.nonzero(active)
        level = a * existing[:, None] + d * total[:, None]  # (G, K)
        # Merged rows of each active pair's group, found through rows sorted by group.
        order = np.argsort(tp.group, kind="stable")
        start = np.searchsorted(tp.group[order], np.arange(tp.n_groups))
        count = np.bincount(tp.group, minlength=tp.n_groups)[g_pair]
        pair_of = np.repeat(np.arange(g_pair.size), count)
        m = order[start[g_pair][pair_of] + np.arange(pair_of.size)
                  - np.repeat(np.cumsum(count) - count, count)]
        row = n_rows + np.arange(g_pair.size)[:, None] * n_phases + phases  # (pairs, F)
        rows += [row.ravel(), row[pair_of].ravel()]
        cols += [(v_offsets[t] + g_pair[:, None] * n_phases + phases).ravel(),
                 (z_offsets[t] + m[:, None] * n_phases + phases).ravel()]
        vals += [np.ones(row.size),
                 np.repeat(-a[k_pair[pair_of]] * scale * tp.weight[m], n_phases)]
        rhs.append(np.repeat(level[g_pair, k_pair] - level.min(axis=1)[g_pair], n_phases))
        caps.append(np.repeat(group_gain(reach, total, existing, inp.returns), n_phases))
        n_rows += row.size
    matrix = _triplets(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                       (n_rows, n_cols))
    return matrix, np.concatenate(rhs), np.concatenate(caps)


def build_model(inp: Inputs, types: Sequence[PreparedType], reqs: Sequence[Requirement]) -> Model:
    n, n_types, n_phases = inp.shape
    n_y = n * n_types * n_phases  # Y[j, t, f] at (j * T + t) * F + f
    n_u = n * n_phases  # U[j, f] at n_y + j * F + f
    sizes = np.array([tp.weight.size * n_phases for tp in types], dtype=np.int64)
    z_offsets = n_y + n_u + np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    n_z = int(sizes.sum())
    # Credit v[t, g, f] per type, group and phase, only under diminishing returns.
    v_sizes = np.array([tp.n_groups * n_phases if inp.returns is not None else 0
                        for tp in types], dtype=np.int64)
    v_offsets = n_y + n_u + n_z + np.r_[0, np.cumsum(v_sizes)[:-1]].astype(np.int64)
    n_cols = n_y + n_u + n_z + int(v_sizes.sum())
    # Weights and yuan in units near 1: HiGHS's root LP takes many times longer when weights
    # are shares (≈1e-5) next to costs in yuan (≈1e6).
    live = np.concatenate([tp.weight for tp in types])
    scale = 1.0 / float(live[live > 0].mean()) if (live > 0).any() else 1.0
    money = 1.0 / inp.budget_cum[-1] if inp.budget_cum[-1] > 0 else 1.0
    phases = np.arange(n_phases)
    y_cols = np.arange(n_y).reshape(n, n_types, n_phases)
    u_cols = n_y + np.arange(n_u).reshape(n, n_phases)

    u_of_y = np.broadcast_to(u_cols[:, None, :], y_cols.shape).ravel()
    link = _triplets(np.r_[np.arange(n_y), np.arange(n_y)], np.r_[y_cols.ravel(), u_of_y],
                     np.r_[np.ones(n_y), -np.ones(n_y)], (n_y, n_cols))
    cover_blocks = []
    for t, tp in enumerate(types):
        coo = tp.cover.tocoo()
        z = z_offsets[t] + np.arange(sizes[t])
        # covered_{t,m,f} - sum_{j in S_m} Y_{j,t,f} <= 0, one row per (merged row m, phase f)
        cover_rows = coo.row.astype(np.int64)[:, None] * n_phases + phases
        cover_blocks.append(_triplets(
            np.r_[np.arange(sizes[t]), cover_rows.ravel()],
            np.r_[z, y_cols[coo.col, t].ravel()],
            np.r_[np.ones(sizes[t]), -np.ones(cover_rows.size)], (int(sizes[t]), n_cols)))
    spend = _triplets(
        np.r_[np.broadcast_to(phases, y_cols.shape).ravel(), np.tile(phases, n)],
        np.r_[y_cols.ravel(), u_cols.ravel()],
        np.r_[np.repeat(inp.type_cost.ravel(), n_phases), np.repeat(inp.base_cost, n_phases)],
        (n_phases, n_cols))
    last_y = y_cols[:, :, -1]
    site_rows = np.repeat(np.arange(n), n_types)
    per_site = []
    if inp.site_area is not None and inp.type_area is not None:
        per_site.append((_triplets(site_rows, last_y.ravel(), inp.type_area.ravel(), (n, n_cols)),
                         inp.site_area))
    if inp.max_types is not None:
        per_site.append((_triplets(site_rows, last_y.ravel(), 1.0, (n, n_cols)),
                         np.full(n, float(inp.max_types))))
    req_matrix = sp.csr_array(
        (scale * np.concatenate([r.coef for r in reqs]) if reqs else np.empty(0),
         (np.repeat(np.arange(len(reqs)), [r.coef.size for r in reqs]),
          np.concatenate([z_offsets[r.type_index] + np.arange(r.coef.size) * n_phases + r.by_phase
                          for r in reqs]) if reqs else np.empty(0, dtype=np.int64))),
        shape=(len(reqs), n_cols))

    blocks = [
        _monotone(0, n * n_types, n_phases, n_cols), _monotone(n_y, n, n_phases, n_cols), link,
        *cover_blocks,
    ]
    n_zero = sum(b.shape[0] for b in blocks)
    c = np.zeros(n_cols)
    credit_rhs = credit_cap = np.empty(0)
    if inp.returns is None:
        for t, tp in enumerate(types):
            c[z_offsets[t]:z_offsets[t] + sizes[t]] = -np.outer(scale * tp.weight,
                                                                inp.phase_weights).ravel()
    else:
        credit, credit_rhs, credit_cap = _credit_rows(inp, types, z_offsets, v_offsets, n_cols,
                                                      scale)
        blocks.append(credit)
        c[n_y + n_u + n_z:] = -np.concatenate([np.tile(inp.phase_weights, tp.n_groups)
                                               for tp in types])
    n_le = n_zero + credit_rhs.size
    blocks += [money * spend, *(b for b, _ in per_site), req_matrix]
    n_req = len(reqs)
    caps = [cap for _, cap in per_site]
    upper = np.r_[np.zeros(n_zero), credit_rhs, money * inp.budget_cum, *caps,
                  np.full(n_req, np.inf)]
    lower = np.r_[np.full(upper.size - n_req, -np.inf), [scale * r.need for r in reqs]]

    available = phases >= inp.first_phase[:, None]  # (n, F)
    col_upper = np.r_[
        (inp.allowed[:, :, None] & available[:, None, :]).ravel(), available.ravel(),
        np.ones(n_z), credit_cap,
    ].astype(np.float64)
    problem = MilpProblem(
        c, sp.csr_array(sp.vstack(blocks, format="csr")), lower, upper, np.zeros(n_cols), col_upper,
        np.arange(n_cols) < n_y + n_u,
    )
    return Model(problem, spend, slice(n_le, n_le + n_phases),
                  slice(upper.size - n_req, upper.size), z_offsets, scale)


def to_columns(plan: Plan, inp: Inputs, types: Sequence[PreparedType], model: Model) -> FloatArray:
    n_phases = inp.shape[2]
    phases = np.arange(n_phases)
    y = (plan.build_phase[:, :, None] >= 0) & (phases >= plan.build_phase[:, :, None])
    u = (plan.site_phase[:, None] >= 0) & (phases >= plan.site_phase[:, None])
    z = [(c[:, None] <= phases) for c in plan.covered]
    v = [] if inp.returns is None else [
        model.weight_scale * group_gain(tp.by_group(tp.weight * zt.T), tp.total_by_group,
                                         tp.existing_by_group, inp.returns).T
        for tp, zt in zip(types, z, strict=True)]
    return np.concatenate([y.ravel(), u.ravel(), *(zt.ravel() for zt in z),
                           *(vt.ravel() for vt in v)]).astype(np.float64)


def from_columns(x: FloatArray, inp: Inputs) -> IntArray:
    n, n_types, n_phases = inp.shape
    y = x[: n * n_types * n_phases].reshape(n, n_types, n_phases) > 0.5
    return np.where(y.any(axis=2), y.argmax(axis=2), -1).astype(np.int64)
