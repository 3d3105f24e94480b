"""The plan as a MILP in cumulative variables (formulation in the package docstring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._milp import MilpProblem
from ..arrays import FloatArray, IntArray
from .builder import ModelBuilder
from .credit import group_gain
from .plans import Plan
from .prepare import Inputs, PreparedType, Requirement


@dataclass(frozen=True)
class Model:
    """The plan's MILP with the names of its column and row blocks.

    Column blocks: ``build`` (Y, allowed (site, type) × phase), ``open`` (U, site × phase),
    ``covered[t]`` (merged row × phase of type t), ``credit[t]`` (group × phase, only with
    diminishing returns). Row blocks: ``build_monotone``, ``open_monotone``, ``build_opens``,
    ``budget`` (one per phase), ``floor_area`` and ``types_per_site`` (one per site, when
    given), ``cover[t]``, ``credit``, ``requirements`` (one per requirement).
    """

    problem: MilpProblem
    columns: Mapping[str, slice]
    rows: Mapping[str, slice]
    weight_scale: float  # the problem's objective is -weight_scale × the plan's objective
    money_scale: float  # budget rows are in yuan × money_scale
    facilities: Facilities

    @property
    def spend(self) -> sp.csr_array:
        """``(F, n_cols)``: yuan spent by the end of each phase, as rows over the columns."""
        return sp.csr_array(self.problem.A[self.rows["budget"]] / self.money_scale)


def _monotone(cols: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Triplets of rows ``x[i, f-1] - x[i, f] ≤ 0`` for cumulative columns ``cols`` (items × F)."""
    cur = cols[:, 1:].ravel()
    rows = np.arange(cur.size)
    return (np.r_[rows, rows], np.r_[cur - 1, cur],
            np.r_[np.ones(cur.size), -np.ones(cur.size)])


