"""Validate the arguments of :func:`~siting.models.multitype.plan_sites` once and prepare them.

Each type's coverage keeps only the sites where the type may be built; rows already covered by
an existing outlet or out of every allowed site's reach leave the model; rows of one group with
the same covering sites are merged (`siting.models._coverage_matrix.merge_rows`), summing their
weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .._coverage_matrix import merge_rows
from .._errors import ModelInputError
from .._validate import (
    check_index,
    check_mask,
    check_nonnegative,
    check_shape,
    check_site_costs,
    check_weights,
    check_whole,
)
from ..arrays import BoolArray, FloatArray, IntArray
from .credit import group_gain
from .inputs import CoverageRequirement, DiminishingReturns, TypeCoverage
from .solution import EXISTING_COVERED, NOT_COVERED

#: Relative slack when checking budgets and requirements of a plan, for float round-off.
TOL = 1e-9


@dataclass(frozen=True)
class Inputs:
    base_cost: FloatArray  # (n,)
    type_cost: FloatArray  # (n, T)
    allowed: BoolArray  # (n, T), already excluding types that never fit the site's floor area
    first_phase: IntArray  # (n,)
    budget_cum: FloatArray  # (F,) cumulative budget by the end of each phase
    phase_weights: FloatArray  # (F,)
    type_area: FloatArray | None  # (n, T)
    site_area: FloatArray | None  # (n,)
    max_types: IntArray | None  # (n,) most facility types per site
    returns: DiminishingReturns | None = None
    locked: IntArray | None = None  # (n, T) phase a facility must be built in, -1 free

    @property
    def shape(self) -> tuple[int, int, int]:
        n, T = self.type_cost.shape
        return n, T, int(self.budget_cum.size)

    @property
    def lock(self) -> IntArray:
        """``(n, T)`` phase each locked facility is built in, -1 where the plan is free."""
        if self.locked is None:
            return np.full(self.type_cost.shape, -1, dtype=np.int64)
        return self.locked

    @property
    def tail_weight(self) -> FloatArray:
        """Objective value per unit weight of a row first covered in phase f (index F: never)."""
        return np.append(np.cumsum(self.phase_weights[::-1])[::-1], 0.0)


def row_min(cover: sp.csr_array, value: IntArray, empty: int) -> IntArray:
    """Per row of ``cover`` (rows × sites), the least ``value`` (one per site) among the sites
    the row lists; ``empty`` for a row that lists none (a restricted instance drops sites)."""
    out = np.full(cover.shape[0], empty, dtype=np.int64)
    some = np.diff(cover.indptr) > 0
    if some.any():
        out[some] = np.minimum.reduceat(np.asarray(value)[cover.indices], cover.indptr[:-1][some])
    return out


@dataclass(frozen=True)
class PreparedType:
    cover: sp.csr_array  # merged rows × sites, allowed sites only, every row non-empty
    weight: FloatArray  # merged row weights
    row_map: IntArray  # original row → merged row, NOT_COVERED or EXISTING_COVERED
    existing_weight: float
    group: IntArray  # merged row → group
    total_by_group: FloatArray  # (G,) weight of every row of the group
    existing_by_group: FloatArray  # (G,) weight already covered by existing outlets

    @property
    def n_groups(self) -> int:
        return int(self.total_by_group.size)

    def by_group(self, weight: FloatArray | sp.csr_array) -> FloatArray:
        """Sum per group of a weight given per merged row (last axis), shape ``(..., G)``."""
        onehot = sp.csr_array((np.ones(self.group.size), (np.arange(self.group.size), self.group)),
                              shape=(self.group.size, self.n_groups))
        if isinstance(weight, sp.csr_array):
            return np.asarray((weight @ onehot).toarray(), dtype=np.float64)
        return np.asarray((onehot.T @ weight.T).T, dtype=np.float64)

    def gain(self, covered: FloatArray, returns: DiminishingReturns | None) -> FloatArray:
        """Credit of new weight ``covered`` per group (last axis ``G``), summed over groups."""
        return np.asarray(group_gain(covered, self.total_by_group, self.existing_by_group,
                                      returns).sum(axis=-1), dtype=np.float64)


@dataclass(frozen=True)
class Requirement:
    type_index: int
    by_phase: int
    coef: FloatArray  # weight of the requirement's rows in each merged row of its type
    need: float  # new weight still to cover once existing outlets are counted
    target: float
    reachable: float  # new weight coverable from sites available by `by_phase`, any budget


def check_inputs(
    n_types: int,
    base_cost: object,
    type_cost: object,
    allowed: object,
    phase_budgets: object,
    site_first_phase: object,
    phase_weights: object,
    site_area: object,
    type_area: object,
    max_types_per_site: object,
    locked: object = None,
) -> Inputs:
    budgets = np.asarray(phase_budgets, dtype=np.float64)
    if budgets.ndim != 1 or budgets.size == 0:
        msg = f"phase_budgets must be a non-empty 1-D array of yuan per phase, got {budgets.shape}"
        raise ModelInputError(msg)
    n_phases = budgets.size
    budgets = check_weights(budgets, n_phases, name="phase_budgets")
    tc = np.asarray(type_cost)
    if tc.ndim != 2 or tc.shape[1] != n_types:
        msg = f"type_cost must have shape (n_sites, {n_types}) (yuan), got {tc.shape}"
        raise ModelInputError(msg)
    n = tc.shape[0]
    tc = check_nonnegative(tc, (n, n_types), "type_cost", "yuan per site and type")
    base = check_site_costs(base_cost, n, name="base_cost")
    ok = check_mask(allowed, (n, n_types), "allowed", "site × type")
    if site_first_phase is None:
        first = np.zeros(n, dtype=np.int64)
    else:
        raw = check_shape(site_first_phase, (n,), "site_first_phase", "phase index per site")
        if not np.issubdtype(raw.dtype, np.integer):
            msg = f"site_first_phase must hold integer phase indices, got dtype {raw.dtype}"
            raise ModelInputError(msg)
        first = raw.astype(np.int64)
        if ((first < 0) | (first >= n_phases)).any():
            msg = (
                f"site_first_phase must lie in 0..{n_phases - 1}; a site never available "
                "should be left out of `allowed` instead"
            )
            raise ModelInputError(msg)
    if phase_weights is None:
        pw = np.ones(n_phases)
    else:
        pw = check_nonnegative(phase_weights, (n_phases,), "phase_weights", "one weight per phase")
        if (pw <= 0).any():
            msg = "phase_weights must be > 0; drop the phase from phase_budgets instead"
            raise ModelInputError(msg)
    if (site_area is None) != (type_area is None):
        msg = "give site_area and type_area together (m² per site and per type), or neither"
        raise ModelInputError(msg)
    s_area = t_area = None
    if site_area is not None:
        s_area = check_nonnegative(site_area, (n,), "site_area", "m² per site")
        ta = np.asarray(type_area)
        shape = (n_types,) if ta.ndim == 1 else (n, n_types)
        area = check_nonnegative(ta, shape, "type_area", "m² per type")
        t_area = np.broadcast_to(area, (n, n_types))
        ok = ok & (t_area <= s_area[:, None])
    max_types = None
    if max_types_per_site is not None:
        max_types = np.full(n, check_whole(max_types_per_site, "max_types_per_site",
                                           unit="facility types"), dtype=np.int64)
    inp = Inputs(base, tc, ok, first, np.cumsum(budgets), pw, t_area, s_area, max_types)
    return inp if locked is None else replace(inp, locked=check_locked(locked, inp))


def check_locked(locked: object, inp: Inputs) -> IntArray:
    """``locked`` as int64 ``(n_sites, n_types)`` phases (-1 free), checked to be a plan that
    fits: allowed pairs, phases from each site's first phase, floor area, types per site and
    the cumulative budgets."""
    n, n_types, n_phases = inp.shape
    raw = check_shape(locked, (n, n_types), "locked", "build phase per site × type, -1 free")
    if not np.issubdtype(raw.dtype, np.integer):
        msg = f"locked must hold integer phase indices (-1 free), got dtype {raw.dtype}"
        raise ModelInputError(msg)
    lock = raw.astype(np.int64)
    if ((lock < -1) | (lock >= n_phases)).any():
        msg = f"locked must hold -1 (free) or a phase index in 0..{n_phases - 1}"
        raise ModelInputError(msg)
    built = lock >= 0
    j, t = np.nonzero(built & ~inp.allowed)
    if j.size:
        msg = (f"locked[{j[0]}, {t[0]}] builds type {t[0]} at site {j[0]}, where it is not "
               "allowed (or does not fit the site's floor area)")
        raise ModelInputError(msg)
    j, t = np.nonzero(built & (lock < inp.first_phase[:, None]))
    if j.size:
        msg = (f"locked[{j[0]}, {t[0]}] builds in phase {lock[j[0], t[0]]}, before site "
               f"{j[0]} is available (phase {inp.first_phase[j[0]]})")
        raise ModelInputError(msg)
    if inp.site_area is not None and inp.type_area is not None:
        used = (inp.type_area * built).sum(axis=1)
        over = np.flatnonzero(used > inp.site_area * (1 + TOL))
        if over.size:
            msg = (f"the locked facilities of site {over[0]} need {used[over[0]]:g} m², more "
                   f"than its {inp.site_area[over[0]]:g} m²")
            raise ModelInputError(msg)
    if inp.max_types is not None:
        over = np.flatnonzero(built.sum(axis=1) > inp.max_types)
        if over.size:
            msg = (f"site {over[0]} has {built[over[0]].sum()} locked types, more than "
                   f"max_types_per_site={inp.max_types[over[0]]}")
            raise ModelInputError(msg)
    spent = np.cumsum(plan_spend(lock, inp))
    short = np.flatnonzero(spent > inp.budget_cum * (1 + TOL) + TOL)
    if short.size:
        f = int(short[0])
        msg = (f"the locked facilities cost {spent[f]:,.0f} yuan by the end of phase {f}, more "
               f"than the {inp.budget_cum[f]:,.0f} yuan released by then")
        raise ModelInputError(msg)
    return lock


def plan_spend(build_phase: IntArray, inp: Inputs) -> FloatArray:
    """``(F,)`` yuan a plan given by its build phases spends in each phase."""
    return phase_spend(build_phase, inp.base_cost, inp.type_cost, inp.shape[2])


def phase_spend(build_phase: npt.ArrayLike, base_cost: npt.ArrayLike, type_cost: npt.ArrayLike,
                n_phases: int) -> FloatArray:
    """``(n_phases,)`` yuan spent in each phase by a plan given as ``(n_sites, n_types)`` build
    phases (-1 unbuilt): each facility's ``type_cost`` in its phase, and each site's
    ``base_cost`` (its fixed charge) once, in the first phase it is used."""
    build = np.asarray(build_phase, dtype=np.int64)
    base, cost = np.asarray(base_cost, dtype=np.float64), np.asarray(type_cost, dtype=np.float64)
    built = build >= 0
    first = np.where(built, build, n_phases).min(axis=1, initial=n_phases)
    used = first < n_phases
    spend = np.bincount(first[used], weights=base[used], minlength=n_phases)
    spend += np.bincount(build[built], weights=cost[built], minlength=n_phases)
    return np.asarray(spend[:n_phases], dtype=np.float64)



def _by_group_then_sites(cover: sp.csr_array, group: IntArray) -> IntArray:
    """Order of merged rows: by group, then by their sorted site lists, shorter prefix first.

    A canonical order that keeps each group's rows together and does not depend on how the
    caller ordered its rows.
    """
    lengths = np.diff(cover.indptr)
    keys = np.full((cover.shape[0], int(lengths.max(initial=0)) + 1), -1, dtype=np.int64)
    keys[:, 0] = group
    slot = 1 + np.arange(cover.indices.size) - np.repeat(cover.indptr[:-1], lengths)
    keys[np.repeat(np.arange(cover.shape[0]), lengths), slot] = cover.indices
    return np.lexsort(keys.T[::-1]).astype(np.int64)


def prepare_type(k: int, tc: TypeCoverage, inp: Inputs) -> PreparedType:
    """Validate ``types[k]`` and keep the rows the model needs, merged (module docstring)."""
    name = f"types[{k}]"
    n = inp.type_cost.shape[0]
    if sp.issparse(tc.coverage):
        cov = sp.csr_array(tc.coverage)
    else:
        cov = sp.csr_array(np.asarray(tc.coverage))
    if cov.ndim != 2 or cov.shape[1] != n:
        msg = f"{name}.coverage must have shape (n_rows, {n}) (rows × sites), got {cov.shape}"
        raise ModelInputError(msg)
    if cov.dtype != np.bool_:
        msg = f"{name}.coverage must be boolean (site within the row's threshold), got {cov.dtype}"
        raise ModelInputError(msg)
    n_rows = cov.shape[0]
    w = check_weights(tc.weights, n_rows, name=f"{name}.weights")
    existing = (
        np.zeros(n_rows, dtype=np.bool_) if tc.existing is None
        else check_mask(tc.existing, (n_rows,), f"{name}.existing", "one flag per demand row")
    )
    # Only sites where the type may be built can cover; the rest of the row is irrelevant.
    keep = sp.diags_array(inp.allowed[:, k].astype(np.float64))
    cov = sp.csr_array(cov.astype(np.float64) @ keep)
    cov.eliminate_zeros()
    cov.sort_indices()
    if tc.groups is None:
        group = np.zeros(n_rows, dtype=np.int64)
    else:
        raw = check_shape(tc.groups, (n_rows,), f"{name}.groups", "one group index per demand row")
        ints = np.issubdtype(raw.dtype, np.integer)
        group = raw.astype(np.int64) if ints else np.full(n_rows, -1, dtype=np.int64)
        if (group < 0).any():
            msg = f"{name}.groups must hold integer group indices ≥ 0, got dtype {raw.dtype}"
            raise ModelInputError(msg)
        if inp.returns is None:
            # The linear credit ignores groups: merging across them keeps today's smaller model.
            group = np.zeros(n_rows, dtype=np.int64)
    n_groups = int(group.max(initial=-1)) + 1
    row_map = np.where(existing, EXISTING_COVERED, NOT_COVERED).astype(np.int64)
    live = np.flatnonzero(~existing & (np.diff(cov.indptr) > 0))
    merged, weight, inverse = merge_rows(sp.csr_array(cov[live]), w[live], group[live])
    merged_group = np.empty(weight.size, dtype=np.int64)
    merged_group[inverse] = group[live]
    order = _by_group_then_sites(merged, merged_group)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    row_map[live] = rank[inverse]
    return PreparedType(sp.csr_array(merged[order]), weight[order], row_map,
                        float(w[existing].sum()), merged_group[order],
                        np.bincount(group, weights=w, minlength=n_groups).astype(np.float64),
                        np.bincount(group[existing], weights=w[existing],
                                    minlength=n_groups).astype(np.float64))


def prepare_requirements(
    requirements: Sequence[CoverageRequirement], types: Sequence[TypeCoverage],
    prepared: Sequence[PreparedType], inp: Inputs,
) -> tuple[Requirement, ...]:
    """Validate the requirements and express each over its type's merged rows."""
    n_phases = inp.budget_cum.size
    out = []
    for k, req in enumerate(requirements):
        name = f"requirements[{k}]"
        t = check_index(req.type_index, len(types), f"{name}.type_index", "a type index")
        p = check_index(req.by_phase, n_phases, f"{name}.by_phase", "a phase index")
        share = float(req.share)
        if not 0 < share <= 1:
            msg = f"{name}.share must be in (0, 1], got {req.share!r}"
            raise ModelInputError(msg)
        rows = np.asarray(req.rows)
        n_rows = prepared[t].row_map.size
        if rows.size == 0 or rows.dtype == np.bool_ or not np.issubdtype(rows.dtype, np.integer):
            msg = f"{name}.rows must be a non-empty sequence of row indices of types[{t}]"
            raise ModelInputError(msg)
        rows = np.unique(rows.astype(np.int64))
        if rows[0] < 0 or rows[-1] >= n_rows:
            msg = f"{name}.rows must lie in 0..{n_rows - 1} (rows of types[{t}])"
            raise ModelInputError(msg)
        w = np.asarray(types[t].weights, dtype=np.float64)[rows]
        where = prepared[t].row_map[rows]
        live = where >= 0
        coef = np.bincount(where[live], weights=w[live],
                           minlength=prepared[t].weight.size).astype(np.float64)
        target = share * float(w.sum())
        need = target - float(w[where == EXISTING_COVERED].sum())
        available = prepared[t].cover @ (inp.first_phase <= p).astype(np.float64) > 0
        out.append(Requirement(t, p, coef, need, target, float(coef[available].sum())))
    return tuple(out)