def _credit_rows(
    inp: Inputs, types: Sequence[PreparedType], model: ModelBuilder, scale: float,
) -> None:
    r"""Hypograph rows of the credit ``v`` per (type, group, phase), and the credit's columns.

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
    rows, cols, vals, rhs = [], [], [], []
    n_rows = 0
    for t, tp in enumerate(types):
        total, existing = scale * tp.total_by_group, scale * tp.existing_by_group
        reach = scale * tp.by_group(tp.weight)
        v_first = model.add_columns(
            f"credit[{t}]", tp.n_groups * n_phases,
            upper=np.repeat(group_gain(reach, total, existing, inp.returns), n_phases),
            cost=-np.tile(inp.phase_weights, tp.n_groups)).start
        z_first = model.columns[f"covered[{t}]"].start
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
        cols += [(v_first + g_pair[:, None] * n_phases + phases).ravel(),
                 (z_first + m[:, None] * n_phases + phases).ravel()]
        vals += [np.ones(row.size),
                 np.repeat(-a[k_pair[pair_of]] * scale * tp.weight[m], n_phases)]
        rhs.append(np.repeat(level[g_pair, k_pair] - level.min(axis=1)[g_pair], n_phases))
        n_rows += row.size
    model.add_rows("credit", np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                   lower=-np.inf, upper=np.concatenate(rhs), size=n_rows)


@dataclass(frozen=True)
class Facilities:
    """Columns of the facilities that may be built, in any model with the facility block.

    Attributes
    ----------
    site, type
        ``(I,)`` the (site, type) pairs allowed, site-major.
    index
        ``(n_sites, n_types)`` each pair's position in ``site``/``type``, -1 when not allowed.
    build, open
        ``(I, F)`` columns of the cumulative built :math:`Y` and ``(n_sites, F)`` of the
        cumulative opened :math:`U`.
    """

    site: IntArray
    type: IntArray
    index: IntArray
    build: IntArray
    open: IntArray

    def plan_columns(self, build_phase: IntArray, site_phase: IntArray) -> tuple[
            FloatArray, FloatArray]:
        """Values of ``build`` and ``open`` for a plan given by its build and site phases."""
        n_phases = self.build.shape[1]
        phases = np.arange(n_phases)
        first = build_phase[self.site, self.type]
        y = (first[:, None] >= 0) & (phases >= first[:, None])
        u = (site_phase[:, None] >= 0) & (phases >= site_phase[:, None])
        return y.astype(np.float64), u.astype(np.float64)

    def build_phase(self, x: FloatArray, shape: tuple[int, int]) -> IntArray:
        """Build phase per (site, type) of a solution ``x`` (-1: not built)."""
        y = x[self.build] > 0.5
        out = np.full(shape, -1, dtype=np.int64)
        built = y.any(axis=1)
        out[self.site[built], self.type[built]] = y[built].argmax(axis=1)
        return out


def add_facilities(model: ModelBuilder, inp: Inputs, money: float) -> Facilities:
    """The facility block: columns Y and U and the rows that involve only them (monotone in
    phase, a type only at an opened site, cumulative budgets scaled by ``money``, floor area,
    types per site). Locked facilities (``inp.locked``) are fixed by the bounds of their Y."""
    n, n_types, n_phases = inp.shape
    phases = np.arange(n_phases)
    available = phases >= inp.first_phase[:, None]  # (n, F)
    site, kind = np.nonzero(inp.allowed)
    index = np.full((n, n_types), -1, dtype=np.int64)
    index[site, kind] = np.arange(site.size)
    # A locked facility is built from its phase on: Y = 0 before it, Y = 1 from it.
    lock = inp.lock[site, kind][:, None]
    locked = lock >= 0
    block = model.add_columns("build", site.size * n_phases, integer=True,
                              upper=(available[site] & (~locked | (phases >= lock))).ravel(),
                              lower=(locked & (phases >= lock)).ravel())
    y_cols = np.arange(block.start, block.stop).reshape(site.size, n_phases)
    block = model.add_columns("open", n * n_phases, upper=available.ravel(), integer=True)
    u_cols = np.arange(block.start, block.stop).reshape(n, n_phases)
    model.add_rows("build_monotone", *_monotone(y_cols), lower=-np.inf, upper=0.0,
                   size=site.size * (n_phases - 1))
    model.add_rows("open_monotone", *_monotone(u_cols), lower=-np.inf, upper=0.0,
                   size=n * (n_phases - 1))
    n_y = y_cols.size
    model.add_rows("build_opens", np.r_[np.arange(n_y), np.arange(n_y)],
                   np.r_[y_cols.ravel(), u_cols[site].ravel()],
                   np.r_[np.ones(n_y), -np.ones(n_y)], lower=-np.inf, upper=0.0, size=n_y)
    model.add_rows(
        "budget", np.r_[np.tile(phases, site.size), np.tile(phases, n)],
        np.r_[y_cols.ravel(), u_cols.ravel()],
        money * np.r_[np.repeat(inp.type_cost[site, kind], n_phases),
                      np.repeat(inp.base_cost, n_phases)],
        lower=-np.inf, upper=money * inp.budget_cum)
    if inp.site_area is not None and inp.type_area is not None:
        model.add_rows("floor_area", site, y_cols[:, -1], inp.type_area[site, kind],
                       lower=-np.inf, upper=inp.site_area, size=n)
    if inp.max_types is not None:
        model.add_rows("types_per_site", site, y_cols[:, -1], 1.0, lower=-np.inf,
                       upper=inp.max_types, size=n)
    return Facilities(site.astype(np.int64), kind.astype(np.int64), index, y_cols, u_cols)


def weight_scale(types: Sequence[PreparedType]) -> float:
    """Factor that brings row weights near 1: HiGHS's root LP takes many times longer when
    weights are shares (≈1e-5) next to costs in yuan (≈1e6)."""
    live = np.concatenate([tp.weight for tp in types])
    return 1.0 / float(live[live > 0].mean()) if (live > 0).any() else 1.0


def build_model(inp: Inputs, types: Sequence[PreparedType], reqs: Sequence[Requirement]) -> Model:
    """The plan's MILP (package docstring), weights and yuan scaled to units near 1."""
    n_phases = inp.shape[2]
    scale = weight_scale(types)
    money = 1.0 / inp.budget_cum[-1] if inp.budget_cum[-1] > 0 else 1.0
    phases = np.arange(n_phases)
    model = ModelBuilder()
    facilities = add_facilities(model, inp, money)
    for t, tp in enumerate(types):
        model.add_columns(f"covered[{t}]", tp.weight.size * n_phases, upper=1.0,
                          cost=0.0 if inp.returns is not None
                          else -np.outer(scale * tp.weight, inp.phase_weights).ravel())
    for t, tp in enumerate(types):
        coo = tp.cover.tocoo()
        z = np.arange(model.columns[f"covered[{t}]"].start, model.columns[f"covered[{t}]"].stop)
        # covered_{t,m,f} - sum_{j in S_m} Y_{j,t,f} <= 0, one row per (merged row m, phase f)
        cover_rows = coo.row.astype(np.int64)[:, None] * n_phases + phases
        model.add_rows(f"cover[{t}]", np.r_[np.arange(z.size), cover_rows.ravel()],
                       np.r_[z, facilities.build[facilities.index[coo.col, t]].ravel()],
                       np.r_[np.ones(z.size), -np.ones(cover_rows.size)],
                       lower=-np.inf, upper=0.0, size=z.size)
    if inp.returns is not None:
        _credit_rows(inp, types, model, scale)
    model.add_rows(
        "requirements", np.repeat(np.arange(len(reqs)), [r.coef.size for r in reqs]),
        np.concatenate([model.columns[f"covered[{r.type_index}]"].start
                        + np.arange(r.coef.size) * n_phases + r.by_phase for r in reqs])
        if reqs else np.empty(0, dtype=np.int64),
        scale * np.concatenate([r.coef for r in reqs]) if reqs else np.empty(0),
        lower=[scale * r.need for r in reqs], upper=np.inf, size=len(reqs))
    return Model(model.build(), dict(model.columns), dict(model.rows), scale, money, facilities)


def to_columns(plan: Plan, inp: Inputs, types: Sequence[PreparedType], model: Model) -> FloatArray:
    """The plan as a solution of ``model`` (a MILP warm start)."""
    n_phases = inp.shape[2]
    phases = np.arange(n_phases)
    y, u = model.facilities.plan_columns(plan.build_phase, plan.site_phase)
    z = [(c[:, None] <= phases) for c in plan.covered]
    v = [] if inp.returns is None else [
        model.weight_scale * group_gain(tp.by_group(tp.weight * zt.T), tp.total_by_group,
                                        tp.existing_by_group, inp.returns).T
        for tp, zt in zip(types, z, strict=True)]
    return np.concatenate([y.ravel(), u.ravel(), *(zt.ravel() for zt in z),
                           *(vt.ravel() for vt in v)]).astype(np.float64)
